"""Commitment identity across sentences and articles (seed + dev events from ../shared)."""

from __future__ import annotations

from pathlib import Path

import pytest

from schemas.codec import DecodeError, decode_event
from schemas.common import CommitmentStatus, Topic
from schemas.events import NewsArticle, OfficialStatement
from schemas.observations import CommitmentKind, CommitmentObservation
from schemas.state import Commitment, StatusChange
from service.domain.extraction import extract
from service.domain.identity import MATCH_THRESHOLD, compatible, match, similarity

Event = NewsArticle | OfficialStatement


def build(obs: CommitmentObservation, n: int) -> Commitment:
    """A minimal Commitment as a projection would create it from its first observation."""
    return Commitment(
        id=f"c{n}",
        dyad=obs.dyad,
        kind=obs.kind,
        title=obs.title,
        parties=obs.parties,
        topics=obs.topics,
        status=obs.signal,
        status_history=[StatusChange(status=obs.signal, at=obs.event_time, evidence=obs.evidence)],
        due=obs.due,
        evidence=[obs.evidence],
        key_terms=obs.key_terms,
        confidence=obs.confidence,
        first_seen=obs.event_time,
        last_seen=obs.event_time,
    )


def absorb(commitment: Commitment, obs: CommitmentObservation) -> Commitment:
    """The commitment after one more mention: its terms and topics grow, status follows."""
    terms = commitment.key_terms + [t for t in obs.key_terms if t not in commitment.key_terms]
    topics = commitment.topics + [t for t in obs.topics if t not in commitment.topics]
    return commitment.model_copy(
        update={
            "key_terms": terms,
            "topics": topics,
            "status": obs.signal,
            "evidence": [*commitment.evidence, obs.evidence],
            "last_seen": obs.event_time,
        }
    )


class Ledger:
    """Folds observations into commitments with identity.match; remembers each link."""

    def __init__(self) -> None:
        self.commitments: list[Commitment] = []
        self.links: dict[str, str] = {}  # observation_id -> commitment id

    def add(self, obs: CommitmentObservation) -> str | None:
        found = match(obs, self.commitments)
        if found is None:
            if not obs.may_create:
                return None
            found = build(obs, len(self.commitments))
            self.commitments.append(found)
        else:
            updated = absorb(found, obs)
            self.commitments = [updated if c.id == found.id else c for c in self.commitments]
        self.links[obs.observation_id] = found.id
        return found.id


def commitments_of(event: Event) -> list[CommitmentObservation]:
    return [o for o in extract(event) if isinstance(o, CommitmentObservation)]


def find(obs: list[CommitmentObservation], *terms: str) -> CommitmentObservation:
    found = [o for o in obs if all(t in o.key_terms for t in terms)]
    assert len(found) == 1, (terms, [o.key_terms for o in obs])
    return found[0]


@pytest.fixture(scope="module")
def events(shared: Path, seed: NewsArticle) -> dict[str, Event]:
    out: dict[str, Event] = {"dev-001": seed}
    for line in (shared / "data" / "dev_events.jsonl").read_text(encoding="utf-8").splitlines():
        try:
            event = decode_event(line)
        except DecodeError:
            continue
        out.setdefault(event.event_id, event)
    return out


@pytest.fixture(scope="module")
def story(events: dict[str, Event]) -> tuple[Ledger, dict[str, list[CommitmentObservation]]]:
    ledger = Ledger()
    per_event: dict[str, list[CommitmentObservation]] = {}
    for event_id in sorted(events):
        per_event[event_id] = commitments_of(events[event_id])
        for obs in per_event[event_id]:
            ledger.add(obs)
    return ledger, per_event


def link(story: tuple[Ledger, dict], event_id: str, *terms: str) -> str:
    """The commitment id of the event's observations having ``terms`` (all must agree)."""
    ledger, per_event = story
    found = {
        ledger.links[o.observation_id]
        for o in per_event[event_id]
        if all(t in o.key_terms for t in terms)
    }
    assert len(found) == 1, (event_id, terms, found)
    return found.pop()


def test_liaison_officers_two_sentences_one_commitment(seed: NewsArticle) -> None:
    obs = [o for o in commitments_of(seed) if "liaison_officer" in o.key_terms]
    assert len(obs) == 2
    existing = build(obs[0], 0)
    assert match(obs[1], [existing]) == existing
    assert similarity(obs[1], existing) >= MATCH_THRESHOLD


def test_seed_visit_mentions_are_one_visit(seed: NewsArticle) -> None:
    visits = [o for o in commitments_of(seed) if o.kind is CommitmentKind.VISIT]
    assert len(visits) == 2
    assert match(visits[1], [build(visits[0], 0)]) is not None


def test_seed_commitments_stay_distinct(story: tuple[Ledger, dict]) -> None:
    keys = [
        ("work_plan",),
        ("liaison_officer", "post"),
        ("formalise", "cyber"),
        ("fraud", "immigration"),
        ("uranium",),
        ("energy",),
        ("critical_minerals",),
        ("artificial_intelligence",),
        ("intelligence_sharing",),
    ]
    ids = [link(story, "dev-001", *k) for k in keys]
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize(
    ("event_id", "terms", "seed_terms"),
    [
        ("dev-002", ("liaison_officer",), ("liaison_officer", "security")),
        ("dev-003", ("carney",), ("carney",)),
        ("dev-004", ("carney",), ("carney",)),
        ("dev-005", ("carney",), ("carney",)),
        ("dev-003", ("uranium",), ("uranium",)),
        ("dev-003", ("energy",), ("energy",)),
        ("dev-003", ("critical_minerals",), ("critical_minerals",)),
        ("dev-005", ("uranium",), ("uranium",)),
        ("dev-005", ("critical_minerals",), ("critical_minerals",)),
        ("dev-005", ("artificial_intelligence",), ("artificial_intelligence",)),
        ("dev-006", ("cyber",), ("formalise", "cyber")),
        ("dev-007", ("cyber",), ("formalise", "cyber")),
        ("dev-008", ("work_plan",), ("work_plan",)),
    ],
)
def test_cross_article_links(
    story: tuple[Ledger, dict], event_id: str, terms: tuple[str, ...], seed_terms: tuple[str, ...]
) -> None:
    seed_id = link(story, "dev-001", *seed_terms)
    assert link(story, event_id, *terms) == seed_id


def test_resumed_cyber_talks_not_intel_sharing(story: tuple[Ledger, dict]) -> None:
    assert link(story, "dev-007", "cyber") != link(story, "dev-001", "intelligence_sharing")


def test_tariff_sentences_merge(story: tuple[Ledger, dict]) -> None:
    _, per_event = story
    obs = per_event["dev-009"]
    assert len({story[0].links[o.observation_id] for o in obs}) == 1
    assert all(o.dyad == "CN-US" for o in obs)


def test_final_commitment_count(story: tuple[Ledger, dict]) -> None:
    ledger, _ = story
    by_dyad = {d: [c for c in ledger.commitments if c.dyad == d] for d in ("CA-IN", "CN-US")}
    # work plan, liaison, cyber, fraud/immigration, visit, 4 agreements, intel sharing
    assert len(by_dyad["CA-IN"]) == 10, [c.title for c in by_dyad["CA-IN"]]
    assert len(by_dyad["CN-US"]) == 1


def test_other_dyad_and_incompatible_kind_never_match(seed: NewsArticle) -> None:
    obs = commitments_of(seed)
    visit = next(o for o in obs if o.kind is CommitmentKind.VISIT)
    uranium = find(obs, "uranium")
    elsewhere = build(uranium, 0).model_copy(update={"dyad": "CN-US"})
    assert similarity(uranium, elsewhere) == 0.0
    as_visit = build(uranium, 1).model_copy(update={"kind": CommitmentKind.VISIT})
    assert similarity(uranium, as_visit) == 0.0
    assert match(visit, [build(uranium, 2)]) is None


def test_compatibility_table() -> None:
    assert compatible(CommitmentKind.VISIT, CommitmentKind.VISIT)
    assert not compatible(CommitmentKind.VISIT, CommitmentKind.AGREEMENT)
    for a in (CommitmentKind.AGREEMENT, CommitmentKind.TALKS, CommitmentKind.ACTION):
        for b in (CommitmentKind.AGREEMENT, CommitmentKind.TALKS, CommitmentKind.ACTION):
            assert compatible(a, b)


def test_match_is_order_independent(seed: NewsArticle) -> None:
    obs = commitments_of(seed)
    known = [build(o, n) for n, o in enumerate(obs)]
    probe = find(obs, "formalise", "cyber")
    assert match(probe, known) == match(probe, list(reversed(known)))


def test_topics_alone_never_merge(seed: NewsArticle) -> None:
    obs = commitments_of(seed)
    energy = find(obs, "energy")
    uranium = build(find(obs, "uranium"), 0)
    assert Topic.ENERGY in uranium.topics
    assert similarity(energy, uranium) == 0.0
    assert energy.signal is CommitmentStatus.PROPOSED


def _news(event_id: str, body: str, day: int = 3) -> NewsArticle:
    from datetime import UTC, datetime

    from schemas.events import Source

    return NewsArticle(
        event_id=event_id,
        published_at=datetime(2026, 3, day, tzinfo=UTC),
        source=Source(name=f"Outlet {event_id}"),
        body=body,
    )


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (
            "India and Canada will station law-enforcement representatives in each other's "
            "capitals.",
            "India and Canada have agreed to post liaison officers to coordinate police work.",
        ),
        (
            "India and Canada are negotiating a uranium supply deal.",
            "India and Canada signed an agreement on the long-term supply of uranium.",
        ),
        (
            "India and Japan agreed to build a high-speed rail line between two cities.",
            "Construction of the India-Japan high-speed railway is under way.",
        ),
    ],
)
def test_paraphrases_across_articles_are_one_commitment(first: str, second: str) -> None:
    (a,) = commitments_of(_news("p-1", first))
    (b,) = commitments_of(_news("p-2", second, day=9))
    assert match(b, [build(a, 0)]) is not None, (a.key_terms, b.key_terms)


def test_visit_by_title_and_by_bare_minister_are_one_visit() -> None:
    (planned,) = commitments_of(
        _news("v-1", "Japan's Foreign Minister is expected to visit Canberra next month.")
    )
    (again,) = commitments_of(
        _news("v-2", "The Foreign Ministry in Tokyo said the minister will visit Canberra.", 5)
    )
    (other,) = commitments_of(
        _news("v-3", "Japan's Trade Minister is expected to visit Canberra next month.", 6)
    )
    assert planned.title == "Japanese Foreign Minister's visit to Australia"
    assert match(again, [build(planned, 0)]) is not None
    assert match(other, [build(planned, 0)]) is None  # another visitor of the same country


def test_same_subject_different_forms_are_different_commitments() -> None:
    (invest,) = commitments_of(
        _news("f-1", "South Korea pledged to invest 150 billion dollars in US shipbuilding.")
    )
    (group,) = commitments_of(
        _news("f-2", "South Korea and the United States will set up a shipbuilding working group.")
    )
    assert match(group, [build(invest, 0)]) is None, (invest.key_terms, group.key_terms)
