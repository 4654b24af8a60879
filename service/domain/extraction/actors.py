"""Actors: countries, capitals (as metonyms), institutions, officials and collective phrases.

Reads the gazetteer ``service/domain/data/gazetteer.json`` and finds its phrases with spaCy's
``PhraseMatcher`` (case-insensitive; acronyms such as ``US`` or ``MEA`` case-sensitive so that the
pronoun "us" is not the United States). Adjacent mentions are then composed: a demonym or a
country's possessive before an office title, and a name after it, make one official
("Canadian Prime Minister Mark Carney" -> CA, rank leader); a generic institution takes the country
beside it ("the Commerce Ministry in Beijing" -> CN).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import cache
from typing import Literal

from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from service.domain.extraction.resources import load
from service.domain.extraction.sentences import nlp

__all__ = ["Gazetteer", "Mention", "MentionKind", "gazetteer"]

MentionKind = Literal[
    "country",
    "demonym",
    "capital",
    "city",
    "institution",
    "person",
    "official",
    "collective",
    "pronoun",
]

GOVERNMENT_KINDS = frozenset(
    {"country", "capital", "institution", "person", "official", "collective", "pronoun"}
)
"""Mention kinds that can be the agent of a commitment (a demonym or a city alone cannot)."""

_POSSESSIVE = {"'s", "’s", "'", "’"}


@dataclass(frozen=True)
class Mention:
    """One actor mention: ``[start, end)`` characters in the body, what it is and whose it is.

    ``country`` is an ISO alpha-2 code or None when unknown; ``rank`` (leader, minister, adviser,
    diplomat, official) is set for people and officials; ``name`` is a person's name as written;
    ``role`` the office title in lower case ("foreign minister"), from the text or the gazetteer.
    """

    start: int
    end: int
    text: str
    kind: MentionKind
    country: str | None = None
    rank: str | None = None
    name: str | None = None
    role: str | None = None

    @property
    def surname(self) -> str | None:
        """The last word of ``name``, lower case (the visit key of domain.identity)."""
        if not self.name:
            return None
        known = gazetteer().surnames.get(self.name)
        return known or self.name.split()[-1].lower().strip(".,")

    @property
    def is_government(self) -> bool:
        """True when the mention can act for a government (not a bare demonym)."""
        return self.kind in GOVERNMENT_KINDS


def _is_acronym(phrase: str) -> bool:
    letters = [c for c in phrase if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters) and len(phrase) <= 6


class Gazetteer:
    """Phrase matchers built from the gazetteer data; ``mentions(doc, offset)`` finds actors."""

    def __init__(self) -> None:
        data = load("gazetteer")
        vocab = nlp().vocab
        self._lower = PhraseMatcher(vocab, attr="LOWER")
        self._orth = PhraseMatcher(vocab, attr="ORTH")
        self.visit_ranks: frozenset[str] = frozenset(data["visit_ranks"])
        self.places: dict[str, str] = {}
        self.surnames: dict[str, str] = {}
        self.country_names: dict[str, str] = {}
        self.demonyms: dict[str, str] = {}
        self.people: dict[str, tuple[str, str, str]] = {}
        self.person_roles: dict[str, str] = {}
        self.country_ranks: dict[str, dict[str, str]] = {}
        self._labels: dict[str, tuple[str, str | None, str | None, str | None]] = {}
        for iso, entry in data["countries"].items():
            self._add("country", iso, entry.get("names", []))
            self._add("demonym", iso, entry.get("demonyms", []))
            self._add("capital", iso, entry.get("capitals", []))
            self._add("city", iso, entry.get("cities", []))
            self._add("institution", iso, entry.get("institutions", []))
            self.country_names[iso] = entry["names"][0]
            if entry.get("demonyms"):
                self.demonyms[iso] = entry["demonyms"][0]
            for name in entry.get("names", []) + entry.get("capitals", []):
                self.places[name.lower()] = iso
            self.country_ranks[iso] = {k.lower(): v for k, v in entry.get("roles", {}).items()}
            for person in entry.get("people", []):
                if person.get("role"):
                    self.person_roles[person["name"]] = person["role"].lower()
                names = [person["name"], *person.get("aliases", [])]
                surname = person.get("surname") or person["name"].split()[-1]
                if surname not in names:
                    names.append(surname)
                self.surnames[person["name"]] = surname.lower()
                self._add("person", iso, names, rank=person["rank"], name=person["name"])
        for role, rank in data["roles"].items():
            self._add("role", None, [role], rank=rank, name=role.lower())
        self._add("generic_institution", None, data["institution_nouns"])
        self._add("collective", None, data["collectives"])
        self._add("pronoun", None, data["pronouns"])

    def _add(
        self,
        kind: str,
        iso: str | None,
        phrases: Iterable[str],
        rank: str | None = None,
        name: str | None = None,
    ) -> None:
        label = f"{kind}|{iso}|{rank}|{name}"
        self._labels[label] = (kind, iso, rank, name)
        maker = nlp().make_doc
        lower = [maker(p) for p in phrases if not _is_acronym(p)]
        orth = [maker(p) for p in phrases if _is_acronym(p)]
        if lower:
            self._lower.add(label, lower)
        if orth:
            self._orth.add(label, orth)

    def rank_in(self, iso: str | None, role: str | None, default: str | None) -> str | None:
        """The rank of office ``role`` in country ``iso`` (a country's own 'roles' first)."""
        if iso and role:
            return self.country_ranks.get(iso, {}).get(role, default)
        return default

    def demonym(self, iso: str) -> str:
        """The gazetteer's first demonym of ``iso`` ("Japanese"), else its name."""
        return self.demonyms.get(iso) or self.country_name(iso)

    def country_name(self, iso: str) -> str:
        """The gazetteer's first name of country ``iso`` (the code itself when unknown)."""
        return self.country_names.get(iso, iso)

    def mentions(self, doc: Doc, offset: int = 0) -> list[Mention]:
        """Actor mentions in ``doc`` (character offsets shifted by ``offset``), in text order."""
        spans: list[Span] = []
        for matcher in (self._lower, self._orth):
            for match_id, start, end in matcher(doc):
                spans.append(Span(doc, start, end, label=match_id))
        spans = filter_spans(spans)
        raw = [(span, self._labels[doc.vocab.strings[span.label]]) for span in spans]
        return _compose(doc, raw, offset)


def _title_words(doc: Doc, start: int) -> int:
    """Index after up to three capitalised tokens from ``start`` (a name after a title)."""
    end = start
    while end < len(doc) and end - start < 3:
        tok = doc[end]
        if tok.text[:1].isupper() and tok.is_alpha and not tok.is_sent_start:
            end += 1
            continue
        if tok.text[:1].isupper() and tok.text.endswith(".") and len(tok.text) <= 3:
            end += 1
            continue
        break
    return end


def _compose(
    doc: Doc, raw: list[tuple[Span, tuple[str, str | None, str | None, str | None]]], offset: int
) -> list[Mention]:
    out: list[Mention] = []
    used: set[int] = set()
    for i, (span, (kind, iso, rank, name)) in enumerate(raw):
        if i in used:
            continue
        start_tok, end_tok = span.start, span.end
        country, person_name, person_rank = iso, name, rank
        role: str | None = None
        if kind == "role":
            role, person_name = name, None
        elif kind == "person" and name:
            role = gazetteer().person_roles.get(name)
        if kind in ("role", "generic_institution"):
            # a demonym or a country possessive right before: "Canadian Prime Minister"
            if out and i - 1 not in used and i > 0:
                prev_span, (pkind, piso, _, _) = raw[i - 1]
                gap = doc[prev_span.end : start_tok]
                gap_words = [t.text for t in gap if t.text not in _POSSESSIVE]
                if pkind in ("demonym", "country", "capital") and not gap_words and out:
                    last = out[-1]
                    if last.start == prev_span.start_char + offset:
                        out.pop()
                        start_tok = prev_span.start
                        country = piso
            # "the Commerce Ministry in Beijing", "Minister of ... of Canada"
            if i + 1 < len(raw):
                nxt_span, (nkind, niso, nrank, nname) = raw[i + 1]
                gap = [t.lower_ for t in doc[end_tok : nxt_span.start]]
                if (
                    (kind == "generic_institution" and gap in (["in"], ["of"]))
                    or (kind == "role" and gap in (["of"], ["of", "the"]))
                ) and nkind in ("country", "capital"):
                    country = country or niso
                    end_tok = nxt_span.end
                    used.add(i + 1)
                elif kind == "role" and not gap and nkind == "person":
                    # "Prime Minister Mark Carney"
                    country = country or niso
                    person_name, person_rank = nname, nrank or rank
                    end_tok = nxt_span.end
                    used.add(i + 1)
            if kind == "role" and person_name is None:
                name_end = _title_words(doc, end_tok)
                if name_end > end_tok and name_end - end_tok >= 2:
                    person_name = doc[end_tok:name_end].text
                    end_tok = name_end
            mention_kind: MentionKind = "official" if kind == "role" else "institution"
            if kind == "role":
                person_rank = gazetteer().rank_in(country, role, person_rank)
        elif kind == "person":
            mention_kind = "person"
        else:
            mention_kind = kind  # type: ignore[assignment]
        whole = doc[start_tok:end_tok]
        out.append(
            Mention(
                start=whole.start_char + offset,
                end=whole.end_char + offset,
                text=whole.text,
                kind=mention_kind,
                country=country,
                rank=person_rank if mention_kind in ("official", "person") else None,
                name=person_name,
                role=role if mention_kind in ("official", "person") else None,
            )
        )
    return out


def with_country(mention: Mention, country: str | None) -> Mention:
    """A copy of ``mention`` with ``country`` set (for pronouns resolved to earlier actors)."""
    return replace(mention, country=country)


@cache
def gazetteer() -> Gazetteer:
    """The process-wide gazetteer (built on first use)."""
    return Gazetteer()
