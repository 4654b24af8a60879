"""Security defaults: JSON only, HTTP on the loopback interface, TLS and SASL settings passed to
every Kafka client, and a SASL password that no repr, dump or log line shows.

(The SASL settings against a broker that checks them: tests/integration/test_sasl.py.)
"""

from __future__ import annotations

import asyncio
import logging
import re
import ssl
from pathlib import Path
from typing import Any

import faust
import pytest
from faust.transport.drivers.aiokafka import credentials_to_aiokafka_auth

from service.config import Settings
from service.runtime.kafka_io import connection_options

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "pw-Zq8!unit-secret"

CODE_EXECUTING = re.compile(
    r"\b(?:import|from)\s+(?:pickle|cPickle|marshal|shelve|dill|cloudpickle|jsonpickle|joblib)\b"
    r"|\b(?:pickle|cPickle|marshal|shelve|dill|cloudpickle|jsonpickle|joblib)\.\w+"
    r"|[\"'](?:pickle|dill|cloudpickle|jsonpickle)[\"']"
    r"|yaml\.(unsafe_)?load\("
    r"|\beval\(|\bexec\("
)
"""Modules and calls that can run code found in the data they read."""


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No BILATERAL_MONITOR_* variable: the defaults are what is tested."""
    import os

    for key in list(os.environ):
        if key.startswith("BILATERAL_MONITOR_"):
            monkeypatch.delenv(key)


def _app(settings: Settings) -> Any:
    from service.bootstrap import create_app

    app = create_app(settings)
    app.loop = asyncio.get_running_loop()
    app.finalize()
    return app


async def test_every_faust_topic_table_and_setting_is_raw_bytes(tmp_path: Path) -> None:
    """Values cross Kafka as bytes the codec (JSON) reads; faust's own codecs (its default is
    JSON, pickle is registered too) never decode a message or a table record."""
    app = _app(Settings(data_dir=tmp_path, store="memory://", web_port=6397))
    serializers = {
        name: getattr(app.conf, name)
        for name in dir(app.conf)
        if name.endswith("_serializer") and not name.startswith("_")
    }
    assert serializers and set(serializers.values()) == {"raw"}, serializers
    channels = [agent.channel for agent in app.agents.values()]
    channels += [table.changelog_topic for table in app.tables.values()]
    for channel in channels:
        schema = channel.schema
        assert (schema.key_serializer, schema.value_serializer) == ("raw", "raw"), channel
    for table in app.tables.values():
        assert (table.key_serializer, table.value_serializer) == ("raw", "raw"), table.name


def test_no_code_executing_codec_in_the_project() -> None:
    """No pickle, marshal, shelve, unsafe YAML, eval or exec in code the project ships or runs."""
    files = [*REPO.glob("schemas/**/*.py"), *REPO.glob("service/**/*.py")]
    files += [p for p in (REPO / "scripts").iterdir() if p.is_file()]
    files += [REPO / "pyproject.toml", REPO / "Dockerfile", REPO / "docker-compose.yml"]
    found = []
    for path in files:
        for n, line in enumerate(path.read_text(errors="replace").splitlines(), start=1):
            code = line.split("#", 1)[0] if path.suffix == ".py" else line
            if CODE_EXECUTING.search(code) and "never pickle" not in code:
                found.append(f"{path.relative_to(REPO)}:{n}: {line.strip()}")
    assert len(files) > 30
    assert not found, "\n".join(found)


def test_the_grep_would_see_a_pickle() -> None:
    assert CODE_EXECUTING.search("import pickle")
    assert CODE_EXECUTING.search('value_serializer="pickle"')
    assert CODE_EXECUTING.search("yaml.load(text)")
    assert not CODE_EXECUTING.search("os.execv(sys.executable, argv)")


async def test_http_binds_the_loopback_interface_by_default(
    clean_env: None, tmp_path: Path
) -> None:
    settings = Settings(data_dir=tmp_path)
    assert settings.web_host == "127.0.0.1"
    app = _app(settings.model_copy(update={"store": "memory://", "web_port": 6396}))
    assert app.conf.web_bind == "127.0.0.1"
    assert app.conf.canonical_url.host == "127.0.0.1"


def test_ssl_settings_reach_every_kafka_client(tmp_path: Path) -> None:
    for protocol in ("SSL", "SASL_SSL"):
        extra = {"sasl_username": "alice", "sasl_password": PASSWORD} if "SASL" in protocol else {}
        settings = Settings(security_protocol=protocol, data_dir=tmp_path, **extra)
        opts = connection_options(settings)
        assert opts["security_protocol"] == protocol
        assert isinstance(opts["ssl_context"], ssl.SSLContext)
        assert opts["ssl_context"].verify_mode == ssl.CERT_REQUIRED  # the broker is verified
        from service.runtime.faust_app import _credentials

        auth = credentials_to_aiokafka_auth(_credentials(settings))
        assert auth["security_protocol"] == protocol
        assert isinstance(auth["ssl_context"], ssl.SSLContext)
    assert "ssl_context" not in connection_options(Settings(data_dir=tmp_path))


@pytest.mark.parametrize("mechanism", ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"])
def test_sasl_settings_reach_every_kafka_client(tmp_path: Path, mechanism: str) -> None:
    from service.runtime.faust_app import _credentials

    settings = Settings(
        security_protocol="SASL_PLAINTEXT",
        sasl_mechanism=mechanism,
        sasl_username="alice",
        sasl_password=PASSWORD,
        data_dir=tmp_path,
    )
    opts = connection_options(settings)
    assert (opts["sasl_mechanism"], opts["sasl_plain_username"]) == (mechanism, "alice")
    assert opts["sasl_plain_password"] == PASSWORD
    credentials = _credentials(settings)
    assert isinstance(credentials, faust.SASLCredentials)
    auth = credentials_to_aiokafka_auth(credentials)
    assert (auth["security_protocol"], auth["sasl_mechanism"]) == ("SASL_PLAINTEXT", mechanism)
    assert (auth["sasl_plain_username"], auth["sasl_plain_password"]) == ("alice", PASSWORD)
    assert PASSWORD not in repr(credentials)


def test_the_sasl_password_never_shows_in_settings_or_their_logs(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(
        security_protocol="SASL_PLAINTEXT",
        sasl_username="alice",
        sasl_password=PASSWORD,
        data_dir=tmp_path,
    )
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("service").info("settings: %s %r", settings, settings)
    shown = [repr(settings), str(settings), settings.model_dump_json(), str(settings.model_dump())]
    shown.append(caplog.text)
    assert all("alice" in text for text in shown)  # the settings are there, not the password
    for text in shown:
        assert PASSWORD not in text, text
    assert settings.sasl_password is not None
    assert settings.sasl_password.get_secret_value() == PASSWORD


def test_sasl_without_a_password_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="BILATERAL_MONITOR_SASL_PASSWORD"):
        Settings(security_protocol="SASL_PLAINTEXT", sasl_username="alice", data_dir=tmp_path)
