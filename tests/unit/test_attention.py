"""Which commitments need attention (DESIGN.md "Alertmanager") and the order they are listed in."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from schemas.common import CommitmentStatus as S
from schemas.common import Direction
from schemas.state import Commitment, StatusChange
from service.domain.attention import attention_key, direction_of, needs_attention
from tests.unit.factories import at, evidence


def commitment(
    ident: str, status: S, day: str = "2026-02-10", *, contested: bool = False
) -> Commitment:
    when = at(day, 12)
    return Commitment(
        id=ident,
        dyad="CA-IN",
        kind="action",
        title=ident,
        parties=["CA", "IN"],
        topics=["security"],
        status=status,
        status_history=[StatusChange(status=status, at=when, evidence=evidence("e", when, "W"))],
        evidence=[evidence("e", when, "W")],
        key_terms=[ident],
        confidence=0.7,
        contested=contested,
        first_seen=when,
        last_seen=when,
    )


def as_restrictive(c: Commitment) -> Commitment:
    """The same commitment with ``direction`` set, as models that carry the field have it."""
    return c.model_copy(update={"direction": Direction.RESTRICTIVE})


@pytest.mark.parametrize("status", list(S))
def test_cooperative_needs_attention_when_interrupted_or_lapsed(status):
    expected = status in {S.PAUSED, S.POSTPONED, S.LAPSED, S.REVERSED}
    assert needs_attention(commitment("c", status)) is expected
    assert needs_attention(commitment("c", status, contested=True)) is True


@pytest.mark.parametrize("status", list(S))
def test_restrictive_measure_needs_attention_while_announced_or_in_effect(status):
    measure = as_restrictive(commitment("m", status))
    assert direction_of(measure) == "restrictive"
    assert needs_attention(measure) is (status in {S.AGREED, S.IN_PROGRESS})


def test_a_model_without_direction_is_cooperative():
    assert direction_of(commitment("c", S.AGREED)) == "cooperative"
    assert direction_of(SimpleNamespace(direction="restrictive")) == "restrictive"


def test_attention_order_then_most_recent_first():
    listed = [
        commitment("fulfilled", S.FULFILLED, "2026-03-01"),
        commitment("agreed-old", S.AGREED, "2026-01-01"),
        commitment("contested", S.AGREED, "2026-01-02", contested=True),
        commitment("postponed", S.POSTPONED),
        commitment("paused", S.PAUSED),
        commitment("lapsed", S.LAPSED),
        commitment("reversed-old", S.REVERSED, "2026-01-05"),
        commitment("reversed-new", S.REVERSED, "2026-02-05"),
        commitment("agreed-new", S.AGREED, "2026-02-20"),
    ]
    order = [c.id for c in sorted(listed, key=attention_key)]
    assert order == [
        "reversed-new",
        "reversed-old",
        "lapsed",
        "paused",
        "postponed",
        "contested",
        "fulfilled",
        "agreed-new",
        "agreed-old",
    ]
