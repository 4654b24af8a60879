"""Prometheus metrics (prometheus_client), one registry per running app.

Names follow Prometheus conventions: ``bilateral_`` prefix, base units (seconds), ``_total`` for
counters. Faust's bundled Prometheus sensor is not used (it has crashed consumers during a
rebalance, faust issue 214); consumer lag is computed here as end offset minus committed offset.
"""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from schemas.alerts import Alert
from schemas.common import CommitmentStatus
from schemas.state import RelationshipState

__all__ = ["CONTENT_TYPE_LATEST", "Metrics", "reason_label"]

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


def reason_label(reason: str, field: str | None = None) -> str:
    """A bounded label for a dead-letter reason: the offending field, else the failed step.

    ``published_at`` (a field), ``not UTF-8``, ``not JSON``, ``conflict`` (an event id already
    accepted with another body), ``extraction failed``, ``projection failed``; anything else is
    ``invalid``.
    """
    if field:
        return field
    head, sep, _ = reason.partition(":")
    return head if sep and len(head) <= 40 else "invalid"


class Metrics:
    """The service's metrics in their own CollectorRegistry (several apps per process in tests)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.consumed = Counter(
            "bilateral_events_consumed_total", "Messages consumed, by topic.", ["topic"], registry=r
        )
        self.produced = Counter(
            "bilateral_events_produced_total", "Messages produced, by topic.", ["topic"], registry=r
        )
        self.dead_lettered = Counter(
            "bilateral_deadletters_total",
            "Messages dead-lettered, by reason (the offending field, or the decoding step).",
            ["reason"],
            registry=r,
        )
        self.conflicts = Counter(
            "bilateral_event_conflicts_total",
            "Inbound events dead-lettered because their event_id was already accepted with a "
            "different body (the first version stands).",
            registry=r,
        )
        self.alerts = Counter(
            "bilateral_alerts_total",
            "Alerts emitted, by kind and severity.",
            ["kind", "severity"],
            registry=r,
        )
        self.latency = Histogram(
            "bilateral_processing_latency_seconds",
            "From an event received by the extractor to its alert sent by the projector.",
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.extraction = Histogram(
            "bilateral_extraction_seconds",
            "Time to extract observations from one article or statement.",
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.recovery_stalls = Counter(
            "bilateral_recovery_stalls_total",
            "Table recoveries restarted by the watchdog after making no progress, in this process "
            "image (a re-execution starts a new one; see bilateral_recovery_reexecs).",
            registry=r,
        )
        self.processing_failures = Counter(
            "bilateral_processing_failures_total",
            "Agent steps that raised (the message is read again, dead-lettered at the third "
            "failure), by agent.",
            ["agent"],
            registry=r,
        )
        self.partition_rewinds = Counter(
            "bilateral_partition_rewinds_total",
            "Partitions read again from a record that was fetched but never processed (dropped "
            "in a rebalance), by topic.",
            ["topic"],
            registry=r,
        )
        self.recovery_reexecs = Gauge(
            "bilateral_recovery_reexecs",
            "Times in a row this worker re-executed itself after a stalled table recovery "
            "(0 once a recovery completes).",
            registry=r,
        )
        self.lag = Gauge(
            "bilateral_consumer_lag_messages",
            "End offset minus committed offset, per topic and partition.",
            ["topic", "partition"],
            registry=r,
        )
        self.commitments = Gauge(
            "bilateral_commitments",
            "Commitments by dyad and status.",
            ["dyad", "status"],
            registry=r,
        )
        self.recovered = Gauge(
            "bilateral_tables_recovered",
            "1 once the tables are recovered from their changelogs, else 0.",
            registry=r,
        )

    def count_alerts(self, alerts: Iterable[Alert]) -> None:
        """Count each alert by kind and severity."""
        for alert in alerts:
            self.alerts.labels(alert.kind.value, alert.severity.value).inc()

    def set_commitments(self, state: RelationshipState) -> None:
        """Set the commitments-by-status gauge of one dyad from its state."""
        counts: dict[str, int] = {}
        for c in state.commitments:
            counts[c.status.value] = counts.get(c.status.value, 0) + 1
        for status in CommitmentStatus:
            self.commitments.labels(state.dyad, status.value).set(counts.get(status.value, 0))

    def render(self) -> bytes:
        """The registry in the Prometheus text exposition format."""
        return generate_latest(self.registry)
