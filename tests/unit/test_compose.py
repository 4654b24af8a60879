"""docker-compose.yml is valid (``docker-compose config``) and has the services we document."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from tests.conftest import REPO_ROOT

COMPOSE = shutil.which("docker-compose")


def _config(*args: str) -> subprocess.CompletedProcess[str]:
    assert COMPOSE is not None
    return subprocess.run(
        [COMPOSE, "-f", str(REPO_ROOT / "docker-compose.yml"), "config", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO_ROOT,
        check=False,
    )


pytestmark = pytest.mark.skipif(
    COMPOSE is None,
    reason="docker-compose not installed (Debian: apt-get install docker-compose; scripts/test "
    "installs it when run as root)",
)


def test_compose_file_is_valid() -> None:
    result = _config("-q")
    assert result.returncode == 0, result.stderr


def test_compose_services_and_ports() -> None:
    result = _config("--services")
    assert result.returncode == 0, result.stderr
    services = set(result.stdout.split())
    assert {"kafka", "topics", "worker-1", "worker-2"} <= services


def test_compose_workers_use_distinct_web_ports_and_official_image() -> None:
    result = _config()
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert re.search(r"image: apache/kafka:\d", text), "the broker must use the official image"
    ports = re.findall(r"- --web-port\s+- '?(\d+)'?", text)
    assert len(ports) == 2 and len(set(ports)) == 2, f"two workers, distinct web ports: {ports}"
    assert text.count("BILATERAL_MONITOR_BOOTSTRAP: kafka:9092") == 2
    assert text.count("condition: service_completed_successfully") == 2
    for topic in ("news", "statements", "observations", "alerts", "deadletter"):
        assert f"bilateral.{topic}" in text


def test_compose_lets_workers_reach_their_own_stop_timeout() -> None:
    from service.config import Settings

    result = _config()
    assert result.returncode == 0, result.stderr
    graces = re.findall(r"stop_grace_period: '?(\d+)s'?", result.stdout)
    stop_timeout = Settings.model_fields["stop_timeout_seconds"].default
    assert len(graces) == 2 and all(int(g) > stop_timeout for g in graces), graces


def test_compose_runs_prometheus_alertmanager_and_grafana_on_the_deploy_files() -> None:
    result = _config()
    assert result.returncode == 0, result.stderr
    text = result.stdout
    services = set(_config("--services").stdout.split())
    assert {"prometheus", "alertmanager", "grafana"} <= services
    for path in (
        "deploy/prometheus/prometheus.yml",
        "deploy/prometheus/rules.yml",
        "deploy/alertmanager/alertmanager.yml",
        "deploy/grafana/provisioning",
        "deploy/grafana/dashboards",
    ):
        assert str(REPO_ROOT / path) in text, path
        assert (REPO_ROOT / path).exists(), path
    scrape = (REPO_ROOT / "deploy/prometheus/prometheus.yml").read_text(encoding="utf-8")
    for port in re.findall(r"- --web-port\s+- '?(\d+)'?", text):
        assert f":{port}" in scrape, f"Prometheus does not scrape the worker on port {port}"
    assert "alertmanager:9093" in scrape


def test_compose_workers_feed_alertmanager() -> None:
    result = _config()
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("BILATERAL_MONITOR_ALERTMANAGER_URL: http://alertmanager:9093") == 2
