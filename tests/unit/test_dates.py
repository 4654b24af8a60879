"""Due-date resolution against the publication date (service.domain.extraction.dates)."""

from __future__ import annotations

from datetime import date

import pytest

from schemas.common import DueKind
from service.domain.extraction.dates import find_dues

FEB_8 = date(2026, 2, 8)


@pytest.mark.parametrize(
    ("sentence", "published", "start", "end", "kind"),
    [
        ("a visit in the first week of March", FEB_8, date(2026, 3, 1), date(2026, 3, 7), "window"),
        ("in the second week of March", FEB_8, date(2026, 3, 8), date(2026, 3, 14), "window"),
        ("postponed to the last week of March", date(2026, 2, 27), date(2026, 3, 25),
         date(2026, 3, 31), "window"),
        ("in the last week of February", FEB_8, date(2026, 2, 22), date(2026, 2, 28), "window"),
        ("in the first week of January", FEB_8, date(2027, 1, 1), date(2027, 1, 7), "window"),
        ("in the first week of March 2027", FEB_8, date(2027, 3, 1), date(2027, 3, 7), "window"),
        ("talks in late April", FEB_8, date(2026, 4, 21), date(2026, 4, 30), "window"),
        ("a summit in June", FEB_8, date(2026, 6, 1), date(2026, 6, 30), "window"),
        ("by the end of 2026", FEB_8, None, date(2026, 12, 31), "deadline"),
        ("by the end of the year", FEB_8, None, date(2026, 12, 31), "deadline"),
        ("an agreement within the year", date(2026, 3, 27), None, date(2026, 12, 31), "deadline"),
        ("by end-2027", FEB_8, None, date(2027, 12, 31), "deadline"),
        ("by March 31", FEB_8, None, date(2026, 3, 31), "deadline"),
        ("before March 31", FEB_8, None, date(2026, 3, 31), "deadline"),
        ("a framework by 1 April", FEB_8, None, date(2026, 4, 1), "deadline"),
        ("by the 1st of April 2027", FEB_8, None, date(2027, 4, 1), "deadline"),
        ("ratified before 30 Jan.", FEB_8, None, date(2027, 1, 30), "deadline"),
        ("within 30 days", FEB_8, None, date(2026, 3, 10), "deadline"),
        ("within three months", FEB_8, None, date(2026, 5, 8), "deadline"),
        ("until August 18", date(2026, 5, 21), None, date(2026, 8, 18), "until"),
        ("until 18 August 2026", date(2026, 5, 21), None, date(2026, 8, 18), "until"),
        # weekday anchor: published Thursday 2026-05-21, "on Wednesday" = 2026-05-20
        ("agreed on Wednesday to extend the pause for another 90 days", date(2026, 5, 21), None,
         date(2026, 8, 18), "until"),
        ("extend it for another 90 days", date(2026, 5, 21), None, date(2026, 8, 19), "until"),
        ("agreed on Thursday to extend it for a further 30 days", date(2026, 5, 21), None,
         date(2026, 6, 20), "until"),
    ],
)  # fmt: skip
def test_resolution(
    sentence: str, published: date, start: date | None, end: date, kind: str
) -> None:
    found = find_dues(sentence, published)
    assert len(found) == 1, found
    due = found[0].due
    assert (due.start, due.end, due.kind) == (start, end, DueKind(kind))
    assert due.text and due.text.lower() in sentence.lower()


def test_offsets_and_order() -> None:
    sentence = "expected in the first week of March, now postponed to the last week of March"
    found = find_dues(sentence, FEB_8)
    assert [d.due.start for d in found] == [date(2026, 3, 1), date(2026, 3, 25)]
    for d in found:
        assert sentence[d.start : d.end].strip().lower().endswith("march")


def test_no_date_and_invalid_date() -> None:
    assert find_dues("The two sides agreed to continue talks.", FEB_8) == []
    assert find_dues("until February 30", FEB_8) == []
    assert find_dues("by 31 April", FEB_8) == []


def test_before_a_month_is_a_deadline_at_the_end_of_the_month_before() -> None:
    (found,) = find_dues("open a customs post before June", date(2026, 3, 2))
    assert (found.due.start, found.due.end) == (None, date(2026, 5, 31))
    (found,) = find_dues("before June 2027", date(2026, 3, 2))
    assert found.due.end == date(2027, 5, 31)  # not the 20th of June: 2027 is a year
