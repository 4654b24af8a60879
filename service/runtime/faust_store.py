"""The Kafka runtime's state store: each dyad's projection and observation log in Faust tables.

:class:`TableStore` offers what the embedded runtime's SQLite store offers
(:class:`service.runtime.store.ProjectionStore`: ``load``, ``save`` and ``log_of`` a dyad), over
three changelog-backed tables of JSON bytes keyed by UTF-8 bytes:

``projections``
    dyad -> ``DyadProjection.to_dict()`` JSON. One record per dyad, so it grows with the dyad's
    history: a record above ``changelog_max_bytes`` less ``RECORD_OVERHEAD`` is refused
    (:class:`StateTooLarge`) rather than crash faust's producer on every restart.
``observation_log``
    dyad -> ``{"segments": n}``; ``dyad#i`` -> a list of at most ``LOG_SEGMENT`` observation
    JSONs, so an append rewrites one segment and no record grows with the history.
``partitions``
    ``p<N>`` -> ``{"clock": ISO time or null, "live": ISO time (optional), "dyads": [...]}``:
    the watermark of observations partition N (greatest tick without a dyad it carried), its
    last live tick, and the dyads living on it. Each dyad's own clock is in its projection.

Writes of a projector step can be deferred (:meth:`TableStore.defer`) and applied once its
alerts are acked. Sending is elsewhere (:mod:`service.runtime.faust_sender`). Imports:
``schemas``, ``service.domain``, :mod:`service.config`, :mod:`service.runtime.metrics`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from schemas.codec import decode_observation
from schemas.observations import CommitmentObservation, EngagementObservation
from service.config import Settings
from service.domain.projection import DyadProjection
from service.runtime.metrics import Metrics

__all__ = ["LOG_SEGMENT", "RECORD_OVERHEAD", "StateTooLarge", "TableStore"]

Observation = CommitmentObservation | EngagementObservation

RECORD_OVERHEAD = 64 * 1024
"""Bytes kept free below ``changelog_max_bytes`` for the key, headers and batch framing."""

LOG_SEGMENT = 100
"""Observations per segment of a dyad's log in the ``observation_log`` table (about 80 KB)."""


class StateTooLarge(ValueError):
    """A table record would exceed ``Settings.changelog_max_bytes``."""


def _segment_key(dyad: str, index: int) -> bytes:
    return f"{dyad}#{index}".encode()


class TableStore:
    """Projections, observation logs and partition clocks in Faust tables (see the module).

    ``projections``, ``observation_log`` and ``partitions`` are the tables (mappings of bytes to
    bytes); ``metrics`` gets the commitments gauge of each saved projection.
    """

    def __init__(
        self,
        settings: Settings,
        metrics: Metrics,
        *,
        projections: Any,
        observation_log: Any,
        partitions: Any,
    ) -> None:
        self.settings = settings
        self.metrics = metrics
        self.projections = projections
        self.observation_log = observation_log
        self.partitions = partitions
        self.decoded: dict[str, tuple[bytes, DyadProjection]] = {}
        """dyad -> (stored bytes, the DyadProjection they decode to): parsing a large projection
        costs more than folding an observation into it (about 100 ms against 15 ms at 1 MB)."""
        self.deferred: list[tuple[Any, bytes, bytes]] | None = None
        """Projection and partition writes held back by :meth:`defer` (None when not)."""

    # -- projections -------------------------------------------------------------------------

    def load(self, dyad: str) -> DyadProjection | None:
        """The stored projection of ``dyad`` or None.

        Decoded once per stored value: while the table holds the same bytes, the same object is
        returned (``decoded``). Callers that change it must :meth:`save` it, or call
        :meth:`forget` when they fail half way (the projector does).
        """
        raw = self.projections.get(dyad.encode("utf-8"))
        if raw is None:
            self.decoded.pop(dyad, None)
            return None
        hit = self.decoded.get(dyad)
        if hit is not None and hit[0] == raw:
            return hit[1]
        proj = DyadProjection.from_dict(json.loads(raw))
        self.decoded[dyad] = (raw, proj)
        return proj

    def forget(self) -> None:
        """Drop every decoded projection (the next :meth:`load` parses the stored bytes)."""
        self.decoded.clear()

    def save(self, proj: DyadProjection) -> None:
        """Store a projection (JSON of ``to_dict``); update the commitments gauge.

        Raises :class:`StateTooLarge`, storing nothing, when the record would exceed
        ``settings.changelog_max_bytes`` (less ``RECORD_OVERHEAD``): sending it would crash
        faust's producer and with it the worker, on every restart. The projector dead-letters
        the message that caused it instead and goes on.
        """
        raw = json.dumps(proj.to_dict(), separators=(",", ":")).encode("utf-8")
        limit = self.settings.changelog_max_bytes - RECORD_OVERHEAD
        if len(raw) > limit:
            raise StateTooLarge(
                f"the projection of {proj.dyad} would be {len(raw)} bytes, above the "
                f"{limit} a changelog record may hold (raise changelog_max_bytes)"
            )
        self._write(self.projections, proj.dyad.encode("utf-8"), raw)
        self.decoded[proj.dyad] = (raw, proj)
        self.metrics.set_commitments(proj.snapshot())

    # -- observation log ---------------------------------------------------------------------

    def log_of(self, dyad: str) -> list[Observation]:
        """The observation log of ``dyad`` in arrival order (decoded; every segment)."""
        return [decode_observation(item) for item in self._log_items(dyad)]

    def _log_index(self, dyad: str) -> tuple[int, list[str] | None]:
        """(segment count, None), or (0, the whole log) for a log written before segments."""
        raw = self.observation_log.get(dyad.encode("utf-8"))
        if raw is None:
            return 0, None
        data = json.loads(raw)
        if isinstance(data, list):
            return 0, data
        return int(data["segments"]), None

    def _segment(self, dyad: str, index: int) -> list[str]:
        raw = self.observation_log.get(_segment_key(dyad, index))
        return json.loads(raw) if raw else []

    def _log_items(self, dyad: str) -> list[str]:
        count, whole = self._log_index(dyad)
        items = list(whole or [])
        for index in range(count):
            items.extend(self._segment(dyad, index))
        return items

    def append_log(self, obs: Observation, applied: set[str]) -> bool:
        """Append ``obs`` to its dyad's log unless it is there already; True when appended.

        ``applied`` is the dyad projection's ``seen`` ids: an applied observation is logged.
        One not applied may still be in the last segment (a crash between the log write and the
        projection write), so that segment is checked too. The log is kept in segments of
        ``LOG_SEGMENT`` observations (keys ``dyad#0``, ``dyad#1`` ...; the dyad key holds
        ``{"segments": n}``), so an append rewrites one segment, never the whole log, and no
        changelog record grows with the dyad's history. A log written as one list under the
        dyad key is split into segments at its first append.
        """
        if obs.observation_id in applied:
            return False
        dyad = obs.dyad
        count, whole = self._log_index(dyad)
        if whole is not None:  # written before segments: split it now
            chunks = [whole[i : i + LOG_SEGMENT] for i in range(0, len(whole), LOG_SEGMENT)]
            for index, chunk in enumerate(chunks):
                self.observation_log[_segment_key(dyad, index)] = json.dumps(chunk).encode()
            count = len(chunks)
        last = self._segment(dyad, count - 1) if count else []
        if any(json.loads(item)["observation_id"] == obs.observation_id for item in last):
            return False
        if not count or len(last) >= LOG_SEGMENT:
            last, count = [], count + 1
        last.append(obs.model_dump_json())
        self.observation_log[_segment_key(dyad, count - 1)] = json.dumps(last).encode("utf-8")
        self.observation_log[dyad.encode("utf-8")] = json.dumps({"segments": count}).encode()
        return True

    # -- partitions --------------------------------------------------------------------------

    def partition(self, partition: int) -> dict[str, Any]:
        """``{"clock": ISO time or None, "dyads": [...]}`` of observations ``partition``."""
        raw = self.partitions.get(f"p{partition}".encode())
        return json.loads(raw) if raw else {"clock": None, "dyads": []}

    def save_partition(self, partition: int, entry: dict[str, Any]) -> None:
        """Store the entry of :meth:`partition` (deferred inside :meth:`defer`)."""
        self._write(self.partitions, f"p{partition}".encode(), json.dumps(entry).encode("utf-8"))

    def dyads_on(self, partition: int) -> list[str]:
        """The dyads living on observations ``partition`` (sorted)."""
        return sorted(self.partition(partition)["dyads"])

    def latest_clock(self) -> datetime | None:
        """The greatest clock of the partitions this worker holds (None when none has one)."""
        latest: datetime | None = None
        for raw in list(self.partitions.values()):
            clock = json.loads(raw).get("clock") if raw else None
            if clock:
                c = datetime.fromisoformat(clock)
                latest = c if latest is None else max(latest, c)
        return latest

    # -- deferred writes ---------------------------------------------------------------------

    @contextmanager
    def defer(self) -> Iterator[None]:
        """Hold back projection and partition writes inside the block; :meth:`apply_deferred`
        writes them (the projector calls it once its alerts are acked). Writes not applied when
        the block ends are dropped, so a step read again finds none of its effects."""
        self.deferred = []
        try:
            yield
        finally:
            self.deferred = None

    def apply_deferred(self) -> None:
        """Write what :meth:`defer` held back, in order."""
        for table, key, raw in self.deferred or ():
            table[key] = raw

    def _write(self, table: Any, key: bytes, raw: bytes) -> None:
        if self.deferred is None:
            table[key] = raw
        else:
            self.deferred.append((table, key, raw))
