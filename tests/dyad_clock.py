"""Events of two dyads for the per-dyad event-time tests (embedded and Kafka).

AU-JP's story runs from January to June and has its own deadline (end of April); CA-IN's
February article, published after it, agrees to something due by the end of March, and a later
CA-IN article of April moves CA-IN's own clock past that deadline.
"""

from __future__ import annotations

from datetime import UTC, datetime

from schemas.events import NewsArticle, Source

__all__ = ["A", "B", "a_story", "b_april", "b_february"]

A = "AU-JP"
B = "CA-IN"


def _news(event_id: str, when: datetime, body: str) -> NewsArticle:
    return NewsArticle(event_id=event_id, published_at=when, source=Source(name="Wire"), body=body)


def a_story() -> list[NewsArticle]:
    """AU-JP: an agreement due by the end of April (January), then a meeting in June."""
    return [
        _news(
            "clock-a-1",
            datetime(2026, 1, 12, 9, tzinfo=UTC),
            "Australia and Japan agreed to sign a customs arrangement by the end of April, "
            "officials said.",
        ),
        _news(
            "clock-a-2",
            datetime(2026, 6, 2, 9, tzinfo=UTC),
            "Australian and Japanese officials met in Tokyo on Monday to discuss hydrogen exports.",
        ),
    ]


def b_february() -> NewsArticle:
    """CA-IN, dated February: an agreement due by the end of March."""
    return _news(
        "clock-b-1",
        datetime(2026, 2, 10, 9, tzinfo=UTC),
        "Canada and India agreed to restore visa services by the end of March, officials said.",
    )


def b_april() -> NewsArticle:
    """CA-IN, dated April: a meeting (no word on the visa services)."""
    return _news(
        "clock-b-2",
        datetime(2026, 4, 14, 9, tzinfo=UTC),
        "Canadian and Indian trade ministers met in Ottawa on Tuesday to discuss critical "
        "minerals, officials said.",
    )
