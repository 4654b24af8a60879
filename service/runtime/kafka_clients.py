"""The CLI's plain Kafka clients: :class:`Publisher` (events to the inbound topics, acks awaited)
and :class:`AlertSubscriber` (the alert stream, with committed offsets).

May import ``schemas``, ``service.config``, :mod:`service.runtime.kafka_connection` and
:mod:`service.runtime.kafka_topics`; nothing of Faust.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import AsyncIterator
from types import TracebackType

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import ConsumerStoppedError, KafkaError

from schemas.alerts import Alert, DeadLetter
from schemas.codec import DecodeError, decode_alert, encode
from schemas.common import AlertKind, parse_dyad
from schemas.events import NewsArticle, OfficialStatement
from service.config import Settings
from service.runtime.kafka_connection import connection_options
from service.runtime.kafka_topics import ALERTS, DEADLETTER, NEWS, STATEMENTS

log = logging.getLogger(__name__)


class Publisher:
    """Async context manager over an idempotent AIOKafkaProducer (acks=all).

    ``send_event`` routes a NewsArticle to ``bilateral.news`` and an OfficialStatement to
    ``bilateral.statements`` (with the settings' prefix), keyed by ``event_id``, and waits for the
    broker's acknowledgement. Raises aiokafka.errors.KafkaError on failure, RuntimeError
    when used outside its ``async with`` block, and TypeError for anything but those two
    events (a dict from JSON: validate it with ``schemas.codec.event_from_dict`` first).
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._open = False
        self.producer = AIOKafkaProducer(
            acks="all",
            enable_idempotence=True,
            linger_ms=0,
            **connection_options(settings),
        )

    async def __aenter__(self) -> Publisher:
        await self.producer.start()
        self._open = True
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._open = False
        await self.producer.stop()

    def _check_open(self) -> None:
        if not self._open:
            raise RuntimeError("Publisher is not open: send inside `async with Publisher(...)`")

    def topic_for(self, event: NewsArticle | OfficialStatement) -> str:
        """Full topic name for an inbound event."""
        name = STATEMENTS if isinstance(event, OfficialStatement) else NEWS
        return self.settings.topic(name)

    async def send_event(self, event: NewsArticle | OfficialStatement) -> tuple[str, int, int]:
        """Send one event and await its ack; returns ``(topic, partition, offset)``."""
        if not isinstance(event, NewsArticle | OfficialStatement):
            raise TypeError(
                f"send_event takes a NewsArticle or OfficialStatement, not "
                f"{type(event).__name__}; validate a dict with schemas.codec.event_from_dict"
            )
        self._check_open()
        meta = await self.producer.send_and_wait(
            self.topic_for(event), value=encode(event), key=event.event_id.encode("utf-8")
        )
        return meta.topic, meta.partition, meta.offset

    async def send_dead_letter(self, letter: DeadLetter) -> tuple[str, int, int]:
        """Send a dead letter to ``bilateral.deadletter``, keyed by its original key or event id."""
        self._check_open()
        key = letter.key or letter.event_id
        meta = await self.producer.send_and_wait(
            self.settings.topic(DEADLETTER),
            value=encode(letter),
            key=key.encode("utf-8") if key else None,
        )
        return meta.topic, meta.partition, meta.offset


COMMIT_INTERVAL = 1.0
"""Seconds between two commits of a subscriber in a consumer group (also on stop)."""

COMMIT_TIMEOUT = 10.0
"""Seconds a subscriber's commit may take (broker gone) before it is given up, logged."""


class _CommitOnRevoke(ConsumerRebalanceListener):
    """Commits a subscriber's done alerts before its partitions move, then forgets them (a
    partition assigned again later resumes from the group's offset, not from a stale one)."""

    def __init__(self, subscriber: AlertSubscriber) -> None:
        self.subscriber = subscriber

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        await self.subscriber.commit()
        for tp in revoked:
            self.subscriber._processed.pop(tp, None)
            self.subscriber._committed.pop(tp, None)

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        return None


class AlertSubscriber:
    """Async iterator of Alerts read from ``bilateral.alerts``.

    ``group_id`` None (default) reads every partition without a consumer group (nothing is
    committed); a group id joins that group and resumes where it left off. Its offsets are
    committed at least once per ``COMMIT_INTERVAL`` seconds and on :meth:`stop`, and only for
    alerts the caller is done with: an alert counts as done when the caller asks for the next
    one (at-least-once: a subscriber killed while handling an alert gets it again on restart).
    ``from_beginning`` starts at the oldest alert (with a group: when it has no committed
    offset), else at the end as of :meth:`start`. ``follow`` False stops once the end
    offsets taken at start are reached. ``dyad`` (any order or case, ``in-ca`` is ``CA-IN``) and
    ``kind`` (full or short name) filter; a bad one raises ValueError. :meth:`stop` ends an
    iteration in progress, also one waiting for records in another task: it returns no alert
    after it. An iteration that started the subscriber and reaches the end of a ``follow``
    False read stops it (closing the connection).
    Undecodable values are skipped with a warning; alerts whose ``alert_id`` was already delivered
    by this subscriber are skipped (``dedup``), since redelivery after a worker restart may repeat
    one. Partition positions are resolved in :meth:`start`, so anything published after it
    returns is received.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        follow: bool = True,
        from_beginning: bool = False,
        dyad: str | None = None,
        kind: str | None = None,
        group_id: str | None = None,
        dedup: bool = True,
    ) -> None:
        self.settings = settings
        self.topic = settings.topic(ALERTS)
        self.follow = follow
        self.from_beginning = from_beginning
        self.dyad = parse_dyad(dyad) if dyad is not None else None
        self.kind = AlertKind.parse(kind).value if kind is not None else None
        self.group_id = group_id
        self.dedup = dedup
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._end: dict[TopicPartition, int] = {}
        self._processed: dict[TopicPartition, int] = {}  # next offset to commit
        self._committed: dict[TopicPartition, int] = {}
        self._last_commit = 0.0
        self._closed = False
        self.consumer = AIOKafkaConsumer(
            group_id=group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest" if from_beginning else "latest",
            **connection_options(settings),
        )
        self._started = False

    async def start(self) -> None:
        """Connect, assign (or subscribe) and resolve the start positions. Raises RuntimeError
        once the subscriber has been stopped (make a new one)."""
        if self._closed:
            raise RuntimeError("this AlertSubscriber was stopped; create a new one")
        if self._started:
            return
        try:
            await self.consumer.start()
        except BaseException:
            await self.consumer.stop()  # close what start() opened before it failed
            raise
        self._started = True
        parts = self.consumer.partitions_for_topic(self.topic)
        deadline = asyncio.get_running_loop().time() + 30
        while not parts:
            if asyncio.get_running_loop().time() > deadline:
                raise LookupError(f"topic {self.topic} does not exist (start a worker first?)")
            await self.consumer._client.force_metadata_update()
            parts = self.consumer.partitions_for_topic(self.topic)
            if not parts:
                await asyncio.sleep(0.2)
        tps = [TopicPartition(self.topic, p) for p in sorted(parts)]
        # Retried quietly until every partition's leader answers (a topic just created may not
        # have one yet, and a seek would log an error a second until it has).
        end = await self.consumer.end_offsets(tps)
        if self.group_id is None:
            self.consumer.assign(tps)
            if self.from_beginning:
                await self.consumer.seek_to_beginning(*tps)
            else:
                await self.consumer.seek_to_end(*tps)
            for tp in tps:
                await self.consumer.position(tp)
        else:
            self.consumer.subscribe([self.topic], listener=_CommitOnRevoke(self))
        if not self.follow:
            self._end = end

    async def stop(self) -> None:
        """Commit what the caller is done with, leave the group (if any) and close the
        connection. A stopped subscriber cannot be started again."""
        self._closed = True  # first: an iteration waiting in another task ends, not raises
        if self._started:
            try:
                await self.commit()
            finally:
                await self.consumer.stop()
                self._started = False

    async def commit(self) -> None:
        """Commit (with a group) the offsets past the alerts the caller is done with, for the
        partitions still assigned. A commit refused in a rebalance, or not answered within
        ``COMMIT_TIMEOUT`` seconds, is logged, not raised: the alerts it covered are delivered
        again (at-least-once)."""
        if self.group_id is None or not self._started:
            return
        assigned = self.consumer.assignment()
        offsets = {
            tp: offset
            for tp, offset in self._processed.items()
            if tp in assigned and self._committed.get(tp) != offset
        }
        self._last_commit = time.monotonic()
        if not offsets:
            return
        try:
            await asyncio.wait_for(self.consumer.commit(offsets), COMMIT_TIMEOUT)
        except (KafkaError, TimeoutError) as exc:
            log.warning("alert subscriber: commit refused (%r); those alerts come again", exc)
            return
        self._committed.update(offsets)

    async def _commit_if_due(self) -> None:
        if self.group_id is not None and time.monotonic() - self._last_commit >= COMMIT_INTERVAL:
            await self.commit()

    async def _done_with(self, tp: TopicPartition, offset: int) -> None:
        self._processed[tp] = offset + 1
        await self._commit_if_due()

    async def __aenter__(self) -> AlertSubscriber:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _done(self) -> bool:
        if self.follow:
            return False
        assigned = self.consumer.assignment()
        if not assigned:
            return False
        for tp, end in self._end.items():
            if tp in assigned and await self.consumer.position(tp) < end:
                return False
        return True

    def _accept(self, alert: Alert) -> bool:
        if self.dyad and alert.dyad != self.dyad:
            return False
        if self.kind and alert.kind.value != self.kind:
            return False
        if self.dedup:
            if alert.alert_id in self._seen:
                return False
            self._seen[alert.alert_id] = None
            if len(self._seen) > 200_000:
                self._seen.popitem(last=False)
        return True

    def __aiter__(self) -> AsyncIterator[Alert]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Alert]:
        started_here = not self._started
        await self.start()
        try:
            while not self._closed and not await self._done():
                batches = await self.consumer.getmany(timeout_ms=200, max_records=500)
                for tp in sorted(batches, key=lambda t: t.partition):
                    for record in batches[tp]:
                        try:
                            alert = decode_alert(record.value or b"")
                        except DecodeError as exc:
                            log.warning(
                                "skipping undecodable alert at %s[%d]@%d: %s",
                                tp.topic,
                                tp.partition,
                                record.offset,
                                exc.reason,
                            )
                        else:
                            if self._accept(alert):
                                yield alert  # resumed: the caller is done with it
                                if self._closed:  # stopped meanwhile: nothing more
                                    return
                        await self._done_with(tp, record.offset)
                if not batches:
                    await self._commit_if_due()
        except ConsumerStoppedError:
            if not self._closed:  # stopped by stop() from another task: the iteration ends
                raise
            return
        if started_here and not self._closed:  # follow=False reached the end: close what
            await self.stop()  # this iteration opened
