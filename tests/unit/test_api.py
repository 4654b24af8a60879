"""The worker's HTTP views without a broker: an unstarted Faust app whose tables hold what the
embedded runtime made of the dev sequence, served by aiohttp's test server."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from faust.types import TP

from schemas.alerts import Alert
from service.api import views
from service.api.metrics import Metrics, reason_label
from service.api.ops import AlertRing
from service.bootstrap import create_app
from service.config import Settings
from service.runtime.embedded import EmbeddedRuntime
from service.runtime.kafka_io import OBSERVATIONS

AS_OF = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory, seed: Any, dev_items: list) -> Path:
    path = tmp_path_factory.mktemp("embedded")
    with EmbeddedRuntime(path) as runtime:
        runtime.ingest([seed, *dev_items])
    return path


@pytest.fixture
async def served(
    embedded: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[TestClient, Any, EmbeddedRuntime]]:
    app = create_app(Settings(data_dir=tmp_path))
    monitor = app.bilateral
    db = sqlite3.connect(embedded / "monitor.sqlite3")
    dyads = []
    for dyad, payload in db.execute("SELECT dyad, payload FROM projections ORDER BY dyad"):
        dyads.append(dyad)
        monitor.projections.data[dyad.encode()] = payload.encode()
        rows = db.execute(
            "SELECT payload FROM observations WHERE dyad = ? ORDER BY seq", (dyad,)
        ).fetchall()
        monitor.observation_log.data[dyad.encode()] = json.dumps([r[0] for r in rows]).encode()
    db.close()
    monitor.partitions.data[b"p0"] = json.dumps({"clock": None, "dyads": dyads}).encode()
    topic = monitor.settings.topic(OBSERVATIONS)
    monkeypatch.setattr(app.consumer, "assignment", lambda: {TP(topic, 0)})

    async def same_node(*args: Any) -> None:
        return None

    monkeypatch.setattr(views, "_routed", same_node)
    runtime = EmbeddedRuntime(embedded)
    for alert in runtime.alerts():
        app.bilateral_ops.ring.add(alert)
    async with TestClient(TestServer(app.web.web_app)) as client:
        yield client, app, runtime
    runtime.close()


async def _get(client: TestClient, path: str) -> tuple[int, Any]:
    response = await client.get(path)
    body = await response.read()
    if response.content_type == "application/json":
        return response.status, json.loads(body)
    return response.status, body.decode()


async def test_relationship_state_is_the_stored_projection(served):
    client, app, runtime = served
    status, body = await _get(client, "/relationships/in-ca")
    assert status == 200
    assert body == json.loads(app.bilateral.load("CA-IN").snapshot().model_dump_json())
    assert body["commitments"] == [
        json.loads(c.model_dump_json()) for c in runtime.state("CA-IN").commitments
    ]
    status, body = await _get(client, "/relationships/CA-IN?as_of=2026-03-01T00:00:00Z")
    assert status == 200
    assert body == json.loads(runtime.state("CA-IN", AS_OF).model_dump_json())


async def test_relationship_list_counts_by_status(served):
    client, _, runtime = served
    status, body = await _get(client, "/relationships")
    assert status == 200 and body["partial"] is False
    listed = {r["dyad"]: r for r in body["relationships"]}
    assert sorted(listed) == runtime.dyads()
    state = runtime.state("CA-IN")
    assert listed["CA-IN"]["commitments"] == len(state.commitments)
    assert sum(listed["CA-IN"]["by_status"].values()) == len(state.commitments)
    assert (await _get(client, "/relationships?scope=everything"))[0] == 400


async def test_commitment_view_has_history_and_evidence(served):
    client, _, runtime = served
    commitment = max(runtime.state("CA-IN").commitments, key=lambda c: len(c.status_history))
    status, body = await _get(client, f"/relationships/CA-IN/commitments/{commitment.id}")
    assert status == 200
    assert body == json.loads(commitment.model_dump_json())
    assert len(body["status_history"]) >= 2 and body["evidence"]
    status, body = await _get(client, "/relationships/CA-IN/commitments/nope")
    assert status == 404 and "nope" in body["error"]


@pytest.mark.parametrize(
    ("path", "status", "mentions"),
    [
        ("/relationships/XX-YY", 400, "dyad"),
        ("/relationships/DE-FR", 404, "DE-FR"),
        ("/relationships/CA-IN?as_of=yesterday", 400, "as_of"),
        ("/relationships/CA-IN?as_of=2026-03-01T00:00:00", 400, "timezone"),
        ("/relationships/DE-FR/commitments/x", 404, "DE-FR"),
        ("/alerts?kind=commitment.exploded", 400, "kind"),
        ("/alerts?limit=0", 400, "limit"),
        ("/alerts?since=soon", 400, "since"),
        ("/alerts?colour=red", 400, "colour"),
        ("/static/..%2Fviews.py", 404, "static"),
    ],
)
async def test_bad_requests_say_what_is_wrong(served, path, status, mentions):
    client, _, _ = served
    got, body = await _get(client, path)
    assert got == status, body
    assert set(body) == {"error"} and mentions in body["error"]


async def test_alerts_are_filtered_newest_first(served):
    client, _, runtime = served
    alerts = runtime.alerts()
    status, body = await _get(client, "/alerts?limit=1000")
    assert status == 200 and body["count"] == len(alerts) == len(body["alerts"])
    assert [a["alert_id"] for a in body["alerts"]] == [a.alert_id for a in reversed(alerts)]
    _, body = await _get(client, "/alerts?dyad=in-ca&kind=commitment.reversed")
    expected = [a for a in alerts if a.dyad == "CA-IN" and a.kind.value == "commitment.reversed"]
    assert [a["alert_id"] for a in body["alerts"]] == [a.alert_id for a in reversed(expected)]
    future = "2999-01-01T00:00:00Z"
    assert (await _get(client, f"/alerts?since={future}"))[1]["count"] == 0
    assert (await _get(client, "/alerts?limit=2"))[1]["count"] == 2


async def test_ready_is_503_until_recovered_then_200(served, monkeypatch):
    client, app, _ = served
    ops = app.bilateral_ops

    async def reachable() -> bool:
        return True

    monkeypatch.setattr(ops, "broker_reachable", reachable)
    status, body = await _get(client, "/ready")
    assert status == 503
    assert body["ready"] is False and body["checks"]["tables_recovered"] is False
    app.tables.recovery.completed.set()
    status, body = await _get(client, "/ready")
    assert status == 200, body
    assert body == {
        "ready": True,
        "checks": {"partitions_assigned": True, "tables_recovered": True, "broker_reachable": True},
    }
    status, body = await _get(client, "/health")
    assert status == 200 and body["status"] == "ok" and body["ready"] is True


async def test_metrics_and_dashboard_are_served(served):
    client, app, _ = served
    app.bilateral.metrics.dead_lettered.labels("published_at").inc()
    response = await client.get("/metrics")
    assert response.status == 200 and response.content_type == "text/plain"
    text = await response.text()
    assert 'bilateral_deadletters_total{reason="published_at"} 1.0' in text
    status, html = await _get(client, "/dashboard")
    assert status == 200 and '<script src="/static/dashboard.js">' in html
    for name in ("dashboard.js", "dashboard.css"):
        response = await client.get(f"/static/{name}")
        assert response.status == 200 and (await response.read())


async def test_cluster_metrics_gathers_every_worker(served, monkeypatch: pytest.MonkeyPatch):
    client, app, _ = served
    app.bilateral.metrics.dead_lettered.labels("published_at").inc()
    peers = ["http://peer-a:6067", "http://peer-b:6068"]
    monkeypatch.setattr(views, "_peers", lambda monitor: peers)

    async def peer_metrics(url: str) -> str:
        if url.endswith("6068"):
            raise ConnectionError("refused")
        return 'bilateral_deadletters_total{reason="published_at"} 2.0\n'

    monkeypatch.setattr(views, "_peer_metrics", peer_metrics)
    status, body = await _get(client, "/cluster/metrics")
    assert status == 200 and body["partial"] is True
    urls = [w["url"] for w in body["workers"]]
    assert urls == [str(app.conf.canonical_url).rstrip("/"), "http://peer-a:6067"]
    own, peer = (w["metrics"] for w in body["workers"])
    assert 'bilateral_deadletters_total{reason="published_at"} 1.0' in own
    assert 'bilateral_deadletters_total{reason="published_at"} 2.0' in peer


def test_alert_ring_is_bounded_and_keeps_each_id_once(seed: Any, tmp_path: Path):
    with EmbeddedRuntime(tmp_path) as runtime:
        alerts: list[Alert] = runtime.ingest([seed]).alerts
    assert len(alerts) >= 3
    ring = AlertRing(size=2)
    assert all(ring.add(a) for a in alerts[:2])
    assert not ring.add(alerts[0])
    ring.add(alerts[2])
    assert len(ring) == 2
    assert [a.alert_id for a in ring.select()] == [alerts[2].alert_id, alerts[1].alert_id]


def test_dead_letter_reason_labels_are_bounded():
    assert reason_label("published_at: not a time", "published_at") == "published_at"
    assert reason_label("not UTF-8: invalid byte at position 0") == "not UTF-8"
    assert reason_label("extraction failed: ValueError: x") == "extraction failed"
    assert reason_label("something odd happened without a colon") == "invalid"
    metrics = Metrics()
    metrics.dead_lettered.labels(reason_label("not JSON: x")).inc()
    assert b'bilateral_deadletters_total{reason="not JSON"} 1.0' in metrics.render()


@pytest.mark.parametrize(
    "fault",
    [
        None,  # an unstarted worker: faust's producer raises NotReady
        TypeError("'NoneType' object is not iterable"),  # aiokafka: no metadata for the topic
        KeyError(0),  # faust's assignor: the partition has no owner yet
    ],
)
async def test_a_worker_that_does_not_know_the_owner_yet_answers_503_with_retry_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fault: Exception | None
) -> None:
    """A worker that cannot name a dyad's owner yet (starting or rebalancing) says so with 503
    and Retry-After, not a 500 with a traceback."""
    app = create_app(Settings(data_dir=tmp_path))
    if fault is not None:

        def key_store(*args: Any) -> Any:
            raise fault

        monkeypatch.setattr(app.router, "key_store", key_store)
    async with TestClient(TestServer(app.web.web_app)) as client:
        for path in ("/relationships/CA-IN", "/relationships/CA-IN/commitments/x"):
            response = await client.get(path)
            body = json.loads(await response.read())
            assert response.status == 503, body
            assert set(body) == {"error"} and "CA-IN" in body["error"]
            assert "retry" in body["error"]
            assert int(response.headers["Retry-After"]) >= 1


@pytest.fixture
async def peer() -> AsyncIterator[tuple[str, list[dict[str, str]]]]:
    """Another worker's HTTP server: answers 200 with a body, or sleeps when asked to hang."""
    from aiohttp import web

    seen: list[dict[str, str]] = []

    async def handle(request: web.Request) -> web.Response:
        seen.append(dict(request.headers))
        if request.query.get("as_of") == "2099-01-01T00:00:00Z":  # stands for "hangs"
            await asyncio.sleep(30)
        return web.json_response({"from": "peer", "path": request.path}, status=200)

    app = web.Application()
    app.router.add_get("/{tail:.*}", handle)
    async with TestServer(app) as server:
        yield str(server.make_url("/")).rstrip("/"), seen


def _owned_by(monkeypatch: pytest.MonkeyPatch, app: Any, owner: str) -> None:
    monkeypatch.setattr(app.router, "key_store", lambda *args: owner)


async def test_a_dyad_held_by_another_worker_is_forwarded_once(tmp_path, monkeypatch, peer):
    url, seen = peer
    app = create_app(Settings(data_dir=tmp_path, web_port=6099))
    _owned_by(monkeypatch, app, url)
    async with TestClient(TestServer(app.web.web_app)) as client:
        status, body = await _get(client, "/relationships/in-ca")
        assert (status, body) == (200, {"from": "peer", "path": "/relationships/in-ca"})
        assert seen[-1][views.FORWARDED_HEADER] == str(app.conf.canonical_url)
        # hop-by-hop headers of the client's request are not passed on to the owner
        response = await client.get("/relationships/CA-IN", data=b"hello", chunked=True)
        assert response.status == 200 and "Transfer-Encoding" not in seen[-1]
        assert (await _get(client, "/relationships/CA-IN"))[0] == 200
        # a request another worker forwarded here is not forwarded again (no ping-pong)
        response = await client.get(
            "/relationships/CA-IN", headers={views.FORWARDED_HEADER: "http://127.0.0.1:1"}
        )
        body = json.loads(await response.read())
        assert response.status == 503 and "rebalancing" in body["error"], body
        assert "Retry-After" in response.headers and len(seen) == 3


async def test_an_owner_that_does_not_answer_in_time_is_503(tmp_path, monkeypatch, peer):
    url, _ = peer
    app = create_app(Settings(data_dir=tmp_path))
    _owned_by(monkeypatch, app, url)
    monkeypatch.setattr(views, "FORWARD_TIMEOUT_SECONDS", 0.5)
    async with TestClient(TestServer(app.web.web_app)) as client:
        response = await client.get("/relationships/CA-IN?as_of=2099-01-01T00:00:00Z")
        body = json.loads(await response.read())
        assert response.status == 503 and "does not answer (TimeoutError)" in body["error"]
        assert url.split("//")[1] in body["error"]


async def test_a_dyad_this_worker_holds_is_answered_here_once_recovered(tmp_path, monkeypatch):
    app = create_app(Settings(data_dir=tmp_path))
    _owned_by(monkeypatch, app, str(app.conf.canonical_url))
    monkeypatch.setattr(app.consumer, "assignment", lambda: {TP("x", 0)})
    async with TestClient(TestServer(app.web.web_app)) as client:
        # recovering: its table may not hold the dyad yet, which must not read as "unknown"
        response = await client.get("/relationships/CA-IN")
        body = json.loads(await response.read())
        assert response.status == 503 and "recovering" in body["error"], body
        assert response.headers["Retry-After"] == "2"
        app.tables.recovery.completed.set()
        status, body = await _get(client, "/relationships/CA-IN")
        assert status == 404 and "CA-IN" in body["error"]
