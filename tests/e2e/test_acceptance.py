"""Issue acceptance on the embedded runtime: the seed gold, the dev sequence, replay.

Reads ``../shared`` (the seed article, its hand annotation, the synthetic continuation and its
expected outcome); nothing of it is copied here.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from schemas.common import AlertKind
from service.runtime.embedded import EmbeddedRuntime, state_checksum
from service.runtime.inputs import Rejected
from tests.e2e.gold import find, sequence, subject


def _load(shared: Path, name: str) -> dict:
    return json.loads((shared / "data" / name).read_text(encoding="utf-8"))


@pytest.fixture()
def seeded(tmp_path, seed):
    with EmbeddedRuntime(tmp_path / "store") as runtime:
        runtime.ingest([seed])
        yield runtime


@pytest.fixture()
def full(tmp_path, seed, dev_items):
    with EmbeddedRuntime(tmp_path / "store") as runtime:
        first = runtime.ingest([seed])
        rest = runtime.ingest(dev_items)
        yield runtime, first, rest


# -- seed gold -------------------------------------------------------------------------------


def test_seed_gives_every_gold_commitment(seeded, shared):
    gold = _load(shared, "seed_gold.json")
    state = seeded.state("CA-IN")
    assert state is not None
    for g in gold["commitments"]:
        if g.get("optional"):
            continue
        if g["key"] == "visit_agreements":
            split = [c for c in state.commitments if c.kind == "agreement"]
            found_terms = [t for t in g["match_terms"][:4] if subject(state, t)]
            assert found_terms, "no agreement of the visit found"
            assert all(c.status == g["status"] for c in split), [c.status for c in split]
            union = {t for c in split for t in c.topics}
            assert set(g["topics"]) <= union, (g["topics"], union)
            continue
        c = find(state, g["match_terms"])
        assert c is not None, f"{g['key']} not found"
        assert c.status == g["status"], (g["key"], c.status)
        assert set(g["topics"]) <= set(c.topics), (g["key"], c.topics)
        if "due" in g:
            assert c.due is not None
            assert (str(c.due.start), str(c.due.end)) == (g["due"]["start"], g["due"]["end"])


def test_liaison_officers_are_one_commitment_with_two_sentences(seeded, shared):
    gold = {g["key"]: g for g in _load(shared, "seed_gold.json")["commitments"]}
    state = seeded.state("CA-IN")
    terms = gold["liaison_officers"]["match_terms"]
    matching = [c for c in state.commitments if sum(t in c.title.lower() for t in terms) >= 2]
    assert len(matching) == 1
    sentences = {e.sentence for e in matching[0].evidence}
    assert len(sentences) == 2


def test_seed_records_no_non_commitment(seeded, shared):
    gold = _load(shared, "seed_gold.json")
    state = seeded.state("CA-IN")
    # Each not_commitment names its sentence by its opening words, before the parenthesis.
    for item in gold["not_commitments"]:
        words = item.split("(")[0].replace("...", "").strip().lower().split()[:3]
        probe = " ".join(words)
        for c in state.commitments:
            for e in c.evidence:
                assert probe not in e.sentence.lower(), (probe, c.title)


def test_seed_records_engagements(seeded, shared):
    gold = _load(shared, "seed_gold.json")
    state = seeded.state("CA-IN")
    assert len(state.engagements) >= len(gold["engagements"])
    text = " ".join(e.title + " " + e.evidence[0].sentence for e in state.engagements)
    assert "Drouin" in text and "Anandasangaree" in text


# -- dev sequence ----------------------------------------------------------------------------


def test_dev_sequence_final_statuses_and_alert_sequences(full, shared):
    runtime, _, _ = full
    gold = {g["key"]: g for g in _load(shared, "seed_gold.json")["commitments"]}
    expected = _load(shared, "dev_expected.json")
    alerts = runtime.alerts()
    for dyad, items in expected["final"].items():
        state = runtime.state(dyad)
        assert state is not None, dyad
        for key, spec in items.items():
            if "alerts" not in spec:
                continue
            terms = spec.get("match_terms") or gold[key]["match_terms"]
            c = find(state, terms)
            assert c is not None, key
            assert c.status == spec["status"], (key, c.status)
            assert sequence(alerts, c.id, spec["alerts"]) == spec["alerts"], key
            if "due" in spec:
                assert str(c.due.end) == spec["due"]["end"], key


def test_visit_agreements_split_by_outcome(full):
    runtime, _, _ = full
    state = runtime.state("CA-IN")
    outcome = {
        "uranium": "fulfilled",
        "critical minerals": "fulfilled",
        "artificial intelligence": "under_discussion",
    }
    for word, status in outcome.items():
        found = subject(state, word)
        assert [c.status for c in found] == [status], word
    energy = [c for c in subject(state, "energy") if "uranium" not in c.title.lower()]
    assert [c.status for c in energy] == ["lapsed"]
    missed = [
        a for a in runtime.alerts(kind=AlertKind.DEADLINE_MISSED) if a.commitment.id == energy[0].id
    ]
    assert len(missed) == 1
    assert missed[0].event_time.date() <= date(2026, 4, 15)


def test_dev_sequence_rejects_duplicates_and_noise(full, shared):
    runtime, _, rest = full
    expected = _load(shared, "dev_expected.json")
    bad = expected["dead_lettered"][0]
    letters = runtime.dead_letters()
    assert [d.event_id for d in letters] == [bad["event_id"]]
    assert bad["reason_mentions"] in letters[0].reason
    assert letters[0].line is not None and letters[0].original
    assert rest.duplicates == 1
    quiet = {"dev-010", "dev-011", "dev-013"}
    for dyad in runtime.dyads():
        for c in runtime.state(dyad).commitments:
            assert not {e.event_id for e in c.evidence} & quiet, c.title
    assert set(runtime.dyads()) == {"CA-IN", "CN-US"}


def test_duplicate_changes_nothing(tmp_path, seed, dev_items):
    dup = next(i for i in dev_items if not isinstance(i, Rejected) and i.event_id == "dev-007")
    with EmbeddedRuntime(tmp_path / "s") as runtime:
        runtime.ingest([seed, *[i for i in dev_items if i is not dup]])
        before = (runtime.state("CA-IN").model_dump_json(), len(runtime.alerts()))
        again = runtime.ingest([dup])
        assert again.duplicates == 1 and again.alerts == []
        assert (runtime.state("CA-IN").model_dump_json(), len(runtime.alerts())) == before


def test_replay_is_byte_identical(full):
    runtime, _, _ = full
    states = {d: runtime.state(d).model_dump_json() for d in runtime.dyads()}
    ids = [a.alert_id for a in runtime.alerts()]
    report = runtime.replay()
    assert report["checksum_before"] == report["checksum_after"]
    assert report["alert_ids_equal"] is True
    assert {d: runtime.state(d).model_dump_json() for d in runtime.dyads()} == states
    assert sorted(a.alert_id for a in runtime.alerts()) == sorted(ids)


def test_fresh_store_gives_same_state_and_alert_ids(tmp_path, seed, dev_items, full):
    runtime, _, _ = full
    with EmbeddedRuntime(tmp_path / "other") as other:
        other.ingest([seed, *dev_items])
        assert state_checksum(other.state(d) for d in other.dyads()) == state_checksum(
            runtime.state(d) for d in runtime.dyads()
        )
        assert [a.alert_id for a in other.alerts()] == [a.alert_id for a in runtime.alerts()]


def test_as_of_equals_replaying_the_log_up_to_then(full, tmp_path, seed, dev_items):
    runtime, _, _ = full
    events = list(
        {e.event_id: e for e in [seed, *dev_items] if not isinstance(e, Rejected)}.values()
    )  # each event once (the log holds the first copy of a duplicate)
    with EmbeddedRuntime(tmp_path / "prefix") as prefix:
        for event in events:
            prefix.ingest([event])  # the log up to and including this event
            want = prefix.state("CA-IN")
            got = runtime.state("CA-IN", as_of=event.published_at)
            if want is None:
                assert got is None or got.commitments == []
            else:
                assert got.model_dump_json() == want.model_dump_json(), event.event_id


def test_mixed_v1_v2_log_replays_to_the_all_v2_state(tmp_path, seed, dev_items):
    """The dev events are version 1; the same events written as version 2 give the same state."""
    from schemas.codec import event_from_dict

    events = [seed, *[i for i in dev_items if not isinstance(i, Rejected)]]
    as_v2 = [event_from_dict(e.model_dump(mode="json")) for e in events]
    assert all(e.schema_version == 2 for e in as_v2)
    with EmbeddedRuntime(tmp_path / "mixed") as mixed, EmbeddedRuntime(tmp_path / "v2") as v2:
        mixed.ingest(dev_items)  # v1 lines upcast on read, one malformed
        mixed.ingest([seed])  # out of order on purpose: the seed is older than the rest
        v2.ingest(as_v2)
        assert mixed.replay()["checksum_before"] == mixed.replay()["checksum_after"]
        for dyad in ("CA-IN", "CN-US"):
            assert mixed.state(dyad).model_dump_json() == v2.state(dyad).model_dump_json()
