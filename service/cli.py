"""The command line: ``bilateral-monitor`` (also ``python -m service``).

Exit codes: 0 ok, 2 bad input (message on stderr says what to fix), 1 other failure. A read
(``state``, ``alerts``, ``deadletters``, ``replay``) never creates a store: on a folder without one
it exits 2 and says how to make one. When the reader of the output goes away (``| head -1``) the
command ends quietly with exit 0, as other Unix tools end without a message.
Human output is a table; ``--json`` follows DESIGN.md (``state``: one object; ``alerts``: one
Alert object a line).

A command parses its options, calls a runtime and renders: ``state``, ``alerts``,
``deadletters`` and ``replay`` call one method of a
:class:`~service.runtime.commands.CommandRuntime` (the embedded store or Kafka), ``worker`` runs
what :func:`service.bootstrap.bootstrap` builds. Imports: ``schemas``, :mod:`service.config`,
:mod:`service.logs`, ``service.runtime``, :mod:`service.bootstrap` and
:mod:`service.cli_output` (what it prints); nothing imports this module but ``service.__main__``.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import os
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from pydantic import TypeAdapter, ValidationError

from schemas.common import AlertKind, UtcDatetime
from schemas.events import SourceKind
from schemas.state import Commitment, RelationshipState
from service.cli_output import (
    err,
    out,
    progress_bar,
    progress_report,
    render_alert_batch,
    render_alerts,
    render_commitment,
    render_dead_letter,
    render_dead_letters,
    render_ingest_summary,
    render_redrive_note,
    render_relationship,
    render_relationships,
    render_replay,
    render_state,
    render_sync_report,
)
from service.config import Settings
from service.runtime.commands import (
    AlertQuery,
    CommandError,
    CommandRuntime,
)
from service.runtime.embedded import EmbeddedRuntime
from service.runtime.embedded_commands import EmbeddedCommands, open_store
from service.runtime.errors import describe_error
from service.runtime.inputs import InputError, Rejected, TextOptions, read_inputs
from service.runtime.kafka_commands import KafkaCommands

app = typer.Typer(
    name="bilateral-monitor",
    help="Monitor the commitments two countries make to each other, from news and statements.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


_time = TypeAdapter(UtcDatetime)

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="embedded store folder [env BILATERAL_MONITOR_DATA_DIR]"),
]
JsonFlag = Annotated[bool, typer.Option("--json", help="machine-readable JSON output")]


class Kind(StrEnum):
    """What a ``.txt`` input is."""

    news = "news"
    statement = "statement"


def _fail(message: str, code: int = 2) -> NoReturn:
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


def _not_blank(value: str | None) -> str | None:
    """Option callback: an option given as an empty string is an error (exit 2), not "absent"."""
    if value is not None and not value.strip():
        raise typer.BadParameter("is empty; give a value or leave the option out")
    return value


def _worker_url(value: str | None) -> str | None:
    """Option callback: ``--url`` is a worker's ``http(s)://HOST[:PORT]`` (exit 2 otherwise)."""
    if value is None:
        return None
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(value.strip())
        valid = parts.scheme in ("http", "https") and bool(parts.hostname)
        parts.port  # noqa: B018 - raises ValueError for a port out of range or not a number
    except ValueError:
        valid = False
    if not valid:
        raise typer.BadParameter(
            f"{value!r} is not a worker's URL; give http://HOST:PORT, e.g. http://127.0.0.1:6066"
        )
    return value.strip()


def _settings(data_dir: Path | None = None, **overrides: object) -> Settings:
    """Settings from the environment with the command's options (``overrides``, None = not
    given) on top, all validated; exits 2 naming the option or variable to fix."""
    update = {k: v for k, v in overrides.items() if v is not None}
    if data_dir is not None:
        update["data_dir"] = data_dir
    try:
        return Settings(**update)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        field = str(first["loc"][0]) if first["loc"] else ""
        if field in update:
            where = "--" + field.replace("_", "-")
        elif field:
            where = "BILATERAL_MONITOR_" + field.upper()
        else:
            where = "BILATERAL_MONITOR_* environment"
        _fail(f"bad {where}: {first['msg'].removeprefix('Value error, ')}")


def _parse_time(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    try:
        return _time.validate_python(value)
    except ValidationError as exc:
        why = exc.errors(include_url=False)[0]["msg"].removeprefix("Value error, ")
        _fail(
            f"{option}: {value!r} is not an ISO 8601 time with a timezone "
            f"(e.g. 2026-02-08T00:00:00Z): {why}"
        )


def _dyad(value: str) -> str:
    from schemas.common import parse_dyad

    try:
        return parse_dyad(value)
    except ValueError as exc:
        _fail(f"DYAD {value!r}: {exc}")


@contextlib.contextmanager
def _stop_on_ctrl_c() -> Iterator[Callable[[], bool]]:
    """While inside, Ctrl-C (SIGINT) asks the work to stop at the next event boundary instead of
    interrupting it; yields the question to ask. The previous handler is restored on exit."""
    asked = threading.Event()
    previous = signal.signal(signal.SIGINT, lambda signum, frame: asked.set())
    try:
        yield asked.is_set
    finally:
        signal.signal(signal.SIGINT, previous)


def _alert_kind(value: str) -> AlertKind:
    try:
        return AlertKind.parse(value)
    except ValueError as exc:
        _fail(f"--{exc}")


def _open(settings: Settings, *, read: bool = False) -> EmbeddedRuntime:
    """The embedded store of ``settings.data_dir``; exits 1 if it cannot be opened. A ``read``
    never creates a store: on a folder without one it exits 2 saying how to make one."""
    with _reported():
        return open_store(settings, read=read, on_wait=_waiting(settings))


def _waiting(settings: Settings) -> Callable[[], None]:
    """Says on stderr that a write waits for another process holding the store."""
    return lambda: err.print(
        f"waiting for another process writing to {settings.data_dir} ...", highlight=False
    )


@contextlib.contextmanager
def _reported() -> Iterator[None]:
    """Turns a runtime's CommandError into its message on stderr and its exit code."""
    try:
        yield
    except CommandError as exc:
        _fail(exc.message, exc.code)


def _embedded(settings: Settings) -> EmbeddedCommands:
    return EmbeddedCommands(settings, on_wait=_waiting(settings))


def _command_runtime(data_dir: Path | None, bootstrap: str | None) -> CommandRuntime:
    """The runtime a command reads: Kafka at ``bootstrap`` when given, else the embedded store
    (``data_dir``). Settings are validated here (exit 2 naming what to fix)."""
    if bootstrap:
        return KafkaCommands(_settings(data_dir, bootstrap=bootstrap))
    return _embedded(_settings(data_dir))


# -- rendering -------------------------------------------------------------------------------


# -- commands --------------------------------------------------------------------------------


def _text_options(
    kind: Kind,
    source: str | None,
    published_at: str | None,
    title: str | None,
    issuer: str | None,
    issuer_country: str | None,
    source_kind: SourceKind | None,
) -> TextOptions:
    return TextOptions(
        kind=kind.value,
        source=source,
        source_kind=source_kind,
        published_at=_parse_time(published_at, "--published-at"),
        title=title,
        issuer=issuer,
        issuer_country=issuer_country,
    )


_Paths = Annotated[list[Path], typer.Argument(help=".txt articles or .json/.jsonl event files")]
_KindOpt = Annotated[Kind, typer.Option("--kind", help="what a .txt file is")]
_SourceOpt = Annotated[str | None, typer.Option("--source", help="source name of a .txt file")]
_SourceKindOpt = Annotated[
    SourceKind | None, typer.Option("--source-kind", help="source kind of a .txt file")
]
_PubOpt = Annotated[
    str | None,
    typer.Option("--published-at", help="publication time of a .txt file (ISO 8601, with zone)"),
]
_TitleOpt = Annotated[str | None, typer.Option("--title", help="title (default: first line)")]
_IssuerOpt = Annotated[str | None, typer.Option("--issuer", help="issuer of a statement")]
_IssuerCountryOpt = Annotated[
    str | None, typer.Option("--issuer-country", help="ISO code of a statement's issuer")
]


def _read(
    paths: list[Path],
    opts: TextOptions,
    settings: Settings,
    origins: dict[str, tuple[str, int | None]] | None = None,
) -> list:
    try:
        return read_inputs(paths, opts, max_body_chars=settings.max_body_chars, origins=origins)
    except InputError as exc:
        _fail(f"{exc} (nothing was written)")


@app.command()
def ingest(
    paths: _Paths,
    kind: _KindOpt = Kind.news,
    source: _SourceOpt = None,
    published_at: _PubOpt = None,
    title: _TitleOpt = None,
    issuer: _IssuerOpt = None,
    issuer_country: _IssuerCountryOpt = None,
    source_kind: _SourceKindOpt = None,
    data_dir: DataDir = None,
    json_out: JsonFlag = False,
) -> None:
    """Add events to the embedded log and print the alerts they raise.

    Bad records are dead-lettered with their reason and the good ones go on; the exit code is 2
    if anything was rejected.
    """
    settings = _settings(data_dir)
    opts = _text_options(kind, source, published_at, title, issuer, issuer_country, source_kind)
    origins: dict[str, tuple[str, int | None]] = {}
    items = _read(paths, opts, settings, origins)
    with _open(settings) as runtime, _stop_on_ctrl_c() as stop:
        result = runtime.ingest(items, origins=origins, stop=stop)
    if json_out:
        for alert in result.alerts:
            print(alert.model_dump_json())
    elif result.alerts:
        render_alerts(result.alerts)
    render_ingest_summary(result)
    if result.interrupted:
        err.print(
            "interrupted: the events counted above are stored, the rest are not; run the same "
            "command again to finish (stored events are skipped as duplicates)",
            highlight=False,
        )
        raise typer.Exit(130)
    if result.rejected:
        raise typer.Exit(2)


@app.command()
def state(
    dyad: Annotated[
        str | None,
        typer.Argument(help="two ISO codes, e.g. CA-IN; leave out to list the relationships"),
    ] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="event time (ISO 8601): state as known then")
    ] = None,
    url: Annotated[
        str | None,
        typer.Option(
            "--url",
            callback=_worker_url,
            help="read from a worker's HTTP view, e.g. http://127.0.0.1:6066",
        ),
    ] = None,
    commitment: Annotated[
        str | None,
        typer.Option("--commitment", help="only this commitment (id or unique prefix): history"),
    ] = None,
    data_dir: DataDir = None,
    json_out: JsonFlag = False,
) -> None:
    """Show one relationship's commitments (those that need attention first), one commitment's
    status history, or, without DYAD, list the relationships (latest activity first)."""
    when = _parse_time(as_of, "--as-of")
    if dyad is None:
        if url or commitment:
            _fail("--url and --commitment need a DYAD (e.g. `state CA-IN --url ...`)")
        with _reported():
            states = _embedded(_settings(data_dir)).relationships(when)
        render_relationships(states, json_out)
        return
    dyad = _dyad(dyad)
    runtime = KafkaCommands(None, url) if url else _embedded(_settings(data_dir))
    with _reported():
        found = runtime.state(dyad, when)
    if commitment is None:
        render_relationship(found, json_out)
    else:
        render_commitment(_one_commitment(found, dyad, commitment), json_out)


def _one_commitment(state: RelationshipState, dyad: str, prefix: str) -> Commitment:
    """The commitment of ``state`` whose id is or starts with ``prefix``; exits 2 otherwise."""
    matches = [c for c in state.commitments if c.id.startswith(prefix)]
    if len(matches) != 1:
        known = ", ".join(c.id for c in state.commitments) or "none"
        _fail(f"{len(matches)} commitments of {dyad} match {prefix!r}; known: {known}")
    return matches[0]


@app.command()
def alerts(
    dyad: Annotated[str | None, typer.Option("--dyad", help="only this dyad")] = None,
    kind_name: Annotated[
        str | None,
        typer.Option("--kind", help="only this kind, e.g. commitment.reversed (or just reversed)"),
    ] = None,
    follow: Annotated[bool, typer.Option("--follow", help="subscribe to Kafka and wait")] = False,
    bootstrap: Annotated[
        str | None,
        typer.Option("--bootstrap", callback=_not_blank, help="read bilateral.alerts from Kafka"),
    ] = None,
    from_beginning: Annotated[
        bool, typer.Option("--from-beginning", help="Kafka: start at the oldest alert")
    ] = False,
    group: Annotated[
        str | None,
        typer.Option(
            "--group",
            help="Kafka: read as this consumer group and resume where it left off (an alert "
            "counts as read once printed)",
        ),
    ] = None,
    data_dir: DataDir = None,
    json_out: JsonFlag = False,
) -> None:
    """List alerts (embedded store), or read/follow the Kafka alert stream with --bootstrap."""
    query = AlertQuery(
        dyad=_dyad(dyad) if dyad is not None else None,
        kind=_alert_kind(kind_name) if kind_name is not None else None,
        follow=follow,
        from_beginning=from_beginning,
        group=group,
    )
    if follow and not bootstrap:
        bootstrap = _settings(data_dir).bootstrap  # --follow reads Kafka: the configured broker
    if group is not None and (not group.strip() or not bootstrap):
        _fail("--group needs a name and Kafka (--bootstrap HOST:PORT or --follow)")
    runtime = _command_runtime(data_dir, bootstrap)
    with _reported():
        runtime.alerts(query, lambda found: render_alert_batch(found, json_out))


deadletter_app = typer.Typer(
    help="Rejected input: list (default), show ID, redrive ID... (send a fixed copy back).",
    no_args_is_help=False,
)
app.add_typer(deadletter_app, name="deadletters")

_DeadBootstrap = Annotated[
    str | None,
    typer.Option(
        "--bootstrap",
        callback=_not_blank,
        help="Kafka HOST:PORT: use the bilateral.deadletter topic",
    ),
]


@deadletter_app.callback(invoke_without_command=True)
def deadletters(
    ctx: typer.Context,
    data_dir: DataDir = None,
    json_out: JsonFlag = False,
    bootstrap: _DeadBootstrap = None,
) -> None:
    """List rejected input with the reason each was rejected."""
    if ctx.invoked_subcommand is not None:
        # Options given before the subcommand (`deadletters --bootstrap H show ID`) apply to it.
        ctx.obj = {"data_dir": data_dir, "json_out": json_out, "bootstrap": bootstrap}
        return
    runtime = _command_runtime(data_dir, bootstrap)
    with _reported():
        rows = runtime.dead_letters()
    render_dead_letters(rows, runtime.on_kafka, json_out)


@deadletter_app.command("show")
def deadletter_show(
    ctx: typer.Context,
    letter_id: Annotated[str, typer.Argument(help="dead letter id (or a unique prefix)")],
    data_dir: DataDir = None,
    json_out: JsonFlag = False,
    bootstrap: _DeadBootstrap = None,
) -> None:
    """Show one dead letter whole: reason, where it came from, the original, redrive attempts."""
    parent = ctx.obj or {}
    runtime = _command_runtime(
        data_dir or parent.get("data_dir"), bootstrap or parent.get("bootstrap")
    )
    with _reported():
        letter, attempts = runtime.dead_letter(letter_id)
    render_dead_letter(letter, attempts, json_out or bool(parent.get("json_out")))


@deadletter_app.command("redrive")
def deadletter_redrive(
    ctx: typer.Context,
    letter_ids: Annotated[list[str], typer.Argument(help="dead letter ids (or unique prefixes)")],
    fixed: Annotated[
        Path | None,
        typer.Option("--with", help="a .json file holding the fixed event (one id only)"),
    ] = None,
    data_dir: DataDir = None,
    bootstrap: _DeadBootstrap = None,
) -> None:
    """Send dead letters back through the pipeline; the originals are kept.

    Without --with, the original is validated again (e.g. after a limit was raised); with --with,
    the fixed copy in that file is sent instead. With --bootstrap, the dead letters are read from
    Kafka and the event is sent to its inbound topic (the dead letter stays on its topic).
    """

    if fixed is not None and len(letter_ids) != 1:
        _fail("--with takes one dead letter id")
    parent = ctx.obj or {}
    runtime = _command_runtime(
        data_dir or parent.get("data_dir"), bootstrap or parent.get("bootstrap")
    )
    with _reported():
        failed = runtime.redrive(letter_ids, fixed, render_redrive_note)
    if failed:
        raise typer.Exit(2)


@app.command()
def notify(
    alertmanager: Annotated[
        str,
        typer.Option(
            "--alertmanager",
            help="Alertmanager's URL, e.g. http://127.0.0.1:9093 (its v2 API receives the alerts)",
        ),
    ],
    data_dir: DataDir = None,
    json_out: JsonFlag = False,
) -> None:
    """Bring Alertmanager up to date with the commitments that need attention in the store.

    Each one (a cooperative commitment paused, postponed, lapsed, reversed or contested; a
    restrictive measure announced or in effect) is a firing alert labelled alertname (e.g.
    CommitmentLapsed), dyad, commitment_id, status, direction and severity; the commitment alerts
    Alertmanager holds for the store's dyads that no longer need attention are resolved. Run it
    after each ingest (or every few minutes: Alertmanager resolves an alert not sent again within
    its resolve_timeout, 5 minutes by default).
    """
    from service.runtime.alertmanager import AlertmanagerError, alertmanager_url, sync_store

    try:
        url = alertmanager_url(alertmanager)
    except ValueError as exc:
        _fail(f"--alertmanager: {exc}")
    with _open(_settings(data_dir), read=True) as runtime:
        try:
            report = sync_store(runtime, url)
        except AlertmanagerError as exc:
            _fail(f"cannot update Alertmanager at {url}: {exc}", 1)
    render_sync_report(report, url, json_out)


@app.command()
def replay(
    from_beginning: Annotated[
        bool, typer.Option("--from-beginning", help="rebuild from the first event (default)")
    ] = True,
    bootstrap: Annotated[
        str | None,
        typer.Option(
            "--bootstrap",
            callback=_not_blank,
            help="rebuild from the Kafka inbound topics, from offset 0",
        ),
    ] = None,
    url: Annotated[
        str | None,
        typer.Option(
            "--url",
            callback=_worker_url,
            help="with --bootstrap: compare with this worker's live state",
        ),
    ] = None,
    into: Annotated[
        Path | None, typer.Option("--into", help="with --bootstrap: keep the rebuilt store here")
    ] = None,
    data_dir: DataDir = None,
    json_out: JsonFlag = False,
) -> None:
    """Rebuild projections and alerts from the event log; report a state checksum.

    Embedded: rebuilds the store in place from its own event log. With --bootstrap: reads
    bilateral.news and bilateral.statements from offset 0 into a fresh store (live workers are
    untouched) and, with --url, checks the rebuilt state against the worker's, dyad by dyad.
    """
    if not bootstrap and (url or into):
        _fail("--url and --into go with --bootstrap")
    runtime = _command_runtime(data_dir, bootstrap)
    with progress_bar(json_out) as bar, _reported():
        report = runtime.replay(progress_report(bar), into=into, url=url)
    render_replay(report, json_out)
    if report.matches and not all(report.matches.values()):
        raise typer.Exit(1)


@app.command()
def demo(
    data_dir: Annotated[
        Path | None, typer.Option("--data-dir", help="keep the demo store here (default: temp)")
    ] = None,
) -> None:
    """Run the main job on the bundled example story (embedded, no broker) and print the result."""
    path = Path(__file__).resolve().parent / "examples" / "story.jsonl"
    temp = None
    if data_dir is None:
        temp = Path(tempfile.mkdtemp(prefix="bilateral-monitor-demo-"))
        data_dir = temp
    elif (data_dir / "monitor.sqlite3").exists():
        _fail(f"{data_dir} already holds a store; give an empty --data-dir for the demo")
    try:
        settings = _settings(data_dir)
        items = _read([path], TextOptions(), settings)
        with _open(settings) as runtime:
            result = runtime.ingest(items)
            out.rule("[bold]bilateral-monitor demo: the example story, event by event")
            out.print(f"{result.accepted} events ingested from {path.name}\n")
            render_alerts(result.alerts)
            for dyad in runtime.dyads():
                found = runtime.state(dyad)
                if found is not None:
                    render_state(found)
            report = runtime.replay()
        out.print(
            f"replay from the log: state checksum {report['checksum_after'][:16]}, "
            f"identical={report['checksum_before'] == report['checksum_after']}, "
            f"alert ids identical={report['alert_ids_equal']}"
        )
    finally:
        if temp is not None:
            shutil.rmtree(temp, ignore_errors=True)


@app.command()
def publish(
    paths: _Paths,
    bootstrap: Annotated[
        str, typer.Option("--bootstrap", callback=_not_blank, help="Kafka bootstrap HOST:PORT")
    ],
    kind: _KindOpt = Kind.news,
    source: _SourceOpt = None,
    published_at: _PubOpt = None,
    title: _TitleOpt = None,
    issuer: _IssuerOpt = None,
    issuer_country: _IssuerCountryOpt = None,
    source_kind: _SourceKindOpt = None,
    in_order: Annotated[
        bool,
        typer.Option(
            "--in-order",
            help="wait until a worker has extracted each event before sending the next, so "
            "alerts come out as in an in-order replay (slower; needs a running worker)",
        ),
    ] = False,
) -> None:
    """Validate events and publish them to Kafka (waits for acks); bad ones are dead-lettered."""
    from service.runtime.kafka_cli import publish_events

    settings = _settings(None, bootstrap=bootstrap)
    opts = _text_options(kind, source, published_at, title, issuer, issuer_country, source_kind)
    items = _read(paths, opts, settings)
    good = [i for i in items if not isinstance(i, Rejected)]
    bad = [i for i in items if isinstance(i, Rejected)]
    try:
        report = asyncio.run(publish_events(settings, good, bad, in_order=in_order))
    except Exception as exc:
        _fail(f"publishing to {settings.bootstrap} failed: {describe_error(exc, settings)}", 1)
    err.print(f"written {report.written}, dead-lettered {report.dead_lettered}", highlight=False)
    if len(good) > 1 and not in_order and settings.partitions > 1:
        err.print(
            "note: these events went to several partitions and may be processed in another "
            "order; the state converges, but alerts can include intermediate ones. For a story "
            "backfill, publish with --in-order.",
            highlight=False,
        )
    for item in bad:
        where = item.file + (f":{item.line}" if item.line else "")
        err.print(f"[red]rejected[/] {where}: {item.reason}", highlight=False)
    for event_id, reason in report.rejected_by_worker:  # with --in-order: a conflict, say
        err.print(f"[red]dead-lettered by a worker[/] event {event_id}: {reason}", highlight=False)
    if bad or report.rejected_by_worker:
        raise typer.Exit(2)


@app.command()
def worker(
    web_port: Annotated[int | None, typer.Option("--web-port", help="HTTP port")] = None,
    bootstrap: Annotated[
        str | None, typer.Option("--bootstrap", callback=_not_blank, help="Kafka HOST:PORT")
    ] = None,
    loglevel: Annotated[str, typer.Option("--loglevel")] = "info",
) -> None:
    """Start a Faust worker (extractor + projector agents, HTTP views)."""
    from aiokafka.errors import KafkaError

    from service.bootstrap import create_app
    from service.runtime.kafka_cli import run_worker

    settings = _settings(None, bootstrap=bootstrap, web_port=web_port)
    try:
        run_worker(settings, create_app, loglevel=loglevel)
    except KafkaError as exc:
        _fail(f"cannot start a worker on {settings.bootstrap}: {describe_error(exc, settings)}", 1)


def _reflow(doc: str) -> str:
    """A docstring as help text: paragraphs kept, the line breaks inside each one joined (typer's
    rich help keeps them, which breaks sentences mid-line)."""
    paragraphs = inspect.cleandoc(doc).split("\n\n")
    return "\n\n".join(" ".join(p.split()) for p in paragraphs)


def _reflow_all_help(typer_app: typer.Typer) -> None:
    """Give every command of ``typer_app`` (and of its sub-apps) its reflowed docstring as help."""
    for info in typer_app.registered_commands:
        if info.help is None and info.callback is not None and info.callback.__doc__:
            info.help = _reflow(info.callback.__doc__)
    for group in typer_app.registered_groups:
        sub = group.typer_instance
        if sub is None:
            continue
        callback = sub.registered_callback
        if callback is not None and callback.help is None and callback.callback is not None:
            callback.help = _reflow(callback.callback.__doc__ or "") or None
        _reflow_all_help(sub)


_reflow_all_help(app)


def main() -> None:
    """Entry point: run the CLI; unexpected errors exit 1 with a one-line message."""
    from service.logs import quiet_transient_startup_errors

    quiet_transient_startup_errors()
    try:
        app()
    except SystemExit as exc:
        if exc.code == 1 and _output_closed():
            _quiet_exit()
        raise
    except BrokenPipeError:
        _quiet_exit()
    except Exception as exc:
        err.print(f"[bold red]error:[/] {describe_error(exc)}", highlight=False)
        sys.exit(1)


def _output_closed() -> bool:
    """Whether the command stopped because its reader went away: typer (like click) answers a
    broken pipe (EPIPE) by wrapping stdout in a ``PacifyFlushWrapper`` and exiting 1."""
    return type(sys.stdout).__name__ == "PacifyFlushWrapper"


def _quiet_exit() -> NoReturn:
    """The reader of our output went away (``| head -1``): not an error of ours. Exit 0 with no
    message, as ``yes | head -1`` ends without one; nothing more is written to the closed pipe."""
    with contextlib.suppress(OSError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.__stdout__.fileno())  # type: ignore[union-attr]
    sys.exit(0)
