"""Sentence segmentation: spans into the body, and no input that makes spaCy's tokenizer crawl."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager

from hypothesis import given, settings
from hypothesis import strategies as st

from service.domain.extraction.sentences import LONG_RUN, split


@contextmanager
def at_most(seconds: int) -> Iterator[None]:
    """Fail the block with TimeoutError after ``seconds`` s instead of letting it hang CI
    (a guard against a hang, not a measure of speed: the block takes well under a second)."""

    def expire(*_: object) -> None:
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_long_runs_of_symbols_are_split_and_keep_their_spans() -> None:
    # spaCy splits such characters off one at a time: 100,000 of them took about an hour
    sentence = "Japan and Australia agreed to post liaison officers."
    for filler in ("€", "😀", "=", "!"):
        body = f"{sentence} {filler * 100_000} It ends here.\nThey also committed to talks."
        with at_most(60):
            lines, sentences = split(body)
        assert [s.text for s in sentences] == [
            sentence,
            f"{filler * 100_000} It ends here.",
            "They also committed to talks.",
        ]
        assert all(body[s.start : s.end] == s.text for s in sentences)
        # the long run reached spaCy as one masked token, not 100,000 tokens
        assert max(len(t) for line in lines for t in line.doc) == 100_000
        assert len(lines[0].doc) < 20


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab €😀.=!\n"), max_size=3 * LONG_RUN))
def test_spans_point_into_the_body(body: str) -> None:
    _, sentences = split(body)
    assert all(body[s.start : s.end] == s.text and s.text == s.text.strip() for s in sentences)
    assert [s.start for s in sentences] == sorted(s.start for s in sentences)
