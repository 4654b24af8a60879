"""Replay on Kafka: rebuild the projections from the inbound topics, from offset 0.

The rebuild reads ``bilateral.news`` and ``bilateral.statements`` from the beginning of every
partition up to the end offsets found at start (no consumer group, nothing committed, so the live
workers are untouched), and folds the events through the same domain code in a fresh embedded
store (``--into`` keeps it; default a temporary folder). Events are replayed in the order the
broker appended them (message timestamp, then topic, partition, offset). Because a dyad's state is
a function of the set of observations and the event-time clock, the rebuilt state is byte-identical
to the live one whatever order the live workers saw; :func:`compare_live` checks it against a
worker's HTTP view, dyad by dyad, by checksum.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from schemas.codec import DecodeError, decode_event
from schemas.events import NewsArticle, OfficialStatement
from service.config import Settings
from service.runtime.embedded import EmbeddedRuntime, state_checksum
from service.runtime.kafka_io import NEWS, STATEMENTS, read_topics

__all__ = ["RebuildReport", "compare_live", "read_inbound", "rebuild"]

Progress = Callable[[int, int], None]


@dataclass
class RebuildReport:
    """What a rebuild read and produced: counts, the state checksum and per-dyad checksums."""

    messages: int = 0
    events: int = 0
    undecodable: int = 0
    duplicates: int = 0
    alerts: int = 0
    checksum: str = ""
    dyads: dict[str, str] = field(default_factory=dict)
    store: str = ""


async def read_inbound(
    settings: Settings, progress: Progress | None = None
) -> list[tuple[tuple[int, str, int, int], bytes]]:
    """Every message of the inbound topics up to their end offsets at start, as
    ``[(sort key, value bytes)]`` with sort key (timestamp ms, topic, partition, offset).

    Raises aiokafka.errors.KafkaError when the cluster cannot be reached.
    """
    topics = [settings.topic(NEWS), settings.topic(STATEMENTS)]
    records = await read_topics(settings, topics, timeout=3600.0, progress=progress)
    return [((r.timestamp, r.topic, r.partition, r.offset), r.value) for r in records]


async def rebuild(
    settings: Settings, into: Path | None = None, progress: Progress | None = None
) -> RebuildReport:
    """Read the inbound topics from offset 0 and fold them into a fresh embedded store.

    ``into`` must not hold a store already (ValueError); None uses a temporary folder that is
    removed afterwards. Undecodable messages are counted, not replayed (the live extractor
    dead-lettered them).
    """
    if into is not None and (into / "monitor.sqlite3").exists():
        raise ValueError(f"{into} already holds a store; give an empty folder")
    messages = await read_inbound(settings, progress)
    messages.sort(key=lambda m: m[0])
    report = RebuildReport(messages=len(messages))
    events: list[NewsArticle | OfficialStatement] = []
    for _, value in messages:
        try:
            events.append(decode_event(value, max_body_chars=settings.max_body_chars))
        except DecodeError:
            report.undecodable += 1
    with tempfile.TemporaryDirectory(prefix="bilateral-monitor-rebuild-") as tmp:
        folder = into or Path(tmp)
        with EmbeddedRuntime(folder) as runtime:
            result = runtime.ingest(events)
            report.events = result.accepted
            report.duplicates = result.duplicates
            report.alerts = len(result.alerts)
            states = [s for s in (runtime.state(d) for d in runtime.dyads()) if s is not None]
        report.checksum = state_checksum(states)
        report.dyads = {s.dyad: state_checksum([s]) for s in states}
        report.store = str(into) if into else ""
    return report


def compare_live(report: RebuildReport, url: str) -> dict[str, bool]:
    """Per dyad: does the worker at ``url`` serve the same state as the rebuild?

    Raises ConnectionError when the worker cannot be reached.
    """
    from service.runtime.kafka_cli import fetch_state

    same: dict[str, bool] = {}
    for dyad, checksum in sorted(report.dyads.items()):
        try:
            live = fetch_state(url, dyad, None)
        except LookupError:
            same[dyad] = False
            continue
        same[dyad] = state_checksum([live]) == checksum
    return same
