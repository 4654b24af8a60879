"""What the command line calls for the Kafka runtime (``service.cli``): keep these signatures.

``run_worker`` runs a Faust worker; ``publish_events`` writes events and dead letters;
``read_alerts`` reads or follows ``bilateral.alerts``; ``fetch_state`` asks a worker's HTTP view.
"""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from aiokafka.errors import KafkaError

from schemas.alerts import Alert
from schemas.events import NewsArticle, OfficialStatement
from schemas.state import RelationshipState
from service.config import Settings
from service.runtime.inputs import Rejected
from service.runtime.kafka_io import (
    AlertSubscriber,
    Publisher,
    TickWatcher,
    dead_letter_for,
    ensure_topics,
)

if TYPE_CHECKING:
    import faust

log = logging.getLogger(__name__)

__all__ = ["PublishReport", "fetch_state", "publish_events", "read_alerts", "run_worker"]


@dataclass
class PublishReport:
    """What ``publish_events`` wrote: counts, and ``(topic, partition, offset)`` per event."""

    written: int = 0
    dead_lettered: int = 0
    offsets: list[tuple[str, int, int]] = field(default_factory=list)
    rejected_by_worker: list[tuple[str, str]] = field(default_factory=list)
    """With ``in_order``: (event id, reason) of events written that a worker dead-lettered
    (an event id already accepted with another body, a failed extraction) before a tick at
    their time was seen; one whose time already had a tick goes on at once, its dead letter on
    the topic but not listed here."""


def run_worker(
    settings: Settings, create_app: Callable[[Settings], faust.App], *, loglevel: str = "info"
) -> None:
    """Create the topics, then run the Faust app ``create_app(settings)`` builds (the caller
    passes :func:`service.bootstrap.create_app`) until SIGINT/SIGTERM (blocks; exits the process,
    or re-executes it when the recovery watchdog stopped it: ``service.runtime.watchdog``).

    Several workers on one host need distinct ``settings.web_port`` values (the CLI's
    ``--web-port``). Faust keeps its local files in ``<data_dir>/faust-<web_port>``. Raises
    aiokafka.errors.KafkaError when the broker cannot be reached to create the topics; a worker
    the watchdog re-executed keeps trying for ``REEXEC_BROKER_WAIT`` seconds first.
    """
    import faust

    from service.logs import quiet_transient_startup_errors
    from service.runtime.watchdog import (
        arm_stop_deadline,
        cancel_restart,
        reexec,
        reexecs_so_far,
        restart_due,
        set_stopper,
    )

    class Worker(faust.Worker):
        """faust.Worker where an operator's SIGTERM or SIGINT cancels a watchdog restart and
        must end the process within ``settings.stop_timeout_seconds``."""

        def _on_sigterm(self) -> None:
            cancel_restart()
            arm_stop_deadline(settings.stop_timeout_seconds)
            super()._on_sigterm()

        def _on_sigint(self) -> None:
            cancel_restart()
            arm_stop_deadline(settings.stop_timeout_seconds)
            super()._on_sigint()

    quiet_transient_startup_errors()
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    loop.run_until_complete(_ensure_topics_patiently(settings, reexecs_so_far() > 0))
    app = create_app(settings)
    logging_config = None
    if settings.log_json:  # JSON lines with the trace fields (service.logs)
        logging_config = {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {"json": {"()": "service.logs.JsonFormatter"}},
            "handlers": {"json": {"class": "logging.StreamHandler", "formatter": "json"}},
            "root": {"level": loglevel.upper(), "handlers": ["json"]},
        }
    worker = Worker(app, loglevel=loglevel, loop=loop, logging_config=logging_config)
    set_stopper(lambda: worker._schedule_shutdown(signal.SIGTERM))
    try:
        worker.execute_from_commandline()
    finally:
        if restart_due():  # the recovery watchdog stopped this worker to re-execute it
            reexec()


REEXEC_BROKER_WAIT = 600.0
"""Seconds a re-executed worker keeps trying to reach the broker before it gives up."""


async def _ensure_topics_patiently(settings: Settings, patient: bool) -> None:
    """``ensure_topics``; when ``patient``, retried with back-off for ``REEXEC_BROKER_WAIT`` s."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + (REEXEC_BROKER_WAIT if patient else 0.0)
    pause = 1.0
    while True:
        try:
            await ensure_topics(settings)
            return
        except KafkaError as exc:
            if loop.time() + pause > deadline:
                raise
            log.warning("broker not reachable (%r); retrying in %.0f s", exc, pause)
            await asyncio.sleep(pause)
            pause = min(pause * 2, 30.0)


async def publish_events(
    settings: Settings,
    events: list[NewsArticle | OfficialStatement],
    dead: list[Rejected],
    *,
    in_order: bool = False,
    wait_seconds: float = 60.0,
) -> PublishReport:
    """Send ``events`` in order, one at a time, each acknowledged (acks=all) before the next.

    With ``in_order``, also wait (up to ``wait_seconds`` each) until a worker has extracted an
    event before sending the next (TickWatcher), so the projectors see the events in publishing
    order and the alert stream is that of an in-order replay; it needs a running worker and
    raises TimeoutError naming the event when none processes it; an event a worker
    dead-letters instead (``report.rejected_by_worker``) does not hold the next one back. Then
    send a DeadLetter for each rejected record to ``bilateral.deadletter`` (reason, field, file,
    line and the original text). Creates missing topics first. Raises
    aiokafka.errors.KafkaError when the broker fails; what was acknowledged before stays
    written.
    """
    await ensure_topics(settings)
    report = PublishReport()
    watcher = TickWatcher(settings) if in_order else None
    if watcher is not None:
        await watcher.start()
    try:
        async with Publisher(settings) as publisher:
            for event in events:
                where = await publisher.send_event(event)
                report.offsets.append(where)
                report.written += 1
                if watcher is not None:
                    try:
                        reason = await watcher.wait_for(event.published_at, wait_seconds, where)
                    except TimeoutError:
                        raise TimeoutError(
                            f"no worker extracted {event.event_id} within {wait_seconds:.0f}s "
                            f"({report.written} written): is a worker running?"
                        ) from None
                    if reason is not None:
                        report.rejected_by_worker.append((event.event_id, reason))
    finally:
        if watcher is not None:
            await watcher.stop()
    async with Publisher(settings) as publisher:
        for item in dead:
            letter = dead_letter_for(
                item.raw.encode("utf-8"),
                item.reason,
                field=item.field,
                event_id=item.event_id,
                key=item.event_id,
                file=item.file,
                line=item.line,
            )
            await publisher.send_dead_letter(letter)
            report.dead_lettered += 1
    return report


async def read_alerts(
    settings: Settings,
    *,
    follow: bool,
    from_beginning: bool,
    dyad: str | None,
    kind: str | None,
    group_id: str | None = None,
    ready: asyncio.Event | None = None,
) -> AsyncIterator[Alert]:
    """Yield alerts from ``bilateral.alerts`` (filtered by ``dyad`` / ``kind`` value).

    Without ``follow``: what the topic holds now (up to the end offsets taken at start), then
    stop. With ``follow``: wait for new alerts until cancelled. ``from_beginning`` starts at the
    oldest alert, else at the end. Each ``alert_id`` is yielded once. ``ready`` is set once the
    start positions are fixed (anything published after that is received).
    """
    subscriber = AlertSubscriber(
        settings,
        follow=follow,
        from_beginning=from_beginning,
        dyad=dyad,
        kind=kind,
        group_id=group_id,
    )
    try:
        await subscriber.start()
        if ready is not None:
            ready.set()
        async for alert in subscriber:
            yield alert
    finally:
        await subscriber.stop()


def fetch_state(url: str, dyad: str, as_of: datetime | None) -> RelationshipState:
    """GET ``{url}/relationships/{dyad}[?as_of=...]`` from a worker; the RelationshipState.

    Raises LookupError for 404 (unknown dyad), ValueError for 400 (bad parameter, with the
    worker's message) and ConnectionError for anything else (unreachable, 5xx, bad answer).
    """
    target = f"{url.rstrip('/')}/relationships/{urllib.parse.quote(dyad)}"
    if as_of is not None:
        target += "?" + urllib.parse.urlencode({"as_of": as_of.isoformat()})
    try:
        with urllib.request.urlopen(target, timeout=30) as response:
            body = response.read()
    except urllib.error.HTTPError as exc:
        message = _error_message(exc)
        if exc.code == 404:
            raise LookupError(message) from None
        if exc.code == 400:
            raise ValueError(message) from None
        raise ConnectionError(f"HTTP {exc.code} from {target}: {message}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise ConnectionError(f"{target}: {getattr(exc, 'reason', exc)}") from None
    try:
        return RelationshipState.model_validate_json(body)
    except ValueError as exc:
        raise ConnectionError(f"{target}: not a relationship state: {exc}") from None


def _error_message(exc: urllib.error.HTTPError) -> str:
    try:
        data = json.loads(exc.read())
        return str(data.get("error", data))
    except Exception:
        return exc.reason if isinstance(exc.reason, str) else str(exc)
