"""scripts/bench in its quick form: every case of the contract is in its JSON, with a number or
null and the reason why; the extraction figures are positive. No timing is asserted."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CASES = {
    "extraction_articles_per_s",
    "extraction_vs_parse_all",
    "fold_observations_per_s",
    "fold_vs_bare",
    "replay_1m_seconds",
    "projector_vs_bare",
    "latency_p99_ms",
    "worker_rss_mib",
}


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("bench") / "bench.json"
    done = subprocess.run(
        [
            sys.executable,
            str(REPO / "scripts" / "bench"),
            "--quick",
            "--json",
            str(out),
            "--articles",
            "6",
            "--repeats",
            "1",
            "--observations",
            "1000",
            "--replay",
            "1000",
        ],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
        env={**os.environ, "BILATERAL_MONITOR_BENCH_BOOTSTRAP": ""},
    )
    assert done.returncode == 0, done.stderr
    for name in CASES:
        assert name in done.stdout  # the printed table names every case
    return json.loads(out.read_text(encoding="utf-8"))


def test_every_case_has_a_number_or_null_with_a_reason(results: dict) -> None:
    assert set(results["cases"]) == CASES
    for name, case in results["cases"].items():
        assert case["unit"], name
        value = case["value"]
        if value is None:
            assert case["reason"].strip(), name
        else:
            assert isinstance(value, int | float) and not isinstance(value, bool), name
    assert results["cases"]["latency_p99_ms"]["reason"].startswith("needs a broker")
    assert results["machine"]["quick"] is True


def test_extraction_and_fold_figures_are_positive(results: dict) -> None:
    cases = results["cases"]
    assert cases["extraction_articles_per_s"]["value"] > 0
    assert cases["extraction_articles_per_s"]["articles"] == 6
    assert cases["extraction_articles_per_s"]["words_per_article"] >= 600
    ratio = cases["extraction_vs_parse_all"]
    assert ratio["value"] > 0
    assert 0 < ratio["sentences_parsed_by_extractor"] <= ratio["sentences"]
    assert cases["fold_observations_per_s"]["value"] > 0
    assert cases["fold_observations_per_s"]["observations"] == 1000
    replay = cases["replay_1m_seconds"]
    assert replay["observations"] == 1000 and replay["peak_rss_mib"] > 0


def test_bad_options_exit_2_with_a_message(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "bench"), "--corpus", str(tmp_path / "none")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "--corpus" in done.stderr


def test_pipeline_profile_times_every_step_of_the_trained_pipeline() -> None:
    done = subprocess.run(
        [
            sys.executable,
            str(REPO / "scripts" / "bench"),
            "--profile",
            "pipeline",
            "--articles",
            "2",
        ],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    rows = {
        m.group(1): float(m.group(2))
        for m in re.finditer(r"^  (\S.*?)\s{2,}([\d.]+)", done.stdout, re.M)
    }
    for step in ("tokenizer", "tok2vec", "tagger", "parser", "lemmatizer"):
        assert rows[step] > 0, step
    assert rows["extract, whole pass"] > 0
