"""The state store both runtimes keep their projections in, as one small interface.

The embedded runtime keeps projections and observation logs in SQLite
(:class:`service.runtime.embedded.EmbeddedRuntime`), the Kafka runtime in Faust tables
(:class:`service.runtime.faust_store.TableStore`); both are a :class:`ProjectionStore`.
Imports: ``schemas`` and ``service.domain`` only.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from schemas.observations import CommitmentObservation, EngagementObservation
from service.domain.projection import DyadProjection

__all__ = ["ProjectionStore"]


@runtime_checkable
class ProjectionStore(Protocol):
    """Load, save and read the log of one dyad's projection."""

    def load(self, dyad: str) -> DyadProjection | None:
        """The stored projection of ``dyad`` (a ``CA-IN`` style dyad), or None if unknown."""
        ...

    def save(self, proj: DyadProjection) -> None:
        """Store ``proj`` under its dyad, replacing what was there."""
        ...

    def log_of(self, dyad: str) -> list[CommitmentObservation | EngagementObservation]:
        """The observations folded into ``dyad``'s projection, in the order they were logged."""
        ...
