"""Invoice and installment offers: schedules that add up, APR, ordering and country caps."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from kassa.core.apr import apr_percent_of_instalments
from kassa.core.caps import (
    CapViolation,
    CreditCaps,
    check_caps,
    check_invoice_caps,
    fi_interest_cap,
    se_interest_cap,
)
from kassa.core.credit import (
    InstallmentProduct,
    InvoiceProduct,
    Offer,
    add_months,
    build_installment_offer,
    build_invoice_offer,
    offers_for,
)
from kassa.core.errors import CreditError, MoneyError

PURCHASE = date(2026, 3, 10)
MAX = 10_000_000


def plan(
    months: int,
    rate: str = "0",
    setup_fee: int = 0,
    monthly_fee: int = 0,
    min_amount: int = 1,
    max_amount: int = MAX,
    currency: str = "EUR",
    product_id: str | None = None,
) -> InstallmentProduct:
    return InstallmentProduct(
        id=product_id or f"plan{months}",
        months=months,
        nominal_rate=Decimal(rate),
        setup_fee=setup_fee,
        monthly_fee=monthly_fee,
        min_amount=min_amount,
        max_amount=max_amount,
        currency=currency,
    )


def invoice(
    fee: int = 0,
    min_amount: int = 1,
    max_amount: int = MAX,
    currency: str = "EUR",
    product_id: str = "invoice14",
) -> InvoiceProduct:
    return InvoiceProduct(
        id=product_id,
        days_to_pay=14,
        fee=fee,
        min_amount=min_amount,
        max_amount=max_amount,
        currency=currency,
    )


def next_weekday(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def unrounded_apr(offer: Offer) -> Decimal:
    return apr_percent_of_instalments(
        offer.credit_amount, [item.amount for item in offer.schedule], rounded=False
    )


# --- products ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        {"months": 0},
        {"months": True},
        {"nominal_rate": 9.9},
        {"nominal_rate": Decimal(-1)},
        {"nominal_rate": Decimal(100)},
        {"nominal_rate": Decimal("NaN")},
        {"setup_fee": -1},
        {"monthly_fee": 1.5},
        {"min_amount": 10, "max_amount": 5},
        {"id": ""},
    ],
)
def test_installment_product_refuses_broken_terms(changes: dict[str, object]) -> None:
    fields: dict[str, object] = {
        "id": "p",
        "months": 12,
        "nominal_rate": Decimal("9.9"),
        "setup_fee": 0,
        "monthly_fee": 0,
        "min_amount": 1,
        "max_amount": 100,
        "currency": "EUR",
    }
    fields.update(changes)
    with pytest.raises(CreditError) as caught:
        InstallmentProduct(**fields)  # type: ignore[arg-type]
    assert caught.value.code == "credit.product"


def test_products_need_a_known_currency() -> None:
    with pytest.raises(MoneyError):
        plan(3, currency="EURO")
    with pytest.raises(MoneyError):
        invoice(currency="XYZ")
    with pytest.raises(CreditError):
        InvoiceProduct(id="i", days_to_pay=0, min_amount=1, max_amount=2, currency="EUR")


# --- dates ------------------------------------------------------------------------------


def test_add_months_clamps_to_the_end_of_short_months() -> None:
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert add_months(date(2026, 1, 31), 2) == date(2026, 3, 31)  # the day comes back
    assert add_months(date(2026, 1, 31), 3) == date(2026, 4, 30)
    assert add_months(date(2026, 12, 31), 2) == date(2027, 2, 28)
    assert add_months(date(2026, 1, 31), 13) == date(2027, 2, 28)
    assert add_months(date(2026, 3, 10), 0) == date(2026, 3, 10)


def test_schedule_is_monthly_on_the_purchase_day_clamped() -> None:
    offer = build_installment_offer(plan(4), 100_000, date(2026, 1, 31))
    assert [item.due_date for item in offer.schedule] == [
        date(2026, 2, 28),
        date(2026, 3, 31),
        date(2026, 4, 30),
        date(2026, 5, 31),
    ]


def test_roll_moves_each_due_date_from_its_unrolled_day() -> None:
    seen: list[date] = []

    def roll(day: date) -> date:
        seen.append(day)
        return next_weekday(day)

    offer = build_installment_offer(plan(3, "9.9"), 100_000, date(2026, 1, 31), roll)
    # Sat 28.2.2026 -> Mon 2.3; Tue 31.3 stays; Thu 30.4 stays.
    assert seen == [date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 30)]
    assert [item.due_date for item in offer.schedule] == [
        date(2026, 3, 2),
        date(2026, 3, 31),
        date(2026, 4, 30),
    ]
    # The APR counts twelve equal months (Annex I), whatever the calendar did.
    assert offer.apr == build_installment_offer(plan(3, "9.9"), 100_000, date(2026, 1, 31)).apr


# --- installment schedules --------------------------------------------------------------


def test_annuity_of_1000_eur_at_10_percent_over_12_months() -> None:
    offer = build_installment_offer(plan(12, "10"), 100_000, PURCHASE)
    assert offer.monthly_amount == 8_792  # 1000 * r / (1 - (1 + r)^-12) = 87.9159
    assert offer.schedule[0].interest == 833  # 1000 * 0.10 / 12 = 8.333
    assert offer.schedule[0].principal == 8_792 - 833
    assert offer.schedule[-1].amount == 8_787  # the last one takes the rounding rest
    assert offer.total_cost == 5_499
    assert offer.apr == Decimal("10.5")  # (1 + 0.1/12)^12 - 1 = 10.47 %
    assert offer.method == "installments" and offer.months == 12


def test_worked_examples_as_offers() -> None:
    three = build_installment_offer(plan(3, monthly_fee=295), 100_000, PURCHASE)
    assert [item.amount for item in three.schedule] == [33_628, 33_628, 33_629]
    assert three.apr == Decimal("5.4") and three.total_cost == 885
    six = build_installment_offer(plan(6, monthly_fee=395), 60_000, PURCHASE)
    assert [item.amount for item in six.schedule] == [10_395] * 6
    assert six.apr == Decimal("14.3") and six.monthly_amount == 10_395
    # The example pays the 29.00 fee at the start; we charge it with the first
    # instalment, a month later, which lowers the exact APR but not the published one.
    setup = build_installment_offer(plan(12, setup_fee=2_900), 120_000, PURCHASE)
    assert setup.schedule[0].amount == 12_900
    assert setup.apr == Decimal("4.6")
    assert Decimal("4.3") < unrounded_apr(setup) < Decimal("4.6363")


def test_amount_outside_the_product_or_too_small_is_refused() -> None:
    product = plan(12, "9.9", min_amount=5_000, max_amount=500_000)
    for amount in (4_999, 500_001, 0, -1):
        with pytest.raises(CreditError) as caught:
            build_installment_offer(product, amount, PURCHASE)
        assert caught.value.code == "credit.amount_range"
    with pytest.raises(CreditError) as caught:
        build_installment_offer(plan(12), 11, PURCHASE)  # less than a cent a month
    assert caught.value.code == "credit.amount_too_small"
    with pytest.raises(TypeError):
        build_installment_offer(plan(12), Decimal(100), PURCHASE)  # type: ignore[arg-type]


AMOUNTS = st.integers(1, MAX)
MONTHS = st.integers(1, 60)
RATES = st.integers(0, 2_500).map(lambda hundredths: Decimal(hundredths) / 100)
FEES = st.integers(0, 1_000)


@settings(deadline=None)
@given(AMOUNTS, MONTHS, RATES, FEES, FEES)
def test_schedule_adds_up_exactly(
    amount: int, months: int, rate: Decimal, setup_fee: int, monthly_fee: int
) -> None:
    product = plan(months, str(rate), setup_fee, monthly_fee)
    if amount < months:  # not even one cent of principal a month
        with pytest.raises(CreditError) as caught:
            build_installment_offer(product, amount, PURCHASE)
        assert caught.value.code == "credit.amount_too_small"
        return
    offer = build_installment_offer(product, amount, PURCHASE)
    schedule = offer.schedule
    assert len(schedule) == months
    assert [item.number for item in schedule] == list(range(1, months + 1))
    assert sum(item.amount for item in schedule) == offer.total_payable
    assert sum(item.principal for item in schedule) == amount
    interest = sum(item.interest for item in schedule)
    assert offer.total_payable == amount + interest + setup_fee + months * monthly_fee
    assert offer.total_cost == offer.total_payable - amount
    assert all(item.amount > 0 for item in schedule)
    assert all(item.principal >= 0 and item.interest >= 0 for item in schedule)
    assert schedule[0].fee == setup_fee + monthly_fee
    assert all(item.fee == monthly_fee for item in schedule[1:])
    # A level payment: every instalment but the first (set-up fee) and the last
    # (rounding rest) is exactly the advertised monthly amount.
    assert all(item.amount == offer.monthly_amount for item in schedule[1:-1])
    if months > 1:
        assert schedule[0].amount == offer.monthly_amount + setup_fee
    assert offer.apr.as_tuple().exponent == -1


@settings(deadline=None)
@given(AMOUNTS, MONTHS, RATES, FEES, FEES)
def test_apr_is_at_least_the_nominal_rate_when_fees_cover_interest_rounding(
    amount: int, months: int, rate: Decimal, setup_fee: int, monthly_fee: int
) -> None:
    # At the monthly rate r the schedule is worth exactly the credit plus Σ v^k (e_k + fee_k),
    # where e_k (|e_k| <= 0.5) is the rounding of month k's interest. So fees of at least a
    # cent a month, or a set-up fee of a cent per month, make it worth at least the credit:
    # APR >= (1 + r)^12 - 1 >= nominal. Smaller fees may not; see the test below.
    assume(amount >= months and (monthly_fee >= 1 or setup_fee >= months))
    offer = build_installment_offer(
        plan(months, str(rate), setup_fee, monthly_fee), amount, PURCHASE
    )
    with localcontext(Context(prec=40)):
        effective = ((1 + rate / 1200) ** 12 - 1) * 100
    assert unrounded_apr(offer) >= effective - Decimal("1e-12")
    assert unrounded_apr(offer) >= rate
    assert offer.apr >= rate.quantize(Decimal("0.1"), ROUND_HALF_UP)


def test_rounded_interest_can_leave_the_apr_below_a_tiny_nominal_rate() -> None:
    # 100.00 EUR at 0.05 % over 60 months: each month's interest is under half a cent and
    # rounds to 0, so a 0.01 EUR set-up fee is the whole cost. This is what the schedule
    # really charges, and the APR says so.
    offer = build_installment_offer(plan(60, "0.05", setup_fee=1), 10_000, PURCHASE)
    assert sum(item.interest for item in offer.schedule) == 0
    assert offer.apr == Decimal("0.0") < Decimal("0.05")


@settings(deadline=None)
@given(
    st.integers(60, MAX),
    MONTHS,
    RATES,
    FEES,
    FEES,
    st.integers(1, 500),
    st.sampled_from(["setup_fee", "monthly_fee"]),
)
def test_apr_rises_with_the_fees(
    amount: int,
    months: int,
    rate: Decimal,
    setup_fee: int,
    monthly_fee: int,
    extra: int,
    which: str,
) -> None:
    # Fees do not change principal or interest, so more fee means strictly more APR.
    lower = plan(months, str(rate), setup_fee, monthly_fee)
    higher = plan(
        months,
        str(rate),
        setup_fee + (extra if which == "setup_fee" else 0),
        monthly_fee + (extra if which == "monthly_fee" else 0),
    )
    low = build_installment_offer(lower, amount, PURCHASE)
    high = build_installment_offer(higher, amount, PURCHASE)
    assert unrounded_apr(high) > unrounded_apr(low)
    assert high.apr >= low.apr


@settings(deadline=None)
@given(
    st.integers(100_000, MAX), MONTHS, st.integers(0, 2_400), FEES, FEES, st.integers(100, 1_000)
)
def test_apr_rises_with_the_rate(
    amount: int, months: int, rate_hundredths: int, setup_fee: int, monthly_fee: int, step: int
) -> None:
    # Exact annuities are strictly monotone in the rate; rounding to cents moves the APR
    # by at most about 1200 / amount points, 0.012 from 1000.00 up, well under the step of
    # at least one point. (Below that, e.g. 0.27 EUR over 14 months with large fees, the
    # cents decide and the APR can fall as the rate rises.)
    rate = Decimal(rate_hundredths) / 100
    higher_rate = min(rate + Decimal(step) / 100, Decimal(25))
    assume(higher_rate - rate >= 1)
    low = build_installment_offer(plan(months, str(rate), setup_fee, monthly_fee), amount, PURCHASE)
    high = build_installment_offer(
        plan(months, str(higher_rate), setup_fee, monthly_fee), amount, PURCHASE
    )
    assert unrounded_apr(high) > unrounded_apr(low)
    assert high.apr >= low.apr


# --- invoices ---------------------------------------------------------------------------


def test_invoice_without_fee() -> None:
    offer = build_invoice_offer(invoice(), 124_990, PURCHASE, date(2026, 3, 24))
    assert offer.method == "invoice" and offer.months == 0
    assert offer.apr == Decimal("0.0")
    assert offer.total_payable == offer.monthly_amount == 124_990
    assert offer.total_cost == 0
    (only,) = offer.schedule
    assert (only.number, only.due_date, only.amount) == (1, date(2026, 3, 24), 124_990)


def test_invoice_fee_apr_counts_actual_days() -> None:
    offer = build_invoice_offer(invoice(fee=295), 10_000, date(2027, 3, 1), date(2027, 3, 15))
    assert offer.total_payable == 10_295 and offer.total_cost == 295
    assert offer.schedule[0].fee == 295 and offer.schedule[0].principal == 10_000
    with localcontext(Context(prec=40)):
        exact = (Decimal("1.0295") ** (Decimal(365) / 14) - 1) * 100
    assert offer.apr == exact.quantize(Decimal("0.1"), ROUND_HALF_UP) == Decimal("113.4")


@pytest.mark.parametrize(
    ("purchase", "due", "apr"),
    [
        (date(2027, 3, 1), date(2027, 3, 15), "113.4"),  # 365-day year
        (date(2028, 3, 1), date(2028, 3, 15), "113.8"),  # leap year: 366
        (date(2027, 12, 31), date(2028, 1, 14), "113.8"),  # every day counted is in 2028
        (date(2028, 12, 20), date(2029, 1, 3), "113.8"),  # some days counted are in 2028
        (date(2028, 12, 31), date(2029, 1, 14), "113.4"),  # the purchase day is not counted
    ],
)
def test_invoice_apr_uses_366_days_in_leap_years(purchase: date, due: date, apr: str) -> None:
    assert build_invoice_offer(invoice(fee=295), 10_000, purchase, due).apr == Decimal(apr)


def test_invoice_needs_a_due_date_after_the_purchase() -> None:
    for due in (PURCHASE, PURCHASE - timedelta(days=1)):
        with pytest.raises(CreditError) as caught:
            build_invoice_offer(invoice(), 1_000, PURCHASE, due)
        assert caught.value.code == "credit.due_date"
    with pytest.raises(CreditError) as caught:
        build_invoice_offer(invoice(min_amount=500), 499, PURCHASE, date(2026, 3, 24))
    assert caught.value.code == "credit.amount_range"


# --- offer sets -------------------------------------------------------------------------


def test_offers_come_invoice_first_then_by_months_and_only_where_they_apply() -> None:
    plans = [
        plan(24, "14.9", 2_900, 295),
        plan(3, monthly_fee=295),
        plan(12, "9.9", 1_900, 295),
        plan(36, "17.5", min_amount=200_000),
        plan(6, currency="SEK"),
        plan(48, "9.9", max_amount=100_000),
    ]
    invoices = [
        invoice(fee=295),
        invoice(product_id="invoice-sek", currency="SEK"),
        invoice(product_id="invoice-small", max_amount=50_000),
    ]
    offers = offers_for(124_990, "EUR", invoices, plans, PURCHASE, date(2026, 3, 24), next_weekday)
    assert [offer.id for offer in offers] == ["invoice14", "plan3", "plan12", "plan24"]
    assert [offer.method for offer in offers] == ["invoice"] + ["installments"] * 3
    for offer in offers[1:]:
        alone = build_installment_offer(
            next(p for p in plans if p.id == offer.id), 124_990, PURCHASE, next_weekday
        )
        assert offer == alone  # sharing the due dates changes nothing


def test_offers_for_takes_a_due_date_per_invoice_product() -> None:
    products = [
        invoice(),
        InvoiceProduct(
            id="invoice30", days_to_pay=30, min_amount=1, max_amount=MAX, currency="EUR"
        ),
    ]
    offers = offers_for(
        10_000,
        "EUR",
        products,
        [],
        PURCHASE,
        lambda product: PURCHASE + timedelta(days=product.days_to_pay),
    )
    assert [offer.schedule[0].due_date for offer in offers] == [date(2026, 3, 24), date(2026, 4, 9)]


def test_offers_for_leaves_out_plans_with_more_months_than_cents() -> None:
    assert [
        o.id for o in offers_for(5, "EUR", [], [plan(3), plan(6)], PURCHASE, date(2026, 3, 24))
    ] == ["plan3"]
    assert offers_for(100, "EUR", [], [], PURCHASE, date(2026, 3, 24)) == []


# --- caps -------------------------------------------------------------------------------


def test_interest_caps() -> None:
    assert fi_interest_cap(Decimal("2.5"), Decimal(15), Decimal(20)) == Decimal("17.5")
    assert fi_interest_cap(Decimal(6), Decimal(15), Decimal(20)) == Decimal(20)
    assert se_interest_cap(Decimal("4.00"), Decimal(20)) == Decimal("24.00")


FI_CAPS = CreditCaps(
    country="FI",
    max_nominal_rate=Decimal("17.5"),
    max_other_costs_per_year=15_000,
    total_cost_max_ratio=None,
    max_setup_fee=None,
)
SE_CAPS = CreditCaps(
    country="SE",
    max_nominal_rate=Decimal("24"),
    max_other_costs_per_year=None,
    total_cost_max_ratio=Decimal(1),
    max_setup_fee=5_880,
)


def test_a_product_within_the_caps_passes() -> None:
    product = plan(12, "9.9", 1_900, 295, min_amount=5_000, max_amount=500_000)
    assert check_caps(product, FI_CAPS, [5_000, 250_000, 500_000]) == []


def test_fi_caps_name_the_rate_and_the_yearly_costs() -> None:
    product = plan(24, "19.9", 3_900, 995)
    violations = check_caps(product, FI_CAPS, [100_000])
    assert violations == [
        CapViolation("nominal_rate", "17.5 %", "19.9 %"),
        # 39.00 set-up fee + 12 x 9.95 in the first year = 158.40
        CapViolation("monthly_fee", "150.00 EUR a year", "158.40 EUR a year"),
    ]


def test_yearly_costs_of_a_short_plan_count_its_months_only() -> None:
    assert check_caps(plan(6, setup_fee=5_000, monthly_fee=1_600), FI_CAPS, []) == []
    assert check_caps(plan(7, setup_fee=5_000, monthly_fee=1_600), FI_CAPS, []) == [
        CapViolation("monthly_fee", "150.00 EUR a year", "162.00 EUR a year")
    ]


def test_se_caps_name_the_set_up_fee_and_the_total_cost() -> None:
    product = InstallmentProduct(
        id="se36",
        months=36,
        nominal_rate=Decimal("19.9"),
        setup_fee=6_000,
        monthly_fee=2_900,
        min_amount=10_000,
        max_amount=2_000_000,
        currency="SEK",
    )
    violations = check_caps(product, SE_CAPS, [10_000, 500_000, 5_000, 3_000_000])
    assert violations[0] == CapViolation("setup_fee", "58.80 SEK", "60.00 SEK")
    (total,) = violations[1:]  # only 100.00 SEK costs more than itself; 5 000 is fine
    assert total.field == "total_cost"
    assert total.limit == "100.00 SEK (100 % of a credit of 100.00 SEK)"
    offer = build_installment_offer(product, 10_000, PURCHASE)
    assert total.value == f"{offer.total_cost // 100}.{offer.total_cost % 100:02d} SEK"


def test_no_caps_means_no_violations() -> None:
    caps = CreditCaps(
        country="NO",
        max_nominal_rate=None,
        max_other_costs_per_year=None,
        total_cost_max_ratio=None,
        max_setup_fee=None,
    )
    assert check_caps(plan(60, "24.99", 1_000, 1_000), caps, [100, 1_000_000]) == []


# --- caps on an invoice's fee -------------------------------------------------------------------


def fee_invoice(fee: int, currency: str = "EUR", min_amount: int = 1_000) -> InvoiceProduct:
    return InvoiceProduct(id="inv14", days_to_pay=14, min_amount=min_amount,
                          max_amount=500_000, currency=currency, fee=fee)


def test_a_usual_invoice_fee_is_within_the_caps() -> None:
    assert check_invoice_caps(fee_invoice(295), FI_CAPS, [1_000, 500_000]) == []
    assert check_invoice_caps(fee_invoice(4_900, "SEK", 10_000), SE_CAPS, [10_000]) == []


def test_fi_invoice_fee_above_the_yearly_other_costs_is_named() -> None:
    # An invoice runs for less than a year: its one fee is that year's other costs (150 EUR).
    assert check_invoice_caps(fee_invoice(15_000), FI_CAPS, [1_000]) == []
    assert check_invoice_caps(fee_invoice(15_001), FI_CAPS, [1_000]) == [
        CapViolation("fee", "150.00 EUR a year", "150.01 EUR a year")]


def test_se_invoice_fee_is_held_to_the_set_up_fee_and_the_credit_amount() -> None:
    violations = check_invoice_caps(fee_invoice(5_900, "SEK", 5_000), SE_CAPS, [5_000, 500_000])
    assert violations == [
        CapViolation("fee", "58.80 SEK (set-up fee)", "59.00 SEK"),
        # A 50 SEK purchase may not cost more than 50 SEK in credit costs.
        CapViolation("total_cost", "50.00 SEK (100 % of a credit of 50.00 SEK)", "59.00 SEK"),
    ]
