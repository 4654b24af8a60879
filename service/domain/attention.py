"""Which commitments need a person's attention, and in what order to show them.

DESIGN.md ("Alertmanager"): a cooperative commitment needs attention while it is paused,
postponed, lapsed, reversed or contested; a restrictive measure while it is announced or in effect
(agreed, in_progress) or contested. A commitment without a ``direction`` field is cooperative.

Pure functions of a commitment as it now stands; no clock, no I/O.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from schemas.common import CommitmentStatus
from service.domain import rules
from service.domain.rules import COOPERATIVE_ATTENTION, RESTRICTIVE_ATTENTION

__all__ = [
    "ATTENTION_ORDER",
    "COOPERATIVE_ATTENTION",
    "RESTRICTIVE_ATTENTION",
    "attention_key",
    "direction_of",
    "last_event_time",
    "needs_attention",
    "relationship_summary",
]

S = CommitmentStatus

ATTENTION_ORDER: tuple[CommitmentStatus, ...] = (
    S.REVERSED,
    S.LAPSED,
    S.PAUSED,
    S.POSTPONED,
    S.IN_PROGRESS,
    S.AGREED,
)
"""Among the commitments that need attention, statuses listed first come first."""


def direction_of(commitment: Any) -> str:
    """``"cooperative"`` or ``"restrictive"``: the commitment's ``direction`` (an enum or a
    string); a commitment model without that field counts as cooperative."""
    direction = getattr(commitment, "direction", None)
    if direction is None:
        return "cooperative"
    return str(getattr(direction, "value", direction))


def needs_attention(commitment: Any) -> bool:
    """True while ``commitment`` (a ``schemas.state.Commitment``) needs attention: contested, or
    in a status that needs it for its direction (:func:`service.domain.rules.needs_attention`)."""
    return rules.needs_attention(commitment)


def _status_needs_attention(commitment: Any) -> bool:
    """True when the status alone (not a dispute between sources) needs attention."""
    if direction_of(commitment) == "restrictive":
        return commitment.status in RESTRICTIVE_ATTENTION
    return commitment.status in COOPERATIVE_ATTENTION


def _since(commitment: Any) -> datetime:
    """Event time (UTC) of the current status: its last status change, else ``last_seen``."""
    history = commitment.status_history
    return history[-1].at if history else commitment.last_seen


def attention_key(commitment: Any) -> tuple[int, int, float, str]:
    """Sort key: commitments that need attention first (reversed, lapsed, paused, postponed, an
    active restrictive measure, then contested), then the most recent status change first, then
    by id so the order is total."""
    attention = needs_attention(commitment)
    rank = (
        ATTENTION_ORDER.index(commitment.status)
        if _status_needs_attention(commitment)
        else len(ATTENTION_ORDER)
    )
    return (0 if attention else 1, rank, -_since(commitment).timestamp(), commitment.id)


def last_event_time(state: Any) -> datetime | None:
    """The latest event time (UTC) recorded in a ``RelationshipState``: evidence, a status change
    or an engagement; None for a relationship with neither commitments nor engagements."""
    times = [c.last_seen for c in state.commitments]
    times += [h.at for c in state.commitments for h in c.status_history[-1:]]
    times += [e.at for e in state.engagements]
    return max(times) if times else None


def relationship_summary(state: Any) -> dict[str, Any]:
    """One line of ``state`` without a dyad, from a ``RelationshipState``: ``dyad``, ``as_of``,
    ``commitments`` (count), ``by_status`` (status value -> count, in status order),
    ``needs_attention`` (count), ``engagements`` (count), ``last_event_time``."""
    counts = {s.value: 0 for s in CommitmentStatus}
    for c in state.commitments:
        counts[c.status.value] += 1
    return {
        "dyad": state.dyad,
        "as_of": state.as_of,
        "commitments": len(state.commitments),
        "by_status": {k: v for k, v in counts.items() if v},
        "needs_attention": sum(1 for c in state.commitments if needs_attention(c)),
        "engagements": len(state.engagements),
        "last_event_time": last_event_time(state),
    }
