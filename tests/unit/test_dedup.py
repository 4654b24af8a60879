"""A repeated event id: identical copies are a quiet no-op, a different body is a conflict.

Both runtimes: the embedded one over SQLite, the Faust extractor agent over its ``seen_events``
table (``agent.test_context()``, memory store, sends captured).
"""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta, timezone
from pathlib import Path
from typing import Any
from unittest.mock import AsyncMock

from schemas.codec import decode_dead_letter, decode_observation, encode
from service.config import Settings
from service.runtime.dedup import CONFLICT, fingerprint
from service.runtime.embedded import EmbeddedRuntime


def _changed(event: Any) -> Any:
    """The same event id with another body (one sentence more)."""
    return event.model_copy(update={"body": event.body + "\nThe talks will resume in April."})


def _same_event_other_bytes(event: Any) -> bytes:
    """The event's JSON re-spelled: other key order, indentation and UTC offset."""
    data = json.loads(encode(event))
    india = timezone(timedelta(hours=5, minutes=30))
    data["published_at"] = event.published_at.astimezone(india).isoformat()
    return json.dumps(dict(reversed(list(data.items()))), indent=2).encode()


def _metric(runtime_metrics: Any, name: str, labels: dict[str, str] | None = None) -> float:
    value = runtime_metrics.registry.get_sample_value(name, labels or {})
    return value or 0.0


def test_fingerprint_ignores_spelling_and_sees_content(seed: Any) -> None:
    from schemas.codec import decode_event

    respelled = decode_event(_same_event_other_bytes(seed))
    assert fingerprint(respelled) == fingerprint(seed)
    assert fingerprint(_changed(seed)) != fingerprint(seed)


def test_embedded_identical_duplicate_is_quiet(tmp_path: Path, seed: Any) -> None:
    from schemas.codec import decode_event

    with EmbeddedRuntime(tmp_path) as runtime:
        runtime.ingest([seed])
        before = (runtime.state("CA-IN").model_dump_json(), runtime.counts())
        again = runtime.ingest([seed, decode_event(_same_event_other_bytes(seed))])
        assert (again.duplicates, again.conflicts, again.rejected) == (2, 0, [])
        assert (runtime.state("CA-IN").model_dump_json(), runtime.counts()) == before
        assert _metric(runtime.metrics, "bilateral_event_conflicts_total") == 0


def test_embedded_conflict_is_dead_lettered_and_the_first_version_stands(
    tmp_path: Path, seed: Any
) -> None:
    changed = _changed(seed)
    with EmbeddedRuntime(tmp_path) as runtime:
        runtime.ingest([seed])
        before = (runtime.state("CA-IN").model_dump_json(), len(runtime.alerts()))
        result = runtime.ingest([changed])
        assert (result.accepted, result.duplicates, result.conflicts) == (0, 0, 1)
        [letter] = result.rejected
        assert letter.reason.startswith(f"{CONFLICT}: event_id 'dev-001'")
        assert "first version stands" in letter.reason
        assert letter.event_id == seed.event_id
        assert json.loads(letter.original)["body"] == changed.body  # the rejected copy is kept
        assert runtime.dead_letters() == [letter]
        assert [e.body for e in runtime.events()] == [seed.body]
        assert (runtime.state("CA-IN").model_dump_json(), len(runtime.alerts())) == before
        assert _metric(runtime.metrics, "bilateral_event_conflicts_total") == 1
        assert _metric(runtime.metrics, "bilateral_deadletters_total", {"reason": CONFLICT}) == 1
        # the conflicting copy again: the same dead letter, still one conflict on record
        runtime.ingest([changed])
        assert len(runtime.dead_letters()) == 1
        report = runtime.replay()  # the log holds only the first version
        assert report["checksum_before"] == report["checksum_after"]


def _app(tmp_path: Path) -> Any:
    from service.bootstrap import create_app

    app = create_app(Settings(data_dir=tmp_path, store="memory://", web_port=6398))
    app.loop = asyncio.get_running_loop()
    app.finalize()
    app.flow_control.resume()
    return app


async def test_kafka_extractor_dead_letters_a_conflict_and_keeps_the_first(
    tmp_path: Path, seed: Any
) -> None:
    app = _app(tmp_path)
    monitor = app.bilateral
    monitor.seen_events.on_key_set = lambda key, value: None  # no changelog in a test context
    sent: dict[str, list[dict[str, Any]]] = {"deadletter": [], "observations": []}

    def capture(into: str) -> AsyncMock:
        async def send(**kwargs: Any) -> asyncio.Future:
            sent[into].append(kwargs)
            done: asyncio.Future = asyncio.get_running_loop().create_future()
            done.set_result(None)
            return done

        return AsyncMock(side_effect=send)

    monitor.deadletter.send = capture("deadletter")
    monitor.observations.send = capture("observations")
    extractor = next(a for key, a in app.agents.items() if key.endswith("extractor"))
    key = seed.event_id.encode()
    async with extractor.test_context() as agent:
        await agent.put(encode(seed), key=key)
        first = len(sent["observations"])
        await agent.put(_same_event_other_bytes(seed), key=key)  # identical: quiet
        await agent.put(encode(_changed(seed)), key=key)  # conflict
    observations = [decode_observation(s["value"]) for s in sent["observations"]]
    assert any(getattr(o, "event_id", None) == seed.event_id for o in observations[:first])
    # after the first extraction only clock ticks (the duplicate's): nothing extracted again
    assert all(o.type == "clock_tick" for o in observations[first:])
    [letter] = [decode_dead_letter(s["value"]) for s in sent["deadletter"]]
    assert letter.reason.startswith(f"{CONFLICT}: event_id 'dev-001'")
    assert letter.event_id == seed.event_id and letter.offset is not None
    assert json.loads(letter.original)["body"] == _changed(seed).body
    assert monitor.seen_events[key] == fingerprint(seed).encode()
    assert _metric(monitor.metrics, "bilateral_event_conflicts_total") == 1
    assert _metric(monitor.metrics, "bilateral_deadletters_total", {"reason": CONFLICT}) == 1
    assert "bilateral_event_conflicts_total 1.0" in monitor.metrics.render().decode()
