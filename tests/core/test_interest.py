"""Late-payment interest: actual days, the rate in force on each day, one half-up rounding."""

from __future__ import annotations

import calendar
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kassa.core.interest import (
    InterestError,
    late_interest,
    late_interest_rate,
    late_interest_rates,
    late_interest_with_payments,
)
from kassa.core.rules import DEFAULT_RULES, RuleBook, parse_rule

BOOK = RuleBook(DEFAULT_RULES)


def flat(percent: str) -> Callable[[date], Decimal]:
    """The same annual rate (percent) on every day."""
    rate = Decimal(percent)
    return lambda day: rate


def test_fi_rate_h1_2026_is_reference_plus_seven() -> None:
    assert late_interest_rate("FI", BOOK, date(2026, 3, 2)) == Decimal("9.5")


def test_se_and_no_rates_add_eight_points() -> None:
    assert late_interest_rate("SE", BOOK, date(2024, 3, 1)) == Decimal("12.0")
    assert late_interest_rate("NO", BOOK, date(2025, 3, 1)) == Decimal("12.5")


def test_thousand_euros_at_9_5_percent_for_30_days_is_7_81() -> None:
    # 100 000 c * 9.5 / 100 * 30 / 365 = 285 000 / 365 = 780.82 c -> 781 c = 7.81 EUR.
    start = date(2026, 3, 2)
    end = date(2026, 4, 1)
    assert late_interest(100_000, start, end, flat("9.5")) == 781
    assert late_interest(100_000, start, end, late_interest_rates("FI", BOOK)) == 781


def test_first_interest_day_is_the_day_after_start() -> None:
    # One day: 100 000 * 9.5 / 36 500 = 26.03 c.
    assert late_interest(100_000, date(2026, 3, 2), date(2026, 3, 3), flat("9.5")) == 26


def test_zero_days_earn_nothing() -> None:
    assert late_interest(100_000, date(2026, 3, 2), date(2026, 3, 2), flat("9.5")) == 0


def test_paid_or_overpaid_balance_earns_nothing() -> None:
    assert late_interest(0, date(2026, 3, 2), date(2026, 4, 1), flat("9.5")) == 0
    assert late_interest(-500, date(2026, 3, 2), date(2026, 4, 1), flat("9.5")) == 0


def test_end_before_start_is_refused() -> None:
    with pytest.raises(InterestError) as caught:
        late_interest(100_000, date(2026, 3, 2), date(2026, 3, 1), flat("9.5"))
    assert caught.value.code == "interest.period"


def test_float_or_negative_rate_is_refused() -> None:
    with pytest.raises(InterestError) as caught:
        late_interest(100_000, date(2026, 3, 2), date(2026, 3, 5), lambda day: 9.5)  # type: ignore[arg-type,return-value]
    assert caught.value.code == "interest.rate"
    with pytest.raises(InterestError):
        late_interest(100_000, date(2026, 3, 2), date(2026, 3, 5), flat("-1"))


def test_rounding_is_half_up_once_at_the_end() -> None:
    # 18 250 * 1 / 100 / 365 = 0.5 exactly -> 1 (half-even would give 0).
    assert late_interest(18_250, date(2026, 3, 2), date(2026, 3, 3), flat("1")) == 1
    # 91 250 -> 2.5 -> 3 (half-even: 2).
    assert late_interest(91_250, date(2026, 3, 2), date(2026, 3, 3), flat("1")) == 3
    # Rounding once: 30 days of 0.4 c each is 12 c, not 30 * round(0.4) = 0.
    assert late_interest(14_600, date(2026, 3, 2), date(2026, 4, 1), flat("1")) == 12


def test_span_over_the_half_year_change_uses_both_rates() -> None:
    rows = [
        parse_rule({"country": "FI", "key": "reference_rate_pct", "value": "3.5",
                    "effective_from": "2025-01-01"}),
        parse_rule({"country": "FI", "key": "reference_rate_pct", "value": "2.5",
                    "effective_from": "2025-07-01"}),
        parse_rule({"country": "FI", "key": "late_interest_margin_pct", "value": "7",
                    "effective_from": "2013-03-16"}),
    ]
    rates = late_interest_rates("FI", RuleBook(rows))
    # 16.6.-30.6. = 15 days at 10.5 %, 1.7.-15.7. = 15 days at 9.5 %:
    # 100 000 * (10.5 * 15 + 9.5 * 15) / 36 500 = 300 000 / 365 = 821.92 -> 822.
    # (All 30 days at 10.5 % would be 863, all at 9.5 % 781.)
    assert late_interest(100_000, date(2025, 6, 15), date(2025, 7, 15), rates) == 822


def test_leap_year_days_count_one_366th() -> None:
    # 2024: 100 000 * 9.5 * 30 / 36 600 = 778.69 -> 779 (365-day basis would give 781).
    assert late_interest(100_000, date(2024, 3, 1), date(2024, 3, 31), flat("9.5")) == 779


def test_a_whole_year_earns_the_annual_rate_leap_or_not() -> None:
    assert late_interest(100_000, date(2023, 12, 31), date(2024, 12, 31), flat("10")) == 10_000
    assert late_interest(100_000, date(2024, 12, 31), date(2025, 12, 31), flat("10")) == 10_000


def test_span_over_new_year_uses_each_years_length() -> None:
    # 17.12.-31.12.2023: 15 days / 365; 1.1.-15.1.2024: 15 days / 366.
    # 10 000 * (15/365 + 15/366) = 410.96 + 409.84 = 820.79 -> 821.
    assert late_interest(100_000, date(2023, 12, 16), date(2024, 1, 15), flat("10")) == 821


# -- Part payments ------------------------------------------------------------------------------


def fi_2025() -> Callable[[date], Decimal]:
    """FI late interest with the 2025 rates written out: 10.5 % to 30.6, 9.5 % from 1.7."""
    rows = [
        parse_rule({"country": "FI", "key": "reference_rate_pct", "value": "3.5",
                    "effective_from": "2025-01-01"}),
        parse_rule({"country": "FI", "key": "reference_rate_pct", "value": "2.5",
                    "effective_from": "2025-07-01"}),
        parse_rule({"country": "FI", "key": "late_interest_margin_pct", "value": "7",
                    "effective_from": "2013-03-16"}),
    ]
    return late_interest_rates("FI", RuleBook(rows))


DUE_2025 = date(2025, 6, 10)
#: 300 EUR on Fri 20.6, 200 EUR on Thu 10.7 (after the 1 July rate change), the rest on 31.7.
PART_PAYMENTS = [(date(2025, 6, 20), 30_000), (date(2025, 7, 10), 20_000),
                 (date(2025, 7, 31), 50_000)]


def test_part_payments_across_the_rate_change_by_hand() -> None:
    # 11.6.-20.6.: 10 days on 100 000 at 10.5 %             100 000 * 105  = 10 500 000
    # 21.6.-10.7.: 70 000, 10 days at 10.5 % + 10 at 9.5 %   70 000 * 200  = 14 000 000
    # 11.7.-31.7.: 21 days on 50 000 at 9.5 %                50 000 * 199.5 = 9 975 000
    # from 1.8.: nothing left.          Σ / 36 500 = 34 475 000 / 36 500 = 944.52 -> 945.
    assert late_interest_with_payments(100_000, PART_PAYMENTS, DUE_2025, date(2025, 8, 31),
                                       fi_2025()) == 945
    # Up to the day of the second payment (it still earns on 70 000 that day):
    # 24 500 000 / 36 500 = 671.23 -> 671.
    assert late_interest_with_payments(100_000, PART_PAYMENTS[:2], DUE_2025,
                                       date(2025, 7, 10), fi_2025()) == 671


def test_a_part_payment_keeps_the_interest_accrued_before_it() -> None:
    # The old way, interest on today's unpaid principal from the due date, forgot the 671 c
    # the 1 000 EUR had earned before the payments once the last one came in.
    before = late_interest_with_payments(100_000, PART_PAYMENTS[:2], DUE_2025,
                                         date(2025, 7, 10), fi_2025())
    after = late_interest_with_payments(100_000, PART_PAYMENTS, DUE_2025, date(2025, 8, 31),
                                        fi_2025())
    assert after >= before
    assert late_interest(100_000 - 100_000, DUE_2025, date(2025, 8, 31), fi_2025()) == 0


def test_the_day_a_payment_arrives_still_earns_on_the_old_principal() -> None:
    # Paid in full the day after the due date: one day on 100 000 at 9.5 % = 26.03 -> 26.
    due = date(2026, 3, 2)
    assert late_interest_with_payments(100_000, [(date(2026, 3, 3), 100_000)], due,
                                       date(2026, 4, 1), flat("9.5")) == 26
    # Paid on the due date, or before it: nothing.
    for paid_on in (due, date(2026, 2, 20)):
        assert late_interest_with_payments(100_000, [(paid_on, 100_000)], due,
                                           date(2026, 4, 1), flat("9.5")) == 0


def test_payments_after_the_end_and_overpayments() -> None:
    due, end = date(2026, 3, 2), date(2026, 4, 1)
    later = [(end, 50_000), (date(2026, 5, 1), 50_000)]  # the day after ``end`` at the soonest
    assert late_interest_with_payments(100_000, later, due, end, flat("9.5")) == 781
    # Paying more than the principal stops the interest; it never turns negative.
    assert late_interest_with_payments(100_000, [(date(2026, 3, 3), 150_000)], due, end,
                                       flat("9.5")) == 26


def test_malformed_payments_are_refused() -> None:
    with pytest.raises(InterestError) as caught:
        late_interest_with_payments(100_000, [(date(2026, 3, 3), 10.5)], date(2026, 3, 2),  # type: ignore[list-item]
                                    date(2026, 4, 1), flat("9.5"))
    assert caught.value.code == "interest.payment"
    with pytest.raises(InterestError) as caught:
        late_interest_with_payments(100_000, [], date(2026, 3, 2), date(2026, 3, 1),
                                    flat("9.5"))
    assert caught.value.code == "interest.period"


def day_by_day(amount: int, payments: list[tuple[date, int]], start: date, end: date,
               rate_on: Callable[[date], Decimal]) -> int:
    """The same interest counted one day at a time: an independent reading of the rule."""
    total = Fraction(0)
    day = start
    while day < end:
        day += timedelta(days=1)
        principal = amount - sum(minor for paid_on, minor in payments if paid_on < day)
        if principal > 0:
            year = 366 if calendar.isleap(day.year) else 365
            total += Fraction(principal) * Fraction(rate_on(day)) / 100 / year
    return int(total + Fraction(1, 2))  # half up; total >= 0


@settings(max_examples=200, deadline=None)
@given(
    amount=st.integers(min_value=1, max_value=10_000_000),
    start=st.dates(min_value=date(2025, 1, 1), max_value=date(2025, 12, 31)),
    paid=st.lists(st.tuples(st.integers(min_value=-5, max_value=200),
                            st.integers(min_value=1, max_value=5_000_000)), max_size=6),
    days=st.integers(min_value=0, max_value=200),
)
def test_interest_never_falls_as_payments_come_in(
        amount: int, start: date, paid: list[tuple[int, int]], days: int) -> None:
    rates = fi_2025()
    payments = [(start + timedelta(days=offset), minor) for offset, minor in paid]
    accrued = 0
    for offset in range(0, days + 1, 7):
        today = start + timedelta(days=offset)
        known = [p for p in payments if p[0] <= today]  # what a run that day has booked
        interest = late_interest_with_payments(amount, known, start, today, rates)
        assert interest == day_by_day(amount, known, start, today, rates)
        assert interest >= accrued
        accrued = interest
    assert late_interest_with_payments(amount, [], start, start + timedelta(days=days),
                                       rates) == late_interest(
        amount, start, start + timedelta(days=days), rates)
