"""The recovery watchdog: the stall clock, and what a worker does at each stage (no broker)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from service.config import Settings
from service.runtime.watchdog import RecoveryWatchdog, StallClock, diagnose


def _look(clock: StallClock, now: float, remaining: int, **kw: Any) -> int:
    args = {"recovering": True, "broker_ok": True} | kw
    return clock.observe(now, remaining=remaining, **args)


def test_stall_clock_escalates_only_without_progress() -> None:
    clock = StallClock(30.0)
    assert _look(clock, 0.0, 12) == 0
    assert _look(clock, 29.9, 12) == 0
    assert _look(clock, 30.0, 12) == 1
    assert _look(clock, 59.9, 12) == 1
    assert _look(clock, 60.0, 12) == 2
    # progress (fewer records to read) starts the clock again
    assert _look(clock, 61.0, 7) == 0
    assert _look(clock, 90.0, 7) == 0
    assert _look(clock, 91.0, 7) == 1


def test_stall_clock_ignores_time_outside_recovery_and_broker_outages() -> None:
    clock = StallClock(10.0)
    assert _look(clock, 0.0, 5) == 0
    assert _look(clock, 9.0, 5, broker_ok=False) == 0  # an outage resets the clock
    assert _look(clock, 18.0, 5) == 0
    assert _look(clock, 27.0, 5) == 0
    assert _look(clock, 28.0, 5) == 1
    assert _look(clock, 29.0, 5, recovering=False) == 0
    assert _look(clock, 100.0, 5) == 0


def test_stall_clock_is_off_at_zero_seconds() -> None:
    clock = StallClock(0.0)
    assert [_look(clock, t, 3) for t in (0.0, 1e6, 2e6)] == [0, 0, 0]


class _Recovery:
    def __init__(self, remaining: int) -> None:
        self.remaining = remaining
        self.signal_recovery_start = asyncio.Event()

    def active_remaining_total(self) -> int:
        return self.remaining

    def active_stats(self) -> dict[Any, Any]:
        return {}


class _Consumer:
    def __init__(self) -> None:
        self.stopped = 0

    async def stop(self) -> None:
        self.stopped += 1


class _Counter:
    def __init__(self) -> None:
        self.value = 0

    def inc(self) -> None:
        self.value += 1


def _watched(remaining: int, broker: list[bool]) -> tuple[RecoveryWatchdog, Any, list[int]]:
    restarts: list[int] = []
    recovery = _Recovery(remaining)
    app = type("App", (), {})()
    app.in_recovery = True
    app.tables = type("Tables", (), {"recovery": recovery})()
    app.consumer = _Consumer()
    metrics = type("Metrics", (), {"recovery_stalls": _Counter()})()
    monitor = type("Monitor", (), {"app": app, "metrics": metrics})()

    async def broker_ok() -> bool:
        return broker[0]

    dog = RecoveryWatchdog(
        monitor, stall_seconds=20.0, broker_ok=broker_ok, restart=lambda: restarts.append(1)
    )
    return dog, monitor, restarts


async def test_watchdog_restarts_recovery_then_the_process(
    caplog: pytest.LogCaptureFixture,
) -> None:
    dog, monitor, restarts = _watched(9, [True])
    recovery = monitor.app.tables.recovery
    assert await dog.check(now=0.0) == 0
    assert await dog.check(now=19.0) == 0
    assert not recovery.signal_recovery_start.is_set()

    assert await dog.check(now=20.0) == 1
    assert recovery.signal_recovery_start.is_set()  # faust restarts its recovery
    assert monitor.metrics.recovery_stalls.value == 1
    assert "made no progress for 20 s" in caplog.text
    assert await dog.check(now=30.0) == 1
    assert monitor.metrics.recovery_stalls.value == 1  # acted once per stall
    assert restarts == []

    assert await dog.check(now=40.0) == 2
    assert monitor.app.consumer.stopped == 1  # left the group first
    assert restarts == [1]


async def test_watchdog_does_nothing_while_reading_or_during_an_outage() -> None:
    broker = [True]
    dog, monitor, restarts = _watched(100, broker)
    recovery = monitor.app.tables.recovery
    for step in range(10):  # slow but steady recovery: one record every 15 s
        recovery.remaining = 100 - step
        assert await dog.check(now=15.0 * step) == 0
    broker[0] = False
    for step in range(10, 20):  # an outage: nothing read for 150 s, the broker unreachable
        assert await dog.check(now=15.0 * step) == 0
    assert monitor.metrics.recovery_stalls.value == 0 and restarts == []
    monitor.app.in_recovery = False
    broker[0] = True
    assert await dog.check(now=1000.0) == 0


async def test_worker_app_carries_the_watchdog_from_the_start(tmp_path: Path) -> None:
    from service.runtime.faust_app import create_app

    app = create_app(
        Settings(data_dir=tmp_path, store="memory://", web_port=6398, recovery_stall_seconds=45)
    )
    dogs = [c for c in app._children if isinstance(c, RecoveryWatchdog)]
    assert len(dogs) == 1 and dogs[0].clock.stall_seconds == 45
    # the report reads a real app without raising, even outside a recovery
    report = diagnose(app)
    assert "active changelog partitions behind: 0" in report
    assert "thread MainThread" in report
