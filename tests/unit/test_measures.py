"""Measures and the direction of commitments: schema, identity, severities, needs_attention."""

from __future__ import annotations

import json

import pytest

from schemas.codec import decode_alert, decode_observation, encode
from schemas.common import AlertKind, CommitmentStatus, Direction, DueKind, Severity
from schemas.observations import ClockTick, CommitmentKind, CommitmentObservation
from schemas.state import Commitment
from service.domain import rules
from service.domain.identity import compatible, match, similarity
from service.domain.projection import DyadProjection, project
from tests.unit.factories import at, obs

S = CommitmentStatus
D = Direction
M = CommitmentKind.MEASURE
R = D.RESTRICTIVE

TARIFF = ["tariff", "steel"]


def tariff(event_id: str, day: str, signal: CommitmentStatus, **kw) -> CommitmentObservation:
    kw.setdefault("kind", M)
    kw.setdefault("direction", R)
    return obs(event_id, day, signal, TARIFF, **kw)


def commitment_of(*log) -> Commitment:
    states, _ = project(log)
    (c,) = states["CA-IN"].commitments
    return c


def with_status(c: Commitment, status: CommitmentStatus, *, contested: bool = False) -> Commitment:
    return c.model_copy(update={"status": status, "contested": contested})


# -- schema ----------------------------------------------------------------------------------


def test_commitment_takes_kind_and_direction_from_its_creating_observation():
    c = commitment_of(tariff("e1", "2026-01-01", S.AGREED))
    assert (c.kind, c.direction) == (M, R)
    plain = commitment_of(obs("e1", "2026-01-01", S.AGREED, ["work", "plan"]))
    assert (plain.kind, plain.direction) == (CommitmentKind.ACTION, D.COOPERATIVE)


def test_old_observation_json_without_direction_decodes_as_cooperative():
    data = json.loads(encode(tariff("e1", "2026-01-01", S.AGREED)))
    assert data.pop("direction") == "restrictive"
    decoded = decode_observation(json.dumps(data))
    assert decoded.direction is D.COOPERATIVE and decoded.kind is M


def test_old_alert_and_stored_state_without_direction_decode_as_cooperative():
    proj = DyadProjection("CA-IN")
    (alert,) = proj.apply(obs("e1", "2026-01-01", S.AGREED, ["work", "plan"]))
    data = json.loads(encode(alert))
    del data["commitment"]["direction"]
    assert decode_alert(json.dumps(data)) == alert
    stored = proj.to_dict()
    for c in stored["commitments"]:
        del c["direction"]
    assert DyadProjection.from_dict(stored).snapshot() == proj.snapshot()


# -- identity --------------------------------------------------------------------------------


def test_a_measure_is_compatible_only_with_a_measure():
    assert compatible(M, M)
    for other in CommitmentKind:
        if other is not M:
            assert not compatible(M, other) and not compatible(other, M)


def test_same_words_of_another_kind_or_direction_are_another_commitment():
    measure = commitment_of(tariff("e1", "2026-01-01", S.AGREED))
    assert similarity(tariff("e2", "2026-01-02", S.IN_PROGRESS), measure) > 0
    as_action = tariff("e2", "2026-01-02", S.AGREED, kind=CommitmentKind.ACTION)
    cooperative = tariff("e3", "2026-01-02", S.AGREED, direction=D.COOPERATIVE)
    for other in (as_action, cooperative):
        assert similarity(other, measure) == 0.0
        assert match(other, [measure]) is None
    states, _ = project([tariff("e1", "2026-01-01", S.AGREED), as_action, cooperative])
    assert len(states["CA-IN"].commitments) == 3


# -- alert severities ------------------------------------------------------------------------


def test_restrictive_measure_imposed_is_a_new_warning():
    _, alerts = project([tariff("e1", "2026-01-01", S.AGREED)])
    (alert,) = alerts
    assert (alert.kind, alert.severity) == (AlertKind.NEW, Severity.WARNING)
    assert alert.reason.startswith("New restrictive measure (announced): tariff steel")


def test_restrictive_measure_lifecycle_warns_while_in_force_and_informs_when_it_eases():
    _, alerts = project(
        [
            tariff("e1", "2026-01-01", S.AGREED),
            tariff("e2", "2026-02-01", S.IN_PROGRESS),
            tariff("e3", "2026-03-01", S.PAUSED),
            tariff("e4", "2026-04-01", S.IN_PROGRESS),
            tariff("e5", "2026-05-01", S.REVERSED),
        ]
    )
    assert [(a.kind, a.severity, a.commitment.status) for a in alerts] == [
        (AlertKind.NEW, Severity.WARNING, S.AGREED),
        (AlertKind.STATUS_CHANGED, Severity.WARNING, S.IN_PROGRESS),
        (AlertKind.STATUS_CHANGED, Severity.INFO, S.PAUSED),
        (AlertKind.STATUS_CHANGED, Severity.WARNING, S.IN_PROGRESS),
        (AlertKind.REVERSED, Severity.INFO, S.REVERSED),
    ]
    assert alerts[1].reason.startswith("Measure announced -> in effect: tariff steel")
    assert alerts[2].reason.startswith("Measure in effect -> suspended")
    assert alerts[-1].reason.startswith("Measure lifted (was in effect): tariff steel")
    assert alerts[-1].previous_status == S.IN_PROGRESS


def test_restrictive_measure_first_reported_lifted_is_info():
    (alert,) = project([tariff("e1", "2026-01-01", S.REVERSED)])[1]
    assert (alert.kind, alert.severity) == (AlertKind.NEW, Severity.INFO)
    assert "measure (lifted)" in alert.reason


@pytest.mark.parametrize("kind", [CommitmentKind.ACTION, CommitmentKind.MEASURE])
def test_cooperative_reversed_stays_critical(kind):
    _, alerts = project(
        [
            obs("e1", "2026-01-01", S.AGREED, ["visa", "services"], kind=kind),
            obs("e2", "2026-02-01", S.REVERSED, ["visa", "services"], kind=kind),
            obs("e3", "2026-02-01", S.REVERSED, ["consular", "camps"], kind=kind, n=1),
        ]
    )
    assert [(a.kind, a.severity) for a in alerts] == [
        (AlertKind.NEW, Severity.INFO),
        (AlertKind.REVERSED, Severity.CRITICAL),
        (AlertKind.NEW, Severity.CRITICAL),
    ]
    if kind is CommitmentKind.ACTION:  # the long-standing wording of a cooperative commitment
        want = "New agreed commitment: visa services, reported by Wire (officials)."
        assert alerts[0].reason == want
        assert alerts[1].reason.startswith("Reversed (was agreed): visa services")
    else:
        assert alerts[1].reason.startswith("Measure revoked (was announced): visa services")


def test_severity_depends_on_direction_and_status():
    base = commitment_of(tariff("e1", "2026-01-01", S.AGREED))
    cooperative = base.model_copy(update={"direction": D.COOPERATIVE})
    worse = {S.PROPOSED, S.UNDER_DISCUSSION, S.AGREED, S.IN_PROGRESS, S.FULFILLED}
    for status in CommitmentStatus:
        want = Severity.WARNING if status in worse else Severity.INFO
        assert rules.severity(with_status(base, status)) == want, status
        want = {
            S.REVERSED: Severity.CRITICAL,
            S.PAUSED: Severity.WARNING,
            S.POSTPONED: Severity.WARNING,
        }.get(status, Severity.INFO)
        assert rules.severity(with_status(cooperative, status)) == want, status


def test_restrictive_measure_deadline_warns_ahead_and_never_lapses():
    due = (None, "2026-03-01", DueKind.DEADLINE)
    log = [
        tariff("e1", "2026-02-01", S.AGREED, due=due),
        ClockTick(at=at("2026-02-25")),
        ClockTick(at=at("2026-02-27")),
        ClockTick(at=at("2026-04-01")),
    ]
    states, alerts = project(log)
    assert [(a.kind, a.severity) for a in alerts] == [
        (AlertKind.NEW, Severity.WARNING),
        (AlertKind.DEADLINE_APPROACHING, Severity.WARNING),
    ]
    assert "the measure tariff steel" in alerts[1].reason
    assert states["CA-IN"].commitments[0].status == S.AGREED
    # The same log of a cooperative commitment lapses, as before.
    cooperative = [tariff("e1", "2026-02-01", S.AGREED, due=due, direction=D.COOPERATIVE)]
    states, alerts = project(cooperative + log[1:])
    assert [(a.kind, a.severity) for a in alerts] == [
        (AlertKind.NEW, Severity.INFO),
        (AlertKind.DEADLINE_APPROACHING, Severity.INFO),
        (AlertKind.DEADLINE_MISSED, Severity.WARNING),
    ]
    assert states["CA-IN"].commitments[0].status == S.LAPSED


# -- needs_attention -------------------------------------------------------------------------


@pytest.mark.parametrize("status", list(CommitmentStatus))
def test_needs_attention_follows_direction_and_status(status):
    restrictive = commitment_of(tariff("e1", "2026-01-01", S.AGREED))
    cooperative = restrictive.model_copy(update={"direction": D.COOPERATIVE})
    coop_firing = {S.PAUSED, S.POSTPONED, S.LAPSED, S.REVERSED}
    restr_firing = {S.AGREED, S.IN_PROGRESS}
    assert rules.needs_attention(with_status(cooperative, status)) == (status in coop_firing)
    assert rules.needs_attention(with_status(restrictive, status)) == (status in restr_firing)
    # Contested: sources disagree, whatever the status and direction.
    assert rules.needs_attention(with_status(cooperative, status, contested=True))
    assert rules.needs_attention(with_status(restrictive, status, contested=True))


def test_needs_attention_of_a_projected_lifecycle():
    log = [
        tariff("e1", "2026-01-01", S.AGREED),
        tariff("e2", "2026-02-01", S.PAUSED),
        tariff("e3", "2026-03-01", S.IN_PROGRESS),
        tariff("e4", "2026-04-01", S.REVERSED),
    ]
    proj = DyadProjection("CA-IN")
    firing = []
    for item in log:
        proj.apply(item)
        (c,) = proj.commitments.values()
        firing.append(rules.needs_attention(c))
    assert firing == [True, False, True, False]
