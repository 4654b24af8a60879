"""A worker's stop on SIGTERM against a real broker.

- A graceful stop commits, leaves the consumer group and exits with status 0.
- A stop that hangs (fault injection: the producer flush never returns) must still end the
  process: at ``STOP_TIMEOUT_SECONDS`` it logs every thread's stack and exits with status 70, so
  an orchestrator can start it again instead of waiting on a process that never exits.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from service.runtime.watchdog import STOP_TIMEOUT_EXIT
from tests.integration.conftest import (
    WorkerProcess,
    fault_env,
    free_port,
    unique_settings,
    wait_assigned,
)

pytestmark = pytest.mark.kafka

STOP_TIMEOUT = 8.0
"""The workers' ``STOP_TIMEOUT_SECONDS`` here (30 s by default)."""


def stop_and_time(worker: WorkerProcess, wait: float) -> tuple[int | None, float]:
    """SIGTERM the worker; (exit status or None if it still runs after ``wait`` s, seconds)."""
    assert worker.proc is not None
    t0 = time.monotonic()
    worker.proc.send_signal(signal.SIGTERM)
    try:
        status = worker.proc.wait(wait)
    except Exception:
        status = None
    return status, time.monotonic() - t0


@pytest.mark.parametrize("hang", [False, True], ids=["graceful", "hung"])
def test_sigterm_ends_the_worker_within_the_stop_timeout(
    kafka_bootstrap: str, tmp_path: Path, hang: bool
) -> None:
    settings = unique_settings(kafka_bootstrap, tmp_path / "kafka")
    extra_env = {"BILATERAL_MONITOR_STOP_TIMEOUT_SECONDS": str(STOP_TIMEOUT)}
    if hang:
        extra_env |= fault_env(BILATERAL_MONITOR_TEST_HANG_STOP="1")
    worker = WorkerProcess(settings, free_port(), tmp_path / "worker.log", extra_env=extra_env)
    try:
        worker.start()
        wait_assigned([worker], settings)
        status, took = stop_and_time(worker, STOP_TIMEOUT + 30)
    finally:
        worker.kill()
    log = worker.log_path.read_text(errors="replace")
    if not hang:
        assert status == 0, worker.log_tail()
        assert took < STOP_TIMEOUT, f"a graceful stop took {took:.1f} s"
        assert "LeaveGroup request succeeded" in log, worker.log_tail()
        assert "did not stop within" not in log
        return
    assert "fault injection: the producer flush hangs" in log, worker.log_tail()
    assert status == STOP_TIMEOUT_EXIT, worker.log_tail()
    assert STOP_TIMEOUT <= took < STOP_TIMEOUT + 10, f"stopped after {took:.1f} s"
    assert f"did not stop within {STOP_TIMEOUT:.0f} s of the signal" in log
    assert "thread MainThread:" in log  # the stacks, to see where the stop hung
