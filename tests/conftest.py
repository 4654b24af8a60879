"""Fixtures shared by every tier: where ``../shared`` is, and the seed event."""

from __future__ import annotations

import json
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


SEED_FILE = "seed/000_5c6dcbbd866cff87.txt"
SEED_PUBLISHED_AT = "2026-02-08T00:00:00Z"  # as assumed by data/seed_gold.json


def seed_event(shared_path: Path):
    """The seed article as the NewsArticle ``dev-001`` (source CNN-News18), per seed_gold.json."""
    from schemas.codec import event_from_dict

    gold = json.loads((shared_path / "data" / "seed_gold.json").read_text(encoding="utf-8"))
    text = (shared_path / SEED_FILE).read_text(encoding="utf-8")
    return event_from_dict(
        {
            "event_id": "dev-001",
            "type": "news_article",
            "published_at": gold["event"]["published_at_assumed"],
            "source": gold["event"]["source"],
            "title": text.splitlines()[0][:1000],
            "body": text,
        }
    )


@pytest.fixture(scope="session")
def seed(shared: Path):
    """The seed NewsArticle (event id dev-001)."""
    return seed_event(shared)


@pytest.fixture(scope="session")
def dev_items(shared: Path):
    """Every line of data/dev_events.jsonl as events or Rejected records, in order."""
    from service.runtime.inputs import TextOptions, read_inputs

    return read_inputs(
        [shared / "data" / "dev_events.jsonl"], TextOptions(), max_body_chars=100_000
    )
