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


def test_a_starting_broker_s_missing_coordinator_is_info_then_error_again(caplog):
    import logging

    from aiokafka.errors import GroupCoordinatorNotAvailableError, UnknownMemberIdError

    from service.logs import StartupCoordinatorFilter

    now = [100.0]
    logger = logging.getLogger("aiokafka.consumer.group_coordinator")
    quiet = StartupCoordinatorFilter(grace=60.0, clock=lambda: now[0])
    logger.addFilter(quiet)
    failed = "Group Coordinator Request failed: %s"
    try:
        with caplog.at_level(logging.INFO, logger=logger.name):
            logger.error(failed, GroupCoordinatorNotAvailableError())
            logger.warning("Marking the coordinator dead (node %s)for group %s.", 1, "g")
            now[0] += 59
            logger.error(failed, GroupCoordinatorNotAvailableError())
            logger.error(failed, UnknownMemberIdError())
            now[0] += 2  # past the grace period: the broker is not starting, it is broken
            logger.error(failed, GroupCoordinatorNotAvailableError())
            logger.warning("Marking the coordinator dead (node %s)for group %s.", 1, "g")
            logger.warning("Heartbeat failed for group %s because it is rebalancing", "g")
        ours = [r for r in caplog.records if r.name == logger.name]
        levels = [r.levelname for r in ours]
        assert levels == ["INFO", "INFO", "INFO", "ERROR", "ERROR", "WARNING", "INFO"]
        assert "retrying" in ours[0].getMessage()
        assert "UnknownMemberIdError" in ours[3].getMessage()
    finally:
        logger.removeFilter(quiet)


def test_installing_the_filter_is_idempotent():
    import logging

    from service.logs import StartupCoordinatorFilter, quiet_transient_startup_errors

    logger = logging.getLogger("aiokafka.consumer.group_coordinator")
    quiet_transient_startup_errors()
    quiet_transient_startup_errors()
    assert sum(isinstance(f, StartupCoordinatorFilter) for f in logger.filters) == 1
