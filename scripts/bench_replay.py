#!/usr/bin/env python3
"""Benchmark: how long a replay takes, and how much memory it holds.

Two measurements, each printed as ``name: value`` lines:

1. ``fold``: the pure projection (service.domain.projection.project) over N synthetic commitment
   observations (default 1,000,000) spread over D dyads and K commitments per dyad, with every
   status signal, plus one ClockTick per 1,000 observations, made 10,000 at a time outside the
   timing. Reports seconds, observations per second and peak RSS.
2. ``embedded``: ``EmbeddedRuntime.replay`` of E synthetic articles (default 2,000) ingested from a
   generated JSONL file: extraction, projection and SQLite writes together.

Usage: ``python scripts/bench_replay.py [--observations N] [--dyads D] [--events E]``.
The numbers depend on the machine; run it several times and compare medians.
"""

from __future__ import annotations

import argparse
import itertools
import random
import resource
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from schemas.events import NewsArticle, Source, SourceKind
from schemas.observations import ClockTick
from service.domain.projection import DyadProjection
from service.tools.observations import SUBJECTS, synthetic_observations
from service.tools.synthetic import COUNTRIES


def peak_rss_mb() -> float:
    """Peak resident set size of this process, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_fold(n: int, dyads: int, per_dyad: int, chunk: int = 10_000) -> None:
    """Fold the synthetic log one observation at a time (as a worker does), counting alerts.

    The log is made lazily, ``chunk`` observations at a time, outside the timing: the peak RSS is
    that of the projections and one chunk, not of a million observations held at once.
    """
    stream = synthetic_observations(n, dyads, per_dyad)
    projections: dict[str, DyadProjection] = {}
    alerts = 0
    built = took = 0.0
    while True:
        t0 = time.perf_counter()
        log = list(itertools.islice(stream, chunk))
        built += time.perf_counter() - t0
        if not log:
            break
        t1 = time.perf_counter()
        for item in log:
            if isinstance(item, ClockTick):
                for proj in projections.values():
                    alerts += len(proj.tick(item))
                continue
            proj = projections.get(item.dyad)
            if proj is None:
                proj = projections[item.dyad] = DyadProjection(item.dyad)
            alerts += len(proj.apply(item))
        took += time.perf_counter() - t1
    commitments = sum(len(p.commitments) for p in projections.values())
    print(f"fold.observations: {n}")
    print(f"fold.dyads: {len(projections)}  commitments: {commitments}  alerts: {alerts}")
    print(f"fold.mentions_per_commitment: {n / max(commitments, 1):.0f}")
    print(f"fold.build_log_seconds: {built:.1f}")
    print(f"fold.seconds: {took:.1f}")
    print(f"fold.observations_per_second: {n / took:,.0f}")
    print(f"fold.peak_rss_mib: {peak_rss_mb():.0f}")


ARTICLE = (
    "{a} and {b} agreed to expand cooperation on {s}. The two sides also decided to hold "
    "talks on {t} next month, officials said. {a}'s foreign minister is expected to visit {b} "
    "in the first week of {m}."
)


def bench_embedded(events: int) -> None:
    from service.runtime.embedded import EmbeddedRuntime

    rnd = random.Random(11)
    names = {c: COUNTRIES[c] for c in ("IN", "CA", "JP", "AU", "FR", "DE", "BR", "ZA")}
    codes = sorted(names)
    months = ["March", "April", "May", "June", "July", "August"]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    items = []
    for i in range(events):
        a, b = rnd.sample(codes, 2)
        body = ARTICLE.format(
            a=names[a],
            b=names[b],
            s=rnd.choice(SUBJECTS),
            t=rnd.choice(SUBJECTS),
            m=rnd.choice(months),
        )
        items.append(
            NewsArticle(
                event_id=f"bench-{i}",
                published_at=start + timedelta(hours=i),
                source=Source(name=f"outlet{i % 5}", kind=SourceKind.NEWS),
                headline=f"Article {i}",
                body=body,
            )
        )
    with tempfile.TemporaryDirectory() as tmp, EmbeddedRuntime(Path(tmp)) as runtime:
        t0 = time.perf_counter()
        runtime.ingest(items)
        ingest = time.perf_counter() - t0
        t1 = time.perf_counter()
        report = runtime.replay()
        replay = time.perf_counter() - t1
        counts = runtime.counts()
    print(
        f"embedded.events: {events}  observations: {counts['observations']}  "
        f"alerts: {counts['alerts']}"
    )
    print(f"embedded.ingest_seconds: {ingest:.1f}  ({events / ingest:,.0f} events/s)")
    print(f"embedded.replay_seconds: {replay:.1f}  ({events / replay:,.0f} events/s)")
    print(f"embedded.replay_identical: {report['checksum_before'] == report['checksum_after']}")
    print(f"embedded.peak_rss_mib: {peak_rss_mb():.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--observations", type=int, default=1_000_000)
    parser.add_argument("--dyads", type=int, default=50)
    parser.add_argument("--commitments-per-dyad", type=int, default=2000)
    parser.add_argument("--events", type=int, default=2_000)
    parser.add_argument("--skip-fold", action="store_true")
    parser.add_argument("--skip-embedded", action="store_true")
    args = parser.parse_args()
    if not args.skip_fold:
        bench_fold(args.observations, args.dyads, args.commitments_per_dyad)
    if not args.skip_embedded:
        bench_embedded(args.events)


if __name__ == "__main__":
    main()
