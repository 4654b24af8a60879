"""Plain aiokafka I/O of the Kafka runtime: topic creation, publishing, alert subscription.

Everything here speaks bytes on the wire (UTF-8 JSON via :mod:`schemas.codec`) and takes its
connection settings (bootstrap, security protocol, SASL, SSL) from :class:`Settings`. The Faust
app (:mod:`service.runtime.faust_app`) uses :func:`ensure_topics` and :func:`dead_letter_for`;
the CLI uses :class:`Publisher` and :class:`AlertSubscriber` through :mod:`kafka_cli`.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import logging
import ssl
import time
from collections import OrderedDict, defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import ConsumerStoppedError, KafkaError, TopicAlreadyExistsError, for_code
from aiokafka.helpers import create_ssl_context

from schemas.alerts import Alert, DeadLetter
from schemas.codec import DecodeError, decode_alert, decode_observation, encode
from schemas.common import AlertKind, parse_dyad
from schemas.events import NewsArticle, OfficialStatement
from service.config import Settings

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

NEWS = "bilateral.news"
STATEMENTS = "bilateral.statements"
OBSERVATIONS = "bilateral.observations"
ALERTS = "bilateral.alerts"
DEADLETTER = "bilateral.deadletter"
TOPICS = (NEWS, STATEMENTS, OBSERVATIONS, ALERTS, DEADLETTER)
"""The topics of DESIGN.md, without prefix (``Settings.topic`` adds it)."""

TABLES = ("seen_events", "projections", "observation_log", "partitions")
"""The Faust app's changelog-backed tables; their topics are ``<app_id>-<table>-changelog``."""


def changelog_topics(settings: Settings) -> list[str]:
    """Full names of the changelog topics of :data:`TABLES` (Faust's naming: no topic prefix)."""
    return [f"{settings.app_id}-{table}-changelog" for table in TABLES]


def changelog_config(settings: Settings) -> dict[str, str]:
    """Topic configs of a changelog topic: compacted, records up to ``changelog_max_bytes``."""
    return {
        "cleanup.policy": "compact",
        "max.message.bytes": str(settings.changelog_max_bytes),
    }


def leader_topic(settings: Settings) -> str:
    """Full name of Faust's one-partition leader-election topic of the app."""
    return f"{settings.app_id}-__assignor-__leader"


def ssl_context(settings: Settings) -> ssl.SSLContext | None:
    """An SSL context for SSL / SASL_SSL protocols (CA, client cert and key from settings)."""
    if settings.security_protocol not in ("SSL", "SASL_SSL"):
        return None
    return create_ssl_context(
        cafile=str(settings.ssl_cafile) if settings.ssl_cafile else None,
        certfile=str(settings.ssl_certfile) if settings.ssl_certfile else None,
        keyfile=str(settings.ssl_keyfile) if settings.ssl_keyfile else None,
    )


def connection_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments shared by every aiokafka client: bootstrap, protocol, SASL, SSL."""
    opts: dict[str, Any] = {
        "bootstrap_servers": settings.bootstrap.split(","),
        "security_protocol": settings.security_protocol,
    }
    context = ssl_context(settings)
    if context is not None:
        opts["ssl_context"] = context
    if settings.security_protocol.startswith("SASL"):
        opts["sasl_mechanism"] = settings.sasl_mechanism or "PLAIN"
        opts["sasl_plain_username"] = settings.sasl_username
        opts["sasl_plain_password"] = (
            settings.sasl_password.get_secret_value() if settings.sasl_password else None
        )
    return opts


async def authentication_failure(settings: Settings, timeout: float = 10.0) -> str | None:
    """Why the cluster refuses these credentials, or None when it does not (or is not reached).

    aiokafka logs an authentication failure and raises only "Unable to bootstrap"; this opens
    one connection to each bootstrap server with the settings' protocol, SASL and SSL options
    and returns the first refusal as one line naming the server, the user (never the password),
    the mechanism and what to check. Only meaningful for SSL and SASL protocols.
    """
    from aiokafka.conn import create_conn

    if settings.security_protocol == "PLAINTEXT":
        return None
    opts = connection_options(settings)
    opts.pop("bootstrap_servers")
    for server in settings.bootstrap.split(","):
        host, _, port = server.strip().rpartition(":")
        try:
            conn = await asyncio.wait_for(create_conn(host, int(port), **opts), timeout)
        except (KafkaError, OSError, TimeoutError) as exc:
            text = str(exc) or type(exc).__name__
            if "Authentication" in type(exc).__name__ or "uthenticat" in text:
                who = (
                    f" as user {settings.sasl_username!r} with {settings.sasl_mechanism or 'PLAIN'}"
                    if settings.security_protocol.startswith("SASL")
                    else ""
                )
                return (
                    f"{host}:{port} refused the credentials{who} ({settings.security_protocol}): "
                    f"{text}; check BILATERAL_MONITOR_SASL_USERNAME, _SASL_PASSWORD and "
                    "_SASL_MECHANISM (or the SSL files)"
                )
            if isinstance(exc, ssl.SSLError):
                return (
                    f"{host}:{port}: TLS handshake failed ({settings.security_protocol}): {text}; "
                    "check BILATERAL_MONITOR_SSL_CAFILE (the CA that signed the broker's "
                    "certificate) and the broker's address"
                )
            continue
        conn.close()
    return None


async def topic_partitions(settings: Settings, names: list[str]) -> list[TopicPartition]:
    """The partitions of the topics ``names`` (full names) that exist, from the cluster's
    metadata. Raises aiokafka.errors.KafkaError when the cluster cannot be reached."""
    admin = AIOKafkaAdminClient(**connection_options(settings))
    await admin.start()
    try:
        described = await admin.describe_topics(names)
    finally:
        await admin.close()
    return [
        TopicPartition(d["topic"], p["partition"])
        for d in described
        if not d.get("error_code")
        for p in sorted(d.get("partitions", []), key=lambda p: p["partition"])
    ]


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


async def ensure_topics(settings: Settings, *, timeout: float = 30.0) -> list[str]:
    """Create the five topics, the tables' changelog topics (compacted) with
    ``settings.partitions`` partitions, and Faust's leader topic; existing ones are kept.

    The changelog and leader topics are created here, before a worker starts, because Faust
    creating them itself at start-up races with its consumer's first metadata fetch: the worker
    then saw a changelog topic with 0 partitions and every table write raised PartitionsMismatch
    until the metadata was refreshed minutes later.

    Returns the full names of the topics that were created now. Raises
    aiokafka.errors.KafkaError when the cluster cannot be reached within ``timeout`` seconds.
    A topic that already exists with another partition count is logged as a warning (Faust
    would then fail with a partition mismatch; recreate it by hand).
    """
    admin = AIOKafkaAdminClient(
        request_timeout_ms=int(timeout * 1000), **connection_options(settings)
    )
    await admin.start()
    created: list[str] = []
    try:
        changelogs = changelog_topics(settings)
        names = [settings.topic(t) for t in TOPICS] + changelogs
        existing = set(await admin.list_topics())
        missing = [n for n in names if n not in existing]
        new_topics = [
            NewTopic(
                name=name,
                num_partitions=settings.partitions,
                replication_factor=settings.replication_factor,
                topic_configs=changelog_config(settings) if name in changelogs else {},
            )
            for name in missing
        ]
        if leader_topic(settings) not in existing:
            new_topics.append(
                NewTopic(
                    name=leader_topic(settings),
                    num_partitions=1,
                    replication_factor=settings.replication_factor,
                )
            )
        if new_topics:
            response = await admin.create_topics(new_topics)
            for name, code, *rest in response.topic_errors:
                if code == 0:
                    created.append(name)
                elif code != TopicAlreadyExistsError.errno:
                    message = rest[0] if rest else ""
                    raise for_code(code)(f"cannot create topic {name}: {message}")
        present = [n for n in names if n in existing]
        if present:
            for meta in await admin.describe_topics(present):
                count = len(meta.get("partitions", []))
                if count and count != settings.partitions:
                    log.warning(
                        "topic %s has %d partitions, settings.partitions is %d",
                        meta.get("topic"),
                        count,
                        settings.partitions,
                    )
            await _check_changelog_limits(admin, [n for n in present if n in changelogs], settings)
    finally:
        await admin.close()
    return created


async def topic_configs(admin: AIOKafkaAdminClient, names: list[str]) -> dict[str, dict[str, str]]:
    """The configs of topics ``names`` as ``{topic: {config name: value}}`` (values as text)."""
    if not names:
        return {}
    found: dict[str, dict[str, str]] = {}
    resources = [ConfigResource(ConfigResourceType.TOPIC, name) for name in names]
    for response in await admin.describe_configs(resources):
        for error_code, _message, _type, name, entries, *_ in response.resources:
            if error_code == 0:
                found[name] = {entry[0]: entry[1] for entry in entries}
    return found


async def _check_changelog_limits(
    admin: AIOKafkaAdminClient, names: list[str], settings: Settings
) -> None:
    """Warn about changelog topics made before ``changelog_max_bytes`` with a lower limit."""
    for name, configs in (await topic_configs(admin, names)).items():
        limit = int(configs.get("max.message.bytes") or 0)
        if limit < settings.changelog_max_bytes:
            log.warning(
                "changelog topic %s takes records up to %d bytes, below changelog_max_bytes "
                "(%d): a large projection would fail to save; raise it with kafka-configs.sh "
                "--alter --entity-type topics --entity-name %s --add-config max.message.bytes=%d",
                name,
                limit,
                settings.changelog_max_bytes,
                name,
                settings.changelog_max_bytes,
            )


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
