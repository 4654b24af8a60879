"""Workarounds for faust-streaming 0.15.3 (the version pinned in pyproject.toml), one each.

Each is named for the faust-streaming behaviour it works around, and
:func:`service.runtime.faust_app.build_app` uses every one. An
integration test in ``tests/integration`` covers each failure mode. When the pin moves, read each
again against the new faust: :data:`PATCHED_VERSION` is checked against the installed package by
``tests/unit/test_faust_patches.py``.

- :func:`raw_table` - faust-streaming issue 310: a table's changelog serializers come from its
  ``key_type``/``value_type``, not from a raw ``schema``; recovery then failed to decode the raw
  keys it had written.
- :class:`SafeRecovery` (through :class:`SafeTableManager`) - a rebalance during a recovery
  seeks a standby changelog partition to offset None and the worker crashes.
- :func:`keep_queued_messages_on_resume` - mode's ``FlowControlEvent.resume()`` clears the stream
  and changelog queues after faust's seek, dropping records already fetched.
- :func:`use_safe_consumer` - faust commits offsets past records it dropped around a rebalance
  (gap filling, an off-by-one at the committed head, no check on a partition never committed):
  :class:`service.runtime.faust_consumer.SafeConsumer`.

Not a patch but a rule of the same kind: both agents keep faust's default ``concurrency=1``
(faust-streaming issue 606: with more, an offset can be committed past a message in flight).

Imports: faust, :mod:`service.config` and :mod:`service.runtime.faust_consumer` only.
"""

from __future__ import annotations

from typing import Any

import faust
from faust.tables.manager import TableManager
from faust.tables.recovery import Recovery
from faust.types import TableT

from service.config import Settings
from service.runtime.faust_consumer import SafeConsumer

__all__ = [
    "PATCHED_VERSION",
    "SafeRecovery",
    "SafeTableManager",
    "keep_queued_messages_on_resume",
    "raw_table",
    "use_safe_consumer",
]

PATCHED_VERSION = "0.15.3"
"""The faust-streaming version these workarounds were written and tested against."""


def raw_table(app: faust.App, settings: Settings, name: str, help: str) -> TableT:
    """A changelog-backed table of raw bytes keyed by raw bytes (faust-streaming issue 310).

    ``key_type``/``value_type`` bytes, not only a raw ``schema``: faust derives the table's (and
    so its changelog topic's) serializers from key_type/value_type, falling back to json and
    overwriting the schema's raw ones. Writes skip the codec for bytes, so the changelog held raw
    keys that recovery then failed to json-decode: every changelog record became "Error in
    recovery Expecting value", and a worker taking over a peer's partitions waited forever for
    offsets it could not read.
    """
    return app.Table(
        name,
        default=None,
        key_type=bytes,
        value_type=bytes,
        schema=faust.Schema(
            key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw"
        ),
        partitions=settings.partitions,
        help=help,
    )


class SafeRecovery(Recovery):
    """faust's table Recovery, except that a changelog partition with no offset yet is read from
    its start instead of crashing the worker.

    faust-streaming 0.15.3: when a rebalance arrives while a recovery waits for its active
    partitions, ``_restart_recovery`` swallows the RebalanceAgain and goes on to seek the new
    standby partitions, whose offsets ``Recovery._add`` left at None; aiokafka's seek then raises
    ValueError("Offset must be a positive integer") and the worker crashes. -1 is faust's own
    "nothing read yet" (it seeks to 0).
    """

    async def _seek_offsets(self, consumer: Any, tps: Any, offsets: Any, title: str) -> None:
        for tp in tps:
            if offsets.get(tp) is None:
                offsets[tp] = -1
        await super()._seek_offsets(consumer, tps, offsets, title)


class SafeTableManager(TableManager):
    """faust's TableManager with :class:`SafeRecovery` (``TableManager=`` of the app)."""

    @property
    def recovery(self) -> Recovery:
        if self._recovery is None:
            self._recovery = SafeRecovery(self.app, self, beacon=self.beacon, loop=self.loop)
        return self._recovery


def keep_queued_messages_on_resume(app: faust.App) -> None:
    """Make ``app.flow_control.resume()`` resume flow without clearing the queues.

    mode's FlowControlEvent clears every queue made with ``clear_on_resume`` (the stream queues
    and the changelog queue) on *every* ``resume()``, and faust resumes flow after seeking the
    stream partitions to their committed offsets: a record fetched between the seek and the
    resume is dropped while the consumer's position is already past it, so it is never
    processed. Without the clear, a record queued before a seek is processed at most twice
    (the stream skips one of an earlier generation; extraction and projection are idempotent).
    Queues are still cleared where faust clears them explicitly (partitions revoked, stop).
    """
    flow = app.flow_control

    def resume() -> None:
        flow._suspend.clear()
        flow._resume.set()

    flow.resume = resume  # type: ignore[method-assign]


def use_safe_consumer(app: faust.App) -> None:
    """Make ``app`` consume with :class:`~service.runtime.faust_consumer.SafeConsumer`, whose
    commits never pass an unprocessed message. Call before anything creates ``app.consumer``."""
    app.transport.Consumer = SafeConsumer  # type: ignore[misc]
