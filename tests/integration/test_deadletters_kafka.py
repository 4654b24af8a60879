"""`deadletters --bootstrap`: list, show and redrive dead letters on the Kafka topic (no worker
needed: `publish` dead-letters what it rejects itself)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from schemas.alerts import DeadLetter
from schemas.codec import decode_dead_letter, decode_event, encode
from service.runtime.inputs import Rejected
from service.runtime.kafka_cli import publish_events
from service.runtime.kafka_io import DEADLETTER, NEWS, OBSERVATIONS, Publisher, ensure_topics
from tests.integration.conftest import dev_items, read_topic, unique_settings

pytestmark = pytest.mark.kafka


def cli(settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "BILATERAL_MONITOR_TOPIC_PREFIX": settings.topic_prefix}
    return subprocess.run(
        [sys.executable, "-m", "service", "deadletters", *args, "--bootstrap", settings.bootstrap],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def test_list_show_and_redrive_on_kafka(kafka_bootstrap: str, shared: Path, tmp_path: Path):
    settings = unique_settings(kafka_bootstrap, tmp_path / "k")
    asyncio.run(ensure_topics(settings))
    rejected = [i for i in dev_items(shared) if isinstance(i, Rejected)]
    report = asyncio.run(publish_events(settings, [], rejected))
    assert report.dead_lettered == len(rejected) == 1

    listed = cli(settings, "--json")
    assert listed.returncode == 0, listed.stderr
    (letter,) = [DeadLetter.model_validate_json(x) for x in listed.stdout.splitlines()]
    assert letter.event_id == "dev-012" and "published_at" in letter.reason

    shown = cli(settings, "show", letter.dead_letter_id[:6], "--json")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["reason"] == letter.reason

    again = cli(settings, "redrive", letter.dead_letter_id)
    assert again.returncode == 2 and "still invalid" in again.stderr

    fixed = json.loads(letter.original or "")
    fixed["published_at"] = "2026-05-24T00:00:00Z"
    path = tmp_path / "fixed.json"
    path.write_text(json.dumps(fixed))
    done = cli(settings, "redrive", letter.dead_letter_id, "--with", str(path))
    assert done.returncode == 0, done.stderr
    news = asyncio.run(read_topic(settings, settings.topic(NEWS)))
    assert [decode_event(r.value).event_id for r in news] == ["dev-012"]
    kept = asyncio.run(read_topic(settings, settings.topic(DEADLETTER)))
    assert [decode_dead_letter(r.value).dead_letter_id for r in kept] == [letter.dead_letter_id]

    missing = cli(settings, "show", "zzzzzz")
    assert missing.returncode == 2


def test_an_observation_dead_letter_goes_back_to_the_observations_topic(
    kafka_bootstrap: str, seed, tmp_path: Path
):
    """A projector that failed on an observation dead-letters it; redrive sends the same bytes
    back to the observations topic under its key, where the projector reads them again."""
    from service.domain.extraction import extract

    settings = unique_settings(kafka_bootstrap, tmp_path / "k")
    asyncio.run(ensure_topics(settings))
    obs = extract(seed)[0]
    letter = DeadLetter(
        dead_letter_id="obs-failed-1",
        reason="projection failed: RuntimeError: store unavailable",
        original=encode(obs).decode("utf-8"),
        topic=settings.topic(OBSERVATIONS),
        partition=0,
        offset=7,
        key=obs.dyad,
        rejected_at=obs.event_time,
    )

    async def put() -> None:
        async with Publisher(settings) as publisher:
            await publisher.send_dead_letter(letter)

    asyncio.run(put())
    done = cli(settings, "redrive", "obs-failed-1")
    assert done.returncode == 0, done.stderr
    back = asyncio.run(read_topic(settings, settings.topic(OBSERVATIONS)))
    assert [(r.key, r.value) for r in back] == [(obs.dyad.encode(), encode(obs))]
