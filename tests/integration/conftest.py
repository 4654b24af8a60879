"""Integration tier: a real Kafka broker (one per session) and Faust workers as subprocesses.

The broker: ``BILATERAL_MONITOR_TEST_BOOTSTRAP`` if set, else ``scripts/kafka start`` (port
``BILATERAL_MONITOR_KAFKA_PORT``, default 19092), stopped at session end if this session started
it. Every test builds its Settings with :func:`unique_settings`, so topics (prefix) and consumer
groups (app id) never collide between tests or runs.
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
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from schemas.events import NewsArticle, OfficialStatement
from service.config import Settings
from service.runtime.inputs import Rejected, TextOptions, read_inputs
from service.runtime.kafka_io import OBSERVATIONS, read_topics
from tests.conftest import REPO_ROOT, seed_event

Item = NewsArticle | OfficialStatement | Rejected


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    """``HOST:PORT`` of a running broker for the whole session."""
    given = os.environ.get("BILATERAL_MONITOR_TEST_BOOTSTRAP")
    if given:
        yield given
        return
    script = REPO_ROOT / "scripts" / "kafka"
    already = subprocess.run([script, "status"], capture_output=True, text=True, check=False)
    result = subprocess.run([script, "start"], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        pytest.fail(f"scripts/kafka start failed:\n{result.stderr[-3000:]}")
    line = result.stdout.strip().splitlines()[-1]
    assert line.startswith("bootstrap="), result.stdout
    try:
        yield line.removeprefix("bootstrap=")
    finally:
        if already.returncode != 0:  # we started it: stop it
            subprocess.run([script, "stop"], capture_output=True, check=False)


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


FAULTS = Path(__file__).parent / "faults"
"""The fault-injection ``sitecustomize`` for workers (see its docstring for the variables)."""


def fault_env(**variables: str) -> dict[str, str]:
    """Environment for a :class:`WorkerProcess` that loads the fault injection of ``FAULTS``,
    with ``variables`` (e.g. ``BILATERAL_MONITOR_TEST_DROP``) choosing the faults."""
    pythonpath = os.pathsep.join(filter(None, [str(FAULTS), os.environ.get("PYTHONPATH")]))
    return {"PYTHONPATH": pythonpath, **variables}


def free_port() -> int:
    """A TCP port that is free right now on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(check: Callable[[], Any], timeout: float, what: str, every: float = 0.2) -> Any:
    """Poll ``check`` until it returns a truthy value (returned) or fail after ``timeout`` s."""
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
    pytest.fail(f"timed out after {timeout}s waiting for {what} (last error: {last_exc!r})")


def scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """A worker's ``/metrics`` (``url`` is the worker) as {(sample name, sorted labels): value}."""
    from prometheus_client.parser import text_string_to_metric_families

    with urllib.request.urlopen(f"{url}/metrics", timeout=5) as response:
        text = response.read().decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def total(samples: dict, name: str, **labels: str) -> float:
    """Sum of the ``name`` samples of :func:`scrape` output whose labels include ``labels``."""
    want = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and want <= set(ls))


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
            cwd=REPO_ROOT,
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


RECOVERY_TROUBLE = (
    "Error in recovery",  # a changelog record faust could not decode (and so never applied)
    "No event received for active tp",  # recovery waiting for offsets it does not get
    "Recovery has no remaining offsets to fetch",
)
STALL_HEALED = "table recovery made no progress"
"""The recovery watchdog's ERROR line (service.runtime.watchdog): a stall it then healed."""


def assert_recovered_cleanly(worker: WorkerProcess) -> None:
    """Fail when the worker's log shows a table recovery problem (see ``RECOVERY_TROUBLE``).

    A stall the recovery watchdog healed (its ERROR line is in the log) is the designed
    behaviour, not a failure: the waiting lines it explains are allowed, and a warning in the
    pytest summary reports it. Undecodable changelog records always fail.
    """
    text = worker.log_path.read_text(errors="replace") if worker.log_path.exists() else ""
    lines = text.splitlines()
    healed = sum(STALL_HEALED in line for line in lines)
    trouble = RECOVERY_TROUBLE[:1] if healed else RECOVERY_TROUBLE
    bad = [line for line in lines if any(t in line for t in trouble)]
    assert not bad, f"worker {worker.port}: {len(bad)} recovery problems, first: {bad[0]}"
    if healed:
        warnings.warn(
            f"worker {worker.port}: the recovery watchdog healed {healed} stalled table "
            f"recovery(ies); see {worker.log_path}",
            stacklevel=2,
        )


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


def dev_items(shared: Path) -> list[Item]:
    """The seed event, then every line of data/dev_events.jsonl (events and rejections)."""
    items: list[Item] = [seed_event(shared)]
    items += read_inputs(
        [shared / "data" / "dev_events.jsonl"], TextOptions(), max_body_chars=100_000
    )
    return items


async def read_topic(settings: Settings, name: str, timeout: float = 10.0) -> list[Any]:
    """Every record of topic ``name`` (full name) up to its end offsets now, by partition."""
    return await read_topics(settings, [name], timeout=timeout)
