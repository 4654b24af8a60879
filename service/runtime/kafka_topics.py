"""The runtime's Kafka topics: their names, the changelog and leader topics, and their creation.

``ensure_topics`` creates what a worker or a publisher needs (with the partition count and the
changelog settings of :class:`Settings`) and checks the limits of changelog records;
``topic_partitions`` lists a topic's partitions. May import ``schemas``, ``service.config`` and
:mod:`service.runtime.kafka_connection`; nothing of Faust.
"""

from __future__ import annotations

import logging

from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import TopicAlreadyExistsError, for_code

from service.config import Settings
from service.runtime.kafka_connection import connection_options

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
