"""The read model: the projected state of one relationship (dyad)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from schemas.common import (
    CommitmentStatus,
    CountryCode,
    Direction,
    Due,
    Dyad,
    Frozen,
    Topic,
    UtcDatetime,
)
from schemas.observations import CommitmentKind, Evidence

__all__ = ["Commitment", "Engagement", "RelationshipState", "StatusChange"]


class StatusChange(Frozen):
    """One entry of a commitment's status history: the status, since when (event time), and why."""

    status: CommitmentStatus
    at: UtcDatetime
    evidence: Evidence | None = Field(
        default=None, description="the sentence that set it; None for a status derived by the clock"
    )


class Commitment(Frozen):
    """Something one or both countries said they will do, as it now stands.

    ``id`` is stable across articles; ``evidence`` holds every supporting sentence in event-time
    order; ``direction`` is that of the observations it was built from (only observations of the
    same direction are folded into one commitment, so it is the creating observation's);
    ``confidence`` (0..1) combines the evidence (domain.confidence); ``first_seen`` and
    ``last_seen`` are event times (UTC).
    """

    id: str
    dyad: Dyad
    kind: CommitmentKind
    direction: Direction = Field(
        default=Direction.COOPERATIVE,
        description=(
            "cooperative (brings the two closer) or restrictive (a measure against the other)"
        ),
    )
    title: str
    parties: list[CountryCode]
    topics: list[Topic]
    status: CommitmentStatus
    status_history: list[StatusChange]
    due: Due | None = None
    evidence: list[Evidence]
    key_terms: list[str]
    confidence: Annotated[float, Field(ge=0.0, le=1.0)]
    contested: bool = Field(
        default=False, description="true while another source disputes the current status"
    )
    first_seen: UtcDatetime
    last_seen: UtcDatetime


class Engagement(Frozen):
    """A meeting, call, visit or round of talks that took place, with its evidence."""

    id: str
    dyad: Dyad
    kind: str
    title: str
    participants: list[str]
    at: UtcDatetime
    evidence: list[Evidence]


class RelationshipState(Frozen):
    """``state --json``: the commitments and engagements of one dyad as of event time ``as_of``."""

    dyad: Dyad
    as_of: UtcDatetime | None
    commitments: list[Commitment]
    engagements: list[Engagement]
