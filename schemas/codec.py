"""Bytes <-> models: JSON (UTF-8) only, never pickle; upcasting of old ``schema_version``s.

Every decode failure raises :class:`DecodeError` carrying a reason a person can act on and, where
one is known, the offending field, so the CLI and the workers reject input with the same words.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from schemas.alerts import Alert, DeadLetter
from schemas.events import (
    CURRENT_SCHEMA_VERSION,
    DEFAULT_MAX_BODY_CHARS,
    InboundEvent,
    NewsArticle,
    OfficialStatement,
)
from schemas.observations import Observation

__all__ = [
    "UPCASTERS",
    "DecodeError",
    "decode_alert",
    "decode_dead_letter",
    "decode_event",
    "decode_observation",
    "encode",
    "event_from_dict",
    "parse_json",
    "upcast",
]

EVENT_TYPES = ("news_article", "official_statement")

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


def _v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    """Version 1 -> 2: ``title`` is renamed ``headline``."""
    if "title" in data:
        data["headline"] = data.pop("title")
    return data


UPCASTERS: dict[tuple[str, int], Upcaster] = {
    ("news_article", 1): _v1_to_v2,
    ("official_statement", 1): _v1_to_v2,
}
"""``(type, version) -> function`` turning a dict of that version into one of ``version + 1``."""

_event_adapter: TypeAdapter[NewsArticle | OfficialStatement] = TypeAdapter(InboundEvent)
_observation_adapter: TypeAdapter[Any] = TypeAdapter(Observation)


class DecodeError(ValueError):
    """Input that cannot become a model. ``reason`` is one line; ``field`` the dotted field path;
    ``line`` the line of the text where JSON parsing failed, when that is what failed."""

    def __init__(self, reason: str, field: str | None = None, *, line: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.field = field
        self.line = line


def parse_json(raw: bytes | str | None) -> Any:
    """Parse UTF-8 JSON bytes or text into a Python value. Raises DecodeError, never another error.

    Rejected: no value or a blank one (a Kafka tombstone gives None), bytes that are not UTF-8,
    text that is not JSON, JSON nested too deeply for the
    parser (``json`` raises RecursionError past about a thousand levels; no event is that deep)
    and integers of more than 4,300 digits (Python's conversion limit raises ValueError).
    The error's ``line`` is the line of the text where parsing failed.
    """
    if raw is None or not raw.strip():
        raise DecodeError(
            "empty message: the value holds no JSON (a tombstone, or an empty or blank send); "
            "publish one JSON event per message"
        )
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DecodeError(f"not UTF-8: invalid byte at position {exc.start}") from exc
    else:
        text = raw
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno} column {exc.colno}" if exc.lineno > 1 else f"column {exc.colno}"
        raise DecodeError(f"not JSON: {exc.msg} at {where}", line=exc.lineno) from exc
    except ValueError as exc:  # an integer of more digits than Python converts
        if "digits" in str(exc):
            limit = sys.get_int_max_str_digits()
            raise DecodeError(
                f"not JSON this service accepts: a number has more than {limit} digits"
            ) from None
        raise DecodeError(f"not JSON this service accepts: {exc}") from None
    except RecursionError:
        raise DecodeError("not JSON this service accepts: nested too deeply") from None


_loads = parse_json


def _reason(exc: ValidationError) -> DecodeError:
    errors = exc.errors(include_url=False)
    parts = []
    first_field: str | None = None
    for err in errors[:5]:
        loc = [str(p) for p in err["loc"] if p not in EVENT_TYPES]
        field = ".".join(loc) or "(event)"
        first_field = first_field or field
        msg = err["msg"]
        if err["type"] == "missing":
            msg = "missing (required)"
        elif err["type"] == "extra_forbidden":
            msg = "unknown field (not in the schema)"
        parts.append(f"{field}: {msg}")
    more = f" (+{len(errors) - 5} more)" if len(errors) > 5 else ""
    return DecodeError("; ".join(parts) + more, first_field)


def upcast(data: dict[str, Any]) -> dict[str, Any]:
    """Bring an inbound event dict to ``CURRENT_SCHEMA_VERSION`` through ``UPCASTERS``.

    A missing ``schema_version`` means 1. Raises DecodeError for a version newer than this code
    or one with no upcaster.
    """
    version = data.get("schema_version", 1)
    current = CURRENT_SCHEMA_VERSION
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise DecodeError(
            f"schema_version: must be a positive integer, got {version!r}", "schema_version"
        )
    if version > current:
        raise DecodeError(
            f"schema_version: {version} is newer than this service understands "
            f"(up to {current}); upgrade the service",
            "schema_version",
        )
    event_type = data.get("type")
    while version < current:
        step = UPCASTERS.get((str(event_type), version))
        if step is None:
            raise DecodeError(
                f"schema_version: no upcaster from version {version} for type {event_type!r}",
                "schema_version",
            )
        data = step(dict(data))
        version += 1
        data["schema_version"] = version
    return data


def event_from_dict(
    data: Any, *, max_body_chars: int = DEFAULT_MAX_BODY_CHARS
) -> NewsArticle | OfficialStatement:
    """Validate a decoded JSON value as an inbound event (after upcasting).

    Raises DecodeError naming the field for: a value that is not an object, an unknown ``type``,
    missing fields, naive or unparseable timestamps, unknown country codes, an oversized body.
    """
    if not isinstance(data, dict):
        raise DecodeError(f"event must be a JSON object, got {type(data).__name__}")
    event_type = data.get("type")
    if event_type not in EVENT_TYPES:
        if event_type is None:
            raise DecodeError(
                "type: missing (required): news_article or official_statement", "type"
            )
        raise DecodeError(
            f"type: unknown event type {event_type!r}; expected one of {', '.join(EVENT_TYPES)}",
            "type",
        )
    data = upcast(data)
    try:
        return _event_adapter.validate_python(data, context={"max_body_chars": max_body_chars})
    except ValidationError as exc:
        raise _reason(exc) from None


def decode_event(
    raw: bytes | str | None, *, max_body_chars: int = DEFAULT_MAX_BODY_CHARS
) -> NewsArticle | OfficialStatement:
    """Decode one inbound event from JSON bytes. Raises DecodeError (see event_from_dict)."""
    return event_from_dict(_loads(raw), max_body_chars=max_body_chars)


def decode_observation(raw: bytes | str | None) -> Any:
    """Decode a value of ``bilateral.observations``. Raises DecodeError."""
    try:
        return _observation_adapter.validate_python(_loads(raw))
    except ValidationError as exc:
        raise _reason(exc) from None


def decode_alert(raw: bytes | str | None) -> Alert:
    """Decode a value of ``bilateral.alerts``. Raises DecodeError."""
    try:
        return Alert.model_validate(_loads(raw))
    except ValidationError as exc:
        raise _reason(exc) from None


def decode_dead_letter(raw: bytes | str | None) -> DeadLetter:
    """Decode a value of ``bilateral.deadletter``. Raises DecodeError."""
    try:
        return DeadLetter.model_validate(_loads(raw))
    except ValidationError as exc:
        raise _reason(exc) from None


def encode(model: BaseModel) -> bytes:
    """Encode a model as compact UTF-8 JSON (field order as declared, so output is stable)."""
    return model.model_dump_json().encode("utf-8")
