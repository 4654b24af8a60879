"""Commitments that need attention, as alerts in Prometheus Alertmanager (API v2).

DESIGN.md ("Alertmanager"): a commitment that needs attention (:mod:`service.domain.attention`)
is a firing Alertmanager alert, and it resolves (``endsAt`` set) when it no longer does. Labels:
``alertname`` (``Commitment`` + the status in CamelCase, e.g. ``CommitmentLapsed``;
``CommitmentContested`` for a commitment that needs attention only because sources disagree),
``dyad``, ``commitment_id``, ``status``, ``direction``, ``severity`` (``critical`` for a
cooperative commitment reversed, else ``warning``); annotations: ``summary`` (the title),
``description`` (the reason of the commitment's last alert), ``evidence_url`` where the source of
the evidence has a URL.

Alertmanager identifies an alert by its labels, so a commitment that moves from paused to reversed
resolves ``CommitmentPaused`` and fires ``CommitmentReversed``. Two ways to keep it current:

- :func:`sync_store` (``bilateral-monitor notify``): the embedded store's commitments as they now
  stand; what Alertmanager holds as firing for the store's dyads and no longer needs attention is
  resolved. Idempotent: running it twice sends the same alerts.
- :class:`StreamSync` and :func:`run_stream_sync` (a worker with
  ``BILATERAL_MONITOR_ALERTMANAGER_URL``): follows ``bilateral.alerts`` from its beginning (each
  alert carries its commitment as it then stood), posts what changed within a second and every
  firing alert again every ``RESEND_SECONDS``, well inside Alertmanager's default
  ``resolve_timeout`` (5 minutes), so an alert stays firing while the worker lives and resolves
  by itself if no worker re-sends it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from schemas.alerts import Alert
from schemas.state import Commitment
from service.config import alertmanager_url
from service.domain.attention import (
    COOPERATIVE_ATTENTION,
    RESTRICTIVE_ATTENTION,
    direction_of,
    needs_attention,
)

__all__ = [
    "RESEND_SECONDS",
    "AlertmanagerError",
    "AmAlert",
    "StreamSync",
    "SyncReport",
    "active_alerts",
    "alertmanager_url",
    "commitment_alert",
    "keep_alertmanager_current",
    "plan",
    "post_alerts",
    "run_stream_sync",
    "store_alerts",
    "sync_store",
]

log = logging.getLogger(__name__)

RESEND_SECONDS = 60.0
"""How often a worker sends every firing alert again (Alertmanager resolves an alert that is not
re-sent within its ``resolve_timeout``, 5 minutes by default)."""

FLUSH_SECONDS = 1.0
"""How soon a worker posts what changed (alerts read in a backlog are posted together)."""

TIMEOUT_SECONDS = 10.0
"""Timeout of one HTTP request to Alertmanager."""

ALERTNAME_PATTERN = "Commitment.+"
"""The alert names this module sends (and, for its dyads, resolves)."""


class AlertmanagerError(ConnectionError):
    """Alertmanager could not be reached or did not accept the request (the message says which)."""


@dataclass(frozen=True)
class AmAlert:
    """One alert as Alertmanager's ``POST /api/v2/alerts`` takes it. ``ends_at`` None: firing
    (Alertmanager ends it after its resolve timeout unless it is sent again)."""

    labels: dict[str, str]
    annotations: dict[str, str]
    starts_at: datetime
    ends_at: datetime | None = None

    @property
    def key(self) -> tuple[tuple[str, str], ...]:
        """Alertmanager's identity of the alert: its label set."""
        return tuple(sorted(self.labels.items()))

    @property
    def firing(self) -> bool:
        """True unless ``ends_at`` is set."""
        return self.ends_at is None

    def resolved(self, at: datetime) -> AmAlert:
        """The same alert ended at ``at`` (UTC)."""
        return replace(self, ends_at=max(at, self.starts_at))

    def to_json(self) -> dict[str, Any]:
        """The JSON object of the v2 API (RFC 3339 times)."""
        body: dict[str, Any] = {
            "labels": self.labels,
            "annotations": self.annotations,
            "startsAt": _rfc3339(self.starts_at),
        }
        if self.ends_at is not None:
            body["endsAt"] = _rfc3339(self.ends_at)
        return body

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> AmAlert:
        """An alert of ``GET /api/v2/alerts`` (its ``endsAt`` is dropped: it is firing)."""
        return cls(
            labels=dict(body.get("labels", {})),
            annotations=dict(body.get("annotations", {})),
            starts_at=datetime.fromisoformat(body["startsAt"].replace("Z", "+00:00")),
        )


def _rfc3339(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _camel(status: str) -> str:
    return "".join(word.capitalize() for word in re.split(r"[_\s]+", status) if word)


def _severity(commitment: Commitment) -> str:
    reversed_cooperative = (
        direction_of(commitment) == "cooperative" and commitment.status.value == "reversed"
    )
    return "critical" if reversed_cooperative else "warning"


def commitment_alert(
    commitment: Commitment,
    *,
    reason: str | None,
    now: datetime,
    evidence_url: str | None = None,
) -> AmAlert | None:
    """The firing Alertmanager alert of ``commitment``, or None when it does not need attention.

    ``reason`` is its last alert's reason (the description; a short one is made when None);
    ``now`` (UTC) caps ``startsAt``, which is the event time of the current status.
    """
    if not needs_attention(commitment):
        return None
    status = commitment.status.value
    direction = direction_of(commitment)
    status_needs_it = commitment.status in (
        RESTRICTIVE_ATTENTION if direction == "restrictive" else COOPERATIVE_ATTENTION
    )
    name = "Commitment" + (_camel(status) if status_needs_it else "Contested")
    annotations = {
        "summary": commitment.title,
        "description": reason or f"{commitment.title}: {status.replace('_', ' ')}.",
    }
    if evidence_url:
        annotations["evidence_url"] = evidence_url
    since = commitment.status_history[-1].at if commitment.status_history else commitment.last_seen
    return AmAlert(
        labels={
            "alertname": name,
            "dyad": commitment.dyad,
            "commitment_id": commitment.id,
            "status": status,
            "direction": direction,
            "severity": _severity(commitment),
        },
        annotations=annotations,
        starts_at=min(since, now),
    )


# -- HTTP ------------------------------------------------------------------------------------


def _request(url: str, method: str = "GET", body: Any = None) -> Any:
    data = json.dumps(body).encode("utf-8") if body is not None else None
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            raw = response.read()
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode("utf-8", "replace").strip()[:300]
        path = urllib.parse.urlsplit(url).path
        raise AlertmanagerError(f"{method} {path}: HTTP {exc.code} {detail}") from None
    except (urllib.error.URLError, OSError) as exc:
        path = urllib.parse.urlsplit(url).path
        raise AlertmanagerError(
            f"{method} {path}: {getattr(exc, 'reason', exc)} (is Alertmanager running there?)"
        ) from None
    return json.loads(raw) if raw.strip() else None


def post_alerts(base_url: str, alerts: Iterable[AmAlert]) -> int:
    """POST ``alerts`` to ``{base_url}/api/v2/alerts``; how many were sent. Raises
    AlertmanagerError when Alertmanager is unreachable or rejects them."""
    batch = [a.to_json() for a in alerts]
    if batch:
        _request(f"{base_url}/api/v2/alerts", "POST", batch)
    return len(batch)


def active_alerts(base_url: str) -> list[AmAlert]:
    """The commitment alerts Alertmanager holds as firing (active, silenced, inhibited or not yet
    processed). Raises AlertmanagerError."""
    query = urllib.parse.urlencode({"filter": f'alertname=~"{ALERTNAME_PATTERN}"'})
    found = _request(f"{base_url}/api/v2/alerts?{query}")
    return [AmAlert.from_json(a) for a in found or []]


# -- the embedded store ----------------------------------------------------------------------


@dataclass(frozen=True)
class SyncReport:
    """What :func:`sync_store` sent: ``firing`` alerts (by alertname) and ``resolved`` ones."""

    firing: list[AmAlert] = field(default_factory=list)
    resolved: list[AmAlert] = field(default_factory=list)


def store_alerts(runtime: Any, now: datetime) -> tuple[list[AmAlert], set[str]]:
    """The firing alerts of an ``EmbeddedRuntime``'s commitments as they now stand, and the
    store's dyads (the scope in which other commitment alerts are stale)."""
    dyads = set(runtime.dyads())
    desired: list[AmAlert] = []
    for dyad in sorted(dyads):
        state = runtime.state(dyad)
        if state is None:
            continue
        last_reason = {a.commitment.id: a.reason for a in runtime.alerts(dyad)}
        for c in state.commitments:
            if not needs_attention(c):
                continue
            alert = commitment_alert(
                c, reason=last_reason.get(c.id), now=now, evidence_url=_evidence_url(runtime, c)
            )
            if alert is not None:
                desired.append(alert)
    return desired, dyads


def _evidence_url(runtime: Any, commitment: Commitment) -> str | None:
    """The URL of the source of the evidence that set the current status (else the latest
    evidence), when the event gave one."""
    candidates = [h.evidence for h in reversed(commitment.status_history) if h.evidence]
    candidates += list(reversed(commitment.evidence))
    for evidence in candidates:
        event = runtime.event(evidence.event_id)
        url = getattr(getattr(event, "source", None), "url", None)
        if url:
            return str(url)
    return None


def plan(
    desired: list[AmAlert], active: list[AmAlert], scope: set[str], now: datetime
) -> tuple[list[AmAlert], list[AmAlert]]:
    """(firing, resolved): every desired alert, and each active one in the ``scope`` dyads whose
    label set is not desired, ended at ``now``."""
    wanted = {a.key for a in desired}
    stale = [
        a.resolved(now) for a in active if a.labels.get("dyad") in scope and a.key not in wanted
    ]
    return desired, stale


def sync_store(runtime: Any, base_url: str, now: datetime | None = None) -> SyncReport:
    """Bring Alertmanager at ``base_url`` up to date with an ``EmbeddedRuntime``: post each
    commitment that needs attention as firing, resolve the commitment alerts it holds for the
    store's dyads that no longer do. Raises AlertmanagerError."""
    now = now or datetime.now(UTC)
    desired, scope = store_alerts(runtime, now)
    firing, stale = plan(desired, active_alerts(base_url), scope, now)
    post_alerts(base_url, [*stale, *firing])
    return SyncReport(firing=firing, resolved=stale)


# -- the alert stream (Kafka) ----------------------------------------------------------------


class StreamSync:
    """Alertmanager's view of the commitments, kept from a stream of :class:`Alert` s.

    :meth:`observe` folds one alert (its commitment as it then stood); :meth:`due` returns what to
    post: resolutions of label sets that were sent and no longer fire, then the firing alerts that
    changed (or all of them when ``resend``). :meth:`failed` puts a batch that could not be posted
    back. Not thread-safe; one instance per task.
    """

    def __init__(self) -> None:
        self._current: dict[tuple[str, str], AmAlert] = {}
        self._sent: dict[tuple[tuple[str, str], ...], AmAlert] = {}
        self._to_resolve: dict[tuple[tuple[str, str], ...], AmAlert] = {}

    def observe(self, alert: Alert, now: datetime) -> None:
        """Fold ``alert``: its commitment fires, or stops firing under its previous labels."""
        c = alert.commitment
        ident = (c.dyad, c.id)
        new = commitment_alert(c, reason=alert.reason, now=now)
        old = self._current.pop(ident, None)
        if new is not None:
            self._current[ident] = new
            self._to_resolve.pop(new.key, None)
        if old is not None and (new is None or old.key != new.key):
            self._to_resolve[old.key] = old

    @property
    def firing(self) -> list[AmAlert]:
        """The alerts firing now, by dyad and commitment id."""
        return [self._current[k] for k in sorted(self._current)]

    def due(self, now: datetime, *, resend: bool = False) -> list[AmAlert]:
        """What to post now (see the class docstring); counted as sent."""
        resolved = [a.resolved(now) for k, a in self._to_resolve.items() if k in self._sent]
        for a in resolved:
            self._sent.pop(a.key, None)
        self._to_resolve.clear()
        firing = [a for a in self.firing if resend or self._sent.get(a.key) != a]
        for a in firing:
            self._sent[a.key] = a
        return resolved + firing

    def failed(self, batch: list[AmAlert]) -> None:
        """``batch`` (from :meth:`due`) was not delivered: send it again next time."""
        firing_now = {a.key for a in self._current.values()}
        for a in batch:
            if a.firing:
                self._sent.pop(a.key, None)
            elif a.key not in firing_now:
                self._sent[a.key] = a
                self._to_resolve.setdefault(a.key, a)


async def run_stream_sync(
    settings: Any,
    base_url: str,
    *,
    resend_seconds: float = RESEND_SECONDS,
    flush_seconds: float = FLUSH_SECONDS,
) -> None:
    """Follow ``bilateral.alerts`` from its beginning (every partition, no consumer group) and
    keep Alertmanager at ``base_url`` current until cancelled. Unreachable Alertmanager is logged
    (once per outage, WARNING) and retried at the next flush; nothing is lost meanwhile."""
    from service.runtime.kafka_io import AlertSubscriber

    sync = StreamSync()
    subscriber = AlertSubscriber(settings, follow=True, from_beginning=True)

    async def follow() -> None:
        async for alert in subscriber:
            sync.observe(alert, datetime.now(UTC))

    reader = asyncio.create_task(follow(), name="alertmanager-sync-reader")
    loop = asyncio.get_running_loop()
    last_resend = loop.time()
    failing = False
    try:
        while not reader.done():
            await asyncio.sleep(flush_seconds)
            resend = loop.time() - last_resend >= resend_seconds
            batch = sync.due(datetime.now(UTC), resend=resend)
            if resend:
                last_resend = loop.time()
            if not batch:
                continue
            try:
                await asyncio.to_thread(post_alerts, base_url, batch)
            except AlertmanagerError as exc:
                sync.failed(batch)
                if not failing:
                    log.warning(
                        "cannot post commitment alerts to Alertmanager at %s: %s", base_url, exc
                    )
                failing = True
                continue
            if failing:
                log.info("Alertmanager at %s reachable again", base_url)
            failing = False
        await reader  # re-raise what ended the reader
    finally:
        reader.cancel()
        await subscriber.stop()


RETRY_SECONDS = 5.0
"""Pause before following the alert stream again after it failed (e.g. the broker went away)."""


async def keep_alertmanager_current(settings: Any, base_url: str) -> None:
    """:func:`run_stream_sync` until cancelled, started again (from the stream's beginning) after
    a failure, which is logged as a WARNING: a worker never stops over its Alertmanager feed."""
    while True:
        try:
            await run_stream_sync(settings, base_url)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning(
                "following the alert stream for Alertmanager failed (%s: %s); again in %.0f s",
                type(exc).__name__,
                exc,
                RETRY_SECONDS,
            )
        await asyncio.sleep(RETRY_SECONDS)
