"""Outbound events: alerts (``bilateral.alerts``, keyed by dyad) and dead letters."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from schemas.common import AlertKind, CommitmentStatus, Dyad, Frozen, Severity, UtcDatetime
from schemas.observations import Evidence
from schemas.state import Commitment

__all__ = ["Alert", "DeadLetter"]


class Alert(Frozen):
    """A change a subscriber should know about.

    ``alert_id`` is deterministic (a hash of dyad, commitment, kind and what triggered it), so the
    same input never yields two alerts with different ids; subscribers deduplicate on it.
    ``event_time`` is when it happened in the story (UTC); ``emitted_at`` is the wall-clock time of
    emission and is the only field that may differ when an alert is delivered again.
    """

    type: Literal["alert"] = "alert"
    alert_id: str
    kind: AlertKind
    severity: Severity
    dyad: Dyad
    commitment: Commitment
    previous_status: CommitmentStatus | None = None
    reason: str
    evidence: Evidence | None = None
    event_time: UtcDatetime
    emitted_at: UtcDatetime


class DeadLetter(Frozen):
    """A rejected input message, kept whole with the reason a person can act on.

    ``original`` is the original bytes decoded as UTF-8 where possible, else ``original_b64``
    holds them base64-encoded. ``topic``/``partition``/``offset`` locate the message on Kafka;
    ``file``/``line`` locate it in a file given to the CLI.
    """

    type: Literal["dead_letter"] = "dead_letter"
    dead_letter_id: str
    reason: str
    field: str | None = Field(default=None, description="the offending field, where one is known")
    event_id: str | None = None
    original: str | None = None
    original_b64: str | None = None
    topic: str | None = None
    partition: int | None = None
    offset: int | None = None
    key: str | None = None
    file: str | None = None
    line: int | None = None
    rejected_at: UtcDatetime
