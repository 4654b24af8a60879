"""Chaos run of the Kafka runtime: SIGKILL workers at seeded random points, compare with embedded.

Used by ``scripts/chaos`` and ``tests/integration/test_chaos.py``. One run: fresh topics, one
worker (or two), ``events`` seeded synthetic articles published one at a time (each acknowledged
before the next, so each inbound partition holds them in publish order), and after each of
``kills`` seeded random events a random worker is SIGKILLed and started again. Then the state of
every dyad (worker HTTP view) and the alert topic are compared with a clean embedded replay of
the same events:

- ``lost`` = alert ids the embedded replay has and the topic lacks, plus events the embedded
  state cites as evidence that the Kafka state does not; an alert whose id is missing but whose
  news is on the topic under another id (same dyad, kind, commitment and status change: it fired
  at another tick because events were processed in another order) is ``reordered``, not lost.
  With two workers, reordering across partitions can also leave out a deadline alert the sorted
  replay raises (a commitment that was briefly in a status in event time, but never at the tick
  the Kafka projector saw); such an alert still counts as lost, and ``unreflected`` events and
  ``state_differs`` at 0 tell it apart from a lost event;
- ``duplicated`` = alert ids on the topic with two different bodies (``emitted_at`` ignored);
- ``redelivered`` = extra copies of an alert with the same body (allowed: at-least-once);
- ``extra`` = alert ids on the topic the embedded replay does not have, and ``state_differs`` =
  dyads whose Kafka state is not byte-identical to the embedded one (both reported, not counted
  as lost: cross-partition reordering after a kill may change which alerts fire, while the state
  must converge).
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from schemas.codec import decode_alert
from service.runtime.kafka_cli import fetch_state
from service.runtime.kafka_io import ALERTS, Publisher, TickWatcher, ensure_topics
from service.tools.synthetic import synthetic_articles
from service.tools.workers import (
    WorkerProcess,
    alert_news,
    event_ids_in,
    free_port,
    read_topic,
    unique_settings,
    wait_assigned,
)

__all__ = ["ChaosReport", "run_chaos"]


@dataclass
class ChaosReport:
    events: int
    kills: int
    lost_alerts: list[str] = field(default_factory=list)
    reordered_alerts: list[str] = field(default_factory=list)
    unreflected_events: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    redelivered: int = 0
    extra_alerts: list[str] = field(default_factory=list)
    state_differs: list[str] = field(default_factory=list)
    embedded_alerts: int = 0
    topic_alerts: int = 0
    dyads: int = 0
    seconds: float = 0.0

    @property
    def lost(self) -> int:
        return len(self.lost_alerts) + len(self.unreflected_events)

    def lines(self) -> list[str]:
        out = [
            f"events={self.events} kills={self.kills} dyads={self.dyads} "
            f"seconds={self.seconds:.0f}",
            f"embedded_alerts={self.embedded_alerts} topic_records={self.topic_alerts} "
            f"redelivered_same_body={self.redelivered}",
            f"extra_alert_ids={len(self.extra_alerts)} state_differs={len(self.state_differs)} "
            f"reordered_alert_ids={len(self.reordered_alerts)}",
        ]
        if self.lost_alerts:
            out.append(f"lost alert ids (first 10): {self.lost_alerts[:10]}")
        if self.unreflected_events:
            out.append(f"events not reflected (first 10): {self.unreflected_events[:10]}")
        if self.duplicated:
            out.append(f"alert ids with two bodies (first 10): {self.duplicated[:10]}")
        if self.extra_alerts:
            out.append(f"extra alert ids (first 10): {self.extra_alerts[:10]}")
        if self.state_differs:
            out.append(f"dyads whose state differs: {self.state_differs}")
        out.append(f"lost={self.lost} duplicated={len(self.duplicated)}")
        return out


def _embedded(items: list, data_dir: Path) -> tuple[dict[str, str], dict[str, str]]:
    """(dyad -> state JSON, alert id -> body JSON without emitted_at) of a clean replay."""
    from service.runtime.embedded import EmbeddedRuntime

    with EmbeddedRuntime(data_dir) as runtime:
        runtime.ingest(items)
        alerts = runtime.alerts()
        dyads = sorted({a.dyad for a in alerts})
        states = {d: runtime.state(d).model_dump_json() for d in dyads}  # type: ignore[union-attr]
    return states, {a.alert_id: a.model_dump_json(exclude={"emitted_at"}) for a in alerts}


def _served(workers: list[WorkerProcess], dyads: list[str]) -> dict[str, str]:
    url = next(w.url for w in workers if w.alive())
    out = {}
    for d in dyads:
        try:
            out[d] = fetch_state(url, d, None).model_dump_json()
        except LookupError:
            out[d] = ""
    return out


def run_chaos(
    bootstrap: str,
    workdir: Path,
    *,
    events: int = 2000,
    kills: int = 20,
    seed: int = 1,
    workers: int = 1,
    partitions: int = 4,
    log: Any = print,
) -> ChaosReport:
    t0 = time.monotonic()
    rng = random.Random(seed)
    items = synthetic_articles(events, seed=seed, prefix=f"chaos{seed}")
    kill_after = set(rng.sample(range(1, events), min(kills, events - 1)))
    log(f"embedded replay of {events} events ...")
    expected, expected_alerts = _embedded(items, workdir / "embedded")
    settings = unique_settings(
        bootstrap, workdir / "kafka", partitions=partitions, session_timeout_seconds=10.0
    )
    asyncio.run(ensure_topics(settings))
    procs = [
        WorkerProcess(settings, free_port(), workdir / f"worker{i}.log").start()
        for i in range(workers)
    ]
    report = ChaosReport(events=events, kills=0)
    try:
        wait_assigned(procs, settings, timeout=90)

        async def publish() -> None:
            async with Publisher(settings) as publisher:
                for n, item in enumerate(items, 1):
                    await publisher.send_event(item)
                    if n in kill_after:
                        victim = rng.choice(procs)
                        victim.kill()
                        report.kills += 1
                        log(f"  after event {n}: SIGKILL worker {victim.port} (#{report.kills})")
                        await asyncio.sleep(rng.uniform(0.0, 1.5))
                        victim.start()
            watcher = TickWatcher(settings, from_beginning=True)  # events already published
            await watcher.start()
            try:
                deadline = time.monotonic() + 600
                for item in items:
                    await watcher.wait_for(item.published_at, max(1.0, deadline - time.monotonic()))
            finally:
                await watcher.stop()

        asyncio.run(publish())
        log("every event's clock tick is on every partition; waiting for the state ...")
        wait_assigned(procs, settings, timeout=120)
        dyads = sorted(expected)
        deadline = time.monotonic() + 120
        served: dict[str, str] = {}
        while time.monotonic() < deadline:
            try:
                served = _served(procs, dyads)
            except ConnectionError:
                time.sleep(1)
                continue
            if served == expected:
                break
            time.sleep(1)
        records = asyncio.run(read_topic(settings, settings.topic(ALERTS), timeout=60))
    finally:
        for w in procs:
            w.stop()
    report.dyads = len(expected)
    report.state_differs = [d for d in dyads if served.get(d) != expected[d]]
    for d in dyads:
        want = event_ids_in(json.loads(expected[d]))
        have = event_ids_in(json.loads(served[d])) if served.get(d) else set()
        report.unreflected_events += sorted(want - have)
    bodies: dict[str, set[str]] = {}
    copies: Counter[str] = Counter()
    for r in records:
        alert = decode_alert(r.value)
        bodies.setdefault(alert.alert_id, set()).add(alert.model_dump_json(exclude={"emitted_at"}))
        copies[alert.alert_id] += 1
    report.topic_alerts = len(records)
    report.embedded_alerts = len(expected_alerts)
    report.duplicated = sorted(i for i, b in bodies.items() if len(b) > 1)
    report.redelivered = sum(n - 1 for i, n in copies.items() if len(bodies[i]) == 1)
    missing = sorted(set(expected_alerts) - set(bodies))
    on_topic = {alert_news(body) for found in bodies.values() for body in found}
    report.reordered_alerts = [i for i in missing if alert_news(expected_alerts[i]) in on_topic]
    report.lost_alerts = [i for i in missing if alert_news(expected_alerts[i]) not in on_topic]
    report.extra_alerts = sorted(set(bodies) - set(expected_alerts))
    report.seconds = time.monotonic() - t0
    return report
