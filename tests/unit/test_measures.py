"""Measures and the direction of commitments: schema, identity, severities, needs_attention."""

from __future__ import annotations

import json

from schemas.codec import decode_alert, decode_observation, encode
from schemas.common import CommitmentStatus, Direction
from schemas.observations import CommitmentKind, CommitmentObservation
from schemas.state import Commitment
from service.domain.identity import compatible, match, similarity
from service.domain.projection import DyadProjection, project
from tests.unit.factories import obs

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
