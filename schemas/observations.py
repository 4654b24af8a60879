"""Derived events on ``bilateral.observations`` (keyed by dyad): what the extractor saw."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

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
from schemas.events import SourceKind

__all__ = [
    "Attribution",
    "ClockTick",
    "CommitmentKind",
    "CommitmentObservation",
    "EngagementObservation",
    "Evidence",
    "Observation",
]


class Attribution(StrEnum):
    """Who the evidence sentence is attributed to, strongest first."""

    OFFICIAL_STATEMENT = "official statement"
    NAMED_OFFICIAL = "named official"
    OFFICIALS = "officials"
    GOVERNMENT_SOURCES = "government sources"
    UNNAMED_SOURCES = "unnamed sources"
    REPORT = "media report"


class CommitmentKind(StrEnum):
    """Coarse kind of a commitment, used by identity matching.

    ``visit``: a visit or trip by a leader or official; ``agreement``: a document to be signed (an
    agreement, treaty, MoU, deal); ``talks``: negotiations or a dialogue to hold or continue;
    ``measure``: a step one government takes toward the other that it can later suspend or lift
    (tariffs, import bans, export controls, visa services suspended, diplomats expelled or
    recalled, sanctions, border controls): announced is ``agreed``, in effect ``in_progress``,
    suspended ``paused``, lifted or revoked ``reversed``; ``action``: anything else one or both
    sides will do.
    """

    VISIT = "visit"
    AGREEMENT = "agreement"
    TALKS = "talks"
    MEASURE = "measure"
    ACTION = "action"


class Evidence(Frozen):
    """One sentence that supports an observation.

    ``span`` is ``[start, end)`` in characters of the event's ``body``.
    """

    event_id: str
    source: str
    source_kind: SourceKind
    published_at: UtcDatetime
    sentence: str
    span: tuple[int, int]
    attribution: Attribution
    hedged: bool = False


class CommitmentObservation(Frozen):
    """One mention of a commitment in one inbound event.

    ``observation_id`` is deterministic (``{event_id}#{n}``, n the mention index), so re-extracting
    an event yields the same ids and the projection ignores what it has seen. ``signal`` is the
    status the sentence asserts; ``denies`` a status it explicitly denies ("denying reports that
    the visit had been postponed"). ``direction`` says whether the commitment brings the two
    countries closer (``cooperative``, the default, which is also what a record written before the
    field existed means) or is a measure against the other (``restrictive``). ``key_terms`` are
    normalised content words used to recognise the same commitment in other words
    (domain.identity). ``may_create`` is false for mentions that can only update a commitment
    already known (a visit reported as having taken place).
    ``confidence`` is the extractor's confidence in this one mention, 0..1.
    """

    type: Literal["commitment_observation"] = "commitment_observation"
    observation_id: str
    event_id: str
    dyad: Dyad
    event_time: UtcDatetime
    kind: CommitmentKind
    direction: Direction = Direction.COOPERATIVE
    title: Annotated[str, Field(min_length=1, max_length=300)]
    key_terms: list[str]
    parties: list[CountryCode]
    topics: list[Topic]
    signal: CommitmentStatus
    denies: CommitmentStatus | None = None
    due: Due | None = None
    may_create: bool = True
    evidence: Evidence
    confidence: Annotated[float, Field(ge=0.0, le=1.0)]


class EngagementObservation(Frozen):
    """A meeting, call, visit or round of talks that took place (not a commitment)."""

    type: Literal["engagement_observation"] = "engagement_observation"
    observation_id: str
    event_id: str
    dyad: Dyad
    event_time: UtcDatetime
    kind: Literal["meeting", "call", "visit", "talks", "other"]
    title: Annotated[str, Field(min_length=1, max_length=300)]
    participants: list[str] = Field(default_factory=list)
    evidence: Evidence


class ClockTick(Frozen):
    """The event-time clock (a watermark): every event with time <= ``at`` has been seen.

    ``dyad`` names the dyad whose clock moves (an event's tick goes to each dyad it concerns);
    ``dyad`` None means every dyad, except that the workers read an event-time tick without a
    dyad as the extractor's progress mark only (another dyad's event judges no dyad). Deadlines
    are judged against this clock; ``origin`` says whether it was derived from an event's time or
    emitted by a live ticker (whose ticks follow the wall clock once the stream is idle).
    """

    type: Literal["clock_tick"] = "clock_tick"
    at: UtcDatetime
    dyad: Dyad | None = None
    origin: Literal["event_time", "live"] = "event_time"


Observation = Annotated[
    CommitmentObservation | EngagementObservation | ClockTick, Field(discriminator="type")
]
"""Any value of ``bilateral.observations``, told apart by ``type``."""
