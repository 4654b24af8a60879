"""Reading input files for ``ingest`` and ``publish``: raw ``.txt`` articles and JSON(L) events.

Every file is read whole before anything is written, so an unreadable file stops the command with
nothing written (:class:`InputError`). Inside a readable file, each record becomes either a
validated event or a :class:`Rejected` item with the reason (file, line, field) that the runtime
dead-letters while the good records go on.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from schemas.codec import DecodeError, event_from_dict
from schemas.events import CURRENT_SCHEMA_VERSION, NewsArticle, OfficialStatement, SourceKind

InboundEvent = NewsArticle | OfficialStatement

__all__ = ["InputError", "Rejected", "TextOptions", "read_inputs"]


class InputError(Exception):
    """A file that cannot be read at all (missing, unreadable, not UTF-8, unknown suffix)."""


@dataclass(frozen=True)
class Rejected:
    """A record that failed validation: where it was and why. ``raw`` is the record's text."""

    file: str
    line: int | None
    reason: str
    field: str | None
    raw: str
    event_id: str | None = None


@dataclass(frozen=True)
class TextOptions:
    """How a ``.txt`` file becomes an event (the CLI's ``--kind``, ``--source`` ... options)."""

    kind: str = "news"
    source: str | None = None
    source_kind: SourceKind | None = None
    published_at: datetime | None = None
    title: str | None = None
    issuer: str | None = None
    issuer_country: str | None = None
    event_id: str | None = None


def _text_event(path: Path, text: str, opts: TextOptions) -> InboundEvent:
    if opts.published_at is None:
        raise DecodeError(
            "published_at: required for a .txt article: pass --published-at "
            "(ISO 8601 with a timezone, e.g. 2026-02-08T00:00:00Z)",
            "published_at",
        )
    body = text.strip("\ufeff")
    first_line = next((ln.strip() for ln in body.splitlines() if ln.strip()), "")
    digest = hashlib.sha256((body + opts.published_at.isoformat()).encode("utf-8")).hexdigest()[:16]
    data: dict[str, object] = {
        "event_id": opts.event_id or f"txt-{digest}",
        "published_at": opts.published_at.isoformat(),
        "source": {
            "name": opts.source or path.stem,
            "kind": (
                opts.source_kind
                or (SourceKind.GOVERNMENT if opts.kind == "statement" else SourceKind.NEWS)
            ).value,
        },
        "schema_version": CURRENT_SCHEMA_VERSION,
        "headline": opts.title if opts.title is not None else first_line[:1000],
        "body": body,
    }
    if opts.kind == "statement":
        data["type"] = "official_statement"
        data["issuer"] = opts.issuer or opts.source or ""
        data["issuer_country"] = opts.issuer_country or ""
        if not opts.issuer_country:
            raise DecodeError(
                "issuer_country: required for --kind statement: pass --issuer-country (ISO code)",
                "issuer_country",
            )
    else:
        data["type"] = "news_article"
    return event_from_dict(data)


def read_inputs(
    paths: list[Path], opts: TextOptions, *, max_body_chars: int
) -> list[InboundEvent | Rejected]:
    """Read every path (.txt, .json, .jsonl) into events and rejections, in file order.

    A ``.json`` file holds one event object or a list of them; a ``.jsonl`` file one per line
    (blank lines skipped). Raises InputError, before anything is returned, for a path that does not
    exist, cannot be read, is not UTF-8, or has another suffix.
    """
    texts: list[tuple[Path, str]] = []
    for path in paths:
        if path.suffix.lower() not in (".txt", ".json", ".jsonl"):
            raise InputError(
                f"{path}: unsupported file type {path.suffix!r}; use .txt, .json or .jsonl"
            )
        try:
            texts.append((path, path.read_bytes().decode("utf-8")))
        except FileNotFoundError:
            raise InputError(f"{path}: no such file") from None
        except IsADirectoryError:
            raise InputError(f"{path}: is a directory; name the files inside it") from None
        except UnicodeDecodeError as exc:
            raise InputError(f"{path}: not UTF-8 (invalid byte at position {exc.start})") from None
        except OSError as exc:
            raise InputError(f"{path}: cannot read ({exc.strerror})") from None

    out: list[InboundEvent | Rejected] = []
    for path, text in texts:
        name = str(path)
        suffix = path.suffix.lower()
        if suffix == ".txt":
            try:
                out.append(_text_event(path, text, opts))
            except DecodeError as exc:
                out.append(Rejected(name, None, exc.reason, exc.field, text))
            continue
        if suffix == ".json":
            records: list[tuple[int | None, str]] = []
            try:
                value = json.loads(text)
            except json.JSONDecodeError as exc:
                out.append(Rejected(name, exc.lineno, f"not JSON: {exc.msg}", None, text))
                continue
            items = value if isinstance(value, list) else [value]
            records = [(None, json.dumps(item, ensure_ascii=False)) for item in items]
        else:
            records = [
                (number, line)
                for number, line in enumerate(text.splitlines(), start=1)
                if line.strip()
            ]
        for number, record in records:
            out.append(_record(name, number, record, max_body_chars))
    return out


def _record(
    name: str, number: int | None, record: str, max_body_chars: int
) -> InboundEvent | Rejected:
    try:
        data = json.loads(record)
    except json.JSONDecodeError as exc:
        return Rejected(name, number, f"not JSON: {exc.msg} at column {exc.colno}", None, record)
    try:
        return event_from_dict(data, max_body_chars=max_body_chars)
    except DecodeError as exc:
        event_id = data.get("event_id") if isinstance(data, dict) else None
        return Rejected(
            name,
            number,
            exc.reason,
            exc.field,
            record,
            event_id if isinstance(event_id, str) else None,
        )
