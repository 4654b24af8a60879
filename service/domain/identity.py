"""Commitment identity: is this observation a new mention of a commitment already known?

Two mentions are the same commitment when they belong to the same dyad, have the same direction
(cooperative or restrictive), their kinds are compatible (``visit`` only with ``visit``,
``measure`` only with ``measure``; ``agreement``, ``talks`` and ``action`` with each other, since
talks on a subject lead to an agreement on it) and they share enough key terms:

``similarity = 0.75 * term_score + 0.25 * topic_jaccard``

where ``term_score`` averages the weighted overlap coefficient and the weighted Dice
coefficient of the two key-term sets (weights: 1.0, or 0.5 for the weak terms of
``service/domain/data/terms.json`` such as ``security`` or ``law_enforcement``), and
``topic_jaccard`` is the Jaccard index of the topic sets (0.5 when either side's topic is
unknown, i.e. only ``other``: no evidence of a difference). With no key term in common the
similarity is 0: topics alone never merge two commitments.
The overlap coefficient lets a short mention ("talks on cybersecurity cooperation") find a
fuller one; the Dice part prefers the candidate closest in size when several contain it.

Pure: no I/O besides the packaged term lists.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from schemas.common import Topic
from schemas.observations import CommitmentKind, CommitmentObservation
from schemas.state import Commitment
from service.domain.extraction.topics import form_terms, weak_terms

__all__ = [
    "MATCH_THRESHOLD",
    "CandidateIndex",
    "compatible",
    "match",
    "same_visit",
    "similarity",
    "term_similarity",
]

MATCH_THRESHOLD = 0.5
"""Least similarity (0..1) for an observation to be a mention of an existing commitment."""

TERM_WEIGHT = 0.75
TOPIC_WEIGHT = 0.25
WEAK_TERM_WEIGHT = 0.5


def compatible(a: CommitmentKind, b: CommitmentKind) -> bool:
    """True when commitments of kinds ``a`` and ``b`` can be the same commitment: a visit only
    with a visit, a measure only with a measure, any other two kinds with each other."""
    for only_itself in (CommitmentKind.VISIT, CommitmentKind.MEASURE):
        if only_itself in (a, b):
            return a == b
    return True


def _weight(terms: Iterable[str]) -> float:
    weak = weak_terms()
    return sum(WEAK_TERM_WEIGHT if t in weak else 1.0 for t in terms)


def term_similarity(a: Iterable[str], b: Iterable[str]) -> float:
    """Mean of the weighted overlap coefficient and Dice coefficient of two term sets (0..1)."""
    sa, sb = {t.lower() for t in a}, {t.lower() for t in b}
    if not sa or not sb:
        return 0.0
    common = _weight(sa & sb)
    if common == 0:
        return 0.0
    wa, wb = _weight(sa), _weight(sb)
    overlap = common / min(wa, wb)
    dice = 2 * common / (wa + wb)
    return (overlap + dice) / 2


def _jaccard(a: Iterable[object], b: Iterable[object]) -> float:
    sa, sb = set(a), set(b)
    if not sa and not sb:
        return 0.0
    return len(sa & sb) / len(sa | sb)


def topic_agreement(a: Iterable[Topic], b: Iterable[Topic]) -> float:
    """Jaccard index of two topic sets, or 0.5 (no evidence either way) when one of them is
    unknown (empty or only ``other``)."""
    sa, sb = set(a) - {Topic.OTHER}, set(b) - {Topic.OTHER}
    if not sa or not sb:
        return 0.5
    return _jaccard(sa, sb)


def _visit_parts(terms: Iterable[str]) -> tuple[set[str], set[str], set[str]]:
    """(destinations, origins, who-terms) of a visit's key terms (extractor.visitor_terms)."""
    dest, origin, who = set(), set(), set()
    for t in terms:
        if len(t) == 2 and t.isupper():
            dest.add(t)
        elif t.startswith("from_"):
            origin.add(t)
        else:
            who.add(t.lower())
    return dest, origin, who


def same_visit(a: Iterable[str], b: Iterable[str]) -> bool:
    """True when two visits' key terms can be one visit: the same destination, no conflicting
    origin, and shared who-terms unless one side names no one ("the minister")."""
    da, oa, wa = _visit_parts(a)
    db, ob, wb = _visit_parts(b)
    if not da & db:
        return False
    if oa and ob and not oa & ob:
        return False
    return not (wa and wb and not wa & wb)


def _different_forms(a: Iterable[str], b: Iterable[str]) -> bool:
    """True when both term sets name what the commitment creates and share no such form
    ("shipbuilding investment" / "shipbuilding working group")."""
    forms = form_terms()
    fa, fb = set(a) & forms, set(b) & forms
    return bool(fa and fb and not fa & fb)


def similarity(obs: CommitmentObservation, commitment: Commitment) -> float:
    """How alike an observation and a commitment are, 0..1 (module docstring for the formula).

    0.0 for another dyad, another direction or an incompatible kind. Two visits are alike when
    :func:`same_visit` holds: ``TERM_WEIGHT + TOPIC_WEIGHT * topic_jaccard``, else 0.0.
    """
    if (
        obs.dyad != commitment.dyad
        or obs.direction != commitment.direction
        or not compatible(obs.kind, commitment.kind)
    ):
        return 0.0
    if obs.kind is CommitmentKind.VISIT:
        if not same_visit(obs.key_terms, commitment.key_terms):
            return 0.0
        return round(TERM_WEIGHT + TOPIC_WEIGHT * topic_agreement(obs.topics, commitment.topics), 6)
    if _different_forms(obs.key_terms, commitment.key_terms):
        return 0.0
    terms = term_similarity(obs.key_terms, commitment.key_terms)
    if terms == 0.0:
        return 0.0
    value = TERM_WEIGHT * terms + TOPIC_WEIGHT * topic_agreement(obs.topics, commitment.topics)
    return round(min(value, 1.0), 6)


def match(obs: CommitmentObservation, commitments: Sequence[Commitment]) -> Commitment | None:
    """The existing commitment ``obs`` is a mention of, or None when it is a new one.

    Picks the most similar commitment of the same dyad and direction and a compatible kind whose
    similarity is at least :data:`MATCH_THRESHOLD`; ties go to the earliest ``first_seen``, then
    the smallest ``id``, so the result does not depend on the order of ``commitments``.
    """
    best: Commitment | None = None
    best_key: tuple[float, float, str] | None = None
    for commitment in commitments:
        score = similarity(obs, commitment)
        if score < MATCH_THRESHOLD:
            continue
        key = (-score, commitment.first_seen.timestamp(), commitment.id)
        if best_key is None or key < best_key:
            best, best_key = commitment, key
    return best


_VISIT, _MEASURE, _OTHER_KINDS = 0, 1, 2
_ROUNDING_SLACK = 1e-6
"""Bounds are compared with this margin: a score is rounded to 6 places before it is compared."""


def _kind_group(kind: CommitmentKind) -> int:
    """Kinds that are :func:`compatible` share a group: visits, measures, everything else."""
    if kind is CommitmentKind.VISIT:
        return _VISIT
    if kind is CommitmentKind.MEASURE:
        return _MEASURE
    return _OTHER_KINDS


def _term_score(common: float, wa: float, wb: float) -> float:
    """:func:`term_similarity` from the weights: shared, and of each side (same arithmetic)."""
    overlap = common / min(wa, wb)
    dice = 2 * common / (wa + wb)
    return (overlap + dice) / 2


@dataclass(slots=True)
class _Features:
    """What :func:`similarity` reads of a commitment, computed once per version of it.

    ``source`` is what they were computed from (key terms, topics, first_seen, kind, direction,
    dyad): a new version with the same source keeps them.
    """

    source: tuple[Any, ...]
    dyad: str
    lower: frozenset[str]
    weight: float
    forms: frozenset[str]
    topics: frozenset[Topic]
    first_seen: float
    space: tuple[Any, int]


class CandidateIndex:
    """An inverted index over one projection's commitments that finds what :func:`match` finds.

    Postings map (direction, kind group, lower-cased key term) to the ids of the commitments
    with that term, grouped by the commitments' term weight. For a commitment observation,
    :meth:`match` visits the postings of the observation's terms from the shortest, scoring each
    commitment once from cached features; it skips a weight group, and then stops, as soon as no
    commitment not yet scored there can reach the threshold or beat the best so far (an upper
    bound of :func:`similarity` from the weight of the observation's terms not yet visited and the
    commitments' weight). The result is the one ``match(obs, every commitment)`` returns: same
    scores, same threshold, same ties (earliest ``first_seen``, then smallest id). Visits (few,
    and matched by :func:`same_visit`) are scored by :func:`similarity` itself over their
    postings.
    """

    def __init__(self) -> None:
        self._features: dict[str, _Features] = {}
        # (direction, kind group) -> term -> commitment term weight -> ids
        self._postings: dict[tuple[Any, int], dict[str, dict[float, set[str]]]] = {}
        self._sizes: dict[tuple[Any, int], dict[str, int]] = {}  # the count of those ids

    def add(self, commitment: Commitment) -> None:
        """Index ``commitment``: a new one, or a new version of one indexed before."""
        cid = commitment.id
        source = (
            commitment.key_terms,
            commitment.topics,
            commitment.first_seen,
            commitment.kind,
            commitment.direction,
            commitment.dyad,
        )
        known = self._features.get(cid)
        if known is not None and known.source == source:
            return
        lower = frozenset([t.lower() for t in commitment.key_terms])
        weight = _weight(lower)
        space = (commitment.direction, _kind_group(commitment.kind))
        if known is not None:
            old_postings, old_sizes = self._postings[known.space], self._sizes[known.space]
            for term in known.lower:
                by_weight = old_postings[term]
                members = by_weight[known.weight]
                members.discard(cid)
                old_sizes[term] -= 1
                if not members:
                    del by_weight[known.weight]
        postings = self._postings.setdefault(space, {})
        sizes = self._sizes.setdefault(space, {})
        for term in lower:
            by_weight = postings.get(term)
            if by_weight is None:
                postings[term] = {weight: {cid}}
                sizes[term] = 1
            else:
                members = by_weight.get(weight)
                if members is None:
                    by_weight[weight] = {cid}
                else:
                    members.add(cid)
                sizes[term] += 1
        self._features[cid] = _Features(
            source=source,
            dyad=commitment.dyad,
            lower=lower,
            weight=weight,
            forms=form_terms().intersection(commitment.key_terms),
            topics=frozenset(commitment.topics) - {Topic.OTHER},
            first_seen=commitment.first_seen.timestamp(),
            space=space,
        )

    def candidates(self, obs: CommitmentObservation) -> set[str]:
        """Ids of the commitments sharing a lower-cased key term with ``obs`` (any kind): those
        :func:`similarity` may score above 0. Scans every posting (for tests and tools)."""
        terms = {t.lower() for t in obs.key_terms}
        ids: set[str] = set()
        for postings in self._postings.values():
            for term in terms:
                for members in postings.get(term, {}).values():
                    ids |= members
        return ids

    def match(
        self, obs: CommitmentObservation, commitments: Mapping[str, Commitment]
    ) -> Commitment | None:
        """``match(obs, commitments.values())``, from the index (``commitments`` by id, every
        indexed commitment as it now stands)."""
        space = (obs.direction, _kind_group(obs.kind))
        postings = self._postings.get(space)
        if postings is None:
            return None
        lower = {t.lower() for t in obs.key_terms}
        if space[1] == _VISIT:
            ids: set[str] = set()
            for t in lower:
                for members in postings.get(t, {}).values():
                    ids |= members
            return match(obs, [commitments[i] for i in sorted(ids)])
        weak = weak_terms()
        weights = {t: WEAK_TERM_WEIGHT if t in weak else 1.0 for t in lower}
        wa = sum(weights.values())
        live = []
        sizes = self._sizes[space]
        for t in lower:
            size = sizes.get(t)
            if size:
                live.append((size, t, postings[t]))
        if not live:
            return None
        live.sort(key=lambda p: (p[0], p[1]))
        # A commitment first met in live[i] shares at most the weight of live[i:]: shared[i]
        topic_bound = 0.5 if not obs.topics or set(obs.topics) <= {Topic.OTHER} else 1.0
        shared = [0.0] * len(live)
        bounds = [0.0] * len(live)
        total, least = 0.0, math.inf
        for i in range(len(live) - 1, -1, -1):
            total += weights[live[i][1]]
            least = min(least, *live[i][2])
            shared[i] = total
            bounds[i] = self._bound(total, wa, max(total, least), topic_bound)
        obs_forms = form_terms().intersection(obs.key_terms)
        obs_topics = frozenset(obs.topics) - {Topic.OTHER}
        features = self._features
        dyad = obs.dyad
        best_id: str | None = None
        best_key: tuple[float, float, str] | None = None
        floor = MATCH_THRESHOLD
        scored: set[str] = set()
        last = len(live) - 1
        for i, (_, _, by_weight) in enumerate(live):
            if bounds[i] + _ROUNDING_SLACK < floor:
                break  # no commitment not yet scored can reach the threshold or the best
            for wb, members in by_weight.items():
                if len(by_weight) > 1 or i:
                    bound = self._bound(min(shared[i], wb), wa, wb, topic_bound)
                    if bound + _ROUNDING_SLACK < floor:
                        continue  # nobody of this weight can: skipped here and wherever met
                for cid in members:
                    if i and cid in scored:
                        continue
                    if i < last:
                        scored.add(cid)
                    f = features[cid]
                    if f.dyad != dyad or (obs_forms and f.forms and not obs_forms & f.forms):
                        continue
                    common = sum([weights[t] for t in lower & f.lower])
                    if common == 0:
                        continue
                    terms = (common / min(wa, wb) + 2 * common / (wa + wb)) / 2
                    if terms == 0.0:
                        continue
                    if not obs_topics or not f.topics:
                        topics = 0.5
                    else:
                        topics = len(obs_topics & f.topics) / len(obs_topics | f.topics)
                    score = round(min(TERM_WEIGHT * terms + TOPIC_WEIGHT * topics, 1.0), 6)
                    if score < floor:
                        continue
                    key = (-score, f.first_seen, cid)
                    if best_key is None or key < best_key:
                        best_id, best_key = cid, key
                        floor = score
        return None if best_id is None else commitments[best_id]

    @staticmethod
    def _bound(common: float, wa: float, wb: float, topic_bound: float) -> float:
        """The similarity of a commitment of term weight ``wb`` sharing ``common`` with an
        observation of weight ``wa``, at the best topic agreement ``topic_bound``. It grows with
        ``common`` and shrinks as ``wb`` grows past ``common``, so it bounds from above any
        commitment sharing at most ``common`` and weighing at least ``wb``."""
        term_bound = _term_score(common, wa, wb)
        return min(TERM_WEIGHT * term_bound + TOPIC_WEIGHT * topic_bound, 1.0)
