"""Property tests of the codec: any bytes in give a model or a DecodeError, never another error.

Three kinds of input, each with a bounded number of examples: raw bytes; any JSON value; and a
valid event with one field replaced by any JSON value (the likeliest shape of a careless or
hostile publisher). A model that comes out must encode and decode back to itself, so what a
worker accepts it can also store and send on.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from schemas.codec import (
    DecodeError,
    decode_alert,
    decode_dead_letter,
    decode_event,
    decode_observation,
    encode,
    parse_json,
)

FUZZ = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)

VALID: dict[str, Any] = {
    "event_id": "fuzz-1",
    "schema_version": 2,
    "type": "official_statement",
    "published_at": "2026-02-08T10:00:00+05:30",
    "source": {
        "name": "Ministry of External Affairs",
        "url": "https://mea.gov.in",
        "kind": "government",
    },
    "countries": ["IN", "CA"],
    "language": "en",
    "headline": "India and Canada",
    "body": "India and Canada agreed to resume talks.",
    "issuer": "Ministry of External Affairs",
    "issuer_country": "IN",
    "statement_kind": "joint_statement",
}

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=40)
    | st.sampled_from(
        [
            "",
            " ",
            "2026-02-08",
            "2026-02-08T10:00:00",  # naive
            "2026-02-08T10:00:00Z",
            "0001-01-01T00:00:00+00:00",
            "9999-12-31T23:59:59-12:00",
            "1700000000",
            "IN",
            "XX",
            "news_article",
            "official_statement",
            "\ud800",  # a lone surrogate: valid in JSON text, not in UTF-8
        ]
    )
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)


def _decodes_cleanly(decode: Any, raw: bytes | str) -> Any:
    """Decode ``raw``: a model (which must round-trip through ``encode``) or None on DecodeError."""
    try:
        model = decode(raw)
    except DecodeError as exc:
        assert exc.reason and "\n" not in exc.reason, exc.reason
        return None
    assert decode(encode(model)) == model
    return model


def _dumps(value: Any) -> bytes:
    # surrogatepass: a lone surrogate goes on the wire as the (invalid UTF-8) bytes a sloppy
    # publisher's encoder would write; ensure_ascii=True sends it as a \ud800 escape instead.
    return json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")


@FUZZ
@given(st.binary(max_size=300))
@example(b"")
@example(b"\xff\xfe")
@example(b"[" * 100_000)
@example(b"1" * 5000)
@example(b'{"event_id": "\\ud800"}')
def test_any_bytes_decode_to_a_model_or_a_decode_error(raw: bytes) -> None:
    for decode in (decode_event, decode_observation, decode_alert, decode_dead_letter):
        _decodes_cleanly(decode, raw)


@FUZZ
@given(json_values, st.booleans())
def test_any_json_value_decodes_to_an_event_or_a_decode_error(value: Any, ascii_only: bool) -> None:
    raw = json.dumps(value, ensure_ascii=True) if ascii_only else _dumps(value)
    _decodes_cleanly(decode_event, raw)


@FUZZ
@given(st.sampled_from(sorted(VALID)), json_values, st.booleans())
def test_one_field_replaced_by_any_json_value(field: str, value: Any, ascii_only: bool) -> None:
    data = {**VALID, field: value}
    raw = json.dumps(data, ensure_ascii=True) if ascii_only else _dumps(data)
    _decodes_cleanly(decode_event, raw)


@FUZZ
@given(
    st.sampled_from(["source", "countries"]),
    st.sampled_from(["name", "url", "kind", 0]),
    json_values,
)
def test_nested_field_replaced_by_any_json_value(field: str, key: Any, value: Any) -> None:
    data = json.loads(json.dumps(VALID))
    if isinstance(data[field], dict):
        data[field][str(key)] = value
    else:
        data[field] = [value, *data[field]]
    _decodes_cleanly(decode_event, json.dumps(data))


def test_the_valid_event_decodes() -> None:
    event = _decodes_cleanly(decode_event, json.dumps(VALID))
    assert event is not None and event.published_at.utcoffset().total_seconds() == 0


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        (b"1" * 5000, "more than 4300 digits"),  # found by the fuzz tests: was a ValueError
        (b'{"n": -' + b"9" * 4301 + b"}", "more than 4300 digits"),
        (b"[" * 100_000, "nested too deeply"),
        (b"\xc3", "not UTF-8"),
        (b"{", "not JSON"),
        (None, "empty message"),  # a Kafka tombstone: was a TypeError out of json.loads
        (b"", "empty message"),
        (b" \r\n\t", "empty message"),
    ],
)
def test_parse_json_turns_every_failure_into_a_decode_error(raw: bytes | None, words: str) -> None:
    with pytest.raises(DecodeError, match=words):
        parse_json(raw)
