"""Late-payment interest: actual days, the rate in force on each day, one half-up rounding."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest

from kassa.core.interest import (
    InterestError,
    late_interest,
    late_interest_rate,
    late_interest_rates,
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
