"""The command line's :class:`~service.runtime.commands.CommandRuntime` over the embedded store.

:func:`open_store` opens ``<data_dir>/monitor.sqlite3`` the way every command does (a read never
creates a store); :class:`EmbeddedCommands` answers ``state``, ``alerts``, ``deadletters`` and
``replay`` from it. Imports: ``schemas``, :mod:`service.config`, :mod:`service.runtime.commands`
and :mod:`service.runtime.embedded`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from schemas.alerts import Alert, DeadLetter
from schemas.state import RelationshipState
from service.config import Settings
from service.runtime.commands import (
    AlertQuery,
    CommandError,
    LetterRow,
    Progress,
    RedriveNote,
    ReplayReport,
    fixed_bytes,
    validated_event,
)
from service.runtime.embedded import EmbeddedRuntime

__all__ = ["EmbeddedCommands", "open_store"]


def open_store(
    settings: Settings, *, read: bool = False, on_wait: Callable[[], None] | None = None
) -> EmbeddedRuntime:
    """The embedded store of ``settings.data_dir`` (``on_wait`` is called when another process
    is writing to it). A ``read`` never creates a store: on a folder without one it raises
    CommandError (code 2) saying how to make one; a store that cannot be opened is code 1."""
    if read and not EmbeddedRuntime.exists(settings.data_dir):
        raise CommandError(
            f"no store in {settings.data_dir} (nothing was ingested there): ingest events "
            f"first (`bilateral-monitor ingest PATH --data-dir {settings.data_dir}`), or point "
            "--data-dir or BILATERAL_MONITOR_DATA_DIR at an existing store"
        )
    try:
        return EmbeddedRuntime(settings.data_dir, on_wait=on_wait)
    except Exception as exc:  # sqlite3.Error, OSError
        raise CommandError(f"cannot open the store in {settings.data_dir}: {exc}", 1) from exc


class EmbeddedCommands:
    """Reads and repairs of the store in ``settings.data_dir``; each call opens it and closes it
    again (``on_wait`` as for :func:`open_store`)."""

    on_kafka = False

    def __init__(self, settings: Settings, on_wait: Callable[[], None] | None = None) -> None:
        self.settings = settings
        self.on_wait = on_wait

    def _open(self) -> EmbeddedRuntime:
        return open_store(self.settings, read=True, on_wait=self.on_wait)

    def state(self, dyad: str, as_of: datetime | None) -> RelationshipState:
        """The state of ``dyad``; CommandError naming the known dyads when it is unknown."""
        with self._open() as runtime:
            found = runtime.state(dyad, as_of)
            known = runtime.dyads()
        if found is None:
            raise CommandError(
                f"no relationship {dyad} in the store; known: {', '.join(known) or 'none'}"
            )
        return found

    def relationships(self, as_of: datetime | None) -> list[RelationshipState]:
        """Every relationship's state, in dyad order."""
        with self._open() as runtime:
            states = [runtime.state(d, as_of) for d in runtime.dyads()]
        return [s for s in states if s is not None]

    def alerts(self, query: AlertQuery, show: Callable[[list[Alert]], None]) -> None:
        """Every stored alert ``query`` selects, in emission order, in one list."""
        with self._open() as runtime:
            found = runtime.alerts(query.dyad, query.kind)
        show(found)

    def dead_letters(self) -> list[LetterRow]:
        """Every dead letter of the store."""
        with self._open() as runtime:
            return [LetterRow(letter) for letter in runtime.dead_letters()]

    def dead_letter(self, ident: str) -> tuple[DeadLetter, list[dict[str, str]]]:
        """The dead letter ``ident`` names and its redrive attempts."""
        with self._open() as runtime:
            letter = self._letter(runtime, ident)
            return letter, runtime.redrives(letter.dead_letter_id)

    @staticmethod
    def _letter(runtime: EmbeddedRuntime, ident: str) -> DeadLetter:
        letter = runtime.dead_letter_by_id(ident)
        if letter is None:
            raise CommandError(
                f"no dead letter {ident!r} in the local store (give its id or a unique prefix "
                f"of 4+ characters; for one on Kafka add --bootstrap HOST:PORT)"
            )
        return letter

    def redrive(
        self, idents: list[str], fixed: Path | None, note: Callable[[RedriveNote], None]
    ) -> int:
        """Ingest each dead letter's event again (the letters are kept); returns the failures."""
        failed = 0
        with self._open() as runtime:
            for ident in idents:
                letter = self._letter(runtime, ident)
                raw = fixed_bytes(letter, fixed)
                event = validated_event(letter, raw, fixed, self.settings.max_body_chars, note)
                if event is None:
                    failed += 1
                    continue
                result = runtime.redrive(letter, event)
                if result.rejected:
                    failed += 1
                    reason = result.rejected[0].reason
                    note(RedriveNote("rejected again", letter.dead_letter_id, reason))
                    continue
                state = "ingested" if result.accepted else "duplicate (already in the log)"
                text = f"as {event.event_id}: {state}, {len(result.alerts)} alerts"
                note(RedriveNote("redriven", letter.dead_letter_id, text))
        return failed

    def replay(
        self, progress: Progress, *, into: Path | None = None, url: str | None = None
    ) -> ReplayReport:
        """Rebuild the store in place from its own event log."""
        if url or into:
            raise CommandError("--url and --into go with --bootstrap")
        with self._open() as runtime:
            update = progress("replaying events", runtime.counts()["events"])
            report = runtime.replay(lambda n, _: update(n, None))
        return ReplayReport(body=report)
