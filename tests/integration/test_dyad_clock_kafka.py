"""Each dyad's deadlines are judged against its own event time on a broker, as embedded.

One worker; AU-JP's story (January to June) published in order, then CA-IN's February article
(due by the end of March): no deadline_missed for CA-IN, although AU-JP's events run to June.
Then CA-IN's own April article: its deadline is missed. Alerts and states are the embedded
runtime's over the same events.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from schemas.alerts import Alert
from schemas.common import AlertKind
from schemas.events import NewsArticle
from service.config import Settings
from service.runtime.embedded import EmbeddedRuntime
from service.runtime.kafka_cli import fetch_state, publish_events
from service.runtime.kafka_io import ensure_topics
from tests.dyad_clock import A, B, a_story, b_april, b_february
from tests.integration.conftest import (
    WorkerProcess,
    free_port,
    unique_settings,
    wait_assigned,
    wait_until,
)
from tests.integration.test_kafka_runtime import raw_alerts

pytestmark = pytest.mark.kafka


def folded(url: str, dyad: str, event_id: str) -> bool:
    """Whether the worker's state of ``dyad`` has folded event ``event_id``."""
    state = fetch_state(url, dyad, None)
    items = [*state.commitments, *state.engagements]
    return any(e.event_id == event_id for item in items for e in item.evidence)


def publish_and_settle(settings: Settings, url: str, events: list[NewsArticle]) -> list[Alert]:
    """Publish ``events`` in order, wait until the worker's state of each dyad they concern has
    folded its last event, and return every alert on the topic then."""
    report = asyncio.run(publish_events(settings, events, [], in_order=True, wait_seconds=60))
    assert report.written == len(events) and not report.rejected_by_worker
    last = {A if e.event_id.startswith("clock-a") else B: e.event_id for e in events}
    for dyad, event_id in last.items():
        wait_until(
            lambda dyad=dyad, event_id=event_id: folded(url, dyad, event_id),
            60,
            f"{dyad} folding {event_id}",
        )
    return asyncio.run(raw_alerts(settings))


def test_a_dyad_is_judged_by_its_own_events_on_a_broker(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    with EmbeddedRuntime(tmp_path / "embedded") as runtime:
        runtime.ingest([*a_story(), b_february(), b_april()])
        want_ids = {a.alert_id for a in runtime.alerts()}
        want_states = {d: runtime.state(d) for d in (A, B)}
    settings = unique_settings(kafka_bootstrap, tmp_path / "kafka")
    asyncio.run(ensure_topics(settings))
    worker = WorkerProcess(settings, free_port(), tmp_path / "worker.log").start()
    try:
        wait_assigned([worker], settings)
        alerts = publish_and_settle(settings, worker.url, [*a_story(), b_february()])
        missed = [a for a in alerts if a.kind == AlertKind.DEADLINE_MISSED]
        assert [a.dyad for a in missed] == [A], missed
        assert fetch_state(worker.url, B, None).as_of == b_february().published_at

        alerts = publish_and_settle(settings, worker.url, [b_april()])
        missed = [a for a in alerts if a.kind == AlertKind.DEADLINE_MISSED]
        assert sorted(a.dyad for a in missed) == [A, B], missed
        assert {a.alert_id for a in alerts} == want_ids
        for dyad in (A, B):
            assert fetch_state(worker.url, dyad, None) == want_states[dyad]
    except BaseException:
        print(worker.log_tail())
        raise
    finally:
        worker.stop()
