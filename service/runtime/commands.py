"""What the command line asks of a runtime, as one protocol with two implementations.

:class:`CommandRuntime` is the read-and-repair side of ``bilateral-monitor`` (``state``,
``alerts``, ``deadletters``, ``deadletters show``, ``deadletters redrive``, ``replay``):
:class:`service.runtime.embedded_commands.EmbeddedCommands` answers from the SQLite store,
:class:`service.runtime.kafka_commands.KafkaCommands` from the broker and a worker's HTTP view.
A command parses its options, picks one, calls one method and renders what it returns.

What a runtime cannot do is a :class:`CommandError` whose message says what to fix; the command
line prints it and exits with its ``code`` (2 bad input, 1 anything else). Imports: ``schemas``
and :mod:`service.config` only; the implementations import the rest of ``service.runtime``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, Protocol

from schemas.alerts import Alert, DeadLetter
from schemas.common import AlertKind
from schemas.events import NewsArticle, OfficialStatement
from schemas.state import RelationshipState

__all__ = [
    "AlertQuery",
    "CommandError",
    "CommandRuntime",
    "LetterRow",
    "Progress",
    "RedriveNote",
    "ReplayReport",
    "fixed_bytes",
    "validated_event",
]


class CommandError(Exception):
    """A command cannot go on: ``message`` says what to fix; ``code`` is the exit status (2 for
    bad input, 1 for anything else, e.g. a broker or worker that does not answer)."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class AlertQuery:
    """The filters and reading mode of ``alerts``: ``dyad`` (``CA-IN``), ``kind``; on Kafka,
    ``follow`` (wait for new alerts), ``from_beginning`` and consumer ``group``."""

    dyad: str | None = None
    kind: AlertKind | None = None
    follow: bool = False
    from_beginning: bool = False
    group: str | None = None


@dataclass(frozen=True)
class LetterRow:
    """One dead letter as listed: the letter and, on Kafka, where it is (``P@OFFSET``)."""

    letter: DeadLetter
    ref: str | None = None


@dataclass(frozen=True)
class RedriveNote:
    """What happened to one dead letter sent back: ``outcome`` and the rest of the sentence
    (``text``) after the letter's id; ``highlight`` as the terminal should print it."""

    outcome: Literal["still invalid", "rejected again", "redriven"]
    letter_id: str
    text: str
    highlight: bool = False


@dataclass(frozen=True)
class ReplayReport:
    """What ``replay`` found: ``body`` is what ``--json`` prints (the store's replay report, or
    the Kafka rebuild's counts, checksum and ``matches_live``); ``matches`` maps each dyad to
    whether the rebuilt state equals the live one at ``url`` (Kafka with a worker's URL)."""

    body: dict[str, Any]
    on_kafka: bool = False
    matches: dict[str, bool] = field(default_factory=dict)
    url: str | None = None


Progress = Callable[[str, int | None], Callable[[int, int | None], None]]
"""``progress(description, total)`` starts a progress report and returns ``update(done,
total)`` (``total`` None: unchanged)."""


class CommandRuntime(Protocol):
    """The runtime behind ``state``, ``alerts``, ``deadletters`` and ``replay``."""

    on_kafka: bool
    """Whether dead letters are listed with their place on a topic (the Kafka runtime)."""

    def state(self, dyad: str, as_of: datetime | None) -> RelationshipState:
        """The state of ``dyad`` (``as_of``: folded up to that event time, UTC). Raises
        CommandError when the dyad is unknown or the store or worker cannot answer."""
        ...

    def relationships(self, as_of: datetime | None) -> list[RelationshipState]:
        """Every relationship's state (``as_of`` as for :meth:`state`). Raises CommandError."""
        ...

    def alerts(self, query: AlertQuery, show: Callable[[list[Alert]], None]) -> None:
        """Hand the alerts ``query`` selects to ``show``: in one list (the store), or one at a
        time as they are read (Kafka; with ``follow`` until interrupted). Raises CommandError."""
        ...

    def dead_letters(self) -> list[LetterRow]:
        """Every dead letter, oldest first. Raises CommandError."""
        ...

    def dead_letter(self, ident: str) -> tuple[DeadLetter, list[dict[str, str]]]:
        """The dead letter ``ident`` names (id, unique prefix of 4+ characters, or on Kafka
        ``P@OFFSET``) and the redrive attempts recorded for it. Raises CommandError."""
        ...

    def redrive(
        self, idents: list[str], fixed: Path | None, note: Callable[[RedriveNote], None]
    ) -> int:
        """Send the dead letters ``idents`` names back (``fixed``: a file with the fixed event
        instead of the original); ``note`` hears of each as it goes. Returns how many could not
        be sent back. Raises CommandError for an unknown id or a broker that fails."""
        ...

    def replay(
        self, progress: Progress, *, into: Path | None = None, url: str | None = None
    ) -> ReplayReport:
        """Rebuild the projections and alerts from the event log and report on it. ``into`` and
        ``url`` (Kafka only): keep the rebuilt store there; compare with that worker's state.
        Raises CommandError."""
        ...


def fixed_bytes(letter: DeadLetter, fixed: Path | None) -> bytes:
    """What to send again: the ``fixed`` file, else the original bytes of the dead letter.
    Raises CommandError when the file cannot be read."""
    import base64

    if fixed is not None:
        try:
            return fixed.read_bytes()
        except OSError as exc:
            raise CommandError(f"--with {fixed}: cannot read ({exc.strerror})") from None
    if letter.original is not None:
        return letter.original.encode("utf-8")
    return base64.b64decode(letter.original_b64 or "")


def validated_event(
    letter: DeadLetter,
    raw: bytes,
    fixed: Path | None,
    max_body_chars: int,
    note: Callable[[RedriveNote], None],
) -> NewsArticle | OfficialStatement | None:
    """``raw`` validated as an event, or None after telling ``note`` why it is still invalid."""
    from schemas.codec import DecodeError, decode_event

    try:
        return decode_event(raw, max_body_chars=max_body_chars)
    except DecodeError as exc:
        hint = "" if fixed else "; fix it and pass --with FIXED.json"
        note(RedriveNote("still invalid", letter.dead_letter_id, f"{exc.reason}{hint}"))
        return None
