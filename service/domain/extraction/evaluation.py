"""Scoring the extractor against a labeled corpus (``corpus/extraction.jsonl``, see its README).

Pure: callers read the JSONL file and pass the parsed records. For each article (built into a
``NewsArticle`` or ``OfficialStatement`` whose body is its sentences joined by one space)
:func:`evaluate` runs :func:`service.domain.extraction.extract` and compares, sentence by sentence:

* **detection**: a predicted commitment observation whose evidence span lies in a sentence is
  paired with a gold label of that sentence of the same dyad when both are visits, or when neither
  is and they share at least one key term (``topics.key_terms`` of the gold title); pairs are
  taken greedily by ``identity.term_similarity``. Precision = paired predictions / predictions,
  recall = paired labels / labels.
* **status**: on paired mentions, the predicted ``signal`` (and ``denies``) equal the label's.
* **due**: on paired mentions, both without a due, or both with the same start and end dates.
* **identity** (pairwise): every article is folded in time order through
  :class:`service.domain.projection.DyadProjection`; a mention's commitment is what
  ``identity.match`` picks (or the new commitment it creates). Over every pair of paired gold
  mentions of one dyad, the pair is right when same ``commitment_key`` <=> same commitment.

Each split (``train``/``test``) is scored on its own articles; an identity pair belongs to the
test split when either mention is from a test article.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from itertools import combinations
from typing import Any

from schemas.codec import event_from_dict
from schemas.events import NewsArticle, OfficialStatement
from schemas.observations import CommitmentKind, CommitmentObservation
from service.domain import identity
from service.domain.extraction.extractor import extract
from service.domain.extraction.topics import key_terms
from service.domain.projection import DyadProjection, commitment_id, sort_key

__all__ = ["Article", "Gold", "Report", "evaluate", "load_articles"]

Event = NewsArticle | OfficialStatement


@dataclass(frozen=True)
class Gold:
    """One labeled commitment mention of a sentence (a line of the corpus README's format)."""

    dyad: str
    key: str
    title: str
    topics: tuple[str, ...]
    status: str
    due: tuple[date | None, date] | None
    kind: str | None
    denies: str | None
    article: str
    split: str
    sentence: str
    span: tuple[int, int]

    @property
    def is_visit(self) -> bool:
        """True for a visit label (``"kind": "visit"``)."""
        return self.kind == CommitmentKind.VISIT.value


@dataclass(frozen=True)
class Article:
    """A corpus article: its event, split, and labels with sentence spans in the event body."""

    event: Event
    split: str
    sentences: tuple[tuple[int, int, str], ...]
    labels: tuple[Gold, ...]


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def load_articles(records: list[dict[str, Any]]) -> list[Article]:
    """Build articles from parsed corpus records (one dict a JSONL line).

    Raises KeyError or pydantic.ValidationError on a malformed record.
    """
    articles: list[Article] = []
    for rec in records:
        texts = [s["text"] for s in rec["sentences"]]
        body = " ".join(texts)
        raw = {
            k: rec[k]
            for k in ("event_id", "type", "published_at", "source", "headline")
            if k in rec
        }
        raw["body"] = body
        if rec["type"] == "official_statement":
            for k in ("issuer", "issuer_country", "statement_kind"):
                if k in rec:
                    raw[k] = rec[k]
        event = event_from_dict(raw)
        spans: list[tuple[int, int, str]] = []
        labels: list[Gold] = []
        offset = 0
        for sent in rec["sentences"]:
            span = (offset, offset + len(sent["text"]))
            spans.append((*span, sent["text"]))
            for lab in sent["labels"]:
                due = lab.get("due")
                labels.append(
                    Gold(
                        dyad=lab["dyad"],
                        key=lab["commitment_key"],
                        title=lab["title"],
                        topics=tuple(lab["topics"]),
                        status=lab["status"],
                        due=(_date(due.get("start")), date.fromisoformat(due["end"]))
                        if due
                        else None,
                        kind=lab.get("kind"),
                        denies=lab.get("denies"),
                        article=rec["event_id"],
                        split=rec.get("split", "train"),
                        sentence=sent["text"],
                        span=span,
                    )
                )
            offset = span[1] + 1
        articles.append(Article(event, rec.get("split", "train"), tuple(spans), tuple(labels)))
    return articles


@dataclass
class Scores:
    """Counts of one split; the ratios are properties (0..1, 0.0 when undefined)."""

    gold: int = 0
    predicted: int = 0
    paired: int = 0
    status_right: int = 0
    due_right: int = 0
    same_pairs: int = 0
    same_linked: int = 0
    other_pairs: int = 0
    other_apart: int = 0
    confusion: Counter[tuple[str, str]] = field(default_factory=Counter)

    @staticmethod
    def _ratio(a: int, b: int) -> float:
        return a / b if b else 0.0

    @property
    def precision(self) -> float:
        """Matched predictions over predictions."""
        return self._ratio(self.paired, self.predicted)

    @property
    def recall(self) -> float:
        """Matched labels over labels."""
        return self._ratio(self.paired, self.gold)

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def status_accuracy(self) -> float:
        """Right statuses over matched mentions."""
        return self._ratio(self.status_right, self.paired)

    @property
    def due_accuracy(self) -> float:
        """Right due windows over matched mentions."""
        return self._ratio(self.due_right, self.paired)

    @property
    def identity_accuracy(self) -> float:
        """Mention pairs judged right (same linked, different kept apart) over all pairs."""
        return self._ratio(self.same_linked + self.other_apart, self.same_pairs + self.other_pairs)

    @property
    def link_recall(self) -> float:
        """Share of same-commitment pairs that were linked."""
        return self._ratio(self.same_linked, self.same_pairs)

    @property
    def apart_rate(self) -> float:
        """Share of different-commitment pairs that were kept apart."""
        return self._ratio(self.other_apart, self.other_pairs)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary: counts, ratios (3 places) and the confusion as nested dicts."""
        conf: dict[str, dict[str, int]] = {}
        for (g, p), n in sorted(self.confusion.items()):
            conf.setdefault(g, {})[p] = n
        return {
            "gold": self.gold,
            "predicted": self.predicted,
            "paired": self.paired,
            "precision": round(self.precision, 3),
            "recall": round(self.recall, 3),
            "f1": round(self.f1, 3),
            "status_accuracy": round(self.status_accuracy, 3),
            "due_accuracy": round(self.due_accuracy, 3),
            "identity_accuracy": round(self.identity_accuracy, 3),
            "link_recall": round(self.link_recall, 3),
            "apart_rate": round(self.apart_rate, 3),
            "identity_pairs": self.same_pairs + self.other_pairs,
            "confusion": conf,
        }


@dataclass
class Report:
    """Scores per split, extraction time, and the mistakes (for reading, not for scoring)."""

    splits: dict[str, Scores]
    ms_per_article: float
    mistakes: list[tuple[str, str]]
    """(split, description) of every false positive, miss, wrong status or due, split or merge."""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready report."""
        return {
            "splits": {k: v.as_dict() for k, v in sorted(self.splits.items())},
            "ms_per_article": round(self.ms_per_article, 2),
        }


def _compatible(pred: CommitmentObservation, gold: Gold) -> float | None:
    """Pairing score of a prediction and a label of the same sentence, or None."""
    if pred.dyad != gold.dyad:
        return None
    if gold.is_visit or pred.kind is CommitmentKind.VISIT:
        return 1.0 if gold.is_visit and pred.kind is CommitmentKind.VISIT else None
    score = identity.term_similarity(pred.key_terms, key_terms(gold.title))
    return score if score > 0 else None


def _due_right(pred: CommitmentObservation, gold: Gold) -> bool:
    if gold.due is None or pred.due is None:
        return gold.due is None and pred.due is None
    return (pred.due.start, pred.due.end) == gold.due


def evaluate(records: list[dict[str, Any]]) -> Report:
    """Score :func:`extract` and ``identity.match`` on the corpus ``records`` (module docstring)."""
    articles = load_articles(records)
    articles.sort(key=lambda a: (a.event.published_at, a.event.event_id))
    splits: dict[str, Scores] = {}
    mistakes: list[tuple[str, str]] = []
    pairs: list[tuple[Gold, CommitmentObservation]] = []
    predicted: list[tuple[Article, CommitmentObservation]] = []
    elapsed = 0.0
    if articles:  # build the pipeline and gazetteer before timing
        extract(articles[0].event)
    for art in articles:
        scores = splits.setdefault(art.split, Scores())
        began = time.perf_counter()
        obs = [o for o in extract(art.event) if isinstance(o, CommitmentObservation)]
        elapsed += time.perf_counter() - began
        scores.gold += len(art.labels)
        scores.predicted += len(obs)
        predicted.extend((art, o) for o in obs)
        for start, end, text in art.sentences:
            preds = [o for o in obs if start <= o.evidence.span[0] and o.evidence.span[1] <= end]
            golds = [g for g in art.labels if g.span == (start, end)]
            options = []
            for i, p in enumerate(preds):
                for j, g in enumerate(golds):
                    s = _compatible(p, g)
                    if s is not None:
                        options.append((-s, i, j))
            used_p: set[int] = set()
            used_g: set[int] = set()
            for _, i, j in sorted(options):
                if i in used_p or j in used_g:
                    continue
                used_p.add(i)
                used_g.add(j)
                p, g = preds[i], golds[j]
                pairs.append((g, p))
                scores.paired += 1
                status_ok = p.signal.value == g.status and (
                    (p.denies.value if p.denies else None) == g.denies
                )
                scores.status_right += status_ok
                scores.confusion[(g.status, p.signal.value)] += 1
                scores.due_right += _due_right(p, g)
                if not status_ok:
                    got_status = f"{p.signal.value}/{p.denies.value if p.denies else '-'}"
                    where = f"STATUS {art.event.event_id}"
                    mistakes.append((art.split, f"{where}: {g.status} -> {got_status} | {text}"))
                if not _due_right(p, g):
                    got = (p.due.start, p.due.end) if p.due else None
                    where = f"DUE {art.event.event_id}"
                    mistakes.append((art.split, f"{where}: {g.due} -> {got} | {text}"))
            for i, p in enumerate(preds):
                if i not in used_p:
                    mistakes.append((art.split, f"FP {art.event.event_id}: [{p.title}] | {text}"))
            for j, g in enumerate(golds):
                if j not in used_g:
                    mistakes.append((art.split, f"FN {art.event.event_id}: [{g.title}] | {text}"))
    links = _links([o for _, o in predicted])
    split_of = {a.event.event_id: a.split for a in articles}
    for (g1, p1), (g2, p2) in combinations(pairs, 2):
        if g1.dyad != g2.dyad or p1.observation_id == p2.observation_id:
            continue
        split = "test" if "test" in (split_of[g1.article], split_of[g2.article]) else "train"
        scores = splits.setdefault(split, Scores())
        l1, l2 = links.get(p1.observation_id), links.get(p2.observation_id)
        linked = l1 is not None and l1 == l2
        if g1.key == g2.key:
            scores.same_pairs += 1
            scores.same_linked += linked
            if not linked:
                mistakes.append((split, f"SPLIT {g1.key}: [{p1.title}] / [{p2.title}]"))
        else:
            scores.other_pairs += 1
            scores.other_apart += not linked
            if linked:
                mistakes.append((split, f"MERGED {g1.key} + {g2.key}: [{p1.title}] / [{p2.title}]"))
    ms = 1000 * elapsed / len(articles) if articles else 0.0
    return Report(splits, ms, mistakes)


def _links(observations: list[CommitmentObservation]) -> dict[str, str]:
    """Observation id -> the commitment id the projection files it under (absent: dropped)."""
    projections: dict[str, DyadProjection] = {}
    out: dict[str, str] = {}
    for obs in sorted(observations, key=sort_key):
        proj = projections.setdefault(obs.dyad, DyadProjection(obs.dyad))
        found = identity.match(obs, list(proj.commitments.values()))
        if found is not None:
            out[obs.observation_id] = found.id
        elif obs.may_create:
            out[obs.observation_id] = commitment_id(obs)
        proj.apply(obs)
    return out
