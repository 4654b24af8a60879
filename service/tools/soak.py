"""Soak of the Kafka runtime: good and hostile messages interleaved, two workers, a full count.

Used by ``scripts/soak`` and ``tests/integration/test_soak.py``. One run: fresh topics, two
worker processes, then ``messages`` messages published one at a time (each acknowledged) on the
inbound topics. Every fifth message is bad, each in a different way in turn (:data:`BAD_KINDS`):
invalid JSON, wrong types, an unknown event type, a naive timestamp, a body over the size limit,
bytes that are not UTF-8, an unknown ``schema_version``, an empty value (empty bytes and
tombstones in turn), and an event id already published with another body. The good ones are
seeded synthetic articles, one in three sent as an official statement.

Then it waits until every good event has been extracted (its clock tick is on every
observations partition), every bad message is on the dead-letter topic, and every dyad's state
equals a clean embedded run over the good events, and counts:

- ``lost`` = bad messages missing from the dead-letter topic, good messages dead-lettered, good
  events the embedded state cites as evidence and the Kafka state does not, and alert ids the
  embedded run has whose news (dyad, kind, commitment, status change) is not on the alert topic
  under any id;
- ``duplicated`` = alert ids on the topic with two different bodies, and messages dead-lettered
  twice with different reasons (the same dead letter twice is a redelivery, reported apart);
- ``restarts`` = worker processes that exited unasked (each is started again) plus workers that
  re-executed themselves (the recovery watchdog's line in their log);
- ``wrong_reason`` = bad messages whose dead letter does not give the reason of their kind.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from schemas.alerts import DeadLetter
from schemas.codec import decode_alert, decode_dead_letter, encode
from schemas.events import DEFAULT_MAX_BODY_CHARS, NewsArticle, OfficialStatement
from service.runtime.kafka_cli import fetch_state
from service.runtime.kafka_io import (
    ALERTS,
    DEADLETTER,
    NEWS,
    STATEMENTS,
    Publisher,
    TickWatcher,
    ensure_topics,
)
from service.runtime.metrics import reason_label
from service.tools.synthetic import COUNTRIES, synthetic_articles
from service.tools.workers import (
    WorkerProcess,
    alert_news,
    event_ids_in,
    free_port,
    read_topic,
    unique_settings,
    wait_assigned,
)

__all__ = ["BAD_KINDS", "RIGHT_REASON", "SoakReport", "bad_message", "run_soak"]

BAD_KINDS = (
    "invalid_json",
    "wrong_types",
    "unknown_type",
    "naive_timestamp",
    "oversize_body",
    "invalid_utf8",
    "unknown_schema_version",
    "empty_value",
    "conflict",
)
"""The ways a bad message is bad, in the order the soak sends them."""

RIGHT_REASON: dict[str, Callable[[DeadLetter], bool]] = {
    "invalid_json": lambda d: d.reason.startswith("not JSON"),
    "wrong_types": lambda d: d.field == "event_id" and "valid string" in d.reason,
    "unknown_type": lambda d: d.field == "type" and "unknown event type" in d.reason,
    "naive_timestamp": lambda d: d.field == "published_at" and "timezone" in d.reason,
    "oversize_body": lambda d: d.field == "body" and "the limit is" in d.reason,
    "invalid_utf8": lambda d: d.reason.startswith("not UTF-8"),
    "unknown_schema_version": lambda d: d.field == "schema_version" and "newer" in d.reason,
    "empty_value": lambda d: d.reason.startswith("empty message"),
    "conflict": lambda d: d.reason.startswith("conflict: "),
}
"""Kind -> does this dead letter give the reason that kind deserves?"""

REEXEC_LINE = "re-executing it"
"""In a worker's log when the recovery watchdog re-executes it (service.runtime.watchdog)."""

Event = NewsArticle | OfficialStatement
Where = tuple[str, int, int]


@dataclass
class SoakReport:
    """What a soak sent, what came out, and the counts (see the module docstring)."""

    messages: int = 0
    in_order: bool = False
    """Each good event waited for before the next (``run_soak(in_order=True)``)."""
    good: int = 0
    bad: Counter[str] = field(default_factory=Counter)
    dead_lettered: Counter[str] = field(default_factory=Counter)
    """Bad messages on the dead-letter topic, by kind."""
    right_reason: Counter[str] = field(default_factory=Counter)
    by_reason: Counter[str] = field(default_factory=Counter)
    """Dead letters by reason label (the ``bilateral_deadletters_total`` label)."""
    missing_dead_letters: list[str] = field(default_factory=list)
    good_dead_lettered: list[str] = field(default_factory=list)
    unreflected_events: list[str] = field(default_factory=list)
    lost_alerts: list[str] = field(default_factory=list)
    reordered_alerts: int = 0
    duplicated_alerts: list[str] = field(default_factory=list)
    twice_different_reasons: list[str] = field(default_factory=list)
    redelivered: int = 0
    worker_exits: int = 0
    worker_reexecs: int = 0
    state_differs: list[str] = field(default_factory=list)
    dyads: int = 0
    alerts: int = 0
    seconds: float = 0.0

    @property
    def lost(self) -> int:
        return (
            len(self.missing_dead_letters)
            + len(self.good_dead_lettered)
            + len(self.unreflected_events)
            + len(self.lost_alerts)
        )

    @property
    def duplicated(self) -> int:
        return len(self.duplicated_alerts) + len(self.twice_different_reasons)

    @property
    def restarts(self) -> int:
        return self.worker_exits + self.worker_reexecs

    @property
    def wrong_reason(self) -> int:
        return sum(self.dead_lettered.values()) - sum(self.right_reason.values())

    def lines(self) -> list[str]:
        """The table, then the last line ``lost=N duplicated=N restarts=N``."""
        how = "in order (each good event extracted before the next)" if self.in_order else "bulk"
        out = [
            f"published: {how}, two workers",
            f"{'messages in':<34}{self.messages:>8}",
            f"{'good':<34}{self.good:>8}",
            f"{'bad':<34}{sum(self.bad.values()):>8}",
            "",
            f"{'bad, by kind':<26}{'sent':>8}{'dead-lettered':>15}{'right reason':>14}",
        ]
        for kind in BAD_KINDS:
            out.append(
                f"  {kind:<24}{self.bad[kind]:>8}{self.dead_lettered[kind]:>15}"
                f"{self.right_reason[kind]:>14}"
            )
        out.append(
            f"  {'total':<24}{sum(self.bad.values()):>8}{sum(self.dead_lettered.values()):>15}"
            f"{sum(self.right_reason.values()):>14}"
        )
        out += ["", f"{'dead-lettered, by reason label':<34}{'count':>8}"]
        for label, count in sorted(self.by_reason.items()):
            out.append(f"  {label:<32}{count:>8}")
        out.append(f"  {'total':<32}{sum(self.by_reason.values()):>8}")
        out += [
            "",
            f"{'lost':<34}{self.lost:>8}",
            f"  {'bad, not dead-lettered':<32}{len(self.missing_dead_letters):>8}",
            f"  {'good, dead-lettered':<32}{len(self.good_dead_lettered):>8}",
            f"  {'good, not in the state':<32}{len(self.unreflected_events):>8}",
            f"  {'alerts, not on the topic':<32}{len(self.lost_alerts):>8}",
            f"{'duplicated':<34}{self.duplicated:>8}",
            f"  {'alert ids with two bodies':<32}{len(self.duplicated_alerts):>8}",
            f"  {'dead-lettered, two reasons':<32}{len(self.twice_different_reasons):>8}",
            f"{'worker restarts':<34}{self.restarts:>8}",
            f"  {'exited unasked':<32}{self.worker_exits:>8}",
            f"  {'re-executed by the watchdog':<32}{self.worker_reexecs:>8}",
            f"{'wrong reason':<34}{self.wrong_reason:>8}",
            f"{'redelivered (same body, allowed)':<34}{self.redelivered:>8}",
            f"{'alerts on the topic':<34}{self.alerts:>8}",
            f"{'alerts fired at another tick':<34}{self.reordered_alerts:>8}",
            f"{'dyads / state differs':<34}{self.dyads:>5} / {len(self.state_differs)}",
            f"{'seconds':<34}{self.seconds:>8.0f}",
        ]
        for name, items in (
            ("bad, not dead-lettered", self.missing_dead_letters),
            ("good, dead-lettered", self.good_dead_lettered),
            ("good, not in the state", self.unreflected_events),
            ("alerts, not on the topic", self.lost_alerts),
            ("alert ids with two bodies", self.duplicated_alerts),
            ("dead-lettered, two reasons", self.twice_different_reasons),
            ("state differs", self.state_differs),
        ):
            if items:
                out.append(f"{name} (first 10): {items[:10]}")
        out.append(f"lost={self.lost} duplicated={self.duplicated} restarts={self.restarts}")
        return out


def _as_statement(article: NewsArticle) -> OfficialStatement:
    """The article as an official statement of the first country its text names."""
    issuer = next((code for code, name in COUNTRIES.items() if name in article.body), "IN")
    data = article.model_dump(exclude={"type"})
    return OfficialStatement(**data, issuer="Ministry of Foreign Affairs", issuer_country=issuer)


def _valid_dict(event_id: str) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "schema_version": 2,
        "type": "news_article",
        "published_at": "2026-03-01T10:00:00Z",
        "source": {"name": "Soak Wire", "kind": "news"},
        "headline": "India and Canada",
        "body": "India and Canada agreed to resume talks on trade.",
    }


def bad_message(kind: str, n: int, original: Event | None) -> tuple[str | None, bytes | None]:
    """(event id, value bytes) of the ``n``-th bad message of ``kind`` (a conflict takes the
    good ``original`` it contradicts). None as value is a tombstone."""
    event_id = f"soak-bad-{n}"
    data = _valid_dict(event_id)
    if kind == "invalid_json":
        return event_id, json.dumps(data).encode()[:-20]
    if kind == "wrong_types":
        data.update(event_id=n, body=["India and Canada agreed"])
        return None, json.dumps(data).encode()
    if kind == "unknown_type":
        data["type"] = "press_clipping"
    elif kind == "naive_timestamp":
        data["published_at"] = "2026-03-01T10:00:00"
    elif kind == "oversize_body":
        data["body"] = "India and Canada agreed to talk. " * (DEFAULT_MAX_BODY_CHARS // 32 + 100)
    elif kind == "invalid_utf8":
        return event_id, json.dumps(data).encode().replace(b"resume", b"res\xffume")
    elif kind == "unknown_schema_version":
        data["schema_version"] = 99
    elif kind == "empty_value":
        return event_id, (None if n % 2 else b"")
    elif kind == "conflict":
        assert original is not None
        changed = original.model_copy(update={"body": original.body + " Talks were cancelled."})
        return original.event_id, encode(changed)
    else:
        raise ValueError(f"unknown bad kind {kind!r}")
    return event_id, json.dumps(data).encode()


def _embedded(events: list[Event], data_dir: Path) -> tuple[dict[str, str], dict[str, str]]:
    """(dyad -> state JSON, alert id -> alert JSON without emitted_at) of a clean run."""
    from service.runtime.embedded import EmbeddedRuntime

    with EmbeddedRuntime(data_dir) as runtime:
        runtime.ingest(events)
        states = {d: runtime.state(d).model_dump_json() for d in runtime.dyads()}  # type: ignore[union-attr]
        alerts = {a.alert_id: a.model_dump_json(exclude={"emitted_at"}) for a in runtime.alerts()}
    return states, alerts


def run_soak(
    bootstrap: str,
    workdir: Path,
    *,
    messages: int = 10_000,
    seed: int = 5,
    partitions: int = 4,
    log: Callable[[str], None] = print,
    wait_seconds: float = 900.0,
    in_order: bool = False,
) -> SoakReport:
    """One soak run against the broker at ``bootstrap`` (work files under ``workdir``).

    ``in_order`` waits, after each good event, until a worker has extracted it (its clock tick
    is on every observations partition; ``publish --in-order``), so the projectors see the
    events in publishing order and the alert ids must be exactly those of the embedded run.
    Without it the messages go out as fast as the broker acknowledges them: the state must
    still converge, but a clock-derived alert (a deadline approaching or missed) the in-order run
    raises at a tick can go unraised when workers run apart in event time, and counts as lost.

    Raises TimeoutError when the workers do not take their partitions; a run that does not
    settle within ``wait_seconds`` is reported with what is missing, not raised.
    """
    t0 = time.monotonic()
    report = SoakReport(messages=messages, in_order=in_order)
    bad_at = {i for i in range(messages) if i % 5 == 4}
    articles = synthetic_articles(messages - len(bad_at), seed=seed, prefix=f"soak{seed}")
    good: list[Event] = [_as_statement(a) if i % 3 == 2 else a for i, a in enumerate(articles)]
    log(f"embedded run of {len(good)} good events ...")
    expected, expected_alerts = _embedded(good, workdir / "embedded")
    settings = unique_settings(
        bootstrap, workdir / "kafka", partitions=partitions, session_timeout_seconds=10.0
    )
    asyncio.run(ensure_topics(settings))
    workers = [
        WorkerProcess(settings, free_port(), workdir / f"worker{i}.log").start() for i in range(2)
    ]
    good_at: dict[Where, str] = {}
    bad_kind_at: dict[Where, str] = {}

    def check_workers() -> None:
        for w in workers:
            if not w.alive():
                report.worker_exits += 1
                log(f"  worker {w.port} exited unasked; starting it again")
                w.start()

    try:
        wait_assigned(workers, settings, timeout=120)
        log(f"publishing {messages} messages ({len(bad_at)} bad) ...")

        async def publish() -> None:
            next_good = 0
            last_good: Event | None = None
            ticks = TickWatcher(settings) if in_order else None
            if ticks is not None:
                await ticks.start()
            async with Publisher(settings) as publisher:
                for i in range(messages):
                    if i % 200 == 0:
                        check_workers()
                    if i not in bad_at:
                        event = good[next_good]
                        next_good += 1
                        good_at[await publisher.send_event(event)] = event.event_id
                        last_good = event
                        if ticks is not None:
                            await ticks.wait_for(event.published_at, 120.0)
                        continue
                    n = sum(report.bad.values())
                    kind = BAD_KINDS[n % len(BAD_KINDS)]
                    topic = settings.topic(NEWS if n % 2 else STATEMENTS)
                    if kind == "conflict" and last_good is not None:
                        topic = publisher.topic_for(last_good)  # the original's partition
                    elif kind == "conflict":  # nothing good sent yet: another kind instead
                        kind = BAD_KINDS[0]
                    event_id, value = bad_message(kind, n, last_good)
                    meta = await publisher.producer.send_and_wait(
                        topic, value=value, key=event_id.encode() if event_id else None
                    )
                    bad_kind_at[(meta.topic, meta.partition, meta.offset)] = kind
                    report.bad[kind] += 1
            if ticks is not None:
                await ticks.stop()
            report.good = next_good
            log("waiting for every good event's clock tick ...")
            watcher = TickWatcher(settings, from_beginning=True)
            await watcher.start()
            try:
                deadline = time.monotonic() + wait_seconds
                for event in good:
                    await watcher.wait_for(
                        event.published_at, max(1.0, deadline - time.monotonic())
                    )
                    check_workers()
            finally:
                await watcher.stop()

        asyncio.run(publish())
        log("waiting for the dead letters and the state ...")
        deadline = time.monotonic() + wait_seconds
        letters: list[tuple[Where | None, DeadLetter]] = []
        while time.monotonic() < deadline:
            records = asyncio.run(read_topic(settings, settings.topic(DEADLETTER), timeout=60))
            letters = []
            for r in records:
                letter = decode_dead_letter(r.value)
                where = None
                if letter.topic is not None and letter.partition is not None:
                    where = (letter.topic, letter.partition, letter.offset or 0)
                letters.append((where, letter))
            if set(bad_kind_at) <= {w for w, _ in letters}:
                break
            check_workers()
            time.sleep(2)
        dyads = sorted(expected)
        served: dict[str, str] = {}
        while time.monotonic() < deadline:
            check_workers()
            try:
                url = next(w.url for w in workers if w.alive())
                served = {}
                for d in dyads:
                    try:
                        served[d] = fetch_state(url, d, None).model_dump_json()
                    except LookupError:
                        served[d] = ""
            except ConnectionError:
                time.sleep(1)
                continue
            if served == expected:
                break
            time.sleep(2)
        alert_records = asyncio.run(read_topic(settings, settings.topic(ALERTS), timeout=60))
    finally:
        for w in workers:
            w.stop()
    for w in workers:
        text = w.log_path.read_text(errors="replace") if w.log_path.exists() else ""
        report.worker_reexecs += text.count(REEXEC_LINE)

    reasons: dict[Where, set[str]] = {}
    seen_ids: set[str] = set()
    for where, letter in letters:
        if letter.dead_letter_id in seen_ids:
            report.redelivered += 1
            continue
        seen_ids.add(letter.dead_letter_id)
        report.by_reason[reason_label(letter.reason, letter.field)] += 1
        if where is None:
            continue
        reasons.setdefault(where, set()).add(letter.reason)
        if where in good_at:
            report.good_dead_lettered.append(f"{good_at[where]} ({letter.reason[:80]})")
        kind = bad_kind_at.get(where)
        if kind is not None and len(reasons[where]) == 1:
            report.dead_lettered[kind] += 1
            report.right_reason[kind] += RIGHT_REASON[kind](letter)
    report.twice_different_reasons = sorted(
        f"{t}[{p}]@{o}" for (t, p, o), found in reasons.items() if len(found) > 1
    )
    report.missing_dead_letters = sorted(
        f"{bad_kind_at[w]} at {w[0]}[{w[1]}]@{w[2]}" for w in set(bad_kind_at) - set(reasons)
    )
    report.dyads = len(expected)
    report.state_differs = [d for d in dyads if served.get(d) != expected[d]]
    for d in dyads:
        want = event_ids_in(json.loads(expected[d]))
        have = event_ids_in(json.loads(served[d])) if served.get(d) else set()
        report.unreflected_events += sorted(want - have)
    bodies: dict[str, set[str]] = {}
    for r in alert_records:
        alert = decode_alert(r.value)
        bodies.setdefault(alert.alert_id, set()).add(alert.model_dump_json(exclude={"emitted_at"}))
    report.alerts = len(alert_records)
    report.duplicated_alerts = sorted(i for i, b in bodies.items() if len(b) > 1)
    missing = sorted(set(expected_alerts) - set(bodies))
    on_topic = {alert_news(body) for found in bodies.values() for body in found}
    report.lost_alerts = [i for i in missing if alert_news(expected_alerts[i]) not in on_topic]
    report.reordered_alerts = len(missing) - len(report.lost_alerts)
    report.seconds = time.monotonic() - t0
    return report
