"""Worker processes and Kafka helpers for the tools (``scripts/chaos``, ``scripts/soak``) and
the integration tests: no pytest, so they run where the project is installed without its test
extras.

A :class:`WorkerProcess` is a ``python -m service worker`` subprocess with its own web port and
data dir; :func:`unique_settings` gives every run fresh topics (a prefix) and its own consumer
group (app id), so runs never see each other's messages.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from service.config import Settings
from service.runtime.kafka_io import OBSERVATIONS, read_topics

__all__ = [
    "PACKAGE_ROOT",
    "WorkerProcess",
    "alert_news",
    "event_ids_in",
    "free_port",
    "http_json",
    "read_topic",
    "unique_settings",
    "wait_assigned",
    "wait_until",
]

PACKAGE_ROOT = Path(__file__).resolve().parents[2]
"""The folder that holds the ``service`` package (a checkout, or site-packages): the workers'
working directory, so ``python -m service`` finds the package either way."""


def unique_settings(bootstrap: str, data_dir: Path, **overrides: Any) -> Settings:
    """Settings with a fresh topic prefix and app id (4 partitions, memory store).

    The recovery watchdog acts after 15 s without progress (60 s in production), so a worker
    caught in faust's recovery stall heals well within the tests' assignment deadlines.
    """
    tag = uuid.uuid4().hex[:10]
    values: dict[str, Any] = {
        "bootstrap": bootstrap,
        "topic_prefix": f"it-{tag}.",
        "app_id": f"it-{tag}",
        "partitions": 4,
        "store": "memory://",
        "data_dir": data_dir,
        "web_host": "127.0.0.1",
        "recovery_stall_seconds": 15.0,
    }
    values.update(overrides)
    return Settings(**values)


def free_port() -> int:
    """A TCP port that is free right now on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(check: Callable[[], Any], timeout: float, what: str, every: float = 0.2) -> Any:
    """Poll ``check`` every ``every`` s until it returns a truthy value (returned); raises
    TimeoutError after ``timeout`` s, naming ``what`` and the last exception ``check`` raised."""
    deadline = time.monotonic() + timeout
    last_exc: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            value = check()
            if value:
                return value
        except Exception as exc:
            last_exc = exc
        time.sleep(every)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what} (last error: {last_exc!r})")


def http_json(url: str, timeout: float = 5.0) -> Any:
    """GET ``url`` and decode the JSON answer."""
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return json.loads(response.read())


@dataclass
class WorkerProcess:
    """A ``python -m service worker`` subprocess with its own web port and data dir."""

    settings: Settings
    port: int
    log_path: Path
    proc: subprocess.Popen[bytes] | None = None
    starts: int = 0
    extra_env: dict[str, str] = field(default_factory=dict)
    """More environment for the worker (fault injection: ``tests/integration/faults``)."""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> WorkerProcess:
        env = dict(os.environ)
        for key in list(env):
            if key.startswith("BILATERAL_MONITOR_") and key != "BILATERAL_MONITOR_SHARED":
                del env[key]
        env.update(
            {
                "BILATERAL_MONITOR_TOPIC_PREFIX": self.settings.topic_prefix,
                "BILATERAL_MONITOR_APP_ID": self.settings.app_id,
                "BILATERAL_MONITOR_PARTITIONS": str(self.settings.partitions),
                "BILATERAL_MONITOR_STORE": self.settings.store,
                "BILATERAL_MONITOR_DATA_DIR": str(self.settings.data_dir / f"w{self.port}"),
                "BILATERAL_MONITOR_WEB_HOST": "127.0.0.1",
                "BILATERAL_MONITOR_LIVE_CLOCK_SECONDS": str(self.settings.live_clock_seconds),
                "BILATERAL_MONITOR_SESSION_TIMEOUT_SECONDS": str(
                    self.settings.session_timeout_seconds
                ),
                "BILATERAL_MONITOR_RECOVERY_STALL_SECONDS": str(
                    self.settings.recovery_stall_seconds
                ),
            }
        )
        env.update(self.extra_env)
        self.starts += 1
        log = self.log_path.open("ab")
        log.write(f"\n===== start #{self.starts} =====\n".encode())
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "service",
                "worker",
                "--web-port",
                str(self.port),
                "--bootstrap",
                self.settings.bootstrap,
                "--loglevel",
                "info",
            ],
            cwd=PACKAGE_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        return self

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def active_partitions(self, topic: str) -> set[int]:
        """Partitions of ``topic`` assigned to this worker (from ``/health``)."""
        if not self.alive():
            raise RuntimeError(f"worker on {self.port} exited: see {self.log_path}")
        data = http_json(f"{self.url}/health")
        if not data.get("ready"):
            return set()
        out = set()
        for item in data["partitions"]:
            name, _, part = item.rpartition(":")
            if name == topic:
                out.add(int(part))
        return out

    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM (graceful: Faust commits and flushes), SIGKILL after ``timeout`` s."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)

    def kill(self) -> None:
        """SIGKILL: no commit, no flush, no leave-group (a crash)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def log_tail(self, lines: int = 60) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def wait_assigned(workers: list[WorkerProcess], settings: Settings, timeout: float = 120) -> None:
    """Wait until the live workers together own every observations partition, each one some."""
    topic = settings.topic(OBSERVATIONS)

    def check() -> bool:
        owned = [w.active_partitions(topic) for w in workers]
        union = set().union(*owned)
        return (
            all(owned)
            and union == set(range(settings.partitions))
            and (sum(len(o) for o in owned) == settings.partitions)
        )

    try:
        wait_until(check, timeout, "the workers' partition assignment")
        time.sleep(0.5)  # a rebalance that starts right after a join shows up by now
        wait_until(check, timeout, "the workers' partition assignment (stable)")
    except BaseException:
        for w in workers:
            print(f"--- worker {w.port} log ---\n{w.log_tail()}")
        raise


async def read_topic(settings: Settings, name: str, timeout: float = 10.0) -> list[Any]:
    """Every record of topic ``name`` (full name) up to its end offsets now, by partition."""
    return await read_topics(settings, [name], timeout=timeout)


def alert_news(body: str) -> tuple[Any, ...]:
    """What an alert (JSON ``body``) says, whatever tick it fired at: (dyad, kind, commitment
    id, status, previous status)."""
    alert = json.loads(body)
    commitment = alert.get("commitment") or {}
    return (
        alert.get("dyad"),
        alert.get("kind"),
        commitment.get("id"),
        commitment.get("status"),
        alert.get("previous_status"),
    )


def event_ids_in(value: Any) -> set[str]:
    """Every ``event_id`` string anywhere in a decoded JSON document."""
    found: set[str] = set()
    if isinstance(value, dict):
        for k, v in value.items():
            found |= {v} if k == "event_id" and isinstance(v, str) else event_ids_in(v)
    elif isinstance(value, list):
        for v in value:
            found |= event_ids_in(v)
    return found
