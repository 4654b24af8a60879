"""What the command line prints: tables and lines for people, JSON for scripts.

``out`` is the command's output (a reader that goes away, ``| head -1``, ends it quietly),
``err`` its messages and progress bars. Each ``render_*`` prints one command's answer, as
DESIGN.md fixes it for ``--json``. Imports: ``schemas``, ``service.domain`` (attention order,
relationship summaries) and ``service.runtime`` (the reports it renders).
"""

from __future__ import annotations

import errno
import json
import os
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from schemas.alerts import Alert, DeadLetter
from schemas.state import Commitment, RelationshipState
from service.domain.attention import attention_key, relationship_summary
from service.runtime.commands import LetterRow, RedriveNote, ReplayReport
from service.runtime.commands import Progress as ProgressReport
from service.runtime.embedded import IngestResult

if TYPE_CHECKING:
    from service.runtime.alertmanager import SyncReport

__all__ = [
    "err",
    "out",
    "progress_bar",
    "progress_report",
    "render_alert_batch",
    "render_alerts",
    "render_commitment",
    "render_dead_letter",
    "render_dead_letters",
    "render_ingest_summary",
    "render_redrive_note",
    "render_relationship",
    "render_relationships",
    "render_replay",
    "render_state",
    "render_sync_report",
]


class _Output(Console):
    """The console of a command's output: a reader that goes away (``| head -1``) raises
    BrokenPipeError, which :func:`service.cli.main` turns into a quiet exit 0 (rich would exit
    1)."""

    def on_broken_pipe(self) -> None:
        """Stop writing and raise ``BrokenPipeError`` (EPIPE) to end the command quietly."""
        self.quiet = True
        raise BrokenPipeError(errno.EPIPE, os.strerror(errno.EPIPE))


out = _Output(soft_wrap=False)


err = Console(stderr=True, soft_wrap=True)


def _date(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "-"


def _count(n: int, noun: str) -> str:
    """``1 alert``, ``2 alerts``."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def render_state(state: RelationshipState) -> None:
    """Print a relationship's commitments (those that need attention first) and engagements as
    tables."""
    table = Table(title=f"{state.dyad}: commitments as of {_date(state.as_of)} UTC", expand=False)
    for col in ("status", "commitment", "topics", "due", "evidence", "conf."):
        table.add_column(col, overflow="fold")
    for c in sorted(state.commitments, key=attention_key):
        due = ""
        if c.due:
            due = (
                f"{c.due.start}..{c.due.end}" if c.due.start else f"{c.due.kind.value} {c.due.end}"
            )
        status = c.status.value + (" (contested)" if c.contested else "")
        table.add_row(
            status,
            c.title,
            ", ".join(t.value for t in c.topics),
            due,
            str(len(c.evidence)),
            f"{c.confidence:.2f}",
        )
    out.print(table)
    if state.engagements:
        eng = Table(title=f"{state.dyad}: engagements", expand=False)
        for col in ("when", "kind", "what"):
            eng.add_column(col, overflow="fold")
        for e in state.engagements:
            eng.add_row(_date(e.at), e.kind, e.title)
        out.print(eng)


def render_commitment(c: Commitment, json_out: bool) -> None:
    """Print one commitment: its status history (event time, status, source) and evidence."""
    if json_out:
        print(c.model_dump_json())
        return
    out.print(f"[bold]{c.title}[/] ({c.id}, {c.dyad}): {c.status.value}", highlight=False)
    table = Table(title="status history", expand=False)
    for col in ("event time", "status", "source", "sentence"):
        table.add_column(col, overflow="fold")
    for h in c.status_history:
        source = h.evidence.source if h.evidence else "(event-time clock)"
        table.add_row(
            _date(h.at), h.status.value, source, h.evidence.sentence if h.evidence else ""
        )
    out.print(table)
    out.print(f"{len(c.evidence)} evidence sentences, confidence {c.confidence:.2f}")


def render_alerts(alerts: list[Alert]) -> None:
    """Print alerts as a table, in order."""
    table = Table(title=_count(len(alerts), "alert"), expand=False)
    for col in ("event time", "dyad", "kind", "severity", "reason"):
        table.add_column(col, overflow="fold")
    colours = {"info": "cyan", "warning": "yellow", "critical": "bold red"}
    for a in alerts:
        table.add_row(
            _date(a.event_time),
            a.dyad,
            a.kind.value.removeprefix("commitment."),
            f"[{colours[a.severity.value]}]{a.severity.value}[/]",
            a.reason,
        )
    out.print(table)


def render_ingest_summary(result: IngestResult) -> None:
    """``ingest``'s counts on stderr, then one line per rejected record with its reason."""
    err.print(
        f"accepted {result.accepted}, duplicates ignored {result.duplicates}, "
        f"rejected {len(result.rejected)}, observations {result.observations}, "
        f"alerts {len(result.alerts)}",
        highlight=False,
    )
    for letter in result.rejected:
        where = _where(letter) if letter.file else f"event {letter.event_id}"
        err.print(f"[red]rejected[/] {where}: {letter.reason}", highlight=False)


def render_relationship(state: RelationshipState, json_out: bool) -> None:
    """``state DYAD``: JSON, or tables with the commitments that need attention first."""
    state = state.model_copy(update={"commitments": sorted(state.commitments, key=attention_key)})
    if json_out:
        print(state.model_dump_json())
    else:
        render_state(state)


def render_relationships(states: list[RelationshipState], json_out: bool) -> None:
    """``state`` without a dyad: one summary per relationship, latest activity first."""
    rows = [relationship_summary(s) for s in states]
    epoch = datetime.min.replace(tzinfo=UTC)
    rows.sort(key=lambda r: r["dyad"])
    rows.sort(key=lambda r: r["last_event_time"] or epoch, reverse=True)
    if json_out:
        print(json.dumps([_jsonable(r) for r in rows]))
        return
    table = Table(title=f"{_count(len(rows), 'relationship')}, latest activity first", expand=False)
    for col in ("dyad", "last event", "commitments", "need attention", "by status", "engagements"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(
            r["dyad"],
            _date(r["last_event_time"]),
            str(r["commitments"]),
            str(r["needs_attention"]),
            ", ".join(f"{k} {v}" for k, v in r["by_status"].items()) or "-",
            str(r["engagements"]),
        )
    out.print(table)


def _jsonable(row: dict[str, object]) -> dict[str, object]:
    """``row`` with its datetimes as ISO 8601 UTC strings (``Z``), as the JSON models print them."""
    return {
        k: v.isoformat().replace("+00:00", "Z") if isinstance(v, datetime) else v
        for k, v in row.items()
    }


def render_alert_batch(found: list[Alert], json_out: bool) -> None:
    """Alerts as JSON lines (flushed: ``--follow`` prints as they come) or as one table."""
    if json_out:
        for alert in found:
            print(alert.model_dump_json(), flush=True)
    else:
        render_alerts(found)


def render_dead_letters(rows: list[LetterRow], on_kafka: bool, json_out: bool) -> None:
    """Dead letters as JSON lines or a table (on Kafka with each one's ``P@OFFSET``)."""
    if json_out:
        for row in rows:
            print(row.letter.model_dump_json())
        return
    where = " on Kafka" if on_kafka else ""
    plural = "" if len(rows) == 1 else "s"
    table = Table(title=f"{len(rows)} dead letter{plural}{where}", expand=False)
    columns = ("id", "at") if on_kafka else ("id",)
    for col in (*columns, "where", "event", "reason"):
        table.add_column(col, overflow="fold")
    for row in rows:
        letter = row.letter
        ref = (row.ref or "",) if on_kafka else ()
        table.add_row(
            letter.dead_letter_id, *ref, _where(letter), letter.event_id or "-", letter.reason
        )
    out.print(table)


def render_dead_letter(letter: DeadLetter, attempts: list[dict[str, str]], json_out: bool) -> None:
    """One dead letter whole (JSON with its ``redrives``, or text)."""
    if json_out:
        print(json.dumps({**letter.model_dump(mode="json"), "redrives": attempts}))
        return
    out.print(f"[bold]{letter.dead_letter_id}[/]  {_where(letter)}  event {letter.event_id or '-'}")
    out.print(f"reason: {letter.reason}", highlight=False)
    out.print("original:", highlight=False)
    out.print(letter.original or f"(base64) {letter.original_b64}", highlight=False, markup=False)
    for a in attempts:
        out.print(f"redriven {a['at']}: {a['outcome']} ({a['event_id']})", highlight=False)


def render_redrive_note(note: RedriveNote) -> None:
    """One line on stderr about a dead letter sent back (or not)."""
    if note.outcome == "redriven":
        line = f"redriven {note.letter_id} {note.text}"
    else:
        line = f"[red]{note.outcome}[/] {note.letter_id}: {note.text}"
    err.print(line, highlight=note.highlight)


def _where(letter: DeadLetter) -> str:
    if letter.file:
        return letter.file + (f":{letter.line}" if letter.line else "")
    if letter.topic:
        return f"{letter.topic}[{letter.partition}]@{letter.offset}"
    return "-"


def render_replay(report: ReplayReport, json_out: bool) -> None:
    """What ``replay`` found: JSON, or a sentence (on Kafka, one more line per dyad compared)."""
    body = report.body
    if json_out:
        print(json.dumps(body))
    elif not report.on_kafka:
        same = body["checksum_before"] == body["checksum_after"]
        out.print(
            f"replayed {body['events']} events: state checksum {body['checksum_after'][:16]} "
            f"({'identical to' if same else 'DIFFERENT from'} before), {body['alerts']} alerts, "
            f"alert ids {'identical' if body['alert_ids_equal'] else 'DIFFERENT'}"
        )
    else:
        out.print(
            f"rebuilt from {body['messages']} messages: {body['events']} events, "
            f"{body['undecodable']} undecodable, {body['duplicates']} duplicates; "
            f"state checksum {body['checksum'][:16]}"
        )
        for dyad, ok in report.matches.items():
            out.print(
                f"  {dyad}: {'matches' if ok else 'DIFFERS from'} the live state at {report.url}"
            )


def progress_bar(quiet: bool) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        disable=quiet,
        transient=True,
    )


def progress_report(bar: Progress) -> ProgressReport:
    """A runtime's ``progress(description, total)`` drawing on ``bar``."""

    def start(description: str, total: int | None) -> Callable[[int, int | None], None]:
        task = bar.add_task(description, total=total)

        def update(done: int, total: int | None) -> None:
            if total is None:
                bar.update(task, completed=done)
            else:
                bar.update(task, completed=done, total=total)

        return update

    return start


def render_sync_report(report: SyncReport, url: str, json_out: bool) -> None:
    """What ``notify`` sent to Alertmanager at ``url``: JSON, or one table of both states."""
    if json_out:
        print(
            json.dumps(
                {
                    "firing": [a.to_json() for a in report.firing],
                    "resolved": [a.to_json() for a in report.resolved],
                }
            )
        )
        return
    table = Table(
        title=f"Alertmanager {url}: {len(report.firing)} firing, {len(report.resolved)} resolved",
        expand=False,
    )
    for col in ("state", "alertname", "dyad", "severity", "commitment"):
        table.add_column(col, overflow="fold")
    for state, alerts in (("firing", report.firing), ("resolved", report.resolved)):
        for a in alerts:
            table.add_row(
                state,
                a.labels.get("alertname", ""),
                a.labels.get("dyad", ""),
                a.labels.get("severity", ""),
                a.annotations.get("summary", ""),
            )
    out.print(table)
