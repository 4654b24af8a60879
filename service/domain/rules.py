"""Status transitions and alert rules: pure functions of (previous, new, trigger).

Status semantics follow DESIGN.md ("Commitments"): a *progression* proposed < under_discussion <
agreed < in_progress < fulfilled that a restatement never walks back, and *interruptions* (paused,
postponed, reversed) that apply from any open status. A commitment is "open" until fulfilled,
reversed or lapsed. The alert kinds and severities are those of DESIGN.md ("Alerts").

Severity follows what a change means for the relationship (:func:`severity`). A cooperative
commitment: reversed is critical, paused or postponed a warning, anything else info. A restrictive
measure: planned, announced, in effect or carried out is a warning (the relationship worsens);
paused, postponed or lifted (``reversed``) is info (it eases). A restrictive measure's due date is
when it takes effect: its approach is a warning, and its passing is no evidence that the measure was
dropped, so a restrictive commitment never lapses by the clock (:func:`lapses`).

Nothing here reads a clock: every time comes from an event (its event time) or a ClockTick.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from schemas.alerts import Alert
from schemas.common import AlertKind, CommitmentStatus, Direction, Due, DueKind, Severity
from schemas.observations import CommitmentKind, CommitmentObservation, Evidence
from schemas.state import Commitment

S = CommitmentStatus

PROGRESSION: dict[CommitmentStatus, int] = {
    S.PROPOSED: 0,
    S.UNDER_DISCUSSION: 1,
    S.AGREED: 2,
    S.IN_PROGRESS: 3,
    S.FULFILLED: 4,
}
"""Rank of the statuses a restatement may only move forward along."""

INTERRUPTIONS = frozenset({S.PAUSED, S.POSTPONED, S.REVERSED})
CLOSED = frozenset({S.FULFILLED, S.REVERSED, S.LAPSED})
"""Statuses for which deadlines no longer matter."""

CONTRADICTION_WINDOW = timedelta(days=14)
"""A different source asserting an incompatible status within this event-time span of the status
being set is a contradiction (sources disagree), not a status change."""

APPROACH_LEAD = timedelta(days=7)
"""How long before a deadline (or before a window opens) ``deadline_approaching`` fires."""


@dataclass(frozen=True)
class Verdict:
    """What one observation does to a commitment's status.

    ``status`` the status afterwards; ``changed`` whether it differs from before;
    ``contradiction`` whether the observation disputes the current status (status kept).
    """

    status: CommitmentStatus
    changed: bool
    contradiction: bool


def judge(current: Commitment, obs: CommitmentObservation) -> Verdict:
    """Decide the status after ``obs`` for a commitment currently ``current``.

    Rules, in order:
    1. ``obs.denies`` equal to the current status: a contradiction (sources disagree).
    2. The same status: a restatement.
    3. An interruption (paused/postponed/reversed) changes any status but ``reversed``
       (``postponed`` after ``fulfilled`` is a contradiction: it already took place).
    4. From an interruption or ``lapsed``: ``in_progress``/``fulfilled`` change it (resumed, took
       place); a stative signal (proposed/under_discussion/agreed) from another source within
       CONTRADICTION_WINDOW is a contradiction; ``proposed`` after ``postponed`` restates the new
       plan; otherwise it changes (agreed anew).
    5. Along the progression: forward changes, backward is a restatement.
    """
    cur, sig = current.status, obs.signal
    set_by = current.status_history[-1] if current.status_history else None
    other_source = (
        set_by is None or set_by.evidence is None or (set_by.evidence.source != obs.evidence.source)
    )
    recent = set_by is not None and (obs.event_time - set_by.at) <= CONTRADICTION_WINDOW

    if obs.denies is not None and obs.denies == cur:
        return Verdict(cur, False, True)
    if sig == cur:
        return Verdict(cur, False, False)
    if sig in INTERRUPTIONS:
        if cur == S.FULFILLED and sig == S.POSTPONED:
            return Verdict(cur, False, other_source)
        return Verdict(sig, True, False)
    if cur in INTERRUPTIONS or cur == S.LAPSED:
        if sig in (S.IN_PROGRESS, S.FULFILLED):
            return Verdict(sig, True, False)
        if other_source and recent and cur != S.LAPSED:
            return Verdict(cur, False, True)
        if cur == S.POSTPONED and sig == S.PROPOSED:
            return Verdict(cur, False, False)
        return Verdict(sig, True, False)
    if PROGRESSION[sig] > PROGRESSION[cur]:
        return Verdict(sig, True, False)
    return Verdict(cur, False, False)


def deadline_moment(due: Due) -> datetime:
    """The first instant (UTC) after ``due.end``: the day after it, 00:00."""
    return datetime.combine(due.end + timedelta(days=1), time(0), tzinfo=UTC)


def approach_range(due: Due) -> tuple[datetime, datetime]:
    """``[from, to)`` of event time in which ``deadline_approaching`` fires.

    A window fires in the lead-up to its opening (``[start - lead, start)``): once inside the
    window it is due now, and the clock jumping past the lead-up fires nothing. A deadline fires in
    ``[end+1d - lead, end+1d)``.
    """
    if due.kind == DueKind.WINDOW and due.start is not None:
        opens = datetime.combine(due.start, time(0), tzinfo=UTC)
        return opens - APPROACH_LEAD, opens
    moment = deadline_moment(due)
    return moment - APPROACH_LEAD, moment


def is_binding(commitment: Commitment) -> bool:
    """Whether the clock judges ``commitment``'s due date: it is open and has a window or
    deadline (``deadline_approaching`` fires for it; it lapses if :func:`lapses` too)."""
    due = commitment.due
    return due is not None and due.kind != DueKind.UNTIL and commitment.status not in CLOSED


def lapses(commitment: Commitment) -> bool:
    """Whether ``commitment`` lapses when its due window passes: a binding cooperative one.

    A restrictive measure does not: its due date is when it takes effect, and one not reported
    lifted is presumed to stand.
    """
    return is_binding(commitment) and commitment.direction is Direction.COOPERATIVE


COOPERATIVE_ATTENTION = frozenset({S.PAUSED, S.POSTPONED, S.LAPSED, S.REVERSED})
RESTRICTIVE_ATTENTION = frozenset({S.AGREED, S.IN_PROGRESS})


def needs_attention(commitment: Commitment) -> bool:
    """Whether ``commitment`` is a firing condition for Alertmanager (DESIGN.md, "Alertmanager").

    True for a cooperative commitment that is paused, postponed, lapsed or reversed, for a
    restrictive one while announced or in effect (``agreed``, ``in_progress``), and for any
    commitment while ``contested``; False otherwise (the condition resolves).
    """
    if commitment.contested:
        return True
    if commitment.direction is Direction.RESTRICTIVE:
        return commitment.status in RESTRICTIVE_ATTENTION
    return commitment.status in COOPERATIVE_ATTENTION


# --- alerts -----------------------------------------------------------------------------------


def alert_id(dyad: str, commitment_id: str, kind: AlertKind, status: str, trigger: str) -> str:
    """Deterministic alert id: sha256 of its identifying parts, 24 hex characters.

    ``trigger`` is the observation id for alerts an observation causes, the due end date for
    deadline alerts. The same input therefore never yields two alerts with different ids.
    """
    text = "|".join((dyad, commitment_id, str(kind), status, trigger))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


def _alert(
    kind: AlertKind,
    severity: Severity,
    commitment: Commitment,
    *,
    trigger: str,
    reason: str,
    event_time: datetime,
    evidence: Evidence | None,
    previous: CommitmentStatus | None = None,
) -> Alert:
    return Alert(
        alert_id=alert_id(commitment.dyad, commitment.id, kind, commitment.status, trigger),
        kind=kind,
        severity=severity,
        dyad=commitment.dyad,
        commitment=commitment,
        previous_status=previous,
        reason=reason,
        evidence=evidence,
        event_time=event_time,
        emitted_at=event_time,
    )


Rule = Callable[
    [Commitment | None, Commitment, CommitmentObservation, Verdict | None], Alert | None
]

_STATUS_SEVERITY = {S.PAUSED: Severity.WARNING, S.POSTPONED: Severity.WARNING}
RESTRICTIVE_WARNING = frozenset(
    {S.PROPOSED, S.UNDER_DISCUSSION, S.AGREED, S.IN_PROGRESS, S.FULFILLED}
)
"""Statuses of a restrictive commitment that make a warning; the others (an easing) are info."""

MEASURE_WORDS: dict[CommitmentStatus, str] = {
    S.PROPOSED: "planned",
    S.UNDER_DISCUSSION: "under discussion",
    S.AGREED: "announced",
    S.IN_PROGRESS: "in effect",
    S.FULFILLED: "carried out",
    S.PAUSED: "suspended",
    S.POSTPONED: "postponed",
    S.REVERSED: "lifted",
    S.LAPSED: "lapsed",
}
"""How alert reasons name the status of a measure."""


def severity(commitment: Commitment) -> Severity:
    """Severity of a ``new``, ``status_changed`` or ``reversed`` alert about ``commitment`` as it
    now stands (module docstring): it depends on its direction and status only."""
    status = commitment.status
    if commitment.direction is Direction.RESTRICTIVE:
        return Severity.WARNING if status in RESTRICTIVE_WARNING else Severity.INFO
    if status == S.REVERSED:
        return Severity.CRITICAL
    return _STATUS_SEVERITY.get(status, Severity.INFO)


def _source(obs: CommitmentObservation) -> str:
    return f"{obs.evidence.source} ({obs.evidence.attribution})"


def _is_measure(commitment: Commitment) -> bool:
    return commitment.kind is CommitmentKind.MEASURE


def _word(commitment: Commitment, status: CommitmentStatus) -> str:
    """The status as a reason says it: a measure's in its own words, else the status value."""
    return MEASURE_WORDS[status] if _is_measure(commitment) else status.value


def _plain(commitment: Commitment) -> bool:
    """A cooperative commitment that is not a measure: reasons keep their long-standing words."""
    return commitment.direction is Direction.COOPERATIVE and not _is_measure(commitment)


def new_commitment(
    prev: Commitment | None, new: Commitment, obs: CommitmentObservation, verdict: Verdict | None
) -> Alert | None:
    """``commitment.new`` when an observation creates a commitment (severity: :func:`severity`;
    a restrictive measure imposed is a warning)."""
    if prev is not None:
        return None
    if _plain(new):
        reason = f"New {new.status.value} commitment: {new.title}, reported by {_source(obs)}."
    else:
        noun = "measure" if _is_measure(new) else "commitment"
        reason = (
            f"New {new.direction.value} {noun} ({_word(new, new.status)}): {new.title}, "
            f"reported by {_source(obs)}."
        )
    return _alert(
        AlertKind.NEW,
        severity(new),
        new,
        trigger=obs.observation_id,
        reason=reason,
        event_time=obs.event_time,
        evidence=obs.evidence,
    )


def reversed_commitment(
    prev: Commitment | None, new: Commitment, obs: CommitmentObservation, verdict: Verdict | None
) -> Alert | None:
    """``commitment.reversed`` when a known commitment is withdrawn or cancelled (critical) or a
    restrictive measure is lifted (info)."""
    if prev is None or verdict is None or not verdict.changed or new.status != S.REVERSED:
        return None
    if _is_measure(new):
        done = "lifted" if new.direction is Direction.RESTRICTIVE else "revoked"
        reason = (
            f"Measure {done} (was {_word(new, prev.status)}): {new.title}, "
            f"reported by {_source(obs)}."
        )
    else:
        reason = f"Reversed (was {prev.status.value}): {new.title}, reported by {_source(obs)}."
    return _alert(
        AlertKind.REVERSED,
        severity(new),
        new,
        trigger=obs.observation_id,
        reason=reason,
        event_time=obs.event_time,
        evidence=obs.evidence,
        previous=prev.status,
    )


def status_changed(
    prev: Commitment | None, new: Commitment, obs: CommitmentObservation, verdict: Verdict | None
) -> Alert | None:
    """``commitment.status_changed`` with ``previous_status``; severity :func:`severity`
    (cooperative: warning for paused/postponed; restrictive: warning once back in force)."""
    if prev is None or verdict is None or not verdict.changed or new.status == S.REVERSED:
        return None
    change = f"{_word(new, prev.status)} -> {_word(new, new.status)}"
    if _is_measure(new):
        change = f"Measure {change}"
    return _alert(
        AlertKind.STATUS_CHANGED,
        severity(new),
        new,
        trigger=obs.observation_id,
        reason=f"{change}: {new.title}, reported by {_source(obs)}.",
        event_time=obs.event_time,
        evidence=obs.evidence,
        previous=prev.status,
    )


def contradicted(
    prev: Commitment | None, new: Commitment, obs: CommitmentObservation, verdict: Verdict | None
) -> Alert | None:
    """``commitment.contradicted`` (warning) when a source disputes the current status."""
    if prev is None or verdict is None or not verdict.contradiction:
        return None
    set_by = prev.status_history[-1].evidence if prev.status_history else None
    earlier = f"{set_by.source}" if set_by else "an earlier report"
    claim = (
        f"denies it is {_word(new, obs.denies)}" if obs.denies else f"says {_word(new, obs.signal)}"
    )
    subject = f"the measure {new.title}" if _is_measure(new) else new.title
    return _alert(
        AlertKind.CONTRADICTED,
        Severity.WARNING,
        new,
        trigger=obs.observation_id,
        reason=(
            f"Sources disagree on {subject}: {earlier} reported {_word(new, prev.status)}, "
            f"{_source(obs)} {claim}."
        ),
        event_time=obs.event_time,
        evidence=obs.evidence,
        previous=prev.status,
    )


OBSERVATION_RULES: tuple[Rule, ...] = (
    new_commitment,
    reversed_commitment,
    status_changed,
    contradicted,
)
"""Rules run on every commitment observation, in this order."""


def deadline_missed(prev: Commitment, new: Commitment) -> Alert:
    """``commitment.deadline_missed`` (warning): the due window passed with no fulfilment.

    Only for commitments that :func:`lapses` (never a restrictive measure)."""
    assert new.due is not None
    moment = deadline_moment(new.due)
    subject = f"the measure {new.title}" if _is_measure(new) else new.title
    return _alert(
        AlertKind.DEADLINE_MISSED,
        Severity.WARNING,
        new,
        trigger=new.due.end.isoformat(),
        reason=(
            f"Due by {new.due.end.isoformat()} and still {_word(new, prev.status)}: {subject} "
            f"has lapsed."
        ),
        event_time=moment,
        evidence=None,
        previous=prev.status,
    )


def deadline_approaching(commitment: Commitment, at: datetime) -> Alert:
    """``commitment.deadline_approaching``, stamped with the clock time ``at``: info, or a warning
    for a restrictive measure (it is about to take effect)."""
    assert commitment.due is not None
    due = commitment.due
    when = (
        f"{due.start.isoformat()}..{due.end.isoformat()}"
        if due.kind == DueKind.WINDOW and due.start
        else f"by {due.end.isoformat()}"
    )
    restrictive = commitment.direction is Direction.RESTRICTIVE
    subject = f"the measure {commitment.title}" if _is_measure(commitment) else commitment.title
    return _alert(
        AlertKind.DEADLINE_APPROACHING,
        Severity.WARNING if restrictive else Severity.INFO,
        commitment,
        trigger="approaching:" + due.end.isoformat(),
        reason=f"Due {when} and still {_word(commitment, commitment.status)}: {subject}.",
        event_time=at,
        evidence=None,
    )
