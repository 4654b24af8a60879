"""Extraction rules on short texts written for these tests (not from the acceptance data)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.common import CommitmentStatus, DueKind
from schemas.events import NewsArticle, OfficialStatement, Source, SourceKind
from schemas.observations import (
    Attribution,
    CommitmentKind,
    CommitmentObservation,
    EngagementObservation,
)
from service.domain.extraction import extract
from service.domain.extraction.actors import gazetteer
from service.domain.extraction.sentences import nlp, split


def news(body: str, **extra: object) -> NewsArticle:
    return NewsArticle(
        event_id="t-1",
        published_at=datetime(2026, 2, 8, tzinfo=UTC),
        source=Source(name="Test Wire"),
        body=body,
        **extra,
    )


def commitments(body: str, **extra: object) -> list[CommitmentObservation]:
    return [o for o in extract(news(body, **extra)) if isinstance(o, CommitmentObservation)]


@pytest.mark.parametrize(
    ("text", "country"),
    [
        ("Ottawa", "CA"),
        ("New Delhi", "IN"),
        ("Beijing", "CN"),
        ("Washington", "US"),
        ("the Ministry of External Affairs", "IN"),
        ("Public Safety Canada", "CA"),
        ("Canadian Prime Minister Mark Carney", "CA"),
        ("China's commerce ministry", "CN"),
        ("the Commerce Ministry in Beijing", "CN"),
    ],
)
def test_gazetteer_actors(text: str, country: str) -> None:
    found = gazetteer().mentions(nlp()(text))
    assert len(found) == 1, found
    assert found[0].country == country
    assert found[0].is_government


def test_acronym_us_is_case_sensitive() -> None:
    assert gazetteer().mentions(nlp()("Let us agree.")) == []
    assert gazetteer().mentions(nlp()("US officials"))[0].country == "US"


def test_official_with_title_has_rank_and_name() -> None:
    (m,) = gazetteer().mentions(nlp()("Canadian Prime Minister Mark Carney"))
    assert (m.kind, m.rank, m.name, m.surname) == ("official", "leader", "Mark Carney", "carney")


def test_sentence_spans_and_headings() -> None:
    body = "India and Canada met.\nA heading line\nThey agreed to talk. More text here."
    _, sents = split(body)
    assert [s.text for s in sents] == [
        "India and Canada met.",
        "They agreed to talk.",
        "More text here.",
    ]
    assert all(body[s.start : s.end] == s.text for s in sents)
    assert sents[1].section == 1


def test_capital_metonyms_make_the_dyad_and_agent() -> None:
    (o,) = commitments(
        "Beijing and Washington agreed to reduce export controls on rare earths by the end of "
        "2026, China's commerce ministry said."
    )
    assert o.dyad == "CN-US"
    assert o.signal is CommitmentStatus.AGREED
    assert "rare_earth" in o.key_terms
    assert o.due is not None and (o.due.end, o.due.kind) == (date(2026, 12, 31), DueKind.DEADLINE)
    assert o.evidence.attribution is Attribution.OFFICIAL_STATEMENT


@pytest.mark.parametrize(
    "body",
    [
        "India and Japan failed to agree on a rail financing package.",
        "No agreement was reached between India and Japan on defence exports.",
        "India and Canada did not agree on a date for new talks.",
        "India and Canada have not resumed talks on trade.",
    ],
)
def test_negation_yields_nothing(body: str) -> None:
    assert commitments(body) == []


@pytest.mark.parametrize(
    "body",
    [
        # opinion of non-government actors, no future action
        "India and Canada played a test match. The coaches agreed that the outfield was slow.",
        # government actors, but an assessment, not an action
        "The two foreign ministers of India and Canada agreed that relations had improved.",
        # concern and attributed view
        "India raised concerns about Canadian visa delays. Canada believes ties are improving.",
        # "would" is an expectation of effect, not a commitment
        "India and Canada officials said the step would streamline communication.",
    ],
)
def test_opinions_and_assessments_yield_nothing(body: str) -> None:
    assert commitments(body) == []


def test_one_country_is_no_dyad() -> None:
    assert extract(news("India agreed to raise rice exports next year.")) == []


def test_countries_hint_completes_the_dyad() -> None:
    (o,) = commitments("India agreed to resume rice exports.", countries=["IN", "BD"])
    assert o.dyad == "BD-IN"


def test_third_country_agent_is_ignored() -> None:
    obs = commitments(
        "India and Canada agreed to expand student visas. India and Canada signed a treaty on "
        "extradition. Pakistan agreed to reopen its airspace."
    )
    assert [o.dyad for o in obs] == ["CA-IN", "CA-IN"]
    assert not [o for o in obs if "airspace" in o.key_terms]


def test_hedged_proposal_has_low_confidence() -> None:
    (o,) = commitments(
        "India could sign a free trade agreement with Canada later this year, sources said."
    )
    assert o.signal is CommitmentStatus.PROPOSED
    assert o.kind is CommitmentKind.AGREEMENT
    assert o.evidence.hedged
    assert o.evidence.attribution is Attribution.UNNAMED_SOURCES
    assert o.confidence == pytest.approx(0.45 * 0.85 * 0.75, abs=1e-3)
    assert o.key_terms == ["free_trade"]


def test_cancelled_is_reversed() -> None:
    (o,) = commitments(
        "Ottawa has cancelled a trade mission to New Delhi, Global Affairs Canada said."
    )
    assert o.signal is CommitmentStatus.REVERSED
    assert o.parties == ["CA", "IN"]  # the object names the other country
    assert o.evidence.attribution is Attribution.OFFICIAL_STATEMENT


def test_pronoun_resolves_to_previous_actors() -> None:
    obs = commitments(
        "Foreign Minister Anita Anand met External Affairs Minister S. Jaishankar on Monday. "
        "They agreed to restore full diplomatic staffing at both high commissions."
    )
    (o,) = obs
    assert o.parties == ["CA", "IN"]
    assert "staffing" in o.key_terms


def test_leader_visit_by_demonym_official_and_took_place() -> None:
    (planned,) = commitments("Chinese President Xi Jinping will visit Washington in April.")
    assert planned.kind is CommitmentKind.VISIT
    assert planned.key_terms == ["xi", "president", "US", "from_cn"]
    assert planned.due is not None and planned.due.start == date(2026, 4, 1)
    out = extract(news("Chinese President Xi Jinping visited the United States last week."))
    visit = [o for o in out if isinstance(o, CommitmentObservation)]
    assert visit and visit[0].signal is CommitmentStatus.FULFILLED and not visit[0].may_create
    assert [o.kind for o in out if isinstance(o, EngagementObservation)] == ["visit"]


def test_adviser_visit_is_an_engagement_only() -> None:
    out = extract(news("India's national security adviser Ajit Doval visited Canada this week."))
    assert [type(o).__name__ for o in out] == ["EngagementObservation"]


def test_official_statement_issuer_country_and_default_attribution() -> None:
    event = OfficialStatement(
        event_id="s-1",
        published_at=datetime(2026, 2, 8, tzinfo=UTC),
        source=Source(name="Ministry", kind=SourceKind.GOVERNMENT),
        issuer="Ministry of External Affairs",
        issuer_country="IN",
        countries=["CA"],
        body="The two sides agreed to set up a joint working group on critical minerals.",
    )
    (o,) = [x for x in extract(event) if isinstance(x, CommitmentObservation)]
    assert o.dyad == "CA-IN"
    assert o.parties == ["CA", "IN"]
    assert o.evidence.attribution is Attribution.OFFICIAL_STATEMENT
    assert o.confidence == pytest.approx(0.9)  # "the two sides" is an explicit (collective) agent


_SOUP = (
    "India Canada China Washington Ottawa agreed to will visit the two sides they signed an "
    "agreement on , . ; 's suspended resumed in the first week of March until August 18 for "
    "another 90 days denying reports that postponed not no deal was reached Prime Minister Carney"
)
_WORDS = [*_SOUP.split(), "\n"]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(_WORDS), min_size=1, max_size=60))
def test_any_text_extracts_without_error(words: list[str]) -> None:
    body = " ".join(words)
    if not body.strip():
        return
    event = news(body)
    out = extract(event)
    for n, o in enumerate(out):
        assert o.observation_id == f"t-1#{n}"
        start, end = o.evidence.span
        assert body[start:end] == o.evidence.sentence
        if isinstance(o, CommitmentObservation):
            assert o.key_terms and o.signal is not CommitmentStatus.LAPSED
