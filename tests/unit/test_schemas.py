"""The wire contract: codec rejections, upcasting, generated files in step with the models."""

from __future__ import annotations

import json

import jsonschema
import pytest

from schemas import codec
from schemas.codec import DecodeError, decode_event, encode
from schemas.common import make_dyad
from schemas.events import CURRENT_SCHEMA_VERSION
from schemas.generate import rendered

GOOD = {
    "event_id": "x-1",
    "schema_version": 1,
    "type": "news_article",
    "published_at": "2026-02-20T09:30:00+05:30",
    "source": {"name": "Wire", "kind": "news"},
    "title": "T",
    "body": "India and Canada agreed to talk.",
}


def _raw(**changes):
    data = {**GOOD, **changes}
    return json.dumps({k: v for k, v in data.items() if v is not None}).encode()


def test_good_event_is_stored_as_utc_and_round_trips():
    event = decode_event(_raw())
    assert event.published_at.isoformat() == "2026-02-20T04:00:00+00:00"
    assert decode_event(encode(event)) == event


@pytest.mark.parametrize(
    ("raw", "field", "words"),
    [
        (_raw(published_at="2026-02-20T09:30:00"), "published_at", "timezone"),
        (_raw(published_at="not-a-date"), "published_at", "valid datetime"),
        (_raw(type="tweet"), "type", "unknown event type"),
        (_raw(body=None), "body", "missing"),
        (_raw(countries=["IN", "ZZ"]), "countries.1", "unknown country code"),
        (_raw(body="x" * 100_001), "body", "limit is 100000"),
        (b"\xff{}", None, "not UTF-8"),
        (b"{not json", None, "not JSON"),
        (_raw(schema_version=9), "schema_version", "newer"),
        (_raw(schema_version=0), "schema_version", "positive integer"),
        (_raw(surprise=1), "surprise", "unknown field"),
    ],
)
def test_bad_input_is_rejected_with_a_precise_reason(raw, field, words):
    with pytest.raises(DecodeError) as info:
        decode_event(raw)
    assert info.value.field == field
    assert words in info.value.reason


def test_body_limit_is_configurable():
    with pytest.raises(DecodeError, match="limit is 10"):
        decode_event(_raw(body="x" * 11), max_body_chars=10)


def test_statement_needs_issuer_and_a_real_country():
    raw = _raw(type="official_statement", issuer="MEA", issuer_country="XX")
    with pytest.raises(DecodeError) as info:
        decode_event(raw)
    assert info.value.field == "issuer_country"


def test_v1_event_is_upcast_to_the_current_version():
    event = decode_event(_raw())  # GOOD is a version 1 event (it has ``title``)
    assert event.schema_version == CURRENT_SCHEMA_VERSION == 2
    assert event.headline == "T"
    v2 = decode_event(_raw(schema_version=2, title=None, headline="T"))
    assert v2 == event


def test_v2_event_with_the_old_field_name_says_so():
    with pytest.raises(DecodeError) as info:
        decode_event(_raw(schema_version=2))
    assert info.value.field == "title" and "unknown field" in info.value.reason


def test_upcaster_chain_runs_in_order(monkeypatch):
    monkeypatch.setattr(codec, "CURRENT_SCHEMA_VERSION", 3)
    seen = []

    def v2_to_v3(data):
        seen.append(data["schema_version"])
        data["subtitle"] = ""
        return data

    monkeypatch.setitem(codec.UPCASTERS, ("news_article", 2), v2_to_v3)
    out = codec.upcast(json.loads(_raw()))
    assert seen == [2] and out["headline"] == "T" and out["subtitle"] == ""
    assert out["schema_version"] == 3


def test_dyad_is_sorted_and_rejects_one_country():
    assert make_dyad("IN", "CA") == "CA-IN"
    with pytest.raises(ValueError, match="two different"):
        make_dyad("IN", "in")


def test_generated_contract_files_match_the_models():
    stale = [
        str(path)
        for path, text in rendered().items()
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]
    assert stale == [], "run `make schemas` and commit the result"


def test_dev_events_validate_against_the_generated_json_schema(shared):
    schema = json.loads(
        next(p for p in rendered() if p.name == "InboundEvent.json").read_text(encoding="utf-8")
    )
    validator = jsonschema.Draft202012Validator(schema)
    good = bad = 0
    lines = (shared / "data" / "dev_events.jsonl").read_text(encoding="utf-8").splitlines()
    for line in lines:
        data = json.loads(line)
        try:
            decode_event(line)
        except DecodeError:
            bad += 1
            continue
        validator.validate(codec.upcast(data))  # the wire form of the current version
        good += 1
    assert bad == 1 and good == len(lines) - 1 and good > 0


@pytest.mark.parametrize("when", ["1899-12-31T23:00:00Z", "9999-01-01T00:00:00Z"])
def test_published_at_year_must_be_plausible(when):
    with pytest.raises(DecodeError) as info:
        decode_event(_raw(published_at=when))
    assert info.value.field == "published_at" and "outside 1900..2999" in info.value.reason


def test_a_time_without_timezone_says_how_to_add_one() -> None:
    from pydantic import ValidationError

    from schemas.events import NewsArticle

    data = {
        "event_id": "tz-1",
        "type": "news_article",
        "published_at": "2026-02-20T09:30:00",
        "source": {"name": "X"},
        "body": "text",
    }
    with pytest.raises(ValidationError) as err:
        NewsArticle.model_validate(data)
    assert "add Z (UTC) or an offset" in str(err.value)
