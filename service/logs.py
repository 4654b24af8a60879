"""Logging set-up: plain text by default, JSON lines with ``BILATERAL_MONITOR_LOG_JSON=true``.

Log calls pass identifiers as ``extra`` (``event_id``, ``dyad``, ``alert_id``, ``topic``,
``partition``, ``offset``), so one event can be followed through the extractor, the projector and
the alert it raises: ``grep '"event_id": "dev-003"'`` over the worker logs.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

__all__ = ["TRACE_FIELDS", "JsonFormatter", "configure"]

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
