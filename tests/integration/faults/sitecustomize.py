"""Fault injection for the integration tests, loaded by a worker whose PYTHONPATH starts here.

With ``BILATERAL_MONITOR_TEST_DROP=TOPIC_SUFFIX:OFFSET`` set, the worker's consumer drops the
first record it fetches at ``OFFSET`` on a partition of the topic whose name ends with
``TOPIC_SUFFIX``, once: the consumer's position moves past it and no agent sees it, which is
what faust-streaming does to a record fetched as a rebalance begins. One line on stderr names
the record.

With ``BILATERAL_MONITOR_TEST_HANG_STOP=1`` set, the worker's stop hangs for good where faust
flushes the producer (after the consumer has stopped), as a stop caught in a client race would;
one line on stderr says so when it starts hanging.
"""

from __future__ import annotations

import asyncio
import os
import sys

_SPEC = os.environ.get("BILATERAL_MONITOR_TEST_DROP")

if _SPEC:
    import faust.transport.consumer as _consumer

    _suffix, _, _offset = _SPEC.rpartition(":")
    _target = int(_offset)
    _getmany = _consumer.Consumer.getmany
    _done: list[str] = []

    async def _dropping_getmany(self, timeout):  # type: ignore[no-untyped-def]
        async for tp, message in _getmany(self, timeout):
            if not _done and tp.topic.endswith(_suffix) and message.offset == _target:
                key = message.key.decode("utf-8", "replace") if message.key else ""
                _done.append(key)
                print(
                    f"fault injection: dropped {tp.topic}[{tp.partition}]@{message.offset} "
                    f"key={key}",
                    file=sys.stderr,
                    flush=True,
                )
                continue
            yield tp, message

    _consumer.Consumer.getmany = _dropping_getmany  # type: ignore[method-assign]


if os.environ.get("BILATERAL_MONITOR_TEST_HANG_STOP") == "1":
    import faust.app.base as _app_base

    async def _hanging_flush(self, logger):  # type: ignore[no-untyped-def]
        print("fault injection: the producer flush hangs", file=sys.stderr, flush=True)
        await asyncio.Event().wait()

    _app_base.App._producer_flush = _hanging_flush  # type: ignore[method-assign]
