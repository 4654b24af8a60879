"""Kafka SASL settings honoured, against a second local broker started here in SASL mode
(``scripts/kafka`` with ``BILATERAL_MONITOR_KAFKA_SASL_PORT``/``_SASL_USERS``: PLAIN users in its
JAAS config, SCRAM-SHA-256/512 credentials written at format time).

The right password publishes (PLAIN and SCRAM) and runs a worker that folds what was published;
a wrong one fails at once with a message that names the user and what to check, never the
password; the password is in neither the worker's log nor its ``/metrics``.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from schemas.codec import encode
from service.config import Settings
from tests.conftest import REPO_ROOT
from tests.integration.conftest import (
    WorkerProcess,
    free_port,
    http_json,
    unique_settings,
    wait_assigned,
    wait_until,
)

pytestmark = pytest.mark.kafka

PASSWORD = f"pw-{secrets.token_hex(8)}"


@pytest.fixture(scope="module")
def sasl_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``HOST:PORT`` of the SASL_PLAINTEXT listener of a broker of its own (user alice)."""
    data = tmp_path_factory.mktemp("sasl-broker")
    port, cport, sasl_port = free_port(), free_port(), free_port()
    env = {
        **os.environ,
        "BILATERAL_MONITOR_KAFKA_PORT": str(port),
        "BILATERAL_MONITOR_KAFKA_CONTROLLER_PORT": str(cport),
        "BILATERAL_MONITOR_KAFKA_SASL_PORT": str(sasl_port),
        "BILATERAL_MONITOR_KAFKA_SASL_USERS": f"alice:{PASSWORD},bob:other-{PASSWORD}",
        "BILATERAL_MONITOR_KAFKA_DATA": str(data),
    }
    script = REPO_ROOT / "scripts" / "kafka"
    started = subprocess.run([script, "start"], env=env, capture_output=True, text=True)
    try:
        if started.returncode != 0:
            pytest.fail(f"the SASL broker did not start:\n{started.stderr[-3000:]}")
        yield f"127.0.0.1:{sasl_port}"
    finally:
        subprocess.run([script, "stop"], env=env, capture_output=True)


def _env(settings: Settings, mechanism: str, password: str) -> dict[str, str]:
    return {
        "BILATERAL_MONITOR_TOPIC_PREFIX": settings.topic_prefix,
        "BILATERAL_MONITOR_APP_ID": settings.app_id,
        "BILATERAL_MONITOR_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
        "BILATERAL_MONITOR_SASL_MECHANISM": mechanism,
        "BILATERAL_MONITOR_SASL_USERNAME": "alice",
        "BILATERAL_MONITOR_SASL_PASSWORD": password,
    }


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("BILATERAL_MONITOR_")}
    return subprocess.run(
        [sys.executable, "-m", "service", *args],
        capture_output=True,
        text=True,
        timeout=90,  # a wrong password must fail, not hang
        env={**clean, **env},
        cwd=REPO_ROOT,
    )


@pytest.fixture
def seed_file(seed: Any, tmp_path: Path) -> Path:
    path = tmp_path / "seed.jsonl"
    path.write_bytes(encode(seed) + b"\n")
    return path


@pytest.mark.parametrize("mechanism", ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"])
def test_the_right_password_publishes(
    sasl_broker: str, seed_file: Path, tmp_path: Path, mechanism: str
) -> None:
    settings = unique_settings(sasl_broker, tmp_path)
    done = _cli(
        _env(settings, mechanism, PASSWORD), "publish", str(seed_file), "--bootstrap", sasl_broker
    )
    assert done.returncode == 0, done.stderr
    assert "written 1" in done.stderr


@pytest.mark.parametrize("mechanism", ["PLAIN", "SCRAM-SHA-256"])
@pytest.mark.parametrize("command", ["publish", "worker", "alerts", "deadletters"])
def test_a_wrong_password_fails_at_once_with_a_clear_message(
    sasl_broker: str, seed_file: Path, tmp_path: Path, mechanism: str, command: str
) -> None:
    settings = unique_settings(sasl_broker, tmp_path)
    wrong = f"wrong-{PASSWORD}"
    args = {
        "publish": [str(seed_file)],
        "worker": ["--web-port", str(free_port())],
        "alerts": ["--json"],
        "deadletters": ["--json"],
    }[command]
    done = _cli(_env(settings, mechanism, wrong), command, *args, "--bootstrap", sasl_broker)
    assert done.returncode == 1, done.stderr
    assert f"{sasl_broker} refused the credentials as user 'alice' with {mechanism}" in done.stderr
    assert "SASL_PASSWORD" in done.stderr  # what to check
    assert wrong not in done.stdout + done.stderr


def test_a_worker_with_the_password_works_and_shows_it_nowhere(
    sasl_broker: str, seed_file: Path, tmp_path: Path
) -> None:
    settings = unique_settings(sasl_broker, tmp_path, partitions=2)
    env = _env(settings, "SCRAM-SHA-256", PASSWORD)
    worker = WorkerProcess(settings, free_port(), tmp_path / "worker.log", extra_env=env)
    worker.start()
    try:
        wait_assigned([worker], settings)
        done = _cli(env, "publish", str(seed_file), "--bootstrap", sasl_broker)
        assert done.returncode == 0, done.stderr
        state = wait_until(
            lambda: http_json(f"{worker.url}/relationships/CA-IN"), 60, "CA-IN folded"
        )
        assert state["commitments"]
        with urllib.request.urlopen(f"{worker.url}/metrics") as answer:
            metrics = answer.read().decode()
        assert "bilateral_events_consumed_total" in metrics
        assert PASSWORD not in metrics
    finally:
        worker.stop()
    log = worker.log_path.read_text(errors="replace")
    assert "Ready" in log  # a worker's full log, start to stop, is what is searched
    assert PASSWORD not in log
