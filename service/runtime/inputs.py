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
from datetime import UTC, datetime
from pathlib import Path

from pydantic import TypeAdapter, ValidationError

from schemas.codec import DecodeError, event_from_dict, parse_json
from schemas.common import CountryCode
from schemas.events import CURRENT_SCHEMA_VERSION, NewsArticle, OfficialStatement, SourceKind

InboundEvent = NewsArticle | OfficialStatement

_country: TypeAdapter[str] = TypeAdapter(CountryCode)

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


def _check_text_options(opts: TextOptions) -> None:
    """Raise InputError when the options cannot make an event of any ``.txt`` file.

    These are mistakes on the command line, not in a record: the same for every file, so nothing
    is dead-lettered (a dead letter of a whole article could never be redriven as it is).
    """
    if opts.published_at is None:
        raise InputError(
            "--published-at is required for a .txt article "
            "(ISO 8601 with a timezone, e.g. 2026-02-08T00:00:00Z)"
        )
    if opts.kind != "statement":
        return
    if not opts.issuer_country:
        raise InputError("--kind statement needs --issuer-country (ISO 3166-1 alpha-2, e.g. IN)")
    try:
        _country.validate_python(opts.issuer_country)
    except ValidationError as exc:
        message = exc.errors(include_url=False)[0]["msg"].removeprefix("Value error, ")
        raise InputError(f"--issuer-country: {message}") from None
    if not (opts.issuer or opts.source):
        raise InputError("--kind statement needs --issuer (or --source): who issued it")


def _text_event(path: Path, text: str, opts: TextOptions, max_body_chars: int) -> InboundEvent:
    if opts.published_at is None:  # checked by read_inputs; kept for direct callers
        raise DecodeError("published_at: required for a .txt article", "published_at")
    body = text.strip("\ufeff")
    first_line = next((ln.strip() for ln in body.splitlines() if ln.strip()), "")
    at = opts.published_at
    if at.tzinfo is not None:  # one instant, one id: 05:30+05:30 and 00:00Z are the same article
        at = at.astimezone(UTC)
    digest = hashlib.sha256((body + at.isoformat()).encode("utf-8")).hexdigest()[:16]
    data: dict[str, object] = {
        "event_id": opts.event_id or f"txt-{digest}",
        "published_at": at.isoformat(),
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
    return event_from_dict(data, max_body_chars=max_body_chars)


def read_inputs(
    paths: list[Path],
    opts: TextOptions,
    *,
    max_body_chars: int,
    origins: dict[str, tuple[str, int | None]] | None = None,
) -> list[InboundEvent | Rejected]:
    """Read every path (.txt, .json, .jsonl) into events and rejections, in file order.

    A ``.json`` file holds one event object or a list of them; a ``.jsonl`` file one per line
    (blank lines skipped). Raises InputError, before anything is returned, for a path that does not
    exist, cannot be read, is not UTF-8, or has another suffix, and when ``opts`` cannot make an
    event of the ``.txt`` files given (no ``--published-at``; a statement without issuer country).
    ``origins``, when given, is filled with each event id's first file and line, so a later
    failure on a valid event (the runtime's) can still say where the event came from.
    """
    texts: list[tuple[Path, str]] = []
    for path in paths:
        if path.suffix.lower() not in (".txt", ".json", ".jsonl"):
            raise InputError(
                f"{path}: unsupported file type {path.suffix!r}; use .txt, .json or .jsonl"
            )
        data = b""
        try:
            data = path.read_bytes()
            texts.append((path, data.decode("utf-8")))
        except FileNotFoundError:
            raise InputError(f"{path}: no such file") from None
        except IsADirectoryError:
            raise InputError(f"{path}: is a directory; name the files inside it") from None
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
            raise InputError(
                f"{path}: not UTF-8: line {line}, byte {column} of the line "
                f"(byte 0x{data[exc.start]:02x}); save the file as UTF-8"
            ) from None
        except OSError as exc:
            raise InputError(f"{path}: cannot read ({exc.strerror})") from None
    if any(path.suffix.lower() == ".txt" for path in paths):
        _check_text_options(opts)

    out: list[InboundEvent | Rejected] = []
    for path, text in texts:
        name = str(path)
        suffix = path.suffix.lower()
        text = text.removeprefix("\ufeff")  # a byte order mark marks the encoding, not content
        if suffix == ".txt":
            try:
                out.append(_text_event(path, text, opts, max_body_chars))
            except DecodeError as exc:
                out.append(Rejected(name, None, exc.reason, exc.field, text))
                continue
            if origins is not None:
                origins.setdefault(out[-1].event_id, (name, None))
            continue
        if suffix == ".json":
            records: list[tuple[int | None, str]] = []
            try:
                value = parse_json(text)
            except DecodeError as exc:
                out.append(Rejected(name, exc.line, exc.reason, None, text))
                continue
            items = value if isinstance(value, list) else [value]
            records = [(None, json.dumps(item, ensure_ascii=False)) for item in items]
        else:
            records = [
                (number, line.removesuffix("\r"))
                for number, line in enumerate(_lines(text), start=1)
                if line.strip()
            ]
        for number, record in records:
            item = _record(name, number, record, max_body_chars)
            out.append(item)
            if origins is not None and not isinstance(item, Rejected):
                origins.setdefault(item.event_id, (name, number))
    return out


def _lines(text: str) -> list[str]:
    """JSON Lines records: split on ``\n`` only (a ``\r`` before it is stripped by the caller).

    Not ``str.splitlines``, which also breaks at U+2028, U+0085, form feeds and other characters
    that JSON allows unescaped inside a string, cutting one good record into bad pieces.
    """
    return text.split("\n")


def _record(
    name: str, number: int | None, record: str, max_body_chars: int
) -> InboundEvent | Rejected:
    try:
        data = parse_json(record)
    except DecodeError as exc:
        return Rejected(name, number, exc.reason, None, record)
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
