"""Both runtimes' state stores answer the same interface the same way (ProjectionStore)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from schemas.observations import ClockTick
from service.config import Settings
from service.domain.extraction import extract
from service.domain.projection import DyadProjection
from service.runtime.embedded import EmbeddedRuntime
from service.runtime.store import ProjectionStore


@pytest.fixture(params=["embedded", "faust"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    if request.param == "embedded":
        with EmbeddedRuntime(tmp_path / "store") as runtime:
            yield runtime
        return
    from service.bootstrap import bootstrap

    worker = bootstrap(Settings(data_dir=tmp_path, store="memory://", web_port=6395))
    worker.app.loop = asyncio.new_event_loop()
    for table in (worker.monitor.projections, worker.monitor.observation_log):
        table.on_key_set = lambda key, value: None  # no changelog sends outside an agent
    yield worker.monitor.store
    worker.app.loop.close()


def test_a_saved_projection_loads_back(store: Any, seed: Any) -> None:
    assert isinstance(store, ProjectionStore)
    assert store.load("CA-IN") is None
    assert store.log_of("CA-IN") == []
    proj = DyadProjection("CA-IN")
    alerts = []
    for obs in (o for o in extract(seed) if o.dyad == "CA-IN"):
        alerts.extend(proj.apply(obs))
    alerts.extend(proj.tick(ClockTick(at=seed.published_at)))
    assert proj.snapshot().commitments, "the seed has commitments between CA and IN"
    store.save(proj)
    loaded = store.load("CA-IN")
    assert loaded is not None
    assert loaded.snapshot() == proj.snapshot()
    assert store.load("AU-JP") is None
