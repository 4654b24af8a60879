"""Topics (schemas.common.Topic) and normalised key terms of a commitment object.

Vocabulary in ``service/domain/data/terms.json``: topic keywords, multi-word phrases joined into
one term ("critical minerals" -> ``critical_minerals``), synonyms ("appoint", "station",
"posting" -> ``post``; "cybersecurity" -> ``cyber``; "AI" -> ``artificial_intelligence``) and the
generic vocabulary dropped from key terms (agreement, deal, cooperation, talks, sign, both, ...).
Plural nouns are reduced to the singular by suffix rules (officers -> officer).
"""

from __future__ import annotations

import re
from functools import cache

from schemas.common import Topic
from service.domain.extraction.resources import load

__all__ = ["form_terms", "key_terms", "topics_for", "weak_terms"]

_WORD = re.compile(r"[a-z][a-z0-9_.’'-]*[a-z0-9]|[a-z]")


@cache
def _topic_patterns() -> list[tuple[re.Pattern[str], tuple[Topic, ...]]]:
    table = load("terms")["topics"]
    return [
        (re.compile(rf"(?<![\w-]){re.escape(k)}(?![\w-])", re.I), tuple(Topic(t) for t in v))
        for k, v in table.items()
    ]


@cache
def _phrases() -> list[tuple[re.Pattern[str], str]]:
    table: dict[str, str] = load("terms")["phrases"]
    keys = sorted(table, key=len, reverse=True)
    return [(re.compile(rf"(?<![\w-]){re.escape(k)}(?![\w-])", re.I), table[k]) for k in keys]


@cache
def _generic() -> frozenset[str]:
    return frozenset(load("terms")["generic"])


@cache
def weak_terms() -> frozenset[str]:
    """Terms that identify a commitment only weakly (half weight in domain.identity)."""
    return frozenset(load("terms")["weak"])


@cache
def form_terms() -> frozenset[str]:
    """Terms naming what a commitment creates (working group, investment, sale, ...): two
    commitments naming different forms and no common one are different (domain.identity)."""
    return frozenset(load("terms").get("forms", []))


def topics_for(text: str) -> list[Topic]:
    """Topics whose keywords occur in ``text``, in taxonomy order; ``[]`` when none does."""
    found: set[Topic] = set()
    for pattern, topics in _topic_patterns():
        if pattern.search(text):
            found.update(topics)
    return [t for t in Topic if t in found]


def _singular(word: str) -> str:
    if len(word) <= 3 or "_" in word or word.endswith(("ss", "us", "is", "ics")):
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "xes")):
        return word[:-2]
    if word.endswith("s"):
        return word[:-1]
    return word


def key_terms(text: str) -> list[str]:
    """Normalised content terms of ``text`` in first-seen order, without duplicates.

    ``text`` should already have place names and people removed (the extractor blanks them).
    """
    synonyms: dict[str, str] = load("terms")["synonyms"]
    generic = _generic()
    work = text.lower()
    for pattern, replacement in _phrases():
        work = pattern.sub(f" {replacement} " if replacement else " ", work)
    out: list[str] = []
    for raw in _WORD.findall(work):
        word = raw.strip("’'.-")
        for suffix in ("’s", "'s"):
            word = word.removesuffix(suffix)
        if not word or word in generic or word.isdigit():
            continue
        if word in synonyms:
            word = synonyms[word]
        else:
            word = _singular(word)
            word = synonyms.get(word, word)
        if not word or word in generic or len(word) < 2:
            continue
        if word not in out:
            out.append(word)
    return out
