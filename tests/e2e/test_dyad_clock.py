"""Each dyad's deadlines are judged against its own event time (embedded runtime)."""

from __future__ import annotations

from pathlib import Path

from schemas.common import AlertKind, CommitmentStatus
from service.runtime.embedded import EmbeddedRuntime
from tests.dyad_clock import A, B, a_story, b_april, b_february


def missed(runtime: EmbeddedRuntime, dyad: str) -> list[str]:
    return [a.alert_id for a in runtime.alerts(dyad, AlertKind.DEADLINE_MISSED)]


def test_another_dyads_later_events_do_not_lapse_a_dyads_deadlines(tmp_path: Path) -> None:
    with EmbeddedRuntime(tmp_path / "store") as runtime:
        runtime.ingest(a_story())
        assert len(missed(runtime, A)) == 1  # AU-JP's own June event passes its April deadline
        result = runtime.ingest([b_february()])
        assert result.accepted == 1
        assert missed(runtime, B) == []
        state = runtime.state(B)
        assert state is not None and state.as_of == b_february().published_at
        due = [c for c in state.commitments if c.due is not None]
        assert due and all(c.status != CommitmentStatus.LAPSED for c in due)

        result = runtime.ingest([b_april()])
        assert [a.kind for a in result.alerts].count(AlertKind.DEADLINE_MISSED) == 1
        (alert,) = runtime.alerts(B, AlertKind.DEADLINE_MISSED)
        assert alert.event_time < b_april().published_at
        state = runtime.state(B)
        assert state is not None and state.as_of == b_april().published_at
        assert any(c.status == CommitmentStatus.LAPSED for c in state.commitments)
        live_ids = {a.alert_id for a in runtime.alerts()}
        live_states = {d: runtime.state(d) for d in (A, B)}

        report = runtime.replay()
        assert report["alert_ids_equal"] is True
        assert report["checksum_before"] == report["checksum_after"]

    # The same events in event-time order, one store: the same alerts and states.
    with EmbeddedRuntime(tmp_path / "sorted") as runtime:
        events = sorted([*a_story(), b_february(), b_april()], key=lambda e: e.published_at)
        runtime.ingest(events)
        assert {a.alert_id for a in runtime.alerts()} == live_ids
        assert {d: runtime.state(d) for d in (A, B)} == live_states


def test_time_travel_judges_a_dyad_at_the_time_asked(tmp_path: Path) -> None:
    with EmbeddedRuntime(tmp_path / "store") as runtime:
        runtime.ingest([*a_story(), b_february(), b_april()])
        march = runtime.state(B, as_of=b_february().published_at.replace(month=3))
        may = runtime.state(B, as_of=b_february().published_at.replace(month=5))
    assert march is not None and may is not None
    assert all(c.status != CommitmentStatus.LAPSED for c in march.commitments)
    assert any(c.status == CommitmentStatus.LAPSED for c in may.commitments)
