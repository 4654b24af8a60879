"""A dyad whose state outgrows Kafka's default 1 MiB record limit, on a real broker.

One valid article naming 1,000 commitments of one dyad: the worker must fold all of them (its
projection record ends above 1 MiB, written to the changelog), keep serving, and recover that
record after a restart. Before the observation log was segmented and the changelog limit raised,
faust's producer crashed on such a record, and again on every restart.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer

from service.config import Settings
from service.domain.extraction import extract
from service.domain.projection import project, sort_key
from service.runtime.kafka_cli import fetch_state
from service.runtime.kafka_io import (
    Publisher,
    connection_options,
    ensure_topics,
    topic_partitions,
)
from service.tools.synthetic import many_commitments_article
from tests.integration.conftest import (
    WorkerProcess,
    assert_recovered_cleanly,
    free_port,
    unique_settings,
    wait_assigned,
    wait_until,
)

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

COMMITMENTS = 1000


async def last_record(settings: Settings, topic: str, key: bytes) -> bytes:
    """The value of the last record with ``key`` among the last records of each partition."""
    consumer = AIOKafkaConsumer(
        enable_auto_commit=False,
        max_partition_fetch_bytes=settings.changelog_max_bytes,
        fetch_max_bytes=settings.changelog_max_bytes,
        **connection_options(settings),
    )
    await consumer.start()
    try:
        tps = await topic_partitions(settings, [topic])
        consumer.assign(tps)
        end = await consumer.end_offsets(tps)
        found = b""
        for tp in tps:
            if end[tp] == 0:
                continue
            consumer.seek(tp, end[tp] - 1)
            record = await asyncio.wait_for(consumer.getone(tp), 30)
            if record.key == key:
                found = record.value
        return found
    finally:
        await consumer.stop()


@pytest.mark.timeout(1200)  # its own waits allow 600 + 300 s on a slow machine
def test_a_dyad_above_one_mebibyte_is_folded_and_recovered(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    settings = unique_settings(kafka_bootstrap, tmp_path / "kafka")
    event = many_commitments_article(COMMITMENTS, seed=5, event_id="big-1000")
    # as many commitments as the domain itself folds the article into (the embedded fold)
    states, _ = project(sorted(extract(event), key=sort_key))
    expected = len(states["CA-IN"].commitments)
    assert expected > 0.9 * COMMITMENTS
    asyncio.run(ensure_topics(settings))
    worker = WorkerProcess(settings, free_port(), tmp_path / "worker.log").start()

    def folded() -> bool:
        return len(fetch_state(worker.url, "CA-IN", None).commitments) == expected

    async def publish() -> None:
        async with Publisher(settings) as publisher:
            await publisher.send_event(event)

    try:
        wait_assigned([worker], settings)
        asyncio.run(publish())
        # every=2: each answer re-serialises a state above 1 MiB on the worker's event loop
        wait_until(folded, 600, f"{COMMITMENTS} commitments of CA-IN", every=2.0)
        before = fetch_state(worker.url, "CA-IN", None)
        worker.stop()
        worker.start()
        wait_until(folded, 300, "CA-IN served again after the restart", every=2.0)
        after = fetch_state(worker.url, "CA-IN", None)
    except BaseException:
        print(f"--- worker log ---\n{worker.log_tail()}")
        raise
    finally:
        worker.stop()
    assert after == before
    last = asyncio.run(last_record(settings, f"{settings.app_id}-projections-changelog", b"CA-IN"))
    assert len(last) > 2**20, f"the test needs a record above 1 MiB, the last was {len(last)}"
    log = worker.log_path.read_text(errors="replace")
    # the record-size errors of the producer, which crashed the worker before (a step that
    # failed under load and was retried logs a traceback too, and is not a fault)
    for error in ("MessageSizeTooLarge", "RecordTooLarge", "RecordBatchTooLarge"):
        assert error not in log, error
    assert_recovered_cleanly(worker)
