"""The command line's :class:`~service.runtime.commands.CommandRuntime` over Kafka.

:class:`KafkaCommands` reads ``bilateral.alerts`` and ``bilateral.deadletter`` from the broker of
its settings, sends dead letters back to the topic they came from, rebuilds the state from the
inbound topics into a fresh store (:mod:`service.runtime.kafka_replay`) and reads a relationship
from a worker's HTTP view (``url``). Imports: ``schemas``, :mod:`service.config` and
``service.runtime`` modules (the Kafka clients are imported when a method needs them).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

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
from service.runtime.errors import describe_error

__all__ = ["KafkaCommands"]


class KafkaCommands:
    """Reads and repairs on the broker of ``settings`` (``settings.bootstrap``); ``url`` is a
    worker's ``http(s)://HOST:PORT`` for :meth:`state`. ``settings`` may be None when only
    :meth:`state` is called (it asks the worker, not the broker)."""

    on_kafka = True

    def __init__(self, settings: Settings | None, url: str | None = None) -> None:
        self._settings = settings
        self.url = url if url is None or "://" in url else f"http://{url}"

    @property
    def settings(self) -> Settings:
        """The broker's settings; CommandError when none were given."""
        if self._settings is None:
            raise CommandError("this reads Kafka: give --bootstrap HOST:PORT")
        return self._settings

    def state(self, dyad: str, as_of: datetime | None) -> RelationshipState:
        """``dyad``'s state from the worker at ``url`` (it forwards to the worker holding it)."""
        from service.runtime.kafka_cli import fetch_state

        url = self.url or ""
        try:
            return fetch_state(url, dyad, as_of)
        except LookupError:
            raise CommandError(f"no relationship {dyad} at {url}") from None
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        except ConnectionError as exc:
            raise CommandError(f"cannot reach {url}: {exc}", 1) from None

    def relationships(self, as_of: datetime | None) -> list[RelationshipState]:
        """Not offered on Kafka (a worker's ``GET /relationships`` lists its summaries)."""
        raise CommandError("--url and --commitment need a DYAD (e.g. `state CA-IN --url ...`)")

    def alerts(self, query: AlertQuery, show: Callable[[list[Alert]], None]) -> None:
        """Read (``follow``: and wait for) ``bilateral.alerts``, handing each alert to ``show``
        as it comes. Ctrl-C and SIGTERM stop it cleanly: the subscriber commits what was shown
        and leaves its group."""
        from service.runtime.kafka_cli import read_alerts

        async def consume() -> None:
            # SIGTERM stops like Ctrl-C: the subscriber commits what was printed and leaves
            # its group (read_alerts' finally), then the command exits 0
            this = asyncio.current_task()
            assert this is not None
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, this.cancel)
            with contextlib.suppress(asyncio.CancelledError):
                async for alert in read_alerts(
                    self.settings,
                    follow=query.follow,
                    from_beginning=query.from_beginning or not query.follow,
                    dyad=query.dyad,
                    kind=query.kind.value if query.kind else None,
                    group_id=query.group,
                ):
                    show([alert])

        try:
            with contextlib.suppress(KeyboardInterrupt):
                asyncio.run(consume())
        except Exception as exc:
            raise CommandError(
                f"reading alerts from {self.settings.bootstrap} failed: "
                f"{describe_error(exc, self.settings)}",
                1,
            ) from exc

    def _letters(self) -> list[Any]:
        from service.runtime.kafka_deadletters import read_dead_letters

        try:
            return asyncio.run(read_dead_letters(self.settings))
        except Exception as exc:
            raise CommandError(
                f"reading dead letters from {self.settings.bootstrap} failed: "
                f"{describe_error(exc, self.settings)}",
                1,
            ) from exc

    @staticmethod
    def _find(letters: list[Any], ident: str) -> Any:
        from service.runtime.kafka_deadletters import find_dead_letter

        found = find_dead_letter(letters, ident)
        if found is None:
            raise CommandError(
                f"no dead letter {ident!r} (give its id, a unique prefix of 4+ characters or "
                "P@OFFSET)"
            )
        return found

    def dead_letters(self) -> list[LetterRow]:
        """Every dead letter on ``bilateral.deadletter``, with its ``P@OFFSET``."""
        return [LetterRow(item.letter, item.ref) for item in self._letters()]

    def dead_letter(self, ident: str) -> tuple[DeadLetter, list[dict[str, str]]]:
        """The dead letter ``ident`` names (no redrive attempts are recorded on Kafka)."""
        return self._find(self._letters(), ident).letter, []

    def redrive(
        self, idents: list[str], fixed: Path | None, note: Callable[[RedriveNote], None]
    ) -> int:
        """Send each dead letter's message back to its topic: an inbound event to its inbound
        topic, an observation a projector failed on to the observations topic with its key. The
        dead letters stay on their topic."""
        from schemas.codec import DecodeError
        from service.runtime.kafka_deadletters import redrive_event, redrive_observation
        from service.runtime.kafka_io import OBSERVATIONS

        settings = self.settings
        found = self._letters()
        chosen = [self._find(found, ident).letter for ident in idents]
        failed = 0
        for letter in chosen:
            raw = fixed_bytes(letter, fixed)
            if letter.topic == settings.topic(OBSERVATIONS):
                try:
                    where = asyncio.run(redrive_observation(settings, raw, letter.key))
                except DecodeError as exc:
                    failed += 1
                    note(RedriveNote("still invalid", letter.dead_letter_id, exc.reason, True))
                    continue
                text = f"to {where[0]}[{where[1]}]@{where[2]}"
                note(RedriveNote("redriven", letter.dead_letter_id, text, True))
                continue
            event = validated_event(letter, raw, fixed, settings.max_body_chars, note)
            if event is None:
                failed += 1
                continue
            try:
                topic, partition, offset = asyncio.run(redrive_event(settings, event))
            except Exception as exc:
                raise CommandError(
                    f"sending {event.event_id} to {settings.bootstrap} failed: {exc}", 1
                ) from exc
            text = (
                f"as {event.event_id} to {topic}[{partition}]@{offset} (the dead letter stays on "
                "its topic)"
            )
            note(RedriveNote("redriven", letter.dead_letter_id, text))
        return failed

    def replay(
        self, progress: Progress, *, into: Path | None = None, url: str | None = None
    ) -> ReplayReport:
        """Rebuild from the inbound topics, from offset 0, into a fresh store (``into``, else a
        temporary one); with ``url``, compare each dyad with that worker's live state."""
        from service.runtime.kafka_replay import compare_live, rebuild

        update = progress("reading inbound topics", None)
        try:
            report = asyncio.run(rebuild(self.settings, into, update))
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        except Exception as exc:
            raise CommandError(
                f"cannot read from {self.settings.bootstrap}: {describe_error(exc, self.settings)}",
                1,
            ) from exc
        same: dict[str, bool] = {}
        if url:
            try:
                same = compare_live(report, url)
            except ConnectionError as exc:
                raise CommandError(f"cannot reach {url}: {exc}", 1) from exc
        body = {
            "messages": report.messages,
            "events": report.events,
            "undecodable": report.undecodable,
            "duplicates": report.duplicates,
            "alerts": report.alerts,
            "checksum": report.checksum,
            "dyads": report.dyads,
            "matches_live": same or None,
        }
        return ReplayReport(body=body, on_kafka=True, matches=same, url=url)
