"""The projection's candidate index picks exactly what ``identity.match`` picks over everything."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas.codec import event_from_dict
from schemas.common import CommitmentStatus, Direction, Topic
from schemas.observations import CommitmentKind, CommitmentObservation
from service.domain import identity
from service.domain.extraction import extract
from service.domain.projection import DyadProjection
from service.tools.synthetic import synthetic_articles
from tests.unit.factories import obs

REPO = Path(__file__).resolve().parents[2]

# Plain, capitalised, weak and form terms, visit destinations, origins and who-terms: every
# branch of identity.similarity (case folding, weights, forms, visits) is reachable.
TERMS = [
    "alpha",
    "Alpha",
    "beta",
    "gamma",
    "delta",
    "epsilon",
    "cooperation",
    "build",
    "fund",
    "working_group",
    "invest",
    "sale",
    "IN",
    "CA",
    "JP",
    "from_IN",
    "from_CA",
    "minister",
    "in",
]
DAYS = [f"2026-03-{d:02d}" for d in range(1, 29)]


def observations(
    terms: list[str], kinds: list[CommitmentKind], directions: list[Direction]
) -> st.SearchStrategy[CommitmentObservation]:
    """Commitment observations over the given vocabulary, kinds and directions."""
    return st.builds(
        lambda *parts: _obs(*parts),
        st.just(0),
        st.sampled_from(DAYS),
        st.lists(st.sampled_from(terms), max_size=5),
        st.sampled_from(kinds),
        st.sampled_from(directions),
        st.lists(
            st.sampled_from([Topic.OTHER, Topic.SECURITY, Topic.TRADE, Topic.ENERGY]), max_size=3
        ),
        st.sampled_from([s for s in CommitmentStatus if s != CommitmentStatus.LAPSED]),
        st.sampled_from(["CA-IN", "CA-IN", "CA-IN", "CA-JP"]),
    )


observation = observations(TERMS, list(CommitmentKind), list(Direction))
# A narrow vocabulary of one subject and several forms: many commitments that one short
# observation matches equally well, so ties (first_seen, then id) decide.
tied = observations(
    ["alpha", "beta", "working_group", "invest", "sale", "loan"],
    [CommitmentKind.ACTION, CommitmentKind.AGREEMENT],
    [Direction.COOPERATIVE],
)


def _obs(
    n: int,
    day: str,
    terms: list[str],
    kind: CommitmentKind,
    direction: Direction,
    topics: list[Topic],
    signal: CommitmentStatus,
    dyad: str,
) -> CommitmentObservation:
    made = obs(
        f"ev{n}",
        day,
        signal,
        terms or ["untitled"],
        kind=kind,
        direction=direction,
        dyad=dyad,
        topics=tuple(topics),
    )
    return made if terms else made.model_copy(update={"key_terms": []})


def _fold_checking(observations: list[CommitmentObservation], dyad: str = "CA-IN") -> int:
    """Apply each observation; before each, the indexed match must equal the full scan."""
    proj = DyadProjection(dyad)
    checked = 0
    for o in observations:
        if hasattr(o, "signal"):
            full = identity.match(o, list(proj.commitments.values()))
            indexed = proj._identity.match(o, proj.commitments)
            assert indexed is full, (o, indexed, full)
            checked += 1
        proj.apply(o)
    return checked


@settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.lists(observation, min_size=1, max_size=40))
def test_indexed_match_equals_brute_force_over_random_streams(stream):
    """Random streams (any kind, direction, topics, dyad, event times out of order, weak, form
    and visit terms, case variants): at every step the index chooses the same commitment."""
    numbered = [o.model_copy(update={"observation_id": f"ev{i}#0"}) for i, o in enumerate(stream)]
    assert _fold_checking(numbered) == len(numbered)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(tied, min_size=1, max_size=40))
def test_indexed_match_equals_brute_force_when_scores_tie(stream):
    """Streams where several commitments score the same: the tie-break is the same too."""
    numbered = [o.model_copy(update={"observation_id": f"ev{i}#0"}) for i, o in enumerate(stream)]
    assert _fold_checking(numbered) == len(numbered)


@given(st.lists(observation, min_size=1, max_size=30))
@settings(max_examples=100, deadline=None, derandomize=True)
def test_refolded_projection_matches_like_a_fresh_index(stream):
    """A projection rebuilt from its ``to_dict`` indexes the same commitments: the next
    observation matches the same one in both."""
    proj = DyadProjection("CA-IN")
    for i, o in enumerate(stream[:-1]):
        proj.apply(o.model_copy(update={"observation_id": f"ev{i}#0"}))
    again = DyadProjection.from_dict(json.loads(json.dumps(proj.to_dict())))
    last = stream[-1]
    expected = identity.match(last, list(proj.commitments.values()))
    got = again._identity.match(last, again.commitments)
    assert (got.id if got else None) == (expected.id if expected else None)


def _corpus_events() -> list[object]:
    events: list[object] = list(synthetic_articles(300, seed=7, dyads=30))
    paths = [
        REPO / "service" / "examples" / "story.jsonl",
        *sorted(REPO.glob("corpus/news/*.jsonl")),
    ]
    for path in paths:
        for line in path.read_text().splitlines():
            if line.strip():
                data = {
                    k: v
                    for k, v in json.loads(line).items()
                    if k
                    not in ("split", "features", "commitments", "engagements", "not_commitments")
                }
                events.append(event_from_dict(data))
    return events


@pytest.fixture(scope="module")
def corpus_logs() -> dict[str, list[CommitmentObservation]]:
    logs: dict[str, list[CommitmentObservation]] = {}
    for event in _corpus_events():
        for o in extract(event):
            logs.setdefault(o.dyad, []).append(o)
    return logs


def test_indexed_match_equals_brute_force_on_the_corpora(corpus_logs):
    """Every observation extracted from the example story, the news corpus and synthetic
    articles, folded per dyad in arrival order: the index chooses what the full scan chooses."""
    checked = sum(_fold_checking(log, dyad) for dyad, log in corpus_logs.items())
    commitments = sum(1 for log in corpus_logs.values() for o in log if hasattr(o, "signal"))
    assert checked == commitments > 500
