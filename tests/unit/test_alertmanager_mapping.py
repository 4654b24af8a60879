"""Commitments as Alertmanager alerts (DESIGN.md "Alertmanager"), without an Alertmanager: the
labels and annotations of one commitment, and the alert stream folded into what to post."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from schemas.common import Direction
from service.domain.attention import needs_attention
from service.runtime.alertmanager import (
    AmAlert,
    StreamSync,
    alertmanager_url,
    commitment_alert,
    plan,
    store_alerts,
)
from service.runtime.embedded import EmbeddedRuntime
from service.runtime.inputs import Rejected

NOW = datetime(2026, 12, 1, tzinfo=UTC)


@pytest.fixture
def dev_runtime(tmp_path, seed, dev_items):
    """An embedded store holding the seed article and the dev sequence."""
    runtime = EmbeddedRuntime(tmp_path / "s", now=lambda: NOW)
    runtime.ingest([seed])
    runtime.ingest([i for i in dev_items if not isinstance(i, Rejected)])
    yield runtime
    runtime.close()


def test_labels_and_annotations_of_the_dev_sequence(dev_runtime):
    desired, scope = store_alerts(dev_runtime, NOW)
    state = dev_runtime.state("CA-IN")
    attention = [c for c in state.commitments if needs_attention(c)]
    assert {c.status.value for c in attention} >= {"reversed", "lapsed"}
    by_id = {a.labels["commitment_id"]: a for a in desired}
    assert set(by_id) == {c.id for c in attention}
    last_reason = {a.commitment.id: a.reason for a in dev_runtime.alerts("CA-IN")}
    for c in attention:
        alert = by_id[c.id]
        camel = "".join(w.capitalize() for w in c.status.value.split("_"))
        assert alert.labels == {
            "alertname": f"Commitment{camel}",
            "dyad": "CA-IN",
            "commitment_id": c.id,
            "status": c.status.value,
            "direction": "cooperative",
            "severity": "critical" if c.status.value == "reversed" else "warning",
        }
        assert alert.annotations["summary"] == c.title
        assert alert.annotations["description"] == last_reason[c.id]
        assert alert.starts_at == c.status_history[-1].at
        assert "endsAt" not in alert.to_json()
    assert "CA-IN" in scope


def test_evidence_url_comes_from_the_source_of_the_evidence(tmp_path, seed, dev_items):
    with_url = []
    for item in dev_items:
        if isinstance(item, Rejected):
            continue
        if item.event_id == "dev-008":  # the reversal
            source = item.source.model_copy(update={"url": "https://example.org/dev-008"})
            item = item.model_copy(update={"source": source})
        with_url.append(item)
    with EmbeddedRuntime(tmp_path / "s", now=lambda: NOW) as runtime:
        runtime.ingest([seed, *with_url])
        desired, _ = store_alerts(runtime, NOW)
    urls = {a.labels["status"]: a.annotations.get("evidence_url") for a in desired}
    assert urls["reversed"] == "https://example.org/dev-008"
    assert urls["lapsed"] is None


def test_contested_and_restrictive_commitments(dev_runtime):
    state = dev_runtime.state("CA-IN")
    calm = next(c for c in state.commitments if c.status.value == "in_progress")
    assert commitment_alert(calm, reason=None, now=NOW) is None
    contested = commitment_alert(calm.model_copy(update={"contested": True}), reason="x", now=NOW)
    assert contested is not None and contested.labels["alertname"] == "CommitmentContested"
    assert contested.labels["status"] == "in_progress"

    def restrictive(base):
        return base.model_copy(update={"direction": Direction.RESTRICTIVE})

    measure = commitment_alert(restrictive(calm), reason="imposed", now=NOW)
    assert measure is not None
    assert measure.labels["alertname"] == "CommitmentInProgress"
    assert measure.labels["direction"] == "restrictive"
    reversed_ = next(c for c in state.commitments if c.status.value == "reversed")
    assert commitment_alert(restrictive(reversed_), reason="lifted", now=NOW) is None


def test_plan_resolves_only_stale_alerts_of_its_own_dyads(dev_runtime):
    desired, scope = store_alerts(dev_runtime, NOW)
    stale = AmAlert(
        labels={**desired[0].labels, "alertname": "CommitmentPaused", "status": "paused"},
        annotations={"summary": "s"},
        starts_at=NOW - timedelta(days=3),
    )
    elsewhere = AmAlert(labels={**stale.labels, "dyad": "FR-DE"}, annotations={}, starts_at=NOW)
    firing, resolved = plan(desired, [*desired, stale, elsewhere], scope, NOW)
    assert firing == desired
    assert [a.key for a in resolved] == [stale.key] and resolved[0].ends_at == NOW


def test_the_alert_stream_folds_to_the_store_s_view(dev_runtime):
    """Folding the alerts in emission order fires exactly what the store says needs attention,
    and every label set that stopped firing is resolved, once."""
    sync = StreamSync()
    posted: list[AmAlert] = []
    for alert in dev_runtime.alerts():
        sync.observe(alert, NOW)
        posted += sync.due(NOW)
    desired, _ = store_alerts(dev_runtime, NOW)
    assert {a.key for a in sync.firing} == {a.key for a in desired}
    fired = {a.key for a in posted if a.firing}
    resolved = [a.key for a in posted if not a.firing]
    assert len(resolved) == len(set(resolved))
    assert set(resolved) == fired - {a.key for a in desired}
    names = {dict(k)["alertname"] for k in resolved}
    assert {"CommitmentPaused", "CommitmentPostponed"} <= names  # cyber talks resumed, visit held
    assert sync.due(NOW) == []  # nothing changed: nothing to post
    assert {a.key for a in sync.due(NOW, resend=True)} == {a.key for a in desired}


def test_a_batch_that_failed_is_sent_again(dev_runtime):
    sync = StreamSync()
    alerts = dev_runtime.alerts()
    for alert in alerts:
        sync.observe(alert, NOW)
    first = sync.due(NOW)
    sync.failed(first)
    assert [a.key for a in sync.due(NOW)] == [a.key for a in first]


@pytest.mark.parametrize("bad", ["nope", "ftp://h:9093", "http://", "http://h:99999", "http://h?x"])
def test_a_bad_url_is_refused(bad):
    with pytest.raises(ValueError, match="not an Alertmanager URL"):
        alertmanager_url(bad)
    assert alertmanager_url(" http://127.0.0.1:9093/ ") == "http://127.0.0.1:9093"
