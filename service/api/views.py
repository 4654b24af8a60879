"""HTTP views of a Faust worker (Faust web, aiohttp driver).

``GET /relationships/{dyad}[?as_of=ISO-8601]``
    200 with the ``RelationshipState`` JSON (the same bytes as ``state --json``); ``as_of`` folds
    the dyad's observation log up to that event time. 400 ``{"error": ...}`` for a bad dyad or
    time, 404 for a dyad this service has never seen. A dyad whose table partition lives on
    another worker is routed there through Faust's router (``canonical_url`` of each worker).
``GET /health``
    200 ``{"status": "ok", "app_id": ..., "ready": bool, "partitions": [...]}``: ``ready`` is
    false while the worker rebalances or recovers its tables; ``partitions`` are the topic
    partitions assigned to this worker (``topic:N``).

To add a view, write a small handler that decodes the request, calls the domain and encodes the
answer, and register it in :func:`register_views` (keep the routing and error helpers here).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import faust
from faust.exceptions import SameNode
from faust.web import Request, Response, View
from pydantic import TypeAdapter, ValidationError

from schemas.common import Dyad

if TYPE_CHECKING:
    from service.runtime.faust_app import Monitor

__all__ = ["BadParameter", "parse_as_of", "parse_dyad", "register_views"]

_dyad_adapter: TypeAdapter[str] = TypeAdapter(Dyad)


class BadParameter(ValueError):
    """A request parameter that cannot be used (answered with 400 and this message)."""


def parse_dyad(value: str) -> str:
    """Normalise a dyad (``in-ca`` -> ``CA-IN``). Raises BadParameter naming the problem."""
    try:
        return _dyad_adapter.validate_python(value)
    except ValidationError as exc:
        raise BadParameter(f"dyad: {exc.errors(include_url=False)[0]['msg']}") from None


def parse_as_of(value: str | None) -> datetime | None:
    """Parse ``as_of`` (ISO 8601 with a timezone; ``Z`` allowed). Raises BadParameter."""
    if value is None or value == "":
        return None
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise BadParameter(
            f"as_of: {value!r} is not an ISO 8601 time, e.g. 2026-03-01T00:00:00Z"
        ) from None
    if when.tzinfo is None:
        raise BadParameter(f"as_of: {value!r} has no timezone; add Z or +HH:MM")
    return when


def _json_bytes(view: View, body: str, status: int = 200) -> Response:
    return view.bytes(body.encode("utf-8"), content_type="application/json", status=status)


async def _routed(
    view: View, monitor: Monitor, table_name: str, key: bytes, request: Request
) -> Response | None:
    """Forward to the worker that owns ``key`` in ``table_name``; None when this worker does."""
    try:
        return await monitor.app.router.route_req(table_name, key, view.web, request)
    except SameNode:
        return None


def relationship_state(monitor: Monitor, dyad: str, as_of: datetime | None) -> Any:
    """The RelationshipState of ``dyad`` from this worker's tables, or None if unknown here."""
    from service.domain.projection import refold

    proj = monitor.load(dyad)
    if as_of is None:
        return None if proj is None else proj.snapshot()
    log = [o for o in monitor.log_of(dyad) if o.event_time <= as_of]
    if not log and proj is None:
        return None
    folded, _ = refold(dyad, log, clock=as_of)
    return folded.snapshot()


def register_views(app: faust.App, monitor: Monitor) -> None:
    """Register the HTTP views of this module on ``app``."""

    @app.page("/relationships/{dyad}")
    class RelationshipView(View):
        async def get(self, request: Request, dyad: str) -> Response:
            try:
                name = parse_dyad(dyad)
                as_of = parse_as_of(request.query.get("as_of"))
            except BadParameter as exc:
                return self.error(400, str(exc))
            routed = await _routed(
                self, monitor, monitor.projections.name, name.encode("utf-8"), request
            )
            if routed is not None:
                return routed
            state = relationship_state(monitor, name, as_of)
            if state is None:
                return self.error(404, f"no relationship {name} is known")
            return _json_bytes(self, state.model_dump_json())

    @app.page("/health")
    class HealthView(View):
        async def get(self, request: Request) -> Response:
            try:
                assigned = app.consumer.assignment()
            except Exception:
                assigned = set()
            active = sorted(f"{tp.topic}:{tp.partition}" for tp in assigned)
            recovery = app.tables.recovery
            ready = (
                not app.rebalancing
                and not getattr(app, "in_recovery", False)
                and recovery.completed.is_set()
            )
            return self.json(
                {
                    "status": "ok",
                    "app_id": monitor.settings.app_id,
                    "ready": ready,
                    "partitions": active,
                }
            )
