"""The recovery watchdog: the stall clock, and what a worker does at each stage (no broker)."""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from service.config import Settings
from service.runtime.watchdog import (
    MAX_REEXECS,
    REEXECS_ENV,
    RecoveryWatchdog,
    StallClock,
    diagnose,
)


def _looks(clock: StallClock, start: float, end: float, remaining: int, **kw: Any) -> int:
    """Look every 2 s from ``start`` to ``end`` (inclusive); the last stage."""
    stage = 0
    t = start
    while t <= end + 1e-9:
        stage = clock.observe(t, recovering=kw.get("recovering", True), remaining=remaining,
                              flowing=kw.get("flowing", True), broker_ok=kw.get("broker_ok", True),
                              generation=kw.get("generation", 1))  # fmt: skip
        t += 2.0
    return stage


def test_stall_clock_escalates_only_without_progress() -> None:
    clock = StallClock(30.0)
    assert _looks(clock, 0.0, 28.0, 12) == 0
    assert _looks(clock, 30.0, 30.0, 12) == 1
    assert _looks(clock, 32.0, 58.0, 12) == 1
    assert _looks(clock, 60.0, 60.0, 12) == 2
    # progress (fewer records to read) starts again from zero
    assert _looks(clock, 62.0, 62.0, 7) == 0
    assert _looks(clock, 64.0, 92.0, 7) == 1
    # so does a new consumer generation (a rebalance)
    assert _looks(clock, 94.0, 94.0, 7, generation=2) == 0
    assert _looks(clock, 96.0, 120.0, 7, generation=2) == 0


def test_stall_clock_does_not_count_outages_rebalances_or_gaps() -> None:
    clock = StallClock(10.0)
    assert _looks(clock, 0.0, 6.0, 5) == 0  # 6 s stalled
    assert _looks(clock, 8.0, 200.0, 5, broker_ok=False) == 0  # a broker outage: paused
    assert _looks(clock, 202.0, 400.0, 5, flowing=False) == 0  # a rebalance: paused
    # the first look after them adds nothing (the time since the last look was not stalled)
    assert _looks(clock, 402.0, 404.0, 5) == 0
    assert _looks(clock, 406.0, 406.0, 5) == 1  # 10 s stalled in all
    # a gap of 100 s between two looks (a starved loop) counts for at most max_gap: no jump
    clock = StallClock(10.0, max_gap=6.0)
    assert _looks(clock, 0.0, 4.0, 5) == 0
    assert clock.observe(104.0, recovering=True, remaining=5, generation=1) == 1  # 4 + 6 s
    assert clock.observe(204.0, recovering=True, remaining=5, generation=1) == 1  # 16 s
    assert clock.observe(206.0, recovering=True, remaining=5, generation=1) == 1  # 18 s
    assert clock.observe(208.0, recovering=True, remaining=5, generation=1) == 2  # 20 s


def test_stall_clock_resets_after_a_completed_recovery_not_a_blip() -> None:
    clock = StallClock(10.0)
    assert _looks(clock, 0.0, 8.0, 5) == 0
    assert clock.observe(10.0, recovering=False, remaining=0) == 0  # one look outside: paused
    assert _looks(clock, 12.0, 12.0, 5) == 0  # the time across the blip does not count
    assert _looks(clock, 14.0, 14.0, 5) == 1  # 10 s stalled in all
    assert _looks(clock, 16.0, 18.0, 5, recovering=False) == 0  # two looks outside: reset
    assert _looks(clock, 20.0, 28.0, 5) == 0


def test_stall_clock_is_off_at_zero_seconds() -> None:
    clock = StallClock(0.0)
    assert _looks(clock, 0.0, 1000.0, 3) == 0


class _Recovery:
    def __init__(self, remaining: int) -> None:
        self.remaining = remaining
        self.signal_recovery_start = asyncio.Event()
        self.completed = asyncio.Event()

    def active_remaining_total(self) -> int:
        return self.remaining

    def active_stats(self) -> dict[Any, Any]:
        return {}


class _Flow:
    def __init__(self) -> None:
        self.active = True

    def is_active(self) -> bool:
        return self.active


class _Metric:
    def __init__(self) -> None:
        self.value = 0.0

    def inc(self) -> None:
        self.value += 1

    def set(self, value: float) -> None:
        self.value = value


def _watched(
    remaining: int, broker: list[bool], reexecs: int = 0
) -> tuple[RecoveryWatchdog, Any, list[int]]:
    restarts: list[int] = []
    recovery = _Recovery(remaining)
    app = type("App", (), {})()
    app.in_recovery = True
    app.consumer_generation_id = 3
    app.tables = type("Tables", (), {"recovery": recovery})()
    app.consumer = type("Consumer", (), {"flow_active": True})()
    app.flow_control = _Flow()
    metrics = type("Metrics", (), {"recovery_stalls": _Metric(), "recovery_reexecs": _Metric()})()
    monitor = type("Monitor", (), {"app": app, "metrics": metrics})()

    async def broker_ok() -> bool:
        return broker[0]

    dog = RecoveryWatchdog(
        monitor,
        stall_seconds=20.0,
        broker_ok=broker_ok,
        restart=lambda: restarts.append(1),
        reexecs=reexecs,
    )
    return dog, monitor, restarts


async def _checks(dog: RecoveryWatchdog, start: float, end: float) -> int:
    stage, t = 0, start
    while t <= end + 1e-9:
        stage = await dog.check(now=t)
        t += 2.0
    return stage


async def test_watchdog_restarts_recovery_then_the_process(
    caplog: pytest.LogCaptureFixture,
) -> None:
    dog, monitor, restarts = _watched(9, [True])
    recovery = monitor.app.tables.recovery
    assert await _checks(dog, 0.0, 18.0) == 0
    assert not recovery.signal_recovery_start.is_set()

    assert await dog.check(now=20.0) == 1
    assert recovery.signal_recovery_start.is_set()  # faust restarts its recovery
    assert monitor.metrics.recovery_stalls.value == 1
    assert "made no progress for 20 s" in caplog.text
    assert await _checks(dog, 22.0, 38.0) == 1
    assert monitor.metrics.recovery_stalls.value == 1  # acted once per stall
    assert restarts == []

    assert await dog.check(now=40.0) == 2
    assert restarts == [1]
    assert await _checks(dog, 42.0, 100.0) == 2
    assert restarts == [1]  # asked once


async def test_watchdog_backs_off_and_gives_up(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(REEXECS_ENV, str(MAX_REEXECS))  # restored after the test
    dog, monitor, restarts = _watched(9, [True], reexecs=2)
    assert dog.clock.stall_seconds == 80.0  # 20 s doubled twice
    assert monitor.metrics.recovery_reexecs.value == 2
    assert await _checks(dog, 0.0, 160.0) == 2 and restarts == [1]

    dog, monitor, restarts = _watched(9, [True], reexecs=MAX_REEXECS)
    assert await _checks(dog, 0.0, 2 * dog.clock.stall_seconds) == 2
    assert restarts == [] and "giving up" in caplog.text
    # a recovery that completes clears the count, once it has stayed complete for a while:
    # a stalled partition that moved to another worker and back must not reset it
    monitor.app.in_recovery = False
    monitor.app.tables.recovery.completed.set()
    await dog.check(now=10_000.0)
    monitor.app.in_recovery = True
    await dog.check(now=10_010.0)
    monitor.app.in_recovery = False
    await dog.check(now=10_020.0)
    await dog.check(now=10_020.0 + dog.reset_after - 1)
    assert dog.reexecs == MAX_REEXECS
    await dog.check(now=10_020.0 + dog.reset_after)
    assert dog.reexecs == 0 and dog.clock.stall_seconds == 20.0
    assert monitor.metrics.recovery_reexecs.value == 0
    assert os.environ.get(REEXECS_ENV) == "0"


async def test_watchdog_does_nothing_while_reading_or_during_an_outage() -> None:
    broker = [True]
    dog, monitor, restarts = _watched(100, broker)
    recovery = monitor.app.tables.recovery
    for step in range(10):  # slow but steady recovery: one record every 16 s
        recovery.remaining = 100 - step
        assert await _checks(dog, 16.0 * step, 16.0 * step + 14.0) == 0
    broker[0] = False  # an outage: nothing read for 300 s, the broker unreachable
    assert await _checks(dog, 200.0, 500.0) == 0
    broker[0] = True
    monitor.app.flow_control.active = False  # a rebalance waiting for a member
    assert await _checks(dog, 502.0, 800.0) == 0
    assert monitor.metrics.recovery_stalls.value == 0 and restarts == []


async def test_worker_app_carries_the_watchdog_from_the_start(tmp_path: Path) -> None:
    from service.bootstrap import create_app

    app = create_app(
        Settings(data_dir=tmp_path, store="memory://", web_port=6398, recovery_stall_seconds=45)
    )
    dogs = [c for c in app._children if isinstance(c, RecoveryWatchdog)]
    assert len(dogs) == 1 and dogs[0].clock.stall_seconds == 45
    # the report reads a real app without raising, even outside a recovery
    report = diagnose(app)
    assert "active changelog partitions behind: 0" in report
    assert "thread MainThread" in report


async def test_an_operator_stop_cancels_a_pending_restart(monkeypatch: pytest.MonkeyPatch) -> None:
    from service.runtime import watchdog

    stopped: list[int] = []
    reexecuted: list[int] = []
    monkeypatch.setattr(watchdog, "reexec", lambda: reexecuted.append(1))
    watchdog.set_stopper(lambda: stopped.append(1))
    try:
        watchdog.request_restart(deadline=0.2)
        assert stopped == [1] and watchdog.restart_due()
        watchdog.cancel_restart()  # what the worker's SIGTERM/SIGINT handlers call
        assert not watchdog.restart_due()
        await asyncio.sleep(0.4)
        assert reexecuted == []  # the deadline was cancelled too
        watchdog.request_restart(deadline=0.2)
        await asyncio.sleep(0.4)
        assert reexecuted == [1]  # a stop that hangs: re-executed at the deadline
    finally:
        watchdog.cancel_restart()
        watchdog.set_stopper(lambda: None)


async def test_safe_recovery_seeks_a_partition_without_offset_to_its_start(
    tmp_path: Path,
) -> None:
    from faust.types import TP

    from service.bootstrap import create_app
    from service.runtime.faust_patches import SafeRecovery

    app = create_app(Settings(data_dir=tmp_path, store="memory://", web_port=6396))
    recovery = app.tables.recovery
    assert isinstance(recovery, SafeRecovery)

    class Consumer:
        def __init__(self) -> None:
            self.sought: dict[TP, int] = {}

        async def seek_wait(self, offsets: dict[TP, int]) -> None:
            for offset in offsets.values():
                if offset is None or offset < 0:
                    raise ValueError("Offset must be a positive integer")  # as aiokafka
            self.sought.update(offsets)

    consumer = Consumer()
    new, known = TP("x-changelog", 0), TP("x-changelog", 1)
    offsets: Counter[TP] = Counter()
    offsets[new] = None  # type: ignore[assignment]  # what faust's Recovery._add leaves
    offsets[known] = 7
    await recovery._seek_offsets(consumer, {new, known}, offsets, "standby")
    assert consumer.sought == {new: 0, known: 7}


def test_stop_deadline_exits_once_at_the_first_deadline(monkeypatch, caplog) -> None:
    import threading

    from service.runtime import watchdog

    exits: list[int] = []
    exited = threading.Event()

    def fake_exit(status: int) -> None:
        exits.append(status)
        exited.set()

    monkeypatch.setattr(watchdog.os, "_exit", fake_exit)
    monkeypatch.setattr(watchdog, "_stop_deadline", [])
    watchdog.arm_stop_deadline(0)  # off: arms nothing
    assert watchdog._stop_deadline == []
    watchdog.arm_stop_deadline(0.2)
    watchdog.arm_stop_deadline(60)  # a second signal keeps the first deadline
    assert len(watchdog._stop_deadline) == 1
    assert exited.wait(10)
    watchdog._stop_deadline[0].join(10)
    assert exits == [watchdog.STOP_TIMEOUT_EXIT]
    assert "did not stop within 0 s of the signal" in caplog.text
    assert "thread MainThread:" in caplog.text
