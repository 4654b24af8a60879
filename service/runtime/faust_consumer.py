"""faust's aiokafka consumer, changed so that no committed offset passes an unprocessed message.

faust-streaming 0.15.3 can drop a record it has already fetched (the consumer's position is past
it) around a rebalance: a batch returned while flow is stopped, a partition paused between the
fetch and the hand-over, a stream that skips a message of an earlier generation, a queue cleared
on revoke. That alone loses nothing, because the next seek to the committed offset reads the
record again. Three things in faust's offset bookkeeping turned such a drop into a lost event
(found by the integration test that publishes while the group forms; all three were seen in its
consumer logs):

1. *Gap filling.* When the offset read jumps past the last one read, faust records the offsets in
   between as done (meant for compacted or transactional topics, whose offsets have holes). Its
   own recovery moves the "last read" offset backwards while records are already flowing, so a
   jump is reported for records that were dropped, or delivered once, alike.
2. *An off-by-one at the head.* ``_new_offset`` refuses to commit past an unacked head only when
   the first acked offset is *two or more* past the committed one: one dropped record right at
   the committed offset (the first record after the rebalance) is committed past.
3. *Partitions never committed.* With no committed offset there is no head check at all, and
   aiokafka's ``seek_to_committed`` does not move such a partition, so faust's seek at the end
   of a recovery leaves its position past whatever was dropped.

:class:`SafeConsumer` commits only a run of acked offsets that starts exactly at the partition's
committed offset (or, for a partition never committed, at its first offset), fills no gaps, seeks
never-committed partitions back to their first offset when faust seeks the others to theirs,
and, when a record below acked ones was dropped, seeks the partition back to it (at most once per
``REWIND_INTERVAL`` seconds), so it is processed again without waiting for the next rebalance.
Records after it are read again too; extraction and projection are idempotent (an event id is
extracted once, observation and alert ids are deterministic). A dropped record with nothing after
it is found by a timer (the position stays past the commit base with nothing in flight); a hole
that retention deleted is skipped, not sought for ever; and a message whose agent step failed
(:meth:`SafeConsumer.not_processed`) counts as dropped, so it is read again.

The inbound and observations topics are plain ``cleanup.policy=delete`` topics written without
transactions, so their offsets have no holes and gap filling is never needed for them.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from typing import Any

from faust.transport.drivers.aiokafka import Consumer
from faust.types import TP
from faust.types.tuples import ack_lock
from mode import Service
from mode.utils.futures import notify

__all__ = ["REWIND_INTERVAL", "SafeConsumer", "next_commit"]

log = logging.getLogger(__name__)

#: Seconds between two rewinds of one partition (a rewind re-reads everything after the hole).
REWIND_INTERVAL = 5.0


def next_commit(acked: Iterable[int], base: int | None) -> tuple[int | None, list[int], int | None]:
    """The offset to commit for one partition, given the offsets processed since the last commit.

    ``acked``: offsets acked by the agents (any order, no duplicates needed). ``base``: the
    partition's committed offset (Kafka's "next offset to read"), or for a partition never
    committed its first offset; None when not known yet. Returns ``(commit, rest, hole)``:
    ``commit`` is the offset to commit (one past the run of acked offsets that starts at
    ``base``) or None; ``rest`` the acked offsets to keep for later; ``hole`` is ``base`` when
    acked offsets exist past it but ``base`` itself was never processed (a dropped record to read
    again), else None. Offsets below ``base`` are already committed and dropped from ``rest``.
    Every offset in ``[base, commit)`` is in ``acked``: nothing unprocessed is ever committed.
    """
    pending = sorted(set(acked))
    if base is None or not pending:
        return None, pending, None
    pending = [offset for offset in pending if offset >= base]
    if not pending:
        return None, pending, None
    if pending[0] != base:
        return None, pending, base
    end = base
    for offset in pending:
        if offset != end:
            break
        end += 1
    return end, pending[end - base :], None


class SafeConsumer(Consumer):
    """faust's aiokafka ``Consumer`` (installed with ``app.transport.Consumer``) whose commits
    never pass a message no agent processed (see the module docstring for why and how).

    Also: a message acked while flow is suspended, or fetched in an earlier consumer generation,
    is released (nothing waits for it) but not counted as processed, because faust's stream
    skipped it without running the agent.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._bases: dict[TP, int] = {}
        self._rewound_at: dict[TP, float] = {}
        self._seeks: set[asyncio.Task[None]] = set()
        self._failed: set[tuple[TP, int]] = set()
        self._stuck: dict[TP, tuple[int, float]] = {}
        self.rewinds = 0

    # -- acks ----------------------------------------------------------------------------------

    def ack(self, message: Any) -> bool:
        """Record ``message`` as processed when it was (current generation, flow active).

        Returns True when its offset became committable. Either way the message is released, so
        a graceful stop does not wait for it; faust itself leaves a message whose offset is
        below the committed one in its unacked set for good.
        """
        app = self.app
        current = getattr(message, "generation_id", None) in (None, app.consumer_generation_id)
        failed = (message.tp, message.offset) in self._failed
        self._failed.discard((message.tp, message.offset))
        counted = current and not failed and app.flow_control.is_active()
        done = bool(super().ack(message)) if counted else False
        with ack_lock:
            message.acked = True
            self._unacked_messages.discard(message)
            notify(self._waiting_for_ack)
        return done

    def not_processed(self, message: Any) -> None:
        """Mark ``message`` as not processed (its agent failed): its ack will not count, so the
        commit stops before it and the partition is read again from it."""
        self._failed.add((message.tp, message.offset))

    async def _add_gap(self, tp: TP, offset_from: int, offset_to: int) -> None:
        """Fill no gap: on this app's topics a jump in offsets means dropped records."""
        return None

    # -- commits -------------------------------------------------------------------------------

    def _base(self, tp: TP) -> int | None:
        committed = self._committed_offset.get(tp)
        start = self._bases.get(tp)
        if committed and start is not None:
            return max(committed, start)
        return committed or start

    def _new_offset(self, tp: TP) -> int | None:
        acked = self._acked[tp]
        if not acked:
            return None
        commit, rest, hole = next_commit(acked, self._base(tp))
        acked[:] = rest
        index = self._acked_index[tp]
        index.intersection_update(rest)
        if hole is not None:
            self._rewind(tp, hole)
        return commit

    def _rewind(self, tp: TP, offset: int) -> None:
        now = time.monotonic()
        if now - self._rewound_at.get(tp, -REWIND_INTERVAL) < REWIND_INTERVAL:
            return
        self._rewound_at[tp] = now
        self.rewinds += 1
        monitor = getattr(self.app, "bilateral", None)
        if monitor is not None:
            monitor.metrics.partition_rewinds.labels(tp.topic).inc()
        log.warning(
            "%s[%d]: offset %d was fetched but never processed (dropped, as faust can in a "
            "rebalance); reading the partition again from it",
            tp.topic,
            tp.partition,
            offset,
        )
        task = self.app.loop.create_task(self._seek_back(tp, offset))
        self._seeks.add(task)
        task.add_done_callback(self._seeks.discard)

    async def _seek_back(self, tp: TP, offset: int) -> None:
        try:
            if tp not in self.assignment():
                return
            first = (await self.earliest_offsets(tp)).get(tp)
            if first is not None and offset < first:
                # Deleted (retention, DeleteRecords) before it was processed: seeking there only
                # makes aiokafka reset to the first offset, and the hole would be found forever.
                log.warning(
                    "%s[%d]: offsets %d..%d were deleted before being processed; committing "
                    "from %d",
                    tp.topic,
                    tp.partition,
                    offset,
                    first - 1,
                    first,
                )
                self._bases[tp] = max(self._bases.get(tp, 0), int(first))
                return
            await self.seek_wait({tp: offset})
        except Exception as exc:  # revoked meanwhile, or stopping: the next reader reads it
            log.warning("could not seek %s[%d] back to %d: %r", tp.topic, tp.partition, offset, exc)

    def _stream_partitions(self) -> list[TP]:
        """The assigned partitions whose offsets this consumer commits (agents' topics, not
        changelogs)."""
        acks = self.app.topics.acks_enabled_for
        return [tp for tp in self.assignment() if not self._is_changelog_tp(tp) and acks(tp.topic)]

    def _queued(self, tp: TP) -> bool:
        """Whether a stream queue of ``tp``'s topic holds a message not yet taken by its agent."""
        try:
            channels = self.app.topics._topic_name_index.get(tp.topic, ())
            return any(chan.queue.qsize() for chan in channels)
        except Exception:  # faust internals moved: assume busy, never rewind on a guess
            return True

    @Service.task
    async def _find_tail_holes(self) -> None:
        """Rewind a partition whose last fetched records were dropped.

        ``_new_offset`` finds a dropped record only once a later one is acked; a dropped record
        at the end of a partition would wait for the next record or rebalance. Every
        ``REWIND_INTERVAL`` seconds: a partition whose position stays past its commit base for
        twice that long, with nothing acked, in flight or queued meanwhile, is read again from
        the base.
        """
        async for _ in self.itertimer(REWIND_INTERVAL, name="find_tail_holes"):
            await self.look_for_tail_holes(time.monotonic())

    async def look_for_tail_holes(self, now: float) -> None:
        """One look of :meth:`_find_tail_holes` at monotonic time ``now`` (seconds)."""
        if self.app.rebalancing or not self.flow_active:
            self._stuck.clear()
            return
        busy = {m.tp for m in list(self._unacked_messages)}
        for tp in self._stream_partitions():
            base = self._base(tp)
            if base is None or self._acked.get(tp) or tp in busy or self._queued(tp):
                self._stuck.pop(tp, None)
                continue
            try:
                position = await asyncio.wait_for(self.position(tp), timeout=2.0)
            except Exception:  # no position yet, revoked, broker slow: look again later
                continue
            if position is None or position <= base:
                self._stuck.pop(tp, None)
                continue
            seen = self._stuck.get(tp)
            if seen is None or seen[0] != base:
                self._stuck[tp] = (base, now)
            elif now - seen[1] >= 2 * REWIND_INTERVAL:
                self._stuck.pop(tp, None)
                self._rewind(tp, base)

    # -- seeks ---------------------------------------------------------------------------------

    async def perform_seek(self) -> None:
        """faust's seek to the committed offsets, plus the partitions it leaves alone.

        A partition never committed is sought to its first offset (aiokafka's
        ``seek_to_committed`` does not move it), and for every partition the first offset is
        kept as the base of its commits (a committed offset below it was deleted by retention).
        If the first offsets cannot be read, partitions never committed commit nothing until the
        next seek, rather than guess where they start.
        """
        await super().perform_seek()
        tps = self._stream_partitions()
        if not tps:
            return
        try:
            earliest = await self.earliest_offsets(*tps)
        except Exception as exc:  # the broker did not answer: commit nothing unsure until next time
            log.warning("could not read the first offsets of %d partitions: %r", len(tps), exc)
            return
        fresh: dict[TP, int] = {}
        now = time.monotonic()
        for tp in tps:
            self._rewound_at[tp] = now  # just sought: a hole found now is read again anyway
            start = int(earliest.get(tp) or 0)
            self._bases[tp] = start
            if not self._committed_offset.get(tp):
                fresh[tp] = start
        if fresh:
            await self.seek_wait(fresh)

    async def on_partitions_revoked(self, revoked: set[TP]) -> None:
        """faust's revoke, forgetting the bases and rewinds of the revoked partitions."""
        for tp in revoked:
            self._bases.pop(tp, None)
            self._rewound_at.pop(tp, None)
            self._stuck.pop(tp, None)
        self._failed = {(tp, offset) for tp, offset in self._failed if tp not in revoked}
        await super().on_partitions_revoked(revoked)
