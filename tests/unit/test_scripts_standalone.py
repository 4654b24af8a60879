"""Scripts users run import the package, never the test tree or the test extras: each loads
(its imports run, ``main`` does not) in a Python where pytest, hypothesis and ``tests`` cannot
be imported, as in an installation without the ``test`` extra."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = ["chaos", "soak", "big-dyad", "latency", "fuzz-bench", "eval-extraction"]

BLOCK = """
import runpy, sys
for name in ("pytest", "_pytest", "hypothesis", "tests"):
    sys.modules[name] = None  # import raises ImportError
runpy.run_path(sys.argv[1], run_name="loaded")
"""


@pytest.mark.parametrize("script", SCRIPTS)
def test_script_loads_without_the_test_extras(script: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", BLOCK, str(REPO / "scripts" / script)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd="/",
    )
    assert done.returncode == 0, done.stderr[-2000:]


def test_the_blocking_works() -> None:
    probe = subprocess.run(
        [sys.executable, "-c", BLOCK.replace("runpy.run_path(sys.argv[1]", "import tests  #")],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,  # where ``tests`` would otherwise import
    )
    assert probe.returncode != 0 and "import of tests halted" in probe.stderr, probe.stderr
