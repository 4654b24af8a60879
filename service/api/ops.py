"""Operational state of one worker: readiness, consumer lag, the recent-alerts ring.

:class:`Ops` is a ``mode.Service`` started with the Faust app (after table recovery). It owns two
plain aiokafka clients beside Faust's own:

* an admin client, for the consumer group's committed offsets (lag) and the broker check of
  ``/ready``;
* a consumer without a group, which reads *every* partition of ``bilateral.alerts``, starting
  ``RING_SIZE`` records before the end of each partition, into a bounded in-memory ring (newest
  last, each ``alert_id`` once). So every worker serves the same recent-alerts feed on ``/alerts``,
  whichever worker sent an alert; the ring holds the last ``RING_SIZE`` alerts seen and is rebuilt
  from the topic when a worker starts. The same consumer gives the end offsets for the lag.

Every ``OPS_INTERVAL`` seconds :meth:`Ops.refresh` sets the lag gauge (end offset minus committed
offset of each source-topic partition assigned to this worker; the log start offset when the group
has committed nothing yet), the table-recovery gauge and the commitments gauge of the dyads whose
partitions this worker owns (so a dyad that moved to another worker in a rebalance leaves this
worker's gauge).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from mode import Service

from schemas.alerts import Alert
from schemas.codec import DecodeError, decode_alert
from service.api.ports import WorkerState
from service.runtime.kafka_io import ALERTS, NEWS, OBSERVATIONS, STATEMENTS, connection_options

__all__ = ["OPS_INTERVAL", "RING_SIZE", "AlertRing", "Ops", "readiness"]

log = logging.getLogger(__name__)

RING_SIZE = 1000
"""How many recent alerts each worker keeps for ``/alerts`` and the dashboard."""

OPS_INTERVAL = 2.0
"""Seconds between two refreshes of the lag, recovery and commitments gauges."""

BROKER_CHECK_TTL = 2.0
"""Seconds a broker check of ``/ready`` is reused."""


class AlertRing:
    """The last ``size`` alerts in arrival order, each ``alert_id`` once (a redelivery replaces
    nothing and moves nothing)."""

    def __init__(self, size: int = RING_SIZE) -> None:
        self.size = size
        self._items: OrderedDict[str, Alert] = OrderedDict()

    def add(self, alert: Alert) -> bool:
        """Keep ``alert``; False when its id is already held."""
        if alert.alert_id in self._items:
            return False
        self._items[alert.alert_id] = alert
        while len(self._items) > self.size:
            self._items.popitem(last=False)
        return True

    def __len__(self) -> int:
        return len(self._items)

    def select(
        self,
        *,
        dyad: str | None = None,
        kind: str | None = None,
        since: datetime | None = None,
        limit: int = 100,
    ) -> list[Alert]:
        """Matching alerts, newest first: ``since`` compares with ``emitted_at`` (inclusive)."""
        found: list[Alert] = []
        for alert in reversed(self._items.values()):
            if dyad and alert.dyad != dyad:
                continue
            if kind and alert.kind.value != kind:
                continue
            if since and alert.emitted_at < since:
                continue
            found.append(alert)
            if len(found) >= limit:
                break
        return found


def readiness(app: Any) -> dict[str, bool]:
    """The local readiness checks (no I/O): partitions assigned, tables recovered."""
    try:
        assigned = bool(app.consumer.assignment())
    except Exception:
        assigned = False
    recovered = (
        not app.rebalancing
        and not getattr(app, "in_recovery", False)
        and app.tables.recovery.completed.is_set()
    )
    return {"partitions_assigned": assigned and not app.rebalancing, "tables_recovered": recovered}


class Ops(Service):
    """Lag, recovery and commitments gauges, the alert ring and the broker check of one worker."""

    def __init__(self, monitor: WorkerState, **kwargs: Any) -> None:
        self.monitor = monitor
        self.ring = AlertRing()
        self._admin: AIOKafkaAdminClient | None = None
        self._consumer: AIOKafkaConsumer | None = None
        self._lock = asyncio.Lock()
        self._broker_checked = 0.0
        self._broker_ok = False
        super().__init__(**kwargs)

    # -- clients -----------------------------------------------------------------------------

    async def _clients(self) -> tuple[AIOKafkaAdminClient, AIOKafkaConsumer]:
        async with self._lock:
            if self._admin is None:
                admin = AIOKafkaAdminClient(
                    request_timeout_ms=5000, **connection_options(self.monitor.settings)
                )
                await admin.start()
                self._admin = admin
            if self._consumer is None:
                consumer = AIOKafkaConsumer(
                    enable_auto_commit=False,
                    request_timeout_ms=5000,
                    **connection_options(self.monitor.settings),
                )
                await consumer.start()
                self._consumer = consumer
            return self._admin, self._consumer

    async def on_stop(self) -> None:
        if self._consumer is not None:
            with contextlib.suppress(Exception):
                await self._consumer.stop()
        if self._admin is not None:
            with contextlib.suppress(Exception):
                await self._admin.close()
        self._admin = self._consumer = None

    async def broker_reachable(self) -> bool:
        """True when the cluster answered a metadata request (cached ``BROKER_CHECK_TTL`` s)."""
        now = time.monotonic()
        if now - self._broker_checked < BROKER_CHECK_TTL:
            return self._broker_ok
        try:
            admin, _ = await asyncio.wait_for(self._clients(), 5.0)
            await asyncio.wait_for(admin.describe_cluster(), 3.0)
            self._broker_ok = True
        except Exception as exc:
            log.warning("broker check failed: %r", exc)
            self._broker_ok = False
        self._broker_checked = time.monotonic()
        return self._broker_ok

    # -- background work ---------------------------------------------------------------------

    @Service.task
    async def _follow_alerts(self) -> None:
        """Read every partition of the alerts topic into the ring, forever."""
        name = self.monitor.settings.topic(ALERTS)
        while not self.should_stop:
            try:
                _, consumer = await self._clients()
                parts = consumer.partitions_for_topic(name)
                if not parts:
                    await consumer._client.force_metadata_update()
                    parts = consumer.partitions_for_topic(name)
                if not parts:
                    await self.sleep(1.0)
                    continue
                tps = [TopicPartition(name, p) for p in sorted(parts)]
                consumer.assign(tps)
                begin = await consumer.beginning_offsets(tps)
                end = await consumer.end_offsets(tps)
                for tp in tps:
                    consumer.seek(tp, max(begin[tp], end[tp] - self.ring.size))
                while not self.should_stop:
                    batches = await consumer.getmany(timeout_ms=500, max_records=500)
                    for records in batches.values():
                        for record in records:
                            try:
                                self.ring.add(decode_alert(record.value or b""))
                            except DecodeError:
                                continue
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("alert feed: %s; retrying", exc)
                await self.sleep(2.0)

    @Service.task
    async def _refresh_loop(self) -> None:
        # A loop that sleeps OPS_INTERVAL between refreshes, not a timer: the first refresh
        # connects its clients and can take longer than the interval, which a timer reports
        # as "overlapping" (a WARNING on every healthy start).
        while not self.should_stop:
            await self.sleep(OPS_INTERVAL)
            try:
                await self.refresh()
            except Exception as exc:
                if self.should_stop:  # the worker is stopping: its connections are closing
                    break
                log.warning("ops refresh failed: %s", exc)

    async def refresh(self) -> None:
        """Set the lag, recovery and commitments gauges (see the module docstring)."""
        monitor = self.monitor
        app = monitor.app
        checks = readiness(app)
        monitor.metrics.recovered.set(1 if checks["tables_recovered"] else 0)
        sources = {monitor.settings.topic(t) for t in (NEWS, STATEMENTS, OBSERVATIONS)}
        try:
            assigned = app.consumer.assignment()
        except Exception:
            assigned = set()
        tps = sorted(
            (TopicPartition(tp.topic, tp.partition) for tp in assigned if tp.topic in sources),
            key=lambda tp: (tp.topic, tp.partition),
        )
        if tps:
            admin, consumer = await self._clients()
            committed = await admin.list_consumer_group_offsets(
                monitor.settings.app_id, partitions=tps
            )
            end = await consumer.end_offsets(tps)
            begin = await consumer.beginning_offsets(tps)
            monitor.metrics.lag.clear()
            for tp in tps:
                meta = committed.get(tp)
                offset = meta.offset if meta is not None and meta.offset >= 0 else begin[tp]
                monitor.metrics.lag.labels(tp.topic, str(tp.partition)).set(
                    max(0, end[tp] - offset)
                )
        if checks["tables_recovered"]:
            observed = {tp.partition for tp in tps if tp.topic.endswith(OBSERVATIONS)}
            self.set_commitments(local_dyads(monitor, observed))

    def set_commitments(self, dyads: Iterable[str]) -> None:
        """Reset the commitments gauge to the given dyads' current states."""
        metrics = self.monitor.metrics
        metrics.commitments.clear()
        for dyad in dyads:
            proj = self.monitor.load(dyad)
            if proj is not None:
                metrics.set_commitments(proj.snapshot())


def local_dyads(monitor: WorkerState, partitions: Iterable[int]) -> list[str]:
    """The dyads living on the given observations partitions (from the ``partitions`` table)."""
    dyads: set[str] = set()
    for p in partitions:
        dyads.update(monitor.dyads_on(p))
    return sorted(dyads)
