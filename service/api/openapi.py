"""The OpenAPI 3.1 document of the worker's HTTP views, generated from the pydantic models.

``python -m service.api.openapi`` writes ``service/api/openapi.json``; ``--check`` exits 1 when the
committed file differs from what the code generates (tests/unit/test_api_openapi.py does the same
and also checks that every view registered by :func:`service.api.views.register_views` is here).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from schemas.alerts import Alert
from schemas.common import AlertKind
from schemas.state import Commitment, RelationshipState
from service.api.models import (
    AlertList,
    ClusterMetrics,
    ErrorBody,
    Health,
    Readiness,
    RelationshipList,
)
from service.api.ops import RING_SIZE

__all__ = ["OPENAPI_PATH", "ROUTES", "Route", "generate", "main"]

OPENAPI_PATH = Path(__file__).resolve().parent / "openapi.json"

_REF = "#/components/schemas/{model}"


@dataclass(frozen=True)
class Param:
    """A path or query parameter of a view, as documented in the OpenAPI file."""

    name: str
    where: str  # "path" | "query"
    description: str
    schema: dict[str, Any] = field(default_factory=lambda: {"type": "string"})
    required: bool = False


@dataclass(frozen=True)
class Route:
    """One GET view: its path (Faust/OpenAPI ``{name}`` syntax), docs and answers."""

    path: str
    summary: str
    description: str
    ok: type[BaseModel] | str  # a model (JSON body) or a media type
    params: tuple[Param, ...] = ()
    errors: tuple[int, ...] = ()
    ok_status: int = 200
    extra: dict[int, tuple[str, type[BaseModel]]] = field(default_factory=dict)


_DYAD = Param(
    "dyad",
    "path",
    "two ISO 3166-1 alpha-2 codes joined by '-', in any order or case (in-ca -> CA-IN)",
    {"type": "string", "pattern": "^[A-Za-z]{2}-[A-Za-z]{2}$"},
    required=True,
)
_AS_OF = Param(
    "as_of",
    "query",
    "event time (ISO 8601 with a timezone): the state as known then",
    {"type": "string", "format": "date-time"},
)

ROUTES: tuple[Route, ...] = (
    Route(
        "/health",
        "Process up",
        "Always 200 while the worker serves HTTP; ready mirrors the table-recovery state.",
        Health,
    ),
    Route(
        "/ready",
        "Ready to serve",
        "200 once partitions are assigned, the tables are recovered and the broker answers; "
        "503 with the same body, naming the false check, before.",
        Readiness,
        extra={503: ("not ready yet: see checks", Readiness)},
    ),
    Route(
        "/metrics",
        "Prometheus metrics",
        "The worker's metrics in the Prometheus text exposition format (service.api.metrics).",
        "text/plain",
    ),
    Route(
        "/cluster/metrics",
        "Metrics of every worker",
        "This worker's /metrics and those of the other workers of the group, each as text; "
        "counters are per worker (the dashboard adds them up). partial is true when a worker "
        "did not answer.",
        ClusterMetrics,
    ),
    Route(
        "/relationships",
        "Known relationships",
        "Every dyad the workers hold, with counts by status; scope=local answers this worker's "
        "dyads only (used between workers).",
        RelationshipList,
        params=(
            Param(
                "scope",
                "query",
                "all (default: ask the other workers too) or local",
                {"type": "string", "enum": ["all", "local"], "default": "all"},
            ),
        ),
        errors=(400,),
    ),
    Route(
        "/relationships/{dyad}",
        "State of one relationship",
        "The RelationshipState (as `state --json` prints it), routed to the worker owning the "
        "dyad.",
        RelationshipState,
        params=(_DYAD, _AS_OF),
        errors=(400, 404, 503),
    ),
    Route(
        "/relationships/{dyad}/commitments/{commitment_id}",
        "One commitment",
        "The commitment as it stands (or stood at as_of), with its status history and evidence.",
        Commitment,
        params=(
            _DYAD,
            Param("commitment_id", "path", "the commitment's stable id", required=True),
            _AS_OF,
        ),
        errors=(400, 404, 503),
    ),
    Route(
        "/alerts",
        "Recent alerts",
        f"The last alerts on the alerts topic (a ring of {RING_SIZE} per worker, read from every "
        "partition), newest first.",
        AlertList,
        params=(
            Param("dyad", "query", "only this dyad", {"type": "string"}),
            Param(
                "kind",
                "query",
                "only this alert kind",
                {"type": "string", "enum": [k.value for k in AlertKind]},
            ),
            Param(
                "since",
                "query",
                "only alerts emitted at or after this time (ISO 8601 with a timezone)",
                {"type": "string", "format": "date-time"},
            ),
            Param(
                "limit",
                "query",
                "at most this many",
                {"type": "integer", "minimum": 1, "maximum": RING_SIZE, "default": 100},
            ),
        ),
        errors=(400,),
    ),
    Route(
        "/dashboard",
        "Operations dashboard",
        "An HTML page: commitment timelines per dyad, the live alert feed, lag, throughput and "
        "dead letters. Works offline (its scripts come from /static).",
        "text/html",
    ),
    Route(
        "/static/{name}",
        "Dashboard assets",
        "The dashboard's JavaScript and CSS.",
        "application/octet-stream",
        params=(Param("name", "path", "file name, e.g. dashboard.js", required=True),),
        errors=(404,),
    ),
)

_ERROR_TEXT = {
    400: "a bad parameter (the message says which)",
    404: "not found",
    503: (
        "this worker does not know yet which worker holds the dyad (starting or rebalancing), "
        "or that worker does not answer; retry after the Retry-After header's seconds"
    ),
}


def _content(body: type[BaseModel] | str) -> dict[str, Any]:
    if isinstance(body, str):
        return {body: {"schema": {"type": "string"}}}
    return {"application/json": {"schema": {"$ref": _REF.format(model=body.__name__)}}}


def _operation(route: Route) -> dict[str, Any]:
    responses: dict[str, Any] = {
        str(route.ok_status): {"description": "OK", "content": _content(route.ok)}
    }
    for status, (text, model) in route.extra.items():
        responses[str(status)] = {"description": text, "content": _content(model)}
    for status in route.errors:
        responses[str(status)] = {
            "description": _ERROR_TEXT[status],
            "content": _content(ErrorBody),
        }
    op: dict[str, Any] = {
        "summary": route.summary,
        "description": route.description,
        "operationId": "get"
        + "".join(part.strip("{}").title().replace("_", "") for part in route.path.split("/")),
        "responses": responses,
    }
    if route.params:
        op["parameters"] = [
            {
                "name": p.name,
                "in": p.where,
                "required": p.required,
                "description": p.description,
                "schema": p.schema,
            }
            for p in route.params
        ]
    return op


def generate() -> dict[str, Any]:
    """The OpenAPI document as a dict (deterministic: same code, same document)."""
    models: list[type[BaseModel]] = [ErrorBody]
    for route in ROUTES:
        for body in (route.ok, *(m for _, m in route.extra.values())):
            if isinstance(body, type) and body not in models:
                models.append(body)
    if Alert not in models:
        models.append(Alert)
    _, schemas = models_json_schema([(m, "serialization") for m in models], ref_template=_REF)
    from importlib.metadata import PackageNotFoundError, version

    try:
        app_version = version("bilateral-monitor")
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        app_version = "0.0.0"
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "bilateral-monitor worker",
            "version": app_version,
            "description": "HTTP views of one Faust worker: health, readiness, metrics, "
            "relationship state, recent alerts and the operations dashboard.",
        },
        "paths": {route.path: {"get": _operation(route)} for route in ROUTES},
        "components": {"schemas": dict(sorted(schemas.get("$defs", {}).items()))},
    }


def render() -> str:
    """The document as the committed file holds it (JSON indented by 2, final newline)."""
    return json.dumps(generate(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write ``openapi.json``; with ``--check``, exit 1 when the committed file is stale."""
    args = sys.argv[1:] if argv is None else argv
    text = render()
    if "--check" in args:
        current = OPENAPI_PATH.read_text(encoding="utf-8") if OPENAPI_PATH.exists() else ""
        if current != text:
            print(f"{OPENAPI_PATH} is stale: run python -m service.api.openapi", file=sys.stderr)
            return 1
        return 0
    OPENAPI_PATH.write_text(text, encoding="utf-8")
    print(f"wrote {OPENAPI_PATH}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
