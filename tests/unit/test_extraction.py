"""Extraction on the seed article and the dev events (acceptance data in ../shared)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from schemas.codec import DecodeError, decode_event
from schemas.common import CommitmentStatus, DueKind, Topic
from schemas.events import NewsArticle, OfficialStatement, Source, SourceKind
from schemas.observations import (
    Attribution,
    CommitmentKind,
    CommitmentObservation,
    EngagementObservation,
)
from service.domain.extraction import extract

Event = NewsArticle | OfficialStatement


def commitments(event: Event) -> list[CommitmentObservation]:
    return [o for o in extract(event) if isinstance(o, CommitmentObservation)]


def engagements(event: Event) -> list[EngagementObservation]:
    return [o for o in extract(event) if isinstance(o, EngagementObservation)]


def having(obs: list[CommitmentObservation], *terms: str) -> list[CommitmentObservation]:
    """Observations whose key terms include every one of ``terms``."""
    return [o for o in obs if all(t in o.key_terms for t in terms)]


def one(obs: list[CommitmentObservation], *terms: str) -> CommitmentObservation:
    found = having(obs, *terms)
    assert len(found) == 1, (terms, [(o.title, o.key_terms) for o in obs])
    return found[0]


@pytest.fixture(scope="module")
def dev(shared: Path) -> dict[str, Event]:
    events: dict[str, Event] = {}
    for line in (shared / "data" / "dev_events.jsonl").read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        try:
            event = decode_event(line)
        except DecodeError:
            continue
        events.setdefault(event.event_id, event)
    return events


@pytest.fixture(scope="module")
def gold(shared: Path) -> dict:
    return json.loads((shared / "data" / "seed_gold.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def seed_obs(seed: NewsArticle) -> list[CommitmentObservation]:
    return commitments(seed)


# --- envelope of every observation -------------------------------------------------------------


def test_ids_times_and_spans(seed: NewsArticle) -> None:
    out = extract(seed)
    assert out, "the seed article yields observations"
    for n, o in enumerate(out):
        assert o.observation_id == f"dev-001#{n}"
        assert o.event_id == "dev-001"
        assert o.event_time == seed.published_at
        assert o.dyad == "CA-IN"
        start, end = o.evidence.span
        assert seed.body[start:end] == o.evidence.sentence
        assert o.evidence.source == "CNN-News18"


def test_deterministic(seed: NewsArticle) -> None:
    assert extract(seed) == extract(seed)


def test_no_lapsed_signal_and_confidence_range(seed_obs: list[CommitmentObservation]) -> None:
    for o in seed_obs:
        assert o.signal is not CommitmentStatus.LAPSED
        assert 0.0 < o.confidence <= 1.0


# --- the seed article against seed_gold.json -----------------------------------------------------


def test_gold_commitments_found_with_status_and_topics(
    seed_obs: list[CommitmentObservation], gold: dict
) -> None:
    by_key = {
        "shared_work_plan": having(seed_obs, "work_plan"),
        "liaison_officers": having(seed_obs, "liaison_officer"),
        "cyber_cooperation": having(seed_obs, "formalise", "cyber"),
        "fraud_immigration_talks": having(seed_obs, "fraud", "immigration"),
        "carney_visit": having(seed_obs, "carney", "IN"),
    }
    for entry in gold["commitments"]:
        if entry["key"] not in by_key:
            continue
        found = by_key[entry["key"]]
        assert found, entry["key"]
        gold_topics = {Topic(t) for t in entry["topics"]}
        assert set().union(*(o.topics for o in found)) == gold_topics, entry["key"]
        for o in found:
            assert o.signal.value == entry["status"], (entry["key"], o.signal)
            assert set(o.topics) <= gold_topics, (entry["key"], o.topics)
            text = (o.title + " " + o.evidence.sentence).lower()
            hits = [t for t in entry["match_terms"] if t.lower() in text]
            assert len(hits) >= 2, (entry["key"], o.title)


def test_liaison_officers_from_two_sentences(seed_obs: list[CommitmentObservation]) -> None:
    found = having(seed_obs, "liaison_officer", "post")
    assert len(found) == 2
    assert "decided to post" in found[0].evidence.sentence
    assert "The decision to appoint" in found[1].evidence.sentence
    assert all(o.signal is CommitmentStatus.AGREED for o in found)


def test_cyber_cooperation_agreed(seed_obs: list[CommitmentObservation]) -> None:
    o = one(seed_obs, "formalise", "cyber")
    assert o.signal is CommitmentStatus.AGREED
    assert o.topics == [Topic.CYBER]
    assert o.parties == ["CA", "IN"]
    assert "committed to formalising" in o.evidence.sentence


def test_fraud_immigration_talks_under_discussion(seed_obs: list[CommitmentObservation]) -> None:
    o = one(seed_obs, "fraud", "immigration")
    assert o.signal is CommitmentStatus.UNDER_DISCUSSION
    assert o.kind is CommitmentKind.TALKS
    assert o.evidence.sentence.startswith("They also agreed to continue discussions")
    assert o.parties == ["CA", "IN"]  # "They" = Doval and Drouin of the sentence before


def test_carney_visit_proposed_with_window(seed_obs: list[CommitmentObservation]) -> None:
    visits = [o for o in seed_obs if o.kind is CommitmentKind.VISIT]
    assert len(visits) == 2  # "likely visit by ..." and "Carney is expected to travel ..."
    for o in visits:  # who (family name, office from the gazetteer), destination, origin
        assert o.key_terms == ["carney", "prime_minister", "IN", "from_ca"]
    for o in visits:
        assert o.signal is CommitmentStatus.PROPOSED
        assert o.due is not None
        assert (o.due.start, o.due.end, o.due.kind) == (
            date(2026, 3, 1),
            date(2026, 3, 7),
            DueKind.WINDOW,
        )
        assert o.topics == [Topic.DIPLOMACY]
    assert visits[0].evidence.hedged  # "a likely visit"
    assert visits[1].evidence.attribution is Attribution.NAMED_OFFICIAL  # Dinesh Patnaik, said


def test_visit_agreements_split_per_subject(seed_obs: list[CommitmentObservation]) -> None:
    expected = {
        "uranium": {Topic.NUCLEAR, Topic.ENERGY},
        "energy": {Topic.ENERGY},
        "critical_minerals": {Topic.CRITICAL_MINERALS},
        "artificial_intelligence": {Topic.TECHNOLOGY},
    }
    agreements = [o for o in seed_obs if o.kind is CommitmentKind.AGREEMENT]
    assert [o.key_terms for o in agreements] == [[k] for k in expected]
    for o, topics in zip(agreements, expected.values(), strict=True):
        assert set(o.topics) == topics
        assert o.signal is CommitmentStatus.PROPOSED
        assert o.due is not None and (o.due.start, o.due.end) == (
            date(2026, 3, 1),
            date(2026, 3, 7),
        )


def test_intel_sharing_is_low_confidence(seed_obs: list[CommitmentObservation]) -> None:
    o = one(seed_obs, "intelligence_sharing")
    assert o.signal in (CommitmentStatus.UNDER_DISCUSSION, CommitmentStatus.PROPOSED)
    assert o.evidence.attribution is Attribution.UNNAMED_SOURCES
    firm = one(seed_obs, "work_plan")
    assert o.confidence < 0.5 < firm.confidence


def test_work_plan_attributed_to_official_statement(seed_obs: list[CommitmentObservation]) -> None:
    o = one(seed_obs, "work_plan")
    assert o.evidence.attribution is Attribution.OFFICIAL_STATEMENT
    assert o.signal is CommitmentStatus.AGREED
    assert o.confidence == pytest.approx(0.9)


@pytest.mark.parametrize(
    "phrase",
    [
        "concluded a two-day visit",
        "this step would streamline",
        "underscored Ottawa",
        "raised concerns about extremist fundraising",
        "intelligence assessments point to",
        "Canada is increasingly recognising",
        "do not have the backing",
    ],
)
def test_not_commitments(seed_obs: list[CommitmentObservation], phrase: str) -> None:
    assert not [o for o in seed_obs if phrase in o.evidence.sentence]


def test_headings_yield_nothing(seed: NewsArticle) -> None:
    for o in extract(seed):
        assert "Shift from posturing to action" not in o.evidence.sentence
        assert "\n" not in o.evidence.sentence


def test_seed_engagements(seed: NewsArticle) -> None:
    found = engagements(seed)
    titles = " | ".join(e.title for e in found)
    talks = [e for e in found if e.kind == "talks"]
    assert talks and {"Ajit Doval", "Nathalie Drouin"} <= set(talks[0].participants), titles
    meetings = [e for e in found if e.kind == "meeting"]
    assert meetings and {"Ajit Doval", "Gary Anandasangaree"} <= set(meetings[0].participants)
    assert all(e.dyad == "CA-IN" for e in found)


# --- dev events -----------------------------------------------------------------------------------


def test_dev_002_liaison_fulfilled(dev: dict[str, Event]) -> None:
    obs = commitments(dev["dev-002"])
    assert len(obs) == 1, [o.title for o in obs]
    o = obs[0]
    assert o.signal is CommitmentStatus.FULFILLED
    assert {"liaison_officer", "post"} <= set(o.key_terms)
    assert o.evidence.attribution is Attribution.OFFICIAL_STATEMENT
    assert "will handle requests" not in o.evidence.sentence


def test_dev_003_visit_postponed_and_agreements(dev: dict[str, Event]) -> None:
    obs = commitments(dev["dev-003"])
    visit = one(obs, "carney")
    assert visit.signal is CommitmentStatus.POSTPONED
    assert visit.due is not None
    assert (visit.due.start, visit.due.end, visit.due.kind) == (
        date(2026, 3, 25),
        date(2026, 3, 31),
        DueKind.WINDOW,
    )
    assert visit.evidence.attribution is Attribution.UNNAMED_SOURCES
    for term in ("uranium", "energy", "critical_minerals"):
        o = one(obs, term)
        assert o.kind is CommitmentKind.AGREEMENT
        assert o.signal is CommitmentStatus.PROPOSED
        assert o.due == visit.due


def test_dev_004_visit_on_schedule_denies_postponement(dev: dict[str, Event]) -> None:
    obs = commitments(dev["dev-004"])
    assert len(obs) == 1
    o = obs[0]
    assert o.kind is CommitmentKind.VISIT
    assert o.key_terms == ["carney", "prime_minister", "IN", "from_ca"]
    assert o.signal in (CommitmentStatus.PROPOSED, CommitmentStatus.AGREED)
    assert o.denies is CommitmentStatus.POSTPONED
    assert o.due is not None and (o.due.start, o.due.end) == (date(2026, 3, 1), date(2026, 3, 7))


def test_dev_005_visit_took_place_and_agreements(dev: dict[str, Event]) -> None:
    event = dev["dev-005"]
    obs = commitments(event)
    visit = one(obs, "carney")
    assert visit.signal is CommitmentStatus.FULFILLED
    assert visit.may_create is False
    assert any(e.kind == "visit" for e in engagements(event))
    assert one(obs, "uranium").signal is CommitmentStatus.FULFILLED
    assert one(obs, "critical_minerals").signal is CommitmentStatus.FULFILLED
    ai = one(obs, "artificial_intelligence")
    assert ai.signal is CommitmentStatus.UNDER_DISCUSSION
    assert ai.due is not None
    assert (ai.due.end, ai.due.kind) == (date(2026, 12, 31), DueKind.DEADLINE)
    assert not having(obs, "energy")


def test_dev_006_cyber_paused(dev: dict[str, Event]) -> None:
    obs = commitments(dev["dev-006"])
    assert len(obs) == 1, [o.title for o in obs]
    o = obs[0]
    assert o.signal is CommitmentStatus.PAUSED
    assert {"formalise", "cyber"} <= set(o.key_terms)
    assert "does not affect" not in o.evidence.sentence


def test_dev_007_cyber_resumed(dev: dict[str, Event]) -> None:
    obs = commitments(dev["dev-007"])
    assert len(obs) == 1
    assert obs[0].signal is CommitmentStatus.IN_PROGRESS
    assert "cyber" in obs[0].key_terms


def test_dev_008_one_observation_reversed(dev: dict[str, Event]) -> None:
    obs = commitments(dev["dev-008"])
    assert len(obs) == 1, [(o.title, o.signal) for o in obs]
    o = obs[0]
    assert o.signal is CommitmentStatus.REVERSED
    assert {"work_plan", "shared"} <= set(o.key_terms)
    assert o.due is None  # "in February" is when it was agreed, not a due date


def test_dev_009_tariff_truce(dev: dict[str, Event]) -> None:
    obs = commitments(dev["dev-009"])
    assert obs and all(o.dyad == "CN-US" for o in obs)
    first = obs[0]
    assert first.signal is CommitmentStatus.AGREED
    assert "tariff" in first.key_terms
    assert first.topics == [Topic.TRADE]
    assert first.due is not None
    assert (first.due.end, first.due.kind) == (date(2026, 8, 18), DueKind.UNTIL)
    for o in obs[1:]:
        assert o.due is not None and o.due.end == date(2026, 8, 18)


@pytest.mark.parametrize("event_id", ["dev-010", "dev-011", "dev-013"])
def test_no_commitment(dev: dict[str, Event], event_id: str) -> None:
    assert commitments(dev[event_id]) == []


def test_dev_013_has_no_dyad(dev: dict[str, Event]) -> None:
    assert extract(dev["dev-013"]) == []


def test_malformed_event_never_reaches_extraction(shared: Path) -> None:
    lines = (shared / "data" / "dev_events.jsonl").read_text(encoding="utf-8").splitlines()
    bad = [line for line in lines if '"dev-012"' in line]
    assert bad
    with pytest.raises(DecodeError, match="published_at"):
        decode_event(bad[0])


@pytest.mark.parametrize(
    "body",
    [
        "India and Canada met. " + "Markets were calm on Tuesday. " * 40_000,  # 1.2 MB
        "x" * 1_100_000,  # 1.1 MB without a space
        "India and Canada agreed to " + "build a port and " * 2_000 + "talk.",  # one long sentence
    ],
)
def test_bodies_above_spacys_length_guard_do_not_raise(body: str) -> None:
    event = NewsArticle.model_construct(
        event_id="huge",
        schema_version=2,
        type="news_article",
        published_at=datetime(2026, 1, 1, tzinfo=UTC),
        source=Source(name="Wire", kind=SourceKind.NEWS),
        headline=None,
        countries=None,
        language="en",
        body=body,
    )
    found = extract(event)
    assert all(o.event_id == "huge" for o in found)
