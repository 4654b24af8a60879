"""Builders of observations for projection tests (no extractor involved)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from schemas.common import CommitmentStatus, Direction, Due, DueKind, Topic
from schemas.events import SourceKind
from schemas.observations import (
    Attribution,
    CommitmentKind,
    CommitmentObservation,
    EngagementObservation,
    Evidence,
)


def at(day: str, hour: int = 0) -> datetime:
    """``YYYY-MM-DD`` at ``hour``:00 UTC."""
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


def evidence(event_id: str, when: datetime, source: str, sentence: str = "A sentence.") -> Evidence:
    return Evidence(
        event_id=event_id,
        source=source,
        source_kind=SourceKind.NEWS,
        published_at=when,
        sentence=sentence,
        span=(0, len(sentence)),
        attribution=Attribution.OFFICIALS,
    )


def obs(
    event_id: str,
    day: str,
    signal: CommitmentStatus,
    terms: list[str],
    *,
    n: int = 0,
    source: str = "Wire",
    kind: CommitmentKind = CommitmentKind.ACTION,
    direction: Direction = Direction.COOPERATIVE,
    dyad: str = "CA-IN",
    due: tuple[str | None, str, DueKind] | None = None,
    denies: CommitmentStatus | None = None,
    may_create: bool = True,
    confidence: float = 0.7,
    topics: tuple[Topic, ...] = (Topic.SECURITY,),
) -> CommitmentObservation:
    """A commitment observation ``{event_id}#{n}`` at ``day`` 12:00 UTC."""
    when = at(day, 12)
    return CommitmentObservation(
        observation_id=f"{event_id}#{n}",
        event_id=event_id,
        dyad=dyad,
        event_time=when,
        kind=kind,
        direction=direction,
        title=" ".join(terms),
        key_terms=terms,
        parties=dyad.split("-"),
        topics=list(topics),
        signal=signal,
        denies=denies,
        due=(
            Due(
                start=date.fromisoformat(due[0]) if due[0] else None,
                end=date.fromisoformat(due[1]),
                kind=due[2],
            )
            if due
            else None
        ),
        may_create=may_create,
        evidence=evidence(event_id, when, source, " ".join(terms) + "."),
        confidence=confidence,
    )


def engagement(event_id: str, day: str, title: str, *, n: int = 0) -> EngagementObservation:
    when = at(day, 12)
    return EngagementObservation(
        observation_id=f"{event_id}#{n}",
        event_id=event_id,
        dyad="CA-IN",
        event_time=when,
        kind="meeting",
        title=title,
        participants=["A", "B"],
        evidence=evidence(event_id, when, "Wire", title),
    )
