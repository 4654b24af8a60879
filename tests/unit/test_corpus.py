"""The extractor on the labeled corpus (corpus/extraction.jsonl) and on corroborating outlets.

Thresholds sit a little below the numbers measured on the held-out splits (docs/extraction.md
quotes them and says why), so a real regression fails here while one more odd sentence in the
corpus does not.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from schemas.events import NewsArticle, OfficialStatement, Source, SourceKind
from schemas.observations import CommitmentObservation
from service.domain.extraction import extract
from service.domain.extraction.evaluation import Report, evaluate
from service.domain.projection import project

CORPUS = Path(__file__).resolve().parents[2] / "corpus"

# (metric, least value) per split; see docs/extraction.md "Thresholds".
THRESHOLDS: dict[str, dict[str, float]] = {
    # measured (2026-11, second round): P 1.000, R 0.978, status 1.000, due 1.000, identity
    # 1.000, links 1.000 (before: P 0.977, R 0.955, identity 0.997)
    "train": {
        "precision": 0.95,
        "recall": 0.93,
        "status_accuracy": 0.95,
        "due_accuracy": 0.95,
        "identity_accuracy": 0.97,
        "link_recall": 0.90,
    },
    # measured: P 1.000, R 1.000, status 1.000, due 1.000, identity 1.000, links 1.000
    "test": {
        "precision": 0.93,
        "recall": 0.93,
        "status_accuracy": 0.93,
        "due_accuracy": 0.93,
        "identity_accuracy": 0.97,
        "link_recall": 0.90,
    },
    # corpus/heldout.jsonl, written after the rules were settled, never tuned on.
    # measured: P 0.938, R 0.882, status 1.000, due 0.967, identity 0.969, links 0.857 (second
    # round; its misses had been read once to list the known gaps, see docs/extraction.md)
    "heldout": {
        "precision": 0.85,
        "recall": 0.80,
        "status_accuracy": 0.90,
        "due_accuracy": 0.90,
        "identity_accuracy": 0.93,
        "link_recall": 0.70,
    },
    # corpus/heldout2.jsonl, written and scored before the second round, never tuned on.
    # measured: P 0.851, R 0.645, status 0.975, due 0.925, identity 1.000 (59 pairs), links 3/3
    "heldout2": {
        "precision": 0.80,
        "recall": 0.58,
        "status_accuracy": 0.90,
        "due_accuracy": 0.85,
        "identity_accuracy": 0.93,
        "link_recall": 0.66,
    },
}


def _records(name: str) -> list[dict]:
    """The parsed lines of ``corpus/<name>``."""
    text = (CORPUS / name).read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def report() -> Report:
    return evaluate(_records("extraction.jsonl"))


def test_corpus_size_and_coverage() -> None:
    records = _records("extraction.jsonl")
    sentences = [s for r in records for s in r["sentences"]]
    labels = [lab for s in sentences for lab in s["labels"]]
    assert len(sentences) >= 150
    assert len({lab["dyad"] for lab in labels}) >= 8
    statuses = {lab["status"] for lab in labels}
    assert statuses >= {
        "proposed",
        "under_discussion",
        "agreed",
        "in_progress",
        "fulfilled",
        "paused",
        "postponed",
        "reversed",
    }
    assert any(not s["labels"] for s in sentences)  # sentences with no commitment
    assert {r["split"] for r in records} == {"train", "test"}


@pytest.mark.parametrize("split", ["train", "test"])
def test_corpus_metrics_hold(report: Report, split: str) -> None:
    scores = report.splits[split].as_dict()
    low = {k: (scores[k], v) for k, v in THRESHOLDS[split].items() if scores[k] < v}
    assert not low, low


@pytest.mark.parametrize("name", ["heldout", "heldout2"])
def test_heldout_metrics_hold(name: str) -> None:
    scores = evaluate(_records(f"{name}.jsonl")).splits["test"].as_dict()
    low = {k: (scores[k], v) for k, v in THRESHOLDS[name].items() if scores[k] < v}
    assert not low, low


def test_heldout2_size() -> None:
    records = _records("heldout2.jsonl")
    sentences = [s for r in records for s in r["sentences"]]
    assert len(records) >= 15
    assert len(sentences) >= 60
    assert {r["split"] for r in records} == {"test"}


def test_extraction_stays_fast(report: Report) -> None:
    assert report.ms_per_article < 60, report.ms_per_article


def _article(event_id: str, outlet: str, body: str, day: int) -> NewsArticle:
    return NewsArticle(
        event_id=event_id,
        published_at=datetime(2026, 6, day, 8, tzinfo=UTC),
        source=Source(name=outlet, kind=SourceKind.NEWS),
        body=body,
    )


def test_two_outlets_in_other_words_make_one_commitment_with_more_confidence() -> None:
    first = _article(
        "wire-1",
        "Northern Wire",
        "Argentina and Chile agreed to build a lithium processing plant near the border, "
        "officials said.",
        3,
    )
    second = _article(
        "daily-1",
        "Andes Daily",
        "Buenos Aires and Santiago have committed to a joint plant for processing lithium, "
        "according to sources in both governments.",
        4,
    )
    observations = [o for e in (first, second) for o in extract(e)]
    mentions = [o for o in observations if isinstance(o, CommitmentObservation)]
    assert len(mentions) == 2, [o.title for o in mentions]
    states, _ = project(observations)
    (commitment,) = states["AR-CL"].commitments
    assert {e.source for e in commitment.evidence} == {"Northern Wire", "Andes Daily"}
    assert commitment.confidence > max(o.confidence for o in mentions)


def test_official_statement_outweighs_unnamed_sources() -> None:
    body = "India and Japan agreed to set up a joint fund for semiconductor research."
    statement = OfficialStatement(
        event_id="mea-1",
        published_at=datetime(2026, 6, 3, tzinfo=UTC),
        source=Source(name="Ministry of External Affairs", kind=SourceKind.GOVERNMENT),
        body=body,
        issuer="Ministry of External Affairs",
        issuer_country="IN",
    )
    rumour = _article(
        "wire-2",
        "Northern Wire",
        "India and Japan could set up a joint fund for semiconductor research, "
        "according to people familiar with the matter.",
        3,
    )
    (official,) = [o for o in extract(statement) if isinstance(o, CommitmentObservation)]
    (hedged,) = [o for o in extract(rumour) if isinstance(o, CommitmentObservation)]
    assert official.confidence > hedged.confidence
    assert hedged.evidence.hedged
