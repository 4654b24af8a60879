"""Rule-based extraction of commitment and engagement observations from one inbound event.

Pipeline per event (pure, deterministic):

1. sentences (spaCy sentencizer, headings skipped) and actor mentions (gazetteer);
2. the document's dyad: the two countries most mentioned (body and headline, one vote a mention),
   with the publisher's ``countries`` hint and a statement's ``issuer_country`` as two votes each;
   no second country -> no observation at all;
3. per sentence: an explicit denial is cut out and remembered; a negated sentence yields no
   commitment; the main signal (signals.main_signal) needs a government agent right before it
   (a country, capital, institution, official, "the two sides", "they" = the previous sentence's
   actors; not one inside a prepositional phrase; "X met ... and agreed" keeps X) unless the
   signal is nominal; a passive or state-change signal (lexicon ``subject``) with no agent takes
   the sentence's subject as the commitment ("An agreement on X was signed"); the object (the
   words after the signal, to the clause end, without the partner phrase "with Japan") gives
   title, key terms, topics and kind; agreement lists are split per subject ("agreements covering
   uranium, energy and critical minerals" -> three observations);
4. visits: a visit or trip by a leader or minister (gazetteer ``visit_ranks``), named or known by
   country and title ("Japan's Foreign Minister", "the minister"), to the other country is a
   ``visit`` commitment keyed by who-terms, destination and origin; one reported as having taken
   place only updates (``may_create`` false) and is also an engagement;
5. meetings, calls and talks that took place are engagements, titled by who met.

Confidence of a commitment observation (0..1, three decimals) =
``ATTRIBUTION_WEIGHT[attribution] * STATUS_FIRMNESS[signal] * (0.75 if hedged) * (0.9 if the
agent is implicit)``; e.g. an official statement that two sides agreed: 0.9; unnamed sources on a
likely plan: 0.45 * 0.85 * 0.75 = 0.287.
"""

from __future__ import annotations

import calendar
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cache
from typing import Any

from spacy.tokens import Doc, Token

from schemas.common import CommitmentStatus, Direction, Due, Topic, make_dyad
from schemas.events import NewsArticle, OfficialStatement, StatementKind
from schemas.observations import (
    Attribution,
    CommitmentKind,
    CommitmentObservation,
    EngagementObservation,
    Evidence,
)
from service.domain.extraction.actors import Mention, gazetteer
from service.domain.extraction.clauses import TIME_WORDS, Clause, clauses, predicates, subject_of
from service.domain.extraction.dates import find_dues
from service.domain.extraction.parse import is_candidate, parse
from service.domain.extraction.resources import compile_pattern, load
from service.domain.extraction.sentences import LIST_ITEM, Sentence, _masked, nlp, split
from service.domain.extraction.signals import (
    Signal,
    attribution,
    denial,
    engagement,
    find_signals,
    is_hedged,
    is_negated,
    lexicon,
    main_signal,
)
from service.domain.extraction.topics import key_terms, topics_for

__all__ = ["ATTRIBUTION_WEIGHT", "STATUS_FIRMNESS", "extract"]

ATTRIBUTION_WEIGHT: dict[Attribution, float] = {
    Attribution.OFFICIAL_STATEMENT: 0.9,
    Attribution.NAMED_OFFICIAL: 0.8,
    Attribution.OFFICIALS: 0.7,
    Attribution.GOVERNMENT_SOURCES: 0.6,
    Attribution.REPORT: 0.55,
    Attribution.UNNAMED_SOURCES: 0.45,
}
"""How much a mention is worth by whom it is attributed to (strongest first)."""

STATUS_FIRMNESS: dict[CommitmentStatus, float] = {
    CommitmentStatus.PROPOSED: 0.85,
    CommitmentStatus.UNDER_DISCUSSION: 0.95,
}
"""Discount of soft statuses; every other status is firm (1.0)."""

HEDGE_FACTOR = 0.75
IMPLICIT_AGENT_FACTOR = 0.9

_DETERMINER = re.compile(r"^(?:the|their|its|a|an)\s+", re.I)
_NO_DUE = frozenset(
    {CommitmentStatus.FULFILLED, CommitmentStatus.PAUSED, CommitmentStatus.REVERSED}
)
"""Statuses that report a past change: a date in their sentence is when it happened, not a due."""


@dataclass
class _Doc:
    event: NewsArticle | OfficialStatement
    dyad: tuple[str, str]
    published: date
    mentions: list[Mention]
    names: dict[str, str] = field(default_factory=dict)
    visit_due: dict[str, Due] = field(default_factory=dict)
    last_visit_due: Due | None = None
    prev_countries: set[str] = field(default_factory=set)
    prev_actor_countries: list[str] = field(default_factory=list)
    ranking: list[str] = field(default_factory=list)
    first_official: list[str] = field(default_factory=list)


@dataclass
class _Draft:
    kind: str  # "commitment" | "engagement"
    fields: dict[str, Any]
    dyad: tuple[str, str] | None = None


def _country_votes(
    event: NewsArticle | OfficialStatement, mentions: list[Mention]
) -> tuple[tuple[str, str] | None, list[str]]:
    """The article's fallback pair (its two most-mentioned countries) and every country it
    names, most-mentioned first."""
    votes: Counter[str] = Counter()
    first: dict[str, int] = {}
    for m in mentions:
        if m.country and m.kind != "city":  # a city names a place, not a party
            votes[m.country] += 1
            first.setdefault(m.country, m.start)
    if event.headline:
        for m in gazetteer().mentions(nlp()(event.headline), offset=-1):
            if m.country and m.kind != "city":
                votes[m.country] += 1
                first.setdefault(m.country, len(event.body) + 1)
    hints = list(event.countries or [])
    if isinstance(event, OfficialStatement):
        hints.append(event.issuer_country)
    for code in hints:
        votes[code] += 2
        first.setdefault(code, len(event.body) + 2)
    ranked = sorted(votes, key=lambda c: (-votes[c], first[c]))
    if len(ranked) == 1:
        # one country named: a city of another may name the partner ("a port in Davao")
        cities = [m.country for m in mentions if m.kind == "city" and m.country != ranked[0]]
        if cities:
            ranked.append(Counter(cities).most_common(1)[0][0])
    if len(ranked) < 2:
        return None, ranked
    a, b = ranked[0], ranked[1]
    return ((a, b) if a < b else (b, a)), ranked


def _in_sentence(mentions: list[Mention], sent: Sentence) -> list[Mention]:
    return [m for m in mentions if sent.start <= m.start and m.end <= sent.end]


def _confidence(attr: Attribution, status: CommitmentStatus, hedged: bool, implicit: bool) -> float:
    value = ATTRIBUTION_WEIGHT[attr] * STATUS_FIRMNESS.get(status, 1.0)
    if hedged:
        value *= HEDGE_FACTOR
    if implicit:
        value *= IMPLICIT_AGENT_FACTOR
    return round(min(max(value, 0.01), 0.99), 3)


def _due_for(sent: Sentence, signal: Signal | None, published: date) -> Due | None:
    dues = find_dues(sent.text, published)
    if signal is not None and signal.coordinated and signal.obj is not None:
        own = [d for d in dues if d.start >= signal.obj[0]]
        return own[0].due if own else None
    if not dues:
        return None
    if signal is not None:
        after = [d for d in dues if d.start >= signal.end]
        if after:
            return after[0].due
    return dues[-1].due


def _evidence(doc: _Doc, sent: Sentence, attr: Attribution, hedged: bool) -> Evidence:
    event = doc.event
    return Evidence(
        event_id=event.event_id,
        source=event.source.name,
        source_kind=event.source.kind,
        published_at=event.published_at,
        sentence=sent.text,
        span=(sent.start, sent.end),
        attribution=attr,
        hedged=hedged,
    )


_GENERIC_ROLES = frozenset({"minister", "secretary", "official", "spokesperson"})
"""Office titles too vague to tell two visitors of one country apart ("the minister")."""


def visitor_terms(m: Mention) -> list[str]:
    """Who-terms of a visitor: the family name and the office title (``foreign_minister``).

    "Prime Minister Mark Carney" -> ``["carney", "prime_minister"]``; "the minister" -> ``[]``
    (any minister of that country). domain.identity keeps two visits apart when both have
    who-terms and share none.
    """
    out: list[str] = []
    if m.name and m.surname:
        out.append(m.surname.replace(" ", "_"))
    if m.role and m.role not in _GENERIC_ROLES:
        out.append(m.role.replace(" ", "_"))
    return out


def _visit_title(visitor: Mention, country: str, dest: str) -> str:
    gaz = gazetteer()
    if visitor.name:
        who = visitor.name
    else:
        role = " ".join(w.capitalize() for w in (visitor.role or "official").split())
        who = f"{gaz.demonym(country)} {role}".strip()
    return f"{who}'s visit to {gaz.country_name(dest)}"


def _visits(
    doc: _Doc,
    sent: Sentence,
    text: str,
    local: list[Mention],
    signal: Signal | None,
    attr: Attribution,
    hedged: bool,
    deny: CommitmentStatus | None,
) -> list[_Draft]:
    """Visit commitments of one sentence: a leader or minister travelling to the other country.

    The visitor is the official named right after the trigger ("a visit by ...") or the last one
    before it; one without a country ("the minister", "the President's visit") is from the dyad's
    other country. Key terms: who-terms (``visitor_terms``), the destination code and
    ``from_<visitor code>``.
    """
    spec = lexicon()["visit"]
    trigger = compile_pattern(spec["trigger"])
    gaz = gazetteer()
    out: list[_Draft] = []
    seen: set[tuple[str, ...]] = set()
    people = [m for m in local if m.kind in ("person", "official") and m.rank in gaz.visit_ranks]
    for t in trigger.finditer(text):
        visitor: Mention | None = None
        if t.group(0).lower().startswith("invit"):
            # "invited the Iranian foreign minister to Riyadh": the guest follows the verb
            guests = [m for m in people if 0 <= m.start - sent.start - t.end() <= 40]
            if not guests:
                continue
            visitor = guests[0]
        for m in [] if visitor is not None else people:
            rel = m.start - sent.start
            if rel >= t.end() and re.fullmatch(r"\s*(?:by|of)\s+(?:the\s+)?", text[t.end() : rel]):
                visitor = m
                break
        if visitor is None:
            earlier = [
                m
                for m in people
                if m.end - sent.start <= t.start() and t.start() - (m.end - sent.start) <= 60
            ]
            visitor = earlier[-1] if earlier else None  # near the trigger, not an aside
        if visitor is None or (visitor.country is not None and visitor.country not in doc.dyad):
            continue
        dest: Mention | None = None
        places = [
            m
            for m in local
            if m.kind in ("country", "capital", "city")
            and m.country in doc.dyad
            and m.country != visitor.country
            and not (visitor.start <= m.start < visitor.end)
        ]
        after = [m for m in places if m.start - sent.start >= t.start()]
        # "visit to Tokyo", or the place before the trigger: "is expected in Nairobi for a
        # state visit"
        before = [m for m in places if m.end <= visitor.start or m.start >= visitor.end]
        if after:
            dest = after[0]
        elif before:
            dest = before[-1]
        if dest is None or dest.country is None:
            continue
        origin = visitor.country or next(c for c in doc.dyad if c != dest.country)
        who = visitor_terms(visitor)
        key = (*who, origin, dest.country)
        if key in seen:
            continue
        seen.add(key)
        cue = text[max(0, t.start() - 30) : t.end()]
        if signal is not None:
            status = signal.status
        elif re.match(r"head(?:s|ing)\b", t.group(0), re.I):
            status = CommitmentStatus.AGREED  # "the minister heads to Manila on Sunday"
        elif compile_pattern(spec["fulfilled"]).search(t.group(0)):
            status = CommitmentStatus.FULFILLED
        elif compile_pattern(spec["proposed"]).search(cue) or _EXPECTED.search(text[: t.start()]):
            status = CommitmentStatus.PROPOSED
        else:
            continue
        if (
            status is CommitmentStatus.PROPOSED
            and _FIRM_TRIP.search(text[: t.end()])
            and not (compile_pattern(spec["hedged"]).search(text[: t.end()]))
        ):
            status = CommitmentStatus.AGREED  # "will travel to Washington next week"
        due_key = f"{origin}>{dest.country}"
        due = None if status in _NO_DUE else _due_for(sent, signal, doc.published)
        if due is not None:
            doc.visit_due[due_key] = due
        else:
            due = doc.visit_due.get(due_key)
        if due is not None and status is not CommitmentStatus.FULFILLED:
            doc.last_visit_due = due
        visit_hedged = hedged or bool(compile_pattern(spec["hedged"]).search(cue))
        out.append(
            _Draft(
                "commitment",
                {
                    "kind": CommitmentKind.VISIT,
                    "title": _visit_title(visitor, origin, dest.country),
                    "key_terms": [*who, dest.country, f"from_{origin.lower()}"],
                    "parties": sorted({origin, dest.country}),
                    "topics": [Topic.DIPLOMACY],
                    "signal": status,
                    "denies": deny,
                    "due": due,
                    "may_create": status is not CommitmentStatus.FULFILLED,
                    "evidence": _evidence(doc, sent, attr, visit_hedged),
                    "confidence": _confidence(attr, status, visit_hedged, False),
                },
            )
        )
    return out


def _engagement(
    doc: _Doc, sent: Sentence, text: str, local: list[Mention], attr: Attribution
) -> _Draft | None:
    cue = engagement(text)
    if cue is None:
        return None
    countries = {m.country for m in local if m.country and m.kind != "city"} | (
        set(doc.dyad) if any(m.kind == "collective" for m in local) else set()
    )
    if not set(doc.dyad) <= countries:
        return None
    participants: list[str] = []
    for m in local:
        if m.kind in ("person", "official") and m.name and m.name not in participants:
            participants.append(m.name)
    kind = cue[0]
    title = _engagement_title(kind, text, cue[2], participants)
    return _Draft(
        "engagement",
        {
            "kind": kind,
            "title": title[:300],
            "participants": participants,
            "evidence": _evidence(doc, sent, attr, False),
        },
    )


_ENGAGEMENT_NOUN = {"talks": "talks", "meeting": "meeting", "call": "call", "visit": "visit"}
_ENGAGEMENT_STOP = re.compile(
    r"[,;:.]|\s(?:for|to discuss|to review|on (?:monday|tuesday|wednesday|thursday|friday|saturday"
    r"|sunday)|from|under|amid|after|as|which|where|and (?:agreed|said|discussed|decided))\b",
    re.I,
)


def _display_surname(name: str) -> str:
    known = gazetteer().surnames.get(name)
    if known:
        for word in name.split():
            if word.lower() == known.split()[0]:
                return known.title() if " " in known else word
    return name.split()[-1]


def _engagement_title(kind: str, text: str, cue_end: int, participants: list[str]) -> str:
    """Who met and what: "Doval – Drouin talks" when two people are named, else the clause
    itself up to the place ("Foreign and defence ministers of Australia and Japan met in
    Sydney")."""
    if len(participants) >= 2:
        who = " – ".join(_display_surname(p) for p in participants[:3])
        return f"{who} {_ENGAGEMENT_NOUN.get(kind, kind)}"
    stop = _ENGAGEMENT_STOP.search(text, cue_end)
    clause = text[: stop.start() if stop else len(text)].strip()
    clause = re.sub(r"^(?:the|a|an)\s+", "", clause, flags=re.I)
    words = clause.split()
    if len(words) > 18:
        clause = " ".join(words[:18]) + " …"
    return clause[:1].upper() + clause[1:] if clause else f"{kind}"


def _default_attribution(event: NewsArticle | OfficialStatement) -> Attribution:
    if isinstance(event, OfficialStatement):
        return Attribution.OFFICIAL_STATEMENT
    return Attribution.REPORT


def extract(
    event: NewsArticle | OfficialStatement,
) -> list[CommitmentObservation | EngagementObservation]:
    """Commitment and engagement observations of one inbound event, in text order.

    ``observation_id`` is ``{event_id}#{n}`` with n the index in the returned list. Returns ``[]``
    when the event does not name two countries. Never raises on odd text.
    """
    lines, sentences = split(event.body)
    gaz = gazetteer()
    mentions: list[Mention] = []
    for line in lines:
        mentions.extend(gaz.mentions(line.doc, line.offset))
    dyad, ranking = _country_votes(event, mentions)
    if dyad is None:
        return []
    doc = _Doc(
        event=event,
        dyad=dyad,
        published=event.published_at.date(),
        mentions=mentions,
        ranking=ranking,
    )
    doc.first_official = [
        m.country for m in mentions if m.kind in ("person", "official") and m.country
    ][:1]
    for m in mentions:
        if m.kind in ("person", "official") and m.name and m.country:
            for word in m.name.lower().split():
                doc.names.setdefault(word.strip(".,"), m.country)
    locals_ = [_in_sentence(mentions, sent) for sent in sentences]
    prepared: list[tuple[int, int] | None] = []
    texts: list[str] = []
    boiler = _boilerplate()
    lead = ""  # "the two sides agreed to:" before a list: each item continues it
    lead_at = 0  # body offset of the lead-in's first character
    lead_actors: list[Mention] = []
    borrowed: dict[int, list[Mention]] = {}  # sentence index -> the lead-in's actors it repeats
    for n, (sent, local) in enumerate(zip(sentences, locals_, strict=True)):
        skip = _line_prefix(sent, event.body)
        text = sent.text[skip:]
        item = LIST_ITEM.match(text)
        carried_lead = ""
        if item and lead and _continues(text[item.end() :]):
            skip += item.end()
            text = text[item.end() :]
            carried_lead = lead
            text = text[:1].lower() + text[1:]  # "- Resume flights": "agreed to resume flights"
            # the lead-in's actors, moved to where the parsed text repeats them
            shift = sent.start + skip - len(carried_lead) - lead_at
            borrowed[n] = [
                replace(m, start=m.start + shift, end=m.end + shift) for m in lead_actors
            ]
        elif item:
            skip += item.end()  # "6. The Vietnamese side announced": parse the sentence only
            text = text[item.end() :]
        else:
            lead = _lead_in(text)
            lead_at = sent.start + skip
            lead_actors = [m for m in local if lead_at <= m.start and m.end <= lead_at + len(lead)]
        if (
            not text.strip()
            or boiler.search(sent.text.strip())
            or text.rstrip().endswith("?")
            or (skip and _QUESTION_LABEL.match(sent.text))
            or not is_candidate(
                carried_lead + text,
                bool(borrowed.get(n)) or any(m.start >= sent.start + skip for m in local),
            )
        ):
            prepared.append(None)
            continue
        prepared.append((skip - len(carried_lead), len(texts)))
        texts.append(_masked(_quiet_asides(carried_lead + text)))
    parsed_docs = list(parse(texts)) if texts else []
    drafts: list[_Draft] = []
    carried: tuple[int, Attribution] | None = None
    speaker: list[str] = []
    issuer = (
        [event.issuer_country]
        if isinstance(event, OfficialStatement)
        and event.statement_kind is not StatementKind.JOINT_STATEMENT
        else []
    )
    for n, (sent, local, prep) in enumerate(zip(sentences, locals_, prepared, strict=True)):
        speakers = [(m.start - sent.start, m.end - sent.start, m.kind) for m in local]
        attr = attribution(sent.text, speakers)
        if attr is not None:
            carried = (sent.line, attr)
        elif carried is not None and carried[0] == sent.line:
            attr = carried[1]
        else:
            attr = _default_attribution(event)
        said = [
            m.country
            for m in local
            if m.country and m.kind in ("person", "official", "institution")
        ]
        if said and _REPORTING.search(sent.text):
            speaker = said[:1]
        elif issuer:
            speaker = issuer  # a ministry's own release or briefing: "we" is its government
        elif not speaker:
            speaker = doc.first_official[:1]
        text = sent.text
        found_denial = denial(text)
        deny = found_denial[2] if found_denial else None
        if found_denial is not None:
            a, b = found_denial[0], found_denial[1]
            text = text[:a] + " " * (b - a) + text[b:]
        if prep is not None:
            trip = _visit_trigger().search(text) is not None
            # the visit rules read the sentence's cue patterns; other sentences need only hedges
            signal = main_signal(find_signals(text)) if trip else None
            hedged = is_hedged(text) or bool(signal and signal.hedged)
            if trip and not is_negated(text, signal):
                visits = _visits(doc, sent, text, local, signal, attr, hedged, deny)
                if not visits and found_denial is not None:
                    # "denied reports that the visit had been postponed": the visit is still on
                    still = Signal(CommitmentStatus.PROPOSED, found_denial[0], found_denial[0])
                    visits = _visits(doc, sent, sent.text, local, still, attr, hedged, deny)
                drafts.extend(visits)
            skip, index = prep
            drafts.extend(
                _syntactic(
                    doc,
                    sent,
                    sent.start + skip,
                    parsed_docs[index],
                    local + borrowed.get(n, []),
                    attr,
                    hedged,
                    deny,
                    found_denial[:2] if found_denial else None,
                    speaker,
                )
            )
        eng = _engagement(doc, sent, text, local, attr)
        if eng is not None:
            drafts.append(eng)
        countries = {m.country for m in local if m.country and m.kind not in ("demonym", "city")}
        if any(m.kind == "collective" for m in local):
            countries |= set(dyad)
        if countries:
            doc.prev_countries = countries
            ordered: list[str] = []
            for m in local:
                if m.country and m.kind not in ("city",) and m.country not in ordered:
                    ordered.append(m.country)
            doc.prev_actor_countries = ordered or list(dyad)
    return _finish(event, dyad, drafts)


def _finish(
    event: NewsArticle | OfficialStatement, dyad: tuple[str, str], drafts: list[_Draft]
) -> list[CommitmentObservation | EngagementObservation]:
    out: list[CommitmentObservation | EngagementObservation] = []
    dyad_text = make_dyad(*dyad)
    for n, draft in enumerate(drafts):
        common = {
            "observation_id": f"{event.event_id}#{n}",
            "event_id": event.event_id,
            "dyad": make_dyad(*draft.dyad) if draft.dyad else dyad_text,
            "event_time": event.published_at,
        }
        if draft.kind == "engagement":
            out.append(EngagementObservation(**common, **draft.fields))
        else:
            out.append(CommitmentObservation(**common, **draft.fields))
    return out


# ---------------------------------------------------------------------------------------------
# syntactic commitments (clauses.py over the trained pipeline's parse)

_DATELINE = re.compile(
    r"^(?:[^\W\d_][^\W\d_.'’ -]*(?:[.'’ -]+[^\W\d_]+){0,4}?)"
    r"(?:,\s*[A-Z][a-z]{2,9}\.?\s+\d{1,2}(?:,?\s+\d{4})?)?"
    r"\s*(?:\([^()]{2,40}\))?\s*(?:[-–—]+|:)\s+(?=[A-Z\"“‘'])"
)
"""A dateline before the first words of a story: "NEW DELHI, March 3 (Example Wire) -",
"Nairobi:". Only its own characters are skipped; offsets stay those of the body."""
_SPEAKER_LABEL = re.compile(r"^(?P<label>[A-Z][\w .'’-]{0,40}?)\s*:\s+(?=\S)")
_QUESTION_LABEL = re.compile(r"^(?:Q|Question|Interviewer|Host|Moderator|Reporter)\b", re.I)
_REPORTING = re.compile(
    r"\b(?:said|says|told|added|stated|announced|according to|spoke|asked)\b", re.I
)
_EXPECTED = re.compile(r"\b(?:is|are|was|were) (?:\w+ )?(?:expected|due|scheduled|set)\b", re.I)
_FIRM_TRIP = re.compile(
    r"\b(?:will|shall)\s+(?:\w+\s+)?(?:travel|visit|fly|go|pay|lead|make)\b", re.I
)
_TALKS_SUBJECTS = frozenset(
    {"talks", "dialogue", "discussions", "negotiations", "consultations", "meeting", "summit"}
)
_TIMEY = TIME_WORDS | {"past", "ago", "era", "century"}
"""Heads of a time phrase: the clause reader's time words and words of the past."""
_REPORTING_LEMMAS = frozenset(
    {"say", "tell", "add", "confirm", "announce", "state", "report", "note", "insist"}
)
_PAST_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
_PRONOUNS = frozenset({"they", "it", "he", "she", "we", "i", "us", "them", "both"})


@cache
def _visit_trigger() -> re.Pattern[str]:
    """The lexicon's visit trigger (``lexicon.json`` visit.trigger), compiled once."""
    return compile_pattern(lexicon()["visit"]["trigger"])


@cache
def _boilerplate() -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in load("predicates")["boilerplate"]), re.I)


_LEAD_VERB = re.compile(
    r"^(?P<head>.*?\b(?:agreed|decided|committed|pledged|undertook|resolved|vowed|promised|"
    r"will|would|shall|intend|plan|are to)\b)(?:\s+(?:to|on|upon)\b)?[^:]*:\s*$",
    re.I | re.S,
)


_ASIDE = re.compile(
    r"(?<=\w), (?:with (?:immediate )?effect(?: from [^,]{1,40})?|as (?:of|from) [^,]{1,40}|"
    r"effective (?:from |as of )?[^,]{1,40}|in turn|for (?:its|their|his|her|our) part|"
    r"in principle|at long last|once again|among other things),(?= )",
    re.I,
)
"""Inserted adverbial phrases that separate a verb from its object ("lifted, with immediate
effect, the ban"; "decided to rescind, as of 1 March, the restrictions"); the parser attaches
the object elsewhere when they stay."""


def _quiet_asides(text: str) -> str:
    """``text`` with inserted adverbial phrases (``_ASIDE``) blanked by spaces, so character
    offsets stay those of ``text``."""
    return _ASIDE.sub(lambda m: " " * len(m.group(0)), text)


def _continues(item: str) -> bool:
    """True when a list item continues its lead-in: it starts with a verb of the lexicon or a
    lowercase word ("- resume direct flights", "- Establish a joint commission")."""
    first = item.split(maxsplit=1)[0].strip(",;:") if item.strip() else ""
    if not first:
        return False
    lex = predicates()
    return first[:1].islower() or first.lower() in lex.content or first.lower() in lex.control


def _lead_in(text: str) -> str:
    """The words a list's items continue, from the sentence that opens it ("The two sides agreed
    to:" -> "The two sides agreed to "), or "" when ``text`` opens no list of undertakings."""
    if not text.rstrip().endswith(":") or len(text) > 400:
        return ""  # a lead-in is one short sentence ending in a colon (bounds the match's cost)
    m = _LEAD_VERB.match(text)
    if m is None:
        return ""
    head = m.group("head")
    if head.lower().endswith(("will", "would", "shall", "are to")):
        return head + " "
    return head + " to "


def _line_prefix(sent: Sentence, body: str) -> int:
    """Characters of ``sent`` to skip before parsing: a dateline or a speaker label."""
    text = sent.text
    at_line_start = sent.start == 0 or body[sent.start - 1] == "\n"
    if not at_line_start:
        return 0
    m = _DATELINE.match(text)
    if m and len(m.group(0).split()) <= 9:
        return m.end()
    m = _SPEAKER_LABEL.match(text)
    if m and len(m.group("label").split()) <= 4:
        return m.end()
    return 0


def _actor_tokens(
    parsed: Doc, base: int, local: list[Mention]
) -> tuple[set[int], dict[int, Mention]]:
    """Token indices of the parsed sentence covered by actor mentions (``base``: the body offset
    of the parsed text), and each token's mention."""
    out: set[int] = set()
    owner: dict[int, Mention] = {}
    for m in local:
        span = parsed.char_span(m.start - base, m.end - base, alignment_mode="expand")
        if span is None:
            continue
        for t in span:
            out.add(t.i)
            owner[t.i] = m
    return out, owner


def _countries_of(indices: Iterable[int], owner: dict[int, Mention]) -> tuple[list[str], bool]:
    """Countries named by tokens ``indices`` (text order, no repeats) and whether a collective
    ("the two sides") is among them."""
    out: list[str] = []
    collective = False
    for i in sorted(indices):
        m = owner.get(i)
        if m is None:
            continue
        if m.kind == "collective":
            collective = True
        elif m.country and m.country not in out and m.kind != "pronoun":
            out.append(m.country)
    return out, collective


def _other_party(doc: _Doc, country: str, sentence_countries: list[str]) -> str | None:
    """The fallback partner of ``country``: another country of the sentence, else of the
    article's pair, else the article's most-mentioned other country."""
    for c in sentence_countries:
        if c != country:
            return c
    if country in doc.dyad:
        return doc.dyad[0] if doc.dyad[1] == country else doc.dyad[1]
    for c in doc.ranking:
        if c != country:
            return c
    return None


def _clause_dyads(
    doc: _Doc,
    clause: Clause,
    owner: dict[int, Mention],
    parsed: Doc,
    sentence_countries: list[str],
    speaker: list[str],
) -> list[tuple[tuple[str, str], list[str]]] | None:
    """The dyad(s) and parties of one clause, or None when its agent is not a government.

    Agent countries come from the subject (a pronoun: the previous sentence's actors; "we": the
    speaker); the partner from actor phrases inside the clause ("with Japan", "on Australian
    barley"; a city only when it is the predicate's own destination: "send troops to Goma").
    Two agents give their own pair, except when the predicate itself is directed at a third
    country ("France and Germany pledged to help Ukraine"): then one commitment per agent.
    """
    agent_tokens = [i for i in clause.agent if i not in clause.title]
    words = {parsed[i].lower_ for i in agent_tokens}
    if any(
        parsed[i].lower_ == "state"
        and i + 1 in agent_tokens
        and parsed[i + 1].lower_ in ("government", "governments", "authorities")
        for i in agent_tokens
    ):
        return None  # "the state government of Chiapas": not the national government
    if words & _not_national():
        return None  # a province, a company, analysts, a multilateral group: not a party
    if agent_tokens and not _government_head(parsed, agent_tokens, owner):
        return None  # "Japan's Sumitomo Metal Mining", "Fiji Airways", "UK institutions"
    scope = _scope_countries(parsed, clause, owner)
    agents, collective = _countries_of(agent_tokens, owner)
    if not agents and _plural_government(parsed, agent_tokens):
        collective = True  # "the defence ministers will sign": the two sides' ministers
    if not agents and words & _TALKS_SUBJECTS:
        collective = True  # "the dialogue focused on ...": both parties to it
    direct = _direct_partners(parsed, clause)
    if len(agents) >= 2:
        # "the two agreed in Montevideo": where they met, not whom they committed to
        direct = {
            i
            for i in direct
            if not (
                i in owner
                and owner[i].kind in ("capital", "city")
                and parsed[i].head.lower_ in ("in", "at")
            )
        }
    only_one = len(set(sentence_countries) - set(agents)) == 0
    partner_idx = [
        i
        for i in clause.partner
        if i not in agent_tokens
        and (i not in owner or owner[i].kind != "city" or i in direct or only_one)
        and (i not in owner or owner[i].kind != "person")  # a bare surname names no partner
    ]
    partners, partner_collective = _countries_of(partner_idx, owner)
    direct_partners, _ = _countries_of([i for i in partner_idx if i in direct], owner)
    if any(parsed[i].lower_ == "other" for i in partner_idx):
        partner_collective = True
    if agent_tokens and not agents and not collective:
        if clause.first_person:
            agents = list(speaker)
        elif words & _PRONOUNS:
            sayer = _sayer_countries(parsed, min(agent_tokens), owner)
            if not sayer and not _pronoun_is_government(parsed, min(agent_tokens), doc, owner):
                return None
            agents = sayer or [c for c in doc.prev_actor_countries]
            if len(agents) >= 2:
                collective = True
                agents = []
        elif not (words & _GOV_WORDS) and not any(
            parsed[i].lower_ in doc.names for i in agent_tokens
        ):
            return None
        elif (
            not partners
            and not scope
            and not (not sentence_countries and _bilateral().search(_clause_text(parsed, clause)))
        ):
            return None  # "police deployed officers": no country in sight, no bilateral act
        elif not partners and not scope:
            return [(doc.dyad, sorted(doc.dyad))]  # "officials will set up a joint desk"
        elif len(scope) == 1 and not any(parsed[i].lower_ in doc.names for i in agent_tokens):
            agents = list(scope)  # "Back in Wellington, the minister announced"
        else:
            agents = [
                doc.names[parsed[i].lower_] for i in agent_tokens if parsed[i].lower_ in doc.names
            ][:1]
    partners = [p for p in partners if p not in agents]
    direct_partners = [p for p in direct_partners if p not in agents]
    if collective or (partner_collective and len(agents) < 2):
        named = agents + direct_partners
        if not named and not set(sentence_countries) & set(doc.dyad):
            # "the Parties decided ..." beside third countries: the article's own two
            return [(doc.dyad, sorted(doc.dyad))]
        pair = _pair_from(doc, named, sentence_countries)
        return [(pair, sorted(set(pair)))] if pair else None
    if len(agents) >= 2:
        if direct_partners:
            return [(_sorted_pair(a, direct_partners[0]), [a]) for a in agents]
        pair = _sorted_pair(agents[0], agents[1])
        return [(pair, sorted(pair))]
    if len(agents) == 1:
        if (
            not partners
            and not clause.restrictive
            and not (doc.event.countries and agents[0] in doc.dyad)
            and not [c for c in scope if c != agents[0]]
            and not _bilateral().search(_clause_text(parsed, clause))
        ):
            return None  # one government acting with no other country in sight: domestic
        listed = _coordinated_countries(parsed, partner_idx, owner, agents)
        if len(listed) >= 2:
            # "banned imports from Malawi and South Africa": one measure toward each
            return [(_sorted_pair(agents[0], p), [agents[0]]) for p in listed]
        other = partners[0] if partners else _other_party(doc, agents[0], sentence_countries)
        if other is None or other == agents[0]:
            return None
        return [(_sorted_pair(agents[0], other), [agents[0]])]
    # no agent named: a passive or a nominalisation
    if (
        not partners
        and not agent_tokens
        and clause.kind not in (CommitmentKind.AGREEMENT, CommitmentKind.TALKS)
        and len(scope) == 1
        and not _bilateral().search(_clause_text(parsed, clause))
    ):
        return None  # "tenders would be launched" in a sentence about one country: domestic
    pair = _pair_from(doc, partners, sentence_countries)
    return [(pair, sorted(pair))] if pair else None


_GOV_KINDS = frozenset({"country", "capital", "institution", "person", "official", "collective"})


def _government_head(parsed: Doc, agent_tokens: list[int], owner: dict[int, Mention]) -> bool:
    """True when the head of the subject (or of one of its conjuncts) speaks for a government:
    an actor of a government kind, a government word ("officials", "the ministry") or a
    pronoun; not a company or a body merely named after a country ("Fiji Airways")."""
    inside = set(agent_tokens)
    heads = [
        parsed[i] for i in agent_tokens if parsed[i].head.i not in inside or parsed[i].head.i == i
    ]
    for h in list(heads):
        heads.extend(c for c in h.conjuncts if c.i in inside)
    for h in heads:
        m = owner.get(h.i)
        if m is not None and m.kind in _GOV_KINDS:
            return True
        if h.lower_ in _GOV_WORDS or h.lower_ in _PRONOUNS or h.lemma_.lower() in _GOV_WORDS:
            return True
    return False


@cache
def _bilateral() -> re.Pattern[str]:
    return re.compile(load("predicates")["bilateral_pattern"], re.I)


@cache
def _not_bilateral() -> re.Pattern[str]:
    return re.compile(load("predicates")["not_bilateral_pattern"], re.I)


def _clause_text(parsed: Doc, clause: Clause) -> str:
    """The words of a clause's predicate phrase (its governor's subtree)."""
    gov = parsed[clause.governor]
    pred = parsed[clause.predicate]
    lo = min(gov.left_edge.i, pred.left_edge.i)
    hi = max(gov.right_edge.i, pred.right_edge.i)
    return parsed[lo : hi + 1].text


def _plural_government(parsed: Doc, agent_tokens: list[int]) -> bool:
    """True when the subject's head is a plural government word ("the defence ministers", "both
    governments", "the delegations"), which speaks for both parties when no country is named."""
    inside = set(agent_tokens)
    return any(
        parsed[i].head.i not in inside and parsed[i].lower_ in _BOTH_SIDES_WORDS
        for i in agent_tokens
    )


_BOTH_SIDES_WORDS = frozenset(
    {
        "ministers",
        "leaders",
        "governments",
        "sides",
        "delegations",
        "presidents",
        "premiers",
        "negotiators",
        "envoys",
        "ministries",
        "administrations",
        "heads",
        "parties",
        "commission",
        "council",
        "neighbours",
        "neighbors",
        "allies",
        "partners",
    }
)
"""Plural heads that, with no country named, speak for both parties of the article."""


def _scope_countries(parsed: Doc, clause: Clause, owner: dict[int, Mention]) -> list[str]:
    """Countries named in the clause's own sentence part: the governor's phrase without the
    conjuncts that have a subject of their own ("Azerbaijan's president inaugurated a yard,
    and Georgia said ..." names only Azerbaijan for the first clause)."""
    gov = parsed[clause.governor]
    top = gov
    while top.dep_ in ("xcomp", "ccomp", "advcl") and top.head is not top:
        top = top.head
    skip = {
        t.i
        for c in top.children
        if c.dep_ == "conj" and any(x.dep_ in ("nsubj", "nsubjpass") for x in c.children)
        for t in c.subtree
    }
    if top.dep_ == "conj":
        skip |= {t.i for t in top.head.subtree} - {t.i for t in top.subtree}
    found, _ = _countries_of([t.i for t in top.subtree if t.i not in skip], owner)
    return found


def _direct_partners(parsed: Doc, clause: Clause) -> set[int]:
    """Tokens of phrases aimed at the predicate itself: its object ("help Ukraine") and its
    own prepositional phrases ("to Kyiv", "with Japan", "for Sri Lanka")."""
    out: set[int] = set()
    for head in {parsed[clause.predicate], parsed[clause.governor]}:
        for c in head.children:
            if c.dep_ in ("dobj", "dative"):
                out.update(t.i for t in c.subtree if t.i == c.i or t.head.i == c.i)
            elif c.dep_ == "prep" and c.lower_ in (
                "to",
                "with",
                "for",
                "toward",
                "towards",
                "against",
                "in",
                "into",
                "from",
            ):
                for obj in c.children:
                    if obj.dep_ == "pobj":
                        # the phrase's head and its compounds and conjuncts ("to Ukraine and
                        # Moldova"), not what is nested in it
                        out.update(t.i for t in obj.subtree if t.i == obj.i or t.head.i == obj.i)
    return out


@cache
def _not_national() -> frozenset[str]:
    """Agent words that speak for no national government: multilateral groups, provinces,
    companies, analysts (``predicates.json``: multilateral_agent, subnational_agent)."""
    raw = load("predicates")
    return frozenset(raw["multilateral_agent"]) | frozenset(raw["subnational_agent"])


def _pronoun_is_government(parsed: Doc, at: int, doc: _Doc, owner: dict[int, Mention]) -> bool:
    """A pronoun agent stands for a government unless the sentence attributes it to someone
    else before it ("Executives said they expected ...", "Fiji Airways said they would")."""
    for verb in parsed[:at]:
        if verb.lemma_ not in ("say", "tell", "add", "announce", "confirm", "expect", "believe"):
            continue
        subject = subject_of(verb)  # through conjuncts: "BYD ended ... and said it had ..."
        if subject is None or subject.i >= at:
            continue
        span = [t.i for t in subject.subtree]
        words = {parsed[i].lower_ for i in span}
        if words & _not_national() or not _government_head(parsed, span, owner):
            return False
    return bool(doc.prev_actor_countries)


_BUSINESSES = frozenset(
    {
        "company",
        "firm",
        "group",
        "consortium",
        "corporation",
        "conglomerate",
        "contractor",
        "exporter",
        "importer",
        "producer",
        "investor",
        "developer",
        "bank",
        "carrier",
        "airline",
        "manufacturer",
        "automaker",
        "supplier",
    }
)
"""Heads whose national adjective names a business, not a government ("a Chinese firm")."""


def _coordinated_countries(
    parsed: Doc, partner_idx: list[int], owner: dict[int, Mention], agents: list[str]
) -> list[str]:
    """Countries named as coordinated partners ("on Japan and South Korea"), text order, or
    ``[]`` when the partners are not one coordinated list."""
    inside = set(partner_idx)
    linked = {
        t
        for i in partner_idx
        if parsed[i].dep_ == "conj" and parsed[i].head.i in inside
        for t in (i, parsed[i].head.i)
    }
    countries, _ = _countries_of(linked, owner)
    return [c for c in countries if c not in agents]


def _sayer_countries(parsed: Doc, at: int, owner: dict[int, Mention]) -> list[str]:
    """The country of the one who reports, when pronoun ``at`` opens what they say: "China said
    it would suspend ..." -> ["CN"]; ``[]`` otherwise."""
    clause = parsed[at].head
    if clause.dep_ != "ccomp" or clause.head.lemma_ not in _REPORTING_LEMMAS:
        return []
    subject = subject_of(clause.head)
    if subject is None or subject.i > at:
        return []
    span = [t.i for t in subject.subtree]
    if {parsed[i].lower_ for i in span} & _not_national() or not _government_head(
        parsed, span, owner
    ):
        return []  # "Japan's Toyota said it would ...": not a government
    countries, collective = _countries_of(span, owner)
    return [] if collective else countries


def _sorted_pair(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a < b else (b, a)


def _pair_from(
    doc: _Doc, named: list[str], sentence_countries: list[str]
) -> tuple[str, str] | None:
    """A pair for a collective or unnamed agent ("the two sides", a passive): the countries
    named in the clause, then the sentence's, then the article's pair when the sentence names
    one of it, then the previous sentences' actors."""
    pool: list[str] = []
    for c in [*named, *sentence_countries]:
        if c not in pool:
            pool.append(c)
    if len(pool) >= 2:
        return _sorted_pair(pool[0], pool[1])
    if len(pool) == 1:
        if pool[0] in doc.dyad:
            return doc.dyad
        for c in doc.prev_actor_countries:
            if c != pool[0]:
                return _sorted_pair(pool[0], c)
        other = _other_party(doc, pool[0], [])
        return _sorted_pair(pool[0], other) if other and other != pool[0] else None
    return doc.dyad  # "the two sides agreed ...", no country named: the article's pair


_GOV_WORDS = frozenset(
    [
        "official",
        "officials",
        "government",
        "governments",
        "minister",
        "ministers",
        "ministry",
        "ministries",
        "authorities",
        "authority",
        "negotiators",
        "negotiator",
        "delegation",
        "delegations",
        "diplomat",
        "diplomats",
        "envoy",
        "envoys",
        "leader",
        "leaders",
        "president",
        "premier",
        "chancellor",
        "side",
        "sides",
        "country",
        "countries",
        "nation",
        "nations",
        "administration",
        "cabinet",
        "regulator",
        "regulators",
        "customs",
        "police",
        "spokesperson",
        "spokesman",
        "spokeswoman",
        "embassy",
        "counterpart",
        "counterparts",
        "secretary",
        "adviser",
        "advisor",
        "advisers",
        "ambassador",
        "commissioner",
        "parliament",
        "lawmakers",
        "agency",
        "agencies",
        "army",
        "military",
        "navy",
        "talks",
        "dialogue",
        "discussions",
        "negotiations",
        "consultations",
        "meeting",
        "summit",
        "statement",
        "watchdog",
        "bureau",
        "department",
        "office",
        "service",
        "commission",
        "inspectorate",
        "guards",
        "guard",
        "coastguard",
        "armies",
        "navies",
        "forces",
        "ministries",
        "executive",
        "king",
        "queen",
        "prince",
        "emir",
        "sultan",
        "crown",
        "presidency",
        "chancellery",
        "kremlin",
        "palace",
        "house",
        "council",
        "mission",
        "missions",
        "consulate",
        "consulates",
        "high-commission",
        "parliamentarians",
        "legislators",
        "senate",
        "congress",
        "ministers'",
        "governments'",
        "delegates",
        "delegate",
        "representative",
        "representatives",
        "officers",
        "troops",
        "regulators",
        "parties",
        "neighbours",
        "neighbors",
        "allies",
        "partners",
        "attorneys-general",
        "attorney-general",
        "authorities",
    ]
)
"""Words of a subject that speak for a government even when no country is named in it."""


def _span_text(parsed: Doc, indices: Iterable[int]) -> str:
    """The words of ``indices`` as written (spacing kept inside runs, one space across gaps)."""
    out: list[str] = []
    prev = -2
    for i in sorted(indices):
        tok = parsed[i]
        if out and i != prev + 1:
            out.append(" ")
        out.append(tok.text_with_ws if i + 1 in indices else tok.text)
        prev = i
    return re.sub(r"\s+", " ", "".join(out)).strip(" ,;:-–—")


def _item_titles(parsed: Doc, clause: Clause) -> list[str]:
    """Titles of a clause: its title, or one per listed agreement subject ("agreement on
    uranium", "agreement on energy")."""
    if not clause.items:
        return [_span_text(parsed, clause.title)]
    head = next(
        (parsed[i] for i in clause.title if parsed[i].lemma_.lower() in _AGREEMENT_HEADS),
        parsed[clause.title[0]],
    )
    noun = head.lemma_.lower()
    out = []
    for item in clause.items:
        text = _span_text(parsed, item)
        if any(parsed[i].lemma_.lower() in _AGREEMENT_HEADS for i in item):
            out.append(_DETERMINER.sub("", text))
        else:
            out.append(f"{noun} on {text}")
    return out


_AGREEMENT_HEADS = frozenset(
    {
        "agreement",
        "treaty",
        "memorandum",
        "mou",
        "deal",
        "pact",
        "accord",
        "protocol",
        "contract",
        "arrangement",
        "convention",
        "framework",
        "roadmap",
        "declaration",
    }
)


def _clause_due(
    doc: _Doc, sent: Sentence, base: int, parsed: Doc, clause: Clause, status: CommitmentStatus
) -> Due | None:
    """The due of a clause: the first date phrase inside its predicate's subtree; for an
    agreement to be signed during a visit, the visit's window."""
    if status in _NO_DUE:
        return None
    pred = parsed[clause.predicate]
    gov = parsed[clause.governor]
    # the predicate's own phrase; then the governor's own time phrases ("agreed by March
    # to ..."), never another conjunct's ("to reopen X by 1 April and to set up Y")
    spans = [(pred.left_edge.idx, pred.right_edge.idx + len(pred.right_edge.text))]
    if gov is not pred:
        spans += [
            (c.left_edge.idx, c.right_edge.idx + len(c.right_edge.text))
            for c in gov.children
            if c.dep_ in ("prep", "npadvmod", "advmod") and pred not in c.subtree
        ]
    rel = base - sent.start
    for found in find_dues(sent.text, doc.published):
        if any(lo <= found.start - rel < hi for lo, hi in spans):
            return found.due
    during = any(
        c.dep_ == "prep"
        and c.lower_ in ("during", "at")
        and any(o.lemma_.lower() in ("visit", "trip", "summit") for o in c.children)
        for c in (*pred.children, *gov.children)
    )
    if (clause.visit_purpose or during) and doc.last_visit_due is not None:
        return doc.last_visit_due
    return None


@cache
def _background_pattern() -> re.Pattern[str]:
    return re.compile(load("predicates")["background_pattern"], re.I)


@cache
def _outside_speakers() -> re.Pattern[str]:
    words = load("predicates")["non_government_speaker"]
    return re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + r")\b", re.I)


def _speaker_outside_government(parsed: Doc) -> bool:
    """True when the sentence reports someone outside government (an analyst, an economist,
    executives): "..., said Priya Raman, a senior fellow at a think tank"."""
    for tok in parsed:
        if tok.lemma_ in (
            "say",
            "tell",
            "argue",
            "note",
            "add",
            "write",
            "warn",
            "confirm",
            "announce",
            "expect",
            "predict",
            "believe",
            "report",
        ) and tok.pos_ in ("VERB", "AUX"):
            for c in tok.children:
                if c.dep_ in ("nsubj", "nsubjpass") and _outside_speakers().search(
                    parsed[c.left_edge.i : c.right_edge.i + 1].text
                ):
                    return True
    return False


def _specific(word: str, kind: CommitmentKind) -> bool:
    """A one-word title names a commitment only when the word does ("tariffs", "treaty",
    "cybersecurity"), not when it is a generic noun ("supplies", "measures")."""
    if kind in (CommitmentKind.MEASURE, CommitmentKind.AGREEMENT, CommitmentKind.TALKS):
        return True
    return bool(topics_for(word))


def _children_with(tok: Token, *deps: str) -> list[Token]:
    return [c for c in tok.children if c.dep_ in deps]


def _is_background(parsed: Doc, clause: Clause, published: date) -> bool:
    """A clause about the past: a past perfect ("had agreed"), a year before publication in
    its predicate's phrase ("signed in 2019"), or a marker of the past ("last year", "years
    ago", "previously"; ``predicates.json`` background_pattern)."""
    pred = parsed[clause.governor]
    reported = pred.dep_ in ("ccomp", "conj") and pred.head.lemma_ in _REPORTING_LEMMAS
    if not reported and any(
        a.lower_ == "had" for a in pred.children if a.dep_ in ("aux", "auxpass")
    ):
        return True  # "had agreed" in narration; "said they had agreed" is reported news
    # the time phrases of the predicate and its governor themselves ("signed in 2019", "agreed
    # last year"), not years inside their objects ("Mirage 2000-5", "the Treaty of 2019")
    own = {clause.predicate, clause.governor}
    for head in own:
        kids = list(parsed[head].children)
        marks = [c for c in kids if c.dep_ == "mark"]
        if (
            not clause.restrictive
            and any(m.lower_ in ("after", "since") for m in marks)
            and any(c.dep_ == "npadvmod" and c.lower_ in TIME_WORDS for c in kids)
        ):
            return True  # "almost a year after Ethiopia inaugurated the dam"
    for head in own:
        cur = parsed[head]
        for _ in range(4):  # "it is three years since they agreed to ..."
            if any(c.dep_ == "mark" and c.lower_ == "since" for c in cur.children):
                return True
            if any(
                c.dep_ == "advmod" and c.lower_ == "before" and not list(c.children)
                for c in cur.children
            ):
                return True  # "have been signed before"
            if cur.head is cur:
                break
            cur = cur.head
    words: list[str] = []
    timed = set(own)
    pred = parsed[clause.predicate]
    if pred.dep_ == "advcl" and pred.tag_ == "VBG":
        timed.add(pred.head.i)  # "lifted X in 2023, ending a four-year dispute"
    if pred.pos_ == "VERB" and not _children_with(pred, "nsubj", "nsubjpass"):
        # "closed its border and cut power exports in August 2023": one time for both verbs
        timed |= {c.i for c in pred.children if c.dep_ == "conj" and c.pos_ == "VERB"}
        if pred.dep_ == "conj":
            timed.add(pred.head.i)
    for c in pred.children:
        if c.dep_ == "conj" and c.pos_ == "VERB" and not _children_with(c, "nsubj", "nsubjpass"):
            timed.add(c.i)
    for head in timed:
        for c in parsed[head].children:
            if c.i in timed or c.dep_ not in ("prep", "npadvmod", "advmod", "tmod"):
                continue
            if c.dep_ == "npadvmod" and not (
                c.lower_ in _TIMEY or c.like_num or _PAST_YEAR.search(c.text)
            ):
                continue  # "agreed to X, a step toward restoring ties that collapsed in 2023"
            if c.dep_ == "prep" and not any(
                o.dep_ == "pobj"
                and (
                    o.like_num
                    or o.ent_type_ == "DATE"
                    or o.lower_ in _TIMEY
                    or _PAST_YEAR.search(o.text)  # "in mid-2025", "since early-2024"
                )
                for o in c.children
            ):
                continue  # "on the supply of water under the 1962 agreement" is no time phrase
            words.extend(t.text for t in c.subtree)
    phrase = " ".join(words)
    if _background_pattern().search(phrase):
        return True
    if any(int(m.group(0)) < published.year for m in _PAST_YEAR.finditer(phrase)):
        return True
    return pred.tag_ == "VBD" and _later_month_without_year(words, published)


_MONTH_NUMBERS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
"""Month names to their numbers (1 = January)."""


def _later_month_without_year(words: list[str], published: date) -> bool:
    """True when a past-tense time phrase names a month after the month of publication and no
    year ("signed a ceasefire in July", published in March): last year's event, background."""
    if any(_PAST_YEAR.search(w) for w in words):
        return False
    months = [
        _MONTH_NUMBERS[w.lower()] for w in words if w[:1].isupper() and w.lower() in _MONTH_NUMBERS
    ]
    return bool(months) and all(m > published.month for m in months)


def _syntactic(
    doc: _Doc,
    sent: Sentence,
    base: int,
    parsed: Doc,
    local: list[Mention],
    attr: Attribution,
    hedged: bool,
    deny: CommitmentStatus | None,
    denial_span: tuple[int, int] | None,
    speaker: list[str],
) -> list[_Draft]:
    """Commitment drafts of one parsed sentence (``base``: body offset of ``parsed``'s text)."""
    actors, owner = _actor_tokens(parsed, base, local)
    found = clauses(parsed, actors)
    if not found or _speaker_outside_government(parsed):
        return []
    # "a contract with a Chinese firm": a national adjective on a business names no government,
    # neither as a partner nor as a country of the sentence
    business = {
        i: id(m)
        for i, m in owner.items()
        if m.kind == "demonym" and parsed[i].head.lemma_ in _BUSINESSES
    }
    owner = {i: m for i, m in owner.items() if i not in business}
    sentence_countries: list[str] = []
    for m in local:
        if (
            m.country
            and m.kind not in ("city", "person")
            and id(m) not in business.values()
            and m.country not in sentence_countries
        ):
            sentence_countries.append(m.country)
    out: list[_Draft] = []
    for clause in found:
        pred = parsed[clause.predicate]
        if denial_span is not None:
            at = base + pred.idx - sent.start
            if denial_span[0] <= at < denial_span[1]:
                continue
        if _is_background(parsed, clause, doc.published):
            continue
        dyads = _clause_dyads(doc, clause, owner, parsed, sentence_countries, speaker)
        if not dyads:
            continue
        status = clause.status
        kind = clause.kind
        due = _clause_due(doc, sent, base, parsed, clause, status)
        clause_hedged = hedged or clause.hedged
        for title in _item_titles(parsed, clause):
            title = _DETERMINER.sub("", title).strip()
            if not title:
                continue
            blanked = title
            for m in local:
                blanked = blanked.replace(m.text, " ")
            terms = key_terms(blanked)
            if not terms and kind is CommitmentKind.MEASURE:
                # "recalled its ambassador": the envoy is the measure's object, not a partner
                unplaced = title
                for m in local:
                    if m.kind in ("country", "capital", "demonym", "city"):
                        unplaced = unplaced.replace(m.text, " ")
                terms = key_terms(unplaced)
            if not terms or (len(title.split()) == 1 and not _specific(title, kind)):
                continue
            if _not_bilateral().search(title) or _not_bilateral().search(
                _clause_text(parsed, clause)
            ):
                continue  # "a NATO meeting", "to all destinations": not between the two
            topics = topics_for(title) or topics_for(sent.text) or [Topic.OTHER]
            for pair, parties in dyads:
                fields: dict[str, Any] = {
                    "kind": kind,
                    "title": title[:300],
                    "key_terms": terms,
                    "parties": parties,
                    "topics": topics,
                    "signal": status,
                    "denies": deny,
                    "due": due,
                    "may_create": True,
                    "evidence": _evidence(doc, sent, attr, clause_hedged),
                    "confidence": _confidence(attr, status, clause_hedged, not clause.agent),
                    "direction": (
                        Direction.RESTRICTIVE if clause.restrictive else Direction.COOPERATIVE
                    ),
                }
                out.append(_Draft("commitment", fields, dyad=pair))
    return out
