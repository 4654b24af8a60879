"""Fixtures shared by every tier: where ``../shared`` is, and the seed event."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


def shared_dir() -> Path:
    """The ``shared`` folder beside the checkout (override: BILATERAL_MONITOR_SHARED)."""
    return Path(os.environ.get("BILATERAL_MONITOR_SHARED", REPO_ROOT.parent / "shared"))


@pytest.fixture(scope="session")
def shared() -> Path:
    path = shared_dir()
    if not (path / "data" / "seed_gold.json").is_file():
        pytest.fail(f"{path} has no data/seed_gold.json: put the shared folder beside the checkout")
    return path
