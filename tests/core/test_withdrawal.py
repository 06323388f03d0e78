"""Withdrawal from credit: capital plus interest for the days the credit was used, no fees,
within the law's period; and settling a plan's invoices without losing a cent.

Expected figures are computed here from the law's rule (capital × rate × days / days in the
year, rounded once, half up), not by the code under test.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kassa.core.withdrawal import (
    WithdrawalError,
    settle_amounts,
    withdrawal_figures,
    withdrawal_last_day,
)

AGREED = date(2026, 3, 2)


def half_up(value: Fraction) -> int:
    """A non-negative exact value rounded half up, by integer arithmetic."""
    return (2 * value.numerator + value.denominator) // (2 * value.denominator)


def figures(notice_on: date, *, credit: int = 499000, rate: str = "9.9",
            payments: list[tuple[date, int]] | None = None, paid: int = 0,
            fees: int = 54300, period: int = 14):  # type: ignore[no-untyped-def]
    return withdrawal_figures(
        credit_amount=credit, nominal_rate=Decimal(rate), drawn_on=AGREED, notice_on=notice_on,
        last_day=withdrawal_last_day(AGREED, None, period), repay_days=30,
        payments=payments or [], paid=paid, fees_in_plan=fees)


@pytest.mark.parametrize(("credit", "rate"), [(499000, "9.9"), (124990, "9.9"), (300000, "0")])
def test_day_5_owes_the_capital_and_five_days_of_interest(credit: int, rate: str) -> None:
    result = figures(AGREED + timedelta(days=5), credit=credit, rate=rate)
    expected_interest = half_up(Fraction(credit) * Fraction(rate) / 100 * 5 / 365)
    assert result.interest_days == 5
    assert result.interest == expected_interest
    assert result.owed == credit + expected_interest  # no set-up or monthly fee
    assert result.to_pay == result.owed and result.refund == 0
    assert result.due_date == AGREED + timedelta(days=35)  # 30 days after the notice
    assert result.fees_waived == 54300


def test_sek_4990_at_9_9_percent_for_5_days_is_6_77() -> None:
    # 4 990,00 × 9,9 % × 5 / 365 = 6,7672... SEK
    assert figures(AGREED + timedelta(days=5)).interest == 677


def test_day_14_is_in_time_and_day_15_is_refused() -> None:
    assert withdrawal_last_day(AGREED, None, 14) == date(2026, 3, 16)
    assert figures(date(2026, 3, 16)).interest_days == 14
    with pytest.raises(WithdrawalError) as refused:
        figures(date(2026, 3, 17))
    assert refused.value.code == "withdrawal.too_late"
    assert refused.value.params["last_day"] == "2026-03-16"


def test_the_period_runs_from_a_later_receipt_of_the_terms() -> None:
    assert withdrawal_last_day(AGREED, date(2026, 3, 6), 14) == date(2026, 3, 20)
    assert withdrawal_last_day(AGREED, date(2026, 2, 1), 14) == date(2026, 3, 16)


def test_a_notice_before_the_agreement_is_refused() -> None:
    with pytest.raises(WithdrawalError) as refused:
        figures(AGREED - timedelta(days=1))
    assert refused.value.code == "withdrawal.notice_day"


def test_on_the_agreement_day_nothing_but_the_capital_is_owed() -> None:
    result = figures(AGREED)
    assert (result.interest_days, result.interest, result.owed) == (0, 0, 499000)


def test_a_day_of_a_leap_year_earns_a_366th() -> None:
    agreed = date(2028, 2, 25)
    result = withdrawal_figures(
        credit_amount=1_000_000, nominal_rate=Decimal("10"), drawn_on=agreed,
        notice_on=agreed + timedelta(days=10), last_day=agreed + timedelta(days=14),
        repay_days=30, payments=[], paid=0, fees_in_plan=0)
    assert result.interest == half_up(Fraction(1_000_000) * 10 / 100 * 10 / 366)


def test_a_payment_lowers_the_capital_from_the_next_day_and_counts_as_paid() -> None:
    result = figures(AGREED + timedelta(days=5), payments=[(AGREED + timedelta(days=2), 100000)],
                     paid=100000)
    # Days 1-2 on 4 990,00; days 3-5 on 3 990,00.
    expected = half_up((Fraction(499000) * 2 + Fraction(399000) * 3) * Fraction("9.9") / 100
                       / 365)
    assert result.interest == expected
    assert result.to_pay == 499000 + expected - 100000
    assert result.interest_per_day == half_up(Fraction(399000) * Fraction("9.9") / 100 / 365)


def test_fees_paid_beyond_what_is_owed_are_refunded() -> None:
    # The first instalment (with its set-up and monthly fee) was paid on day 1, and the
    # shopper paid the rest too: all beyond capital and interest goes back.
    payments = [(AGREED + timedelta(days=1), 499000 + 30000)]
    result = figures(AGREED + timedelta(days=5), payments=payments, paid=529000)
    interest = half_up(Fraction(499000) * Fraction("9.9") / 100 / 365)  # one day only
    assert result.interest == interest
    assert result.to_pay == 0
    assert result.refund == 529000 - 499000 - interest


@given(st.lists(st.tuples(st.integers(0, 10**7), st.integers(0, 10**7)), min_size=1,
                max_size=12))
def test_settled_amounts_add_up_and_keep_what_was_paid(rows: list[tuple[int, int]]) -> None:
    targets = [target for target, _paid in rows]
    paid = [was_paid for _target, was_paid in rows]
    amounts = settle_amounts(targets, paid)
    assert sum(amounts) == sum(targets)
    assert all(0 <= a <= max(t, p) for a, t, p in zip(amounts, targets, paid, strict=True))
    surplus = sum(max(p - a, 0) for a, p in zip(amounts, paid, strict=True))
    assert surplus == max(sum(paid) - sum(targets), 0)


def test_money_paid_on_a_cancelled_invoice_lowers_the_first_one() -> None:
    # Withdrawal: the first invoice asks for 1 000, the other two are cancelled; 300 had been
    # paid ahead on the third. It stays there, and the first asks 300 less.
    assert settle_amounts([1000, 0, 0], [0, 0, 300]) == [700, 0, 300]
    # Paid more than the total: everything paid stays, the surplus is refunded.
    assert settle_amounts([1000, 0], [900, 400]) == [900, 100]


def test_money_paid_ahead_on_a_dropped_instalment_goes_toward_the_next_one_due() -> None:
    # A shorter plan: instalments of 500 and 400 stay, the third is dropped; 300 had been
    # paid on the third. It stays there, and the next instalment due (the first) asks 300
    # less; the later one keeps its amount.
    assert settle_amounts([500, 400, 0], [0, 0, 300]) == [200, 400, 300]
