"""Plain aiokafka I/O of the Kafka runtime shared by the worker, the CLI and the tools: reading
topics from the beginning (:func:`read_topics`), watching the clock ticks of the observations
topic (:class:`TickWatcher`) and building dead letters (:func:`dead_letter_for`).

The rest lives in rooms of its own and is re-exported here for callers that import it from this
module: topic names and creation in :mod:`service.runtime.kafka_topics`, connection and security
options in :mod:`service.runtime.kafka_connection`, the CLI's :class:`Publisher` and
:class:`AlertSubscriber` in :mod:`service.runtime.kafka_clients`. Everything speaks bytes on the
wire (UTF-8 JSON via :mod:`schemas.codec`). May import ``schemas``, ``service.config`` and those
three modules; nothing of Faust.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import logging
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from schemas.alerts import DeadLetter
from schemas.codec import decode_observation
from service.config import Settings
from service.runtime.kafka_clients import (  # noqa: F401  (re-exported)
    COMMIT_INTERVAL,
    COMMIT_TIMEOUT,
    AlertSubscriber,
    Publisher,
)
from service.runtime.kafka_connection import (  # noqa: F401  (re-exported)
    authentication_failure,
    connection_options,
    ssl_context,
)
from service.runtime.kafka_topics import (  # noqa: F401  (re-exported)
    ALERTS,
    DEADLETTER,
    NEWS,
    OBSERVATIONS,
    STATEMENTS,
    TABLES,
    TOPICS,
    changelog_config,
    changelog_topics,
    ensure_topics,
    leader_topic,
    topic_configs,
    topic_partitions,
)

__all__ = [
    "ALERTS",
    "COMMIT_INTERVAL",
    "DEADLETTER",
    "NEWS",
    "OBSERVATIONS",
    "STATEMENTS",
    "TABLES",
    "TOPICS",
    "AlertSubscriber",
    "Publisher",
    "TickWatcher",
    "changelog_topics",
    "connection_options",
    "dead_letter_for",
    "ensure_topics",
    "leader_topic",
    "read_topics",
    "ssl_context",
    "topic_partitions",
]

log = logging.getLogger(__name__)


async def read_topics(
    settings: Settings,
    names: list[str],
    *,
    timeout: float = 30.0,
    progress: Any = None,
) -> list[Any]:
    """Every record of the topics ``names`` (full names), from the beginning up to their end
    offsets at the start of the call; no consumer group, nothing committed.

    Returns aiokafka ConsumerRecords ordered by topic, partition and offset. ``progress`` is
    called as ``progress(read, total)``. Raises TimeoutError after ``timeout`` seconds and
    aiokafka.errors.KafkaError when the cluster cannot be reached.
    """
    tps = await topic_partitions(settings, names)
    if not tps:
        return []
    consumer = AIOKafkaConsumer(enable_auto_commit=False, **connection_options(settings))
    await consumer.start()
    try:
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        begin = await consumer.beginning_offsets(tps)
        end = await consumer.end_offsets(tps)
        total = sum(end[tp] - begin[tp] for tp in tps)
        records: list[Any] = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while [tp for tp in tps if await consumer.position(tp) < end[tp]]:
            if loop.time() > deadline:
                raise TimeoutError(f"reading {', '.join(names)} took longer than {timeout}s")
            batch = await consumer.getmany(timeout_ms=200)
            for tp, batch_records in batch.items():
                records.extend(r for r in batch_records if r.offset < end[tp])
            if progress is not None:
                progress(len(records), total)
        return sorted(records, key=lambda r: (r.topic, r.partition, r.offset))
    finally:
        await consumer.stop()


@dataclass
class TickWatcher:
    """Follows the observations topic and records the event-time ClockTicks per partition.

    The extractor sends an event's observations, then its ClockTick to every observations
    partition; once that tick is on every partition, the event's effects are queued ahead of
    anything published later. Publishing one event and waiting for its tick (``wait_for``, in
    seconds) therefore gives the projectors the events in publishing order. It also follows the
    dead-letter topic: an event the extractor rejects (a conflict, a failed extraction) sends no
    tick, and ``wait_for`` given where the event was written returns the reason instead.
    """

    settings: Settings
    seen: dict[int, set[datetime]] = field(default_factory=lambda: defaultdict(set))
    rejected: dict[tuple[str, int, int], str] = field(default_factory=dict)
    """(topic, partition, offset) of a dead-lettered message -> the dead letter's reason."""
    from_beginning: bool = False
    _consumer: AIOKafkaConsumer | None = None
    _task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start following the observations topic from its current end (every tick sent after
        this returns is seen), or from its beginning with ``from_beginning`` (to check events
        already published). Raises aiokafka.errors.KafkaError when the broker is unreachable."""
        self._consumer = AIOKafkaConsumer(
            enable_auto_commit=False, **connection_options(self.settings)
        )
        await self._consumer.start()
        tps = [
            TopicPartition(self.settings.topic(name), p)
            for name in (OBSERVATIONS, DEADLETTER)
            for p in range(self.settings.partitions)
        ]
        self._consumer.assign(tps)
        if self.from_beginning:
            await self._consumer.seek_to_beginning(*tps)
        else:
            await self._consumer.seek_to_end(*tps)
        for tp in tps:  # fix the start positions before anything is published
            await self._consumer.position(tp)
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        assert self._consumer is not None
        deadletter = self.settings.topic(DEADLETTER)
        async for record in self._consumer:
            if record.topic == deadletter:
                with contextlib.suppress(Exception):
                    letter = DeadLetter.model_validate_json(record.value)
                    if letter.topic is not None and letter.partition is not None:
                        where = (letter.topic, letter.partition, letter.offset or 0)
                        self.rejected[where] = letter.reason
                continue
            with contextlib.suppress(Exception):
                item = decode_observation(record.value)
                if getattr(item, "type", "") == "clock_tick" and item.origin == "event_time":
                    self.seen[record.partition].add(item.at)

    async def wait_for(
        self, at: datetime, timeout: float = 60.0, where: tuple[str, int, int] | None = None
    ) -> str | None:
        """Return None once an event-time tick at ``at`` is on every partition, or, when
        ``where`` (the event's topic, partition, offset) is given and a worker dead-lettered that
        message, the dead letter's reason. TimeoutError after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while not all(at in self.seen[p] for p in range(self.settings.partitions)):
            if where is not None and where in self.rejected:
                return self.rejected[where]
            if time.monotonic() > deadline:
                raise TimeoutError(f"no ClockTick at {at} on every partition after {timeout}s")
            await asyncio.sleep(0.02)
        return None

    async def stop(self) -> None:
        """Stop following and close the consumer."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        if self._consumer is not None:
            await self._consumer.stop()


def dead_letter_for(
    raw: bytes | None,
    reason: str,
    *,
    field: str | None = None,
    topic: str | None = None,
    partition: int | None = None,
    offset: int | None = None,
    key: bytes | str | None = None,
    event_id: str | None = None,
    file: str | None = None,
    line: int | None = None,
    now: datetime | None = None,
) -> DeadLetter:
    """Build the DeadLetter of a rejected message, keeping its original bytes whole.

    ``original`` holds the bytes as text when they are UTF-8, else ``original_b64`` holds them
    base64-encoded. ``dead_letter_id`` is a hash of where the message was (topic, partition,
    offset, or file and line) and its bytes, so a redelivered message gets the same id.
    """
    raw = raw or b""
    text: str | None
    b64: str | None = None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text, b64 = None, base64.b64encode(raw).decode("ascii")
    key_text = key.decode("utf-8", "replace") if isinstance(key, bytes) else key
    ident = f"{topic}|{partition}|{offset}|{file}|{line}|".encode() + raw
    return DeadLetter(
        dead_letter_id=hashlib.sha256(ident).hexdigest()[:16],
        reason=reason,
        field=field,
        event_id=event_id,
        original=text,
        original_b64=b64,
        topic=topic,
        partition=partition,
        offset=offset,
        key=key_text,
        file=file,
        line=line,
        rejected_at=now or datetime.now(UTC),
    )
