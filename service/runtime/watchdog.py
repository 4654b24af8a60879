"""Recovery watchdog: a worker whose table recovery stops making progress heals itself.

faust-streaming 0.15.3 can leave a worker in table recovery for good after a rebalance: the
recovery waits for changelog records that never reach it ("No event received for active tp ...
since recovery start"), the worker stays unready and processes nothing. The cause lies inside
faust and is not reproducible on demand; what a worker can do is notice it and act, as a
supervisor would:

1. after ``stall_seconds`` of *stalled time* it logs an ERROR with the recovery's per-partition
   offsets, the consumer's view of those partitions and the stacks of every thread, counts the
   stall (``bilateral_recovery_stalls_total``) and restarts faust's recovery (new highwaters,
   offsets and seeks, flow resumed; faust then logs "Recovery complete" for the abandoned run,
   which is not a completion);
2. after twice that much stalled time it stops the worker gracefully (the Faust worker's own
   shutdown: it flushes, commits and leaves the consumer group) and re-executes its own
   command line (``os.execv``: same pid, a fresh process image, the code now on disk), with a
   hard deadline in case the graceful stop hangs; an operator's SIGTERM or SIGINT meanwhile
   cancels the re-execution. Table state lives in the changelog topics and
   offsets are committed only after processing, so this is as safe as a crash and a restart.

Stalled time is time spent in recovery with the consumer's flow active, the broker reachable and
the count of changelog records still to read unchanged, within one consumer generation. So a
broker outage, a rebalance waiting for a slow or dead member (flow suspended) and a slow but
steady recovery never count; any progress and any new generation start it again from zero. A
gap between two looks (a starved event loop, a paused process) counts for at most ``max_gap``.

Re-executions back off: the n-th re-execution in a row (carried across images in the
environment variable ``BILATERAL_MONITOR_RECOVERY_REEXECS``, cleared once recovery has stayed
complete for ``RESET_AFTER`` seconds)
waits ``stall_seconds * 2**n``, and after ``MAX_REEXECS`` the worker stops trying: it logs
CRITICAL and stays up, unready (``/ready`` 503), for an operator or orchestrator to act on.

:class:`StallClock` is the pure decision (unit-tested); :class:`RecoveryWatchdog` is the
``mode.Service`` that feeds it every ``CHECK_INTERVAL`` seconds, started as a dependency of the app
so that it also watches a worker's first recovery.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any, Protocol

from mode import Service

from service.runtime.metrics import Metrics

__all__ = [
    "CHECK_INTERVAL",
    "MAX_REEXECS",
    "REEXECS_ENV",
    "STOP_TIMEOUT_EXIT",
    "RecoveryWatchdog",
    "StallClock",
    "arm_stop_deadline",
    "cancel_restart",
    "diagnose",
    "reexec",
    "request_restart",
    "restart_due",
    "set_stopper",
    "thread_stacks",
]

log = logging.getLogger(__name__)

CHECK_INTERVAL = 2.0
"""Seconds between two looks at the recovery."""

SHUTDOWN_DEADLINE = 30.0
"""Seconds a graceful stop may take before the worker is re-executed anyway."""

MAX_REEXECS = 4
"""Re-executions in a row after which the watchdog gives up (the worker stays unready)."""

RESET_AFTER = 600.0
"""Seconds a worker must stay recovered before its count of re-executions in a row is reset
(at least ten stall periods): a stalled partition that moves to another worker with each
re-execution must not reset the count of both."""

REEXECS_ENV = "BILATERAL_MONITOR_RECOVERY_REEXECS"
"""Environment variable carrying the count of re-executions in a row across process images."""


class StallClock:
    """Stalled time of a recovery, as a stage: 0 fine, 1 stalled, 2 still stalled after stage 1.

    Each look (``observe``) adds the time since the previous look (at most ``max_gap`` seconds)
    when the recovery is stalled at both looks: ``recovering`` and ``flowing`` and ``broker_ok``,
    with the same ``remaining`` count and ``generation``. A change of ``remaining``
    (progress) or of ``generation`` (a rebalance) resets it, and so do two looks in a row outside
    recovery (a completed recovery); a single such look only pauses it. Stage 1 is reached at
    ``stall_seconds`` of stalled time and stage 2 at twice that, never in one step.
    ``stall_seconds`` <= 0 disables it (always stage 0). Times are monotonic seconds.
    """

    def __init__(self, stall_seconds: float, max_gap: float = 3 * CHECK_INTERVAL) -> None:
        self.stall_seconds = stall_seconds
        self.max_gap = max_gap
        self.stalled = 0.0
        self._look: float | None = None
        self._state: tuple[int, Any] | None = None
        self._outside = 0
        self._stage = 0
        self._counting = False

    def reset(self) -> None:
        """Forget all stalled time."""
        self.stalled = 0.0
        self._state = None
        self._stage = 0

    def observe(
        self,
        now: float,
        *,
        recovering: bool,
        remaining: int,
        flowing: bool = True,
        broker_ok: bool = True,
        generation: Any = None,
    ) -> int:
        """The stage after one look at the recovery at monotonic time ``now`` (seconds)."""
        since = None if self._look is None else min(max(0.0, now - self._look), self.max_gap)
        self._look = now
        if self.stall_seconds <= 0:
            return 0
        if not recovering:
            self._outside += 1
            self._counting = False
            if self._outside >= 2:
                self.reset()
            return self._stage
        self._outside = 0
        state = (remaining, generation)
        if state != self._state:
            self.reset()
            self._state = state
            self._counting = flowing and broker_ok
            return 0
        counting = flowing and broker_ok
        if since is not None and counting and self._counting:
            self.stalled += since
        self._counting = counting
        if self._stage == 0 and self.stalled >= self.stall_seconds:
            self._stage = 1
        elif self._stage == 1 and self.stalled >= 2 * self.stall_seconds:
            self._stage = 2
        return self._stage


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
    lines.append(thread_stacks())
    return "\n".join(lines)


def thread_stacks(limit: int = 12) -> str:
    """The innermost ``limit`` frames of every thread's stack, as text (for an ERROR log line)."""
    lines: list[str] = []
    frames = sys._current_frames()
    for thread in threading.enumerate():
        frame = frames.get(thread.ident or -1)
        if frame is not None:
            stack = "".join(traceback.format_stack(frame, limit=limit))
            lines.append(f"thread {thread.name}:\n{stack}")
    return "\n".join(lines)


def reexecs_so_far() -> int:
    """Re-executions in a row so far (``REEXECS_ENV``; 0 when unset or not a number)."""
    try:
        return max(0, int(os.environ.get(REEXECS_ENV, "0")))
    except ValueError:
        return 0


def _flush_output() -> None:
    """Flush stdout, stderr and the root logger's handlers (before the process image ends)."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    for handler in logging.getLogger().handlers:
        with contextlib.suppress(Exception):
            handler.flush()


def reexec() -> None:
    """Replace this process by a fresh run of its own command line (``sys.orig_argv``),
    counting the re-execution in ``REEXECS_ENV``. Does not return."""
    os.environ[REEXECS_ENV] = str(reexecs_so_far() + 1)
    _flush_output()
    os.execv(sys.executable, [sys.executable, *sys.orig_argv[1:]])


_restart_due = threading.Event()
_deadline: list[threading.Timer] = []
_stopper: list[Callable[[], None]] = []


def restart_due() -> bool:
    """True once the watchdog has asked for a re-execution (``kafka_cli.run_worker`` checks it
    when the Faust worker has stopped)."""
    return _restart_due.is_set()


def set_stopper(stop: Callable[[], None]) -> None:
    """How to stop this worker gracefully from its event loop (``kafka_cli.run_worker`` sets
    the Faust worker's own shutdown; without one, SIGTERM to the process)."""
    _stopper[:] = [stop]


def cancel_restart() -> None:
    """An operator's stop (SIGTERM, SIGINT) wins over a pending re-execution: forget it."""
    _restart_due.clear()
    for timer in _deadline:
        timer.cancel()
    _deadline.clear()


def request_restart(deadline: float = SHUTDOWN_DEADLINE) -> None:
    """Stop this worker gracefully and have it re-executed once stopped; re-execute anyway
    after ``deadline`` seconds if the stop hangs (unless an operator's stop cancels it)."""
    _restart_due.set()
    timer = threading.Timer(deadline, _deadline_reexec)
    timer.daemon = True
    _deadline[:] = [timer]
    timer.start()
    if _stopper:
        _stopper[0]()
    else:
        os.kill(os.getpid(), signal.SIGTERM)


STOP_TIMEOUT_EXIT = 70
"""Exit status of a worker whose stop did not finish in time (EX_SOFTWARE, ``sysexits.h``)."""

_stop_deadline: list[threading.Timer] = []


def arm_stop_deadline(seconds: float) -> None:
    """An operator's stop (SIGTERM, SIGINT) must end the process: if it is still running
    ``seconds`` after the first call, log an ERROR with every thread's stack and exit at once
    with status ``STOP_TIMEOUT_EXIT`` (``os._exit``: no more cleanup). Later calls keep the
    first deadline; ``seconds`` <= 0 arms nothing.

    Safe for the data: offsets are committed only after processing and alert ids are
    deterministic, so the next owner of the partitions reads again what was not committed,
    as after a crash. The group moves the partitions after the session timeout, since the
    worker did not leave it.
    """
    if seconds <= 0 or _stop_deadline:
        return
    timer = threading.Timer(seconds, _stop_timed_out, args=(seconds,))
    timer.daemon = True
    _stop_deadline.append(timer)
    timer.start()


def _stop_timed_out(seconds: float) -> None:
    log.error(
        "the worker did not stop within %.0f s of the signal; exiting now with status %d "
        "(what it did not commit is read again by the next owner of its partitions)\n%s",
        seconds,
        STOP_TIMEOUT_EXIT,
        thread_stacks(),
    )
    _flush_output()
    os._exit(STOP_TIMEOUT_EXIT)


def _deadline_reexec() -> None:
    if _restart_due.is_set():
        log.error("the worker did not stop within %.0f s; re-executing it now", SHUTDOWN_DEADLINE)
        reexec()


class Watched(Protocol):
    """What the watchdog needs of a worker (the Faust runtime's ``Monitor`` has it)."""

    app: Any
    """The ``faust.App`` whose table recovery is watched."""
    metrics: Metrics
    """Where the stall and re-execution counts go."""


class RecoveryWatchdog(Service):
    """Watches faust's table recovery; restarts it, then the process, when it stalls."""

    def __init__(
        self,
        monitor: Watched,
        *,
        stall_seconds: float,
        broker_ok: Callable[[], Any] | None = None,
        restart: Callable[[], None] = request_restart,
        reexecs: int | None = None,
        **kwargs: Any,
    ) -> None:
        self.monitor = monitor
        self.base_seconds = stall_seconds
        self.reexecs = reexecs_so_far() if reexecs is None else reexecs
        self.clock = StallClock(stall_seconds * 2 ** min(self.reexecs, MAX_REEXECS))
        self._broker_ok = broker_ok
        self._restart = restart
        self._acted = 0
        self._gave_up = False
        self._ready_since: float | None = None
        self.reset_after = max(RESET_AFTER, 10 * stall_seconds)
        monitor.metrics.recovery_reexecs.set(self.reexecs)
        super().__init__(**kwargs)

    @Service.timer(CHECK_INTERVAL)
    async def _check_timer(self) -> None:
        try:
            await self.check()
        except Exception as exc:
            log.warning("recovery watchdog check failed: %r", exc)

    async def check(self, now: float | None = None) -> int:
        """One look at the recovery; acts on entering stage 1 and 2. Returns the stage."""
        now = time.monotonic() if now is None else now
        app = self.monitor.app
        recovery = app.tables.recovery
        recovering = bool(getattr(app, "in_recovery", False))
        if not recovering:
            stage = self.clock.observe(now, recovering=False, remaining=0)
            if stage == 0:
                self._acted = 0
            if not recovery.completed.is_set():
                self._ready_since = None
            elif self._ready_since is None:
                self._ready_since = now
            elif self.reexecs and now - self._ready_since >= self.reset_after:
                log.info(
                    "table recovery has stayed complete for %.0f s; re-execution count %d reset",
                    now - self._ready_since,
                    self.reexecs,
                )
                os.environ[REEXECS_ENV] = "0"
                self.reexecs = 0
                self.clock.stall_seconds = self.base_seconds
                self.monitor.metrics.recovery_reexecs.set(0)
            return stage
        self._ready_since = None
        broker_ok = True
        if self._broker_ok is not None:
            result = self._broker_ok()
            broker_ok = bool(await result) if asyncio.iscoroutine(result) else bool(result)
        consumer = app.consumer
        stage = self.clock.observe(
            now,
            recovering=True,
            remaining=int(recovery.active_remaining_total()),
            flowing=bool(getattr(consumer, "flow_active", True))
            and bool(app.flow_control.is_active()),
            broker_ok=broker_ok,
            generation=getattr(app, "consumer_generation_id", None),
        )
        if stage == 0:
            self._acted = 0
        elif stage == 1 and self._acted == 0:
            self._acted = 1
            self.monitor.metrics.recovery_stalls.inc()
            log.error(
                "table recovery made no progress for %.0f s; restarting it (faust then logs "
                '"Recovery complete" for the abandoned run: it is not a completion)\n%s',
                self.clock.stall_seconds,
                diagnose(app),
            )
            recovery.signal_recovery_start.set()
        elif stage == 2 and self._acted == 1:
            self._acted = 2
            if self.reexecs >= MAX_REEXECS:
                if not self._gave_up:
                    self._gave_up = True
                    log.critical(
                        "table recovery still stalled after %d re-executions of this worker; "
                        "giving up: the worker stays unready until an operator restarts it",
                        self.reexecs,
                    )
                return stage
            log.error(
                "table recovery still made no progress after its restart (%.0f s stalled in "
                "all); stopping this worker and re-executing it (re-execution %d of at most %d "
                "in a row)",
                self.clock.stalled,
                self.reexecs + 1,
                MAX_REEXECS,
            )
            self._restart()
        return stage
