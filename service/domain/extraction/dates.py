"""Due dates: read a time expression in a sentence and resolve it against the publication date.

Resolves, relative to ``published`` (a calendar date, UTC):

* windows: "in the first|second|third|fourth|last week of March" (days 1-7, 8-14, 15-21, 22-28,
  last seven days), "early|mid|late March" (1-10, 11-20, 21-end), "in March [2026]" (whole month);
  a month without a year is the next such month on or after the publication month;
* deadlines: "by the end of 2026|the year|March|next year", "by end-2026", "by 2030",
  "before the end of October", "within the year",
  "this year", "by|before March 31", "by 1 April", "by the 1st of April 2027",
  "within 90 days|three months", "over the next three years|decade";
* relative windows: "next week" (the Monday-Sunday week after publication), "next month" (the
  calendar month after), "next year" (the calendar year after; "from next year" is a start, not a
  due), "in 2027" (that calendar year, when not past), "to|until March" (postponed to);
* periods that hold until a date: "until|till August 18", "until the end of July", "through
  August 18", "for [another|a further|an additional] 90 days|three months", anchored on the
  weekday the sentence names ("agreed on Wednesday", the latest such day on or before
  publication) or on the publication date.

Returns :class:`schemas.common.Due` with ``text`` = the words it was read from.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from schemas.common import Due, DueKind

__all__ = ["DueMatch", "find_dues"]

_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
_MONTH = (
    r"(?P<month>january|february|march|april|may|june|july|august|september|october|november"
    r"|december|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)\.?"
)
_YEAR = r"(?:,?\s+(?P<year>20\d\d))?"
_WEEKDAYS = {name.lower(): i for i, name in enumerate(calendar.day_name)}
_NUMBERS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirty": 30, "sixty": 60, "ninety": 90,
    "a": 1, "an": 1,
}  # fmt: skip
_NUM = r"(?P<n>\d+|" + "|".join(_NUMBERS) + r")"
_UNIT = r"(?P<unit>days?|weeks?|months?|years?)"

_ORDINAL_WEEK = {"first": (1, 7), "second": (8, 14), "third": (15, 21), "fourth": (22, 28)}
_PART = {"early": (1, 10), "mid": (11, 20), "middle": (11, 20), "late": (21, 31)}

_PATTERN_TEXT: list[tuple[str, str]] = [
    ("week", rf"\b(?:in |during |for )?the (?P<ord>first|second|third|fourth|last) week of "
     rf"{_MONTH}{_YEAR}"),
    ("part", rf"\b(?:in )?(?P<part>early|mid|middle|late)[- ](?:of )?{_MONTH}{_YEAR}"),
    ("until", rf"\b(?:until|till|through|to) {_MONTH} (?P<day>\d{{1,2}})(?:st|nd|rd|th)?\b{_YEAR}"),
    ("until", rf"\b(?:until|till|through) (?P<day>\d{{1,2}}) {_MONTH}{_YEAR}"),
    ("for", r"\bfor (?:another |a further |an additional |a further period of |an extra |)"
     rf"{_NUM} {_UNIT}"),
    ("over_next", r"\b(?:over|in|within) the (?:next|coming) "
     rf"(?:{_NUM} {_UNIT}|(?P<decade>decade))"),
    ("next", r"\b(?<!from )(?<!starting )(?<!beginning )(?:early |later |late )?"
     r"next (?P<unit>week|month|year)\b"),
    ("end_next_year", r"\bby (?:the )?end of next year\b"),
    ("end_year", r"\bby (?:the )?end(?:-| of )(?:(?P<year>20\d\d)|(?:the |this )?year)\b"),
    ("end_month", rf"\b(?:by|before) (?:the )?end(?:-| of ){_MONTH}{_YEAR}"),
    ("by_year", r"\b(?:by|before) (?P<year>20\d\d)\b(?!\s*[-–/])"),
    ("in_year", r"\b(?:in|during|for|throughout) (?P<year>20\d\d)\b(?!\s*[-–/])"),
    ("this_year", r"\b(?:within|before the end of|later|by the end of) (?:the|this) year\b"
     r"|\bby year-end\b"),
    ("until_month", rf"\b(?:until|till|through) the end of {_MONTH}{_YEAR}"),
    ("by_day", rf"\b(?:by|before) {_MONTH} (?P<day>\d{{1,2}})(?:st|nd|rd|th)?\b{_YEAR}"),
    ("by_day", rf"\b(?:by|before) (?:the )?(?P<day>\d{{1,2}})(?:st|nd|rd|th)?(?: of)? "
     rf"{_MONTH}{_YEAR}"),
    ("within", rf"\bwithin (?:the next )?{_NUM} {_UNIT}"),
    ("month", rf"\b(?:in|during|by|for|to|until) {_MONTH}{_YEAR}\b(?!\s*\d)"),
    ("before_month", rf"\bbefore {_MONTH}{_YEAR}\b(?!\s*\d)"),
]  # fmt: skip
_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (kind, re.compile(text, re.I)) for kind, text in _PATTERN_TEXT
]
_WEEKDAY = re.compile(
    r"\bon (?P<wd>monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b", re.I
)


@dataclass(frozen=True)
class DueMatch:
    """A resolved time expression: ``[start, end)`` characters in the sentence, and its Due."""

    start: int
    end: int
    due: Due


def _year_for(month: int, year: str | None, published: date) -> int:
    if year:
        return int(year)
    return published.year if month >= published.month else published.year + 1


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _add(anchor: date, n: int, unit: str) -> date:
    unit = unit.rstrip("s")
    if unit == "day":
        return anchor + timedelta(days=n)
    if unit == "week":
        return anchor + timedelta(weeks=n)
    months = n * (12 if unit == "year" else 1)
    y, m = divmod(anchor.month - 1 + months, 12)
    year, month = anchor.year + y, m + 1
    return date(year, month, min(anchor.day, calendar.monthrange(year, month)[1]))


def _anchor(sentence: str, published: date) -> date:
    """The weekday named in the sentence (latest on or before ``published``), else ``published``."""
    found = _WEEKDAY.search(sentence)
    if not found:
        return published
    back = (published.weekday() - _WEEKDAYS[found.group("wd").lower()]) % 7
    return published - timedelta(days=back)


def _number(text: str) -> int:
    return int(text) if text.isdigit() else _NUMBERS[text.lower()]


def _resolve(kind: str, m: re.Match[str], sentence: str, published: date) -> Due | None:
    g = m.groupdict()
    text = m.group(0).strip()
    month = _MONTHS.get((g.get("month") or "").lower().rstrip("."), 0)
    if kind == "week":
        year = _year_for(month, g["year"], published)
        last = _month_end(year, month)
        if g["ord"].lower() == "last":
            start, end = last - timedelta(days=6), last
        else:
            a, b = _ORDINAL_WEEK[g["ord"].lower()]
            start, end = date(year, month, a), date(year, month, b)
        return Due(start=start, end=end, kind=DueKind.WINDOW, text=text)
    if kind == "part":
        year = _year_for(month, g["year"], published)
        a, b = _PART[g["part"].lower()]
        last = _month_end(year, month)
        return Due(
            start=date(year, month, a), end=min(date(year, month, min(b, last.day)), last),
            kind=DueKind.WINDOW, text=text,
        )  # fmt: skip
    if kind == "month":
        year = _year_for(month, g["year"], published)
        window = text.lower().startswith(("in ", "during ", "for ", "to "))
        if text.lower().startswith("until "):
            return Due(end=_month_end(year, month), kind=DueKind.UNTIL, text=text)
        return Due(
            start=date(year, month, 1) if window else None, end=_month_end(year, month),
            kind=DueKind.WINDOW if window else DueKind.DEADLINE, text=text,
        )  # fmt: skip
    if kind == "until":
        year = _year_for(month, g["year"], published)
        return Due(end=date(year, month, int(g["day"])), kind=DueKind.UNTIL, text=text)
    if kind == "for":
        end = _add(_anchor(sentence, published), _number(g["n"]), g["unit"].lower())
        return Due(end=end, kind=DueKind.UNTIL, text=text)
    if kind == "over_next":
        if g.get("decade"):
            return Due(end=_add(published, 10, "years"), kind=DueKind.DEADLINE, text=text)
        end = _add(published, _number(g["n"]), g["unit"].lower())
        return Due(end=end, kind=DueKind.DEADLINE, text=text)
    if kind == "next":
        unit = g["unit"].lower()
        if unit == "week":
            monday = published + timedelta(days=7 - published.weekday())
            return Due(start=monday, end=monday + timedelta(days=6), kind=DueKind.WINDOW, text=text)
        if unit == "month":
            first = _add(published.replace(day=1), 1, "months")
            return Due(
                start=first, end=_month_end(first.year, first.month), kind=DueKind.WINDOW, text=text
            )
        year = published.year + 1
        return Due(start=date(year, 1, 1), end=date(year, 12, 31), kind=DueKind.WINDOW, text=text)
    if kind == "end_next_year":
        return Due(end=date(published.year + 1, 12, 31), kind=DueKind.DEADLINE, text=text)
    if kind == "until_month":
        year = _year_for(month, g["year"], published)
        return Due(end=_month_end(year, month), kind=DueKind.UNTIL, text=text)
    if kind == "end_year":
        year = int(g["year"]) if g.get("year") else published.year
        return Due(end=date(year, 12, 31), kind=DueKind.DEADLINE, text=text)
    if kind == "end_month":
        year = _year_for(month, g["year"], published)
        return Due(end=_month_end(year, month), kind=DueKind.DEADLINE, text=text)
    if kind == "before_month":
        # "before June": a deadline on the last day of the month before
        year = _year_for(month, g["year"], published)
        return Due(end=date(year, month, 1) - timedelta(days=1), kind=DueKind.DEADLINE, text=text)
    if kind == "by_year":
        return Due(end=date(int(g["year"]), 12, 31), kind=DueKind.DEADLINE, text=text)
    if kind == "in_year":
        year = int(g["year"])
        if year < published.year:  # "took effect in 2022": a past year is history, not a due
            return None
        return Due(start=date(year, 1, 1), end=date(year, 12, 31), kind=DueKind.WINDOW, text=text)
    if kind == "this_year":
        return Due(end=date(published.year, 12, 31), kind=DueKind.DEADLINE, text=text)
    if kind == "by_day":
        year = _year_for(month, g["year"], published)
        return Due(end=date(year, month, int(g["day"])), kind=DueKind.DEADLINE, text=text)
    if kind == "within":
        end = _add(published, _number(g["n"]), g["unit"].lower())
        return Due(end=end, kind=DueKind.DEADLINE, text=text)
    return None


def find_dues(sentence: str, published: date) -> list[DueMatch]:
    """Every time expression of ``sentence`` that gives a due date, in text order.

    Overlapping expressions keep the first pattern listed (the more specific one). Invalid
    dates ("until February 30") are skipped, never raised.
    """
    found: list[DueMatch] = []
    taken: list[tuple[int, int]] = []
    for kind, pattern in _PATTERNS:
        for m in pattern.finditer(sentence):
            if any(m.start() < b and a < m.end() for a, b in taken):
                continue
            try:
                due = _resolve(kind, m, sentence, published)
            except (ValueError, KeyError):
                continue
            if due is not None:
                found.append(DueMatch(m.start(), m.end(), due))
                taken.append((m.start(), m.end()))
    return sorted(found, key=lambda d: d.start)
