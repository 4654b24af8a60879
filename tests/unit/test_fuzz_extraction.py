"""Property tests of the extractor: ``extract(event)`` never raises on any Unicode text.

Bodies mix scripts (Latin, Devanagari, Arabic and Hebrew right to left, CJK), emoji, zero-width
and direction-control characters, combining marks, quotes and brackets nested deep, text with no
sentence end, and words the extractor acts on (country names, "agreed to", dates), so the fuzzing
reaches past the sentence split into the rules. Sizes stay small here: ``scripts/fuzz-bench``
runs the large inputs (1 MB bodies, a 5,000-word sentence) and measures time per character.

What comes out must be observations of the event, with evidence spans inside the body, that
encode as JSON (a worker sends them on).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from schemas.codec import decode_observation, encode
from schemas.events import NewsArticle, OfficialStatement, Source
from service.domain.extraction import extract

FUZZ = settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)

ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
DIRECTION = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
QUOTES = "\"'“”‘’«»„‹›「」『』"
BRACKETS = "()[]{}<>（）【】"
SCRIPTS = (
    "India Canada agreed talks",
    "भारत कनाडा सहमत",  # Devanagari
    "الهند كندا اتفقت",  # Arabic (right to left)
    "הודו קנדה הסכימו",  # Hebrew (right to left)
    "印度 加拿大 同意",  # CJK
    "🇮🇳🇨🇦🤝👍🏽👨‍👩‍👧",  # emoji, a flag pair, a skin tone, a ZWJ sequence
    "e\u0301 a\u0308\u0323 \u0e01\u0e34",  # combining marks
)
SUBJECTS = [
    "India and Canada",
    "Canada",
    "The United States and China",
    "Prime Minister Modi and Prime Minister Carney",
    "भारत और कनाडा",
    "officials said India and Canada",
]
VERBS = [
    "agreed to",
    "will",
    "decided to",
    "pledged to",
    "are expected to",
    "suspended",
    "lifted",
    "withdrew",
    "announced",
]
OBJECTS = [
    "post liaison officers in each other's countries",
    "sign a free trade agreement",
    "resume visa services",
    "impose tariffs on steel from India",
    "hold talks on a trade deal",
    "launch a counter-terrorism dialogue",
    "restore consular services",
]
DUES = ["", " by 1 April 2026", " in the first week of March", " by 2027", " on 31 February", ""]
ENDS = [".", "", "!", "?", "...", ";", "\n", " “", ")"]
NOISE = [*(ZERO_WIDTH + DIRECTION + QUOTES + BRACKETS), "🤝", "\n\n", "  ", "Mr.", "U.S."]

alphabet = st.sampled_from(
    list(ZERO_WIDTH + DIRECTION + QUOTES + BRACKETS + "".join(SCRIPTS) + " .!?\n")
)
any_text = st.text(max_size=300)  # every code point hypothesis makes (surrogates excluded)
mixed_text = st.text(alphabet=alphabet, max_size=300)


@st.composite
def sentences(draw: st.DrawFn) -> str:
    """Commitment-like sentences (subject, verb, object, due, end) with noise put between any
    two characters: the shapes the extractor's rules fire on, bent."""
    parts = []
    for _ in range(draw(st.integers(1, 4))):
        sentence = (
            f"{draw(st.sampled_from(SUBJECTS))} {draw(st.sampled_from(VERBS))} "
            f"{draw(st.sampled_from(OBJECTS))}{draw(st.sampled_from(DUES))}"
            f"{draw(st.sampled_from(ENDS))}"
        )
        chars = list(sentence)
        for _ in range(draw(st.integers(0, 6))):
            at = draw(st.integers(0, len(chars)))
            chars.insert(at, draw(st.sampled_from(NOISE) | st.sampled_from(SCRIPTS)))
        parts.append("".join(chars))
    return " ".join(parts)


wordy_text = sentences()


def _nested(depth: int, inner: str) -> str:
    text = inner
    for i in range(depth):
        left, right = [("“", "”"), ("(", ")"), ("'", "'"), ("[", "]"), ("«", "»")][i % 5]
        text = f"{left}India said {text} Canada{right}"
    return text


nested_text = st.builds(_nested, st.integers(0, 60), wordy_text)


def _event(body: str, statement: bool) -> Any:
    """An event with ``body`` as is (validation skipped, so an empty or blank body is possible)."""
    common = {
        "event_id": "fuzz-1",
        "published_at": datetime(2026, 2, 8, tzinfo=UTC),
        "source": Source(name="Fuzz Wire"),
        "headline": body[:50],
        "body": "x",
    }
    if statement:
        base = OfficialStatement(**common, issuer="Ministry", issuer_country="IN")
    else:
        base = NewsArticle(**common)
    return base.model_copy(update={"body": body, "headline": body[:50]})


def _extracts_cleanly(body: str, statement: bool = False) -> None:
    event = _event(body, statement)
    observations = extract(event)
    for obs in observations:
        assert obs.event_id == event.event_id
        start, end = obs.evidence.span
        assert 0 <= start <= end <= len(body), (obs.evidence.span, len(body))
        assert decode_observation(encode(obs)) == obs


@FUZZ
@given(any_text, st.booleans())
@example("", False)
@example(" \n\t ", True)
@example("India and Canada agreed to resume talks", False)  # no sentence end
@example(ZERO_WIDTH * 20, False)
@example("\u202eIndia and Canada agreed to resume talks by 1 April.\u202c", True)
def test_any_text(body: str, statement: bool) -> None:
    _extracts_cleanly(body, statement)


@FUZZ
@given(mixed_text, st.booleans())
def test_mixed_scripts_emoji_zero_width_and_direction_marks(body: str, statement: bool) -> None:
    _extracts_cleanly(body, statement)


@FUZZ
@given(wordy_text, st.booleans())
def test_words_the_extractor_acts_on_in_any_order(body: str, statement: bool) -> None:
    _extracts_cleanly(body, statement)


@FUZZ
@given(nested_text)
def test_quotes_and_brackets_nested_deep(body: str) -> None:
    _extracts_cleanly(body)


@pytest.mark.parametrize(
    "body",
    [
        "India and Canada agreed to " + " and ".join(["resume talks"] * 300),  # one long sentence
        "(" * 2000 + "India and Canada agreed to resume talks." + ")" * 2000,
        "“" * 500 + "India said Canada will post liaison officers" + "”" * 500,
        ("India " + "\u200b" * 50 + "Canada agreed to talks. ") * 40,
        "🇮🇳" * 3000,
    ],
    ids=["long-sentence", "deep-parentheses", "deep-quotes", "zero-width-runs", "flags"],
)
def test_adversarial_shapes(body: str) -> None:
    _extracts_cleanly(body)
