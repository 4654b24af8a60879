"""The command line's two runtimes offer the same methods (CommandRuntime), and the embedded one
answers them from a store the way the commands print."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import pytest

from service.config import Settings
from service.runtime.commands import AlertQuery, CommandError, CommandRuntime, RedriveNote
from service.runtime.embedded import EmbeddedRuntime
from service.runtime.embedded_commands import EmbeddedCommands
from service.runtime.inputs import Rejected
from service.runtime.kafka_commands import KafkaCommands

METHODS = sorted(
    name
    for name, value in vars(CommandRuntime).items()
    if inspect.isfunction(value) and not name.startswith("_")
)


def test_the_protocol_names_what_the_commands_call() -> None:
    assert METHODS == [
        "alerts",
        "dead_letter",
        "dead_letters",
        "redrive",
        "relationships",
        "replay",
        "state",
    ]


@pytest.mark.parametrize("impl", [EmbeddedCommands, KafkaCommands])
@pytest.mark.parametrize("name", METHODS)
def test_both_runtimes_take_the_same_parameters(impl: type, name: str) -> None:
    wanted = inspect.signature(getattr(CommandRuntime, name)).parameters
    got = inspect.signature(getattr(impl, name)).parameters
    assert list(got) == list(wanted)


def test_a_missing_store_is_an_error_that_says_how_to_make_one(tmp_path: Path) -> None:
    runtime = EmbeddedCommands(Settings(data_dir=tmp_path / "none"))
    with pytest.raises(CommandError) as caught:
        runtime.state("CA-IN", None)
    assert caught.value.code == 2 and "ingest" in caught.value.message
    assert not (tmp_path / "none").exists()


def test_the_embedded_runtime_answers_from_its_store(tmp_path: Path, dev_items: Any) -> None:
    with EmbeddedRuntime(tmp_path) as store:
        ingested = store.ingest(dev_items)
        dyads = store.dyads()
        expected = store.state(dyads[0])
    runtime = EmbeddedCommands(Settings(data_dir=tmp_path))
    assert runtime.state(dyads[0], None) == expected
    assert [s.dyad for s in runtime.relationships(None)] == dyads
    with pytest.raises(CommandError, match="no relationship AU-ZW"):
        runtime.state("AU-ZW", None)
    batches: list[list[Any]] = []
    runtime.alerts(AlertQuery(), batches.append)
    assert [a.alert_id for a in batches[0]] == [a.alert_id for a in ingested.alerts]
    rejected = [i for i in dev_items if isinstance(i, Rejected)]
    rows = runtime.dead_letters()
    assert rejected, "the dev events include a bad record"
    assert len(rows) == len(rejected) and all(r.ref is None for r in rows)
    letter, attempts = runtime.dead_letter(rows[0].letter.dead_letter_id)
    assert letter == rows[0].letter and attempts == []
    notes: list[RedriveNote] = []
    # the original is sent again unchanged: still invalid, and counted as a failure
    assert runtime.redrive([letter.dead_letter_id], None, notes.append) == 1
    assert [(n.outcome, n.letter_id) for n in notes] == [("still invalid", letter.dead_letter_id)]
    assert runtime.dead_letter(letter.dead_letter_id)[1] == []


def test_kafka_state_needs_no_broker_settings_but_the_rest_does() -> None:
    runtime = KafkaCommands(None, "127.0.0.1:1")
    assert runtime.url == "http://127.0.0.1:1"
    with pytest.raises(CommandError, match="--bootstrap"):
        runtime.dead_letters()
