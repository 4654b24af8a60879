"""Seeded synthetic news articles for the Kafka integration tests, ``scripts/chaos``,
``scripts/soak`` and ``scripts/big-dyad``.

Each article names two of a dozen countries and one commitment about one subject; the same
(dyad, subject) pair comes back over the run in other wordings (proposed, agreed, signed,
suspended, resumed, cancelled, a due window), so a run has many dyads, many distinct
commitments, and status changes as well as new commitments. ``published_at`` grows by an hour
per article, in publish order. The same ``seed`` always gives the same articles.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from schemas.events import NewsArticle, Source, SourceKind

__all__ = ["COUNTRIES", "many_commitments_article", "synthetic_articles"]

COUNTRIES = {
    "IN": "India",
    "CA": "Canada",
    "JP": "Japan",
    "AU": "Australia",
    "FR": "France",
    "DE": "Germany",
    "BR": "Brazil",
    "ZA": "South Africa",
    "KE": "Kenya",
    "MX": "Mexico",
    "ID": "Indonesia",
    "NG": "Nigeria",
}

SUBJECTS = [
    "critical minerals",
    "cyber security",
    "renewable energy",
    "maritime security",
    "narcotics control",
    "semiconductor supply chains",
    "fisheries",
    "space research",
    "railway modernisation",
    "port infrastructure",
    "agricultural research",
    "public health",
    "student exchanges",
    "civil aviation",
    "climate finance",
    "counter-terrorism",
    "customs cooperation",
    "nuclear safety",
]

MONTHS = ["March", "April", "May", "June", "July", "September", "October", "November"]

TEMPLATES = [
    "{a} and {b} agreed on {day} to sign an agreement on {s} cooperation, officials said.",
    "{a} and {b} are expected to sign an agreement on {s} cooperation in the first week of "
    "{m}, government sources said.",
    "{a} and {b} decided to set up a joint working group on {s}, according to a joint "
    "statement issued on {day}.",
    "{a} and {b} signed the agreement on {s} cooperation on {day}, the foreign ministry said.",
    "{a} suspended the agreement on {s} cooperation with {b} on {day}, officials said.",
    "{a} and {b} resumed talks on the agreement on {s} cooperation on {day}.",
    "{a} withdrew from the agreement on {s} cooperation with {b} on {day}, officials said.",
    "{a} and {b} agreed to hold talks on {s} next month, the ministry said on {day}.",
]

DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]


def synthetic_articles(
    count: int,
    seed: int = 7,
    *,
    prefix: str = "syn",
    dyads: int = 20,
    start: datetime = datetime(2026, 1, 5, tzinfo=UTC),
) -> list[NewsArticle]:
    """``count`` articles from ``random.Random(seed)`` over ``dyads`` pairs, ids ``prefix-N``."""
    rnd = random.Random(seed)
    codes = sorted(COUNTRIES)
    pairs: list[tuple[str, str]] = []
    while len(pairs) < min(dyads, len(codes) * (len(codes) - 1) // 2):
        pair = tuple(sorted(rnd.sample(codes, 2)))
        if pair not in pairs:
            pairs.append(pair)  # type: ignore[arg-type]
    out = []
    for n in range(count):
        a, b = rnd.choice(pairs)
        if rnd.random() < 0.5:
            a, b = b, a
        text = rnd.choice(TEMPLATES).format(
            a=COUNTRIES[a],
            b=COUNTRIES[b],
            s=rnd.choice(SUBJECTS),
            m=rnd.choice(MONTHS),
            day=rnd.choice(DAYS),
        )
        extra = rnd.choice(
            [
                "",
                f" The two sides also discussed {rnd.choice(SUBJECTS)}.",
                f" {COUNTRIES[a]}'s foreign minister is expected to visit {COUNTRIES[b]} "
                f"in {rnd.choice(MONTHS)}.",
            ]
        )
        out.append(
            NewsArticle(
                event_id=f"{prefix}-{n}",
                published_at=start + timedelta(hours=n),
                source=Source(name=f"Wire {n % 5} (synthetic)", kind=SourceKind.NEWS),
                headline=text.split(",")[0][:200],
                body=text + extra,
            )
        )
    return out


def many_commitments_article(count: int, seed: int, event_id: str) -> NewsArticle:
    """One article naming ``count`` distinct India-Canada commitments, in made-up words.

    About 70 characters a commitment (1,200 fit in the default body limit); the dyad's
    projection grows by about 1 KB a commitment, so 1,000 pass Kafka's default 1 MiB record.
    """
    import string

    rng = random.Random(seed)

    def word() -> str:
        return "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(6, 9)))

    body = " ".join(
        f"India and Canada agreed to build a {word()} {word()} plant in {word().title()}."
        for _ in range(count)
    )
    return NewsArticle(
        event_id=event_id,
        published_at=datetime(2026, 3, 1, tzinfo=UTC),
        source=Source(name="Big Dyad Wire (synthetic)", kind=SourceKind.NEWS),
        headline="India and Canada sign a long list of agreements",
        body=body,
    )
