"""Early repayment: repaying everything drops the later interest and fees; repaying part
gives a lower or a shorter plan whose instalments add up to the minor unit.

The plans are the shop's Swedish 12-month plan (9.9 %, set-up fee 195 kr, 29 kr a month) as
the checkout prices it; the expected figures are worked out here from the agreed schedule.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kassa.core.credit import InstallmentProduct, amortize, build_installment_offer
from kassa.core.early_repayment import (
    EarlyRepaymentError,
    Plan,
    early_repayment,
    instalments_from_json,
    instalments_json,
)

PURCHASE = date(2026, 3, 2)
SE_12 = InstallmentProduct("se-12", 12, Decimal("9.9"), 19500, 2900, 200000, 5000000, "SEK")
FI_12 = InstallmentProduct("fi-12", 12, Decimal("9.9"), 0, 295, 20000, 500000, "EUR")
MONTHLY_RATE = Fraction(Decimal("9.9")) / 1200


def half_up(value: Fraction) -> int:
    return (2 * value.numerator + value.denominator) // (2 * value.denominator)


def plan_for(product: InstallmentProduct = SE_12, amount: int = 1_000_000) -> Plan:
    offer = build_installment_offer(product, amount, PURCHASE)
    return Plan(credit_amount=amount, nominal_rate=product.nominal_rate, drawn_on=PURCHASE,
                ends_on=offer.schedule[-1].due_date, setup_fee=product.setup_fee,
                schedule=offer.schedule)


def test_repaying_everything_on_the_third_due_date_drops_later_interest_and_fees() -> None:
    plan = plan_for()
    third = plan.schedule[2].due_date  # 2.6.2026
    result = early_repayment(plan, third)
    later = plan.schedule[3:]
    capital = sum(i.principal for i in later)
    # The set-up fee's part for the remaining time (2.6.2026-2.3.2027) comes off too.
    rebate = half_up(Fraction(19500 * (plan.ends_on - third).days,
                              (plan.ends_on - PURCHASE).days))
    assert result.full and result.schedule == ()
    assert result.kept == plan.schedule[:3]
    assert result.interest == 0 and result.fees == 0  # no day of the 4th period used
    assert result.setup_fee_rebate == rebate
    assert result.payoff == result.paid_now == capital - rebate
    assert result.saving == sum(i.interest + i.fee for i in later) + rebate


def test_repaying_everything_mid_period_pays_the_days_used() -> None:
    plan = plan_for(FI_12, 124990)
    day = plan.schedule[2].due_date + timedelta(days=10)
    period = (plan.schedule[3].due_date - plan.schedule[2].due_date).days
    result = early_repayment(plan, day)
    capital = sum(i.principal for i in plan.schedule[3:])
    assert result.interest == half_up(capital * MONTHLY_RATE * 10 / period)
    assert result.fees == half_up(Fraction(295 * 10, period))  # the month's fee, pro rata
    assert result.payoff == capital + result.interest + result.fees
    assert result.saving > 0


def test_an_amount_above_the_payoff_repays_everything_and_the_rest_is_surplus() -> None:
    plan = plan_for()
    day = PURCHASE + timedelta(days=40)
    payoff = early_repayment(plan, day).payoff
    result = early_repayment(plan, day, payoff + 1234)
    assert result.full and result.paid_now == payoff and result.surplus == 1234


def test_part_repayment_keeps_the_count_and_lowers_each_instalment() -> None:
    plan = plan_for()
    day = plan.schedule[1].due_date + timedelta(days=12)
    period = (plan.schedule[2].due_date - plan.schedule[1].due_date).days
    result = early_repayment(plan, day, 300000, "instalments")
    before = plan.schedule[2:]
    capital = sum(i.principal for i in before)
    assert not result.full
    assert [i.number for i in result.schedule] == [i.number for i in before]
    assert [i.due_date for i in result.schedule] == [i.due_date for i in before]
    assert [i.fee for i in result.schedule] == [i.fee for i in before]  # same months
    assert sum(i.principal for i in result.schedule) == capital - 300000
    # The repaid amount earned interest for the 12 days before it came, in the next one.
    carried = half_up(300000 * MONTHLY_RATE * 12 / period)
    assert result.interest_carried == carried
    _payment, rows = amortize(capital - 300000, len(before), Decimal("9.9"))
    assert result.schedule[0].interest == rows[0][1] + carried
    assert all(new.amount < old.amount for new, old in zip(result.schedule, before,
                                                           strict=True))
    assert result.saving == (sum(i.amount for i in before) - 300000
                             - sum(i.amount for i in result.schedule))
    assert result.saving > 0


def test_part_repayment_keeping_the_amount_shortens_the_plan_and_its_fees() -> None:
    plan = plan_for()
    day = plan.schedule[0].due_date
    result = early_repayment(plan, day, 400000, "amount")
    before = plan.schedule[1:]
    regular = before[0].principal + before[0].interest
    assert 0 < len(result.schedule) < len(before)
    assert all(i.principal + i.interest <= regular for i in result.schedule)
    assert sum(i.principal for i in result.schedule) == sum(i.principal for i in before) - 400000
    assert sum(i.fee for i in result.schedule) == 2900 * len(result.schedule)
    dropped = len(before) - len(result.schedule)
    assert result.saving >= 2900 * dropped  # at least the dropped months' fees
    _payment, rows = amortize(sum(i.principal for i in before) - 400000, len(result.schedule),
                              Decimal("9.9"))
    assert [(i.principal, i.interest) for i in result.schedule] == rows  # on a due date


def test_nothing_is_left_after_the_last_due_date() -> None:
    plan = plan_for()
    with pytest.raises(EarlyRepaymentError) as refused:
        early_repayment(plan, plan.ends_on)
    assert refused.value.code == "early_repayment.nothing_left"


def test_a_part_that_leaves_no_capital_for_the_instalments_is_refused() -> None:
    plan = plan_for(FI_12, 124990)  # no set-up fee: the payoff is the capital on a due date
    day = plan.schedule[9].due_date  # two instalments left
    capital = sum(i.principal for i in plan.schedule[10:])
    with pytest.raises(EarlyRepaymentError) as refused:
        early_repayment(plan, day, capital - 1, "instalments")
    assert refused.value.code == "early_repayment.amount"
    assert refused.value.params["largest"] == capital - 2
    assert early_repayment(plan, day, capital - 2, "instalments").schedule[-1].principal >= 1


def test_a_day_before_the_purchase_is_refused() -> None:
    with pytest.raises(EarlyRepaymentError) as refused:
        early_repayment(plan_for(), PURCHASE - timedelta(days=1))
    assert refused.value.code == "early_repayment.day"


def test_a_revised_schedule_round_trips_as_json() -> None:
    result = early_repayment(plan_for(), PURCHASE + timedelta(days=50), 250000)
    assert instalments_from_json(instalments_json(result.schedule)) == result.schedule


@settings(max_examples=150, deadline=None)
@given(amount=st.integers(200000, 5000000), days=st.integers(0, 360),
       part=st.integers(1, 10**7), keep=st.sampled_from(["instalments", "amount"]))
def test_every_repayment_adds_up_to_the_minor_unit(amount: int, days: int, part: int,
                                                  keep: str) -> None:
    plan = plan_for(SE_12, amount)
    day = PURCHASE + timedelta(days=days)
    everything = early_repayment(plan, day)
    capital = everything.principal_before
    assert capital == sum(i.principal for i in everything.replaced)
    assert everything.saving >= 0
    share = part % capital + 1
    try:
        result = early_repayment(plan, day, share, keep)  # type: ignore[arg-type]
    except EarlyRepaymentError as refused:
        assert refused.code == "early_repayment.amount"
        assert share > refused.params["largest"]
        return
    if result.full:
        assert result.paid_now == everything.payoff
        return
    assert sum(i.principal for i in result.schedule) + share == capital
    assert all(i.principal >= 1 and i.amount == i.principal + i.interest + i.fee
               for i in result.schedule)
    assert result.saving >= 0  # repaying early never costs more, rounding included
