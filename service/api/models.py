"""Response bodies of the worker's HTTP views that are not wire schemas of ``schemas/``.

``/relationships/{dyad}`` answers a :class:`schemas.state.RelationshipState`, the commitment view a
:class:`schemas.state.Commitment` and ``/alerts`` a list of :class:`schemas.alerts.Alert`; the
models here wrap or summarise them. :mod:`service.api.openapi` builds the OpenAPI document from
all of them.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from schemas.alerts import Alert
from schemas.common import CommitmentStatus, Dyad, UtcDatetime

__all__ = [
    "AlertList",
    "ClusterMetrics",
    "ErrorBody",
    "Health",
    "Readiness",
    "ReadyChecks",
    "RelationshipList",
    "RelationshipSummary",
    "WorkerMetrics",
]


class _Body(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ErrorBody(_Body):
    """Every 4xx/5xx answer: what was wrong, in a sentence a person can act on."""

    error: str


class Health(_Body):
    """``/health``: the process is up (always 200 while it serves HTTP)."""

    status: str = Field(description='always "ok"')
    app_id: str
    ready: bool = Field(description="same as /ready's ready, without the broker check")
    partitions: list[str] = Field(description="topic partitions assigned here, as topic:N")


class ReadyChecks(_Body):
    """The three conditions of ``/ready``."""

    partitions_assigned: bool = Field(description="the consumer group gave this worker partitions")
    tables_recovered: bool = Field(description="every table is recovered from its changelog")
    broker_reachable: bool = Field(description="the cluster answered a metadata request")


class Readiness(_Body):
    """``/ready``: 200 when every check holds, else 503 with the same body."""

    ready: bool
    checks: ReadyChecks


class RelationshipSummary(_Body):
    """One known relationship in ``/relationships``."""

    dyad: Dyad
    as_of: UtcDatetime | None = Field(description="the dyad's event-time clock")
    commitments: int
    by_status: dict[CommitmentStatus, int] = Field(description="commitment count per status")
    engagements: int
    last_seen: UtcDatetime | None = Field(description="latest evidence of any commitment")


class RelationshipList(_Body):
    """``/relationships``: every relationship the workers hold, sorted by dyad."""

    relationships: list[RelationshipSummary]
    partial: bool = Field(
        default=False, description="true when a worker did not answer: its dyads are missing"
    )


class AlertList(_Body):
    """``/alerts``: recent alerts, newest first (see service.api.ops for what 'recent' means)."""

    alerts: list[Alert]
    count: int
    ring_size: int = Field(description="how many recent alerts the worker keeps")


class WorkerMetrics(_Body):
    """One worker's metrics, as its ``/metrics`` answers them."""

    url: str = Field(description="the worker's canonical URL")
    metrics: str = Field(description="its /metrics answer, Prometheus text exposition format")


class ClusterMetrics(_Body):
    """``/cluster/metrics``: the metrics of every worker of the group (this one first).

    Counters are per worker (each counts what it consumed and sent); add them up for the group.
    """

    workers: list[WorkerMetrics]
    partial: bool = Field(description="some worker of the group did not answer")
