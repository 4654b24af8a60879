"""The command line as scripts use it: exit codes, messages, JSON output (subprocesses)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, SEED_FILE, SEED_PUBLISHED_AT


def cli(*args: str, data_dir: Path | None = None) -> subprocess.CompletedProcess[str]:
    extra = ["--data-dir", str(data_dir)] if data_dir is not None else []
    return subprocess.run(
        [sys.executable, "-m", "service", *args, *extra],
        capture_output=True,
        text=True,
        timeout=120,
    )


def seed_args(shared: Path) -> list[str]:
    return [
        "ingest",
        str(shared / SEED_FILE),
        "--kind",
        "news",
        "--source",
        "CNN-News18",
        "--published-at",
        SEED_PUBLISHED_AT,
    ]


def test_ingest_seed_then_state_json(tmp_path, shared):
    store = tmp_path / "s"
    done = cli(*seed_args(shared), data_dir=store)
    assert done.returncode == 0, done.stderr
    assert "accepted 1" in done.stderr
    shown = cli("state", "IN-CA", "--json", data_dir=store)
    assert shown.returncode == 0, shown.stderr
    body = json.loads(shown.stdout)
    assert set(body) == {"dyad", "as_of", "commitments", "engagements"}
    assert body["dyad"] == "CA-IN" and body["commitments"]
    table = cli("state", "CA-IN", data_dir=store)
    assert table.returncode == 0 and "commitments as of" in table.stdout


def test_dev_sequence_dead_letters_and_exits_2(tmp_path, shared):
    store = tmp_path / "s"
    assert cli(*seed_args(shared), data_dir=store).returncode == 0
    done = cli("ingest", str(shared / "data" / "dev_events.jsonl"), data_dir=store)
    assert done.returncode == 2
    assert "rejected 1" in done.stderr and "published_at" in done.stderr
    assert "dev_events.jsonl:" in done.stderr  # file:line of the bad record
    letters = cli("deadletters", "--json", data_dir=store)
    (letter,) = [json.loads(line) for line in letters.stdout.splitlines()]
    assert letter["event_id"] == "dev-012" and letter["line"] >= 1
    alerts = cli("alerts", "--json", "--dyad", "CA-IN", data_dir=store)
    kinds = {json.loads(line)["kind"] for line in alerts.stdout.splitlines()}
    assert {"commitment.contradicted", "commitment.deadline_missed"} <= kinds
    only = cli("alerts", "--json", "--kind", "commitment.reversed", data_dir=store)
    assert {json.loads(x)["kind"] for x in only.stdout.splitlines()} == {"commitment.reversed"}


def test_replay_reports_identical_state(tmp_path, shared):
    store = tmp_path / "s"
    cli(*seed_args(shared), data_dir=store)
    before = cli("state", "CA-IN", "--json", data_dir=store).stdout
    done = cli("replay", "--json", data_dir=store)
    report = json.loads(done.stdout)
    assert report["checksum_before"] == report["checksum_after"]
    assert report["alert_ids_equal"] is True
    assert cli("state", "CA-IN", "--json", data_dir=store).stdout == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ingest", "/nonexistent/file.jsonl"], "no such file"),
        (["ingest", str(REPO_ROOT / "pyproject.toml")], "unsupported file type"),
        (["state", "CA"], "two ISO codes"),
        (["state", "CA-XX"], "unknown country code"),
        (["state", "CA-IN", "--as-of", "yesterday"], "--as-of"),
    ],
)
def test_bad_input_exits_2_with_a_message(tmp_path, args, message):
    done = cli(*args, data_dir=tmp_path / "s")
    assert done.returncode == 2, done
    assert message in done.stderr


def test_unreadable_file_writes_nothing(tmp_path, shared):
    good = tmp_path / "good.jsonl"
    good.write_text((shared / "data" / "dev_events.jsonl").read_text().splitlines()[0] + "\n")
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(b"\xff\xfe not utf-8\n")
    store = tmp_path / "s"
    done = cli("ingest", str(good), str(bad), data_dir=store)
    assert done.returncode == 2 and "not UTF-8" in done.stderr
    assert "nothing was written" in done.stderr
    listed = cli("alerts", "--json", data_dir=store)
    assert listed.stdout == ""


def test_txt_needs_published_at(tmp_path, shared):
    done = cli("ingest", str(shared / SEED_FILE), data_dir=tmp_path / "s")
    assert done.returncode == 2 and "--published-at" in done.stderr


def test_unknown_dyad_is_exit_2(tmp_path, shared):
    store = tmp_path / "s"
    assert cli(*seed_args(shared), data_dir=store).returncode == 0
    done = cli("state", "FR-DE", data_dir=store)
    assert done.returncode == 2 and "no relationship DE-FR" in done.stderr
    assert "known: CA-IN" in done.stderr


def test_demo_runs_and_prints_alerts_and_state():
    done = cli("demo")
    assert done.returncode == 0, done.stderr
    for words in ("commitment", "status_changed", "contradicted", "deadline_missed", "AU-JP"):
        assert words in done.stdout, words
    assert "identical=True" in done.stdout


def test_dead_letter_show_and_redrive_keep_the_original(tmp_path, shared):
    store = tmp_path / "s"
    cli("ingest", str(shared / "data" / "dev_events.jsonl"), data_dir=store)
    (letter,) = [
        json.loads(x) for x in cli("deadletters", "--json", data_dir=store).stdout.splitlines()
    ]
    shown = cli("deadletters", "show", letter["dead_letter_id"][:6], "--json", data_dir=store)
    assert json.loads(shown.stdout)["reason"] == letter["reason"]
    again = cli("deadletters", "redrive", letter["dead_letter_id"], data_dir=store)
    assert again.returncode == 2 and "still invalid" in again.stderr
    fixed = json.loads(letter["original"])
    fixed["published_at"] = "2026-05-24T00:00:00Z"
    fixed_file = tmp_path / "fixed.json"
    fixed_file.write_text(json.dumps(fixed))
    done = cli(
        "deadletters",
        "redrive",
        letter["dead_letter_id"],
        "--with",
        str(fixed_file),
        data_dir=store,
    )
    assert done.returncode == 0, done.stderr
    assert "ingested" in done.stderr
    after = cli("deadletters", "show", letter["dead_letter_id"], "--json", data_dir=store)
    body = json.loads(after.stdout)
    assert body["original"] == letter["original"]
    assert [r["outcome"] for r in body["redrives"]] == ["ingested"]
    twice = cli(
        "deadletters",
        "redrive",
        letter["dead_letter_id"],
        "--with",
        str(fixed_file),
        data_dir=store,
    )
    assert twice.returncode == 0 and "duplicate" in twice.stderr
    missing = cli("deadletters", "show", "zzzzzz", data_dir=store)
    assert missing.returncode == 2 and "no dead letter" in missing.stderr


def test_commitment_history_by_id_prefix(tmp_path, shared):
    store = tmp_path / "s"
    cli(*seed_args(shared), data_dir=store)
    cli("ingest", str(shared / "data" / "dev_events.jsonl"), data_dir=store)
    state = json.loads(cli("state", "CA-IN", "--json", data_dir=store).stdout)
    cyber = next(c for c in state["commitments"] if "cyber" in c["title"].lower())
    shown = cli("state", "CA-IN", "--commitment", cyber["id"][:12], "--json", data_dir=store)
    body = json.loads(shown.stdout)
    assert [h["status"] for h in body["status_history"]] == [
        h["status"] for h in cyber["status_history"]
    ]
    assert len(body["status_history"]) >= 3
    table = cli("state", "CA-IN", "--commitment", cyber["id"], data_dir=store)
    assert "status history" in table.stdout and "paused" in table.stdout
    none = cli("state", "CA-IN", "--commitment", "nope", data_dir=store)
    assert none.returncode == 2 and "0 commitments" in none.stderr


def test_short_alert_kind_and_options_before_the_subcommand(tmp_path, shared):
    store = tmp_path / "s"
    cli(*seed_args(shared), data_dir=store)
    cli("ingest", str(shared / "data" / "dev_events.jsonl"), data_dir=store)
    short = cli("alerts", "--kind", "contradicted", "--json", data_dir=store)
    full = cli("alerts", "--kind", "commitment.contradicted", "--json", data_dir=store)
    assert short.returncode == 0 and short.stdout == full.stdout and short.stdout
    (letter,) = [
        json.loads(x) for x in cli("deadletters", "--json", data_dir=store).stdout.splitlines()
    ]
    # `deadletters --data-dir D show ID`: the group's options reach the subcommand.
    shown = subprocess.run(
        [
            sys.executable,
            "-m",
            "service",
            "deadletters",
            "--data-dir",
            str(store),
            "--json",
            "show",
            letter["dead_letter_id"],
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["dead_letter_id"] == letter["dead_letter_id"]


def test_missing_txt_is_reported_before_missing_options(tmp_path):
    done = cli("ingest", str(tmp_path / "nosuch.txt"), data_dir=tmp_path / "s")
    assert done.returncode == 2 and "no such file" in done.stderr


def test_unreachable_broker_says_how_to_get_one(tmp_path, shared):
    done = cli("publish", str(shared / "data" / "dev_events.jsonl"), "--bootstrap", "127.0.0.1:9")
    assert done.returncode == 1
    assert "is a broker running?" in done.stderr and "scripts/kafka start" in done.stderr


def test_follow_without_bootstrap_uses_the_configured_broker(tmp_path):
    env = {**os.environ, "BILATERAL_MONITOR_BOOTSTRAP": "127.0.0.1:9"}
    done = subprocess.run(
        [sys.executable, "-m", "service", "alerts", "--follow", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert done.returncode == 1
    assert "127.0.0.1:9" in done.stderr and "is a broker running?" in done.stderr


def dev_store(tmp_path: Path, shared: Path) -> Path:
    """A store holding the seed article and the dev sequence (one record of which is rejected)."""
    store = tmp_path / "s"
    assert cli(*seed_args(shared), data_dir=store).returncode == 0
    assert cli("ingest", str(shared / "data" / "dev_events.jsonl"), data_dir=store).returncode == 2
    return store


def test_state_without_dyad_lists_relationships_latest_first(tmp_path, shared):
    from service.domain.attention import last_event_time, needs_attention

    store = dev_store(tmp_path, shared)
    listed = cli("state", "--json", data_dir=store)
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert len(rows) >= 2
    times = [row["last_event_time"] for row in rows]
    assert times == sorted(times, reverse=True)
    for row in rows:
        shown = cli("state", row["dyad"], "--json", data_dir=store)
        from schemas.state import RelationshipState

        one = RelationshipState.model_validate_json(shown.stdout)
        assert row["commitments"] == len(one.commitments)
        assert sum(row["by_status"].values()) == len(one.commitments)
        for status, count in row["by_status"].items():
            assert count == sum(1 for c in one.commitments if c.status.value == status)
        assert row["needs_attention"] == sum(1 for c in one.commitments if needs_attention(c))
        assert row["last_event_time"] == last_event_time(one).isoformat().replace("+00:00", "Z")
    table = cli("state", data_dir=store)
    assert table.returncode == 0 and all(row["dyad"] in table.stdout for row in rows)
    assert table.stdout.index(rows[0]["dyad"]) < table.stdout.index(rows[-1]["dyad"])


def test_state_lists_commitments_that_need_attention_first(tmp_path, shared):
    from schemas.state import RelationshipState
    from service.domain.attention import attention_key

    store = dev_store(tmp_path, shared)
    shown = RelationshipState.model_validate_json(
        cli("state", "CA-IN", "--json", data_dir=store).stdout
    )
    statuses = [c.status.value for c in shown.commitments]
    assert statuses[:2] == ["reversed", "lapsed"], statuses
    assert shown.commitments == sorted(shown.commitments, key=attention_key)
    table = cli("state", "CA-IN", data_dir=store).stdout
    assert table.index("reversed") < table.index("lapsed") < table.index("fulfilled")


@pytest.mark.parametrize("args", [["state", "CA-IN"], ["state"], ["alerts"], ["deadletters"]])
def test_a_closed_pipe_ends_the_command_quietly(tmp_path, shared, args):
    store = dev_store(tmp_path, shared)
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first line is written (`| head -0`)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "service", *args, "--data-dir", str(store)],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    finally:
        os.close(write_end)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""


@pytest.mark.parametrize(
    "args", [["state"], ["state", "CA-IN"], ["alerts"], ["deadletters"], ["replay"]]
)
def test_a_read_never_creates_a_store(tmp_path, args):
    empty = tmp_path / "empty"
    empty.mkdir()
    for folder in (empty, tmp_path / "missing"):
        done = cli(*args, data_dir=folder)
        assert done.returncode == 2, done.stderr
        assert f"no store in {folder}" in " ".join(done.stderr.split())
        assert "bilateral-monitor ingest" in done.stderr
    assert list(empty.iterdir()) == [] and not (tmp_path / "missing").exists()


def test_help_keeps_each_paragraph_on_one_line():
    import inspect

    from service.cli import app

    env = {**os.environ, "COLUMNS": "2000"}
    for info in app.registered_commands:
        name = info.name or info.callback.__name__
        shown = subprocess.run(
            [sys.executable, "-m", "service", name, "--help"],
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
        )
        assert shown.returncode == 0, shown.stderr
        lines = [" ".join(line.split()) for line in shown.stdout.splitlines()]
        for paragraph in inspect.cleandoc(info.callback.__doc__ or "").split("\n\n"):
            assert " ".join(paragraph.split()) in lines, (name, paragraph)
