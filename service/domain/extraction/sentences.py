"""Sentence segmentation with character spans into the event body.

The body is cut into lines first (news bodies put headings and paragraphs on their own lines),
then spaCy's rule-based ``sentencizer`` (on a blank English pipeline, no model download) splits
each line into sentences. A short line without final punctuation is a heading: it yields no
sentence and starts a new section (attribution does not carry across sections).

spaCy's tokenizer takes time quadratic in the length of a run without whitespace made of
characters it splits off one by one (symbols, emoji: 4,000 "€" took 5.6 s, 100,000 would take
about an hour). No word of a commitment is that long, so before tokenizing, every run of more
than ``LONG_RUN`` non-space characters is masked with as many "x" (one token; offsets
unchanged). Sentence texts are always taken from the body itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import spacy
from spacy.language import Language
from spacy.tokens import Doc

__all__ = ["LIST_ITEM", "LONG_RUN", "Line", "Sentence", "nlp", "split"]

_FINAL = re.compile(r"[.!?\"”’')\];:,]\s*$")
LIST_ITEM = re.compile(r"^\s*(?:[-\u2013\u2014\u2022*\u25aa\u00b7]|\(?[a-z0-9]{1,2}[.)])\s+")
"""A list item's marker at the start of a line or sentence: "- ", "• ", "(a) ", "1. "."""
_HEADING_MAX_WORDS = 14
LONG_RUN = 100
"""Longest run of non-space characters handed to spaCy as it is (longer runs are masked)."""
_LONG_RUN = re.compile(rf"\S{{{LONG_RUN + 1},}}")


def _masked(text: str) -> str:
    """``text`` with each run of more than ``LONG_RUN`` non-space characters replaced by as many
    "x": same length and whitespace, so every character offset stays valid."""
    return _LONG_RUN.sub(lambda m: "x" * len(m.group()), text)


@cache
def nlp() -> Language:
    """The shared blank English pipeline with a sentencizer (built once per process)."""
    pipeline = spacy.blank("en")
    pipeline.add_pipe("sentencizer")
    # tokenizer and sentencizer only: memory and time are linear in the text, so spaCy's guard
    # for its parser (one million characters) does not apply; bodies are capped upstream anyway
    pipeline.max_length = 50_000_000
    return pipeline


@dataclass(frozen=True)
class Line:
    """One non-heading line of the body: its offset in the body and its spaCy doc."""

    offset: int
    doc: Doc


@dataclass(frozen=True)
class Sentence:
    """One sentence: ``[start, end)`` character span in the body, its text and position.

    ``section`` counts headings seen before it; ``line`` indexes ``split()``'s lines; ``tokens``
    is the ``(start, end)`` token range in that line's doc.
    """

    index: int
    start: int
    end: int
    text: str
    section: int
    line: int
    tokens: tuple[int, int]


def _is_heading(text: str) -> bool:
    words = text.split()
    return (
        0 < len(words) <= _HEADING_MAX_WORDS
        and not _FINAL.search(text)
        and not LIST_ITEM.match(text)  # "- resume direct flights": a list item, not a heading
    )


def split(body: str) -> tuple[list[Line], list[Sentence]]:
    """Split ``body`` into lines and sentences; ``body[s.start:s.end] == s.text`` for each.

    Time is linear in ``len(body)``. A line's doc holds the masked text (see ``LONG_RUN``)."""
    lines: list[Line] = []
    sentences: list[Sentence] = []
    section = 0
    offset = 0
    raw_lines: list[tuple[int, str]] = []
    for raw in body.splitlines(keepends=True):
        raw_lines.append((offset, raw))
        offset += len(raw)
    texts = []
    for line_offset, raw in raw_lines:
        stripped = raw.strip()
        if not stripped:
            continue
        if _is_heading(stripped) and len(raw_lines) > 1:
            texts.append((line_offset, None))
            continue
        texts.append((line_offset, raw.rstrip("\r\n")))
    docs = iter(nlp().pipe(_masked(t) for _, t in texts if t is not None))
    for line_offset, text in texts:
        if text is None:
            section += 1
            continue
        doc = next(docs)
        line_index = len(lines)
        lines.append(Line(line_offset, doc))
        for sent in doc.sents:
            sent_text = sent.text
            lead = len(sent_text) - len(sent_text.lstrip())
            sent_text = sent_text.strip()
            if not sent_text:
                continue
            start = line_offset + sent.start_char + lead
            end = start + len(sent_text)
            sentences.append(
                Sentence(
                    index=len(sentences),
                    start=start,
                    end=end,
                    text=body[start:end],
                    section=section,
                    line=line_index,
                    tokens=(sent.start, sent.end),
                )
            )
    return lines, sentences
