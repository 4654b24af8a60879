"""Bad settings, from an option or the environment, exit 2 naming what to fix (no broker)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from service.cli import app

CASES = [
    (
        ["alerts", "--bootstrap", "127.0.0.1:abc"],
        {},
        "bad --bootstrap: '127.0.0.1:abc' is not HOST:PORT",
    ),
    (
        ["publish", "x.jsonl", "--bootstrap", "kafka"],
        {},
        "bad --bootstrap: 'kafka' is not HOST:PORT",
    ),
    (
        ["worker", "--web-port", "99999"],
        {},
        "bad --web-port: Input should be less than or equal to 65535",
    ),
    (
        ["alerts", "--bootstrap", "127.0.0.1:9"],
        {"BILATERAL_MONITOR_SECURITY_PROTOCOL": "SASL_SSL"},
        "needs BILATERAL_MONITOR_SASL_USERNAME and BILATERAL_MONITOR_SASL_PASSWORD",
    ),
    (
        ["alerts", "--bootstrap", "127.0.0.1:9"],
        {
            "BILATERAL_MONITOR_SECURITY_PROTOCOL": "SSL",
            "BILATERAL_MONITOR_SSL_CAFILE": "/no/ca.pem",
        },
        "BILATERAL_MONITOR_SSL_CAFILE: no such file: /no/ca.pem",
    ),
    (
        ["alerts"],
        {"BILATERAL_MONITOR_BOOTSTRAP": "a:1,b"},
        "bad BILATERAL_MONITOR_BOOTSTRAP: 'b' is not HOST:PORT",
    ),
    (["alerts"], {"BILATERAL_MONITOR_PARTITIONS": "four"}, "bad BILATERAL_MONITOR_PARTITIONS:"),
    (["alerts", "--group", "readers"], {}, "--group needs a name and Kafka"),
    (
        ["worker", "--web-port", "0"],
        {},
        "bad --web-port: Input should be greater than or equal to 1",
    ),
    (["alerts", "--bootstrap", ""], {}, "is empty"),
    (["alerts", "--bootstrap", " ", "--follow"], {}, "is empty"),
    (["deadletters", "--bootstrap", "", "list"], {}, "is empty"),
    (["replay", "--bootstrap", ""], {}, "is empty"),
    (["publish", "x.jsonl", "--bootstrap", ""], {}, "is empty"),
    (["state", "CA-IN", "--url", ""], {}, "is not a worker's URL"),
    (["state", "CA-IN", "--url", "http://"], {}, "is not a worker's URL"),
    (["state", "CA-IN", "--url", "ftp://127.0.0.1:9"], {}, "is not a worker's URL"),
    (["replay", "--bootstrap", "127.0.0.1:9", "--url", "127.0.0.1:6066"], {}, "worker's URL"),
]


@pytest.mark.parametrize(("args", "env", "message"), CASES)
def test_bad_settings_exit_2_with_what_to_fix(args, env, message, monkeypatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_the_largest_body_limit_fits_a_kafka_message(tmp_path) -> None:
    """A body of the largest allowed limit, in 4-byte characters, encodes under 1 MiB."""
    from schemas.codec import encode
    from schemas.events import NewsArticle
    from service.config import MAX_BODY_CHARS_LIMIT

    event = NewsArticle.model_validate(
        {
            "event_id": "e" * 200,
            "published_at": "2026-01-01T00:00:00Z",
            "source": {"name": "s" * 200},
            "language": "l" * 16,
            "headline": "h" * 1000,
            "body": "😀" * MAX_BODY_CHARS_LIMIT,
        },
        context={"max_body_chars": MAX_BODY_CHARS_LIMIT},
    )
    assert len(encode(event)) < 1024 * 1024 - 1024  # the record's own overhead stays inside
    result = CliRunner().invoke(
        app, ["alerts"], env={"BILATERAL_MONITOR_MAX_BODY_CHARS": str(MAX_BODY_CHARS_LIMIT + 1)}
    )
    assert result.exit_code == 2 and "bad BILATERAL_MONITOR_MAX_BODY_CHARS" in result.output
