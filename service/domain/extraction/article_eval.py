"""Whole-article scoring of the extractor against a news-style corpus (``corpus/news/``).

Pure: callers read the JSONL files and pass the parsed records (format: ``corpus/news/README.md``).
Each article is extracted and its observations folded, article by article, through a fresh
:class:`~service.domain.projection.DyadProjection` per dyad, so that two mentions of one
commitment count once and its status is the one it has after the article (as an analyst labels
it). Then, per article, gold commitments and predicted commitments are paired one to one
(greedily, most shared key terms first):

* a gold commitment and a prediction **match on terms** when at least two of the gold
  ``match_terms`` (one, when it lists only one) occur, case-insensitively, in the prediction's
  title or evidence sentences;
* **detection** (precision, recall, F1): pairs that match on terms, dyad and status
  (``accept_status`` widens the status); an ``optional`` gold commitment that is found counts
  for neither recall nor against precision;
* **dyad accuracy**: over the pairs that match on terms alone, the share with the gold dyad;
* **status accuracy** and the status confusion: over the pairs that match on terms and dyad;
* **false positives on articles without commitments**: predictions in articles whose gold list
  is empty;
* **articles per second**: extraction only (one core, this process).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from schemas.codec import event_from_dict
from schemas.observations import CommitmentObservation
from schemas.state import Commitment
from service.domain.extraction.extractor import extract
from service.domain.projection import DyadProjection, sort_key

__all__ = ["ArticleReport", "SplitScore", "evaluate_articles", "event_of"]

_EVENT_FIELDS = (
    "event_id",
    "type",
    "published_at",
    "source",
    "headline",
    "body",
    "countries",
    "language",
    "issuer",
    "issuer_country",
    "statement_kind",
)


@dataclass
class SplitScore:
    """Counts of one corpus part; the ratios are properties (0.0 when undefined)."""

    articles: int = 0
    gold: int = 0
    optional_found: int = 0
    predicted: int = 0
    matched: int = 0
    term_pairs: int = 0
    dyad_right: int = 0
    dyad_pairs: int = 0
    status_right: int = 0
    empty_articles: int = 0
    empty_false_positives: int = 0
    seconds: float = 0.0
    confusion: Counter[tuple[str, str]] = field(default_factory=Counter)

    @staticmethod
    def _ratio(a: int, b: int) -> float:
        return a / b if b else 0.0

    @property
    def precision(self) -> float:
        """Matched predictions / predictions (optional gold found excluded from both)."""
        return self._ratio(self.matched, self.predicted - self.optional_found)

    @property
    def recall(self) -> float:
        """Matched required gold / required gold."""
        return self._ratio(self.matched, self.gold)

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def dyad_accuracy(self) -> float:
        """Pairs matched on terms whose predicted dyad is the gold one."""
        return self._ratio(self.dyad_right, self.term_pairs)

    @property
    def status_accuracy(self) -> float:
        """Pairs matched on terms and dyad whose predicted status is accepted."""
        return self._ratio(self.status_right, self.dyad_pairs)

    @property
    def articles_per_second(self) -> float:
        """Articles extracted per second of extraction time."""
        return self._ratio(self.articles, 1) / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready counts and ratios (ratios rounded to three decimals)."""
        return {
            "articles": self.articles,
            "gold": self.gold,
            "predicted": self.predicted,
            "matched": self.matched,
            "precision": round(self.precision, 3),
            "recall": round(self.recall, 3),
            "f1": round(self.f1, 3),
            "dyad_accuracy": round(self.dyad_accuracy, 3),
            "status_accuracy": round(self.status_accuracy, 3),
            "empty_articles": self.empty_articles,
            "empty_false_positives": self.empty_false_positives,
            "articles_per_second": round(self.articles_per_second, 1),
            "confusion": {f"{g}>{p}": n for (g, p), n in sorted(self.confusion.items())},
        }


@dataclass
class ArticleReport:
    """Scores per split (``dev``, ``heldout``, ...) and the mistakes as readable lines."""

    splits: dict[str, SplitScore]
    mistakes: list[tuple[str, str]]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready report (mistakes left out)."""
        return {name: s.as_dict() for name, s in sorted(self.splits.items())}


def event_of(record: dict[str, Any]) -> Any:
    """The inbound event (``NewsArticle`` or ``OfficialStatement``) of a corpus record.

    Raises pydantic.ValidationError when the record's event fields are invalid.
    """
    return event_from_dict({k: record[k] for k in _EVENT_FIELDS if k in record})


def _fold(observations: list[CommitmentObservation]) -> list[Commitment]:
    projections: dict[str, DyadProjection] = {}
    for obs in sorted(observations, key=sort_key):
        projections.setdefault(obs.dyad, DyadProjection(obs.dyad)).apply(obs)
    return [c for p in projections.values() for c in p.commitments.values()]


def _terms_hit(gold: dict[str, Any], pred: Commitment) -> int:
    """How many of the gold ``match_terms`` occur in the prediction's title or evidence."""
    text = " ".join([pred.title, *(e.sentence for e in pred.evidence)]).lower()
    terms = [t.lower() for t in gold.get("match_terms", [])]
    hits = sum(1 for t in terms if t in text)
    need = 2 if len(terms) >= 2 else 1
    return hits if hits >= need else 0


def _statuses(gold: dict[str, Any]) -> set[str]:
    return {gold["status"], *gold.get("accept_status", [])}


def _pair(
    golds: list[dict[str, Any]],
    preds: list[Commitment],
    ok: Callable[[dict[str, Any], Commitment], bool],
) -> list[tuple[int, int]]:
    """One-to-one pairs (gold index, prediction index), most shared terms first."""
    scored = []
    for gi, g in enumerate(golds):
        for pi, p in enumerate(preds):
            hits = _terms_hit(g, p)
            if hits and ok(g, p):
                scored.append((-hits, gi, pi))
    scored.sort()
    used_g: set[int] = set()
    used_p: set[int] = set()
    out = []
    for _, gi, pi in scored:
        if gi in used_g or pi in used_p:
            continue
        used_g.add(gi)
        used_p.add(pi)
        out.append((gi, pi))
    return out


def evaluate_articles(records: list[dict[str, Any]]) -> ArticleReport:
    """Score :func:`extract` on the corpus ``records`` (parsed JSONL lines).

    Raises KeyError or pydantic.ValidationError on a malformed record.
    """
    splits: dict[str, SplitScore] = {}
    mistakes: list[tuple[str, str]] = []
    for rec in records:
        split = rec.get("split", "dev")
        score = splits.setdefault(split, SplitScore())
        event = event_of(rec)
        began = time.perf_counter()
        observations = extract(event)
        score.seconds += time.perf_counter() - began
        preds = _fold([o for o in observations if isinstance(o, CommitmentObservation)])
        golds = list(rec.get("commitments", []))
        score.articles += 1
        score.predicted += len(preds)
        required = [g for g in golds if not g.get("optional")]
        score.gold += len(required)
        if not golds:
            score.empty_articles += 1
            score.empty_false_positives += len(preds)
        by_terms = _pair(golds, preds, lambda g, p: True)
        score.term_pairs += len(by_terms)
        score.dyad_right += sum(1 for gi, pi in by_terms if golds[gi]["dyad"] == preds[pi].dyad)
        by_dyad = _pair(golds, preds, lambda g, p: g["dyad"] == p.dyad)
        score.dyad_pairs += len(by_dyad)
        for gi, pi in by_dyad:
            g, p = golds[gi], preds[pi]
            right = p.status.value in _statuses(g)
            score.status_right += right
            score.confusion[(g["status"], g["status"] if right else p.status.value)] += 1
        full = _pair(
            golds, preds, lambda g, p: g["dyad"] == p.dyad and p.status.value in _statuses(g)
        )
        matched_g = {gi for gi, _ in full}
        matched_p = {pi for _, pi in full}
        score.matched += sum(1 for gi in matched_g if not golds[gi].get("optional"))
        score.optional_found += sum(1 for gi in matched_g if golds[gi].get("optional"))
        eid = rec["event_id"]
        for gi, g in enumerate(golds):
            if gi not in matched_g and not g.get("optional"):
                got = next((preds[pi] for gj, pi in by_terms if gj == gi), None)
                seen = f" (predicted {got.dyad} {got.status.value}: {got.title})" if got else ""
                mistakes.append(
                    (
                        split,
                        f"FN {eid} {g['dyad']} {g['status']} {g.get('kind', '')}: "
                        f"{g['title']}{seen} | {' / '.join(g.get('evidence', []))[:300]}",
                    )
                )
        for pi, p in enumerate(preds):
            if pi not in matched_p:
                mistakes.append(
                    (
                        split,
                        f"FP {eid} {p.dyad} {p.status.value} {p.kind.value} "
                        f"{p.direction.value}: {p.title} | {p.evidence[0].sentence[:300]}",
                    )
                )
    return ArticleReport(splits, mistakes)
