"""Table recovery and rebalances against a real broker.

- A worker restarted with non-empty tables must recover them from the changelog topics (memory
  store: nothing survives locally) and serve the same state within a deadline.
- Events published while a second worker joins (a rebalance and a table recovery in progress,
  no offset committed yet on the inbound topics) must all be processed.
- A record the consumer fetched and dropped (as faust does to records fetched when a rebalance
  begins) is read again and processed, and no offset past it is committed before.
"""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path

import pytest

from service.runtime.kafka_cli import fetch_state
from service.runtime.kafka_io import NEWS, Publisher, TickWatcher, ensure_topics
from service.tools.synthetic import synthetic_articles
from tests.integration.conftest import (
    WorkerProcess,
    assert_recovered_cleanly,
    fault_env,
    free_port,
    scrape,
    total,
    unique_settings,
    wait_assigned,
)

pytestmark = pytest.mark.kafka

RECOVERY_DEADLINE = 90.0
"""Seconds from a worker's restart to serving the recovered state (start-up included; room for
the recovery watchdog to heal one stall: 15 s to restart recovery, 30 s to re-execute)."""


def embedded_states(items: list, data_dir: Path) -> dict[str, str]:
    from service.runtime.embedded import EmbeddedRuntime

    with EmbeddedRuntime(data_dir) as runtime:
        runtime.ingest(items)
        dyads = sorted({a.dyad for a in runtime.alerts()})
        return {d: runtime.state(d).model_dump_json() for d in dyads}  # type: ignore[union-attr]


def served_states(worker: WorkerProcess, dyads: list[str]) -> dict[str, str]:
    return {d: fetch_state(worker.url, d, None).model_dump_json() for d in dyads}


def wait_states(workers: list[WorkerProcess], expected: dict[str, str], timeout: float) -> float:
    """Poll until every worker serves ``expected``; the seconds it took. Fails on timeout."""
    t0 = time.monotonic()
    last: object = None
    while time.monotonic() - t0 < timeout:
        try:
            if all(served_states(w, sorted(expected)) == expected for w in workers):
                return time.monotonic() - t0
            last = "state differs"
        except (LookupError, ConnectionError) as exc:
            last = exc
        time.sleep(0.25)
    for w in workers:
        print(f"--- worker {w.port} ---\n{w.log_tail()}")
    pytest.fail(f"workers did not serve the expected state in {timeout}s: {last}")


async def publish_and_wait(settings, items: list, pause: float = 0.0) -> None:
    """Publish ``items`` one at a time (acked), then wait for each one's tick everywhere."""
    watcher = TickWatcher(settings)
    await watcher.start()
    try:
        async with Publisher(settings) as publisher:
            for item in items:
                await publisher.send_event(item)
                if pause:
                    await asyncio.sleep(pause)
        for item in items:
            await watcher.wait_for(item.published_at, 180)
    finally:
        await watcher.stop()


@pytest.mark.slow
def test_restart_with_non_empty_tables_recovers_within_a_deadline(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    items = synthetic_articles(60, seed=11, prefix="rec")
    expected = embedded_states(items, tmp_path / "embedded")
    assert len(expected) >= 5
    settings = unique_settings(kafka_bootstrap, tmp_path / "kafka")
    asyncio.run(ensure_topics(settings))
    worker = WorkerProcess(settings, free_port(), tmp_path / "w.log").start()
    try:
        wait_assigned([worker], settings)
        asyncio.run(publish_and_wait(settings, items))
        wait_states([worker], expected, 120)
        worker.stop()
        t0 = time.monotonic()
        worker.start()
        wait_states([worker], expected, RECOVERY_DEADLINE)
        took = time.monotonic() - t0
    finally:
        worker.stop()
    print(f"restart to recovered state: {took:.1f}s")
    assert worker.starts == 2
    assert_recovered_cleanly(worker)
    log = worker.log_path.read_text(errors="replace").split("===== start #2 =====")[1]
    assert "Restoring state from changelog topics" in log  # recovered, not rebuilt from input


@pytest.mark.slow
def test_events_published_while_the_group_forms_and_rebalances_are_all_processed(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    """Publish from before any worker is up, through the first join, its table recovery and a
    second worker's join (so through rebalances with no offset committed yet on most inbound
    partitions): every event must be processed and the state must be the embedded one."""
    items = synthetic_articles(48, seed=23, prefix="reb")
    expected = embedded_states(items, tmp_path / "embedded")
    settings = unique_settings(kafka_bootstrap, tmp_path / "kafka")
    asyncio.run(ensure_topics(settings))
    a = WorkerProcess(settings, free_port(), tmp_path / "a.log")
    b = WorkerProcess(settings, free_port(), tmp_path / "b.log")

    async def run() -> None:
        a.start()
        publishing = asyncio.create_task(publish_and_wait(settings, items, pause=0.25))
        await asyncio.sleep(3.0)
        b.start()  # joins while events keep arriving
        await publishing

    try:
        asyncio.run(run())
        wait_assigned([a, b], settings)
        wait_states([a, b], expected, 120)
    finally:
        a.stop()
        b.stop()
    for w in (a, b):
        assert_recovered_cleanly(w)
        text = w.log_path.read_text(errors="replace")
        assert "dead-lettered" not in text, w.log_tail()
    rebalances = a.log_path.read_text(errors="replace").count("generation id")
    assert rebalances >= 2, "worker b joined after the stream ended: no rebalance was exercised"


@pytest.mark.parametrize(
    ("events", "offset"),
    [(16, 1), (1, 0)],
    ids=["records-after-it", "last-record"],
)
def test_a_record_fetched_and_dropped_is_read_again(
    kafka_bootstrap: str, tmp_path: Path, events: int, offset: int
) -> None:
    """The worker's consumer drops one inbound record after fetching it (fault injection): the
    partition must be read again from it, its event extracted, and the state be the embedded one.
    faust's own bookkeeping committed past such a record and the event was lost for good. With
    records after it, the first ack past it shows the hole; as the last record of its partition,
    the position staying past the commit base does."""
    items = synthetic_articles(events, seed=5, prefix="drop")
    expected = embedded_states(items, tmp_path / "embedded")
    settings = unique_settings(kafka_bootstrap, tmp_path / "kafka")
    asyncio.run(ensure_topics(settings))
    worker = WorkerProcess(
        settings,
        free_port(),
        tmp_path / "worker.log",
        extra_env=fault_env(BILATERAL_MONITOR_TEST_DROP=f"bilateral.news:{offset}"),
    )
    try:
        worker.start()
        wait_assigned([worker], settings)
        asyncio.run(publish_and_wait(settings, items, pause=0.1))
        wait_states([worker], expected, 60)
        metrics = scrape(worker.url)
    finally:
        worker.stop()
    log = worker.log_path.read_text(errors="replace")
    dropped = re.search(r"fault injection: dropped \S+ key=(\S+)", log)
    assert dropped, "the fault was not injected: " + worker.log_tail()
    event_id = dropped.group(1)
    assert re.search(rf"extracted \d+ observations from {re.escape(event_id)}\b", log), event_id
    assert "was fetched but never processed" in log
    news = settings.topic(NEWS)
    assert total(metrics, "bilateral_partition_rewinds_total", topic=news) >= 1
    assert_recovered_cleanly(worker)
