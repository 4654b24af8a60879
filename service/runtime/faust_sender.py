"""What the Kafka runtime's agents send: observations, ticks, alerts and dead letters.

:class:`Sender` writes to the Faust topics and awaits every ack before it returns (the agents
record their own progress only after that: see :mod:`service.runtime.faust_app`). Observations
and event-time ticks carry the ``RECEIVED_AT`` header, from which the projector measures
processing latency. Storing is elsewhere (:mod:`service.runtime.faust_store`). Imports:
``schemas``, :mod:`service.config`, :mod:`service.runtime.kafka_io` and
:mod:`service.runtime.metrics`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from schemas.alerts import Alert
from schemas.codec import encode
from schemas.observations import ClockTick, CommitmentObservation, EngagementObservation
from service.config import Settings
from service.runtime.kafka_io import dead_letter_for
from service.runtime.metrics import Metrics, reason_label

__all__ = ["RECEIVED_AT", "Sender", "received_at", "received_header"]

log = logging.getLogger("service.runtime.faust_app")

RECEIVED_AT = "bilateral-received-at"
"""Kafka header of observations and event-time ticks: wall-clock time (Unix seconds) at which the
extractor received the inbound event; the projector measures processing latency from it."""


def _now() -> datetime:
    return datetime.now(UTC)


def received_header(received_at: float | None) -> list[tuple[str, bytes]] | None:
    """The ``RECEIVED_AT`` header for ``received_at`` (Unix seconds), or None without one."""
    return None if received_at is None else [(RECEIVED_AT, repr(received_at).encode())]


def received_at(headers: Any) -> float | None:
    """The ``RECEIVED_AT`` header of a message (list of pairs or mapping) as a float, or None."""
    pairs = headers.items() if isinstance(headers, dict) else (headers or ())
    for name, value in pairs:
        if name == RECEIVED_AT:
            try:
                return float(value.decode() if isinstance(value, bytes) else value)
            except ValueError:
                return None
    return None


class Sender:
    """Sends to the app's ``observations``, ``alerts`` and ``deadletter`` topics (Faust topics
    of raw bytes) and counts what it sent in ``metrics``."""

    def __init__(
        self,
        settings: Settings,
        metrics: Metrics,
        *,
        observations: Any,
        alerts: Any,
        deadletter: Any,
    ) -> None:
        self.settings = settings
        self.metrics = metrics
        self.observations = observations
        self.alerts = alerts
        self.deadletter = deadletter

    async def dead_letter(
        self, message: Any, reason: str, field: str | None = None, event_id: str | None = None
    ) -> None:
        """Send ``message`` (a Faust message) to the dead-letter topic with ``reason``; await the
        ack. ``field`` names the offending field when there is one."""
        msg = message
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

    async def send_observations(
        self,
        observations: Sequence[CommitmentObservation | EngagementObservation],
        received: float | None,
    ) -> None:
        """Send each observation keyed by its dyad, with the ``RECEIVED_AT`` header; await the
        acks."""
        headers = received_header(received)
        futures = [
            await self.observations.send(
                key=obs.dyad.encode("utf-8"), value=encode(obs), headers=headers
            )
            for obs in observations
        ]
        await asyncio.gather(*futures)
        self.metrics.produced.labels(self.observations.get_topic_name()).inc(len(futures))

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

    async def send_ticks(self, ticks: Sequence[ClockTick], received: float | None = None) -> None:
        """Send each tick keyed by its dyad (the partition of that dyad's observations), with the
        ``RECEIVED_AT`` header; await the acks. Ticks without a dyad: use :meth:`broadcast_tick`."""
        headers = received_header(received)
        futures = []
        for tick in ticks:
            if tick.dyad is None:
                raise ValueError("a tick without a dyad is broadcast, not sent by key")
            futures.append(
                await self.observations.send(
                    key=tick.dyad.encode("utf-8"), value=encode(tick), headers=headers
                )
            )
        await asyncio.gather(*futures)
        self.metrics.produced.labels(self.observations.get_topic_name()).inc(len(futures))

    async def broadcast_tick(self, tick: ClockTick, received: float | None = None) -> None:
        """Send ``tick`` to every partition of the observations topic; await the acks."""
        value = encode(tick)
        headers = received_header(received)
        futures = [
            await self.observations.send(key=None, value=value, partition=p, headers=headers)
            for p in range(self.settings.partitions)
        ]
        await asyncio.gather(*futures)
        self.metrics.produced.labels(self.observations.get_topic_name()).inc(len(futures))
