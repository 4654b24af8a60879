"""The Faust app of the Kafka runtime: two thin agents, three tables, a live clock.

Built by :func:`build_app` from :class:`Settings` (nothing here reads the environment);
:func:`service.bootstrap.bootstrap` calls it and adds the HTTP views and the recovery watchdog.
Every topic carries raw bytes; :mod:`schemas.codec` decodes them inside a try block, so bad input
becomes a dead letter on ``bilateral.deadletter`` instead of a crashed agent.

Agents (the semantics are those of the embedded runtime, :mod:`service.runtime.embedded`):

``extractor`` (``bilateral.news`` + ``bilateral.statements`` -> ``bilateral.observations``):
    decode, skip an ``event_id`` already seen with the same body (table ``seen_events`` holds
    each id's :func:`~service.runtime.dedup.fingerprint`) or dead-letter it as a conflict when
    its body differs (the first version stands), ``extract``, send each
    observation keyed by its dyad, then a ``ClockTick(at=published_at, dyad=d)`` keyed by each
    dyad ``d`` its observations concern (after them, on the same partition), then the event's
    progress mark, ``ClockTick(at=published_at, dyad=None)``, to *every* partition of the
    observations topic (what ``publish --in-order`` waits for and the live clock's watermark:
    it moves no dyad's clock). Sends are awaited before the
    event id is marked seen: a crash in between re-extracts the event, which is harmless because
    observation ids are deterministic and the projector ignores ids it has seen.

``projector`` (``bilateral.observations`` -> ``bilateral.alerts``):
    an observation loads its dyad's ``DyadProjection`` (table ``projections``), advances it to
    ``max(its own clock, evidence.published_at, last live tick)`` (each dyad has its own
    event-time clock, as in the embedded runtime: the event's tick comes before its
    observations are folded, and another dyad's events never move it), appends the observation
    to the dyad's log (table ``observation_log``, in segments of ``LOG_SEGMENT`` observations so
    a write never grows with the dyad's history), applies it, or refolds the log when it is
    late, saves, and sends the new alerts keyed by dyad with ``emitted_at`` = wall-clock now. A
    tick with a ``dyad`` advances that dyad; a live tick (``origin`` live, ``dyad`` None)
    advances every dyad that lives on the tick's partition (table ``partitions``: watermark,
    last live tick and dyads of each partition); an event-time tick with ``dyad`` None only
    moves the partition's watermark. Alert ids already emitted by a dyad are never emitted
    again (``DyadProjection.emitted``), so redelivery after a restart repeats none.

Tables hold JSON bytes keyed by UTF-8 bytes (dyad, event id, ``p<N>``), are changelog-backed and
co-partitioned with their source topic, so a restarted worker recovers them from the changelog.
Rooms of this adapter, one reason to change each: the agent steps here; storing in
:mod:`service.runtime.faust_store`; sending in :mod:`service.runtime.faust_sender`; the
workarounds of faust-streaming 0.15.3 in :mod:`service.runtime.faust_patches` (and
:mod:`service.runtime.faust_consumer`), each named for the faust behaviour it avoids.

Failure modes handled here rather than by a patch (each has an integration test in
``tests/integration``):

- The changelog and leader topics are created by ``kafka_io.ensure_topics`` before a worker
  starts: when faust created them at start-up, its consumer's first metadata could see a
  changelog with 0 partitions, and every table write raised PartitionsMismatch (the projector
  dead-lettered each observation) until the metadata refreshed.
- Table recovery can still wait for good after a rebalance for changelog records that never
  reach it (records the consumer has fetched, never applied; seen in about one full test run in
  five, never on demand): the :class:`service.runtime.watchdog.RecoveryWatchdog`, a dependency
  of the app (added by :func:`service.bootstrap.bootstrap`) so that it also watches the first
  recovery, restarts the recovery and then re-executes the worker.
- faust acks a message whose agent step raised, so it was committed and never retried:
  :meth:`Monitor.run_step` marks it not processed (read again) and dead-letters it at its
  ``FAILURES_BEFORE_DEAD_LETTER``-th failure; the projector defers its table writes until its
  alerts are acked, so a step read again raises them again.
- A dyad's projection is one table record that grows with its history: changelog topics take
  records up to ``changelog_max_bytes`` (Kafka's 1 MiB default crashed faust's producer, and the
  worker with it, on every restart), the observation log is kept in segments, and a projection
  that would still be too large is dead-lettered, not sent.
- Both agents run with faust's default ``concurrency=1``: with more, faust can commit an offset
  past a message still in flight, which a killed worker then never processes (faust-streaming
  issue 606). Keep it at 1; scale with partitions and workers instead.

Imports: ``schemas``, ``service.domain``, :mod:`service.config` and ``service.runtime`` modules;
never ``service.api`` or ``service.bootstrap``.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import faust
from faust.types import EventT, StreamT, TableT, TopicT

from schemas.alerts import Alert
from schemas.codec import DecodeError, decode_event, decode_observation
from schemas.observations import ClockTick, CommitmentObservation, EngagementObservation
from service.config import Settings
from service.domain.extraction import extract
from service.domain.projection import DyadProjection, refold
from service.runtime.dedup import conflict_reason, fingerprint
from service.runtime.faust_patches import (
    SafeTableManager,
    keep_queued_messages_on_resume,
    raw_table,
    use_safe_consumer,
)
from service.runtime.faust_sender import Sender, received_at
from service.runtime.faust_store import TableStore
from service.runtime.kafka_io import (
    ALERTS,
    DEADLETTER,
    NEWS,
    OBSERVATIONS,
    STATEMENTS,
    ssl_context,
)
from service.runtime.metrics import Metrics

__all__ = [
    "Monitor",
    "build_app",
    "live_tick_at",
]

log = logging.getLogger(__name__)

FAILURES_BEFORE_DEAD_LETTER = 3
"""An agent step that raises this many times on one message dead-letters it (see run_step)."""

Observation = CommitmentObservation | EngagementObservation


def _now() -> datetime:
    return datetime.now(UTC)


def _raw_topic(app: faust.App, settings: Settings, *names: str) -> TopicT:
    return app.topic(
        *(settings.topic(n) for n in names),
        key_type=bytes,
        value_type=bytes,
        key_serializer="raw",
        value_serializer="raw",
        partitions=settings.partitions,
        replicas=settings.replication_factor,
    )


def _credentials(settings: Settings) -> Any:
    context = ssl_context(settings)
    if settings.security_protocol.startswith("SASL"):
        return faust.SASLCredentials(
            username=settings.sasl_username,
            password=settings.sasl_password.get_secret_value() if settings.sasl_password else None,
            mechanism=settings.sasl_mechanism or "PLAIN",
            ssl_context=context,
        )
    if context is not None:
        return faust.SSLCredentials(context)
    return None


def live_tick_at(
    watermark: datetime | None,
    idle_for: float,
    idle_seconds: float,
    now: datetime,
) -> datetime | None:
    """The ``at`` of the next live ClockTick, or None when there is nothing to say.

    The live clock is a watermark: the greatest event time seen so far (``watermark``), moved to
    wall-clock ``now`` only once the inbound topics have been quiet for ``idle_seconds``
    (``idle_for`` is how long they have been quiet, in seconds). So a backfill of old events,
    which keeps the inbound topics busy, never lapses commitments early against the wall clock;
    and once the stream is idle, deadlines that passed in real time are judged.
    """
    if idle_for >= idle_seconds:
        return now if watermark is None else max(watermark, now)
    return watermark


@dataclass
class Monitor:
    """What :func:`build_app` built: the app, its topics and tables, and the agent steps.

    Storing is the :class:`~service.runtime.faust_store.TableStore`'s (``store``), sending the
    :class:`~service.runtime.faust_sender.Sender`'s (``sender``); the methods below of the same
    names hand on to them, so the views and tests see one object.
    """

    settings: Settings
    app: faust.App
    inbound: TopicT
    observations: TopicT
    alerts: TopicT
    deadletter: TopicT
    seen_events: TableT
    projections: TableT
    observation_log: TableT
    partitions: TableT
    watermark: datetime | None = None
    last_inbound: float = field(default_factory=time.monotonic)
    last_live_tick: datetime | None = None
    metrics: Metrics = field(default_factory=Metrics)
    failures: dict[tuple[str, int, int], int] = field(default_factory=dict)
    """(topic, partition, offset) -> times its agent step raised (cleared once it succeeds)."""
    store: TableStore = field(init=False)
    sender: Sender = field(init=False)

    def __post_init__(self) -> None:
        self.store = TableStore(
            self.settings,
            self.metrics,
            projections=self.projections,
            observation_log=self.observation_log,
            partitions=self.partitions,
        )
        self.sender = Sender(
            self.settings,
            self.metrics,
            observations=self.observations,
            alerts=self.alerts,
            deadletter=self.deadletter,
        )

    # -- storing (TableStore) ----------------------------------------------------------------

    @property
    def decoded(self) -> dict[str, tuple[bytes, DyadProjection]]:
        """The store's decoded projections (see :attr:`TableStore.decoded`)."""
        return self.store.decoded

    def load(self, dyad: str) -> DyadProjection | None:
        """:meth:`TableStore.load`."""
        return self.store.load(dyad)

    def save(self, proj: DyadProjection) -> None:
        """:meth:`TableStore.save` (raises :class:`~service.runtime.faust_store.StateTooLarge`)."""
        self.store.save(proj)

    def forget(self) -> None:
        """:meth:`TableStore.forget`."""
        self.store.forget()

    def log_of(self, dyad: str) -> list[Observation]:
        """:meth:`TableStore.log_of`."""
        return self.store.log_of(dyad)

    def append_log(self, obs: Observation, applied: set[str]) -> bool:
        """:meth:`TableStore.append_log`."""
        return self.store.append_log(obs, applied)

    def dyads_on(self, partition: int) -> list[str]:
        """:meth:`TableStore.dyads_on`."""
        return self.store.dyads_on(partition)

    # -- sending (Sender) --------------------------------------------------------------------

    async def dead_letter(
        self, event: EventT, reason: str, field: str | None = None, event_id: str | None = None
    ) -> None:
        """Send the message of ``event`` to the dead-letter topic with ``reason``; await the ack."""
        await self.sender.dead_letter(event.message, reason, field, event_id)

    async def send_alerts(self, alerts: list[Alert]) -> None:
        """:meth:`Sender.send_alerts`."""
        await self.sender.send_alerts(alerts)

    async def broadcast_tick(self, tick: ClockTick, received: float | None = None) -> None:
        """:meth:`Sender.broadcast_tick`."""
        await self.sender.broadcast_tick(tick, received)

    # -- agent bodies ------------------------------------------------------------------------

    async def run_step(self, step: Any, event: EventT, agent: str) -> None:
        """Run one agent step (``extract_one`` or ``project_one``) so that a failure loses nothing.

        The steps dead-letter bad input themselves; what still raises is unexpected, most often
        a send the broker did not acknowledge. faust would ack the message all the same and
        commit past it. Here it is marked not processed instead (the consumer reads its
        partition again from it, a few seconds later), and on its
        ``FAILURES_BEFORE_DEAD_LETTER``-th failure it is dead-lettered with the reason, so one
        that always fails cannot hold its partition back for good. Both steps send before they
        record (the extractor marks an event seen after its observations are acked, the
        projector saves after its alerts are), so a step read again redoes what failed. Counted
        by ``bilateral_processing_failures_total{agent}``.
        """
        msg = event.message
        key = (msg.topic, msg.partition, msg.offset)
        try:
            await step(event)
        except Exception as exc:
            self.forget()  # a projection may have changed in memory and not been saved
            count = self.failures[key] = self.failures.get(key, 0) + 1
            self.metrics.processing_failures.labels(agent).inc()
            log.exception(
                "%s failed on %s[%d]@%d (failure %d of %d)",
                agent,
                msg.topic,
                msg.partition,
                msg.offset,
                count,
                FAILURES_BEFORE_DEAD_LETTER,
                extra={"topic": msg.topic, "partition": msg.partition, "offset": msg.offset},
            )
            if count >= FAILURES_BEFORE_DEAD_LETTER:
                reason = f"{agent} failed {count} times: {type(exc).__name__}: {exc}"
                try:
                    await self.dead_letter(event, reason, None, _event_id_of(event.value))
                except Exception:
                    log.exception("could not dead-letter %s[%d]@%d", *key)
                else:
                    self.failures.pop(key, None)
                    return
            self.app.consumer.not_processed(msg)  # type: ignore[attr-defined]
        else:
            if self.failures:
                self.failures.pop(key, None)

    async def extract_one(self, event: EventT) -> None:
        """Extractor step for one inbound message (see the module docstring)."""
        raw = event.value
        received = time.time()
        self.metrics.consumed.labels(event.message.topic).inc()
        try:
            inbound = decode_event(raw, max_body_chars=self.settings.max_body_chars)
        except DecodeError as exc:
            await self.dead_letter(event, exc.reason, exc.field, _event_id_of(raw))
            return
        self.last_inbound = time.monotonic()
        trace = {"event_id": inbound.event_id}
        seen_key = inbound.event_id.encode("utf-8")
        digest = fingerprint(inbound)
        seen = self.seen_events.get(seen_key)
        if seen is not None and seen != b"1" and seen.decode("ascii", "replace") != digest:
            # b"1" marks an event seen before fingerprints were kept: taken as the same event.
            reason = conflict_reason(inbound.event_id, seen.decode("ascii", "replace"), digest)
            await self.dead_letter(event, reason, None, inbound.event_id)
            self.metrics.conflicts.inc()
            return
        if seen is not None:
            log.info("duplicate event %s ignored", inbound.event_id, extra=trace)
            # Its tick again (the clock is already there: nothing changes), so a publisher
            # waiting for it (publish --in-order) is not left waiting.
            await self.broadcast_tick(ClockTick(at=inbound.published_at))
            return
        try:
            with self.metrics.extraction.time():
                observations = extract(inbound)
        except Exception as exc:
            log.exception("extraction failed for %s", inbound.event_id, extra=trace)
            await self.dead_letter(
                event, f"extraction failed: {type(exc).__name__}: {exc}", None, inbound.event_id
            )
            return
        await self.sender.send_observations(observations, received)
        log.info(
            "extracted %d observations from %s", len(observations), inbound.event_id, extra=trace
        )
        dyads = sorted({obs.dyad for obs in observations})
        await self.sender.send_ticks(
            [ClockTick(at=inbound.published_at, dyad=d) for d in dyads], received
        )
        await self.broadcast_tick(ClockTick(at=inbound.published_at), received)
        self.seen_events[seen_key] = digest.encode("ascii")

    async def project_one(self, event: EventT) -> None:
        """Projector step for one observations message (see the module docstring)."""
        self.metrics.consumed.labels(event.message.topic).inc()
        try:
            item = decode_observation(event.value)
        except DecodeError as exc:
            await self.dead_letter(event, exc.reason, exc.field)
            return
        partition = event.message.partition
        with self.store.defer():
            try:
                if isinstance(item, ClockTick):
                    alerts = self._tick(partition, item)
                else:
                    alerts = self._observe(partition, item)
            except Exception as exc:
                self.forget()  # a projection may have changed in memory and not been saved
                log.exception(
                    "projection failed at offset %d",
                    event.message.offset,
                    extra={
                        "event_id": getattr(item, "event_id", None),
                        "offset": event.message.offset,
                    },
                )
                await self.dead_letter(event, f"projection failed: {type(exc).__name__}: {exc}")
                return
            await self.send_alerts(alerts)
            self.store.apply_deferred()
        received = received_at(event.message.headers)
        if alerts and received is not None:
            self.metrics.latency.observe(max(0.0, time.time() - received))

    def _tick(self, partition: int, tick: ClockTick) -> list[Alert]:
        if tick.origin == "event_time":
            self.last_inbound = time.monotonic()
            self.watermark = tick.at if self.watermark is None else max(self.watermark, tick.at)
        entry = self.store.partition(partition)
        if tick.dyad is None:
            clock = datetime.fromisoformat(entry["clock"]) if entry["clock"] else None
            moved = clock is None or tick.at > clock
            if moved:
                entry["clock"] = tick.at.isoformat()
            if tick.origin == "event_time":
                # The extractor's progress mark: another dyad's event judges no dyad here.
                if moved:
                    self.store.save_partition(partition, entry)
                return []
            live = entry.get("live")
            if live is not None and tick.at <= datetime.fromisoformat(live):
                return []
            entry["live"] = tick.at.isoformat()
            self.store.save_partition(partition, entry)
            targets = sorted(entry["dyads"])
        else:
            targets = [tick.dyad] if tick.dyad in entry["dyads"] else []
        alerts: list[Alert] = []
        for dyad in targets:
            proj = self.load(dyad)
            if proj is None:
                continue
            before = proj.clock
            alerts.extend(proj.tick(tick))
            if proj.clock != before:
                self.save(proj)
        return alerts

    def _observe(self, partition: int, obs: Observation) -> list[Alert]:
        entry = self.store.partition(partition)
        at = obs.evidence.published_at
        if entry.get("live"):  # the live clock judges every dyad, new ones too
            at = max(at, datetime.fromisoformat(entry["live"]))
        proj = self.load(obs.dyad)
        if proj is None:
            proj = DyadProjection(obs.dyad)
            entry["dyads"] = sorted({*entry["dyads"], obs.dyad})
            self.store.save_partition(partition, entry)
        self.append_log(obs, proj.seen)
        alerts = proj.tick(ClockTick(at=at, dyad=obs.dyad))
        if proj.is_late(obs):
            proj, late = refold(
                obs.dyad,
                self.log_of(obs.dyad),
                clock=proj.clock,
                emitted=proj.emitted,
            )
            alerts.extend(late)
        else:
            alerts.extend(proj.apply(obs))
        self.save(proj)
        return alerts

    async def live_tick(self) -> None:
        """Timer body: emit a live ClockTick when :func:`live_tick_at` moves the clock."""
        watermark = self.watermark
        latest = self.store.latest_clock()
        if latest is not None:
            watermark = latest if watermark is None else max(watermark, latest)
        at = live_tick_at(
            watermark,
            time.monotonic() - self.last_inbound,
            self.settings.live_clock_idle_seconds,
            _now(),
        )
        if at is None or (self.last_live_tick is not None and at <= self.last_live_tick):
            return
        if watermark is not None and at <= watermark:
            return
        self.last_live_tick = at
        await self.broadcast_tick(ClockTick(at=at, origin="live"))


def _event_id_of(raw: Any) -> str | None:
    try:
        data = json.loads(raw)
    except (TypeError, ValueError):
        return None
    value = data.get("event_id") if isinstance(data, dict) else None
    return value if isinstance(value, str) else None


def build_app(settings: Settings, *, datadir: str | None = None) -> faust.App:
    """Build the Faust app: topics, tables, agents, the live clock timer and, with
    ``settings.alertmanager_url``, the task that keeps that Alertmanager current.

    No HTTP views and no recovery watchdog: :func:`service.bootstrap.bootstrap` adds those (it
    is what entry points and tests call).

    ``settings`` gives the broker, topic prefix, partition count, app id (the consumer group and
    the prefix of the changelog topics), store, web host/port and security options. ``datadir``
    is Faust's local data directory (default ``<data_dir>/faust-<web_port>``, so several workers
    on one host keep apart). The :class:`Monitor` is at ``app.bilateral``.
    """
    port = settings.web_port
    datadir = datadir or str(settings.data_dir / f"faust-{port}")
    Path(datadir).parent.mkdir(parents=True, exist_ok=True)
    app = faust.App(
        settings.app_id,
        broker=[f"kafka://{host.strip()}" for host in settings.bootstrap.split(",")],
        broker_credentials=_credentials(settings),
        store=settings.store,
        datadir=datadir,
        autodiscover=False,
        key_serializer="raw",
        value_serializer="raw",
        topic_partitions=settings.partitions,
        topic_replication_factor=settings.replication_factor,
        producer_acks=-1,
        # A dyad's projection is one table record that grows with its history (about 0.5 KB
        # per observation); Kafka's default limit of 1 MiB would stop a busy dyad.
        producer_max_request_size=settings.changelog_max_bytes,
        consumer_max_fetch_size=settings.changelog_max_bytes,
        processing_guarantee="at_least_once",
        broker_session_timeout=settings.session_timeout_seconds,
        broker_heartbeat_interval=min(3.0, settings.session_timeout_seconds / 3),
        consumer_auto_offset_reset="earliest",
        stream_recovery_delay=0.0,
        table_standby_replicas=1,
        web_enabled=True,
        web_bind=settings.web_host,
        web_host=settings.web_host,
        web_port=port,
        canonical_url=f"http://{settings.web_host}:{port}",
        TableManager=SafeTableManager,
        web_in_thread=False,
    )
    # Before anything creates app.consumer: commits that never pass an unprocessed message.
    use_safe_consumer(app)
    monitor = Monitor(
        settings=settings,
        app=app,
        inbound=_raw_topic(app, settings, NEWS, STATEMENTS),
        observations=_raw_topic(app, settings, OBSERVATIONS),
        alerts=_raw_topic(app, settings, ALERTS),
        deadletter=_raw_topic(app, settings, DEADLETTER),
        seen_events=raw_table(app, settings, "seen_events", "event ids already extracted"),
        projections=raw_table(app, settings, "projections", "dyad -> DyadProjection JSON"),
        observation_log=raw_table(
            app, settings, "observation_log", "dyad -> segment count; dyad#i -> observation JSONs"
        ),
        partitions=raw_table(app, settings, "partitions", "p<N> -> clock and dyads of partition N"),
    )
    app.bilateral = monitor  # type: ignore[attr-defined]

    @app.agent(monitor.inbound, name="extractor")
    async def extractor(stream: StreamT) -> None:
        async for event in stream.events():
            await monitor.run_step(monitor.extract_one, event, "extractor")

    @app.agent(monitor.observations, name="projector")
    async def projector(stream: StreamT) -> None:
        async for event in stream.events():
            await monitor.run_step(monitor.project_one, event, "projector")

    if settings.live_clock_seconds > 0:

        @app.timer(interval=settings.live_clock_seconds, on_leader=True, name="live_clock")
        async def live_clock() -> None:
            await monitor.live_tick()

    if settings.alertmanager_url:
        from service.runtime.alertmanager import keep_alertmanager_current

        alertmanager_url = settings.alertmanager_url

        @app.task
        async def alertmanager_feed() -> None:
            # every worker follows the whole alert stream: Alertmanager deduplicates by labels
            await keep_alertmanager_current(settings, alertmanager_url)

    keep_queued_messages_on_resume(app)
    return app
