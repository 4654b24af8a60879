"""Recovery watchdog: a worker whose table recovery stops making progress heals itself.

faust-streaming 0.15.3 can leave a worker in table recovery for good after a rebalance: the
recovery waits for changelog records that never reach it ("No event received for active tp ...
since recovery start"), the worker stays unready and processes nothing. The cause lies inside
faust's consumer thread and is not reproducible on demand; what a worker can do is notice it and
act, as a supervisor would:

1. after ``stall_seconds`` in recovery with the broker reachable and the count of changelog
   records still to read unchanged, it logs an ERROR with the recovery's per-partition offsets,
   the consumer's view of those partitions and the stacks of every thread, counts the stall
   (``bilateral_recovery_stalls_total``) and restarts faust's recovery (new highwaters, offsets
   and seeks, flow resumed);
2. after ``2 * stall_seconds`` without progress, it leaves the consumer group (bounded wait) and
   re-executes its own command line (``os.execv``: same pid, a fresh process image). Table state
   lives in the changelog topics and offsets are committed only after processing, so this is as
   safe as a crash followed by a restart (tested by ``scripts/chaos``), and faster.

A broker outage is not a stall: while the broker is unreachable nothing is counted (the broker
restart test depends on a worker riding out an outage without restarting).

:class:`StallClock` is the pure decision (unit-tested); :class:`RecoveryWatchdog` is the
``mode.Service`` that feeds it every ``CHECK_INTERVAL`` seconds, started as a dependency of the app
so that it also watches a worker's first recovery.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import threading
import time
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from mode import Service

if TYPE_CHECKING:
    from service.runtime.faust_app import Monitor

__all__ = ["CHECK_INTERVAL", "RecoveryWatchdog", "StallClock", "diagnose"]

log = logging.getLogger(__name__)

CHECK_INTERVAL = 2.0
"""Seconds between two looks at the recovery."""

LEAVE_TIMEOUT = 10.0
"""Seconds given to leaving the consumer group before re-executing."""


class StallClock:
    """How long recovery has gone without progress, as a stage: 0 fine, 1 stalled, 2 restart.

    Progress is any change of the count of changelog records still to read (``remaining``); a
    restart of the recovery that reads nothing is not progress, so stage 2 follows stage 1. Time
    passes only while ``recovering`` and ``broker_ok``; anything else resets the clock.
    ``stall_seconds`` <= 0 disables the watchdog (always stage 0). Times are monotonic seconds.
    """

    def __init__(self, stall_seconds: float) -> None:
        self.stall_seconds = stall_seconds
        self._since: float | None = None
        self._last: int | None = None

    def observe(self, now: float, *, recovering: bool, broker_ok: bool, remaining: int) -> int:
        """The stage after one look at the recovery at monotonic time ``now`` (seconds)."""
        if self.stall_seconds <= 0 or not recovering or not broker_ok:
            self._since = None
            self._last = None
            return 0
        if remaining != self._last or self._since is None:
            self._last = remaining
            self._since = now
            return 0
        waited = now - self._since
        if waited >= 2 * self.stall_seconds:
            return 2
        if waited >= self.stall_seconds:
            return 1
        return 0


def diagnose(app: Any) -> str:
    """A text report of a recovery that makes no progress (for the log; reads, never writes).

    Lists each active changelog partition still behind (highwater, offset read, remaining), the
    consumer's paused and active partitions, whether flow is active, the aiokafka position and
    paused flag of each lagging partition, and the stack of every thread. Each part is guarded:
    a missing private attribute of faust or aiokafka gives a line saying so, not an exception.
    """
    lines: list[str] = []
    recovery = app.tables.recovery

    def part(title: str, fn: Callable[[], Any]) -> None:
        try:
            lines.append(f"{title}: {fn()}")
        except Exception as exc:  # a diagnostic must never raise
            lines.append(f"{title}: unavailable ({type(exc).__name__}: {exc})")

    stats: dict[Any, Any] = {}
    with contextlib.suppress(Exception):
        stats = dict(recovery.active_stats())
    lines.append(f"active changelog partitions behind: {len(stats)}")
    for tp, stat in sorted(stats.items(), key=lambda kv: (kv[0].topic, kv[0].partition)):
        lines.append(f"  {tp.topic}[{tp.partition}] {stat}")
    consumer = app.consumer
    part("consumer flow active", lambda: consumer.flow_active)
    part("flow control active", lambda: app.flow_control.is_active())
    part("paused partitions", lambda: sorted(map(str, consumer._paused_partitions)))
    part("active partitions", lambda: len(consumer._active_partitions or ()))

    def positions() -> str:
        from aiokafka import TopicPartition

        aio = consumer._thread._ensure_consumer()
        assignment = aio._subscription.subscription.assignment
        out = []
        for tp in stats:
            state = assignment.state_value(TopicPartition(tp.topic, tp.partition))
            if state is None:
                out.append(f"{tp.topic}[{tp.partition}]=unassigned")
            else:
                pos = state.position if state.has_valid_position else None
                out.append(f"{tp.topic}[{tp.partition}]=pos {pos} paused {state.paused}")
        return "; ".join(out) or "none"

    part("aiokafka positions", positions)
    frames = sys._current_frames()
    for thread in threading.enumerate():
        frame = frames.get(thread.ident or -1)
        if frame is not None:
            stack = "".join(traceback.format_stack(frame, limit=12))
            lines.append(f"thread {thread.name}:\n{stack}")
    return "\n".join(lines)


def reexec() -> None:
    """Replace this process by a fresh run of its own command line (``sys.orig_argv``)."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    for handler in logging.getLogger().handlers:
        with contextlib.suppress(Exception):
            handler.flush()
    os.execv(sys.executable, [sys.executable, *sys.orig_argv[1:]])


class RecoveryWatchdog(Service):
    """Watches faust's table recovery; restarts it, then the process, when it stalls."""

    def __init__(
        self,
        monitor: Monitor,
        *,
        stall_seconds: float,
        broker_ok: Callable[[], Any] | None = None,
        restart: Callable[[], None] = reexec,
        **kwargs: Any,
    ) -> None:
        self.monitor = monitor
        self.clock = StallClock(stall_seconds)
        self._broker_ok = broker_ok
        self._restart = restart
        self._stage = 0
        super().__init__(**kwargs)

    @Service.timer(CHECK_INTERVAL)
    async def _check_timer(self) -> None:
        try:
            await self.check()
        except Exception as exc:
            log.warning("recovery watchdog check failed: %s", exc)

    async def check(self, now: float | None = None) -> int:
        """One look at the recovery; acts on entering stage 1 and 2. Returns the stage."""
        app = self.monitor.app
        recovery = app.tables.recovery
        recovering = bool(getattr(app, "in_recovery", False))
        if not recovering or self.clock.stall_seconds <= 0:
            self.clock.observe(0.0, recovering=False, broker_ok=True, remaining=0)
            self._stage = 0
            return 0
        broker_ok = True
        if self._broker_ok is not None:
            result = self._broker_ok()
            broker_ok = bool(await result) if asyncio.iscoroutine(result) else bool(result)
        stage = self.clock.observe(
            time.monotonic() if now is None else now,
            recovering=True,
            broker_ok=broker_ok,
            remaining=int(recovery.active_remaining_total()),
        )
        if stage == 0:
            self._stage = 0
        elif stage == 1 and self._stage == 0:
            self._stage = 1
            self.monitor.metrics.recovery_stalls.inc()
            log.error(
                "table recovery made no progress for %.0f s; restarting it\n%s",
                self.clock.stall_seconds,
                diagnose(app),
            )
            recovery.signal_recovery_start.set()
        elif stage == 2 and self._stage < 2:
            self._stage = 2
            log.error(
                "table recovery still made no progress %.0f s after its restart; leaving the "
                "consumer group and restarting this worker process",
                self.clock.stall_seconds,
            )
            with contextlib.suppress(Exception):
                await asyncio.wait_for(app.consumer.stop(), LEAVE_TIMEOUT)
            self._restart()
        return stage
