"""Matching the hand annotation (``seed_gold.json``, ``dev_expected.json``) against a state.

A gold commitment is identified by its ``match_terms``: a correct commitment's title or one of its
evidence sentences contains at least two of them (case-insensitive).
"""

from __future__ import annotations

from schemas.alerts import Alert
from schemas.state import Commitment, RelationshipState


def term_hits(text: str, terms: list[str]) -> int:
    low = text.lower()
    return sum(1 for t in terms if t.lower() in low)


def score(c: Commitment, terms: list[str]) -> tuple[int, int]:
    """(hits in the title, best hits in one evidence sentence)."""
    return term_hits(c.title, terms), max(term_hits(e.sentence, terms) for e in c.evidence)


def find(state: RelationshipState, terms: list[str]) -> Commitment | None:
    """The commitment best matching ``terms`` (title hits first), or None if none has >= 2."""
    ranked = sorted(
        (c for c in state.commitments if max(score(c, terms)) >= 2 or sum(score(c, terms)) >= 2),
        key=lambda c: score(c, terms),
        reverse=True,
    )
    return ranked[0] if ranked else None


def subject(state: RelationshipState, word: str) -> list[Commitment]:
    """Commitments whose title names ``word`` (for agreements split per subject)."""
    return [c for c in state.commitments if word.lower() in c.title.lower()]


def sequence(alerts: list[Alert], commitment_id: str, expected: list[str]) -> list[str]:
    """The alerts of one commitment in the notation of dev_expected.json (``kind[:status]``)."""
    with_status = any(":" in e for e in expected)
    out = []
    for a in alerts:
        if a.commitment.id != commitment_id:
            continue
        kind = a.kind.value
        needs_status = with_status and kind in {e.split(":")[0] for e in expected if ":" in e}
        out.append(f"{kind}:{a.commitment.status.value}" if needs_status else kind)
    return out
