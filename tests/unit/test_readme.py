"""The README's promises: the two set-up commands first, CI runs the test command, the example
event is valid, and every CLI command it lists exists."""

from __future__ import annotations

import json
import re

from schemas.codec import decode_event
from service.cli import app
from tests.conftest import REPO_ROOT

README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_starts_with_the_two_set_up_commands():
    first_block = re.search(r"```sh\n(.*?)```", README, re.S)
    assert first_block is not None
    commands = [line.split("#")[0].strip() for line in first_block.group(1).splitlines()]
    assert commands == ["make demo", "make test"]
    assert README.index("```sh") < README.index("---")


def test_ci_runs_the_readme_test_command():
    ci = (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert [line for line in ci.splitlines() if line.startswith("make ")] == ["make test"]


def test_readme_example_event_is_valid():
    block = re.search(r"```json\n(.*?)```", README, re.S)
    assert block is not None
    event = decode_event(block.group(1).encode())
    assert event.schema_version == 2 and json.loads(block.group(1))["countries"] == ["AU", "JP"]


def test_every_command_in_the_readme_table_exists():
    names = {c.name or c.callback.__name__ for c in app.registered_commands}
    names |= {g.name for g in app.registered_groups}
    listed = set(re.findall(r"^\| `([a-z]+)[ `]", README, re.M))
    assert listed and listed <= names, listed - names


def test_every_setting_is_in_the_readme_table():
    from service.config import Settings

    listed: set[str] = set()
    for row in re.findall(r"^\| (`BILATERAL_MONITOR_.*?) \|", README, re.M):
        # "`BILATERAL_MONITOR_WEB_HOST`, `_WEB_PORT`" names two settings
        listed |= {
            name.removeprefix("BILATERAL_MONITOR_") for name in re.findall(r"`_?([A-Z_]+)`", row)
        }
    missing = {name.upper() for name in Settings.model_fields} - listed
    assert not missing, f"settings missing from the README table: {sorted(missing)}"


def test_the_tour_s_own_article_commands_run_and_pause_the_commitment(tmp_path):
    """The tour's second and third ``sh`` blocks (an article of one's own, then a follow-up)
    run as written and give the paused commitment they show."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    blocks = re.findall(r"```sh\n(.*?)```", README, re.S)
    own = [b for b in blocks if "bilateral-monitor ingest" in b and "--data-dir tour" in b]
    assert len(own) == 2, own
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    env = {k: v for k, v in env.items() if k != "BILATERAL_MONITOR_DATA_DIR"}
    outputs = []
    for block in own:
        done = subprocess.run(
            ["bash", "-ec", block],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        outputs.append(done.stdout)
    assert outputs[0].count("│ new ") == 2
    assert "agreed -> paused" in " ".join(outputs[1].split())
    assert "agreed -> paused" in README
