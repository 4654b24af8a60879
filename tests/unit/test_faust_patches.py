"""The faust workarounds were written for the faust-streaming that pyproject.toml pins and that is
installed: a new pin must come with a fresh look at each of them (service.runtime.faust_patches)."""

from __future__ import annotations

import re
import tomllib
from importlib.metadata import version
from pathlib import Path

from service.runtime.faust_patches import PATCHED_VERSION

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def test_patches_match_the_pinned_and_installed_faust() -> None:
    deps = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["dependencies"]
    pins = [m.group(1) for d in deps if (m := re.fullmatch(r"faust-streaming==(\S+)", d.strip()))]
    assert pins == [PATCHED_VERSION]
    assert version("faust-streaming") == PATCHED_VERSION


def test_the_built_app_has_every_patch(tmp_path: Path) -> None:
    from service.bootstrap import create_app
    from service.config import Settings
    from service.runtime.faust_consumer import SafeConsumer
    from service.runtime.faust_patches import SafeRecovery, SafeTableManager

    app = create_app(Settings(data_dir=tmp_path, store="memory://", web_port=6394))
    assert app.transport.Consumer is SafeConsumer
    assert isinstance(app.tables, SafeTableManager)
    assert isinstance(app.tables.recovery, SafeRecovery)
    assert "resume" in vars(app.flow_control)  # keep_queued_messages_on_resume's own resume
