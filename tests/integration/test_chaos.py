"""A small fixed-seed chaos run (see service/tools/chaos.py and scripts/chaos)."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.tools.chaos import run_chaos

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


def test_sigkill_a_worker_three_times_loses_and_duplicates_nothing(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    report = run_chaos(kafka_bootstrap, tmp_path, events=200, kills=3, seed=3)
    print("\n".join(report.lines()))
    assert report.kills == 3
    assert report.lost == 0, report.lines()
    assert not report.duplicated, report.lines()
    assert not report.state_differs, report.lines()
