"""A small soak (service/tools/soak.py, scripts/soak): every bad message dead-lettered with the
reason of its kind, every good one in the state, nothing lost or duplicated, no restart."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.tools.soak import BAD_KINDS, run_soak

pytestmark = pytest.mark.kafka


def test_a_small_soak_loses_and_duplicates_nothing(kafka_bootstrap: str, tmp_path: Path) -> None:
    messages = 5 * 2 * len(BAD_KINDS)  # every kind of bad message twice
    report = run_soak(kafka_bootstrap, tmp_path, messages=messages, seed=3, wait_seconds=300)
    lines = "\n".join(report.lines())
    print(lines)
    assert report.good + sum(report.bad.values()) == messages
    assert {kind: report.bad[kind] for kind in BAD_KINDS} == dict.fromkeys(BAD_KINDS, 2), lines
    assert report.dead_lettered == report.bad == report.right_reason, lines
    assert sum(report.by_reason.values()) == sum(report.bad.values()), lines
    assert (report.lost, report.duplicated, report.restarts) == (0, 0, 0), lines
    assert not report.state_differs, lines
    assert lines.splitlines()[-1] == "lost=0 duplicated=0 restarts=0"
