"""The Faust app's agents without a broker (``agent.test_context()``, memory store)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any
from unittest.mock import AsyncMock

from schemas.codec import decode_dead_letter
from service.config import Settings
from service.runtime.kafka_io import TABLES


def _app(tmp_path: Path) -> Any:
    from service.runtime.faust_app import create_app

    app = create_app(Settings(data_dir=tmp_path, store="memory://", web_port=6399))
    app.loop = asyncio.get_running_loop()
    app.finalize()
    app.flow_control.resume()
    return app


def _agent(app: Any, name: str) -> Any:
    return next(a for key, a in app.agents.items() if key.endswith(name))


async def test_tables_are_those_whose_changelog_topics_ensure_topics_creates(
    tmp_path: Path,
) -> None:
    app = _app(tmp_path)
    assert sorted(t.name for t in app.tables.values()) == sorted(TABLES)
    for table in app.tables.values():
        assert table.changelog_topic.get_topic_name() == f"{app.conf.id}-{table.name}-changelog"
        # raw bytes both ways, so recovery decodes what the table wrote (faust issue 310)
        assert (table.key_serializer, table.value_serializer) == ("raw", "raw")
        schema = table.changelog_topic.schema
        assert (schema.key_serializer, schema.value_serializer) == ("raw", "raw")


async def test_agents_run_one_at_a_time(tmp_path: Path) -> None:
    # concurrency > 1 lets faust commit past an in-flight message (faust issue 606)
    app = _app(tmp_path)
    assert {_agent(app, n).concurrency for n in ("extractor", "projector")} == {1}


async def test_extractor_dead_letters_an_undecodable_message(tmp_path: Path) -> None:
    app = _app(tmp_path)
    monitor = app.bilateral
    sent: list[dict[str, Any]] = []

    async def capture(**kwargs: Any) -> asyncio.Future:
        sent.append(kwargs)
        done: asyncio.Future = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done

    monitor.deadletter.send = AsyncMock(side_effect=capture)
    monitor.observations.send = AsyncMock(side_effect=capture)
    raw = b'{"event_id": "bad-1", "type": "news_article", "published_at": "yesterday"}'
    async with _agent(app, "extractor").test_context() as agent:
        await agent.put(raw, key=b"bad-1")
        await agent.put(b"\xff\xfe not utf-8", key=b"bad-2")
    assert monitor.observations.send.await_count == 0
    letters = [decode_dead_letter(s["value"]) for s in sent]
    assert [s["key"] for s in sent] == [b"bad-1", b"bad-2"]
    assert letters[0].event_id == "bad-1" and "published_at" in letters[0].reason
    assert letters[0].original is not None and "yesterday" in letters[0].original
    assert letters[1].original is None and letters[1].original_b64
