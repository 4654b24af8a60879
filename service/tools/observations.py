"""Synthetic commitment observations for benchmarks: many dyads, many commitments, every signal.

The same seed gives the same sequence, so two runs (or two machines) fold the same log. The
observations are valid ``CommitmentObservation`` models with evidence, as the extractor emits
them; their titles and key terms repeat per dyad so that identity matching and merging happen.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from schemas.common import CommitmentStatus, Topic
from schemas.events import SourceKind
from schemas.observations import (
    Attribution,
    ClockTick,
    CommitmentKind,
    CommitmentObservation,
    Evidence,
)

__all__ = ["COUNTRIES", "SIGNALS", "SUBJECTS", "synthetic_log", "synthetic_observations"]

COUNTRIES = [
    "AU",
    "BR",
    "CA",
    "CN",
    "DE",
    "FR",
    "GB",
    "ID",
    "IN",
    "IT",
    "JP",
    "KR",
    "MX",
    "SA",
    "TR",
    "US",
    "ZA",
    "AR",
]
SUBJECTS = [
    "uranium",
    "hydrogen",
    "lithium",
    "semiconductor",
    "fisheries",
    "rail",
    "vaccine",
    "satellite",
    "customs",
    "visa",
    "extradition",
    "wheat",
    "fertiliser",
    "shipbuilding",
    "cyber",
    "maritime",
    "tariff",
    "pension",
    "student",
    "aviation",
]
SIGNALS = [s for s in CommitmentStatus if s != CommitmentStatus.LAPSED]


def synthetic_observations(
    n: int, dyads: int, per_dyad: int, seed: int = 7, tick_every: int = 1000
) -> Iterator[CommitmentObservation | ClockTick]:
    """Yield ``n`` commitment observations, one minute apart from 2020-01-01 UTC, round-robin
    over ``dyads`` pairs (fewer if 18 countries cannot make that many distinct pairs), each naming
    one of ``per_dyad`` commitments with a random status signal; after every ``tick_every``
    observations a global ``ClockTick`` at the last event time. Generated lazily: memory stays
    flat whatever ``n`` is. Raises ValueError when ``n`` < 0 or ``dyads``/``per_dyad`` < 1.
    """
    if n < 0 or dyads < 1 or per_dyad < 1 or tick_every < 1:
        raise ValueError("n must be >= 0 and dyads, per_dyad, tick_every >= 1")
    rnd = random.Random(seed)
    pairs = sorted({"-".join(sorted(rnd.sample(COUNTRIES, 2))) for _ in range(dyads * 4)})[:dyads]
    start = datetime(2020, 1, 1, tzinfo=UTC)
    for i in range(n):
        dyad = pairs[i % len(pairs)]
        a, b = rnd.sample(SUBJECTS, 2)
        k = rnd.randrange(per_dyad)
        terms = [SUBJECTS[k % len(SUBJECTS)], f"item{k}"]
        when = start + timedelta(minutes=i)
        sentence = f"The two sides discussed {a} and {b}."
        yield CommitmentObservation(
            observation_id=f"ev{i}#0",
            event_id=f"ev{i}",
            dyad=dyad,
            event_time=when,
            kind=CommitmentKind.ACTION,
            title=" ".join(terms),
            key_terms=terms,
            parties=dyad.split("-"),
            topics=[Topic.OTHER],
            signal=rnd.choice(SIGNALS),
            evidence=Evidence(
                event_id=f"ev{i}",
                source=f"outlet{i % 7}",
                source_kind=SourceKind.NEWS,
                published_at=when,
                sentence=sentence,
                span=(0, len(sentence)),
                attribution=Attribution.OFFICIALS,
            ),
            confidence=0.6,
        )
        if i % tick_every == tick_every - 1:
            yield ClockTick(at=when)


def synthetic_log(
    n: int, dyads: int, per_dyad: int, seed: int = 7
) -> list[CommitmentObservation | ClockTick]:
    """:func:`synthetic_observations` as a list (holds every model in memory)."""
    return list(synthetic_observations(n, dyads, per_dyad, seed))
