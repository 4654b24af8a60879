"""Ops views of a worker on Kafka: /ready, /metrics during the dev sequence, /alerts, the dashboard.

Scenario (module fixture, run once): one worker; ``/ready`` polled from its start until it is
ready; then the seed article and every line of data/dev_events.jsonl sent one at a time (each
waits for its ClockTick on every observations partition), the malformed line written as it is to
``bilateral.news`` so that the worker itself dead-letters it. Expected numbers come from the input
file and from the embedded runtime on the same input, never written here by hand.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import tempfile
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from schemas.events import NewsArticle, OfficialStatement
from service.config import Settings
from service.runtime.embedded import EmbeddedRuntime
from service.runtime.inputs import Rejected
from service.runtime.kafka_cli import publish_events
from service.runtime.kafka_io import (
    ALERTS,
    NEWS,
    OBSERVATIONS,
    STATEMENTS,
    TickWatcher,
    connection_options,
    ensure_topics,
)
from tests.conftest import REPO_ROOT
from tests.integration.conftest import (
    Item,
    WorkerProcess,
    dev_items,
    free_port,
    http_json,
    scrape,
    total,
    unique_settings,
    wait_assigned,
    wait_until,
)

pytestmark = pytest.mark.kafka

OUTPUT = REPO_ROOT / "test-output"


@dataclass
class Expected:
    inbound: Counter[str]  # short topic name -> messages
    dead: int
    alerts: Counter[tuple[str, str]]  # (kind, severity) -> count
    alert_ids: set[str]
    accepted: int
    ca_in: Any  # RelationshipState of CA-IN


def expected_from(items: list[Item], data_dir: Path) -> Expected:
    inbound: Counter[str] = Counter()
    for item in items:
        inbound[STATEMENTS if isinstance(item, OfficialStatement) else NEWS] += 1
    with EmbeddedRuntime(data_dir) as runtime:
        result = runtime.ingest(items)
        alerts = runtime.alerts()
        ca_in = runtime.state("CA-IN")
    return Expected(
        inbound=inbound,
        dead=sum(isinstance(i, Rejected) for i in items),
        alerts=Counter((a.kind.value, a.severity.value) for a in alerts),
        alert_ids={a.alert_id for a in alerts},
        accepted=result.accepted,
        ca_in=ca_in,
    )


def ready_answer(url: str) -> tuple[int, dict[str, Any]] | None:
    import json

    try:
        with urllib.request.urlopen(f"{url}/ready", timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())
    except OSError:
        return None


def _counters(metrics: dict) -> dict:
    """The ``*_total`` samples of a scrape (gauges and histograms move on their own)."""
    return {key: value for key, value in metrics.items() if key[0].endswith("_total")}


@dataclass
class Ops:
    settings: Settings
    worker: WorkerProcess
    expected: Expected
    ready_seen: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    metrics: dict = field(default_factory=dict)
    alerts: dict[str, Any] = field(default_factory=dict)


async def send_sequence(settings: Settings, items: list[Item]) -> None:
    watcher = TickWatcher(settings)
    await watcher.start()
    producer = AIOKafkaProducer(**connection_options(settings))
    await producer.start()
    try:
        for item in items:
            if isinstance(item, Rejected):
                await producer.send_and_wait(
                    settings.topic(NEWS), item.raw.encode("utf-8"), key=b"malformed"
                )
                continue
            assert isinstance(item, NewsArticle | OfficialStatement)
            report = await publish_events(settings, [item], [])
            assert report.written == 1
            await watcher.wait_for(item.published_at, 60)
    finally:
        await producer.stop()
        await watcher.stop()


@pytest.fixture(scope="module")
def ops(
    kafka_bootstrap: str, shared: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Ops]:
    tmp = tmp_path_factory.mktemp("ops")
    items = dev_items(shared)
    expected = expected_from(items, tmp / "embedded")
    settings = unique_settings(kafka_bootstrap, tmp / "kafka")
    asyncio.run(ensure_topics(settings))
    worker = WorkerProcess(settings, free_port(), tmp / "worker.log").start()
    result = Ops(settings, worker, expected)
    try:

        def became_ready() -> bool:
            assert worker.alive(), worker.log_tail()
            answer = ready_answer(worker.url)
            if answer is not None:
                result.ready_seen.append(answer)
            return answer is not None and answer[0] == 200

        wait_until(became_ready, 90, "/ready", every=0.1)
        wait_assigned([worker], settings)
        asyncio.run(send_sequence(settings, items))

        def counted() -> bool:
            result.metrics = scrape(worker.url)
            inbound = sum(
                total(result.metrics, "bilateral_events_consumed_total", topic=settings.topic(t))
                for t in (NEWS, STATEMENTS)
            )
            alerts = total(result.metrics, "bilateral_alerts_total")
            obs_out = total(result.metrics, "bilateral_events_produced_total", topic=obs_topic)
            obs_in = total(result.metrics, "bilateral_events_consumed_total", topic=obs_topic)
            return (
                inbound >= len(items)
                and alerts >= sum(expected.alerts.values())
                and obs_in == obs_out > 0
            )

        obs_topic = settings.topic(OBSERVATIONS)
        wait_until(counted, 60, "the counters to reach the input")
        settled: list[dict] = [result.metrics]

        def unchanged() -> bool:  # anything extra would show between two scrapes 1 s apart
            settled.append(scrape(worker.url))
            return _counters(settled[-1]) == _counters(settled[-2])

        wait_until(unchanged, 60, "the counters to settle", every=1.0)
        result.metrics = settled[-1]

        def ring_full() -> bool:
            result.alerts = http_json(f"{worker.url}/alerts?limit=1000")
            return result.alerts["count"] >= len(expected.alert_ids)

        wait_until(ring_full, 20, "the alert ring")
    except BaseException:
        print(f"--- worker log ---\n{worker.log_tail(120)}")
        worker.stop()
        raise
    yield result
    worker.stop()


def test_ready_is_503_until_the_tables_are_recovered(ops: Ops) -> None:
    statuses = [status for status, _ in ops.ready_seen]
    assert statuses[-1] == 200 and ops.ready_seen[-1][1]["ready"] is True
    early = [body for status, body in ops.ready_seen if status == 503]
    assert early, f"never saw /ready answer 503: {statuses}"
    assert all(body["ready"] is False for body in early)
    assert any(body["checks"]["tables_recovered"] is False for body in early), early
    assert statuses.index(200) > statuses.index(503)
    assert all(s == 200 for s in statuses[statuses.index(200) :])


def test_events_in_and_out_counted_per_topic(ops: Ops) -> None:
    m, s, exp = ops.metrics, ops.settings, ops.expected
    for short in (NEWS, STATEMENTS):
        got = total(m, "bilateral_events_consumed_total", topic=s.topic(short))
        assert got == exp.inbound[short], short
    produced_alerts = total(m, "bilateral_events_produced_total", topic=s.topic(ALERTS))
    assert produced_alerts == len(exp.alert_ids)
    obs_out = total(m, "bilateral_events_produced_total", topic=s.topic(OBSERVATIONS))
    obs_in = total(m, "bilateral_events_consumed_total", topic=s.topic(OBSERVATIONS))
    assert obs_out == obs_in > 0
    assert total(m, "bilateral_extraction_seconds_count") == exp.accepted


def test_one_dead_letter_with_its_reason(ops: Ops) -> None:
    assert ops.expected.dead == 1
    assert total(ops.metrics, "bilateral_deadletters_total") == 1
    assert total(ops.metrics, "bilateral_deadletters_total", reason="published_at") == 1


def test_alerts_by_kind_and_severity_as_in_the_embedded_runtime(ops: Ops) -> None:
    got = Counter(
        {
            (dict(labels)["kind"], dict(labels)["severity"]): int(value)
            for (name, labels), value in ops.metrics.items()
            if name == "bilateral_alerts_total" and value
        }
    )
    assert got == ops.expected.alerts
    assert total(ops.metrics, "bilateral_processing_latency_seconds_count") > 0


def test_gauges_lag_commitments_recovery(ops: Ops) -> None:
    m, s = ops.metrics, ops.settings
    assert total(m, "bilateral_tables_recovered") == 1
    by_status = Counter(c.status.value for c in ops.expected.ca_in.commitments)
    for status, count in by_status.items():
        assert total(m, "bilateral_commitments", dyad="CA-IN", status=status) == count, status
    wanted = {
        ("bilateral_consumer_lag_messages", (("partition", str(p)), ("topic", s.topic(short))))
        for short in (NEWS, STATEMENTS, OBSERVATIONS)
        for p in range(s.partitions)
    }

    def every_partition_has_lag() -> bool:  # the gauge is refreshed every few seconds
        return wanted <= set(scrape(ops.worker.url))

    wait_until(every_partition_has_lag, 20, "a lag sample for every source partition")

    def caught_up() -> bool:
        return total(scrape(ops.worker.url), "bilateral_consumer_lag_messages") == 0

    wait_until(caught_up, 20, "consumer lag 0 once idle")


def test_alert_feed_holds_every_alert(ops: Ops) -> None:
    ids = [a["alert_id"] for a in ops.alerts["alerts"]]
    assert len(ids) == len(set(ids))
    assert set(ids) == ops.expected.alert_ids
    reversed_only = http_json(f"{ops.worker.url}/alerts?kind=commitment.reversed&dyad=CA-IN")
    assert reversed_only["count"] == sum(
        n for (kind, _), n in ops.expected.alerts.items() if kind == "commitment.reversed"
    )


class _Dom(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.dyads: list[str] = []
        self.commitments: dict[str, list[str]] = {}
        self.alerts: list[str] = []
        self._dyad: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "section" and a.get("data-dyad"):
            self._dyad = a["data-dyad"]
            self.dyads.append(self._dyad or "")
        if a.get("data-commitment-id") and self._dyad:
            self.commitments.setdefault(self._dyad, []).append(a["data-commitment-id"] or "")
        if tag == "li" and a.get("data-alert-id"):
            self.alerts.append(a["data-alert-id"] or "")


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _chromium_run(binary: str, profile: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            binary,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            "--virtual-time-budget=10000",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )


def test_dashboard_in_headless_chromium(ops: Ops) -> None:
    binary = _chromium()
    if binary is None:
        pytest.skip("chromium is not installed (apt-get install -y chromium; scripts/test does)")
    url = f"{ops.worker.url}/dashboard"
    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        dumped = _chromium_run(binary, profile, "--dump-dom", url)
        assert dumped.returncode == 0, dumped.stderr[-2000:]
        dom = _Dom()
        dom.feed(dumped.stdout)
        assert "CA-IN" in dom.dyads, dumped.stdout[:2000]
        expected_ids = sorted(c.id for c in ops.expected.ca_in.commitments)
        assert sorted(dom.commitments["CA-IN"]) == expected_ids
        assert dom.alerts and set(dom.alerts) <= ops.expected.alert_ids
        assert len(dom.alerts) == min(60, len(ops.expected.alert_ids))
        assert "1 worker · " in dumped.stdout  # the ops cards add up /cluster/metrics
        OUTPUT.mkdir(exist_ok=True)
        shot = OUTPUT / "dashboard.png"
        shot.unlink(missing_ok=True)
        taken = _chromium_run(
            binary, profile, f"--screenshot={shot}", "--window-size=1400,1000", url
        )
        assert taken.returncode == 0, taken.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 20_000
