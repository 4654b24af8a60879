"""Reading input files: each bad record becomes a Rejected with its reason, the good ones events."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from service.runtime.inputs import InputError, Rejected, TextOptions, read_inputs

GOOD = {
    "event_id": "ok-1",
    "schema_version": 2,
    "type": "news_article",
    "published_at": "2026-04-12T08:15:00+09:00",
    "source": {"name": "Example Wire", "kind": "news"},
    "headline": "Ministers agree minerals working group",
    "body": "Australia and Japan agreed to establish a joint working group on critical minerals.",
}


def event(**changes: object) -> dict:
    return {**GOOD, **changes}


def read(path: Path, opts: TextOptions | None = None, limit: int = 100_000, **kw: object) -> list:
    return read_inputs([path], opts or TextOptions(), max_body_chars=limit, **kw)


def test_deeply_nested_line_is_rejected_and_the_next_line_goes_on(tmp_path):
    path = tmp_path / "deep.jsonl"
    deep = "[" * 100_000 + "]" * 100_000
    path.write_text(deep + "\n" + json.dumps(event()) + "\n", encoding="utf-8")
    bad, good = read(path)
    assert isinstance(bad, Rejected) and bad.line == 1 and "nested too deeply" in bad.reason
    assert good.event_id == "ok-1"


def test_deeply_nested_json_file_is_rejected_not_raised(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text('{"a":' * 5000 + "1" + "}" * 5000, encoding="utf-8")
    (bad,) = read(path)
    assert isinstance(bad, Rejected) and "nested too deeply" in bad.reason


def test_line_separators_inside_json_strings_do_not_split_records(tmp_path):
    # U+2028, U+2029 and U+0085 are legal unescaped in a JSON string; str.splitlines cuts there.
    path = tmp_path / "seps.jsonl"
    rows = [
        event(event_id="a", body="Australia and Japan agreed\u2028 to set up a minerals group."),
        event(event_id="b", body="Australia and Japan agreed\x85 to hold\u2029 talks."),
    ]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    items = read(path)
    assert [i.event_id for i in items] == ["a", "b"]


def test_bom_and_crlf_jsonl(tmp_path):
    path = tmp_path / "win.jsonl"
    lines = [json.dumps(event(event_id=f"w{i}")) for i in range(3)]
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(lines).encode() + b"\r\n\r\n")
    assert [i.event_id for i in read(path)] == ["w0", "w1", "w2"]


def test_bad_line_numbers_count_only_newlines(tmp_path):
    path = tmp_path / "n.jsonl"
    row = event(event_id="a", body="Australia\u2028and Japan agreed.")
    first = json.dumps(row, ensure_ascii=False)
    path.write_text(first + "\n{broken\n", encoding="utf-8")
    good, bad = read(path)
    assert good.event_id == "a" and isinstance(bad, Rejected) and bad.line == 2


@pytest.mark.parametrize(
    "value",
    [
        "9999-12-31T23:59:59-12:00",  # past datetime.max once in UTC
        "0001-01-01T00:00:00+14:00",  # before datetime.min once in UTC
        1700000000,  # Unix seconds: not ISO 8601
        "1700000000",
        1.5,
    ],
)
def test_out_of_range_or_numeric_published_at_is_rejected(tmp_path, value):
    path = tmp_path / "t.jsonl"
    path.write_text(json.dumps(event(published_at=value)) + "\n", encoding="utf-8")
    (bad,) = read(path)
    assert isinstance(bad, Rejected) and bad.field == "published_at", bad


def test_plus_14_and_z_forms_of_one_instant_are_the_same_time(tmp_path):
    path = tmp_path / "t.jsonl"
    rows = [
        event(event_id="z", published_at="2026-04-12T00:00:00Z"),
        event(event_id="p", published_at="2026-04-12T00:00:00+00:00"),
        event(event_id="k", published_at="2026-04-12T14:00:00+14:00"),
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    times = {i.published_at for i in read(path)}
    assert times == {datetime(2026, 4, 12, tzinfo=UTC)}


def txt(tmp_path: Path, text: str = "Headline\nAustralia and Japan agreed to talk.\n") -> Path:
    path = tmp_path / "a.txt"
    path.write_text(text, encoding="utf-8")
    return path


AT = datetime(2026, 2, 8, tzinfo=UTC)


@pytest.mark.parametrize(
    ("opts", "words"),
    [
        (TextOptions(), "--published-at"),
        (TextOptions(kind="statement", published_at=AT, source="MEA"), "--issuer-country"),
        (
            TextOptions(kind="statement", published_at=AT, source="MEA", issuer_country="XX"),
            "unknown country code 'XX'",
        ),
        (TextOptions(kind="statement", published_at=AT, issuer_country="IN"), "--issuer"),
    ],
)
def test_txt_option_mistakes_stop_before_anything_is_read(tmp_path, opts, words):
    with pytest.raises(InputError, match=words):
        read(txt(tmp_path), opts)


def test_txt_option_checks_do_not_apply_to_json_files(tmp_path):
    path = tmp_path / "e.jsonl"
    path.write_text(json.dumps(event()) + "\n", encoding="utf-8")
    (item,) = read(path, TextOptions(kind="statement"))
    assert item.event_id == "ok-1"


def test_txt_body_limit_is_the_configured_one(tmp_path):
    (item,) = read(txt(tmp_path, "T\n" + "x " * 100), TextOptions(published_at=AT), limit=50)
    assert isinstance(item, Rejected) and item.field == "body" and "limit is 50" in item.reason


def test_origins_give_each_event_its_first_file_and_line(tmp_path):
    path = tmp_path / "o.jsonl"
    rows = [event(event_id="a"), event(event_id="b"), event(event_id="a")]
    path.write_text("\n" + "".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    origins: dict = {}
    read(path, origins=origins)
    assert origins == {"a": (str(path), 2), "b": (str(path), 3)}


def test_a_file_not_in_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.jsonl"
    path.write_bytes('{"a": 1}\n\n{"body": "café"}\n'.encode("latin-1"))
    column = len('{"body": "caf') + 1
    with pytest.raises(
        InputError, match=rf"not UTF-8: line 3, byte {column} of the line \(byte 0xe9\)"
    ):
        read_inputs([path], TextOptions(), max_body_chars=100_000)
