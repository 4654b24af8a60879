"""Logging set-up: plain text by default, JSON lines with ``BILATERAL_MONITOR_LOG_JSON=true``.

Log calls pass identifiers as ``extra`` (``event_id``, ``dyad``, ``alert_id``, ``topic``,
``partition``, ``offset``), so one event can be followed through the extractor, the projector and
the alert it raises: ``grep '"event_id": "dev-003"'`` over the worker logs. Imports nothing of
the service.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime

__all__ = [
    "COORDINATOR_GRACE_SECONDS",
    "TRACE_FIELDS",
    "JsonFormatter",
    "StartupCoordinatorFilter",
    "configure",
    "quiet_transient_startup_errors",
]

TRACE_FIELDS = ("event_id", "dyad", "alert_id", "observation_id", "topic", "partition", "offset")
"""Record attributes copied into each JSON line when present."""


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, trace fields."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one JSON line."""
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in TRACE_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                line[name] = value
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def configure(*, json_lines: bool, level: str = "info") -> None:
    """Configure the root logger once: a stderr handler, JSON lines or text. Idempotent."""
    root = logging.getLogger()
    root.setLevel(level.upper())
    for handler in root.handlers:
        if getattr(handler, "_bilateral", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler()
    handler._bilateral = True  # type: ignore[attr-defined]
    handler.setFormatter(
        JsonFormatter()
        if json_lines
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root.addHandler(handler)


COORDINATOR_GRACE_SECONDS = 60.0
"""How long after a process starts a missing group coordinator counts as the broker still
starting (a fresh broker creates ``__consumer_offsets`` on the first request)."""

_COORDINATOR_LOGGER = "aiokafka.consumer.group_coordinator"
_TRANSIENT_COORDINATOR_ERRORS = frozenset(
    {
        "GroupCoordinatorNotAvailableError",
        "CoordinatorNotAvailableError",
        "CoordinatorLoadInProgressError",
        "NotCoordinatorForGroupError",
        "NotCoordinatorError",
    }
)


_REBALANCING = "Heartbeat failed for group %s because it is rebalancing"


class StartupCoordinatorFilter(logging.Filter):
    """Logs at INFO what aiokafka says at WARNING when another member joins or leaves the group
    ("Heartbeat failed ... because it is rebalancing": the protocol's notice that a rebalance
    started; the consumer rejoins), and, while a fresh broker starts its group coordinator, "Group
    Coordinator Request failed" (ERROR) for an error a starting broker answers, and "Marking the
    coordinator dead" (WARNING); aiokafka retries both and joins the group moments later. Only
    within ``grace`` seconds of the filter's creation (the process start): later, or for any other
    error, records keep their level. ``clock`` is monotonic seconds (tests pass one)."""

    def __init__(
        self, grace: float = COORDINATOR_GRACE_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__(_COORDINATOR_LOGGER)
        self.grace = grace
        self.clock = clock
        self.started = clock()

    def _transient(self, record: logging.LogRecord) -> bool:
        message = str(record.msg)
        if record.levelno == logging.WARNING and message.startswith("Marking the coordinator dead"):
            return True
        error = record.args[0] if isinstance(record.args, tuple) and record.args else None
        return (
            record.levelno == logging.ERROR
            and message.startswith("Group Coordinator Request failed")
            and type(error).__name__ in _TRANSIENT_COORDINATOR_ERRORS
        )

    def filter(self, record: logging.LogRecord) -> bool:
        """Lower the level of a transient coordinator record (kept if INFO is enabled)."""
        if str(record.msg).startswith(_REBALANCING):
            return self._lower(record, "another member joined or left the group; rejoining")
        if self._transient(record) and self.clock() - self.started <= self.grace:
            return self._lower(record, "the broker is starting its group coordinator; retrying")
        return True

    @staticmethod
    def _lower(record: logging.LogRecord, why: str) -> bool:
        record.levelno, record.levelname = logging.INFO, "INFO"
        record.msg = f"{record.msg} ({why})"
        return logging.getLogger(record.name).isEnabledFor(logging.INFO)


def quiet_transient_startup_errors() -> None:
    """Install :class:`StartupCoordinatorFilter` on aiokafka's coordinator logger (idempotent).
    A fresh broker answers the first group request of every client with
    GroupCoordinatorNotAvailable, which aiokafka logs at ERROR before retrying successfully."""
    logger = logging.getLogger(_COORDINATOR_LOGGER)
    if not any(isinstance(f, StartupCoordinatorFilter) for f in logger.filters):
        logger.addFilter(StartupCoordinatorFilter())
