"""By when a register must hear of a credit event, from the dated rules and the country's bank
calendar; the expected days are counted by hand on a calendar."""

from __future__ import annotations

from datetime import date

import pytest

from kassa.core.credit_reporting import (
    CREDIT_CHANGED,
    CREDIT_DELAYED,
    CREDIT_NEW,
    CREDIT_REPAID,
    delay_reportable_on,
    report_due_by,
    reported_delay_days,
)
from kassa.core.rules import DEFAULT_RULES, RuleBook, RuleError, parse_rule

BOOK = RuleBook(DEFAULT_RULES)


@pytest.mark.parametrize(
    ("event", "occurred", "due"),
    [
        # A new credit: by the next calendar day, a Saturday included.
        (CREDIT_NEW, date(2026, 11, 20), date(2026, 11, 21)),
        (CREDIT_NEW, date(2026, 12, 31), date(2027, 1, 1)),
        # A change, the end, a delay: two business days. Fri 19.2.2027 -> Mon 22, Tue 23.
        (CREDIT_CHANGED, date(2027, 2, 19), date(2027, 2, 23)),
        (CREDIT_REPAID, date(2027, 2, 19), date(2027, 2, 23)),
        # Wed 23.12.2026: Christmas Eve and Day close the banks, then a weekend; Mon 28.12
        # is the first business day after, Tue 29.12 the second.
        (CREDIT_DELAYED, date(2026, 12, 23), date(2026, 12, 29)),
    ],
)
def test_finnish_deadlines(event: str, occurred: date, due: date) -> None:
    assert report_due_by("FI", event, occurred, BOOK) == due


def test_a_merchants_newer_row_applies_from_its_day() -> None:
    same_day = parse_rule({"country": "FI", "key": "credit_report_new_days", "value": "0",
                           "effective_from": "2027-01-01", "source": "test", "status": "U"})
    book = RuleBook(DEFAULT_RULES + (same_day,))
    assert report_due_by("FI", CREDIT_NEW, date(2026, 12, 31), book) == date(2027, 1, 1)
    assert report_due_by("FI", CREDIT_NEW, date(2027, 1, 1), book) == date(2027, 1, 1)


def test_a_country_without_rows_has_no_deadline_to_guess() -> None:
    with pytest.raises(RuleError) as caught:
        report_due_by("SE", CREDIT_NEW, date(2026, 11, 20), BOOK)
    assert caught.value.code == "rules.missing"
    with pytest.raises(ValueError, match="unknown credit report event"):
        report_due_by("FI", "credit.renamed", date(2026, 11, 20), BOOK)


def test_delays_are_reported_from_day_61_in_finland_and_not_at_all_in_norway() -> None:
    assert reported_delay_days("FI", BOOK, date(2026, 11, 20)) == 60
    assert reported_delay_days("NO", BOOK, date(2026, 11, 20)) is None
    assert reported_delay_days("FI", BOOK, date(2024, 1, 31)) is None  # before the register
    # Due on 1 March: 30 days of March after it, 31 of April, so 1 May is day 61.
    assert delay_reportable_on(date(2026, 3, 1), 60) == date(2026, 5, 1)
