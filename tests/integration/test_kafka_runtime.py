"""The Kafka runtime against a real broker: two Faust workers agree with the embedded runtime.

Scenario (module fixture, run once): topics of 4 partitions, two worker processes, a follower
(``read_alerts(follow=True)``) started before publishing, then the seed article and every line of
data/dev_events.jsonl published one at a time (each waits until its ClockTick is on every
partition of the observations topic, i.e. a live stream), the rejected line dead-lettered by the
publisher, and two undecodable messages written straight to ``bilateral.news``.
"""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from schemas.alerts import Alert
from schemas.codec import decode_alert, decode_dead_letter
from schemas.state import RelationshipState
from service.config import Settings
from service.runtime.embedded import EmbeddedRuntime, state_checksum
from service.runtime.inputs import Rejected
from service.runtime.kafka_cli import fetch_state, publish_events, read_alerts
from service.runtime.kafka_io import (
    ALERTS,
    DEADLETTER,
    NEWS,
    connection_options,
    ensure_topics,
)
from service.runtime.kafka_replay import compare_live, rebuild
from tests.integration.conftest import (
    Item,
    WorkerProcess,
    assert_recovered_cleanly,
    dev_items,
    free_port,
    read_topic,
    unique_settings,
    wait_assigned,
)

pytestmark = pytest.mark.kafka

DYADS = ("CA-IN", "CN-US")
AS_OF = datetime(2026, 3, 1, tzinfo=UTC)
BAD_RAW = [
    b'{"event_id": "raw-bad-1", "type": "news_article", "published_at": "yesterday", '
    b'"source": {"name": "x"}, "body": "text"}',
    b"\xff\xfe not utf-8",
]


@dataclass
class Expected:
    """What the embedded runtime makes of the same input."""

    states: dict[str, str]
    as_of: dict[str, str]
    alert_ids: set[str]
    per_dyad: dict[str, list[str]]


def embedded_result(items: list[Item], data_dir: Path) -> Expected:
    with EmbeddedRuntime(data_dir) as runtime:
        runtime.ingest(items)
        states = {}
        as_of = {}
        for dyad in DYADS:
            state = runtime.state(dyad)
            assert state is not None, dyad
            states[dyad] = state.model_dump_json()
            past = runtime.state(dyad, AS_OF)
            as_of[dyad] = past.model_dump_json() if past else ""
        alerts = runtime.alerts()
    per_dyad: dict[str, list[str]] = defaultdict(list)
    for alert in alerts:
        per_dyad[alert.dyad].append(alert.alert_id)
    return Expected(states, as_of, {a.alert_id for a in alerts}, dict(per_dyad))


async def publish_paced(
    settings: Settings, items: list[Item], timeout: float = 60
) -> list[Rejected]:
    """Publish the events with ``publish --in-order`` semantics (each extracted before the next
    is sent); returns the rejected items (unsent)."""
    events = [i for i in items if not isinstance(i, Rejected)]
    report = await publish_events(settings, events, [], in_order=True, wait_seconds=timeout)
    assert report.written == len(events)
    return [i for i in items if isinstance(i, Rejected)]


async def converge(workers: list[WorkerProcess], expected: Expected, timeout: float = 120) -> None:
    """Poll every worker's HTTP view until it serves the expected state of each dyad."""
    deadline = asyncio.get_running_loop().time() + timeout
    last: Any = None
    while True:
        try:
            got = {
                (w.port, d): (
                    await asyncio.to_thread(fetch_state, w.url, d, None)
                ).model_dump_json()
                for w in workers
                for d in DYADS
            }
            if all(got[(w.port, d)] == expected.states[d] for w in workers for d in DYADS):
                return
            last = "state differs"
        except (LookupError, ConnectionError) as exc:
            last = exc
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"workers did not converge in {timeout}s: {last}")
        await asyncio.sleep(0.25)


async def raw_alerts(settings: Settings) -> list[Alert]:
    return [decode_alert(r.value) for r in await read_topic(settings, settings.topic(ALERTS))]


@dataclass
class Scenario:
    settings: Settings
    expected: Expected
    workers: list[WorkerProcess]
    followed: list[Alert] = field(default_factory=list)
    on_topic: list[Alert] = field(default_factory=list)
    dead: list[Any] = field(default_factory=list)
    states_as_of: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    rebuilt: Any = None
    rebuilt_matches_live: dict[str, bool] = field(default_factory=dict)
    owner_dead: dict[str, tuple[int, str]] = field(default_factory=dict)
    """Status and body of each dyad asked of worker 1 right after worker 2 was SIGKILLed."""


@pytest.fixture(scope="module")
def scenario(
    kafka_bootstrap: str, shared: Path, tmp_path_factory: pytest.TempPathFactory
) -> Scenario:
    tmp = tmp_path_factory.mktemp("scenario")
    items = dev_items(shared)
    expected = embedded_result(items, tmp / "embedded")
    settings = unique_settings(kafka_bootstrap, tmp / "kafka")
    asyncio.run(ensure_topics(settings))
    workers = [WorkerProcess(settings, free_port(), tmp / f"worker{i}.log").start() for i in (1, 2)]
    result = Scenario(settings, expected, workers)
    try:
        wait_assigned(workers, settings)
        asyncio.run(_run_scenario(result, items))
        workers[1].kill()  # its partitions stay its own until the session times out
        for dyad in sorted({a.dyad for a in result.on_topic}):
            result.owner_dead[dyad] = http_status(f"{workers[0].url}/relationships/{dyad}")
    except BaseException:
        for w in workers:
            print(f"--- worker {w.port} ---\n{w.log_tail()}")
        raise
    finally:
        for w in workers:
            w.stop()
    return result


async def _run_scenario(result: Scenario, items: list[Item]) -> None:
    settings, expected, workers = result.settings, result.expected, result.workers
    ready = asyncio.Event()

    async def follow() -> None:
        async for alert in read_alerts(
            settings, follow=True, from_beginning=False, dyad=None, kind=None, ready=ready
        ):
            result.followed.append(alert)

    follower = asyncio.create_task(follow())
    await asyncio.wait_for(ready.wait(), 30)
    try:
        rejected = await publish_paced(settings, items)
        report = await publish_events(settings, [], rejected)
        assert report.dead_lettered == len(rejected) == 1
        producer = AIOKafkaProducer(**connection_options(settings))
        await producer.start()
        try:
            for n, raw in enumerate(BAD_RAW):
                await producer.send_and_wait(settings.topic(NEWS), raw, key=f"raw-{n}".encode())
        finally:
            await producer.stop()
        await converge(workers, expected)
        deadline = asyncio.get_running_loop().time() + 30
        while len(result.followed) < len(expected.alert_ids):
            assert asyncio.get_running_loop().time() < deadline, "follower missed alerts"
            await asyncio.sleep(0.1)
        await asyncio.sleep(1.0)  # anything extra (a duplicate) would show up now
        for dyad in DYADS:
            state = await asyncio.to_thread(fetch_state, workers[0].url, dyad, AS_OF)
            result.states_as_of[dyad] = state.model_dump_json()
        for name, args in {
            "unknown": ("DE-FR", None),
            "bad_dyad": ("XX-YY", None),
        }.items():
            try:
                await asyncio.to_thread(fetch_state, workers[1].url, *args)
                result.errors[name] = "no error"
            except (LookupError, ValueError, ConnectionError) as exc:
                result.errors[name] = f"{type(exc).__name__}: {exc}"
        deadline = asyncio.get_running_loop().time() + 30
        while True:
            result.dead = [
                decode_dead_letter(r.value)
                for r in await read_topic(settings, settings.topic(DEADLETTER))
            ]
            if len(result.dead) >= 1 + len(BAD_RAW):
                break
            assert asyncio.get_running_loop().time() < deadline, result.dead
            await asyncio.sleep(0.2)
        result.on_topic = await raw_alerts(settings)
        result.rebuilt = await rebuild(settings)
        result.rebuilt_matches_live = await asyncio.to_thread(
            compare_live, result.rebuilt, workers[1].url
        )
    finally:
        follower.cancel()
        await asyncio.gather(follower, return_exceptions=True)


def test_replay_from_offset_zero_matches_the_live_state(scenario: Scenario) -> None:
    """`replay --bootstrap`: the inbound topics read from offset 0 into a fresh store give the
    state the live workers serve, dyad by dyad, and the embedded runtime's checksum."""
    rebuilt = scenario.rebuilt
    assert set(rebuilt.dyads) == set(DYADS)
    assert scenario.rebuilt_matches_live == {d: True for d in sorted(DYADS)}
    assert rebuilt.undecodable == len(BAD_RAW) and rebuilt.duplicates == 1
    embedded = {
        d: state_checksum([RelationshipState.model_validate_json(s)])
        for d, s in scenario.expected.states.items()
    }
    assert rebuilt.dyads == embedded


def test_two_workers_serve_the_embedded_state(scenario: Scenario) -> None:
    # converge() already demanded byte-identical state from both workers; check as_of too.
    assert scenario.states_as_of == scenario.expected.as_of


def test_alert_ids_are_those_of_the_embedded_runtime(scenario: Scenario) -> None:
    ids = [a.alert_id for a in scenario.on_topic]
    duplicates = [i for i, n in Counter(ids).items() if n > 1]
    assert not duplicates, duplicates
    assert set(ids) == scenario.expected.alert_ids
    assert all(a.emitted_at.tzinfo is not None for a in scenario.on_topic)


def test_follower_gets_each_alert_once_in_order_per_dyad(scenario: Scenario) -> None:
    got: dict[str, list[str]] = defaultdict(list)
    for alert in scenario.followed:
        got[alert.dyad].append(alert.alert_id)
    assert dict(got) == scenario.expected.per_dyad


def test_malformed_events_are_dead_lettered(scenario: Scenario) -> None:
    by_event = {d.event_id: d for d in scenario.dead}
    dev12 = by_event["dev-012"]
    assert "published_at" in dev12.reason
    assert dev12.field == "published_at"
    assert dev12.original and json.loads(dev12.original)["event_id"] == "dev-012"
    from_agent = [d for d in scenario.dead if d.topic == scenario.settings.topic(NEWS)]
    assert len(from_agent) == len(BAD_RAW), scenario.dead
    for letter in from_agent:
        assert letter.partition is not None and letter.offset is not None
        assert letter.reason
    text = next(d for d in from_agent if d.event_id == "raw-bad-1")
    assert "published_at" in text.reason
    binary = next(d for d in from_agent if d.original is None)
    assert binary.original_b64 and "UTF-8" in binary.reason


def http_status(url: str) -> tuple[int, str]:
    """(HTTP status, body text) of a GET, error statuses included."""
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_a_dyad_held_by_a_dead_worker_is_503_naming_it(scenario: Scenario) -> None:
    dead = scenario.workers[1]
    statuses = Counter(status for status, _ in scenario.owner_dead.values())
    assert set(statuses) <= {200, 503}, scenario.owner_dead
    assert statuses[503] >= 1, "worker 2 held no dyad: nothing was routed to a dead worker"
    for status, body in scenario.owner_dead.values():
        if status == 503:
            error = json.loads(body)["error"]
            assert f"127.0.0.1:{dead.port}" in error and "retry" in error, error


def test_http_errors(scenario: Scenario) -> None:
    assert scenario.errors["unknown"].startswith("LookupError"), scenario.errors
    assert scenario.errors["bad_dyad"].startswith("ValueError"), scenario.errors


def test_restart_a_worker_mid_stream(kafka_bootstrap: str, shared: Path, tmp_path: Path) -> None:
    """Stop one of two workers mid-stream, publish on, start it again; then stop the other.

    No event lost, no alert id twice, the state recovered from the changelog topics.
    """
    items = dev_items(shared)
    expected = embedded_result(items, tmp_path / "embedded")
    settings = unique_settings(kafka_bootstrap, tmp_path / "kafka")
    asyncio.run(ensure_topics(settings))
    a = WorkerProcess(settings, free_port(), tmp_path / "a.log").start()
    b = WorkerProcess(settings, free_port(), tmp_path / "b.log").start()

    async def run() -> None:
        await publish_paced(settings, items[:5])
        b.stop()
        await asyncio.to_thread(wait_assigned, [a], settings, 120)
        await publish_paced(settings, items[5:9])
        b.start()
        await asyncio.to_thread(wait_assigned, [a, b], settings)
        await publish_paced(settings, items[9:])
        await converge([a, b], expected)
        a.stop()
        await asyncio.to_thread(wait_assigned, [b], settings)
        await converge([b], expected)

    try:
        wait_assigned([a, b], settings)
        asyncio.run(run())
        alerts = asyncio.run(raw_alerts(settings))
    except BaseException:
        for w in (a, b):
            print(f"--- worker {w.port} ---\n{w.log_tail()}")
        raise
    finally:
        a.stop()
        b.stop()
    ids = [x.alert_id for x in alerts]
    assert not [i for i, n in Counter(ids).items() if n > 1]
    assert set(ids) == expected.alert_ids
    assert b.starts == 2
    for w in (a, b):
        assert_recovered_cleanly(w)
