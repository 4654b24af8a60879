"""The consumer's commit bookkeeping: never commit past a message no agent processed."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from service.config import Settings
from service.runtime.faust_consumer import SafeConsumer, next_commit


def test_a_run_starting_at_the_committed_offset_is_committed() -> None:
    assert next_commit([12, 10, 11, 14], 10) == (13, [14], None)
    assert next_commit([7, 8, 10, 11], 10) == (12, [], None)  # below the base: already committed


def test_a_dropped_record_at_the_head_is_never_committed_past() -> None:
    # faust commits past a single unprocessed record at the committed offset (11 - 10 is not > 1)
    assert next_commit([11, 12], 10) == (None, [11, 12], 10)
    assert next_commit([3, 4], 0) == (None, [3, 4], 0)  # never committed: base is the first offset


def test_nothing_is_committed_while_the_base_is_unknown() -> None:
    assert next_commit([0, 1, 2], None) == (None, [0, 1, 2], None)
    assert next_commit([], 4) == (None, [], None)


@given(
    processed=st.sets(st.integers(min_value=0, max_value=60), max_size=40),
    base=st.integers(min_value=0, max_value=30),
)
def test_every_committed_offset_was_processed(processed: set[int], base: int) -> None:
    commit, rest, hole = next_commit(processed, base)
    later = {offset for offset in processed if offset >= base}
    if commit is not None:
        assert set(range(base, commit)) <= processed
        assert commit not in processed  # the run is taken whole
        assert set(rest) == later - set(range(base, commit))
    else:
        assert set(rest) == later
        assert hole == (base if later else None)
    assert hole is None or (base not in processed and later)


def _consumer(tmp_path: Path, committed: int | None) -> tuple[Any, SafeConsumer, Any, list]:
    """An app's consumer without a broker, assigned partition 2 of the observations topic
    (committed offset ``committed``); seeks are recorded in the returned list."""
    from faust.types import TP

    from service.bootstrap import create_app

    app = create_app(Settings(data_dir=tmp_path, store="memory://", web_port=6398))
    app.loop = asyncio.get_running_loop()
    app.finalize()
    app.flow_control.resume()
    app.topics.acks_enabled_for = lambda name: True  # as once the worker has subscribed
    consumer = app.consumer
    assert isinstance(consumer, SafeConsumer)
    tp = TP(app.bilateral.observations.get_topic_name(), 2)
    sought: list[dict[Any, int]] = []

    async def seek_wait(partitions: dict[Any, int]) -> None:
        sought.append(dict(partitions))

    async def seek_to_committed() -> dict[Any, int | None]:
        return {tp: committed}  # aiokafka seeks only a committed offset above 0

    async def earliest_offsets(*tps: Any) -> dict[Any, int]:
        return {t: 0 for t in tps}

    consumer.seek_wait = seek_wait  # type: ignore[method-assign]
    consumer.seek_to_committed = seek_to_committed  # type: ignore[method-assign]
    consumer.earliest_offsets = earliest_offsets  # type: ignore[method-assign]
    consumer.assignment = lambda: {tp}  # type: ignore[method-assign]
    return app, consumer, tp, sought


def _processed(consumer: SafeConsumer, tp: Any, offset: int) -> bool:
    """Deliver and ack the record at ``offset`` of ``tp``: whether it became committable."""
    from faust.types.tuples import ConsumerMessage

    msg = ConsumerMessage(tp.topic, tp.partition, offset, 0.0, 0, [], b"k", b"v", None, tp=tp)
    consumer._unacked_messages.add(msg)
    return bool(consumer.ack(msg))


async def test_the_consumer_seeks_back_to_a_dropped_record_and_commits_nothing_past_it(
    tmp_path: Path,
) -> None:
    app, consumer, tp, sought = _consumer(tmp_path, committed=10)
    await consumer.perform_seek()
    assert sought == []  # committed partitions are sought by faust (aiokafka), not again
    consumer._rewound_at.clear()  # as long after that seek
    assert _processed(consumer, tp, 11) and _processed(consumer, tp, 12)  # 10 was dropped
    await consumer._add_gap(tp, 10, 12)  # faust's gap filling would mark 10 as done
    assert consumer._filter_committable_offsets({tp}) == {}
    await asyncio.sleep(0)
    assert sought == [{tp: 10}] and consumer.rewinds == 1
    assert app.bilateral.metrics.partition_rewinds.labels(tp.topic)._value.get() == 1
    assert consumer._filter_committable_offsets({tp}) == {}
    await asyncio.sleep(0)
    assert sought == [{tp: 10}]  # at most one rewind per REWIND_INTERVAL
    assert _processed(consumer, tp, 10)  # read again after the seek
    assert consumer._filter_committable_offsets({tp}) == {tp: 13}


async def test_a_partition_never_committed_commits_from_its_first_offset(tmp_path: Path) -> None:
    _, consumer, tp, sought = _consumer(tmp_path, committed=None)
    assert _processed(consumer, tp, 1)
    assert consumer._filter_committable_offsets({tp}) == {}  # base unknown: nothing committed
    await consumer.perform_seek()
    assert sought == [{tp: 0}]  # the partition is read again from its start
    assert consumer._filter_committable_offsets({tp}) == {}  # offset 0 is not processed yet
    await asyncio.sleep(0)
    assert sought == [{tp: 0}]  # just sought: no second seek for the same hole
    assert _processed(consumer, tp, 0)
    assert consumer._filter_committable_offsets({tp}) == {tp: 2}


async def test_a_broker_that_does_not_answer_leaves_never_committed_partitions_uncommitted(
    tmp_path: Path,
) -> None:
    _, consumer, tp, sought = _consumer(tmp_path, committed=None)

    async def earliest_offsets(*tps: Any) -> dict[Any, int]:
        raise TimeoutError("no answer")

    consumer.earliest_offsets = earliest_offsets  # type: ignore[method-assign]
    await consumer.perform_seek()  # does not raise into faust's recovery
    assert _processed(consumer, tp, 0) and _processed(consumer, tp, 1)
    assert consumer._filter_committable_offsets({tp}) == {}  # where it starts is not known
    assert sought == []


async def test_a_record_dropped_at_the_end_of_a_partition_is_read_again(tmp_path: Path) -> None:
    app, consumer, tp, sought = _consumer(tmp_path, committed=10)
    await consumer.perform_seek()
    consumer._rewound_at.clear()  # as long after that seek

    async def position(partition: Any) -> int:
        return 11  # record 10 was fetched; nothing after it, so nothing acked past it

    consumer.position = position  # type: ignore[method-assign]
    app.rebalancing = False
    await consumer.look_for_tail_holes(100.0)
    await consumer.look_for_tail_holes(105.0)
    await asyncio.sleep(0)
    assert sought == []  # position past the base for only 5 s: maybe still on its way
    await consumer.look_for_tail_holes(110.0)
    await asyncio.sleep(0)
    assert sought == [{tp: 10}]
    assert _processed(consumer, tp, 10)
    assert consumer._filter_committable_offsets({tp}) == {tp: 11}
    await consumer.look_for_tail_holes(200.0)
    await consumer.look_for_tail_holes(300.0)
    await asyncio.sleep(0)
    assert sought == [{tp: 10}]  # processed and committed: position 11 is the base now


async def test_a_record_deleted_before_it_was_processed_is_not_sought_for_ever(
    tmp_path: Path,
) -> None:
    _, consumer, tp, sought = _consumer(tmp_path, committed=10)
    await consumer.perform_seek()
    consumer._rewound_at.clear()

    async def earliest_offsets(*tps: Any) -> dict[Any, int]:
        return {t: 40 for t in tps}  # retention deleted offsets up to 39 meanwhile

    consumer.earliest_offsets = earliest_offsets  # type: ignore[method-assign]
    assert _processed(consumer, tp, 40) and _processed(consumer, tp, 41)
    assert consumer._filter_committable_offsets({tp}) == {}  # hole at 10
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert sought == []  # seeking to 10 would only land on 40 again
    assert consumer._filter_committable_offsets({tp}) == {tp: 42}
