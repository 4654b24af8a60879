"""Inbound events: what publishers write to ``bilateral.news`` and ``bilateral.statements``."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, ValidationInfo, field_validator

from schemas.common import CountryCode, Frozen, UtcDatetime

__all__ = [
    "CURRENT_SCHEMA_VERSION",
    "DEFAULT_MAX_BODY_CHARS",
    "InboundEvent",
    "NewsArticle",
    "OfficialStatement",
    "Source",
    "SourceKind",
    "StatementKind",
]

CURRENT_SCHEMA_VERSION = 2
"""The envelope version this code writes; older versions are upcast on read (schemas.codec).

History: 1, the first contract; 2, ``title`` renamed ``headline`` (the IPTC ninjs name).
Compatibility rule: readers accept every version up to the current one. A new optional field is
added without a version bump; a rename, a removal or a change of meaning bumps the version and
comes with an upcaster from the previous one.
"""

PUBLISHED_YEARS = (1900, 2999)
"""Inclusive range of the year of ``published_at``: due dates computed from it stay in range."""

DEFAULT_MAX_BODY_CHARS = 100_000
"""Default limit of ``body`` in characters; override with validation context ``max_body_chars``."""


class SourceKind(StrEnum):
    """Who published the text."""

    NEWS = "news"
    GOVERNMENT = "government"
    AGENCY = "agency"
    ANALYST = "analyst"
    OTHER = "other"


class StatementKind(StrEnum):
    """The form of an official statement."""

    JOINT_STATEMENT = "joint_statement"
    READOUT = "readout"
    PRESS_RELEASE = "press_release"
    SPEECH = "speech"
    OTHER = "other"


class Source(Frozen):
    """The publisher of an event: a name, an optional URL, and its kind."""

    name: Annotated[str, Field(min_length=1, max_length=200)]
    url: str | None = None
    kind: SourceKind = SourceKind.NEWS


class _Envelope(Frozen):
    """Fields common to every inbound event (the envelope).

    ``event_id`` is the publisher's stable id and the dedup key; ``published_at`` must carry a
    timezone and is stored as UTC; ``body`` is limited to ``max_body_chars`` characters (validation
    context, default ``DEFAULT_MAX_BODY_CHARS``).
    """

    event_id: Annotated[str, Field(min_length=1, max_length=200, pattern=r"^\S+$")]
    schema_version: Literal[2] = CURRENT_SCHEMA_VERSION
    published_at: UtcDatetime
    source: Source
    countries: list[CountryCode] | None = Field(
        default=None, description="optional hint: the ISO codes of the countries concerned"
    )
    language: Annotated[str, Field(min_length=2, max_length=16)] = "en"
    headline: Annotated[str, Field(max_length=1000)] = ""
    body: Annotated[str, Field(min_length=1)]

    @field_validator("published_at")
    @classmethod
    def _plausible_year(cls, value: datetime) -> datetime:
        if not PUBLISHED_YEARS[0] <= value.year <= PUBLISHED_YEARS[1]:
            raise ValueError(
                f"year {value.year} is outside {PUBLISHED_YEARS[0]}..{PUBLISHED_YEARS[1]}"
            )
        return value

    @field_validator("body")
    @classmethod
    def _body_size(cls, value: str, info: ValidationInfo) -> str:
        limit = DEFAULT_MAX_BODY_CHARS
        if isinstance(info.context, dict):
            limit = int(info.context.get("max_body_chars", limit))
        if len(value) > limit:
            raise ValueError(f"body has {len(value)} characters; the limit is {limit}")
        if not value.strip():
            raise ValueError("body is blank")
        return value


class NewsArticle(_Envelope):
    """A news article (``type: news_article``)."""

    type: Literal["news_article"] = "news_article"


class OfficialStatement(_Envelope):
    """An official statement (``type: official_statement``): adds issuer and statement kind."""

    type: Literal["official_statement"] = "official_statement"
    issuer: Annotated[str, Field(min_length=1, max_length=300)]
    issuer_country: CountryCode
    statement_kind: StatementKind = StatementKind.OTHER


InboundEvent = Annotated[NewsArticle | OfficialStatement, Field(discriminator="type")]
"""Either inbound event, told apart by ``type``."""
