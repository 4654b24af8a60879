"""The projection and alert rules on hand-built observations (no extractor, no broker)."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.common import AlertKind, CommitmentStatus, DueKind, Severity
from schemas.observations import ClockTick
from service.domain.projection import DyadProjection, project, refold
from tests.unit.factories import at, engagement, obs

S = CommitmentStatus
W = DueKind.WINDOW


def kinds(alerts, commitment_id=None):
    return [
        (a.kind.value, a.commitment.status.value)
        for a in alerts
        if commitment_id is None or a.commitment.id == commitment_id
    ]


def test_new_then_progress_then_restatement_is_quiet():
    log = [
        obs("e1", "2026-01-01", S.PROPOSED, ["liaison", "officer"]),
        obs("e2", "2026-01-05", S.AGREED, ["liaison", "officer"], source="Other"),
        obs("e3", "2026-01-09", S.PROPOSED, ["liaison", "officer"]),
    ]
    states, alerts = project(log)
    (c,) = states["CA-IN"].commitments
    assert c.status == S.AGREED
    assert [h.status for h in c.status_history] == [S.PROPOSED, S.AGREED]
    assert len(c.evidence) == 3
    assert kinds(alerts) == [
        ("commitment.new", "proposed"),
        ("commitment.status_changed", "agreed"),
    ]
    assert alerts[1].previous_status == S.PROPOSED


def test_seen_observation_changes_nothing():
    o = obs("e1", "2026-01-01", S.AGREED, ["work", "plan"])
    proj = DyadProjection("CA-IN")
    first = proj.apply(o)
    before = proj.snapshot().model_dump_json()
    assert len(first) == 1
    assert proj.apply(o) == []
    assert proj.snapshot().model_dump_json() == before


def test_reversal_is_critical_and_pause_is_warning():
    log = [
        obs("e1", "2026-01-01", S.AGREED, ["work", "plan"]),
        obs("e2", "2026-02-01", S.PAUSED, ["work", "plan"]),
        obs("e3", "2026-03-01", S.IN_PROGRESS, ["work", "plan"]),
        obs("e4", "2026-04-01", S.REVERSED, ["work", "plan"]),
    ]
    _, alerts = project(log)
    assert [(a.kind, a.severity) for a in alerts] == [
        (AlertKind.NEW, Severity.INFO),
        (AlertKind.STATUS_CHANGED, Severity.WARNING),
        (AlertKind.STATUS_CHANGED, Severity.INFO),
        (AlertKind.REVERSED, Severity.CRITICAL),
    ]
    assert alerts[-1].previous_status == S.IN_PROGRESS


def test_denial_from_another_source_is_a_contradiction_and_keeps_status():
    visit = ["carney", "IN"]
    log = [
        obs(
            "e1", "2026-02-08", S.PROPOSED, visit, kind="visit", due=("2026-03-01", "2026-03-07", W)
        ),
        obs(
            "e2",
            "2026-02-27",
            S.POSTPONED,
            visit,
            kind="visit",
            source="Wire A",
            due=("2026-03-25", "2026-03-31", W),
        ),
        obs(
            "e3",
            "2026-02-28",
            S.PROPOSED,
            visit,
            kind="visit",
            source="Paper B",
            denies=S.POSTPONED,
            due=("2026-03-01", "2026-03-07", W),
        ),
        obs("e4", "2026-03-27", S.FULFILLED, visit, kind="visit", may_create=False),
    ]
    states, alerts = project(log)
    assert kinds(alerts) == [
        ("commitment.new", "proposed"),
        ("commitment.status_changed", "postponed"),
        ("commitment.contradicted", "postponed"),
        ("commitment.status_changed", "fulfilled"),
    ]
    contradiction = alerts[2]
    assert contradiction.severity == Severity.WARNING
    assert "Wire A" in contradiction.reason and "Paper B" in contradiction.reason
    (c,) = states["CA-IN"].commitments
    assert c.status == S.FULFILLED and not c.contested
    # The disputed due window did not replace the postponed one.
    assert str(c.due.start) == "2026-03-25"


def test_window_lapses_when_the_clock_passes_it():
    log = [
        obs(
            "e1",
            "2026-03-01",
            S.PROPOSED,
            ["energy"],
            kind="agreement",
            due=("2026-03-25", "2026-03-31", W),
        ),
        ClockTick(at=at("2026-03-31", 23)),
        ClockTick(at=at("2026-04-15")),
    ]
    states, alerts = project(log)
    (c,) = states["CA-IN"].commitments
    assert c.status == S.LAPSED
    assert c.status_history[-1].at == at("2026-04-01")
    missed = [a for a in alerts if a.kind == AlertKind.DEADLINE_MISSED]
    assert len(missed) == 1 and missed[0].previous_status == S.PROPOSED
    assert missed[0].event_time == at("2026-04-01")


def test_until_period_end_is_not_a_missed_deadline():
    log = [
        obs(
            "e1",
            "2026-05-21",
            S.AGREED,
            ["tariff", "pause"],
            dyad="CN-US",
            due=(None, "2026-08-18", DueKind.UNTIL),
        ),
        ClockTick(at=at("2026-09-01")),
    ]
    states, alerts = project(log)
    assert states["CN-US"].commitments[0].status == S.AGREED
    assert [a.kind for a in alerts] == [AlertKind.NEW]


def test_deadline_approaching_fires_once_in_the_lead_up():
    log = [
        obs(
            "e1",
            "2026-06-01",
            S.AGREED,
            ["customs", "data"],
            due=(None, "2026-06-30", DueKind.DEADLINE),
        ),
        ClockTick(at=at("2026-06-20")),
        ClockTick(at=at("2026-06-25")),
        ClockTick(at=at("2026-06-27")),
    ]
    _, alerts = project(log)
    approaching = [a for a in alerts if a.kind == AlertKind.DEADLINE_APPROACHING]
    assert len(approaching) == 1 and approaching[0].event_time == at("2026-06-25")


def test_fulfilled_before_deadline_never_lapses():
    log = [
        obs(
            "e1",
            "2026-06-01",
            S.AGREED,
            ["customs", "data"],
            due=(None, "2026-06-30", DueKind.DEADLINE),
        ),
        obs("e2", "2026-06-10", S.FULFILLED, ["customs", "data"]),
        ClockTick(at=at("2026-12-01")),
    ]
    states, alerts = project(log)
    assert states["CA-IN"].commitments[0].status == S.FULFILLED
    assert AlertKind.DEADLINE_MISSED not in [a.kind for a in alerts]


def test_fulfilment_only_mention_creates_nothing():
    states, alerts = project([obs("e1", "2026-01-01", S.FULFILLED, ["x"], may_create=False)])
    assert states["CA-IN"].commitments == [] and alerts == []


def test_two_outlets_raise_confidence():
    one, _ = project([obs("e1", "2026-01-01", S.AGREED, ["work", "plan"], confidence=0.6)])
    two, _ = project(
        [
            obs("e1", "2026-01-01", S.AGREED, ["work", "plan"], confidence=0.6),
            obs("e2", "2026-01-02", S.AGREED, ["work", "plan"], confidence=0.5, source="Other"),
        ]
    )
    assert two["CA-IN"].commitments[0].confidence > one["CA-IN"].commitments[0].confidence
    assert two["CA-IN"].commitments[0].confidence == round(1 - 0.4 * 0.5, 3)


def test_engagements_are_recorded_not_commitments():
    states, alerts = project([engagement("e1", "2026-01-01", "Talks in Ottawa")])
    assert states["CA-IN"].commitments == [] and alerts == []
    assert [e.title for e in states["CA-IN"].engagements] == ["Talks in Ottawa"]


def test_late_observation_refold_matches_sorted_fold():
    early = obs(
        "e1", "2026-01-01", S.AGREED, ["work", "plan"], due=(None, "2026-02-01", DueKind.DEADLINE)
    )
    done = obs("e2", "2026-01-20", S.FULFILLED, ["work", "plan"])
    # Arrival order: the tick passes the deadline before the (earlier) fulfilment arrives.
    proj = DyadProjection("CA-IN")
    proj.apply(early)
    proj.tick(ClockTick(at=at("2026-03-01")))
    assert proj.is_late(done)
    rebuilt, _ = refold("CA-IN", [early, done], clock=proj.clock, emitted=proj.emitted)
    in_order, _ = refold("CA-IN", [done, early], clock=at("2026-03-01"))
    assert rebuilt.snapshot() == in_order.snapshot()
    assert rebuilt.snapshot().commitments[0].status == S.FULFILLED


# -- properties ------------------------------------------------------------------------------

_TERMS = [["work", "plan"], ["liaison", "officer"], ["cyber"], ["energy"]]
_SIGNALS = [s for s in S if s != S.LAPSED]


@st.composite
def observation_logs(draw):
    n = draw(st.integers(min_value=1, max_value=12))
    log = []
    for i in range(n):
        day = f"2026-{draw(st.integers(1, 12)):02d}-{draw(st.integers(1, 28)):02d}"
        due = draw(
            st.sampled_from(
                [None, (None, "2026-06-30", DueKind.DEADLINE), ("2026-05-01", "2026-05-07", W)]
            )
        )
        log.append(
            obs(
                f"e{i:02d}",
                day,
                draw(st.sampled_from(_SIGNALS)),
                draw(st.sampled_from(_TERMS)),
                source=draw(st.sampled_from(["A", "B"])),
                due=due,
                denies=draw(st.sampled_from([None, S.POSTPONED, S.AGREED])),
            )
        )
    return log


@settings(max_examples=150, deadline=None)
@given(observation_logs())
def test_fold_all_at_once_equals_one_by_one_through_storage(log):
    """Folding the sorted log at once == applying one observation at a time with the state
    serialised to JSON and restored between steps (as a table does)."""
    whole, whole_alerts = refold("CA-IN", log)
    stored = json.dumps(DyadProjection("CA-IN").to_dict())
    step_alerts = []
    for o in sorted(log, key=lambda x: (x.event_time, x.event_id)):
        proj = DyadProjection.from_dict(json.loads(stored))
        step_alerts.extend(proj.apply(o))
        stored = json.dumps(proj.to_dict())
    final = DyadProjection.from_dict(json.loads(stored))
    assert final.snapshot().model_dump_json() == whole.snapshot().model_dump_json()
    assert [a.alert_id for a in step_alerts] == [a.alert_id for a in whole_alerts]


@settings(max_examples=100, deadline=None)
@given(observation_logs(), st.randoms(use_true_random=False))
def test_state_does_not_depend_on_arrival_order(log, rnd):
    shuffled = list(log)
    rnd.shuffle(shuffled)
    a, _ = refold("CA-IN", log)
    b, _ = refold("CA-IN", shuffled)
    assert a.snapshot().model_dump_json() == b.snapshot().model_dump_json()


def test_candidate_index_finds_what_a_full_scan_finds(seed, dev_items):
    """The projection only asks identity about commitments sharing a key term; a full scan over
    every commitment must pick the same one for every observation of the dev story."""
    from service.domain import identity
    from service.domain.extraction import extract
    from service.runtime.inputs import Rejected

    proj = DyadProjection("CA-IN")
    checked = 0
    for event in [seed, *[i for i in dev_items if not isinstance(i, Rejected)]]:
        for o in extract(event):
            if o.dyad != "CA-IN":
                continue
            if hasattr(o, "signal"):
                full = identity.match(o, list(proj.commitments.values()))
                assert identity.match(o, proj._candidates(o)) == full
                checked += 1
            proj.apply(o)
    assert checked >= 10


def test_what_is_due_with_a_visit_moves_with_it():
    """Agreements read from the visit's sentence keep the visit's window when it is postponed;
    an unrelated commitment with the same window does not move."""
    first = ("2026-03-01", "2026-03-07", W)
    visit = obs("e1", "2026-02-08", S.PROPOSED, ["carney", "IN"], kind="visit", due=first)
    signing = obs("e1", "2026-02-08", S.PROPOSED, ["uranium"], n=1, kind="agreement", due=first)
    other = obs("e0", "2026-02-01", S.AGREED, ["rail"], kind="agreement", due=first)
    # The same sentence carries both mentions.
    signing = signing.model_copy(update={"evidence": visit.evidence})
    moved = obs(
        "e2",
        "2026-02-27",
        S.POSTPONED,
        ["carney", "IN"],
        kind="visit",
        due=("2026-03-25", "2026-03-31", W),
    )
    states, alerts = project([other, visit, signing, moved, ClockTick(at=at("2026-03-20"))])
    by_terms = {tuple(c.key_terms): c for c in states["CA-IN"].commitments}
    assert str(by_terms[("uranium",)].due.start) == "2026-03-25"
    assert by_terms[("uranium",)].status == S.PROPOSED
    assert by_terms[("rail",)].status == S.LAPSED
    assert [a.kind for a in alerts if a.commitment.key_terms == ["uranium"]] == [AlertKind.NEW]
