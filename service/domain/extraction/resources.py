"""Packaged data files of the extractor (``service/domain/data/*.json``), read once and cached."""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from typing import Any

__all__ = ["compile_pattern", "load"]


@cache
def load(name: str) -> dict[str, Any]:
    """Return the parsed JSON data file ``service/domain/data/<name>.json``.

    Raises FileNotFoundError when the file is not packaged; the result is cached per process
    and must not be mutated.
    """
    path = resources.files("service.domain").joinpath("data", f"{name}.json")
    with path.open("r", encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


@cache
def compile_pattern(pattern: str, ignore_case: bool = True) -> re.Pattern[str]:
    """Compile a lexicon regular expression once (case-insensitive unless told otherwise)."""
    return re.compile(pattern, re.IGNORECASE if ignore_case else 0)
