"""The extractor on the labeled corpora (corpus/news/ whole articles, corpus/extraction.jsonl
sentences) and on corroborating outlets.

Thresholds sit a little below the numbers measured on the held-out splits (docs/extraction.md
quotes them and says why), so a real regression fails here while one more odd sentence in the
corpus does not.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from schemas.events import NewsArticle, OfficialStatement, Source, SourceKind
from schemas.observations import CommitmentObservation
from service.domain.extraction import extract
from service.domain.extraction.article_eval import evaluate_articles
from service.domain.extraction.evaluation import Report, evaluate
from service.domain.projection import project

CORPUS = Path(__file__).resolve().parents[2] / "corpus"

# (metric, least value) per split; see docs/extraction.md "Thresholds". These sentence-labelled
# corpora were written for the earlier surface rules; the syntactic extractor is measured on
# them to keep what they cover (second column of docs/extraction.md's table).
THRESHOLDS: dict[str, dict[str, float]] = {
    # measured with the syntactic extractor: P 0.973, R 0.798, status 0.930, due 1.000,
    # identity 0.982, links 0.900
    "train": {
        "precision": 0.93,
        "recall": 0.75,
        "status_accuracy": 0.88,
        "due_accuracy": 0.93,
        "identity_accuracy": 0.95,
        "link_recall": 0.85,
    },
    # measured: P 0.960, R 0.750, status 0.875, due 1.000, identity 0.982, links 0.885
    "test": {
        "precision": 0.92,
        "recall": 0.70,
        "status_accuracy": 0.83,
        "due_accuracy": 0.93,
        "identity_accuracy": 0.95,
        "link_recall": 0.83,
    },
    # corpus/heldout.jsonl. measured: P 0.963, R 0.765, status 0.923, due 0.962, identity
    # 0.979, links 0.909
    "heldout": {
        "precision": 0.92,
        "recall": 0.72,
        "status_accuracy": 0.88,
        "due_accuracy": 0.90,
        "identity_accuracy": 0.93,
        "link_recall": 0.80,
    },
    # corpus/heldout2.jsonl. measured: P 0.854, R 0.661, status 0.878, due 0.927, identity
    # 0.982 (55 pairs), links 1/2
    "heldout2": {
        "precision": 0.80,
        "recall": 0.60,
        "status_accuracy": 0.83,
        "due_accuracy": 0.88,
        "identity_accuracy": 0.93,
        "link_recall": 0.5,
    },
}

# corpus/news/dev.jsonl, whole articles (service/domain/extraction/article_eval.py).
# measured: P 0.766, R 0.612, dyad 0.959, status 0.846, no prediction on the 16 articles without
# a commitment (before the syntactic extractor: P 0.458, R 0.128, dyad 0.782, status 0.721, 7)
NEWS_DEV_THRESHOLDS: dict[str, float] = {
    "precision": 0.74,
    "recall": 0.58,
    "dyad_accuracy": 0.93,
    "status_accuracy": 0.82,
}
# The validation parts, written after successive rounds of rules (corpus/news/README.md):
# floors a little under what was measured, and the most predictions allowed on their articles
# without a commitment. measured: val P 0.852 R 0.812 (1 on 4); val2 P 0.744 R 0.617 (0 on 8);
# val3 P 0.723 R 0.701 (2 on 7; before this round's rules P 0.628 R 0.608, 8 on 7)
NEWS_VALIDATION: dict[str, tuple[dict[str, float], int]] = {
    "val": ({"precision": 0.82, "recall": 0.78, "dyad_accuracy": 0.95}, 1),
    "val2": ({"precision": 0.71, "recall": 0.58, "dyad_accuracy": 0.94}, 0),
    "val3": ({"precision": 0.70, "recall": 0.67, "dyad_accuracy": 0.93}, 2),
}
NEWS = CORPUS / "news"
HELDOUT_SHA256 = "ca0343c6bf4d174c56e70eda1e07595b78cbf36a377a2daa85b8ba273cffd462"
"""The sealed held-out part as written before the rules it measures (corpus/news/README.md)."""


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


def _news(name: str) -> list[dict]:
    text = (NEWS / f"{name}.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_news_corpus_size_and_coverage() -> None:
    dev, heldout = _news("dev"), _news("heldout")
    records = dev + heldout
    labels = [c for r in records for c in r["commitments"]]
    assert len(records) >= 60 and len(heldout) >= 20
    assert len(labels) >= 400
    assert len({c["dyad"] for c in labels}) >= 25
    assert sum(1 for r in records if not r["commitments"]) >= 20
    assert {c["kind"] for c in labels} >= {"measure", "visit", "agreement", "talks", "action"}
    assert {c["direction"] for c in labels} == {"cooperative", "restrictive"}
    features = {f for r in records for f in r.get("features", [])}
    assert features >= {
        "multi_pair",
        "transcript",
        "quote",
        "dateline",
        "boilerplate",
        "background",
        "hedge",
        "denial",
    }
    for r in records:
        words = len(r["body"].split())
        assert 300 <= words <= 800, (r["event_id"], words)
        for c in r["commitments"]:
            for sentence in c["evidence"]:
                assert sentence in r["body"], (r["event_id"], c["key"])
    assert {r["split"] for r in dev} == {"dev"} and {r["split"] for r in heldout} == {"heldout"}


def test_news_heldout_part_is_sealed() -> None:
    digest = hashlib.sha256((NEWS / "heldout.jsonl").read_bytes()).hexdigest()
    assert digest == HELDOUT_SHA256


def test_news_dev_metrics_hold() -> None:
    scores = evaluate_articles(_news("dev")).splits["dev"]
    low = {
        k: (getattr(scores, k), v) for k, v in NEWS_DEV_THRESHOLDS.items() if getattr(scores, k) < v
    }
    assert not low, low
    assert scores.empty_false_positives == 0


@pytest.mark.parametrize("name", sorted(NEWS_VALIDATION))
def test_news_validation_metrics_hold(name: str) -> None:
    floors, most_empty = NEWS_VALIDATION[name]
    scores = evaluate_articles(_news(name)).splits[name]
    low = {k: (getattr(scores, k), v) for k, v in floors.items() if getattr(scores, k) < v}
    assert not low, low
    assert scores.empty_false_positives <= most_empty


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
