"""Predicate-argument structures of commitments, read from a dependency parse.

Input: one sentence parsed by a trained English pipeline (``parse.model``: tagger, dependency
parser, lemmatizer; Universal-style ClearNLP labels as spaCy's English models emit them).
Output: :class:`Clause` records, one per commitment the sentence asserts, with the governing
predicate, its status, kind and direction, the token indices of its agent, partner and title.

The predicate lexicon is data (``service/domain/data/predicates.json``), organised by PLOVER's
event categories (AGREE, CONSULT, COOPERATE, AID, RETREAT, EASE, REDUCE, SANCTION, EXPEL; the
PLOVER codebook, Halterman et al. 2023):

* **control** predicates ("agreed to", "committed to", "is expected to", "plans to") take the
  commitment as their complement (``xcomp``, ``pcomp``, a ``to``-phrase or an object noun); the
  nearest one gives the status, and a softer one above it ("expected to agree to") softens it;
* **content** predicates ("post officers", "sign an agreement", "lift the ban") name the
  commitment by their object; alone, their tense and modality give the status ("signed" ->
  fulfilled, "will post" -> agreed, "could open" -> proposed);
* **nominalisations** ("the decision to appoint", "the suspension of flights") and **state
  predicates** ("is under way", "took effect", "was put on hold");
* every conjunct of a coordinated verb and every infinitive complement is a clause of its own;
  passive subjects are the object; negation (``neg``, "no", "failed to", "refused to") drops a
  clause.

Measures (DESIGN.md): a restrictive step one government takes toward the other (tariffs, bans,
export controls, expulsions, visa suspensions): announced -> agreed, in effect -> in_progress,
suspended -> paused, lifted or revoked -> reversed.

Pure: no I/O beyond the packaged lexicon; deterministic for a given parse.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from spacy.tokens import Doc, Token

from schemas.common import CommitmentStatus
from schemas.observations import CommitmentKind
from service.domain.extraction.resources import load

__all__ = ["TIME_WORDS", "Clause", "clauses", "predicates", "subject_of"]

_S = CommitmentStatus


_OBJECTS = ("dobj", "obj", "attr", "oprd")
TIME_WORDS = frozenset(
    [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "week",
        "weeks",
        "month",
        "months",
        "year",
        "years",
        "day",
        "days",
        "today",
        "tomorrow",
        "yesterday",
        "summer",
        "winter",
        "spring",
        "autumn",
        "fall",
        "quarter",
        "end",
        "beginning",
        "start",
        "weekend",
        "time",
        "date",
        "period",
        "decade",
    ]
)
"""Heads of time phrases (months, weekdays, units of time, seasons): never part of a title."""
_PARTNER_PREPS = frozenset(
    {"with", "to", "from", "against", "toward", "towards", "between", "on", "for", "into", "by"}
)
_TRIM_DEPS = frozenset(
    {
        "relcl",
        "appos",
        "advcl",
        "punct",
        "cc",
        "mark",
        "parataxis",
        "ccomp",
        "dep",
        "meta",
        "npadvmod",
        "advmod",
        "neg",
        "aux",
        "auxpass",
        "nsubj",
        "nsubjpass",
        "discourse",
        "intj",
        "preconj",
        "predet",
    }
)
"""Dependents never kept in a title: clauses, asides and the verb's own scaffolding."""


_MEETINGS = frozenset(
    {
        "meeting",
        "session",
        "summit",
        "round",
        "consultation",
        "dialogue",
        "commission",
        "exercise",
        "exercises",
        "drill",
        "drills",
        "review",
        "retreat",
        "cabinet",
        "council",
        "conference",
        "group",
        "committee",
        "mechanism",
        "talks",
    }
)
"""What "hold / host / convene" can commit to (a meeting, a round, an exercise, a working
group or committee that meets)."""

_LIFTING = frozenset(
    {"lift", "remove", "rescind", "repeal", "abolish", "roll", "end", "scrap", "drop", "waive"}
)
"""Verbs whose object, when not a cooperative undertaking, is a restriction being lifted."""

_VISIT_CHANGES = frozenset(
    {
        "postpone",
        "delay",
        "cancel",
        "defer",
        "suspend",
        "reschedule",
        "call",
        "scrap",
        "shelve",
        "push",
    }
)
"""Changes that the clause rules read of a visit ("called off a visit"); plans of visits are
the extractor's visit rules'."""

_NAMING_CONTROLS = frozenset(
    {
        "announce",
        "unveil",
        "approve",
        "confirm",
        "accept",
        "endorse",
        "plan",
        "propose",
        "consider",
        "weigh",
        "mull",
    }
)
"""Control verbs whose noun object is a commitment only when it names one (an agreement, talks,
a measure, a cooperative undertaking)."""

_WISHING = frozenset(
    {"request", "urge", "demand", "call", "press", "insist", "warn", "wish", "appeal", "ask"}
)
"""Verbs whose complement is what someone wants another to do, not an undertaking."""

_HEARSAY = frozenset({"proof", "sign", "example", "evidence", "symbol", "testament"}) | frozenset(
    {
        "report",
        "reports",
        "speculation",
        "rumour",
        "rumours",
        "rumor",
        "claim",
        "claims",
        "suggestion",
        "suggestions",
    }
)
"""Nouns whose complement is unconfirmed ("reports that Riyadh suspended visas")."""

_OPEN_ENDED = frozenset(
    {
        "continue",
        "keep",
        "pursue",
        "explore",
        "discuss",
        "negotiate",
        "work",
        "focus",
        "deepen",
        "intensify",
        "step",
    }
)
"""Verbs that make talks open-ended (under_discussion: "agreed to continue discussions");
holding, launching or resuming a round of talks is an agreed step."""

_SELF_REFERENCE = frozenset({"declaration", "statement", "communique", "communiqué", "document"})
"""What "this declaration was signed" says of the statement itself, not of a commitment."""

_ENGAGEMENT_NOUNS = frozenset(
    {
        "visit",
        "trip",
        "tour",
        "meeting",
        "summit",
        "session",
        "call",
        "conversation",
        "round",
        "talks",
        "discussion",
        "dialogue",
        "consultation",
        "stay",
        "mission",
        "conference",
        "retreat",
        "cabinet",
        "council",
    }
)
"""Objects that make a finished action an engagement, not a commitment ("concluded a visit")."""


@dataclass(frozen=True)
class Clause:
    """One commitment asserted by a parsed sentence.

    Token indices are into the sentence's parsed doc. ``predicate`` is the content token (a verb
    or a noun) whose object is the commitment; ``governor`` the control predicate that gave the
    status (or the predicate itself). ``agent`` are the tokens of its subject (empty when the
    text names none: a passive, a nominalisation); ``partner`` the tokens of phrases that name
    the other party ("with Japan", "on Australian barley", "each other's"); ``title`` the tokens
    of the title, in text order, whole subtrees only (never cut mid-phrase). ``items`` splits an
    agreement list ("agreements on uranium, energy and critical minerals") into one title each.
    ``first_person`` is set when the agent is "we"/"I" (a quote: the speaker is the agent).
    """

    predicate: int
    governor: int
    status: CommitmentStatus
    kind: CommitmentKind
    restrictive: bool
    agent: tuple[int, ...]
    partner: tuple[int, ...]
    title: tuple[int, ...]
    items: tuple[tuple[int, ...], ...] = ()
    hedged: bool = False
    first_person: bool = False
    lemma: str = ""
    visit_purpose: bool = False
    extra: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class _Lex:
    control: dict[str, dict[str, Any]]
    content: dict[str, dict[str, Any]]
    nouns: dict[str, dict[str, Any]]
    state_predicates: dict[str, str]
    state_verbs: dict[str, dict[str, Any]]
    measure_nouns: frozenset[str]
    measure_objects: frozenset[str]
    talks_nouns: frozenset[str]
    talks_control: frozenset[str]
    agreement_nouns: frozenset[str]
    empty_objects: frozenset[str]
    empty_verbs: frozenset[str]
    negators: frozenset[str]
    negating_verbs: frozenset[str]
    modals: dict[str, str]
    fulfilled_support: frozenset[str]
    noun_object_control: frozenset[str]
    activity_nouns: frozenset[str]
    cooperative_objects: frozenset[str]
    hostile_objects: frozenset[str]


@cache
def predicates() -> _Lex:
    """The predicate lexicon (``predicates.json``), parsed once per process."""
    raw = load("predicates")
    return _Lex(
        control=raw["control"],
        content=raw["content"],
        nouns=raw["nouns"],
        state_predicates=raw["state_predicates"],
        state_verbs=raw["state_verbs"],
        measure_nouns=frozenset(raw["measure_nouns"]),
        measure_objects=frozenset(raw["measure_objects"]),
        talks_nouns=frozenset(raw["talks_nouns"]),
        talks_control=frozenset(raw["talks_control"]),
        agreement_nouns=frozenset(raw["agreement_nouns"]),
        empty_objects=frozenset(raw["empty_objects"]),
        empty_verbs=frozenset(raw["empty_verbs"]),
        negators=frozenset(raw["negators"]),
        negating_verbs=frozenset(raw["negating_verbs"]),
        modals=raw["modals"],
        fulfilled_support=frozenset(raw["noun_support"]["fulfilled"]),
        noun_object_control=frozenset(raw["noun_object_control"]),
        activity_nouns=frozenset(raw["activity_nouns"]),
        cooperative_objects=frozenset(raw["cooperative_objects"]),
        hostile_objects=frozenset(raw["hostile_objects"]),
    )


def cue_lemmas() -> frozenset[str]:
    """Every lemma that can head a clause (for the cheap candidate filter of ``parse``)."""
    lex = predicates()
    words: set[str] = set(lex.control) | set(lex.content) | set(lex.nouns) | set(lex.state_verbs)
    for phrase in lex.state_predicates:
        words.update(phrase.split()[-1:])
    words |= {"invite", "invitation", "head", "due", "expected"}  # trips: "heads to Manila"
    return frozenset(w for w in words if "_" not in w)


# --------------------------------------------------------------------------------------------
# small tree helpers


def _lemma(tok: Token) -> str:
    lemma = tok.lemma_.lower()
    text = tok.lower_
    # the small model's lemmatiser leaves some -ise/-ize gerunds and participles alone
    if lemma == text and tok.tag_ in ("VBG", "VBN", "VBD", "JJ") and text.endswith(("ing", "ed")):
        stem = text[:-3] if text.endswith("ing") else text[:-2]
        lex = predicates()
        for cand in (stem, stem + "e", stem[:-1] if len(stem) > 3 and stem[-1] == stem[-2] else ""):
            if cand and (cand in lex.content or cand in lex.control):
                return cand
    return lemma


def _children(tok: Token, *deps: str) -> list[Token]:
    return [c for c in tok.children if c.dep_ in deps]


def _has_particle(tok: Token, word: str) -> bool:
    return any(c.dep_ == "prt" and c.lower_ == word for c in tok.children) or (
        tok.i + 1 < len(tok.doc) and tok.doc[tok.i + 1].lower_ == word
    )


def _negated(tok: Token) -> bool:
    predicates()
    for c in tok.children:
        if c.dep_ == "neg" or (c.dep_ in ("advmod", "det") and c.lower_ in ("never", "no")):
            return True
    return False


def _aux(tok: Token) -> list[Token]:
    return [c for c in tok.children if c.dep_ in ("aux", "auxpass") and c.i < tok.i]


def _is_passive(tok: Token) -> bool:
    return any(c.dep_ in ("auxpass", "nsubjpass") for c in tok.children)


def _subject(tok: Token) -> Token | None:
    """The subject of ``tok``'s clause, inherited through conj / xcomp / relcl chains."""
    seen = 0
    cur = tok
    while seen < 8:
        seen += 1
        subs = [c for c in cur.children if c.dep_ in ("nsubj", "nsubjpass", "csubj")]
        if subs:
            return subs[0]
        if cur.dep_ == "xcomp" and _lemma(cur.head) in _OBJECT_CONTROL:
            objs = [c for c in cur.head.children if c.dep_ == "dobj" and c.i < cur.i]
            if objs:
                return objs[0]  # "the pact commits Britain to supply boats": Britain supplies
        if cur.dep_ in ("conj", "xcomp", "advcl", "pcomp", "acomp") and cur.head is not cur:
            cur = cur.head
            continue
        if cur.dep_ == "prep" and cur.head is not cur:
            cur = cur.head
            continue
        return None
    return None


def subject_of(tok: Token) -> Token | None:
    """The subject of ``tok``'s clause, inherited through conjuncts and complements ("BYD
    ended the deal and said ..." -> BYD), or None."""
    return _subject(tok)


def _subtree(tok: Token, skip: Iterable[Token] = ()) -> list[Token]:
    banned = {t.i for s in skip for t in s.subtree}
    return [t for t in tok.subtree if t.i not in banned]


def _is_time(tok: Token) -> bool:
    """True for a date or duration phrase head ("in March", "on Tuesday", "by 2030")."""
    if tok.like_num and (len(tok.text) == 4 or tok.lower_ in ("one", "two")):
        return True
    if tok.lower_ in TIME_WORDS:
        return True
    return tok.ent_type_ in ("DATE", "TIME")


def _prep_object(prep: Token) -> Token | None:
    objs = _children(prep, "pobj", "pcomp")
    return objs[0] if objs else None


# --------------------------------------------------------------------------------------------
# status of a content predicate


@dataclass
class _Reading:
    status: CommitmentStatus | str | None
    governor: Token
    hedged: bool = False
    visit_purpose: bool = False


def _modal_status(tok: Token) -> tuple[CommitmentStatus | None, bool]:
    """Status from the auxiliaries of ``tok`` ("will" -> agreed, "could" -> proposed)."""
    lex = predicates()
    for a in _aux(tok):
        word = a.lower_
        if word in lex.modals:
            status = _S(lex.modals[word])
            return status, status is _S.PROPOSED
        if word == "to" and any(x.lower_ in ("is", "are", "was", "were") for x in _aux(tok)):
            return _S.AGREED, False
    return None, False


def _conditional(tok: Token) -> bool:
    """True inside an "if" / "whether" / "unless" clause on the way up from ``tok``."""
    cur = tok
    for _ in range(8):
        if any(
            c.dep_ == "mark" and c.lower_ in ("if", "whether", "unless", "once")
            for c in cur.children
        ):
            return True
        if cur.head is cur:
            return False
        cur = cur.head
    return False


def _tense(tok: Token) -> str:
    """'past', 'perfect', 'progressive', 'present', 'future' or 'base' of a verb group."""
    if (
        tok.tag_ == "VBG"
        and tok.dep_ in ("advcl", "conj")
        and not _aux(tok)
        and not any(c.dep_ == "mark" for c in tok.children)
    ):
        # "reopened the port ..., lifting a ban": the participle shares its head's tense
        head = tok.head
        if head.pos_ in ("VERB", "AUX") and head is not tok:
            return _tense(head)
    auxes = [a.lower_ for a in _aux(tok)]
    if any(a in ("will", "shall", "'ll", "would") for a in auxes):
        return "future"
    if any(a in ("has", "have", "had", "'ve", "'s") for a in auxes) and tok.tag_ == "VBN":
        return "perfect"
    if tok.tag_ == "VBG" and any(a in ("is", "are", "am", "'re") for a in auxes):
        return "progressive"
    if tok.tag_ == "VBD":
        return "past"
    if tok.tag_ == "VBN" and any(a in ("was", "were", "been", "has", "have", "had") for a in auxes):
        return "past"
    if tok.tag_ == "VBN" and tok.dep_ in ("acl", "amod"):
        return "participle"
    if tok.tag_ == "VBN" and not auxes and tok.dep_ in ("ROOT", "ccomp", "conj"):
        return "past"  # headline style: "Tariffs lifted"
    if tok.tag_ in ("VBZ", "VBP"):
        return "present"
    if tok.tag_ == "VBN" and any(a in ("is", "are") for a in auxes):
        return "present_passive"
    return "base"


def _walk_up(tok: Token) -> Iterator[Token]:
    """Governors of ``tok``: through xcomp / pcomp / to-phrases / purpose clauses / conjuncts."""
    cur = tok
    came_by_acl = False
    for _ in range(8):
        dep = cur.dep_
        head = cur.head
        if head is cur:
            return
        if (
            dep in ("xcomp", "pcomp", "ccomp", "acl", "oprd")
            or (
                (dep == "advcl" or (dep == "relcl" and head.lower_ in predicates().nouns))
                and any(c.lower_ == "to" and c.dep_ == "aux" for c in cur.children)
            )
            or dep == "conj"
        ):
            pass
        elif dep == "pobj" and head.dep_ == "prep" and head.lower_ in ("to", "on", "for", "in"):
            cur = head
            continue
        elif (
            dep == "pobj"
            and head.lower_ == "at"
            and came_by_acl
            and head.head.pos_ == "VERB"
            and head.head is not head
        ):
            # "agreed at a meeting ... to hold a round": the infinitive hung on the meeting
            cur = head.head
            yield cur
            continue
        elif (dep == "prep" and cur.lower_ in ("to", "on", "for")) or (
            dep in ("dobj", "nsubjpass", "nsubj", "attr") and head.pos_ in ("VERB", "AUX", "ADJ")
        ):
            pass
        else:
            return
        came_by_acl = dep == "acl"
        yield head
        cur = head


def _reading(tok: Token, own: dict[str, Any] | None) -> _Reading | None:
    """How firm the commitment named by content predicate ``tok`` is, or None (no commitment).

    The nearest control governor decides ("agreed to post" -> agreed); a softer control above
    softens ("expected to agree to" -> proposed); a negated or negating governor drops it.
    Without a governor: modality and tense of ``tok`` itself, read through ``own`` (the content
    entry: its ``past`` status).
    """
    lex = predicates()
    if _negated(tok):
        return _Reading("negated", tok)
    if _conditional(tok):
        return None
    if tok.dep_ in ("advcl", "xcomp", "dobj") and _lemma(tok.head) in lex.negating_verbs:
        return _Reading("negated", tok.head)  # "ruled out reviving a common price"
    status: CommitmentStatus | str | None = None
    governor = tok
    hedged = False
    visit_purpose = False
    prev = tok
    for gov in _walk_up(tok):
        lemma = _lemma(gov)
        if prev.dep_ == "conj" and any(c.dep_ in ("nsubj", "nsubjpass") for c in prev.children):
            break  # "China agreed to buy soybeans, and Beijing lifted ...": a clause of its own
        if (
            gov.pos_ == "NOUN"
            and gov.lemma_.lower() in lex.empty_objects
            and not any(c.dep_ in ("nsubj", "nsubjpass") for c in prev.children)
        ):
            return None  # "agreed on the need to strengthen": a view, not an undertaking
        if prev.dep_ == "conj" and gov.dep_ != "conj" and lemma in lex.content:
            # "agreed to resume A and restore B": B's status comes from A's governor
            prev = gov
            continue
        if lemma in lex.negating_verbs or (
            lemma in lex.control and lex.control[lemma]["status"] == "negated"
        ):
            return _Reading("negated", gov)
        if gov.pos_ == "NOUN" and any(c.dep_ == "det" and c.lower_ == "no" for c in gov.children):
            return _Reading("negated", gov)  # "no understanding on how much would be built"
        if lemma in _WISHING or (gov.pos_ == "NOUN" and gov.lemma_.lower() in _HEARSAY):
            return None  # "requesting that China lift the measures", "reports that X suspended"
        if _negated(gov) and (lemma in lex.control or lemma in lex.content):
            return _Reading("negated", gov)
        if lemma in ("visit", "travel", "come", "arrive", "go") and prev.dep_ == "advcl":
            visit_purpose = True
        if lemma in lex.control and prev.dep_ != "ccomp":
            gstatus = lex.control[lemma]["status"]
            mod, soft = _modal_status(gov)
            if status is None:
                status = _S(gstatus)
                governor = gov
                if mod is _S.PROPOSED:
                    status, hedged = _S.PROPOSED, True
                elif lemma in ("begin", "start", "continue") and _tense(gov) in ("future", "base"):
                    status = _S.AGREED
                elif lemma in ("announce", "confirm") and prev.pos_ in ("NOUN", "PROPN"):
                    status = None  # "announced tariffs": read the object's own predicate
                    governor = tok
            elif _S(gstatus) is _S.PROPOSED and status not in ("negated",):
                status, hedged = _S.PROPOSED, True
        elif lemma in ("say", "tell", "announce", "add", "state", "confirm", "report"):
            break
        elif status is None and prev.dep_ == "xcomp" and gov.pos_ == "VERB":
            mod, soft = _modal_status(gov)
            if mod is not None:
                # "Japan will help build a port": the modal of the verb it complements
                status, governor, hedged = mod, gov, soft
        prev = gov
    if status is not None:
        return _Reading(status, governor, hedged, visit_purpose)
    mod, soft = _modal_status(tok)
    if tok.pos_ not in ("VERB", "AUX"):
        return None
    tense = _tense(tok)
    if mod is not None:
        return _Reading(mod, tok, soft, visit_purpose)
    past = own.get("past") if own else None
    if tense == "participle":
        return None  # "a ban imposed in May": background inside another phrase
    if tense in ("past", "perfect"):
        if past is None:
            return None
        return _Reading(_S(past), tok, False, visit_purpose)
    if tense == "progressive":
        return _Reading(_S.IN_PROGRESS, tok, False, visit_purpose)
    if tense == "present" and own and own.get("measure"):
        return _Reading(_S.IN_PROGRESS, tok, False, visit_purpose)
    if tense == "present" and past in ("paused", "postponed", "reversed", "fulfilled"):
        # headline and readout style: "China lifts ban", "Japan signs pact"
        return _Reading(_S(past), tok, False, visit_purpose)
    return None


# --------------------------------------------------------------------------------------------
# objects, titles, partners


def _object(tok: Token, change: bool = False) -> Token | None:
    """The object that names the commitment of predicate ``tok`` (passive subject included;
    "withdrew from the plan", "pulled out of the deal" for a ``change`` verb)."""
    for c in tok.children:
        if c.dep_ in _OBJECTS:
            if c.i in _ACTORS or c.ent_type_ == "GPE":
                # "provide Papua New Guinea with 600 million dollars": the gift, not the recipient
                given = next(
                    (
                        _prep_object(p)
                        for p in tok.children
                        if p.dep_ == "prep" and p.lower_ == "with" and _prep_object(p) is not None
                    ),
                    None,
                )
                if given is not None:
                    return given
            return c
    if _is_passive(tok):
        subs = _children(tok, "nsubjpass")
        nouns = [s for s in subs if s.pos_ in ("NOUN", "PROPN")]
        if nouns or subs:
            return (nouns or subs)[-1]  # "the 13th | Leaders' Retreat will be held"
        inherited = _subject(tok)
        if inherited is not None and inherited.pos_ in ("NOUN", "PROPN") and inherited.i < tok.i:
            return inherited
    if change or _lemma(tok) in ("resume", "restart", "restore", "start", "begin"):
        for c in tok.children:
            if c.dep_ in ("xcomp", "pcomp") and c.tag_ == "VBG":
                inner = next((x for x in c.children if x.dep_ in ("dobj", "obj")), None)
                return inner if inner is not None else c  # "stopped accepting imports of X"
    preps = ("on", "to", "upon", "from", "of") if change else ("on", "to", "upon")
    for c in tok.children:
        if c.dep_ == "prep" and c.lower_ in preps and tok.pos_ == "VERB":
            obj = _prep_object(c)
            if obj is not None and obj.pos_ in ("NOUN", "PROPN"):
                return obj
        if change and c.dep_ == "prep" and c.lower_ in ("out", "away"):
            inner = next(
                (x for x in c.children if x.dep_ == "prep" and x.lower_ in ("of", "from")), None
            )
            obj = _prep_object(inner) if inner is not None else None
            if obj is not None and obj.pos_ in ("NOUN", "PROPN"):
                return obj  # "pulled out of the energy agreement" (out parsed as a preposition)
    return _stranded_object(tok)


_SAYING = frozenset({"say", "tell", "announce", "add", "state", "confirm", "report"})


def _stranded_object(tok: Token) -> Token | None:
    """The object the parser hung on a later reporting verb after an inserted phrase: in
    "Dodoma lifted, with immediate effect, the ban ..., the minister told reporters", "the
    ban" comes out as the subject of "told". Only for an active transitive verb in the
    complement of that reporting verb, with nothing but a comma-set phrase between them."""
    if tok.dep_ != "ccomp" or _lemma(tok.head) not in _SAYING or _is_passive(tok):
        return None
    gap = [c for c in tok.children if c.i > tok.i and c.dep_ not in ("punct", "prep", "advmod")]
    if gap:
        return None
    for c in tok.head.children:
        if (
            c.dep_ == "nsubj"
            and c.i > tok.i
            and c.pos_ == "NOUN"
            and c.i < tok.head.i
            and c.doc[c.i - 1].lower_ in (",", "the", "a", "an", "its", "their")
            and any(t.lower_ == "," for t in c.doc[tok.i + 1 : c.left_edge.i])
        ):
            return c
    return None


def _is_measure(head: Token | None, lemma: str, own: dict[str, Any] | None) -> bool:
    lex = predicates()
    if own and own.get("measure"):
        return True
    if head is None:
        return False
    word = head.lemma_.lower()
    if (_object_words(head) - {c.lower_ for c in head.children if c.dep_ == "amod"}) & (
        lex.measure_nouns
    ):
        return True
    if word in lex.measure_nouns or head.lower_ in lex.measure_nouns:
        # "extend their pause on tariffs": the head decides, not a noun inside it
        return True
    compound = " ".join(c.lower_ for c in head.children if c.dep_ == "compound")
    return bool(compound) and f"{compound} {head.lower_}" in lex.measure_nouns


def _service_object(head: Token | None) -> bool:
    """Objects whose unilateral suspension is a restrictive measure (visas, imports, flights)."""
    if head is None:
        return False
    lex = predicates()
    words = _object_words(head)  # "the number of visas" names visas
    return bool(words & lex.measure_objects) or (
        head.lemma_.lower()
        in (
            "flight",
            "service",
            "trade",
            "shipment",
            "supply",
            "delivery",
            "operation",
        )
        and bool(words & {"visa", "consular", "export", "import", "flight", "air", "gas", "oil"})
    )


def _title_tokens(root: Token, verb: Token | None, partner: set[int]) -> list[int]:
    """Token indices of a title: ``verb`` (with particle) plus the object subtree of ``root``,
    trimmed by the tree: relative clauses, appositions, adverbial clauses, time phrases and the
    partner's prepositional phrases are dropped whole."""
    keep: set[int] = set()

    def visit(tok: Token, top: bool) -> None:
        keep.add(tok.i)
        for c in tok.children:
            if c.dep_ == "poss" and _is_actor_phrase(c):
                continue
            if c.dep_ == "aux" and c.lower_ == "to" and not top:
                keep.add(c.i)
                continue
            if c.dep_ in _TRIM_DEPS and not (c.dep_ == "advmod" and c.head.pos_ == "ADJ"):
                if c.dep_ == "cc" and any(s.dep_ == "conj" for s in tok.children):
                    keep.add(c.i)
                continue
            if c.dep_ == "acl" and any(
                x.dep_ in ("nsubj", "nsubjpass", "aux") and x.lower_ != "to" for x in c.children
            ):
                continue  # "the session he was to co-chair": a clause, not part of the name
            if (
                c.dep_ == "acl"
                and c.tag_ == "VBG"
                and top
                and c.lower_
                not in ("covering", "including", "concerning", "involving", "related", "relating")
            ):
                continue
            if c.dep_ == "prep":
                obj = _prep_object(c)
                if obj is None:
                    continue
                if _is_time(obj) or (_is_actor_phrase(obj) and c.lower_ in _PARTNER_PREPS | {"in"}):
                    continue
                if obj.lower_ in _state_words() and not any(True for _ in obj.children):
                    continue  # "on hold", "in force": the status, not the title
                if c.lower_ == "at" and obj.pos_ == "PROPN":
                    visit(c, False)  # "the border crossing at Attari": a place that names it
                    continue
                if c.lower_ in (
                    "during",
                    "after",
                    "before",
                    "since",
                    "until",
                    "amid",
                    "despite",
                    "by",
                    "within",
                    "at",
                    "as",
                    "like",
                    "including",
                    "under",
                ):
                    continue
            visit(c, False)

    visit(root, True)
    doc = root.doc
    for i in sorted(keep):
        # hyphenated words the tokenizer split ("co-produce", "two-plus-two"): keep them whole
        j = i
        while j + 2 < len(doc) and doc[j + 1].text == "-" and not doc[j].whitespace_:
            if doc[j + 2].i not in keep:
                visit(doc[j + 2], False)
            keep.update((j + 1, j + 2))
            j += 2
    if verb is not None and verb.i != root.i:
        keep.add(verb.i)
        for c in verb.children:
            if c.dep_ == "prt":
                keep.add(c.i)
    # strip leading determiners and possessives, trailing punctuation
    ordered = sorted(keep)
    doc = root.doc
    while ordered and (
        doc[ordered[0]].dep_ in ("det", "poss", "case", "punct", "cc", "prep")
        or doc[ordered[0]].lower_ in ("their", "its", "his", "her", "the")
    ):
        ordered.pop(0)
    while ordered and doc[ordered[-1]].dep_ in ("punct", "cc", "prep", "case", "det"):
        ordered.pop()
    return ordered


_ACTORS: set[int] = set()
"""Token indices of actor mentions in the sentence being read (set by :func:`clauses`)."""


def _is_actor_phrase(tok: Token) -> bool:
    """True when the phrase headed by ``tok`` names a party: an actor mention's head, or
    "each other's countries"."""
    if tok.i in _ACTORS:
        return True
    return bool(
        tok.lower_ in ("countries", "country", "capitals")
        and any(c.dep_ == "poss" and c.lower_ == "other" for c in tok.children)
    )


def _partner_tokens(tokens: Iterable[Token]) -> set[int]:
    """Actor tokens inside a phrase (the other party: "with Japan", "on Australian barley",
    "Tokyo's", "each other's countries")."""
    out: set[int] = set()
    for t in tokens:
        if t.i in _ACTORS or (t.lower_ == "other" and t.dep_ == "poss"):
            out.add(t.i)
    return out


def _items(obj: Token) -> tuple[tuple[int, ...], ...]:
    """An agreement list split per subject: "agreements on uranium, energy and AI" -> three."""
    lex = predicates()
    if obj.lemma_.lower() not in lex.agreement_nouns and obj.lower_ not in lex.agreement_nouns:
        return ()
    spread = _spread_items(obj)
    if spread:
        return spread
    for c in obj.children:
        if (c.dep_ == "prep" and c.lower_ in ("on", "in", "for", "covering", "concerning")) or (
            c.dep_ == "acl" and c.lower_ in ("covering", "including", "concerning", "involving")
        ):
            first = (
                _prep_object(c)
                if c.dep_ == "prep"
                else next((x for x in c.children if x.dep_ in ("dobj", "pobj")), None)
            )
            if first is None:
                continue
            conj = [first] + [t for t in first.conjuncts if t.i > first.i]
            if len(conj) < 2:
                split = _split_list(first)
                if split:
                    return split
                continue
            out = []
            for item in conj:
                skip = [x for x in item.children if x.dep_ in ("conj", "cc", "punct")]
                out.append(tuple(sorted(t.i for t in _subtree(item, skip))))
            return tuple(out)
    return ()


def _spread_items(obj: Token) -> tuple[tuple[int, ...], ...]:
    """Subjects given as repeated "on" phrases that the parser spread over the object and its
    verb: "exchanged memoranda of understanding on A, on B and on C" -> A, B, C."""
    holders = [obj] + [
        p
        for c in obj.children
        if c.dep_ == "prep" and c.lower_ == "of"
        for p in [_prep_object(c)]
        if p is not None and p.lower_ == "understanding"
    ]
    preps = [c for h in holders for c in h.children if c.dep_ == "prep" and c.lower_ == "on"]
    verb = obj.head
    if obj.dep_ in _OBJECTS and verb.pos_ in ("VERB", "AUX"):
        preps += [c for c in verb.children if c.dep_ == "prep" and c.lower_ == "on" and c.i > obj.i]
    for p in list(preps):
        preps += [c for c in p.conjuncts if c.lower_ == "on" and c not in preps]
    if len(preps) < 2:
        return ()
    out = []
    for p in sorted(preps, key=lambda t: t.i):
        target = _prep_object(p)
        if target is None:
            return ()
        skip = [x for x in target.children if x.dep_ in ("conj", "cc", "punct")]
        out.append(tuple(sorted(t.i for t in _subtree(target, skip))))
    return tuple(out)


def _in_talks_clause(tok: Token) -> Clause | None:
    """ "X and Y are in talks on a power deal": talks under way on the topic of ``tok``'s
    "on" / "over" / "about" phrase, the subject of the verb "be" (or "remain") their parties."""
    verb = tok.head.head
    if (verb.lemma_.lower() not in ("be", "remain", "stay") and verb.lower_ not in _BE) or _negated(
        verb
    ):
        return None
    topic = next((c for c in tok.children if c.dep_ == "prep" and c.lower_ in _TOPIC_PREPS), None)
    target = _prep_object(topic) if topic is not None else None
    if target is None or target.lemma_.lower() in predicates().empty_objects:
        return None
    subj = _subject(verb)
    partner = _partner_tokens(list(tok.subtree))
    title = _title_tokens(target, None, partner)
    if not title:
        return None
    return Clause(
        predicate=tok.i,
        governor=verb.i,
        status=_S.UNDER_DISCUSSION,
        kind=CommitmentKind.TALKS,
        restrictive=False,
        agent=tuple(t.i for t in subj.subtree) if subj is not None else (),
        partner=tuple(sorted(partner)),
        title=tuple(sorted({tok.i, topic.i, *title})),
        lemma="talk",
    )


_OBJECT_CONTROL = frozenset(
    {"commit", "oblige", "obligate", "require", "bind", "allow", "permit", "authorise", "authorize"}
)
"""Verbs whose object does what their infinitive says ("commits Britain to supply")."""

_INTERPRETING = frozenset(
    {
        "underscore",
        "underline",
        "signal",
        "show",
        "reflect",
        "demonstrate",
        "highlight",
        "suggest",
        "indicate",
        "illustrate",
        "question",
        "doubt",
    }
)
"""Verbs by which a writer reads a plan into events ("signalled its intention to")."""

_QUESTION_WORDS = frozenset({"how", "whether", "why", "what"})


def _embedded_question(tok: Token) -> bool:
    """True when ``tok`` heads an indirect question ("how much would be built", "whether it
    will sign"): an open question, not an undertaking."""
    return tok.left_edge.lower_ in _QUESTION_WORDS and tok.dep_ in (
        "pcomp",
        "ccomp",
        "pobj",
        "advcl",
        "csubj",
    )


_ENVOYS = frozenset({"ambassador", "envoy", "commissioner", "ambassadors", "envoys"})


def _returning_envoy(tok: Token) -> Clause | None:
    """ "Paraguay's ambassador returned to Brasilia": the end of a recall, a restrictive measure
    reversed (agent: the envoy's country; partner: where the envoy went back to)."""
    subj = next((c for c in tok.children if c.dep_ == "nsubj"), None)
    if subj is None or subj.lower_ not in _ENVOYS or _negated(tok):
        return None
    mod, _soft = _modal_status(tok)
    if _tense(tok) not in ("past", "perfect") and mod is None:
        return None
    if tok.lower_ == "go" and not _has_particle(tok, "back"):
        return None
    dest = [_prep_object(c) for c in tok.children if c.dep_ == "prep" and c.lower_ in ("to", "in")]
    partner = {t.i for d in dest if d is not None for t in d.subtree}
    poss = [c for c in subj.children if c.dep_ in ("poss", "amod", "compound")]
    return Clause(
        predicate=tok.i,
        governor=tok.i,
        status=_S.REVERSED if mod is None else _S.AGREED,
        kind=CommitmentKind.MEASURE,
        restrictive=True,
        agent=tuple(t.i for p in poss for t in p.subtree),
        partner=tuple(sorted(partner)),
        title=tuple(sorted({subj.i, tok.i} | {t.i for p in poss for t in p.subtree})),
        lemma="recall",
    )


def _split_list(head: Token) -> tuple[tuple[int, ...], ...]:
    """A list the parser did not coordinate ("uranium supply, energy and critical minerals"):
    the phrase cut at its commas and final "and" when it has at least one comma and three
    parts; ``()`` otherwise ("security and law enforcement" stays whole)."""
    tokens = sorted(t.i for t in head.subtree)
    doc = head.doc
    parts: list[list[int]] = [[]]
    commas = 0
    for i in tokens:
        if doc[i].text == ",":
            commas += 1
            parts.append([])
        elif doc[i].lower_ == "and" and doc[i].dep_ == "cc":
            if parts[-1]:
                parts.append([])
        else:
            parts[-1].append(i)
    parts = [p for p in parts if p]
    if commas < 1 or len(parts) < 3:
        return ()
    return tuple(tuple(p) for p in parts)


def _kind(
    lemma: str, obj: Token | None, own: dict[str, Any] | None, measure: bool
) -> CommitmentKind:
    lex = predicates()
    if measure:
        return CommitmentKind.MEASURE
    if own and own.get("kind") == "agreement":
        return CommitmentKind.AGREEMENT
    if own and own.get("kind") == "talks":
        return CommitmentKind.TALKS
    if obj is not None:
        word = obj.lemma_.lower()
        if word in lex.talks_nouns or obj.lower_ in lex.talks_nouns or word == "talk":
            return CommitmentKind.TALKS
        if word in lex.agreement_nouns or obj.lower_ in lex.agreement_nouns:
            return CommitmentKind.AGREEMENT
    if lemma in ("negotiate", "discuss"):
        return CommitmentKind.TALKS
    return CommitmentKind.ACTION


# --------------------------------------------------------------------------------------------
# the clauses of a sentence


def _status_for_change(
    pred: Token,
    reading: _Reading,
    own: dict[str, Any],
    obj: Token | None,
    measure: bool,
    agents: int,
) -> tuple[CommitmentStatus, bool] | None:
    """A change verb (suspend, lift, resume, ...) read as a status of its object.

    Returns (status, restrictive) or None. "lifted the ban" -> (reversed, restrictive);
    "suspended visa services" (one government) -> (in_progress, restrictive: a measure in effect);
    "suspended talks" -> (paused, cooperative).
    """
    status = reading.status
    if not isinstance(status, _S):
        return None
    past = own.get("past")
    if status is _S.PROPOSED or past is None:
        return status, measure
    if not own.get("change"):
        if (
            past in ("in_progress",)
            and own.get("plover") == "COOPERATE"
            and _service_object(obj)
            and reading.governor.i == pred.i
            and _tense(pred) in ("past", "perfect", "present")
        ):
            return _S.REVERSED, True  # "reopened the border post": the closure is lifted
        return status, measure
    # "will suspend the ban", "agreed to lift the tariffs", "lifted the ban": the change is
    # the news; the object takes the status the change gives it
    status = _S(past)
    if measure:
        return status, True
    cooperative = obj is not None and bool(
        _object_words(obj) & predicates().cooperative_objects
        or (
            obj.lower_ in predicates().nouns
            and predicates().nouns[obj.lower_]["status"] in ("in_progress", "fulfilled", "agreed")
        )
    )  # "suspended the restoration of visa services": a cooperative undertaking paused
    own_reading = reading.governor.i == pred.i
    if past == "reversed" and _lemma(pred) in _LIFTING and obj is not None and not cooperative:
        return _S.REVERSED, True  # "lifted the curbs", "removed the counter-tariffs"
    if (
        agents == 1
        and own_reading
        and obj is not None
        and not cooperative
        and (past == "paused" or (past == "reversed" and obj.dep_ == "dobj"))
    ):
        # one government suspends, halts, cancels or withdraws something the other relied on
        # ("suspended visa services", "stopped approving Japanese films", "withdrew the
        # transshipment facility"): a restrictive measure now in effect
        return _S.IN_PROGRESS, True
    return status, False


def clauses(
    doc: Doc,
    actors: Iterable[int] = (),
    visit_lemmas: frozenset[str] = frozenset({"visit", "travel"}),
) -> list[Clause]:
    """Every commitment clause of a parsed sentence ``doc``, in text order of their predicates.

    ``actors`` are the token indices of actor mentions (countries, capitals, demonyms,
    institutions, officials): prepositional phrases and possessives made of them are the partner,
    not the title. Never raises on any parse; returns ``[]`` when nothing qualifies.
    """
    lex = predicates()
    _ACTORS.clear()
    _ACTORS.update(actors)
    out: list[Clause] = []
    used: set[int] = set()
    for tok in doc:
        lemma = _lemma(tok)
        if tok.i in used:
            continue
        clause: Clause | None = None
        if (
            lemma in _ASPECTUAL
            and _object(tok) is None
            and not any(c.dep_ in ("xcomp", "ccomp") for c in tok.children)
            and _subject(tok) is not None
        ):
            clause = _state_clause(tok, lemma)  # "flights will resume", "work is due to start"
        elif tok.pos_ in ("VERB", "AUX") and lemma in lex.content and lemma not in visit_lemmas:
            clause = _content_clause(tok, lemma)
        elif tok.pos_ == "VERB" and lemma in lex.noun_object_control:
            clause = _control_object_clause(tok, lemma)
        elif tok.pos_ in ("NOUN",) and (tok.lower_ in lex.nouns or lemma in lex.nouns):
            clause = _noun_clause(tok, lex.nouns.get(tok.lower_) or lex.nouns[lemma])
        elif tok.lower_ in lex.talks_nouns and tok.dep_ == "pobj" and tok.head.lower_ == "in":
            clause = _in_talks_clause(tok)
        elif (
            lemma in lex.state_verbs
            or lemma in ("remain", "stay", "keep")
            or tok.lower_ in _state_words()
        ):
            clause = _state_clause(tok, lemma)
        if (
            clause is None
            and tok.pos_ == "VERB"
            and lemma not in lex.empty_verbs
            and lemma not in visit_lemmas
            and lemma not in lex.control
            and lemma not in lex.content
            and not (tok.dep_ in ("acl", "amod") and tok.tag_ in ("VBG", "VBN"))
            and _governed(tok)
        ):
            clause = _content_clause(tok, lemma, {"plover": "COOPERATE", "past": None})
        if clause is not None:
            out.append(clause)
            used.add(clause.predicate)
    return _dedupe(out)


def _dedupe(found: list[Clause]) -> list[Clause]:
    """Drop a clause whose title lies inside another's (a nominal inside a verb's object)."""
    out: list[Clause] = []
    for c in found:
        inner = False
        for d in found:
            if d is c or not d.title or not c.title:
                continue
            if set(c.title) < set(d.title) and c.predicate in d.title:
                inner = True
                break
            if set(c.title) == set(d.title) and c.predicate > d.predicate:
                inner = True
                break
        if not inner:
            out.append(c)
    return out


def _agent_info(tok: Token) -> tuple[tuple[int, ...], bool, bool]:
    """(agent token indices, first person, government-like) of predicate ``tok``'s clause."""
    subj = _subject(tok)
    if subj is None:
        return (), False, True
    if subj.dep_ == "nsubjpass" and subj.head.i == tok.i:
        agents = [c for c in tok.children if c.dep_ == "agent"]
        if agents:
            sub = list(agents[0].subtree)
            return tuple(t.i for t in sub), False, True
        return (), False, True
    skip = [
        c
        for c in subj.children
        if c.dep_ in ("relcl", "acl", "appos", "prep") and c.lower_ not in ("of", "from")
    ]
    toks = _subtree(subj, skip)
    first = subj.lower_ in ("we", "i", "us")
    return tuple(t.i for t in toks), first, True


def _object_words(obj: Token) -> set[str]:
    """The object's head, its compounds and, for "the last of its staff" or "part of the
    tariffs", the head of its "of" phrase."""
    words = {obj.lower_, obj.lemma_.lower()} | {
        c.lower_ for c in obj.children if c.dep_ in ("compound", "amod")
    }
    for c in obj.children:
        if c.dep_ == "prep" and (c.lower_ == "of" or (c.lower_ == "on" and obj.lower_ == "work")):
            inner = _prep_object(c)
            if inner is not None:
                words |= {inner.lower_, inner.lemma_.lower()}
    return words


def _governed(tok: Token) -> bool:
    """True when a verb outside the lexicon still names a commitment: it is the complement of
    a control predicate ("pledged to coordinate", "undertook to send") or carries "will" /
    "shall" ("Cairo will supply")."""
    lex = predicates()
    prev = tok
    for gov in _walk_up(tok):
        if prev.dep_ == "conj" and any(c.dep_ in ("nsubj", "nsubjpass") for c in prev.children):
            break
        if prev.dep_ == "conj" and gov.dep_ != "conj":
            prev = gov
            continue
        if _lemma(gov) in lex.control and prev.dep_ != "ccomp":
            return True
        if _lemma(gov) in ("say", "tell", "announce", "add", "state", "report"):
            return False
        prev = gov
    return any(a.lower_ in ("will", "shall", "'ll", "would") for a in _aux(tok))


def _content_clause(tok: Token, lemma: str, own: dict[str, Any] | None = None) -> Clause | None:
    lex = predicates()
    own = own if own is not None else lex.content[lemma]
    if _embedded_question(tok):
        return None  # "no understanding on how much of the tank would be built"
    if lemma in ("return", "go") and (envoy := _returning_envoy(tok)) is not None:
        return envoy
    if lemma in ("end", "reverse") and tok.dep_ == "advcl" and tok.tag_ == "VBG":
        return None  # "..., reversing part of a closure": restates the main clause
    if (
        own.get("measure")
        and tok.dep_ == "advcl"
        and any(c.dep_ == "aux" and c.lower_ == "to" for c in tok.children)
        and not _is_measure(_object(tok), lemma, None)
    ):
        return None  # "joint patrols to curb smuggling": the purpose, not a measure
    if lemma == "set" and _has_particle(tok, "aside"):
        own = {"plover": "AID", "past": "agreed"}  # "set aside a grant of 1.2 billion yuan"
    elif lemma == "roll" and _has_particle(tok, "out"):
        own = {"plover": "COOPERATE", "past": "fulfilled"}  # "roll out a visa"
    elif (
        own.get("particle")
        and not _has_particle(tok, own["particle"])
        and lemma in ("set", "push", "roll", "tear", "pull", "back", "call", "phase")
    ):
        if not _governed(tok) or not any(c.dep_ == "dobj" for c in tok.children):
            return None
        own = {"plover": "COOPERATE", "past": None}  # another phrasal verb: plain content
    if lemma in ("back",) and not _has_particle(tok, "out"):
        return None
    obj = _object(tok, bool(own.get("change")))
    if own.get("agreement_past") and obj is not None and obj.lower_ in lex.agreement_nouns:
        # "exchanged memoranda of understanding": documents handed over, i.e. signed
        own = {**own, "past": own["agreement_past"], "kind": "agreement"}
    if (
        obj is not None
        and obj.lemma_.lower() in _SELF_REFERENCE
        and any(c.lower_ == "this" for c in obj.children)
    ):
        return None  # "this declaration was signed in Ankara": the statement itself
    if tok.dep_ == "relcl" and not _governed(tok):
        return None  # "the duties it imposed on jute": a description of the object
    if obj is None and own.get("intransitive"):
        subj = next((c for c in tok.children if c.dep_ == "nsubj"), None)
        if subj is not None and subj.pos_ in ("NOUN", "PROPN") and subj.i not in _ACTORS:
            obj = subj  # "the joint economic commission is expected to meet in Tehran"
    if (
        obj is not None
        and obj.lemma_.lower() in lex.empty_objects
        and not _of_object(obj)
        and not (obj.lemma_.lower() == "work" and any(c.lower_ == "on" for c in obj.children))
    ):
        return None
    if obj is not None and obj.pos_ == "PRON" and obj.lower_ not in ("it",):
        return None
    if (
        obj is not None
        and lemma in ("launch", "fire", "conduct", "carry", "stage", "mount")
        and _object_words(obj) & lex.hostile_objects
    ):
        return None  # "launched drones at a power plant": an attack, not a commitment
    if own.get("light_object") and obj is not None and obj.lower_ == own["light_object"]:
        # "broke ground on the plant": the commitment is the object of "on"
        inner = next(
            (
                _prep_object(c)
                for c in (*tok.children, *obj.children)
                if c.dep_ == "prep" and c.lower_ == "on"
            ),
            None,
        )
        if inner is None:
            return None
        obj = inner
    allowed = own.get("objects")
    if allowed and (obj is None or not (_object_words(obj) & set(allowed))):
        own = {"plover": "COOPERATE", "past": None}  # "raise the capacity": no measure
        if not _governed(tok):
            return None
    if (
        obj is not None
        and obj.lemma_.lower() in ("visit", "trip", "tour")
        and lemma not in _VISIT_CHANGES
    ) or (lemma == "lead" and obj is not None and obj.lemma_.lower() == "delegation"):
        return None  # visits are read by the extractor's visit rules
    if lemma in ("hold", "host", "convene") and (
        obj is None or obj.lemma_.lower() not in lex.talks_nouns | _MEETINGS
    ):
        return None
    if lemma == "declare" and obj is None and "persona" in {t.lower_ for t in tok.subtree}:
        # "declared the Mexican ambassador persona non grata", parsed as a clause of its own
        obj = next(
            (t for t in tok.subtree if t.i > tok.i and t.lemma_.lower() in lex.measure_objects),
            None,
        )
    if own.get("needs_noun") and (
        obj is None
        or (obj.lemma_.lower() not in lex.agreement_nouns and lemma != "declare")
        or (lemma == "declare" and "persona" not in {t.lower_ for t in tok.subtree})
    ):
        return None
    if obj is None and lemma not in ("cooperate", "collaborate", "resume", "quit", "exit"):
        return None
    reading = _reading(tok, own)
    if reading is None or reading.status == "negated" or reading.status is None:
        return None
    talks_on = _talks_on(obj) if obj is not None else None
    if (
        obj is not None
        and obj.lemma_.lower() in _ENGAGEMENT_NOUNS
        and reading.status in (_S.FULFILLED, _S.IN_PROGRESS)
        and lemma not in ("resume", "restart", "suspend")
    ):
        if talks_on is None:
            return None  # "concluded a two-day visit", "completed talks": an engagement
        # "held the third round of negotiations on a pact": the pact is under discussion
        obj, reading = talks_on, _Reading(_S.UNDER_DISCUSSION, reading.governor)
    if obj is not None and any(c.lower_ == "no" and c.dep_ == "det" for c in obj.children):
        return None
    measure = _is_measure(obj, lemma, own)
    agent, first, _ = _agent_info(tok)
    if obj is not None and obj.i in agent:
        agent = ()  # a passive's subject is the commitment, not its agent
    restrictive = measure
    status = reading.status
    assert isinstance(status, _S)
    if own.get("change") or (own.get("past") == "in_progress" and _service_object(obj)):
        change = _status_for_change(tok, reading, own, obj, measure, _agent_count(tok))
        if change is None:
            return None
        status, restrictive = change
    elif (
        measure
        and own.get("plover") in ("SANCTION", "EXPEL", "REDUCE")
        and reading.governor.i == tok.i
    ):
        restrictive = True
    elif measure and own.get("plover") in ("SANCTION", "EXPEL", "REDUCE"):
        # "plans to impose tariffs", "agreed to ban": announced or planned measures
        restrictive = True
    elif measure and lemma in ("extend", "renew", "prolong", "expand", "broaden", "widen"):
        restrictive = True  # "extended its ban on petrol exports": the measure stays
        if (
            status is _S.AGREED
            and reading.governor.i == tok.i
            and _tense(tok) in ("past", "perfect")
        ):
            status = _S.IN_PROGRESS
    elif measure:
        restrictive = False  # "agreed to cut tariffs": cooperative
        measure = False
    if measure and not restrictive:
        measure = False
    light = (
        own.get("kind") == "agreement"
        or own.get("change")
        or own.get("light_object")
        or lemma
        in (
            "impose",
            "slap",
            "levy",
            "reimpose",
            "introduce",
            "extend",
            "renew",
            "conclude",
            "reach",
            "strike",
            "clinch",
            "hold",
            "host",
            "conduct",
            "complete",
            "finalise",
            "finalize",
        )
    )
    if restrictive or (
        obj is not None
        and ({obj.lemma_.lower(), obj.lower_} & (lex.talks_nouns | lex.agreement_nouns))
    ):
        light = True
    scope = _subtree(
        tok,
        [
            c
            for c in tok.children
            if c.dep_ in ("advcl", "ccomp")
            or (c.dep_ == "conj" and any(x.dep_ in ("nsubj", "nsubjpass") for x in c.children))
        ],
    )
    partner = _partner_tokens(scope)
    if obj is not None:
        title = _title_tokens(obj, None if light else tok, partner)
        if _is_generic_title(
            tok.doc,
            [
                i
                for i in title
                if i != tok.i and i not in {c.i for c in tok.children if c.dep_ == "prt"}
            ],
        ):
            title = _with_verb_preps(tok, obj, title)
        items = _items(obj)
    else:
        title = _title_tokens(tok, None, partner)
        items = ()
    if not title:
        return None
    kind = _kind(lemma, obj, own, restrictive)
    if (
        kind is CommitmentKind.TALKS
        and lemma in ("hold", "conduct", "launch", "open", "begin", "start")
        and reading.governor.i == tok.i
        and status in (_S.FULFILLED, _S.IN_PROGRESS)
        and lemma != "resume"
    ):
        if lemma in ("hold", "conduct") and not any(
            t.dep_ == "prep" and t.lower_ in _TOPIC_PREPS for t in (obj or tok).subtree
        ):
            return None  # "held closed-door talks at State House": a meeting, an engagement
        status = _S.UNDER_DISCUSSION  # "held the third round of negotiations on a pact"
    if kind is CommitmentKind.TALKS and status is _S.AGREED and lemma in _OPEN_ENDED:
        status = _S.UNDER_DISCUSSION
    return Clause(
        predicate=tok.i,
        governor=reading.governor.i,
        status=status,
        kind=kind,
        restrictive=restrictive,
        agent=agent,
        partner=tuple(sorted(partner)),
        title=tuple(title),
        items=items,
        hedged=reading.hedged,
        first_person=first,
        lemma=lemma,
        visit_purpose=reading.visit_purpose,
    )


def _with_verb_preps(verb: Token, obj: Token, title: list[int]) -> list[int]:
    """A short object completed by the verb's own complements, which the parser often attaches
    to the verb: "extend their pause | on higher tariffs", "inked a deal on Tuesday | to
    co-produce patrol boats", "reduce export controls | on rare earths"."""
    out = set(title)
    for c in verb.children:
        if c.i < obj.i:
            continue
        if c.dep_ == "prep" and c.lower_ in ("on", "of", "for", "over", "about", "regarding"):
            o = _prep_object(c)
            if o is None or _is_time(o) or _is_actor_phrase(o):
                continue
            out.update(_title_tokens(c, None, set()))
            out.add(c.i)
        elif (
            c.dep_ in ("advcl", "xcomp", "acl")
            and c.pos_ == "VERB"
            and any(a.lower_ == "to" and a.dep_ == "aux" for a in c.children)
        ):
            out.update(_title_tokens(c, c, set()))
            out.update(a.i for a in c.children if a.lower_ == "to" and a.dep_ == "aux")
    return sorted(out)


def _is_generic_title(doc: Doc, title: list[int]) -> bool:
    """True for a title of one or two words, or one made only of agreement words ("a deal")."""
    lex = predicates()
    words = [doc[i] for i in title if doc[i].pos_ not in ("DET", "PRON", "PUNCT")]
    return len(words) <= 2 or all(
        w.lemma_.lower() in lex.agreement_nouns | _PLAIN_AGREEMENT_WORDS | _MONEY_WORDS
        or w.pos_ in ("ADJ", "NUM", "ADP", "SYM")
        for w in words
    )


_MONEY_WORDS = frozenset(
    {
        "million",
        "billion",
        "trillion",
        "crore",
        "lakh",
        "dollar",
        "euro",
        "yen",
        "rupee",
        "pound",
        "yuan",
        "won",
        "franc",
        "real",
        "peso",
        "rand",
        "ringgit",
        "dirham",
        "riyal",
        "$",
        "€",
        "£",
        "¥",
        "a$",
        "us$",
        "usd",
        "eur",
        "percent",
        "per",
        "cent",
        "further",
        "additional",
        "more",
    }
)
"""Words of an amount: "A$18 million" says nothing of what it is for."""


_PLAIN_AGREEMENT_WORDS = frozenset({"intent", "understanding", "cooperation", "of"})
"""Words that, with agreement nouns, still say nothing of the subject ("a letter of intent")."""


def _talks_on(obj: Token) -> Token | None:
    """The talks of "a round of negotiations on X" (or the object itself, "talks on X") when
    they are about a named subject; None otherwise."""
    lex = predicates()
    cand = obj
    for c in obj.children:
        if c.dep_ == "prep" and c.lower_ == "of":
            inner = _prep_object(c)
            if inner is not None and inner.lemma_.lower() in lex.talks_nouns | {"talk"}:
                cand = inner
    if cand.lemma_.lower() not in lex.talks_nouns | {"talk"} and cand.lower_ not in (
        lex.talks_nouns
    ):
        return None
    if any(c.dep_ == "prep" and c.lower_ in ("on", "over", "for", "about") for c in cand.children):
        return cand
    return None


def _of_object(obj: Token) -> bool:
    """True when ``obj`` has an "of" phrase that names something ("the second phase of the
    deal"), not an empty one ("a note of protest")."""
    empty = predicates().empty_objects
    for c in obj.children:
        if c.dep_ == "prep" and c.lower_ == "of":
            inner = _prep_object(c)
            return inner is None or inner.lemma_.lower() not in empty
    return False


def _agent_count(tok: Token) -> int:
    subj = _subject(tok)
    if subj is None:
        return 0
    if subj.lower_ in ("sides", "countries", "nations", "governments", "leaders", "they"):
        return 2
    return 1 + len([t for t in subj.conjuncts])


def _control_object_clause(tok: Token, lemma: str) -> Clause | None:
    """A control verb with a noun object: "agreed on a shared work plan", "pledged $2 billion
    in aid", "announced a ban on imports", "approved the sale of jets"."""
    lex = predicates()
    entry = lex.control[lemma]
    if entry["status"] == "negated":
        return None
    # a verbal complement is read from the complement's side (_content_clause)
    if any(c.dep_ in ("xcomp", "ccomp") for c in tok.children):
        return None
    if lemma == "work" and (
        _is_passive(tok)
        or _has_particle(tok, "out")
        or not (tok.dep_ == "xcomp" or _modal_status(tok)[0] is not None)
    ):
        return None  # "agreed to work on the pipeline"; not "worked hand in hand", "worked out"
    obj = None
    for c in tok.children:
        if c.dep_ in ("dobj", "obj") and c.pos_ in ("NOUN", "PROPN", "NUM"):
            obj = c
            break
        if c.dep_ == "prep" and c.lower_ in ("on", "to", "upon", "towards", "toward"):
            o = _prep_object(c)
            if o is not None and o.pos_ in ("NOUN", "PROPN") and o.tag_ != "VBG":
                obj = o
                break
            if o is not None and o.tag_ == "VBG":
                return _gerund_clause(tok, lemma, o)
    if obj is None and lemma in ("continue", "resume", "begin", "start"):
        subs = _children(tok, "nsubj")
        if subs and (
            subs[0].lemma_.lower() in lex.talks_nouns or _object_words(subs[0]) & lex.activity_nouns
        ):
            obj = subs[0]  # "talks will continue", "petrol shipments would continue"
    if _is_passive(tok) and obj is None:
        subs = _children(tok, "nsubjpass")
        if subs and subs[0].pos_ in ("NOUN", "PROPN"):
            obj = subs[0]
    if obj is None:
        return None
    word = obj.lemma_.lower()
    if word in lex.empty_objects or obj.pos_ == "PRON":
        return None
    if word in lex.nouns and lex.nouns[word].get("of") and _of_object(obj):
        return None  # "announced the suspension of ...": the noun clause reads it
    if any(c.lower_ == "no" and c.dep_ == "det" for c in obj.children):
        return None
    if _negated(tok) or _conditional(tok):
        return None
    status = _S(entry["status"])
    hedged = False
    mod, _soft = _modal_status(tok)
    if mod is _S.PROPOSED:
        status, hedged = _S.PROPOSED, True
    elif mod is _S.AGREED and status is _S.IN_PROGRESS:
        status = _S.AGREED  # "will begin talks next week": undertaken, not yet under way
    neutral = lemma in lex.talks_control
    for gov in _walk_up(tok):
        glemma = _lemma(gov)
        if glemma in lex.negating_verbs or _negated(gov):
            return None
        if glemma in lex.control:
            gstatus = lex.control[glemma]["status"]
            if gstatus == "negated":
                return None
            if gstatus == "proposed":
                status, hedged = _S.PROPOSED, True
            elif neutral:
                status, neutral = _S(gstatus), False
        elif glemma in ("say", "tell", "announce", "add", "state", "report"):
            break
    if (
        lemma in _NAMING_CONTROLS
        and not _governed(tok)
        and not (
            _object_words(obj) & _commitment_nouns()
            or obj.lemma_.lower() in lex.nouns
            or _is_measure(obj, lemma, None)
        )
    ):
        return None  # "announced two marine parks": a domestic plan, not one toward the other
    measure = _is_measure(obj, lemma, None) and lemma in (
        "announce",
        "unveil",
        "approve",
        "threaten",
        "plan",
        "propose",
        "consider",
        "weigh",
        "mull",
    )
    if lemma in ("accept", "confirm", "endorse", "approve") and not (
        measure
        or word in lex.agreement_nouns
        or _of_object(obj)
        or (lemma == "approve" and _object_words(obj) & lex.cooperative_objects)
    ):
        return None  # "approved a yen loan to Manila" names one; "accepted the result" none
    if lemma in ("discuss", "explore", "negotiate", "work") and word in lex.talks_nouns:
        return None
    if lemma == "discuss" and _tense(tok) in ("past", "perfect") and not _governed(tok):
        return None  # "discussed preparations": a meeting that took place
    kind = _kind(lemma, obj, None, measure)
    if lemma in ("discuss", "negotiate", "explore"):
        kind = CommitmentKind.TALKS
    if (
        kind is CommitmentKind.TALKS
        and status in (_S.AGREED, _S.IN_PROGRESS)
        and (lemma in _OPEN_ENDED)
    ):
        status = _S.UNDER_DISCUSSION
    agent, first, _ = _agent_info(tok)
    partner = _partner_tokens(list(tok.subtree))
    title = _title_tokens(obj, None, partner)
    if title and _is_generic_title(tok.doc, title):
        title = _with_verb_preps(tok, obj, title)  # "committed 50 million euros | for X"
    if not title:
        return None
    return Clause(
        predicate=tok.i,
        governor=tok.i,
        status=status,
        kind=kind,
        restrictive=measure,
        agent=agent,
        partner=tuple(sorted(partner)),
        title=tuple(title),
        items=_items(obj),
        hedged=hedged,
        first_person=first,
        lemma=lemma,
    )


def _gerund_clause(tok: Token, lemma: str, gerund: Token) -> Clause | None:
    """ "committed to formalising cooperation on X": the gerund phrase is the commitment."""
    lex = predicates()
    status = _S(lex.control[lemma]["status"])
    if _negated(tok):
        return None
    mod, _soft = _modal_status(tok)
    hedged = mod is _S.PROPOSED
    if hedged:
        status = _S.PROPOSED
    agent, first, _ = _agent_info(tok)
    partner = _partner_tokens(list(gerund.subtree))
    title = _title_tokens(gerund, None, partner)
    if not title:
        return None
    return Clause(
        predicate=gerund.i,
        governor=tok.i,
        status=status,
        kind=CommitmentKind.ACTION,
        restrictive=False,
        agent=agent,
        partner=tuple(sorted(partner)),
        title=tuple(title),
        hedged=hedged,
        first_person=first,
        lemma=_lemma(gerund),
    )


def _noun_clause(tok: Token, entry: dict[str, Any]) -> Clause | None:
    """Nominalisations: "the decision to appoint liaison officers" (its ``acl`` complement is the
    commitment); "the suspension of direct flights" (its ``of`` object is, with the noun's
    status); "the restoration of visa services"."""
    lex = predicates()
    if any(c.lower_ == "no" and c.dep_ == "det" for c in tok.children):
        return None
    status = _S(entry["status"])
    target: Token | None = None
    verb_lemma = entry.get("verb", "")
    if entry.get("of"):
        if entry.get("needs") and entry["needs"] not in {t.lower_ for t in tok.subtree}:
            return None  # "entry" only as "entry into force of"
        for c in tok.children:
            if c.dep_ == "prep" and c.lower_ == "of":
                target = _prep_object(c)
                break
        if target is None:
            return None
    else:
        comp = [
            c
            for c in tok.children
            if c.dep_ in ("acl", "relcl")
            and c.pos_ == "VERB"
            and any(a.lower_ == "to" for a in c.children)
        ]
        if not comp:
            return None
        head_own = predicates().content.get(_lemma(tok.head)) if tok.dep_ == "dobj" else None
        if (
            head_own
            and head_own.get("change")
            and head_own.get("past")
            in (
                "reversed",
                "paused",
                "postponed",
            )
        ):
            # "reversed its decision to ban imports", "postponed its plan to build": the deed
            # takes the change's status
            status = _S(head_own["past"])
        if tok.dep_ == "dobj" and _lemma(tok.head) in _INTERPRETING:
            return None  # "underscored Ottawa's intention to improve relations": a reading
        if entry.get("to_only") and (
            tok.lower_ not in lex.agreement_nouns
            or (tok.dep_ != "dobj" and tok.lower_ != "agreement")
        ):
            return None  # "reached a deal to reopen"; not "a deal to X is unlikely"
        gov = tok.head.head if tok.dep_ == "pobj" else tok.head
        if tok.dep_ in ("dobj", "pobj") and _lemma(gov) in lex.control:
            return None  # "agreed on a plan to ...": the control verb reads the whole phrase
        verb = comp[0]
        vlemma = _lemma(verb)
        if vlemma in ("visit", "travel"):
            return None
        obj = _object(verb)
        if obj is None or obj.lemma_.lower() in lex.empty_objects:
            return None
        partner = _partner_tokens(list(verb.subtree))
        light = vlemma in lex.content and (
            lex.content[vlemma].get("kind") == "agreement" or lex.content[vlemma].get("change")
        )
        title = _title_tokens(obj, None if light else verb, partner)
        own = lex.content.get(vlemma)
        measure = _is_measure(obj, vlemma, own)
        restrictive = measure and bool(own) and own.get("plover") in ("SANCTION", "EXPEL", "REDUCE")
        if own and own.get("change") and measure and status in (_S.AGREED, _S.FULFILLED):
            # "welcomed the decision to revoke the anti-dumping duties": the measure's change
            status, restrictive = _S(own["past"]), True
        kind = _kind(vlemma, obj, own, restrictive)
        if kind is CommitmentKind.TALKS and status is _S.AGREED and vlemma in _OPEN_ENDED:
            status = _S.UNDER_DISCUSSION
        hedged = False
        if tok.head.pos_ in ("VERB", "AUX") and _modal_status(tok.head)[0] is _S.PROPOSED:
            status, hedged = _S.PROPOSED, True  # "could reach a deal to reopen the crossing"
        poss = [c for c in tok.children if c.dep_ == "poss" and c.pos_ != "PRON"]
        agent = tuple(t.i for t in poss[0].subtree) if poss else ()
        anchor = tok
        while anchor.dep_ == "conj" and anchor.head is not anchor:
            anchor = anchor.head  # "a pledge to X and a commitment to Y": the first one's place
        if not agent and anchor.dep_ == "dobj" and anchor.head.pos_ in ("VERB", "AUX"):
            agent, _, _ = _agent_info(anchor.head)  # "a producer signed a deal to buy"
        elif not agent and anchor.dep_ == "pobj" and anchor.head.head.pos_ in ("VERB", "AUX"):
            agent, _, _ = _agent_info(anchor.head.head)  # "leaders ended a summit with a pledge"
        if not title:
            return None
        return Clause(
            predicate=verb.i,
            governor=tok.i,
            status=status,
            kind=kind,
            restrictive=restrictive,
            agent=agent,
            partner=tuple(sorted(partner)),
            title=tuple(title),
            items=_items(obj),
            hedged=hedged,
            lemma=vlemma,
        )
    # "the suspension of X" / "the lifting of the ban on X"
    head = tok.head
    if tok.dep_ == "pobj" and head.dep_ == "prep" and head.head is not head:
        head = head.head  # "committed to the launch of", "look forward to the launch of"
        if head.pos_ == "ADV" and head.head.pos_ == "VERB":
            head = head.head
    hlemma = _lemma(head)
    if hlemma == "look" and any(c.lower_ == "forward" for c in head.children):
        status = _S.PROPOSED  # "look forward to the launch of a dialogue"
    hedged = False
    if head.pos_ == "VERB":
        if (
            _negated(head)
            or hlemma in lex.negating_verbs
            or (hlemma in lex.empty_verbs and hlemma not in lex.fulfilled_support)
        ):
            return None  # "condemned the launch of a missile", "blocked the opening of"
        mod, _soft = _modal_status(head)
        if (
            hlemma in lex.control
            and tok.dep_ in ("dobj", "pobj")
            and hlemma not in ("announce", "confirm")
        ):
            status = _S(lex.control[hlemma]["status"])
            if status is _S.AGREED and entry["status"] in ("in_progress",):
                status = _S.AGREED
        elif mod is _S.PROPOSED or (
            tok.dep_ in ("nsubj", "nsubjpass")
            and hlemma in lex.control
            and lex.control[hlemma]["status"] == "proposed"
        ):
            status, hedged = _S.PROPOSED, True  # "the resumption of flights is expected in May"
        elif mod is _S.AGREED and tok.dep_ in ("nsubj", "nsubjpass"):
            status = _S.AGREED if entry["status"] in ("in_progress", "fulfilled") else status
    own = lex.content.get(verb_lemma)
    measure = _is_measure(target, verb_lemma, own) or (
        _is_measure(tok, verb_lemma, None) and verb_lemma in ("impose", "expel", "recall", "close")
    )
    restrictive = False
    if own and own.get("change"):
        if measure:
            restrictive = True
        elif entry["status"] == "paused" and _service_object(target):
            status, restrictive = (_S.IN_PROGRESS if status is _S.PAUSED else status), True
    elif verb_lemma in ("impose", "expel", "recall", "close"):
        restrictive = True
        measure = True
    elif (
        own
        and own.get("past") == "in_progress"
        and _service_object(target)
        and status is _S.IN_PROGRESS
    ):
        status, restrictive, measure = _S.REVERSED, True, True
    partner = _partner_tokens(list(tok.subtree))
    title = _title_tokens(target, None, partner)
    if not title:
        return None
    kind = _kind(verb_lemma, target, own, measure and restrictive)
    poss = [c for c in tok.children if c.dep_ == "poss"]
    agent = tuple(t.i for t in poss[0].subtree) if poss else ()
    if not agent and head.pos_ == "VERB" and tok.dep_ in ("dobj",):
        agent, _, _ = _agent_info(head)
    return Clause(
        predicate=tok.i,
        governor=head.i if head.pos_ == "VERB" else tok.i,
        status=status,
        kind=kind,
        restrictive=restrictive,
        agent=agent,
        partner=tuple(sorted(partner)),
        title=tuple(title),
        items=_items(target),
        hedged=hedged,
        lemma=verb_lemma,
    )


_TOPIC_PREPS = frozenset({"on", "about", "over", "regarding", "concerning", "towards", "toward"})
"""Prepositions that give talks a subject matter ("negotiations on a pact")."""

_BE = frozenset({"is", "are", "was", "were", "be", "been", "being", "'re", "'s"})

_ASPECTUAL = frozenset({"resume", "restart", "begin", "start", "continue", "commence", "proceed"})
"""Aspectual verbs whose subject can be the commitment itself ("flights will resume")."""

_KEPT_STATES = {
    "suspend": "paused",
    "suspended": "paused",
    "freeze": "paused",
    "frozen": "paused",
    "close": "in_progress",
    "closed": "in_progress",
    "ban": "in_progress",
    "banned": "in_progress",
    "force": "in_progress",
    "place": "in_progress",
    "effect": "in_progress",
    "halt": "paused",
    "halted": "paused",
    "shut": "in_progress",
    "open": "in_progress",
    "operational": "in_progress",
}
"""What "remain / stay / keep ... X" says of its object."""


@cache
def _commitment_nouns() -> frozenset[str]:
    """Nouns that name a commitment (agreements, talks, measures, cooperative undertakings)."""
    lex = predicates()
    return (
        lex.agreement_nouns
        | lex.talks_nouns
        | lex.measure_nouns
        | lex.cooperative_objects
        | lex.activity_nouns
        | {"truce", "ceasefire", "moratorium"}
    )


@cache
def _state_words() -> frozenset[str]:
    """Last words of the lexicon's state phrases ("under way", "in operation", "on hold")."""
    return frozenset(p.split()[-1] for p in predicates().state_predicates)


def _state_clause(tok: Token, lemma: str) -> Clause | None:
    """State predicates: "the pipeline is under way", "the ban took effect", "the talks were put
    on hold", "the pact came into force": the subject is the commitment."""
    lex = predicates()
    status: CommitmentStatus | None = None
    verb = tok
    if lemma in ("remain", "stay", "keep") and tok.pos_ in ("VERB", "AUX"):
        comp = [
            c
            for c in tok.children
            if c.dep_ in ("acomp", "oprd", "xcomp", "ccomp") and c.lemma_.lower() in _KEPT_STATES
        ]
        if not comp and lemma == "keep":
            # the parser may hang "suspended" on the last noun: "keep its levy on goods
            # suspended"
            comp = [
                c
                for c in tok.subtree
                if c.i > tok.i
                and c.dep_ in ("acl", "amod", "oprd")
                and c.tag_ in ("VBN", "JJ")
                and c.lemma_.lower() in _KEPT_STATES
                and c.i == c.head.i + 1
                and c.right_edge.i == c.i
            ]
        if not comp:
            return None
        state = _KEPT_STATES[comp[0].lemma_.lower()]
        head = next(
            (
                c
                for c in tok.children
                if c.dep_ in (("dobj",) if lemma == "keep" else ("nsubj", "nsubjpass"))
            ),
            None,
        )
        if head is None and lemma == "keep":
            head = next((c for c in comp[0].children if c.dep_ in ("nsubj", "nsubjpass")), None)
        if head is None or head.pos_ not in ("NOUN", "PROPN"):
            return None
        measure = _is_measure(head, "", None)
        if state == "paused" and not measure and _service_object(head):
            status, measure = _S.IN_PROGRESS, True
        elif state == "paused" and measure:
            status = _S.PAUSED
        else:
            status = _S(state)
        mod, _soft = _modal_status(tok)
        if comp[0].lemma_.lower() in ("open", "operational") and not measure:
            if mod is None:
                return None  # "the bridge remains open": no news of an undertaking
            status = mod  # "the bridge will stay open to pedestrians": agreed
        title = _title_tokens(head, None, set())
        if not title or head.lemma_.lower() in lex.empty_objects:
            return None
        return Clause(
            predicate=tok.i,
            governor=tok.i,
            status=status,
            kind=_kind("", head, None, measure),
            restrictive=measure,
            agent=_agent_info(tok)[0] if lemma == "keep" else (),
            partner=tuple(sorted(_partner_tokens(list(tok.subtree)))),
            title=tuple(title),
            lemma=lemma,
        )
    if lemma in lex.state_verbs and tok.pos_ == "VERB":
        spec = lex.state_verbs[lemma]
        objs = {c.lower_ for c in tok.subtree if c.i > tok.i and c.i <= tok.i + 4}
        if spec["objects"] and not objs & set(spec["objects"]):
            return None
        status = _S(spec["status"])
    else:
        phrase = None
        for words, st in lex.state_predicates.items():
            parts = words.split()
            last = parts[-1]
            if tok.lower_ == last and tok.i >= len(parts) - 1:
                window = [t.lower_ for t in tok.doc[tok.i - len(parts) + 1 : tok.i + 1]]
                if window == parts:
                    phrase = st
                    break
        if phrase is None:
            return None
        status = _S(phrase)
        verb = tok.head
        while verb.dep_ in ("pobj", "prep", "advmod", "acomp", "attr") and verb.head is not verb:
            verb = verb.head
        if verb.dep_ == "dobj" and _lemma(verb.head) in ("put", "place"):
            verb = verb.head  # "put its purchase of howitzers on ice" (hung on the object)
    if verb.pos_ not in ("VERB", "AUX") or _negated(verb):
        return None
    subj = [c for c in verb.children if c.dep_ in ("nsubj", "nsubjpass")]
    control: Token | None = None
    if not subj and lemma in _ASPECTUAL and verb.dep_ == "xcomp":
        # "work on the pipeline is expected to start in 2027": the governor's subject, status
        inherited = _subject(verb)
        if inherited is None or _lemma(verb.head) not in (*lex.control, "be"):
            return None
        subj, control = [inherited], verb.head
    agent: tuple[int, ...] = ()
    put = [c for c in verb.children if c.dep_ == "dobj" and c.pos_ in ("NOUN", "PROPN")]
    if put and _lemma(verb) in ("put", "place", "keep", "leave"):
        # "Ottawa has put the talks on hold": the object is the commitment, the subject acts
        agent = tuple(t.i for t in subj[0].subtree) if subj else ()
        subj = put
    if not subj or (
        subj[0].pos_ not in ("NOUN", "PROPN")
        and not subj[0].tag_.startswith("NN")
        and subj[0].lower_ not in _commitment_nouns()  # "Work on the pipeline", tagged a verb
    ):
        return None
    head = subj[0]
    if head.lemma_.lower() in lex.empty_objects and not (
        head.lower_ == "work" and any(c.lower_ == "on" for c in head.children)
    ):
        return None
    wanted = lex.state_verbs.get(lemma, {}).get("subjects") if verb is tok else None
    if wanted == "commitment" and not (_object_words(head) & _commitment_nouns()):
        return None  # "oil prices collapsed": not an agreement collapsing
    if isinstance(wanted, list) and not (_object_words(head) & set(wanted)):
        return None  # "a team of engineers arrived"; a minister arriving is a visit
    if head.i in _ACTORS:
        return None
    mod, _soft = _modal_status(verb if control is None else control)
    hedged = False
    if control is not None and _lemma(control) in lex.control:
        cstatus = lex.control[_lemma(control)]["status"]
        if cstatus == "negated" or _negated(control):
            return None
        status, hedged = _S(cstatus), cstatus == "proposed"
    elif control is not None:
        status = _S.AGREED  # "talks are to resume next month": arranged
    if mod is _S.PROPOSED:
        status, hedged = _S.PROPOSED, True
    elif mod is _S.AGREED and status is _S.IN_PROGRESS and _lemma(verb) not in ("remain", "stay"):
        status = _S.AGREED  # "the pact will come into force"; "will remain in force": in force
    measure = _is_measure(head, "", None)
    partner = _partner_tokens(list(head.subtree))
    title = _title_tokens(head, None, partner)
    if title and _is_generic_title(head.doc, title):
        title = _with_verb_preps(verb, head, title)
    if not title:
        return None
    kind = _kind("", head, None, measure)
    if lemma == "continue" and status in (_S.AGREED, _S.IN_PROGRESS):
        # "talks will continue": still being discussed; "shipments would continue": going on
        status = _S.UNDER_DISCUSSION if kind is CommitmentKind.TALKS else _S.IN_PROGRESS
    return Clause(
        predicate=verb.i,
        governor=verb.i,
        status=status,
        kind=kind,
        restrictive=measure,
        agent=agent,
        partner=tuple(sorted(partner)),
        title=tuple(title),
        items=_items(head),
        hedged=hedged,
        lemma=lemma,
    )
