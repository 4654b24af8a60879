"""Integration tier: a real Kafka broker (one per session) and Faust workers as subprocesses.

The broker: ``BILATERAL_MONITOR_TEST_BOOTSTRAP`` if set, else ``scripts/kafka start`` (port
``BILATERAL_MONITOR_KAFKA_PORT``, default 19092), stopped at session end if this session started
it. Every test builds its Settings with :func:`unique_settings`, so topics (prefix) and consumer
groups (app id) never collide between tests or runs. Worker processes and the Kafka helpers live
in :mod:`service.tools.workers` (``scripts/chaos`` and ``scripts/soak`` use them too).
"""

from __future__ import annotations

import os
import subprocess
import urllib.request
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from schemas.events import NewsArticle, OfficialStatement
from service.runtime.inputs import Rejected, TextOptions, read_inputs
from service.tools.workers import (
    WorkerProcess,
    free_port,
    http_json,
    read_topic,
    unique_settings,
    wait_assigned,
    wait_until,
)
from tests.conftest import REPO_ROOT, seed_event

__all__ = [
    "Item",
    "WorkerProcess",
    "assert_recovered_cleanly",
    "dev_items",
    "fault_env",
    "free_port",
    "http_json",
    "read_topic",
    "scrape",
    "total",
    "unique_settings",
    "wait_assigned",
    "wait_until",
]

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


FAULTS = Path(__file__).parent / "faults"
"""The fault-injection ``sitecustomize`` for workers (see its docstring for the variables)."""


def fault_env(**variables: str) -> dict[str, str]:
    """Environment for a :class:`WorkerProcess` that loads the fault injection of ``FAULTS``,
    with ``variables`` (e.g. ``BILATERAL_MONITOR_TEST_DROP``) choosing the faults."""
    pythonpath = os.pathsep.join(filter(None, [str(FAULTS), os.environ.get("PYTHONPATH")]))
    return {"PYTHONPATH": pythonpath, **variables}


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


def dev_items(shared: Path) -> list[Item]:
    """The seed event, then every line of data/dev_events.jsonl (events and rejections)."""
    items: list[Item] = [seed_event(shared)]
    items += read_inputs(
        [shared / "data" / "dev_events.jsonl"], TextOptions(), max_body_chars=100_000
    )
    return items
