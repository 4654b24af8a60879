"""One event id, one event: how both runtimes tell a repeated event from a conflicting one.

``event_id`` is the publisher's stable id and the dedup key. The same event published twice
(identical once decoded and normalised: the same instant in another UTC offset, an older
``schema_version`` that upcasts to the same fields) is a quiet no-op. Another event under an id
already accepted is a *conflict*: it is dead-lettered with :func:`conflict_reason` and the first
version stands, so the log never depends on which copy a worker happened to see last.
"""

from __future__ import annotations

import hashlib

from schemas.codec import encode
from schemas.events import NewsArticle, OfficialStatement

__all__ = ["CONFLICT", "conflict_reason", "fingerprint"]

CONFLICT = "conflict"
"""The head of a conflict's dead-letter reason (and so its ``reason`` metric label)."""


def fingerprint(event: NewsArticle | OfficialStatement) -> str:
    """sha256 (hex, 64 characters) of the event's canonical JSON (``schemas.codec.encode``).

    Two events have the same fingerprint exactly when their decoded models are equal: JSON
    whitespace, key order, a timestamp's UTC offset and upcast older versions do not count.
    """
    return hashlib.sha256(encode(event)).hexdigest()


def conflict_reason(event_id: str, first: str, other: str) -> str:
    """The dead-letter reason of an event whose ``event_id`` was accepted with another body.

    ``first`` and ``other`` are the two fingerprints (their first 12 characters are quoted).
    """
    return (
        f"{CONFLICT}: event_id {event_id!r} was already accepted with a different body "
        f"(first sha256 {first[:12]}, this one {other[:12]}); the first version stands. "
        "Publish a correction under a new event_id"
    )
