"""The alert subscriber in a consumer group, against a real broker: it resumes where the group
left off, and an alert it was handling when it died comes again (at-least-once), while the
alerts it had finished do not."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer

from schemas.alerts import Alert
from schemas.codec import encode
from service.runtime.embedded import EmbeddedRuntime
from service.runtime.kafka_io import (
    ALERTS,
    COMMIT_INTERVAL,
    AlertSubscriber,
    connection_options,
    ensure_topics,
)
from tests.conftest import REPO_ROOT
from tests.integration.conftest import unique_settings

pytestmark = pytest.mark.kafka


async def publish_alerts(settings, alerts) -> None:
    """Create the topics and write ``alerts`` to the alerts topic, keyed by dyad."""
    await ensure_topics(settings)
    producer = AIOKafkaProducer(**connection_options(settings))
    await producer.start()
    try:
        for alert in alerts:
            await producer.send_and_wait(
                settings.topic(ALERTS), encode(alert), key=alert.dyad.encode()
            )
    finally:
        await producer.stop()


def cli_reader(settings, group: str) -> tuple[list[str], dict[str, str]]:
    """The command line and environment of `alerts --group GROUP --json` on ``settings``'
    broker and topics (add ``--follow`` to subscribe)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BILATERAL_MONITOR_")}
    env["BILATERAL_MONITOR_TOPIC_PREFIX"] = settings.topic_prefix
    command = [sys.executable, "-m", "service", "alerts", "--bootstrap", settings.bootstrap]
    return [*command, "--group", group, "--json"], env


def read_group(settings, group: str) -> list[str]:
    """The alert ids one `alerts --group GROUP --json` (no --follow) prints; asserts exit 0."""
    command, env = cli_reader(settings, group)
    done = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=120, cwd=REPO_ROOT
    )
    assert done.returncode == 0, done.stderr
    return [json.loads(line)["alert_id"] for line in done.stdout.splitlines()]


def embedded_alerts(data_dir: Path, items: list) -> list:
    with EmbeddedRuntime(data_dir) as runtime:
        runtime.ingest(items)
        return runtime.alerts()


async def _scenario(settings, alerts) -> tuple[list[str], list[str], list[str]]:
    await publish_alerts(settings, alerts)

    def subscriber() -> AlertSubscriber:
        return AlertSubscriber(settings, follow=False, from_beginning=True, group_id="readers")

    first = subscriber()
    finished: list[str] = []
    handling: str | None = None
    async for alert in first:
        if handling is not None:
            finished.append(handling)
        handling = alert.alert_id
        if len(finished) == 4:  # handling the 5th, slowly: asking for the 6th commits all 5
            await asyncio.sleep(COMMIT_INTERVAL + 0.2)
        if len(finished) == 5:
            break  # dies while handling the 6th: no stop(), so no final commit
    assert handling is not None
    await first.consumer.stop()  # leaves the group without committing (enable_auto_commit off)

    second = subscriber()
    try:
        resumed = [a.alert_id async for a in second]
    finally:
        await second.stop()  # commits everything it read
    third = subscriber()
    try:
        after = [a.alert_id async for a in third]
    finally:
        await third.stop()
    return [*finished, handling], resumed, after


def test_a_subscriber_in_a_group_resumes_after_what_it_finished(
    kafka_bootstrap: str, tmp_path: Path, seed, dev_items
) -> None:
    alerts = embedded_alerts(tmp_path / "embedded", [seed, *dev_items])
    assert len(alerts) >= 8
    settings = unique_settings(kafka_bootstrap, tmp_path / "kafka")
    seen_first, resumed, after = asyncio.run(_scenario(settings, alerts))
    everything = {a.alert_id for a in alerts}
    # the first 5 were finished and committed: not delivered again; the 6th, which it was
    # handling when it died, comes again (at-least-once), and nothing is lost
    finished, handling = seen_first[:5], seen_first[5]
    assert set(resumed) == everything - set(finished)
    assert handling in resumed
    assert after == []  # the second subscriber's stop committed all it read


def test_the_cli_reader_with_a_group_prints_only_what_is_new(
    kafka_bootstrap: str, tmp_path: Path, seed, dev_items
) -> None:
    alerts = embedded_alerts(tmp_path / "embedded", [seed, *dev_items])
    settings = unique_settings(kafka_bootstrap, tmp_path / "kafka")
    half = len(alerts) // 2
    asyncio.run(publish_alerts(settings, alerts[:half]))
    assert sorted(read_group(settings, "cli-readers")) == sorted(a.alert_id for a in alerts[:half])
    asyncio.run(publish_alerts(settings, alerts[half:]))
    assert sorted(read_group(settings, "cli-readers")) == sorted(a.alert_id for a in alerts[half:])
    assert read_group(settings, "cli-readers") == []


def test_stop_ends_an_iteration_in_progress(
    kafka_bootstrap: str, tmp_path: Path, seed, dev_items
) -> None:
    """Alerts already fetched are not returned once stop() has been called."""
    alerts = embedded_alerts(tmp_path / "embedded", [seed, *dev_items])
    settings = unique_settings(kafka_bootstrap, tmp_path / "kafka")

    async def scenario() -> tuple[list[str], list[str]]:
        await publish_alerts(settings, alerts)
        subscriber = AlertSubscriber(settings, follow=False, from_beginning=True)
        iterator = aiter(subscriber)
        before = [(await anext(iterator)).alert_id for _ in range(2)]
        await subscriber.stop()
        after = [a.alert_id async for a in iterator]
        return before, after

    before, after = asyncio.run(asyncio.wait_for(scenario(), 60))
    assert len(before) == 2 and set(before) <= {a.alert_id for a in alerts}
    assert after == []


def test_a_subscriber_waiting_for_its_topic_logs_no_error_when_it_appears(
    kafka_bootstrap: str, tmp_path: Path, seed, dev_items, caplog: pytest.LogCaptureFixture
) -> None:
    """Started before the topics exist (before any worker), it waits for them, then receives
    what is published, without an ERROR line while the new partitions get their leaders."""
    alerts = embedded_alerts(tmp_path / "embedded", [seed, *dev_items])[:3]
    settings = unique_settings(kafka_bootstrap, tmp_path / "kafka")

    async def scenario() -> list[str]:
        subscriber = AlertSubscriber(settings)
        starting = asyncio.create_task(subscriber.start())
        await asyncio.sleep(1.0)  # it is polling for a topic that does not exist yet
        await publish_alerts(settings, alerts)  # creates the topics, then publishes
        await starting
        try:
            await publish_alerts(settings, alerts)  # after start(): these are received
            iterator = aiter(subscriber)
            return [(await anext(iterator)).alert_id for _ in alerts]
        finally:
            await subscriber.stop()

    caplog.set_level("WARNING")
    got = asyncio.run(asyncio.wait_for(scenario(), 90))
    assert sorted(got) == sorted(a.alert_id for a in alerts)
    # the subscriber's own lines (the test's producer may log a topic it races to see)
    errors = [
        r.getMessage()
        for r in caplog.records
        if r.levelno >= logging.ERROR and r.name.startswith(("aiokafka.consumer", "service"))
    ]
    assert errors == []


def test_the_cli_reader_stopped_by_sigterm_commits_what_it_printed(
    kafka_bootstrap: str, tmp_path: Path, seed, dev_items
) -> None:
    """SIGTERM stops `alerts --follow --group` like Ctrl-C: exit 0, and what it printed is not
    printed again by the next reader of the group (a SIGKILL would leave up to the last second
    of alerts uncommitted)."""
    alerts = embedded_alerts(tmp_path / "embedded", [seed, *dev_items])
    settings = unique_settings(kafka_bootstrap, tmp_path / "kafka")
    asyncio.run(ensure_topics(settings))
    command, env = cli_reader(settings, "sigterm-readers")
    out = tmp_path / "follow.out"
    with out.open("w") as stdout:
        follower = subprocess.Popen(
            [*command, "--follow"], env=env, stdout=stdout, stderr=subprocess.PIPE, text=True
        )
        try:
            # it has joined the group once an alert published now reaches it
            deadline = time.monotonic() + 120
            while not out.read_text():
                assert follower.poll() is None, follower.stderr.read() if follower.stderr else ""
                assert time.monotonic() < deadline, "the follower printed nothing"
                asyncio.run(publish_alerts(settings, alerts[:1]))
                time.sleep(1.0)
            asyncio.run(publish_alerts(settings, alerts))
            while len(out.read_text().splitlines()) < len(alerts):
                assert time.monotonic() < deadline, out.read_text()
                time.sleep(0.1)
            follower.send_signal(signal.SIGTERM)  # within a second of the last print
            assert follower.wait(timeout=60) == 0
        finally:
            if follower.poll() is None:
                follower.kill()
    printed = {json.loads(line)["alert_id"] for line in out.read_text().splitlines()}
    assert printed == {a.alert_id for a in alerts}
    assert read_group(settings, "sigterm-readers") == []


def test_a_subscriber_stopped_from_another_task_ends_its_iteration(
    kafka_bootstrap: str, tmp_path: Path, seed, dev_items
) -> None:
    """stop() while the iteration waits for records ends it (no ConsumerStoppedError), and an
    iteration that reaches the end of a follow=False read closes the consumer it opened."""
    alerts = embedded_alerts(tmp_path / "embedded", [seed, *dev_items])
    settings = unique_settings(kafka_bootstrap, tmp_path / "kafka")

    async def scenario() -> tuple[int, bool, int]:
        await publish_alerts(settings, alerts)
        waiting = AlertSubscriber(settings, from_beginning=True)  # follow: waits at the end
        got: list[Alert] = []

        async def drain() -> None:
            async for alert in waiting:
                got.append(alert)

        task = asyncio.create_task(drain())
        while len(got) < len(alerts):
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.5)  # in getmany now, waiting for more
        await waiting.stop()
        await asyncio.wait_for(task, 10)  # ends, does not raise
        reader = AlertSubscriber(settings, follow=False, from_beginning=True)
        count = len([a async for a in reader])
        return len(got), reader.consumer._closed, count

    got, closed, count = asyncio.run(asyncio.wait_for(scenario(), 90))
    assert got == count == len(alerts)
    assert closed
