"""A broker stop and start (``scripts/kafka stop`` then ``start --keep``) in the middle of a stream.

This test runs its own broker (own port and data dir), since it restarts it. Events are published
before, during and after the outage (a publisher that retries until acknowledged); the worker
process must ride out the outage by itself, and every event must be reflected in its state, with
no alert lost or duplicated with a different body.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
from pathlib import Path

import pytest

from schemas.codec import decode_alert
from service.runtime.kafka_io import ALERTS, Publisher, TickWatcher, ensure_topics
from service.tools.synthetic import synthetic_articles
from tests.conftest import REPO_ROOT
from tests.integration.conftest import (
    WorkerProcess,
    assert_recovered_cleanly,
    free_port,
    read_topic,
    unique_settings,
    wait_assigned,
)
from tests.integration.test_recovery import wait_states

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


def _port_pair() -> int:
    """A port P with P and P+1 both free (broker and controller)."""
    for _ in range(50):
        port = free_port()
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port
    raise RuntimeError("no free port pair")


class OwnBroker:
    """``scripts/kafka`` on a port and data dir of its own."""

    def __init__(self, data: Path) -> None:
        self.port = _port_pair()
        self.env = dict(os.environ)
        self.env["BILATERAL_MONITOR_KAFKA_PORT"] = str(self.port)
        # the pair _port_pair found free, not a controller port the caller exported for theirs
        self.env["BILATERAL_MONITOR_KAFKA_CONTROLLER_PORT"] = str(self.port + 1)
        self.env["BILATERAL_MONITOR_KAFKA_DATA"] = str(data)
        self.script = REPO_ROOT / "scripts" / "kafka"

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def run(self, *args: str) -> None:
        result = subprocess.run(
            [self.script, *args], env=self.env, capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, result.stderr[-2000:]


async def publish_retrying(settings, items: list, sent: list) -> None:
    """Publish each item until acknowledged (reconnecting after errors); append to ``sent``."""
    publisher: Publisher | None = None
    for item in items:
        while True:
            try:
                if publisher is None:
                    publisher = await Publisher(settings).__aenter__()
                await asyncio.wait_for(publisher.send_event(item), 15)
                sent.append(item)
                break
            except Exception:
                if publisher is not None:
                    with contextlib.suppress(Exception):  # broker down: nothing to close cleanly
                        await asyncio.wait_for(publisher.__aexit__(None, None, None), 5)
                    publisher = None
                await asyncio.sleep(0.5)
        await asyncio.sleep(0.1)
    if publisher is not None:
        await publisher.__aexit__(None, None, None)


def test_broker_stop_and_start_mid_stream(tmp_path: Path) -> None:
    from tests.integration.test_recovery import embedded_states

    items = synthetic_articles(50, seed=5, prefix="brk")
    expected = embedded_states(items, tmp_path / "embedded")
    broker = OwnBroker(tmp_path / "broker")
    broker.run("start")
    settings = unique_settings(broker.bootstrap, tmp_path / "kafka")
    worker = WorkerProcess(settings, free_port(), tmp_path / "w.log")
    sent: list = []
    try:
        asyncio.run(ensure_topics(settings))
        worker.start()
        wait_assigned([worker], settings)

        async def run() -> None:
            publishing = asyncio.create_task(publish_retrying(settings, items, sent))
            while len(sent) < 15:
                await asyncio.sleep(0.1)
            await asyncio.to_thread(broker.run, "stop")
            await asyncio.sleep(2.0)
            await asyncio.to_thread(broker.run, "start", "--keep")
            await publishing
            watcher = TickWatcher(settings, from_beginning=True)  # events already published
            await watcher.start()
            try:
                for item in items:
                    await watcher.wait_for(item.published_at, 120)
            finally:
                await watcher.stop()

        asyncio.run(run())
        wait_states([worker], expected, 90)
        assert worker.alive() and worker.starts == 1, "the worker did not ride out the outage"
        records = asyncio.run(read_topic(settings, settings.topic(ALERTS)))
        alerts = [decode_alert(r.value) for r in records]
    except BaseException:
        print(f"--- worker ---\n{worker.log_tail(120)}")
        raise
    finally:
        worker.stop()
        broker.run("stop")
    bodies: dict[str, set[str]] = {}
    for alert in alerts:
        body = alert.model_dump_json(exclude={"emitted_at"})
        bodies.setdefault(alert.alert_id, set()).add(body)
    assert not [i for i, b in bodies.items() if len(b) > 1], "same alert id, different bodies"
    assert_recovered_cleanly(worker)
    assert len(sent) == len(items)
