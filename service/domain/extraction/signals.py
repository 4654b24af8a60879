"""Commitment signals, negation, denial, hedges, attribution and engagement cues of one sentence.

Patterns are data (``service/domain/data/lexicon.json``): case-insensitive regular expressions
whose vocabulary follows PLOVER's AGREE / CONSULT / RETREAT categories and the G7 Research
Group's definition of a commitment. Every function here works on one sentence's text and returns
character offsets into it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from schemas.common import CommitmentStatus
from schemas.observations import Attribution
from service.domain.extraction.resources import compile_pattern, load

__all__ = [
    "Signal",
    "attribution",
    "denial",
    "engagement",
    "find_signals",
    "is_hedged",
    "is_negated",
    "main_signal",
]


@dataclass(frozen=True)
class Signal:
    """A commitment cue: ``[start, end)`` in the sentence and the status it asserts.

    ``obj`` is the ``[start, end)`` of the object when the pattern marks it (group ``obj``);
    ``nominal`` signals need no agent before them; ``kind`` is a CommitmentKind hint or None;
    ``subject`` signals (passive or state change) may take their subject as the commitment;
    a ``coordinated`` signal is the cue of an earlier clause lent to a second infinitive ("agreed
    to X and to Y"): its due is read from its own object only, and its kind from its object.
    """

    status: CommitmentStatus
    start: int
    end: int
    obj: tuple[int, int] | None = None
    nominal: bool = False
    hedged: bool = False
    kind: str | None = None
    subject: bool = False
    coordinated: bool = False

    @property
    def priority(self) -> int:
        """Rank of the status: the main signal of a sentence is the highest (lexicon)."""
        return int(_lexicon()["status_priority"][self.status.value])


@cache
def _lexicon() -> dict[str, Any]:
    return load("lexicon")


@cache
def _signal_patterns() -> list[tuple[re.Pattern[str], dict[str, Any]]]:
    return [(compile_pattern(s["pattern"]), s) for s in _lexicon()["signals"]]


def find_signals(text: str) -> list[Signal]:
    """Every signal pattern match in ``text`` (a sentence), in text order."""
    out: list[Signal] = []
    for pattern, spec in _signal_patterns():
        for m in pattern.finditer(text):
            obj = m.span("obj") if "obj" in pattern.groupindex and m.group("obj") else None
            out.append(
                Signal(
                    status=CommitmentStatus(spec["status"]),
                    start=m.start(),
                    end=m.end(),
                    obj=obj,
                    nominal=bool(spec.get("nominal", False)),
                    hedged=bool(spec.get("hedged", False)),
                    kind=spec.get("kind"),
                    subject=bool(spec.get("subject", False)),
                )
            )
    return sorted(out, key=lambda s: (s.start, -s.end))


def main_signal(signals: list[Signal]) -> Signal | None:
    """The sentence's main signal: highest status priority, then one marking its object, then
    the longest match, then the earliest ("withdrawn from ... it agreed" -> reversed)."""
    if not signals:
        return None
    return max(
        signals,
        key=lambda s: (s.priority, s.obj is not None, s.end - s.start, -s.start),
    )


def is_negated(text: str, signal: Signal | None = None) -> bool:
    """True when the sentence negates its commitment ("did not agree", "no agreement was
    reached", "failed to agree") or a negator stands right before the signal."""
    if compile_pattern(_lexicon()["negations"]).search(text):
        return True
    if signal is not None:
        before = text[max(0, signal.start - 12) : signal.start].lower()
        if re.search(r"\b(?:not|never|n't|no)\s+$", before):
            return True
    return False


def denial(text: str) -> tuple[int, int, CommitmentStatus] | None:
    """``(start, end, status)`` of an explicit denial ("denying reports that the visit had been
    postponed" -> postponed), or None."""
    m = compile_pattern(_lexicon()["denials"]).search(text)
    if not m:
        return None
    inner = find_signals(m.group("what"))
    best = main_signal(inner)
    if best is None:
        return None
    return m.start(), m.end(), best.status


def is_hedged(text: str) -> bool:
    """True when the sentence hedges (could, may, likely, is considering, hopes to, ...)."""
    return bool(compile_pattern(_lexicon()["hedges"]).search(text))


_SPEAKER_WORDS = frozenset(
    {"officials", "sources", "government", "he", "she", "they", "it", "the", "ministry", "office"}
)


def attribution(text: str, speakers: list[tuple[int, int, str]]) -> Attribution | None:
    """Who the sentence is attributed to, or None when it names no one.

    ``speakers`` are ``(start, end, kind)`` of actor mentions in the sentence: a person or an
    official before "said" makes a named official; an institution or country, an official
    statement. Order of the lexicon: statement, government sources, unnamed sources, spokesperson,
    officials.
    """
    lex = _lexicon()
    for m in re.finditer(lex["named_speaker"], text):
        name_span = m.span("name") if m.group("name") else m.span("name2")
        words = m.group(0).split()
        if words and words[0].lower() in _SPEAKER_WORDS and len(words) <= 2:
            continue
        for start, end, kind in speakers:
            if start < name_span[1] and name_span[0] < end:
                if kind in ("person", "official"):
                    return Attribution.NAMED_OFFICIAL
                if kind in ("institution", "country", "capital"):
                    return Attribution.OFFICIAL_STATEMENT
    for entry in lex["attribution"]:
        if compile_pattern(entry["pattern"]).search(text):
            return Attribution(entry["attribution"])
    return None


def engagement(text: str) -> tuple[str, int, int] | None:
    """``(kind, start, end)`` of the first past meeting, call, talks or visit cue, or None."""
    best: tuple[str, int, int] | None = None
    for entry in _lexicon()["engagements"]:
        m = compile_pattern(entry["pattern"]).search(text)
        if m and (best is None or m.start() < best[1]):
            best = (entry["kind"], m.start(), m.end())
    return best


def lexicon() -> dict[str, Any]:
    """The raw lexicon (read-only)."""
    return _lexicon()
