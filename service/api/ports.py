"""What the HTTP views and :class:`~service.api.ops.Ops` need of a running worker.

The views are handed a monitor (``service.bootstrap`` passes the Faust runtime's
:class:`~service.runtime.faust_app.Monitor`) instead of importing one: this protocol is the
type they see. Imports: ``service.runtime`` (settings, metrics), ``service.domain`` and
``schemas`` only; nothing here imports the Faust app.
"""

from __future__ import annotations

from typing import Any, Protocol

from schemas.observations import CommitmentObservation, EngagementObservation
from service.config import Settings
from service.domain.projection import DyadProjection
from service.runtime.metrics import Metrics

__all__ = ["WorkerState"]


class WorkerState(Protocol):
    """A worker's settings, Faust app, metrics and tables, as the views read them."""

    settings: Settings
    """The worker's frozen settings (topic names, app id, timeouts)."""
    app: Any
    """The ``faust.App`` (router, consumer assignment, ``canonical_url``, HTTP client)."""
    metrics: Metrics
    """The worker's Prometheus registry."""

    @property
    def projections(self) -> Any:
        """The projections table (its ``name`` is the router's key for a dyad's owner)."""
        ...

    def load(self, dyad: str) -> DyadProjection | None:
        """The stored projection of ``dyad``, or None when this worker has none."""
        ...

    def log_of(self, dyad: str) -> list[CommitmentObservation | EngagementObservation]:
        """The observation log of ``dyad`` in arrival order."""
        ...

    def dyads_on(self, partition: int) -> list[str]:
        """The dyads living on observations ``partition`` (sorted)."""
        ...
