"""The projection: a fold of observations into the state of each relationship (dyad).

``DyadProjection.apply`` is the reducer (one observation -> alerts, state updated);
:func:`project` folds a whole log. The state of a dyad is a function of the *set* of observations
it has seen (ordered by event time, then observation id) and of the event-time clock: an
observation that arrives late (behind what was applied) is handled by :func:`refold`, which
rebuilds the dyad from its sorted log, so two runtimes that saw the same observations in different
orders agree byte for byte. An observation id seen before changes nothing and emits nothing.

Which commitment an observation mentions is :func:`identity.match` over the dyad's commitments;
the reducer asks an :class:`identity.CandidateIndex` (an inverted index of key terms with cached
term sets and weights, kept beside the state) that returns the same commitment without scoring
every one. Commitments are immutable models: an alert carries the commitment as it stood when
the alert was raised, so a change makes a new version (a shallow copy; unchanged lists are
shared between versions).

Confidence of a commitment: noisy-OR over distinct sources of each source's strongest mention,
``1 - prod(1 - c_s)``, capped at 0.99 and rounded to 3 places (two independent outlets raise it).
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from schemas.alerts import Alert
from schemas.common import CommitmentStatus, Topic
from schemas.observations import (
    ClockTick,
    CommitmentKind,
    CommitmentObservation,
    EngagementObservation,
)
from schemas.state import Commitment, Engagement, RelationshipState, StatusChange
from service.domain import identity, rules

Observation = CommitmentObservation | EngagementObservation

__all__ = ["DyadProjection", "Observation", "clock_as_of", "project", "refold", "sort_key"]

_TOPIC_ORDER = {t: i for i, t in enumerate(Topic)}


def sort_key(obs: Observation) -> tuple[datetime, str, int]:
    """Event-time order of observations: (event_time, event_id, mention index)."""
    event_id, _, index = obs.observation_id.rpartition("#")
    return (obs.event_time, event_id or obs.observation_id, int(index) if index.isdigit() else 0)


def _slug(text: str, limit: int = 40) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:limit].rstrip("-") or "commitment"


def _digest(*parts: str, size: int = 10) -> str:
    return hashlib.sha256("|".join(parts).encode("utf-8")).hexdigest()[:size]


def commitment_id(obs: CommitmentObservation) -> str:
    """Stable id of a commitment first seen in ``obs``: a slug of its title and a short hash."""
    return f"{_slug(obs.title)}-{_digest(obs.dyad, obs.observation_id, obs.title, size=8)}"


def _union(kept: list[Any], more: Iterable[Any], key: Any = None) -> list[Any]:
    """``sorted(set(kept) | set(more), key=key)``, given that ``kept`` is already sorted and
    unique (every list a commitment keeps is): ``kept`` itself when ``more`` adds nothing, so an
    unchanged list is shared between versions of a commitment instead of rebuilt."""
    if all(item in kept for item in more):
        return kept
    return sorted(set(kept).union(more), key=key)


def _noisy_or(per_source: dict[str, float]) -> float:
    miss = math.prod(1.0 - min(max(c, 0.0), 1.0) for c in per_source.values())
    return round(min(0.99, 1.0 - miss), 3)


class DyadProjection:
    """The working state of one dyad's projection and its reducer.

    Attributes: ``dyad``; ``clock`` (event-time watermark, UTC, or None before any event);
    ``commitments`` and ``engagements`` by id; ``seen`` observation ids; ``last`` the sort key of
    the last observation applied; ``emitted`` alert ids already emitted (so a refold re-emits none);
    ``source_conf`` per commitment the strongest mention confidence of each source.
    Serialise with :meth:`to_dict` / :meth:`from_dict` (JSON-ready) to keep it in a table.
    """

    def __init__(self, dyad: str) -> None:
        self.dyad = dyad
        self.clock: datetime | None = None
        self.commitments: dict[str, Commitment] = {}
        self.engagements: dict[str, Engagement] = {}
        self.seen: set[str] = set()
        self.last: tuple[datetime, str, int] | None = None
        self.emitted: set[str] = set()
        self.source_conf: dict[str, dict[str, float]] = {}
        self._identity = identity.CandidateIndex()  # what identity.match needs (derived)
        self._binding: set[str] = set()  # ids of commitments a clock can make late (derived)

    # -- reducer -----------------------------------------------------------------------------

    def is_late(self, obs: Observation) -> bool:
        """True when ``obs`` sorts before what was applied or behind the clock: refold needed."""
        if obs.observation_id in self.seen:
            return False
        key = sort_key(obs)
        if self.last is not None and key < self.last:
            return True
        return self.clock is not None and obs.event_time < self.clock

    def apply(self, obs: Observation) -> list[Alert]:
        """Apply one observation in event-time order; return the alerts it causes.

        The clock first advances to the observation's event time (deadlines judged). A seen
        observation id returns [] and changes nothing. A late observation (``is_late``) is applied
        as if on time; callers that keep the log use :func:`refold` instead for exact results.
        """
        if obs.observation_id in self.seen:
            return []
        alerts = self.advance(obs.event_time)
        self.seen.add(obs.observation_id)
        key = sort_key(obs)
        self.last = key if self.last is None else max(self.last, key)
        if isinstance(obs, EngagementObservation):
            self._engage(obs)
        else:
            alerts.extend(self._observe(obs))
        return self._fresh(alerts)

    def tick(self, tick: ClockTick) -> list[Alert]:
        """Advance the clock to ``tick.at`` (never backwards); return deadline alerts."""
        return self._fresh(self.advance(tick.at))

    def advance(self, at: datetime) -> list[Alert]:
        """Move the clock to ``at`` if later; return the deadline alerts this causes.

        First the deadlines approaching at the *old* clock are judged, now that every event up to
        it has been applied (so an event that reschedules a commitment at the same instant is
        taken into account); then commitments whose due window ended before ``at`` lapse (those
        that :func:`rules.lapses`; the others simply stop being judged).
        """
        if self.clock is not None and at <= self.clock:
            return []
        alerts: list[Alert] = []
        if self.clock is not None:
            alerts.extend(self._approaching(self.clock))
        self.clock = at
        for cid in sorted(self._binding):
            c = self.commitments[cid]
            assert c.due is not None
            moment = rules.deadline_moment(c.due)
            if at >= moment and not rules.lapses(c):
                self._binding.discard(cid)  # a restrictive measure stands past its date
            elif at >= moment:
                lapsed = c.model_copy(
                    update={
                        "status": CommitmentStatus.LAPSED,
                        "contested": False,
                        "status_history": [
                            *c.status_history,
                            StatusChange(status=CommitmentStatus.LAPSED, at=moment),
                        ],
                    }
                )
                self.commitments[cid] = lapsed
                self._binding.discard(cid)
                alerts.append(rules.deadline_missed(c, lapsed))
        return alerts

    def _approaching(self, at: datetime) -> list[Alert]:
        alerts = []
        for cid in sorted(self._binding):
            c = self.commitments[cid]
            assert c.due is not None
            start, end = rules.approach_range(c.due)
            if start <= at < end:
                alerts.append(rules.deadline_approaching(c, at))
        return alerts

    def _fresh(self, alerts: list[Alert]) -> list[Alert]:
        out = []
        for alert in alerts:
            if alert.alert_id not in self.emitted:
                self.emitted.add(alert.alert_id)
                out.append(alert)
        return out

    def _observe(self, obs: CommitmentObservation) -> list[Alert]:
        prev = self._identity.match(obs, self.commitments)
        if prev is None:
            if not obs.may_create:
                return []
            new = self._create(obs)
            verdict = None
        else:
            verdict = rules.judge(prev, obs)
            new = self._merge(prev, obs, verdict)
        self.commitments[new.id] = new
        self._index(new)
        if prev is not None and new.kind == CommitmentKind.VISIT and prev.due != new.due:
            self._reschedule_with(prev, new)
        alerts = []
        for rule in rules.OBSERVATION_RULES:
            alert = rule(prev, new, obs, verdict)
            if alert is not None:
                alerts.append(alert)
        return alerts

    def _index(self, c: Commitment) -> None:
        self._identity.add(c)
        if rules.is_binding(c):
            self._binding.add(c.id)
        else:
            self._binding.discard(c.id)

    def _candidates(self, obs: CommitmentObservation) -> list[Commitment]:
        """Commitments sharing a key term with ``obs``: identity.similarity is 0 for the others."""
        return [self.commitments[i] for i in sorted(self._identity.candidates(obs))]

    def _reschedule_with(self, before: Commitment, visit: Commitment) -> None:
        """Move the due window of what is to be done *during* a visit when the visit moves.

        A commitment whose due window was read from the same sentence as the visit's (same event
        and span in both evidence lists) and still equals the visit's old window is due with the
        visit ("expected to travel to New Delhi to sign agreements on ..."): it takes the new
        window. Nothing else about it changes, and no alert is raised.
        """
        if before.due is None or visit.due is None:
            return
        spans = {(e.event_id, e.span) for e in before.evidence}
        for cid, c in list(self.commitments.items()):
            if cid == visit.id or c.due != before.due or c.status in rules.CLOSED:
                continue
            if spans & {(e.event_id, e.span) for e in c.evidence}:
                self.commitments[cid] = c.model_copy(update={"due": visit.due})
                self._index(self.commitments[cid])

    def _create(self, obs: CommitmentObservation) -> Commitment:
        cid = commitment_id(obs)
        self.source_conf[cid] = {obs.evidence.source: obs.confidence}
        return Commitment(
            id=cid,
            dyad=self.dyad,
            kind=obs.kind,
            direction=obs.direction,
            title=obs.title,
            parties=sorted(set(obs.parties)),
            topics=sorted(set(obs.topics), key=_TOPIC_ORDER.__getitem__),
            status=obs.signal,
            status_history=[
                StatusChange(status=obs.signal, at=obs.event_time, evidence=obs.evidence)
            ],
            due=obs.due,
            evidence=[obs.evidence],
            key_terms=sorted(set(obs.key_terms)),
            confidence=_noisy_or(self.source_conf[cid]),
            first_seen=obs.event_time,
            last_seen=obs.event_time,
        )

    def _merge(
        self, prev: Commitment, obs: CommitmentObservation, verdict: rules.Verdict
    ) -> Commitment:
        conf = self.source_conf.setdefault(prev.id, {})
        conf[obs.evidence.source] = max(conf.get(obs.evidence.source, 0.0), obs.confidence)
        update: dict[str, Any] = {
            "parties": _union(prev.parties, obs.parties),
            "topics": _union(prev.topics, obs.topics, _TOPIC_ORDER.__getitem__),
            "evidence": [*prev.evidence, obs.evidence],
            "key_terms": _union(prev.key_terms, obs.key_terms),
            "confidence": _noisy_or(conf),
            "first_seen": min(prev.first_seen, obs.event_time),
            "last_seen": max(prev.last_seen, obs.event_time),
        }
        if verdict.contradiction:
            update["contested"] = True
        elif verdict.changed:
            update["status"] = verdict.status
            update["contested"] = False
            update["status_history"] = [
                *prev.status_history,
                StatusChange(status=verdict.status, at=obs.event_time, evidence=obs.evidence),
            ]
        if obs.due is not None and not verdict.contradiction and verdict.status not in rules.CLOSED:
            update["due"] = obs.due
        return prev.model_copy(update=update)

    def _engage(self, obs: EngagementObservation) -> None:
        eid = "e-" + _digest(
            self.dyad, obs.kind, obs.title.lower(), obs.event_time.date().isoformat()
        )
        known = self.engagements.get(eid)
        if known is None:
            self.engagements[eid] = Engagement(
                id=eid,
                dyad=self.dyad,
                kind=obs.kind,
                title=obs.title,
                participants=sorted(set(obs.participants)),
                at=obs.event_time,
                evidence=[obs.evidence],
            )
        else:
            self.engagements[eid] = known.model_copy(
                update={
                    "participants": sorted(set(known.participants) | set(obs.participants)),
                    "evidence": [*known.evidence, obs.evidence],
                }
            )

    # -- views and persistence ---------------------------------------------------------------

    def snapshot(self) -> RelationshipState:
        """The read model: commitments by (first_seen, id), engagements by (at, id)."""
        return RelationshipState(
            dyad=self.dyad,
            as_of=self.clock,
            commitments=sorted(self.commitments.values(), key=lambda c: (c.first_seen, c.id)),
            engagements=sorted(self.engagements.values(), key=lambda e: (e.at, e.id)),
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict of the whole working state (inverse of :meth:`from_dict`)."""
        return {
            "dyad": self.dyad,
            "clock": self.clock.isoformat() if self.clock else None,
            "commitments": [c.model_dump(mode="json") for c in self.commitments.values()],
            "engagements": [e.model_dump(mode="json") for e in self.engagements.values()],
            "seen": sorted(self.seen),
            "last": [self.last[0].isoformat(), self.last[1], self.last[2]] if self.last else None,
            "emitted": sorted(self.emitted),
            "source_conf": self.source_conf,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DyadProjection:
        """Rebuild from :meth:`to_dict` output. Raises pydantic.ValidationError on a bad dict."""
        proj = cls(data["dyad"])
        proj.clock = datetime.fromisoformat(data["clock"]) if data["clock"] else None
        for raw in data["commitments"]:
            c = Commitment.model_validate(raw)
            proj.commitments[c.id] = c
            proj._index(c)
        for raw in data["engagements"]:
            e = Engagement.model_validate(raw)
            proj.engagements[e.id] = e
        proj.seen = set(data["seen"])
        if data["last"]:
            t, eid, idx = data["last"]
            proj.last = (datetime.fromisoformat(t), eid, int(idx))
        proj.emitted = set(data["emitted"])
        proj.source_conf = {k: dict(v) for k, v in data["source_conf"].items()}
        return proj


def refold(
    dyad: str,
    log: Iterable[Observation],
    clock: datetime | None = None,
    emitted: Iterable[str] = (),
) -> tuple[DyadProjection, list[Alert]]:
    """Rebuild one dyad from its whole observation log, sorted by event time.

    ``clock`` is the watermark to advance to at the end; ``emitted`` alert ids already sent (they
    are not returned again). Returns the projection and the alerts not yet emitted.
    """
    proj = DyadProjection(dyad)
    proj.emitted = set(emitted)
    alerts: list[Alert] = []
    for obs in sorted(log, key=sort_key):
        alerts.extend(proj.apply(obs))
    if clock is not None:
        alerts.extend(proj._fresh(proj.advance(clock)))
    return proj, alerts


def clock_as_of(log: Iterable[Observation], as_of: datetime) -> datetime | None:
    """A dyad's event-time clock once every event published by ``as_of`` was folded.

    The greatest ``evidence.published_at`` <= ``as_of`` in the dyad's ``log`` (None when there
    is none): pass it to :func:`refold` so that a state as of a time equals the one a live run
    had then (another dyad's events, and the time asked, move no dyad's clock).
    """
    times = [o.evidence.published_at for o in log if o.evidence.published_at <= as_of]
    return max(times, default=None)


def project(
    observations: Iterable[Observation | ClockTick],
) -> tuple[dict[str, RelationshipState], list[Alert]]:
    """Fold a log of observations and clock ticks, in the given order, into states and alerts.

    A ClockTick with ``dyad`` None advances every dyad seen so far (and those seen later start no
    earlier than it). Returns ``({dyad: RelationshipState}, alerts in emission order)``.
    """
    projections: dict[str, DyadProjection] = {}
    alerts: list[Alert] = []
    clock: datetime | None = None
    for item in observations:
        if isinstance(item, ClockTick):
            targets: Sequence[DyadProjection]
            if item.dyad is None:
                clock = item.at if clock is None else max(clock, item.at)
                targets = list(projections.values())
            else:
                targets = [projections.setdefault(item.dyad, DyadProjection(item.dyad))]
            for proj in targets:
                alerts.extend(proj.tick(item))
            continue
        proj = projections.get(item.dyad)
        if proj is None:
            proj = projections[item.dyad] = DyadProjection(item.dyad)
            if clock is not None:
                proj.advance(clock)
        alerts.extend(proj.apply(item))
    return {d: p.snapshot() for d, p in sorted(projections.items())}, alerts
