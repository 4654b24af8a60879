"""A worker on a real broker: an event id published again with another body is dead-lettered as
a conflict (counted in ``/metrics``), an identical copy changes nothing, the first version
stands (the worker's state is that of the embedded runtime over the first version alone)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from schemas.codec import decode_dead_letter
from service.runtime.dedup import CONFLICT
from service.runtime.embedded import EmbeddedRuntime, state_checksum
from service.runtime.kafka_cli import fetch_state, publish_events
from service.runtime.kafka_io import DEADLETTER, NEWS, Publisher, ensure_topics
from tests.integration.conftest import (
    WorkerProcess,
    free_port,
    read_topic,
    scrape,
    total,
    unique_settings,
    wait_assigned,
    wait_until,
)

pytestmark = pytest.mark.kafka


def test_conflicting_duplicate_is_dead_lettered_and_the_first_stands(
    kafka_bootstrap: str, seed: Any, tmp_path: Path
) -> None:
    settings = unique_settings(kafka_bootstrap, tmp_path / "k", partitions=2)
    asyncio.run(ensure_topics(settings))
    changed = seed.model_copy(update={"body": seed.body + "\nThe talks were cancelled."})

    async def publish() -> None:
        async with Publisher(settings) as publisher:
            for event in (seed, seed, changed, seed):
                await publisher.send_event(event)

    worker = WorkerProcess(settings, free_port(), tmp_path / "worker.log").start()
    try:
        wait_assigned([worker], settings)
        asyncio.run(publish())

        def letters() -> list[Any]:
            records = asyncio.run(read_topic(settings, settings.topic(DEADLETTER)))
            return [decode_dead_letter(r.value) for r in records]

        [letter] = wait_until(letters, 60, "the conflict's dead letter")
        assert letter.reason.startswith(f"{CONFLICT}: event_id {seed.event_id!r}")
        assert letter.offset is not None and "cancelled" in (letter.original or "")

        def consumed_all() -> dict | None:
            samples = scrape(worker.url)
            news = total(samples, "bilateral_events_consumed_total", topic=settings.topic(NEWS))
            return samples if news >= 4 else None

        metrics = wait_until(consumed_all, 30, "four inbound messages consumed")
        assert total(metrics, "bilateral_event_conflicts_total") == 1
        assert total(metrics, "bilateral_deadletters_total", reason=CONFLICT) == 1
        with EmbeddedRuntime(tmp_path / "embedded") as runtime:
            runtime.ingest([seed])
            want = state_checksum([runtime.state("CA-IN")])
        wait_until(
            lambda: state_checksum([fetch_state(worker.url, "CA-IN", None)]) == want,
            60,
            "the worker's CA-IN state to equal the first version's",
        )
        assert len(letters()) == 1  # the last, identical copy was not a conflict
    finally:
        worker.stop()
        print(worker.log_tail())


def test_publish_in_order_goes_on_past_a_conflict(
    kafka_bootstrap: str, seed: Any, tmp_path: Path
) -> None:
    """A conflict sends no clock tick: ``publish --in-order`` learns of it from the dead-letter
    topic and goes on at once, instead of waiting for a tick that never comes."""
    settings = unique_settings(kafka_bootstrap, tmp_path / "k", partitions=2)
    asyncio.run(ensure_topics(settings))
    changed = seed.model_copy(  # later: its tick would be new, and never comes
        update={
            "body": seed.body + "\nThe talks were cancelled.",
            "published_at": seed.published_at + timedelta(days=1),
        }
    )
    worker = WorkerProcess(settings, free_port(), tmp_path / "worker.log").start()
    try:
        wait_assigned([worker], settings)
        report = asyncio.run(
            publish_events(settings, [seed, changed, seed], [], in_order=True, wait_seconds=60)
        )
    finally:
        worker.stop()
    assert report.written == 3
    [(event_id, reason)] = report.rejected_by_worker
    assert event_id == seed.event_id and reason.startswith(f"{CONFLICT}: ")
