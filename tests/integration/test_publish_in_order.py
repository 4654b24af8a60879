"""`publish --in-order` from the command line: the whole dev sequence sent in one command gives
exactly the embedded runtime's alerts (no intermediate alert from reordering) and state."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from service.runtime.embedded import EmbeddedRuntime
from service.runtime.inputs import TextOptions, read_inputs
from service.runtime.kafka_cli import fetch_state
from service.runtime.kafka_io import ensure_topics
from tests.conftest import SEED_FILE, SEED_PUBLISHED_AT
from tests.integration.conftest import (
    WorkerProcess,
    free_port,
    unique_settings,
    wait_assigned,
    wait_until,
)
from tests.integration.test_kafka_runtime import raw_alerts

pytestmark = pytest.mark.kafka


def test_publish_in_order_gives_the_replay_alerts(
    kafka_bootstrap: str, shared: Path, tmp_path: Path
) -> None:
    settings = unique_settings(kafka_bootstrap, tmp_path / "kafka")
    asyncio.run(ensure_topics(settings))
    # The same files read the way the CLI reads them (the .txt gets the same event id).
    seed_items = read_inputs(
        [shared / SEED_FILE],
        TextOptions(source="CNN-News18", published_at=datetime.fromisoformat(SEED_PUBLISHED_AT)),
        max_body_chars=100_000,
    )
    rest_items = read_inputs(
        [shared / "data" / "dev_events.jsonl"], TextOptions(), max_body_chars=100_000
    )
    with EmbeddedRuntime(tmp_path / "embedded") as runtime:
        runtime.ingest([*seed_items, *rest_items])
        want_ids = sorted(a.alert_id for a in runtime.alerts())
        want_state = runtime.state("CA-IN").model_dump_json()
    worker = WorkerProcess(settings, free_port(), tmp_path / "worker.log").start()
    other = WorkerProcess(settings, free_port(), tmp_path / "other.log").start()
    env = {
        **os.environ,
        "BILATERAL_MONITOR_TOPIC_PREFIX": settings.topic_prefix,
        "BILATERAL_MONITOR_PARTITIONS": str(settings.partitions),
    }
    publish = [
        sys.executable,
        "-m",
        "service",
        "publish",
        "--in-order",
        "--bootstrap",
        settings.bootstrap,
    ]
    try:
        wait_assigned([worker, other], settings)
        seed = subprocess.run(
            [
                *publish,
                str(shared / SEED_FILE),
                "--source",
                "CNN-News18",
                "--published-at",
                SEED_PUBLISHED_AT,
            ],
            capture_output=True,
            text=True,
            timeout=180,
            env=env,
        )
        assert seed.returncode == 0, seed.stderr
        rest = subprocess.run(
            [*publish, str(shared / "data" / "dev_events.jsonl")],
            capture_output=True,
            text=True,
            timeout=300,
            env=env,
        )
        assert rest.returncode == 2 and "written 12, dead-lettered 1" in rest.stderr, rest.stderr
        assert "note:" not in rest.stderr

        def converged() -> bool:
            return all(
                fetch_state(w.url, "CA-IN", None).model_dump_json() == want_state
                for w in (worker, other)
            )

        wait_until(converged, 60, "the worker's CA-IN state")
        seen: list = []

        def all_alerts() -> bool:  # CA-IN's state says nothing of the other dyads' last alerts
            seen[:] = asyncio.run(raw_alerts(settings))
            return len(seen) >= len(want_ids)

        wait_until(all_alerts, 60, f"{len(want_ids)} alerts on the topic", every=1.0)
        got_ids = sorted(a.alert_id for a in seen)
        # the same file without --in-order (duplicates now): the publisher says what it risks
        bulk = subprocess.run(
            [*[a for a in publish if a != "--in-order"], str(shared / "data" / "dev_events.jsonl")],
            capture_output=True,
            text=True,
            timeout=300,
            env=env,
        )
        assert bulk.returncode == 2 and "publish with --in-order" in bulk.stderr, bulk.stderr
    except BaseException:
        print(worker.log_tail(), other.log_tail())
        raise
    finally:
        worker.stop()
        other.stop()
    assert got_ids == want_ids
