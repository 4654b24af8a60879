"""JSON-lines logging carries the trace fields that let a person follow one event."""

from __future__ import annotations

import json
import logging

from service.logs import JsonFormatter


def test_json_line_has_trace_fields_and_utc_time():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "extracted %d", (3,), None)
    record.event_id = "dev-003"
    record.dyad = "CA-IN"
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "extracted 3"
    assert line["event_id"] == "dev-003" and line["dyad"] == "CA-IN"
    assert line["time"].endswith("+00:00") and line["level"] == "info"
    assert "alert_id" not in line
