"""HTTP views of a Faust worker (Faust web, aiohttp driver); documented in ``openapi.json``.

``GET /health``
    200 :class:`~service.api.models.Health` while the process serves HTTP.
``GET /ready``
    200 :class:`~service.api.models.Readiness` once partitions are assigned, the tables are
    recovered and the broker answers; 503 with the same body (saying which check is false) before.
``GET /metrics``
    Prometheus text format of :class:`service.api.metrics.Metrics`.
``GET /cluster/metrics``
    :class:`~service.api.models.ClusterMetrics`: this worker's ``/metrics`` and those of the other
    workers of the group (the dashboard adds them up).
``GET /relationships[?scope=local]``
    :class:`~service.api.models.RelationshipList`: the dyads of this worker's partitions, merged
    with those of the other workers of the group (asked with ``scope=local``).
``GET /relationships/{dyad}[?as_of=ISO-8601]``
    200 ``RelationshipState`` (the same bytes as ``state --json``); ``as_of`` folds the dyad's
    observation log up to that event time. 400 for a bad dyad or time, 404 for a dyad this service
    has never seen. A dyad whose table partition lives on another worker is forwarded there once
    (the owner from Faust's router, by ``canonical_url``); 503 with ``Retry-After`` while this
    worker does not know that worker yet (starting, rebalancing), holds the dyad but is still
    recovering its tables, or when that worker does not answer (see ``_routed``).
``GET /relationships/{dyad}/commitments/{commitment_id}[?as_of=]``
    200 ``Commitment`` (with its status history and evidence); 404 for an unknown dyad or id.
``GET /alerts[?dyad=&kind=&since=&limit=]``
    :class:`~service.api.models.AlertList`: the worker's ring of recent alerts read from the alerts
    topic (:mod:`service.api.ops`), newest first; ``since`` compares with ``emitted_at``.
``GET /dashboard``, ``GET /static/{name}``
    The ops dashboard (HTML, JS and CSS from ``service/api/static``; no network beyond the worker).

Every 4xx answer is :class:`~service.api.models.ErrorBody`. To add a view: a small handler that
decodes the request, calls the domain and encodes the answer, registered in
:func:`register_views`, and its entry in :mod:`service.api.openapi` (a test compares the two).
"""

from __future__ import annotations

import asyncio
import logging
import mimetypes
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import faust
from faust.exceptions import NotReady
from faust.web import Request, Response, View
from pydantic import BaseModel

from schemas import common
from schemas.common import AlertKind
from schemas.state import RelationshipState
from service.api.metrics import CONTENT_TYPE_LATEST
from service.api.models import (
    AlertList,
    ClusterMetrics,
    ErrorBody,
    Health,
    Readiness,
    ReadyChecks,
    RelationshipList,
    RelationshipSummary,
    WorkerMetrics,
)
from service.api.ops import RING_SIZE, Ops, local_dyads, readiness
from service.api.ports import WorkerState
from service.runtime.kafka_io import OBSERVATIONS

__all__ = [
    "STATIC_DIR",
    "BadParameter",
    "parse_alert_query",
    "parse_as_of",
    "parse_dyad",
    "register_views",
    "summarise",
]

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"

#: Retry-After (seconds) of a 503 for a passing state of the group: this worker does not know a
#: key's owner yet, is still recovering its tables, or got a request forwarded in a rebalance.
_RETRY_SOON_SECONDS = 2

FORWARDED_HEADER = "X-Bilateral-Monitor-Forwarded-By"
"""Header a worker adds (its own URL) when it forwards a request to the worker holding the key."""

_FORWARDED_HEADERS = ("Accept", "User-Agent")
"""Request headers passed on when forwarding (the views read none of the others)."""

FORWARD_TIMEOUT_SECONDS = 10.0
"""Seconds a forwarded request may take before the answer is 503 (the owner does not answer)."""


class BadParameter(ValueError):
    """A request parameter that cannot be used (answered with 400 and this message)."""


def parse_dyad(value: str) -> str:
    """Normalise a dyad (``in-ca`` -> ``CA-IN``). Raises BadParameter naming the problem."""
    try:
        return common.parse_dyad(value)
    except ValueError as exc:
        raise BadParameter(f"dyad: {exc}") from None


def parse_time(value: str | None, name: str) -> datetime | None:
    """Parse an ISO 8601 time with a timezone (``Z`` allowed). Raises BadParameter."""
    if value is None or value == "":
        return None
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise BadParameter(
            f"{name}: {value!r} is not an ISO 8601 time, e.g. 2026-03-01T00:00:00Z"
        ) from None
    if when.tzinfo is None:
        raise BadParameter(f"{name}: {value!r} has no timezone; add Z or +HH:MM")
    return when


def parse_as_of(value: str | None) -> datetime | None:
    """Parse ``as_of`` (see :func:`parse_time`)."""
    return parse_time(value, "as_of")


def parse_alert_query(query: Any) -> dict[str, Any]:
    """The filters of ``/alerts`` from its query: dyad, kind, since, limit. Raises BadParameter."""
    unknown = sorted(set(query) - {"dyad", "kind", "since", "limit"})
    if unknown:
        raise BadParameter(f"unknown parameter {unknown[0]!r}; use dyad, kind, since, limit")
    dyad = query.get("dyad") or None
    kind = query.get("kind") or None
    if kind is not None and kind not in {k.value for k in AlertKind}:
        raise BadParameter(
            f"kind: {kind!r} is not an alert kind; one of " + ", ".join(k.value for k in AlertKind)
        )
    raw_limit = query.get("limit") or "100"
    try:
        limit = int(raw_limit)
    except ValueError:
        limit = 0
    if not 1 <= limit <= RING_SIZE:
        raise BadParameter(f"limit: {raw_limit!r} must be an integer from 1 to {RING_SIZE}")
    return {
        "dyad": parse_dyad(dyad) if dyad else None,
        "kind": kind,
        "since": parse_time(query.get("since"), "since"),
        "limit": limit,
    }


def _json_bytes(
    view: View, body: str, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return view.bytes(
        body.encode("utf-8"), content_type="application/json", status=status, headers=headers
    )


def _model(view: View, model: BaseModel, status: int = 200) -> Response:
    return _json_bytes(view, model.model_dump_json(), status)


def _error(view: View, status: int, message: str, retry_after: int | None = None) -> Response:
    """An :class:`ErrorBody` answer; ``retry_after`` (seconds) sets the Retry-After header."""
    headers = None if retry_after is None else {"Retry-After": str(retry_after)}
    return _json_bytes(view, ErrorBody(error=message).model_dump_json(), status, headers)


def _ident(url: Any) -> tuple[str, int]:
    """(host, port) of a worker's URL, as faust's router compares them."""
    parts = urlsplit(str(url))
    return (parts.hostname or "", int(parts.port or 80))


async def _routed(
    view: View, monitor: WorkerState, table_name: str, key: bytes, request: Request
) -> Response | None:
    """Forward to the worker that owns ``key`` in ``table_name``; None when this worker does.

    The owner comes from faust's router (``canonical_url`` of each worker). Answers 503 with
    ``Retry-After`` (seconds), never forwarding twice, when: this worker does not know the owner
    yet (starting, or its producer has not read the changelog topic's partitions); it is the
    owner but its tables are still recovering (a dyad would read as unknown); the request
    was forwarded here by a worker that thought this one held the key (two assignments during a
    rebalance); or the owner does not answer within ``FORWARD_TIMEOUT_SECONDS`` (a worker that
    died keeps its partitions until the group's session timeout, then a live worker serves
    them). Otherwise the owner's answer, status and body as it gave them."""
    router = monitor.app.router
    name = key.decode("utf-8", "replace")
    try:
        owner = router.key_store(table_name, key)
    except (NotReady, KeyError, TypeError) as exc:
        # NotReady: the producer has not started; KeyError: no assignment yet; TypeError:
        # aiokafka has no metadata for the changelog topic yet (partitions_for_topic is None).
        return _error(
            view,
            503,
            f"this worker does not know yet which worker holds {name} (it is starting or "
            f"rebalancing: {type(exc).__name__}); retry in a few seconds",
            retry_after=_RETRY_SOON_SECONDS,
        )
    own = str(monitor.app.conf.canonical_url)
    if _ident(owner) == _ident(own):
        if not readiness(monitor.app)["tables_recovered"]:
            return _error(
                view,
                503,
                f"this worker holds {name} but is still recovering its tables from their "
                f"changelogs (the group rebalanced); retry in a few seconds",
                retry_after=_RETRY_SOON_SECONDS,
            )
        return None
    sender = request.headers.get(FORWARDED_HEADER)
    if sender is not None:
        return _error(
            view,
            503,
            f"{name} was forwarded here by {sender[:100]}, but this worker sees {owner} holding "
            f"it: the group is rebalancing; retry in a few seconds",
            retry_after=_RETRY_SOON_SECONDS,
        )
    host, port = _ident(owner)
    target = request.url.with_host(host).with_port(port)
    # only end-to-end headers the views read: hop-by-hop ones (Transfer-Encoding, Connection,
    # Content-Length of a body) would corrupt the pooled connection to the owner
    headers = {k: request.headers[k] for k in _FORWARDED_HEADERS if k in request.headers}
    headers[FORWARDED_HEADER] = own
    try:
        async with monitor.app.http_client.request(
            request.method,
            target,
            headers=headers,
            timeout=aiohttp.ClientTimeout(total=FORWARD_TIMEOUT_SECONDS),
        ) as response:
            body = await response.read()
            retry = response.headers.get("Retry-After")
            return view.bytes(
                body,
                content_type=response.content_type,
                status=response.status,
                headers=None if retry is None else {"Retry-After": retry},
            )
    except (TimeoutError, aiohttp.ClientError, OSError) as exc:
        timeout = monitor.settings.session_timeout_seconds
        return _error(
            view,
            503,
            f"the worker that holds {name} ({owner}) does not answer "
            f"({type(exc).__name__}); if it died, a live worker takes its partitions within "
            f"the session timeout ({timeout:.0f} s): retry then",
            retry_after=max(1, round(timeout)),
        )


def relationship_state(monitor: WorkerState, dyad: str, as_of: datetime | None) -> Any:
    """The RelationshipState of ``dyad`` from this worker's tables, or None if unknown here."""
    from service.domain.projection import clock_as_of, refold

    proj = monitor.load(dyad)
    if as_of is None:
        return None if proj is None else proj.snapshot()
    log = [o for o in monitor.log_of(dyad) if o.event_time <= as_of]
    if not log and proj is None:
        return None
    folded, _ = refold(dyad, log, clock=clock_as_of(log, as_of))
    return folded.snapshot()


def summarise(state: Any) -> RelationshipSummary:
    """The :class:`RelationshipSummary` of a RelationshipState."""
    by_status: dict[str, int] = {}
    for c in state.commitments:
        by_status[c.status.value] = by_status.get(c.status.value, 0) + 1
    seen = [c.last_seen for c in state.commitments]
    return RelationshipSummary(
        dyad=state.dyad,
        as_of=state.as_of,
        commitments=len(state.commitments),
        by_status=by_status,
        engagements=len(state.engagements),
        last_seen=max(seen) if seen else None,
    )


def local_relationships(monitor: WorkerState) -> list[RelationshipSummary]:
    """Summaries of the dyads on this worker's active observations partitions."""
    topic = monitor.settings.topic(OBSERVATIONS)
    try:
        assigned = monitor.app.consumer.assignment()
    except Exception:
        assigned = set()
    partitions = {tp.partition for tp in assigned if tp.topic == topic}
    found = []
    for dyad in local_dyads(monitor, partitions):
        proj = monitor.load(dyad)
        if proj is not None:
            found.append(summarise(proj.snapshot()))
    return found


def _peers(monitor: WorkerState) -> list[str]:
    """Web URLs of the other workers of the group (from the partition assignor's metadata)."""
    own = str(monitor.app.conf.canonical_url).rstrip("/")
    try:
        hosts = monitor.app.router.table_metadata(monitor.projections.name)
    except Exception:
        return []
    return sorted({str(h).rstrip("/") for h in hosts} - {own})


async def _peer_metrics(url: str) -> str:
    timeout = aiohttp.ClientTimeout(total=5)
    async with (
        aiohttp.ClientSession(timeout=timeout) as session,
        session.get(f"{url}/metrics") as response,
    ):
        response.raise_for_status()
        return await response.text()


async def _peer_relationships(url: str) -> list[RelationshipSummary]:
    timeout = aiohttp.ClientTimeout(total=5)
    async with (
        aiohttp.ClientSession(timeout=timeout) as session,
        session.get(f"{url}/relationships", params={"scope": "local"}) as response,
    ):
        response.raise_for_status()
        return RelationshipList.model_validate_json(await response.read()).relationships


def register_views(app: faust.App, monitor: WorkerState) -> Ops:
    """Register the views of this module and the :class:`Ops` service on ``app``; returns it."""
    ops = Ops(monitor)
    app.service(ops)  # type: ignore[arg-type]  # an instance is accepted too
    app.bilateral_ops = ops  # type: ignore[attr-defined]

    @app.page("/health")
    class HealthView(View):
        async def get(self, request: Request) -> Response:
            try:
                assigned = app.consumer.assignment()
            except Exception:
                assigned = set()
            checks = readiness(app)
            body = Health(
                status="ok",
                app_id=monitor.settings.app_id,
                ready=checks["tables_recovered"],
                partitions=sorted(f"{tp.topic}:{tp.partition}" for tp in assigned),
            )
            return _model(self, body)

    @app.page("/ready")
    class ReadyView(View):
        async def get(self, request: Request) -> Response:
            checks = readiness(app)
            monitor.metrics.recovered.set(1 if checks["tables_recovered"] else 0)
            reachable = await ops.broker_reachable()
            body = Readiness(
                ready=all(checks.values()) and reachable,
                checks=ReadyChecks(**checks, broker_reachable=reachable),
            )
            return _model(self, body, 200 if body.ready else 503)

    @app.page("/metrics")
    class MetricsView(View):
        async def get(self, request: Request) -> Response:
            return self.bytes(
                monitor.metrics.render(), headers={"Content-Type": CONTENT_TYPE_LATEST}
            )

    @app.page("/cluster/metrics")
    class ClusterMetricsView(View):
        async def get(self, request: Request) -> Response:
            own = str(monitor.app.conf.canonical_url).rstrip("/")
            workers = [WorkerMetrics(url=own, metrics=monitor.metrics.render().decode())]
            peers = _peers(monitor)
            answers = await asyncio.gather(
                *(_peer_metrics(url) for url in peers), return_exceptions=True
            )
            partial = False
            for url, answer in zip(peers, answers, strict=True):
                if isinstance(answer, BaseException):
                    log.warning("worker %s did not answer /metrics: %r", url, answer)
                    partial = True
                else:
                    workers.append(WorkerMetrics(url=url, metrics=answer))
            return _model(self, ClusterMetrics(workers=workers, partial=partial))

    @app.page("/relationships")
    class RelationshipsView(View):
        async def get(self, request: Request) -> Response:
            scope = request.query.get("scope", "all")
            if scope not in ("all", "local"):
                return _error(self, 400, f"scope: {scope!r} must be 'all' or 'local'")
            found = {s.dyad: s for s in local_relationships(monitor)}
            partial = False
            if scope == "all":
                peers = _peers(monitor)
                answers = await asyncio.gather(
                    *(_peer_relationships(url) for url in peers), return_exceptions=True
                )
                for url, answer in zip(peers, answers, strict=True):
                    if isinstance(answer, BaseException):
                        log.warning("worker %s did not list its relationships: %s", url, answer)
                        partial = True
                        continue
                    for summary in answer:
                        found.setdefault(summary.dyad, summary)
            body = RelationshipList(
                relationships=[found[d] for d in sorted(found)], partial=partial
            )
            return _model(self, body)

    async def state_or_answer(
        view: View, request: Request, dyad: str
    ) -> RelationshipState | Response:
        """The dyad's state (``?as_of=`` honoured), or the answer to send instead: 400 for a
        bad parameter, the owning worker's answer when another worker holds the dyad, 404."""
        try:
            name = parse_dyad(dyad)
            as_of = parse_as_of(request.query.get("as_of"))
        except BadParameter as exc:
            return _error(view, 400, str(exc))
        routed = await _routed(
            view, monitor, monitor.projections.name, name.encode("utf-8"), request
        )
        if routed is not None:
            return routed
        state = relationship_state(monitor, name, as_of)
        if state is None:
            return _error(view, 404, f"no relationship {name} is known")
        return state

    @app.page("/relationships/{dyad}")
    class RelationshipView(View):
        async def get(self, request: Request, dyad: str) -> Response:
            state = await state_or_answer(self, request, dyad)
            if not isinstance(state, RelationshipState):
                return state
            return _json_bytes(self, state.model_dump_json())

    @app.page("/relationships/{dyad}/commitments/{commitment_id}")
    class CommitmentView(View):
        async def get(self, request: Request, dyad: str, commitment_id: str) -> Response:
            state = await state_or_answer(self, request, dyad)
            if not isinstance(state, RelationshipState):
                return state
            for commitment in state.commitments:
                if commitment.id == commitment_id:
                    return _json_bytes(self, commitment.model_dump_json())
            return _error(self, 404, f"no commitment {commitment_id!r} in {state.dyad}")

    @app.page("/alerts")
    class AlertsView(View):
        async def get(self, request: Request) -> Response:
            try:
                query = parse_alert_query(request.query)
            except BadParameter as exc:
                return _error(self, 400, str(exc))
            found = ops.ring.select(**query)
            return _model(self, AlertList(alerts=found, count=len(found), ring_size=RING_SIZE))

    @app.page("/dashboard")
    class DashboardView(View):
        async def get(self, request: Request) -> Response:
            html = (STATIC_DIR / "dashboard.html").read_text(encoding="utf-8")
            return self.html(html)

    @app.page("/static/{name}")
    class StaticView(View):
        async def get(self, request: Request, name: str) -> Response:
            files = {p.name: p for p in STATIC_DIR.iterdir() if p.is_file()}
            path = files.get(name)
            if path is None:
                return _error(self, 404, f"no static file {name!r}")
            ctype = mimetypes.guess_type(name)[0] or "application/octet-stream"
            return self.bytes(
                path.read_bytes(),
                headers={"Content-Type": ctype, "Cache-Control": "no-cache"},
            )

    return ops
