"""A worker with BILATERAL_MONITOR_ALERTMANAGER_URL keeps a real Alertmanager current from the
alert stream: after the dev sequence it holds exactly the commitments the embedded runtime says
need attention, and the cyber talks (paused, then resumed) were resolved on the way. The worker's
log has nothing at WARNING or above from its start to its stop."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from service.runtime.alertmanager import store_alerts
from service.runtime.embedded import EmbeddedRuntime
from service.runtime.kafka_io import ensure_topics
from tests.alertmanager import BINARY, SKIP_REASON, running_alertmanager, wait_for
from tests.integration.conftest import (
    WorkerProcess,
    dev_items,
    free_port,
    unique_settings,
    wait_assigned,
)
from tests.integration.test_kafka_runtime import publish_paced

pytestmark = [pytest.mark.kafka, pytest.mark.skipif(BINARY is None, reason=SKIP_REASON)]


def _expected(items: list, data_dir: Path) -> dict[str, dict[str, str]]:
    """Labels of the alerts the embedded runtime fires after ``items``, by commitment id."""
    with EmbeddedRuntime(data_dir) as runtime:
        runtime.ingest(items)
        desired, _ = store_alerts(runtime, runtime.now())
    return {a.labels["commitment_id"]: a.labels for a in desired}


def _firing(am) -> dict[str, dict[str, str]]:
    return {
        a["labels"]["commitment_id"]: a["labels"]
        for a in am.alerts()
        if a["labels"]["alertname"].startswith("Commitment")
    }


def test_a_worker_keeps_alertmanager_current(
    kafka_bootstrap: str, shared: Path, tmp_path: Path
) -> None:
    settings = unique_settings(kafka_bootstrap, tmp_path / "w", partitions=2)
    items = dev_items(shared)
    paused_at = next(
        i for i, item in enumerate(items) if getattr(item, "event_id", "") == "dev-006"
    )
    first, rest = items[: paused_at + 1], items[paused_at + 1 :]
    while_paused = _expected(first, tmp_path / "embedded-1")
    final = _expected(items, tmp_path / "embedded-2")
    paused = {i for i, labels in while_paused.items() if labels["status"] == "paused"}
    assert len(paused) == 1 and not paused & set(final)  # the cyber talks resume later
    assert {labels["status"] for labels in final.values()} == {"reversed", "lapsed"}

    asyncio.run(ensure_topics(settings))
    with running_alertmanager(tmp_path / "am") as am:
        port = free_port()
        worker = WorkerProcess(
            settings,
            port,
            tmp_path / f"worker-{port}.log",
            extra_env={"BILATERAL_MONITOR_ALERTMANAGER_URL": am.url},
        ).start()
        try:
            wait_assigned([worker], settings)
            asyncio.run(publish_paced(settings, first))
            wait_for(lambda: _firing(am) == while_paused, 120, "the paused cyber talks firing")
            asyncio.run(publish_paced(settings, rest))
            wait_for(lambda: _firing(am) == final, 120, "the reversed and lapsed commitments")

            def resolved_note() -> bool:
                return any(
                    a["status"] == "resolved" and a["labels"]["commitment_id"] in paused
                    for n in am.webhook.notifications()
                    for a in n["alerts"]
                )

            wait_for(resolved_note, 30, "the resolved notification of the cyber talks")
        finally:
            worker.stop()
        # a healthy start, run and stop log nothing at WARNING or above
        noisy = [
            line
            for line in worker.log_path.read_text(errors="replace").splitlines()
            if "] [WARNING] " in line or "] [ERROR] " in line or "] [CRITICAL] " in line
        ]
        assert noisy == [], noisy[:5]
