"""Attacks on the embedded runtime and the command line: bad input, concurrent writers, Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

from service.runtime.embedded import EmbeddedRuntime
from service.runtime.inputs import TextOptions, read_inputs
from tests.conftest import SEED_FILE


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "service", *args], capture_output=True, text=True, timeout=120
    )


def news(event_id: str, published_at: str, body: str) -> dict:
    return {
        "event_id": event_id,
        "schema_version": 2,
        "type": "news_article",
        "published_at": published_at,
        "source": {"name": "Example Wire"},
        "body": body,
    }


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def bulk(path: Path, count: int) -> Path:
    rows = [
        news(
            f"bulk-{i:04d}",
            f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}T{i % 24:02d}:00:00Z",
            f"Canada and India agreed to set up a working group on trade number {i} "
            "by the end of March.",
        )
        for i in range(count)
    ]
    return write_jsonl(path, rows)


def test_far_future_event_is_rejected_and_the_rest_go_on(tmp_path):
    path = write_jsonl(
        tmp_path / "late.jsonl",
        [
            news(
                "far",
                "9999-12-31T23:59:59+14:00",
                "Canada and India agreed to meet within 30 days.",
            ),
            news("ok", "2026-02-01T00:00:00Z", "Canada and India agreed to hold talks on trade."),
        ],
    )
    store = tmp_path / "s"
    done = cli("ingest", str(path), "--data-dir", str(store))
    assert done.returncode == 2, done.stderr
    assert f"{path}:1: published_at:" in done.stderr
    assert "accepted 1" in done.stderr


def test_event_the_domain_fails_on_is_dead_lettered_and_the_rest_go_on(tmp_path, monkeypatch):
    """A domain failure on one event rolls that event back, dead-letters it with its file and
    line, and the events after it are still stored."""
    from service.runtime import embedded
    from service.runtime.inputs import TextOptions, read_inputs

    real = embedded.extract

    def failing(event):
        if event.event_id == "boom":
            raise OverflowError("date value out of range")
        return real(event)

    monkeypatch.setattr(embedded, "extract", failing)
    path = write_jsonl(
        tmp_path / "e.jsonl",
        [
            news("boom", "2026-01-01T00:00:00Z", "Canada and India agreed to meet."),
            news("ok", "2026-02-01T00:00:00Z", "Canada and India agreed to hold talks on trade."),
        ],
    )
    origins: dict = {}
    items = read_inputs([path], TextOptions(), max_body_chars=100_000, origins=origins)
    with EmbeddedRuntime(tmp_path / "s") as runtime:
        result = runtime.ingest(items, origins=origins)
        (letter,) = runtime.dead_letters()
        assert (letter.event_id, letter.file, letter.line) == ("boom", str(path), 1)
        assert "extraction failed: OverflowError" in letter.reason
        assert [e.event_id for e in runtime.events()] == ["ok"] and result.accepted == 1
        report = runtime.replay()
    assert report["checksum_before"] == report["checksum_after"]


def test_second_writer_waits_for_the_first_instead_of_failing(tmp_path):
    store = tmp_path / "s"
    path = bulk(tmp_path / "b.jsonl", 5)
    log = tmp_path / "second.stderr"
    with EmbeddedRuntime(store) as holder, holder.writing(), log.open("w") as stderr_file:
        proc = subprocess.Popen(
            [sys.executable, "-m", "service", "ingest", str(path), "--data-dir", str(store)],
            stdout=subprocess.DEVNULL,
            stderr=stderr_file,
            text=True,
        )
        deadline = time.monotonic() + 120  # however slowly the second process starts
        while "waiting for another process writing to" not in log.read_text():
            assert proc.poll() is None, log.read_text()  # waiting, not "database is locked"
            assert time.monotonic() < deadline, "the second writer never said it was waiting"
            time.sleep(0.1)
        assert proc.poll() is None
    assert proc.wait(timeout=120) == 0, log.read_text()
    assert "accepted 5" in log.read_text()


def test_two_concurrent_ingests_both_finish(tmp_path):
    store = tmp_path / "s"
    first, second = bulk(tmp_path / "a.jsonl", 150), tmp_path / "b.jsonl"
    rows = [json.loads(line) for line in first.read_text().splitlines()]
    write_jsonl(second, [{**r, "event_id": "other-" + r["event_id"]} for r in rows])
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "service", "ingest", str(p), "--data-dir", str(store)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for p in (first, second)
    ]
    errors = [p.communicate(timeout=300)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], errors
    with EmbeddedRuntime(store) as runtime:
        assert runtime.counts()["events"] == 300


def stored_events(db_path: Path) -> int:
    """Events in a store another process is writing; 0 until that process has created its schema."""
    if not db_path.exists():
        return 0
    db = sqlite3.connect(db_path, timeout=30)
    try:
        return db.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return 0
        raise
    finally:
        db.close()


def test_ctrl_c_leaves_a_consistent_store_and_says_so(tmp_path):
    store = tmp_path / "s"
    path = bulk(tmp_path / "b.jsonl", 400)
    proc = subprocess.Popen(
        [sys.executable, "-m", "service", "ingest", str(path), "--data-dir", str(store), "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # a shell may start background jobs with SIGINT ignored; the child must see Ctrl-C
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    db_path = store / "monitor.sqlite3"
    deadline = time.monotonic() + 60
    stored = 0
    while stored < 20 and time.monotonic() < deadline:
        time.sleep(0.2)
        stored = stored_events(db_path)
    os.kill(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "interrupted:" in err and "run the same command again" in err
    with EmbeddedRuntime(store) as runtime:
        counts = runtime.counts()
        assert 0 < counts["events"] < 400
        assert f"accepted {counts['events']}," in err
        assert len(out.splitlines()) == counts["alerts"]  # the stored events' alerts printed
        db = runtime.db
        orphans = db.execute(
            "SELECT COUNT(*) FROM observations o WHERE NOT EXISTS "
            "(SELECT 1 FROM events e WHERE e.event_id = o.event_id)"
        ).fetchone()[0]
        assert orphans == 0
        report = runtime.replay()
    assert report["checksum_before"] == report["checksum_after"]
    assert report["alert_ids_equal"] is True
    again = cli("ingest", str(path), "--data-dir", str(store))
    assert again.returncode == 0 and f"duplicates ignored {counts['events']}" in again.stderr


def test_txt_option_mistakes_exit_2_and_write_nothing(tmp_path, shared):
    store = tmp_path / "s"
    seed = str(shared / SEED_FILE)
    for extra, words in [
        ([], "--published-at is required"),
        (["--published-at", "2026-02-08T00:00:00Z", "--kind", "statement"], "--issuer-country"),
        (["--published-at", "1700000000"], "ISO 8601"),
    ]:
        done = cli("ingest", seed, "--data-dir", str(store), *extra)
        assert done.returncode == 2 and words in done.stderr, done.stderr
    assert not store.exists()


def test_as_of_out_of_range_is_bad_input(tmp_path, shared):
    done = cli(
        "state", "CA-IN", "--as-of", "9999-12-31T23:59:59-12:00", "--data-dir", str(tmp_path)
    )
    assert done.returncode == 2 and "out of range" in done.stderr


def test_same_txt_with_z_or_offset_time_is_one_event(tmp_path, shared):
    seed = shared / SEED_FILE
    items = [
        item
        for at in ("2026-02-08T00:00:00Z", "2026-02-08T05:30:00+05:30")
        for item in read_inputs(
            [seed],
            TextOptions(published_at=datetime.fromisoformat(at), source="CNN-News18"),
            max_body_chars=100_000,
        )
    ]
    with EmbeddedRuntime(tmp_path / "s") as runtime:
        result = runtime.ingest(items)
    assert (result.accepted, result.duplicates) == (1, 1)
