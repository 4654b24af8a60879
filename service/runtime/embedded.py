"""The embedded runtime: one process, an append-only event log and the projections in SQLite.

Tables (one file, ``<data_dir>/monitor.sqlite3``):
``events`` the append-only log of accepted inbound events (the source of truth);
``observations`` what the extractor derived from them; ``projections`` each dyad's working state;
``alerts`` every alert emitted; ``deadletters`` rejected input with its reason; ``meta`` the
greatest event time of the log (each dyad's event-time clock is in its projection). Each inbound
event is stored with all its effects in one transaction or not at all. ``replay`` rebuilds
observations, projections and alerts from ``events`` alone.

One process writes at a time: every writing call (``ingest``, ``replay``, ``redrive``) holds an
exclusive lock on ``<data_dir>/monitor.lock`` for its whole length, so a second ``ingest`` waits
for the first instead of failing half-way with "database is locked" (readers never wait: WAL).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from schemas.alerts import Alert, DeadLetter
from schemas.codec import decode_event, encode
from schemas.common import AlertKind
from schemas.events import NewsArticle, OfficialStatement
from schemas.observations import ClockTick, CommitmentObservation, EngagementObservation
from schemas.state import RelationshipState
from service.domain.extraction import extract
from service.domain.projection import DyadProjection, clock_as_of, refold
from service.runtime.dedup import conflict_reason, fingerprint
from service.runtime.inputs import Rejected
from service.runtime.metrics import Metrics, reason_label

InboundEvent = NewsArticle | OfficialStatement
Observation = CommitmentObservation | EngagementObservation
Clock = Callable[[], datetime]

__all__ = ["Conflict", "EmbeddedRuntime", "IngestResult", "ProcessingFailed", "state_checksum"]


class ProcessingFailed(Exception):
    """The domain code raised on an event (extraction or projection, e.g. date arithmetic past
    year 9999): the event is dead-lettered with the reason instead of stopping the run."""


class Conflict(ProcessingFailed):
    """The event's ``event_id`` is in the log with a different body: the event is
    dead-lettered with :func:`service.runtime.dedup.conflict_reason`; the first version stands."""


_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    published_at TEXT NOT NULL,
    payload TEXT NOT NULL,
    received_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS observations (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    observation_id TEXT NOT NULL UNIQUE,
    event_id TEXT NOT NULL,
    dyad TEXT NOT NULL,
    event_time TEXT NOT NULL,
    payload TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS observations_dyad ON observations (dyad, event_time);
CREATE TABLE IF NOT EXISTS projections (dyad TEXT PRIMARY KEY, payload TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS alerts (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    alert_id TEXT NOT NULL UNIQUE,
    dyad TEXT NOT NULL,
    kind TEXT NOT NULL,
    event_time TEXT NOT NULL,
    payload TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS deadletters (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    dead_letter_id TEXT NOT NULL UNIQUE,
    payload TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS redrives (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    dead_letter_id TEXT NOT NULL,
    event_id TEXT,
    outcome TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def _utcnow() -> datetime:
    return datetime.now(UTC)


def state_checksum(states: Iterable[RelationshipState]) -> str:
    """sha256 of the states' JSON, in dyad order: equal checksums mean byte-identical state."""
    digest = hashlib.sha256()
    for state in sorted(states, key=lambda s: s.dyad):
        digest.update(state.model_dump_json().encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()


@dataclass
class IngestResult:
    """What one ingest call did: counts and the alerts it emitted, in order."""

    accepted: int = 0
    duplicates: int = 0
    """Events already in the log, identical once decoded: nothing done."""
    conflicts: int = 0
    """Events whose id is in the log with another body: dead-lettered (also in ``rejected``)."""
    rejected: list[DeadLetter] = field(default_factory=list)
    observations: int = 0
    alerts: list[Alert] = field(default_factory=list)
    interrupted: bool = False
    """True when Ctrl-C stopped the call: the events counted were stored, the rest were not."""


class EmbeddedRuntime:
    """The pipeline in one process over a SQLite file.

    ``now`` is the wall clock used only to stamp ``emitted_at``, ``received_at`` and
    ``rejected_at`` (tests pass a fixed one). ``on_wait`` is called once when a write has to wait
    for another process holding the store's writer lock. Use as a context manager or call
    :meth:`close`. ``metrics`` counts dead letters and conflicts (a fresh registry by default).
    Raises sqlite3.Error on a corrupt store.
    """

    def __init__(
        self,
        data_dir: Path,
        *,
        now: Clock = _utcnow,
        on_wait: Callable[[], None] | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.metrics = metrics or Metrics()
        data_dir.mkdir(parents=True, exist_ok=True)
        self.path = data_dir / "monitor.sqlite3"
        self.lock_path = data_dir / "monitor.lock"
        self.on_wait = on_wait
        self._lock_fd: int | None = None
        self._lock_depth = 0
        self.db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        # one transaction: a process opening the store meanwhile sees all tables or none
        self.db.executescript(f"BEGIN;{_SCHEMA}COMMIT;")
        self.now = now
        self._cache: dict[str, DyadProjection] = {}

    @staticmethod
    def exists(data_dir: Path) -> bool:
        """Whether ``data_dir`` holds a store (opening one creates it; readers check first)."""
        return (data_dir / "monitor.sqlite3").is_file()

    def __enter__(self) -> EmbeddedRuntime:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the database (and release the writer lock if a write left it held)."""
        self.db.close()
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the store's writer lock (re-entrant); blocks while another process holds it."""
        if self._lock_depth == 0:
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    if self.on_wait is not None:
                        self.on_wait()
                    fcntl.flock(fd, fcntl.LOCK_EX)
            except BaseException:
                os.close(fd)
                raise
            self._lock_fd = fd
        self._lock_depth += 1
        try:
            yield
        finally:
            self._lock_depth -= 1
            if self._lock_depth == 0 and self._lock_fd is not None:
                os.close(self._lock_fd)  # closing the descriptor releases the lock
                self._lock_fd = None

    @contextmanager
    def _tx(self) -> Iterator[None]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            self._cache.clear()
            raise
        self.db.execute("COMMIT")

    # -- writing -----------------------------------------------------------------------------

    def ingest(
        self,
        items: Iterable[InboundEvent | Rejected],
        *,
        origins: Mapping[str, tuple[str, int | None]] | None = None,
        stop: Callable[[], bool] | None = None,
    ) -> IngestResult:
        """Store each event with its effects (one transaction per event); dead-letter rejects.

        An event the domain code fails on is dead-lettered with the reason (``extraction
        failed: ...`` or ``projection failed: ...``; its transaction is rolled back) and the rest
        go on; ``origins`` (event id -> file, line, as filled by ``read_inputs``) locates it.
        An event whose id is already in the log is a duplicate (nothing happens) when it is the
        same event once decoded, else a conflict: dead-lettered (``conflict: ...``), counted in
        ``bilateral_event_conflicts_total``, and the first version stands.
        ``stop`` is asked before each event; when it answers True the ingest ends there (the
        CLI's Ctrl-C), the result says ``interrupted`` and counts exactly what was stored. A
        KeyboardInterrupt raised inside an event rolls that event back.
        """
        result = IngestResult()
        try:
            with self.writing():
                for item in items:
                    if stop is not None and stop():
                        result.interrupted = True
                        break
                    if isinstance(item, Rejected):
                        result.rejected.append(self.dead_letter(item))
                        continue
                    try:
                        with self._tx():
                            outcome = self._ingest_one(item)
                    except ProcessingFailed as exc:
                        file, line = (origins or {}).get(item.event_id, ("", None))
                        raw = encode(item).decode("utf-8")
                        rejected = Rejected(file, line, str(exc), None, raw, item.event_id)
                        result.rejected.append(self.dead_letter(rejected))
                        if isinstance(exc, Conflict):
                            result.conflicts += 1
                            self.metrics.conflicts.inc()
                        continue
                    if outcome is None:
                        result.duplicates += 1
                    else:
                        result.accepted += 1
                        result.observations += outcome[0]
                        result.alerts.extend(outcome[1])
        except KeyboardInterrupt:
            result.interrupted = True
        return result

    def dead_letter(self, item: Rejected) -> DeadLetter:
        """Record a rejected input with its reason, file and line; returns the dead letter."""
        letter_id = hashlib.sha256(f"{item.file}|{item.line}|{item.raw}".encode()).hexdigest()[:16]
        letter = DeadLetter(
            dead_letter_id=letter_id,
            reason=item.reason,
            field=item.field,
            event_id=item.event_id,
            original=item.raw,
            file=item.file or None,
            line=item.line,
            rejected_at=self.now(),
        )
        with self.writing(), self._tx():
            self.db.execute(
                "INSERT OR IGNORE INTO deadletters (dead_letter_id, payload) VALUES (?, ?)",
                (letter_id, letter.model_dump_json()),
            )
        self.metrics.dead_lettered.labels(reason_label(item.reason, item.field)).inc()
        return letter

    def _ingest_one(self, event: InboundEvent) -> tuple[int, list[Alert]] | None:
        try:
            self.db.execute(
                "INSERT INTO events (event_id, type, published_at, payload, received_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (
                    event.event_id,
                    event.type,
                    event.published_at.isoformat(),
                    encode(event).decode("utf-8"),
                    self.now().isoformat(),
                ),
            )
        except sqlite3.IntegrityError:
            row = self.db.execute(
                "SELECT payload FROM events WHERE event_id = ?", (event.event_id,)
            ).fetchone()
            first = fingerprint(decode_event(row[0], max_body_chars=10**9))
            other = fingerprint(event)
            if first != other:
                raise Conflict(conflict_reason(event.event_id, first, other)) from None
            return None
        try:
            observations, alerts = self._process(event)
        except (ProcessingFailed, sqlite3.Error):
            raise
        except Exception as exc:  # the projection or a rule failed on this event
            raise ProcessingFailed(f"projection failed: {type(exc).__name__}: {exc}") from exc
        stamp = self.now()
        stamped = [a.model_copy(update={"emitted_at": stamp}) for a in alerts]
        self.db.executemany(
            "INSERT OR IGNORE INTO alerts (alert_id, dyad, kind, event_time, payload) "
            "VALUES (?, ?, ?, ?, ?)",
            [
                (a.alert_id, a.dyad, a.kind.value, a.event_time.isoformat(), a.model_dump_json())
                for a in stamped
            ],
        )
        return len(observations), stamped

    def _process(
        self, event: InboundEvent, *, persist: bool = True
    ) -> tuple[list[Observation], list[Alert]]:
        """Extract, advance the clock of each dyad the event concerns, fold the observations.

        Each dyad has its own event-time clock: the greatest ``published_at`` of the events that
        produced observations for it. An event ticks only the dyads of its observations (to its
        ``published_at``, before they are folded); another dyad's events never move a dyad's
        clock, so they never lapse its deadlines. ``meta`` keeps the greatest event time of the
        whole log (``clock``), for information only.

        With ``persist``, stores the dyads the event touched. Without, the caller stores the
        cached projections itself (replay).
        """
        try:
            observations = extract(event)
        except Exception as exc:  # a bug or a limit of the extractor: the event's problem
            raise ProcessingFailed(f"extraction failed: {type(exc).__name__}: {exc}") from exc
        at = event.published_at
        alerts: list[Alert] = []
        touched: dict[str, DyadProjection] = {}
        for dyad in sorted({obs.dyad for obs in observations}):
            proj = self._load(dyad)
            alerts.extend(proj.tick(ClockTick(at=at, dyad=dyad)))
            touched[dyad] = proj
        clock = self._clock()
        if clock is None or clock < at:
            self.db.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('clock', ?)", (at.isoformat(),)
            )
        self.db.executemany(
            "INSERT OR IGNORE INTO observations (observation_id, event_id, dyad, event_time, "
            "payload) VALUES (?, ?, ?, ?, ?)",
            [
                (
                    o.observation_id,
                    o.event_id,
                    o.dyad,
                    o.event_time.isoformat(),
                    o.model_dump_json(),
                )
                for o in observations
            ],
        )
        for obs in observations:
            proj = self._load(obs.dyad)
            proj.advance(at)
            if proj.is_late(obs):
                proj, late_alerts = refold(
                    obs.dyad, self._log(obs.dyad), clock=proj.clock, emitted=proj.emitted
                )
                self._cache[obs.dyad] = proj
                alerts.extend(late_alerts)
            else:
                alerts.extend(proj.apply(obs))
            touched[obs.dyad] = proj
        if persist:
            for proj in touched.values():
                self._store(proj)
        return observations, alerts

    def _store(self, proj: DyadProjection) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO projections (dyad, payload) VALUES (?, ?)",
            (proj.dyad, json.dumps(proj.to_dict(), separators=(",", ":"))),
        )

    # -- reading -----------------------------------------------------------------------------

    def _clock(self) -> datetime | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = 'clock'").fetchone()
        return datetime.fromisoformat(row[0]) if row else None

    def _dyads(self) -> list[str]:
        stored = {r[0] for r in self.db.execute("SELECT dyad FROM projections")}
        return sorted(stored | set(self._cache))

    def _load(self, dyad: str) -> DyadProjection:
        proj = self._cache.get(dyad)
        if proj is None:
            row = self.db.execute(
                "SELECT payload FROM projections WHERE dyad = ?", (dyad,)
            ).fetchone()
            proj = DyadProjection.from_dict(json.loads(row[0])) if row else DyadProjection(dyad)
            self._cache[dyad] = proj
        return proj

    def _log(self, dyad: str, until: datetime | None = None) -> list[Observation]:
        from schemas.codec import decode_observation

        rows = self.db.execute(
            "SELECT payload FROM observations WHERE dyad = ? ORDER BY seq", (dyad,)
        ).fetchall()
        log: list[Observation] = [decode_observation(r[0]) for r in rows]
        if until is not None:
            log = [o for o in log if o.event_time <= until]
        return log

    def load(self, dyad: str) -> DyadProjection | None:
        """The stored projection of ``dyad``, or None if unknown (``ProjectionStore.load``)."""
        return self._load(dyad) if dyad in self._dyads() else None

    def save(self, proj: DyadProjection) -> None:
        """Store ``proj`` under its dyad in one transaction (``ProjectionStore.save``)."""
        with self.writing(), self._tx():
            self._store(proj)
        self._cache[proj.dyad] = proj

    def log_of(self, dyad: str) -> list[Observation]:
        """The observations of ``dyad`` in log order (``ProjectionStore.log_of``)."""
        return self._log(dyad)

    def dyads(self) -> list[str]:
        """Every dyad with a projection, sorted."""
        return self._dyads()

    def state(self, dyad: str, as_of: datetime | None = None) -> RelationshipState | None:
        """The read model of ``dyad`` (None if unknown); ``as_of`` folds the log up to that time,
        judged at the dyad's own event time then (:func:`~service.domain.projection.clock_as_of`),
        as the live run had it."""
        if as_of is not None:
            log = self._log(dyad, until=as_of)
            if not log and dyad not in self._dyads():
                return None
            proj, _ = refold(dyad, log, clock=clock_as_of(log, as_of))
            return proj.snapshot()
        if dyad not in self._dyads():
            return None
        return self._load(dyad).snapshot()

    def alerts(self, dyad: str | None = None, kind: AlertKind | None = None) -> list[Alert]:
        """Alerts in emission order, optionally filtered."""
        sql, args = "SELECT payload FROM alerts WHERE 1=1", []
        if dyad:
            sql += " AND dyad = ?"
            args.append(dyad)
        if kind:
            sql += " AND kind = ?"
            args.append(kind.value)
        rows = self.db.execute(sql + " ORDER BY seq", args).fetchall()
        return [Alert.model_validate_json(r[0]) for r in rows]

    def dead_letters(self) -> list[DeadLetter]:
        """Dead letters in the order they were recorded."""
        rows = self.db.execute("SELECT payload FROM deadletters ORDER BY seq").fetchall()
        return [DeadLetter.model_validate_json(r[0]) for r in rows]

    def dead_letter_by_id(self, letter_id: str) -> DeadLetter | None:
        """One dead letter by id (a unique prefix of at least 4 characters is enough)."""
        rows = self.db.execute(
            "SELECT payload FROM deadletters WHERE dead_letter_id LIKE ? || '%' LIMIT 2",
            (letter_id,),
        ).fetchall()
        if len(letter_id) < 4 or len(rows) != 1:
            return None
        return DeadLetter.model_validate_json(rows[0][0])

    def redrives(self, letter_id: str) -> list[dict[str, str]]:
        """The redrive attempts of a dead letter: event id, outcome, time."""
        rows = self.db.execute(
            "SELECT event_id, outcome, at FROM redrives WHERE dead_letter_id = ? ORDER BY seq",
            (letter_id,),
        ).fetchall()
        return [{"event_id": r[0] or "", "outcome": r[1], "at": r[2]} for r in rows]

    def redrive(self, letter: DeadLetter, fixed: InboundEvent) -> IngestResult:
        """Send a fixed copy of a dead letter through the pipeline; the original stays as it was.

        The attempt is recorded (``redrives``) with its outcome: ``ingested``, ``duplicate``, or
        ``rejected`` (dead-lettered again, e.g. when the extractor fails on it).
        """
        with self.writing():
            result = self.ingest([fixed])
            outcome = (
                "ingested"
                if result.accepted
                else ("duplicate" if result.duplicates else "rejected")
            )
            self._record_redrive(letter, fixed, outcome)
        return result

    def _record_redrive(self, letter: DeadLetter, fixed: InboundEvent, outcome: str) -> None:
        with self._tx():
            self.db.execute(
                "INSERT INTO redrives (dead_letter_id, event_id, outcome, at) VALUES (?, ?, ?, ?)",
                (letter.dead_letter_id, fixed.event_id, outcome, self.now().isoformat()),
            )

    def events(self) -> Iterator[InboundEvent]:
        """The event log in append order."""
        for (payload,) in self.db.execute("SELECT payload FROM events ORDER BY seq").fetchall():
            yield decode_event(payload, max_body_chars=10**9)

    def event(self, event_id: str) -> InboundEvent | None:
        """The stored event ``event_id`` (None if the log has none by that id)."""
        row = self.db.execute(
            "SELECT payload FROM events WHERE event_id = ?", (event_id,)
        ).fetchone()
        return decode_event(row[0], max_body_chars=10**9) if row else None

    def counts(self) -> dict[str, int]:
        """Row counts of each table."""
        return {
            t: self.db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
            for t in ("events", "observations", "projections", "alerts", "deadletters")
        }

    # -- replay ------------------------------------------------------------------------------

    def replay(self, progress: Callable[[int, int], None] | None = None) -> dict[str, object]:
        """Rebuild observations, projections and alerts from the event log, in one transaction.

        Returns a report: events replayed, state checksum before and after, and whether the alert
        ids are the same set as before (``alert_ids_equal``). Emission times of alerts already
        known are kept.
        """
        with self.writing():
            return self._replay(progress)

    def _replay(self, progress: Callable[[int, int], None] | None) -> dict[str, object]:
        before_states = [self._load(d).snapshot() for d in self._dyads()]
        before_alerts = {
            r[0]: r[1] for r in self.db.execute("SELECT alert_id, payload FROM alerts")
        }
        events = list(self.events())
        with self._tx():
            for table in ("observations", "projections", "alerts", "meta"):
                self.db.execute(f"DELETE FROM {table}")
            self._cache.clear()
            new_ids: list[str] = []
            for n, event in enumerate(events, start=1):
                _, alerts = self._process(event, persist=False)
                rows = []
                for a in alerts:
                    old = before_alerts.get(a.alert_id)
                    payload = old if old is not None else a.model_dump_json()
                    rows.append(
                        (a.alert_id, a.dyad, a.kind.value, a.event_time.isoformat(), payload)
                    )
                    new_ids.append(a.alert_id)
                self.db.executemany(
                    "INSERT OR IGNORE INTO alerts (alert_id, dyad, kind, event_time, payload) "
                    "VALUES (?, ?, ?, ?, ?)",
                    rows,
                )
                if progress:
                    progress(n, len(events))
            for proj in self._cache.values():
                self._store(proj)
        after_states = [self._load(d).snapshot() for d in self._dyads()]
        return {
            "events": len(events),
            "checksum_before": state_checksum(before_states),
            "checksum_after": state_checksum(after_states),
            "alerts": len(new_ids),
            "alert_ids_equal": set(new_ids) == set(before_alerts),
        }
