"""Shared field types of the wire contract: country codes, dyads, UTC timestamps, taxonomies."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from functools import lru_cache
from typing import Annotated

import pycountry
from pydantic import AfterValidator, AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field

__all__ = [
    "AlertKind",
    "CommitmentStatus",
    "CountryCode",
    "Direction",
    "Dyad",
    "Frozen",
    "Severity",
    "Topic",
    "UtcDatetime",
    "make_dyad",
]


class Frozen(BaseModel):
    """Base of every wire model: immutable, unknown fields rejected."""

    model_config = ConfigDict(frozen=True, extra="forbid")


def _to_utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError:  # e.g. 9999-12-31T23:59:59-12:00 is past the last representable time
        raise ValueError("timestamp is out of range once converted to UTC") from None


def _iso_only(value: object) -> object:
    # pydantic's lax mode would read a number (or a string of digits) as Unix seconds, so a
    # publisher's ``"published_at": 1700000000`` became a time in 2023 instead of a rejection.
    if isinstance(value, bool | int | float) or (isinstance(value, str) and _is_number(value)):
        raise ValueError("must be an ISO 8601 time with a timezone, e.g. 2026-02-08T00:00:00Z")
    if isinstance(value, str) and _naive(value):
        raise ValueError(
            "has no timezone: add Z (UTC) or an offset such as +05:30, e.g. 2026-02-08T00:00:00Z"
        )
    return value


def _naive(text: str) -> bool:
    """True when ``text`` is an ISO 8601 date-time without a timezone ("2026-02-20T09:30:00")."""
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        return False
    return parsed.tzinfo is None and "T" in text.upper()


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


UtcDatetime = Annotated[AwareDatetime, BeforeValidator(_iso_only), AfterValidator(_to_utc)]
"""A timezone-aware ISO 8601 timestamp, normalised to UTC. Naive timestamps and numbers (Unix
seconds) are rejected."""


@lru_cache(maxsize=4096)
def _check_country(code: str) -> str:
    code = code.strip().upper()
    if pycountry.countries.get(alpha_2=code) is None:
        raise ValueError(f"unknown country code {code!r}: expected ISO 3166-1 alpha-2, e.g. 'IN'")
    return code


CountryCode = Annotated[str, AfterValidator(_check_country)]
"""An ISO 3166-1 alpha-2 code (upper case), checked against pycountry's table."""


def make_dyad(a: str, b: str) -> str:
    """Return the dyad of two ISO 3166-1 alpha-2 codes: sorted, joined by ``-``.

    >>> make_dyad("IN", "CA")
    'CA-IN'

    Raises ValueError when both codes are the same country.
    """
    a, b = a.upper(), b.upper()
    if a == b:
        raise ValueError(f"a dyad needs two different countries, got {a!r} twice")
    return "-".join(sorted((a, b)))


@lru_cache(maxsize=4096)
def parse_dyad(value: str) -> str:
    """Normalise a dyad given in any order or case (``in-ca`` -> ``CA-IN``).

    Raises ValueError saying what is wrong: not two codes joined by ``-``, a code that is not
    ISO 3166-1 alpha-2 (pycountry's table), or the same country twice.
    """
    parts = value.strip().upper().split("-")
    if len(parts) != 2:
        raise ValueError(f"dyad {value!r} must be two ISO codes joined by '-', e.g. 'CA-IN'")
    a, b = (_check_country(p) for p in parts)
    return make_dyad(a, b)


Dyad = Annotated[str, AfterValidator(parse_dyad)]
"""The unordered pair of two countries, e.g. ``CA-IN`` (codes sorted; ``IN-CA`` normalises)."""


class CommitmentStatus(StrEnum):
    """Lifecycle of a commitment (DESIGN.md, "Commitments")."""

    PROPOSED = "proposed"
    UNDER_DISCUSSION = "under_discussion"
    AGREED = "agreed"
    IN_PROGRESS = "in_progress"
    FULFILLED = "fulfilled"
    PAUSED = "paused"
    POSTPONED = "postponed"
    REVERSED = "reversed"
    LAPSED = "lapsed"


class Direction(StrEnum):
    """What a commitment does to the relationship (DESIGN.md, "Commitments").

    ``cooperative``: it brings the two countries closer (an agreement, a visit, talks, restored
    services); ``restrictive``: a measure one government takes against the other (tariffs, bans,
    export controls, sanctions, expulsions, suspended services).
    """

    COOPERATIVE = "cooperative"
    RESTRICTIVE = "restrictive"


class Topic(StrEnum):
    """The fixed topic taxonomy of commitments."""

    SECURITY = "security"
    LAW_ENFORCEMENT = "law_enforcement"
    COUNTER_EXTREMISM = "counter_extremism"
    NARCOTICS = "narcotics"
    CYBER = "cyber"
    ORGANISED_CRIME = "organised_crime"
    IMMIGRATION = "immigration"
    FRAUD = "fraud"
    DIPLOMACY = "diplomacy"
    TRADE = "trade"
    ENERGY = "energy"
    NUCLEAR = "nuclear"
    CRITICAL_MINERALS = "critical_minerals"
    TECHNOLOGY = "technology"
    OTHER = "other"


class AlertKind(StrEnum):
    """Kinds of alert on ``bilateral.alerts``."""

    NEW = "commitment.new"
    STATUS_CHANGED = "commitment.status_changed"
    REVERSED = "commitment.reversed"
    DEADLINE_APPROACHING = "commitment.deadline_approaching"
    DEADLINE_MISSED = "commitment.deadline_missed"
    CONTRADICTED = "commitment.contradicted"

    @classmethod
    def parse(cls, name: str) -> AlertKind:
        """The kind from its full (``commitment.reversed``) or short (``reversed``) name.
        Raises ValueError naming every kind for anything else."""
        full = name if name.startswith("commitment.") else f"commitment.{name}"
        try:
            return cls(full)
        except ValueError:
            kinds = ", ".join(k.value for k in cls)
            raise ValueError(f"kind {name!r}: one of {kinds}") from None


class Severity(StrEnum):
    """Alert severity."""

    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


class DueKind(StrEnum):
    """How a due window binds.

    ``window``: the thing should happen inside [start, end] ("in the first week of March");
    ``deadline``: by ``end`` at the latest ("by the end of 2026", "within the year");
    ``until``: the commitment holds until ``end`` ("extend the pause until August 18"); its
    passing is the end of an agreed period, not a missed deadline.
    """

    WINDOW = "window"
    DEADLINE = "deadline"
    UNTIL = "until"


class Due(Frozen):
    """When a commitment is due. Dates are calendar days (UTC); ``end`` is inclusive."""

    start: date | None = None
    end: date
    kind: DueKind = DueKind.DEADLINE
    text: str = Field(default="", description="the words the window was read from")


__all__ += ["Due", "DueKind"]
