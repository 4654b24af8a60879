"""The candidate filter of parse.py: which sentences the trained pipeline parses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from service.domain.extraction.clauses import clauses, cue_lemmas
from service.domain.extraction.parse import (
    clause_head_words,
    inflections,
    is_candidate,
    parse,
)
from service.domain.extraction.sentences import split

DEV = Path(__file__).resolve().parents[2] / "corpus" / "news" / "dev.jsonl"


def test_inflections_follow_the_lemmatiser_rules_and_exceptions() -> None:
    forms = inflections({"hold", "stop", "agree", "supply"})
    assert {"hold", "holds", "holding", "held"} <= forms  # "held": the exception list
    assert {"stopped", "stopping"} <= forms  # doubled consonant
    assert {"agreed", "agrees", "agreeing", "supplies", "supplied"} <= forms
    assert "government" not in inflections({"go"})
    assert "settlement" not in inflections({"set"})


def test_every_cue_lemma_is_a_head_word() -> None:
    assert {w for w in cue_lemmas() if "_" not in w} <= clause_head_words()


@pytest.mark.parametrize(
    ("text", "has_actor"),
    [
        ("Japan agreed to resume direct flights to Seoul.", True),
        ("The two sides held talks in Hanoi.", True),
        ("The suspension took effect on Monday.", False),
        ("Ankara and Baku signed a gas pact.", True),
        ("The president will pay a state visit to Brazil.", True),
    ],
)
def test_sentences_with_a_cue_word_are_candidates(text: str, has_actor: bool) -> None:
    assert is_candidate(text, has_actor)


def test_a_prefix_of_a_cue_is_no_cue() -> None:
    # "government" begins like "go", "east" like "ease", "bank" like "ban": no cue word here
    text = "The government's spokesman at the central bank commented on the weather in the east."
    assert not is_candidate(text, True)
    assert clauses(next(iter(parse([text])))) == []


def test_a_long_sentence_is_no_candidate() -> None:
    assert not is_candidate("Japan agreed to it. " * 200, True)


def test_every_clause_of_the_corpus_has_a_head_word() -> None:
    """The filter drops only sentences whose parse could hold no clause: each dev-corpus
    sentence whose parse holds one has a word of ``clause_head_words``."""
    texts = []
    for line in DEV.read_text(encoding="utf-8").splitlines():
        if line:
            texts.extend(s.text for s in split(json.loads(line)["body"])[1])
    heads = clause_head_words()
    with_clause = 0
    for text, doc in zip(texts, parse(texts), strict=True):
        if clauses(doc):
            with_clause += 1
            assert not heads.isdisjoint(t.lower_.strip("'") for t in doc), text
    assert with_clause > 100  # the corpus is read and parsed
