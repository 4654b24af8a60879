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
    observation keyed by its dyad, then a ``ClockTick(at=published_at, dyad=None)`` to *every*
    partition of the observations topic (so every dyad's clock moves, as in the embedded runtime
    where each inbound event advances the clock of every dyad). Sends are awaited before the
    event id is marked seen: a crash in between re-extracts the event, which is harmless because
    observation ids are deterministic and the projector ignores ids it has seen.

``projector`` (``bilateral.observations`` -> ``bilateral.alerts``):
    an observation loads its dyad's ``DyadProjection`` (table ``projections``), advances it to
    ``max(partition clock, evidence.published_at)`` (the embedded runtime's ``max(clock,
    published_at)``: the event's own tick follows its observations), appends the observation to
    the dyad's log (table ``observation_log``, in segments of ``LOG_SEGMENT`` observations so a
    write never grows with the dyad's history), applies it, or refolds the log when it is late,
    saves, and sends the new alerts keyed by dyad with ``emitted_at`` = wall-clock now. A tick
    with ``dyad`` None advances every dyad that lives on the tick's partition (table
    ``partitions``: clock and dyads of each partition). Alert ids already emitted by a dyad are
    never emitted again (``DyadProjection.emitted``), so redelivery after a restart repeats none.

Tables hold JSON bytes keyed by UTF-8 bytes (dyad, event id, ``p<N>``), are changelog-backed and
co-partitioned with their source topic, so a restarted worker recovers them from the changelog.

Known faust-streaming 0.15.3 failure modes and how this app avoids them (each has an
integration test in ``tests/integration``):

- Tables are declared with ``key_type=bytes, value_type=bytes``, not only a raw ``schema``:
  faust derives a table's changelog serializers from key_type/value_type and otherwise falls
  back to json, overwriting the schema's (faust-streaming issue 310). Writes of bytes skip the
  codec, so recovery could not decode the raw keys it had written ("Error in recovery Expecting
  value"), never reached the changelog's end offsets, and a worker taking over a stopped peer's
  partitions stalled forever ("No event received for active tp ... since recovery start").
- The changelog and leader topics are created by ``kafka_io.ensure_topics`` before a worker
  starts: when faust created them at start-up, its consumer's first metadata could see a
  changelog with 0 partitions, and every table write raised PartitionsMismatch (the projector
  dead-lettered each observation) until the metadata refreshed.
- Table recovery can still wait for good after a rebalance for changelog records that never
  reach it (records the consumer has fetched, never applied; seen in about one full test run in
  five, never on demand): the
  :class:`service.runtime.watchdog.RecoveryWatchdog`, a dependency of the app so that it also
  watches the first recovery, restarts the recovery and then re-executes the worker.
- faust can drop records it has fetched around a rebalance, and its offset bookkeeping could
  then commit past them (gap filling, an off-by-one at the committed head, no check at all on a
  partition never committed): an event published while the group forms was lost now and then.
  :class:`service.runtime.faust_consumer.SafeConsumer` commits only runs of processed offsets
  that start at the committed one, and seeks a partition back to a dropped record. mode also
  clears the stream and changelog queues on every flow resume, after faust's seek:
  :func:`keep_queued_messages_on_resume` stops that.
- faust acks a message whose agent step raised, so it was committed and never retried:
  :meth:`Monitor.run_step` marks it not processed (read again) and dead-letters it at its
  ``FAILURES_BEFORE_DEAD_LETTER``-th failure; the projector defers its table writes until its
  alerts are acked, so a step read again raises them again.
- A rebalance during a recovery could make faust seek a standby changelog partition to offset
  None, and the worker crashed (ValueError "Offset must be a positive integer"):
  :class:`SafeRecovery` reads such a partition from its start.
- A dyad's projection is one table record that grows with its history: changelog topics take
  records up to ``changelog_max_bytes`` (Kafka's 1 MiB default crashed faust's producer, and the
  worker with it, on every restart), the observation log is kept in segments, and a projection
  that would still be too large is dead-lettered, not sent.
- Both agents run with faust's default ``concurrency=1``: with more, faust can commit an offset
  past a message still in flight, which a killed worker then never processes (faust-streaming
  issue 606). Keep it at 1; scale with partitions and workers instead.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import faust
from faust.tables.manager import TableManager
from faust.tables.recovery import Recovery
from faust.types import EventT, StreamT, TableT, TopicT

from schemas.alerts import Alert
from schemas.codec import DecodeError, decode_event, decode_observation, encode
from schemas.observations import ClockTick, CommitmentObservation, EngagementObservation
from service.config import Settings
from service.runtime.dedup import conflict_reason, fingerprint
from service.runtime.faust_consumer import SafeConsumer
from service.runtime.kafka_io import (
    ALERTS,
    DEADLETTER,
    NEWS,
    OBSERVATIONS,
    STATEMENTS,
    dead_letter_for,
    ssl_context,
)
from service.runtime.metrics import Metrics, reason_label

__all__ = [
    "Monitor",
    "SafeRecovery",
    "SafeTableManager",
    "StateTooLarge",
    "build_app",
    "live_tick_at",
]

log = logging.getLogger(__name__)

FAILURES_BEFORE_DEAD_LETTER = 3
"""An agent step that raises this many times on one message dead-letters it (see run_step)."""

Observation = CommitmentObservation | EngagementObservation


class StateTooLarge(ValueError):
    """A table record would exceed ``Settings.changelog_max_bytes``."""


RECORD_OVERHEAD = 64 * 1024
"""Bytes kept free below ``changelog_max_bytes`` for the key, headers and batch framing."""

LOG_SEGMENT = 100
"""Observations per segment of a dyad's log in the ``observation_log`` table (about 80 KB)."""

RECEIVED_AT = "bilateral-received-at"
"""Kafka header of observations and event-time ticks: wall-clock time (Unix seconds) at which the
extractor received the inbound event; the projector measures processing latency from it."""


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


def _raw_table(app: faust.App, settings: Settings, name: str, help: str) -> TableT:
    # key_type/value_type bytes, not only a raw ``schema``: faust derives the table's (and so its
    # changelog topic's) serializers from key_type/value_type, falling back to json and
    # overwriting the schema's raw ones (faust-streaming issue 310). Writes skip the codec for
    # bytes, so the changelog held raw keys that recovery then failed to json-decode: every
    # changelog record became "Error in recovery Expecting value", and a worker taking over a
    # peer's partitions waited forever for offsets it could not read.
    return app.Table(
        name,
        default=None,
        key_type=bytes,
        value_type=bytes,
        schema=faust.Schema(
            key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw"
        ),
        partitions=settings.partitions,
        help=help,
    )


class SafeRecovery(Recovery):
    """faust's table Recovery, except that a changelog partition with no offset yet is read from
    its start instead of crashing the worker.

    faust-streaming 0.15.3: when a rebalance arrives while a recovery waits for its active
    partitions, ``_restart_recovery`` swallows the RebalanceAgain and goes on to seek the new
    standby partitions, whose offsets ``Recovery._add`` left at None; aiokafka's seek then raises
    ValueError("Offset must be a positive integer") and the worker crashes. -1 is faust's own
    "nothing read yet" (it seeks to 0).
    """

    async def _seek_offsets(self, consumer: Any, tps: Any, offsets: Any, title: str) -> None:
        for tp in tps:
            if offsets.get(tp) is None:
                offsets[tp] = -1
        await super()._seek_offsets(consumer, tps, offsets, title)


class SafeTableManager(TableManager):
    """faust's TableManager with :class:`SafeRecovery` (``TableManager=`` of the app)."""

    @property
    def recovery(self) -> Recovery:
        if self._recovery is None:
            self._recovery = SafeRecovery(self.app, self, beacon=self.beacon, loop=self.loop)
        return self._recovery


def keep_queued_messages_on_resume(app: faust.App) -> None:
    """Make ``app.flow_control.resume()`` resume flow without clearing the queues.

    mode's FlowControlEvent clears every queue made with ``clear_on_resume`` (the stream queues
    and the changelog queue) on *every* ``resume()``, and faust resumes flow after seeking the
    stream partitions to their committed offsets: a record fetched between the seek and the
    resume is dropped while the consumer's position is already past it, so it is never
    processed. Without the clear, a record queued before a seek is processed at most twice
    (the stream skips one of an earlier generation; extraction and projection are idempotent).
    Queues are still cleared where faust clears them explicitly (partitions revoked, stop).
    """
    flow = app.flow_control

    def resume() -> None:
        flow._suspend.clear()
        flow._resume.set()

    flow.resume = resume  # type: ignore[method-assign]


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
    """What :func:`build_app` built: the app, its topics and tables (views use it)."""

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
    decoded: dict[str, tuple[bytes, Any]] = field(default_factory=dict)
    """dyad -> (stored bytes, the DyadProjection they decode to): parsing a large projection
    costs more than folding an observation into it (about 100 ms against 15 ms at 1 MB)."""
    deferred: list[tuple[TableT, bytes, bytes]] | None = None
    """The projection and partition writes of the projector step under way, applied only once
    its alerts are sent (None outside a step): a step that fails to send is read again and
    raises the same alerts, instead of finding its effects saved and the alerts gone."""
    failures: dict[tuple[str, int, int], int] = field(default_factory=dict)
    """(topic, partition, offset) -> times its agent step raised (cleared once it succeeds)."""

    # -- table access ------------------------------------------------------------------------

    def load(self, dyad: str) -> Any:
        """The stored projection of ``dyad`` (a ``DyadProjection``) or None.

        Decoded once per stored value: while the table holds the same bytes, the same object is
        returned (``decoded``). Callers that change it must :meth:`save` it, or call
        :meth:`forget` when they fail half way (the projector does).
        """
        from service.domain.projection import DyadProjection

        raw = self.projections.get(dyad.encode("utf-8"))
        if raw is None:
            self.decoded.pop(dyad, None)
            return None
        hit = self.decoded.get(dyad)
        if hit is not None and hit[0] == raw:
            return hit[1]
        proj = DyadProjection.from_dict(json.loads(raw))
        self.decoded[dyad] = (raw, proj)
        return proj

    def forget(self) -> None:
        """Drop every decoded projection (the next :meth:`load` parses the stored bytes)."""
        self.decoded.clear()

    def save(self, proj: Any) -> None:
        """Store a ``DyadProjection`` (JSON of ``to_dict``); update the commitments gauge.

        Raises :class:`StateTooLarge`, storing nothing, when the record would exceed
        ``settings.changelog_max_bytes`` (less ``RECORD_OVERHEAD``): sending it would crash
        faust's producer and with it the worker, on every restart. The projector dead-letters
        the message that caused it instead and goes on.
        """
        raw = json.dumps(proj.to_dict(), separators=(",", ":")).encode("utf-8")
        limit = self.settings.changelog_max_bytes - RECORD_OVERHEAD
        if len(raw) > limit:
            raise StateTooLarge(
                f"the projection of {proj.dyad} would be {len(raw)} bytes, above the "
                f"{limit} a changelog record may hold (raise changelog_max_bytes)"
            )
        self._write(self.projections, proj.dyad.encode("utf-8"), raw)
        self.decoded[proj.dyad] = (raw, proj)
        self.metrics.set_commitments(proj.snapshot())

    def log_of(self, dyad: str) -> list[Observation]:
        """The observation log of ``dyad`` in arrival order (decoded; every segment)."""
        return [decode_observation(item) for item in self._log_items(dyad)]

    def _log_index(self, dyad: str) -> tuple[int, list[str] | None]:
        """(segment count, None), or (0, the whole log) for a log written before segments."""
        raw = self.observation_log.get(dyad.encode("utf-8"))
        if raw is None:
            return 0, None
        data = json.loads(raw)
        if isinstance(data, list):
            return 0, data
        return int(data["segments"]), None

    def _segment(self, dyad: str, index: int) -> list[str]:
        raw = self.observation_log.get(_segment_key(dyad, index))
        return json.loads(raw) if raw else []

    def _log_items(self, dyad: str) -> list[str]:
        count, whole = self._log_index(dyad)
        items = list(whole or [])
        for index in range(count):
            items.extend(self._segment(dyad, index))
        return items

    def append_log(self, obs: Observation, applied: set[str]) -> bool:
        """Append ``obs`` to its dyad's log unless it is there already; True when appended.

        ``applied`` is the dyad projection's ``seen`` ids: an applied observation is logged.
        One not applied may still be in the last segment (a crash between the log write and the
        projection write), so that segment is checked too. The log is kept in segments of
        ``LOG_SEGMENT`` observations (keys ``dyad#0``, ``dyad#1`` ...; the dyad key holds
        ``{"segments": n}``), so an append rewrites one segment, never the whole log, and no
        changelog record grows with the dyad's history. A log written as one list under the
        dyad key is split into segments at its first append.
        """
        if obs.observation_id in applied:
            return False
        dyad = obs.dyad
        count, whole = self._log_index(dyad)
        if whole is not None:  # written before segments: split it now
            chunks = [whole[i : i + LOG_SEGMENT] for i in range(0, len(whole), LOG_SEGMENT)]
            for index, chunk in enumerate(chunks):
                self.observation_log[_segment_key(dyad, index)] = json.dumps(chunk).encode()
            count = len(chunks)
        last = self._segment(dyad, count - 1) if count else []
        if any(json.loads(item)["observation_id"] == obs.observation_id for item in last):
            return False
        if not count or len(last) >= LOG_SEGMENT:
            last, count = [], count + 1
        last.append(obs.model_dump_json())
        self.observation_log[_segment_key(dyad, count - 1)] = json.dumps(last).encode("utf-8")
        self.observation_log[dyad.encode("utf-8")] = json.dumps({"segments": count}).encode()
        return True

    def dyads_on(self, partition: int) -> list[str]:
        """The dyads living on observations ``partition`` (table ``partitions``; sorted)."""
        return sorted(self._partition(partition)["dyads"])

    def _partition(self, partition: int) -> dict[str, Any]:
        raw = self.partitions.get(f"p{partition}".encode())
        return json.loads(raw) if raw else {"clock": None, "dyads": []}

    def _save_partition(self, partition: int, entry: dict[str, Any]) -> None:
        self._write(self.partitions, f"p{partition}".encode(), json.dumps(entry).encode("utf-8"))

    def _write(self, table: TableT, key: bytes, raw: bytes) -> None:
        if self.deferred is None:
            table[key] = raw
        else:
            self.deferred.append((table, key, raw))

    # -- sending -----------------------------------------------------------------------------

    async def dead_letter(
        self, event: EventT, reason: str, field: str | None = None, event_id: str | None = None
    ) -> None:
        """Send the message of ``event`` to the dead-letter topic with ``reason``; await the ack."""
        msg = event.message
        letter = dead_letter_for(
            msg.value if isinstance(msg.value, bytes) else None,
            reason,
            field=field,
            topic=msg.topic,
            partition=msg.partition,
            offset=msg.offset,
            key=msg.key if isinstance(msg.key, bytes | str) else None,
            event_id=event_id,
        )
        log.warning(
            "dead-lettered %s[%d]@%d: %s",
            msg.topic,
            msg.partition,
            msg.offset,
            reason,
            extra={
                "event_id": event_id,
                "topic": msg.topic,
                "partition": msg.partition,
                "offset": msg.offset,
            },
        )
        await (await self.deadletter.send(key=msg.key, value=encode(letter)))
        self.metrics.dead_lettered.labels(reason_label(reason, field)).inc()
        self.metrics.produced.labels(self.deadletter.get_topic_name()).inc()

    async def send_alerts(self, alerts: list[Alert]) -> None:
        """Send alerts keyed by dyad, stamped ``emitted_at`` = now; await every ack."""
        if not alerts:
            return
        stamp = _now()
        futures = [
            await self.alerts.send(
                key=a.dyad.encode("utf-8"),
                value=encode(a.model_copy(update={"emitted_at": stamp})),
            )
            for a in alerts
        ]
        await asyncio.gather(*futures)
        self.metrics.produced.labels(self.alerts.get_topic_name()).inc(len(alerts))
        self.metrics.count_alerts(alerts)
        for a in alerts:
            log.info(
                "alert %s %s sent",
                a.kind.value,
                a.alert_id,
                extra={
                    "alert_id": a.alert_id,
                    "dyad": a.dyad,
                    "event_id": a.evidence.event_id if a.evidence else None,
                },
            )

    async def broadcast_tick(self, tick: ClockTick, received_at: float | None = None) -> None:
        """Send ``tick`` to every partition of the observations topic; await the acks."""
        value = encode(tick)
        headers = _received_header(received_at)
        futures = [
            await self.observations.send(key=None, value=value, partition=p, headers=headers)
            for p in range(self.settings.partitions)
        ]
        await asyncio.gather(*futures)
        self.metrics.produced.labels(self.observations.get_topic_name()).inc(len(futures))

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
        from service.domain.extraction import extract

        raw = event.value
        received_at = time.time()
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
        headers = _received_header(received_at)
        futures = [
            await self.observations.send(
                key=obs.dyad.encode("utf-8"), value=encode(obs), headers=headers
            )
            for obs in observations
        ]
        await asyncio.gather(*futures)
        self.metrics.produced.labels(self.observations.get_topic_name()).inc(len(futures))
        log.info(
            "extracted %d observations from %s", len(observations), inbound.event_id, extra=trace
        )
        await self.broadcast_tick(ClockTick(at=inbound.published_at), received_at)
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
        self.deferred = []
        try:
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
            for table, key, raw in self.deferred:
                table[key] = raw
        finally:
            self.deferred = None
        received_at = _received_at(event.message.headers)
        if alerts and received_at is not None:
            self.metrics.latency.observe(max(0.0, time.time() - received_at))

    def _tick(self, partition: int, tick: ClockTick) -> list[Alert]:
        if tick.origin == "event_time":
            self.last_inbound = time.monotonic()
            self.watermark = tick.at if self.watermark is None else max(self.watermark, tick.at)
        entry = self._partition(partition)
        clock = datetime.fromisoformat(entry["clock"]) if entry["clock"] else None
        if tick.dyad is None and clock is not None and tick.at <= clock:
            return []
        if tick.dyad is None:
            entry["clock"] = tick.at.isoformat()
            self._save_partition(partition, entry)
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
        from service.domain.projection import DyadProjection, refold

        entry = self._partition(partition)
        clock = datetime.fromisoformat(entry["clock"]) if entry["clock"] else None
        at = obs.evidence.published_at if clock is None else max(clock, obs.evidence.published_at)
        proj = self.load(obs.dyad)
        if proj is None:
            proj = DyadProjection(obs.dyad)
            entry["dyads"] = sorted({*entry["dyads"], obs.dyad})
            self._save_partition(partition, entry)
        self.append_log(obs, proj.seen)
        alerts = proj.tick(ClockTick(at=at))
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
        for raw in list(self.partitions.values()):
            clock = json.loads(raw).get("clock") if raw else None
            if clock:
                c = datetime.fromisoformat(clock)
                watermark = c if watermark is None else max(watermark, c)
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


def _segment_key(dyad: str, index: int) -> bytes:
    return f"{dyad}#{index}".encode()


def _received_header(received_at: float | None) -> list[tuple[str, bytes]] | None:
    return None if received_at is None else [(RECEIVED_AT, repr(received_at).encode())]


def _received_at(headers: Any) -> float | None:
    """The ``RECEIVED_AT`` header of a message (list of pairs or mapping) as a float, or None."""
    pairs = headers.items() if isinstance(headers, dict) else (headers or ())
    for name, value in pairs:
        if name == RECEIVED_AT:
            try:
                return float(value.decode() if isinstance(value, bytes) else value)
            except ValueError:
                return None
    return None


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
    app.transport.Consumer = SafeConsumer  # type: ignore[misc]
    monitor = Monitor(
        settings=settings,
        app=app,
        inbound=_raw_topic(app, settings, NEWS, STATEMENTS),
        observations=_raw_topic(app, settings, OBSERVATIONS),
        alerts=_raw_topic(app, settings, ALERTS),
        deadletter=_raw_topic(app, settings, DEADLETTER),
        seen_events=_raw_table(app, settings, "seen_events", "event ids already extracted"),
        projections=_raw_table(app, settings, "projections", "dyad -> DyadProjection JSON"),
        observation_log=_raw_table(
            app, settings, "observation_log", "dyad -> segment count; dyad#i -> observation JSONs"
        ),
        partitions=_raw_table(
            app, settings, "partitions", "p<N> -> clock and dyads of partition N"
        ),
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
