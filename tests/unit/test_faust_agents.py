"""The Faust app's agents without a broker (``agent.test_context()``, memory store)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any
from unittest.mock import AsyncMock

from schemas.codec import decode_dead_letter
from service.config import Settings
from service.runtime.kafka_io import TABLES


def _app(tmp_path: Path) -> Any:
    from service.bootstrap import create_app

    app = create_app(Settings(data_dir=tmp_path, store="memory://", web_port=6399))
    app.loop = asyncio.get_running_loop()
    app.finalize()
    app.flow_control.resume()
    return app


def _agent(app: Any, name: str) -> Any:
    return next(a for key, a in app.agents.items() if key.endswith(name))


async def test_tables_are_those_whose_changelog_topics_ensure_topics_creates(
    tmp_path: Path,
) -> None:
    app = _app(tmp_path)
    assert sorted(t.name for t in app.tables.values()) == sorted(TABLES)
    for table in app.tables.values():
        assert table.changelog_topic.get_topic_name() == f"{app.conf.id}-{table.name}-changelog"
        # raw bytes both ways, so recovery decodes what the table wrote (faust issue 310)
        assert (table.key_serializer, table.value_serializer) == ("raw", "raw")
        schema = table.changelog_topic.schema
        assert (schema.key_serializer, schema.value_serializer) == ("raw", "raw")


async def test_agents_run_one_at_a_time(tmp_path: Path) -> None:
    # concurrency > 1 lets faust commit past an in-flight message (faust issue 606)
    app = _app(tmp_path)
    assert {_agent(app, n).concurrency for n in ("extractor", "projector")} == {1}


async def test_extractor_dead_letters_an_undecodable_message(tmp_path: Path) -> None:
    app = _app(tmp_path)
    monitor = app.bilateral
    sent: list[dict[str, Any]] = []

    async def capture(**kwargs: Any) -> asyncio.Future:
        sent.append(kwargs)
        done: asyncio.Future = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done

    monitor.deadletter.send = AsyncMock(side_effect=capture)
    monitor.observations.send = AsyncMock(side_effect=capture)
    raw = b'{"event_id": "bad-1", "type": "news_article", "published_at": "yesterday"}'
    async with _agent(app, "extractor").test_context() as agent:
        await agent.put(raw, key=b"bad-1")
        await agent.put(b"\xff\xfe not utf-8", key=b"bad-2")
    assert monitor.observations.send.await_count == 0
    letters = [decode_dead_letter(s["value"]) for s in sent]
    assert [s["key"] for s in sent] == [b"bad-1", b"bad-2"]
    assert letters[0].event_id == "bad-1" and "published_at" in letters[0].reason
    assert letters[0].original is not None and "yesterday" in letters[0].original
    assert letters[1].original is None and letters[1].original_b64


def _writable_log(app: Any) -> Any:
    """The monitor, its observation_log writable outside an agent (no changelog sends)."""
    table = app.bilateral.observation_log
    table.on_key_set = lambda key, value: None
    return app.bilateral


async def test_observation_log_is_kept_in_bounded_segments(tmp_path: Path, seed: Any) -> None:
    from service.domain.extraction import extract
    from service.runtime import faust_store

    monitor = _writable_log(_app(tmp_path))
    first = [o for o in extract(seed) if o.dyad == "CA-IN"]
    # 250 distinct observations of one dyad: the seed's, renumbered
    many = [
        o.model_copy(update={"observation_id": f"x-{n}#{i}"})
        for n in range(250 // len(first) + 1)
        for i, o in enumerate(first)
    ][:250]
    for obs in many:
        assert monitor.append_log(obs, set())
    assert [o.observation_id for o in monitor.log_of("CA-IN")] == [o.observation_id for o in many]
    size = faust_store.LOG_SEGMENT
    keys = sorted(k for k in monitor.observation_log.data if k.startswith(b"CA-IN"))
    assert keys == [b"CA-IN", *(f"CA-IN#{i}".encode() for i in range(-(-250 // size)))]
    largest = max(len(monitor.observation_log.data[k]) for k in keys)
    assert largest < 2 * size * max(len(o.model_dump_json()) for o in many)
    # an observation applied before, or logged last (a crash before its projection was saved),
    # is not logged twice
    assert not monitor.append_log(many[3], {many[3].observation_id})
    assert not monitor.append_log(many[-1], set())
    assert len(monitor.log_of("CA-IN")) == 250


async def test_a_log_written_as_one_list_is_read_and_then_split(tmp_path: Path, seed: Any) -> None:
    import json

    from service.domain.extraction import extract

    monitor = _writable_log(_app(tmp_path))
    obs = [o for o in extract(seed) if o.dyad == "CA-IN"]
    old = [o.model_dump_json() for o in obs[:-1]]
    monitor.observation_log.data[b"CA-IN"] = json.dumps(old).encode()
    assert [o.observation_id for o in monitor.log_of("CA-IN")] == [
        o.observation_id for o in obs[:-1]
    ]
    assert monitor.append_log(obs[-1], set())
    assert json.loads(monitor.observation_log.data[b"CA-IN"]) == {"segments": 1}
    assert [o.observation_id for o in monitor.log_of("CA-IN")] == [o.observation_id for o in obs]


async def test_a_projection_too_large_for_the_changelog_is_refused(tmp_path: Path) -> None:
    import json

    import pytest

    from service.bootstrap import create_app
    from service.runtime.faust_store import StateTooLarge

    app = create_app(
        Settings(data_dir=tmp_path, store="memory://", web_port=6397, changelog_max_bytes=2**20)
    )
    monitor = app.bilateral
    monitor.projections.on_key_set = lambda key, value: None

    class Big:
        dyad = "CA-IN"

        def __init__(self, size: int) -> None:
            self.size = size

        def to_dict(self) -> dict[str, str]:
            return {"padding": "x" * self.size}

        def snapshot(self) -> Any:
            raise AssertionError("not reached for a refused record")

    big = Big(2**20)
    size = len(json.dumps(big.to_dict(), separators=(",", ":")))
    with pytest.raises(StateTooLarge, match=f"CA-IN would be {size} bytes"):
        monitor.save(big)
    assert b"CA-IN" not in monitor.projections.data


async def test_a_projection_is_decoded_once_per_stored_value(tmp_path: Path, seed: Any) -> None:
    from schemas.observations import ClockTick
    from service.domain.extraction import extract
    from service.domain.projection import DyadProjection

    app = _app(tmp_path)
    monitor = app.bilateral
    monitor.projections.on_key_set = lambda key, value: None
    proj = DyadProjection("CA-IN")
    for obs in extract(seed):
        if obs.dyad == "CA-IN":
            proj.tick(ClockTick(at=obs.evidence.published_at))
            proj.apply(obs)
    monitor.save(proj)
    assert monitor.load("CA-IN") is proj
    stored = monitor.projections.data[b"CA-IN"]
    # the same bytes read back from the changelog (another object): still the decoded object
    monitor.projections.data[b"CA-IN"] = bytes(bytearray(stored))
    assert monitor.load("CA-IN") is proj
    monitor.forget()
    fresh = monitor.load("CA-IN")
    assert fresh is not proj and fresh.snapshot() == proj.snapshot()
    # other bytes in the table: decoded afresh
    monitor.projections.data[b"CA-IN"] = stored + b" "
    assert monitor.load("CA-IN") is not fresh
    del monitor.projections.data[b"CA-IN"]
    assert monitor.load("CA-IN") is None and "CA-IN" not in monitor.decoded


async def test_a_message_of_an_earlier_generation_is_never_committable(tmp_path: Path) -> None:
    from faust.types import TP
    from faust.types.tuples import ConsumerMessage

    app = _app(tmp_path)
    consumer = app.consumer
    topic = app.bilateral.observations.get_topic_name()
    tp = TP(topic, 1)

    def message(offset: int, generation: int) -> ConsumerMessage:
        msg = ConsumerMessage(
            topic, 1, offset, 0.0, 0, [], b"k", b"v", None, generation_id=generation
        )
        consumer._unacked_messages.add(msg)
        return msg

    app.topics.acks_enabled_for = lambda name: True  # as once the worker has subscribed
    app.consumer_generation_id = 5
    current, stale = message(10, 5), message(11, 4)
    assert consumer.ack(current) is True
    assert consumer.ack(stale) is False  # skipped by a stream after a rebalance: not committed
    assert list(consumer._acked[tp]) == [10]
    assert stale.acked and stale not in consumer._unacked_messages  # nothing waits for it
    app.flow_control.suspend()  # a rebalance has begun: the stream skips what it dequeues
    assert consumer.ack(message(12, 5)) is False
    app.flow_control.resume()
    assert consumer.ack(message(13, 5)) is True
    assert list(consumer._acked[tp]) == [10, 13]


def _observations_event(monitor: Any, value: bytes, offset: int) -> Any:
    """A stand-in for a faust event on partition 0 of the observations topic."""
    from types import SimpleNamespace

    from faust.types import TP

    topic = monitor.observations.get_topic_name()
    message = SimpleNamespace(
        topic=topic, partition=0, offset=offset, headers=[], key=None, value=value, tp=TP(topic, 0)
    )
    return SimpleNamespace(value=value, message=message)


async def test_a_projector_step_that_cannot_send_its_alerts_saves_nothing_and_is_redone(
    tmp_path: Path, seed: Any
) -> None:
    from schemas.codec import encode
    from service.domain.extraction import extract

    app = _app(tmp_path)
    monitor = app.bilateral
    for table in (monitor.projections, monitor.partitions, monitor.observation_log):
        table.on_key_set = lambda key, value: None  # writable outside an agent
    obs = next(o for o in extract(seed) if type(o).__name__ == "CommitmentObservation")
    event = _observations_event(monitor, encode(obs), 7)
    sent: list[dict[str, Any]] = []
    acks = ["no ack"]  # the broker does not acknowledge the first alert

    async def send(**kwargs: Any) -> asyncio.Future:
        if acks:
            raise TimeoutError(acks.pop())
        sent.append(kwargs)
        done: asyncio.Future = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done

    monitor.alerts.send = AsyncMock(side_effect=send)
    not_processed: list[Any] = []
    app.consumer.not_processed = not_processed.append
    await monitor.run_step(monitor.project_one, event, "projector")
    assert not_processed == [event.message]  # its offset will not be committed: read again
    assert b"CA-IN" not in monitor.projections.data and b"p0" not in monitor.partitions.data
    assert monitor.failures == {(event.message.topic, 0, 7): 1}
    await monitor.run_step(monitor.project_one, event, "projector")  # read again
    assert not_processed == [event.message] and monitor.failures == {}
    assert b"CA-IN" in monitor.projections.data and b"p0" in monitor.partitions.data
    assert [s["key"] for s in sent] == [obs.dyad.encode()]  # the alert the first try could not send
    assert monitor.metrics.processing_failures.labels("projector")._value.get() == 1


async def test_a_message_whose_step_always_fails_is_dead_lettered_at_the_third_failure(
    tmp_path: Path,
) -> None:
    from schemas.codec import decode_dead_letter

    app = _app(tmp_path)
    monitor = app.bilateral
    event = _observations_event(monitor, b"{}", 3)
    letters: list[Any] = []

    async def capture(**kwargs: Any) -> asyncio.Future:
        letters.append(decode_dead_letter(kwargs["value"]))
        done: asyncio.Future = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done

    async def step(event: Any) -> None:
        raise RuntimeError("broker gone")

    monitor.deadletter.send = AsyncMock(side_effect=capture)
    not_processed: list[Any] = []
    app.consumer.not_processed = not_processed.append
    for _ in range(3):
        await monitor.run_step(step, event, "extractor")
    assert len(not_processed) == 2 and len(letters) == 1
    assert letters[0].reason == "extractor failed 3 times: RuntimeError: broker gone"
    assert letters[0].offset == 3 and monitor.failures == {}


async def test_the_projector_judges_a_dyad_by_its_own_ticks_and_the_live_clock(
    tmp_path: Path,
) -> None:
    from schemas.codec import decode_alert, encode
    from schemas.common import AlertKind
    from schemas.observations import ClockTick
    from service.domain.extraction import extract
    from tests.dyad_clock import A, B, a_story, b_february

    app = _app(tmp_path)
    monitor = app.bilateral
    for table in (monitor.projections, monitor.partitions, monitor.observation_log):
        table.on_key_set = lambda key, value: None  # writable outside an agent
    sent: list[Any] = []

    async def send(**kwargs: Any) -> asyncio.Future:
        sent.append(decode_alert(kwargs["value"]))
        done: asyncio.Future = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done

    monitor.alerts.send = AsyncMock(side_effect=send)
    offsets = iter(range(100))

    async def project(item: Any) -> list[Any]:
        before = len(sent)
        event = _observations_event(monitor, encode(item), next(offsets))
        await monitor.run_step(monitor.project_one, event, "projector")
        return [a.kind for a in sent[before:]]

    february = b_february()
    for obs in extract(february):
        await project(obs)
    june = a_story()[-1].published_at
    # AU-JP's event: its own tick, and the progress mark on every partition; CA-IN, on the
    # same partition, is not moved by either.
    assert await project(ClockTick(at=june, dyad=A)) == []
    assert await project(ClockTick(at=june)) == []
    assert monitor.load(B).clock == february.published_at
    assert monitor.store.partition(0)["clock"] == june.isoformat()
    # The live clock judges every dyad.
    assert await project(ClockTick(at=june, origin="live")) == [AlertKind.DEADLINE_MISSED]
    assert monitor.load(B).clock == june
    # A dyad first seen after a live tick starts at the live clock.
    late = a_story()[0]
    kinds = [k for obs in extract(late) for k in await project(obs)]
    assert monitor.load(A).clock == june
    assert AlertKind.DEADLINE_MISSED in kinds
