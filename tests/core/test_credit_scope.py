"""Which offers are consumer credit, and the APR ceiling on plans: no Flask, no database.

The day counts are the law's (Directive (EU) 2023/2225 Art. 2(2): a free deferral of at most
50 days by an SME, 14 days by any other supplier); the APR figures are the published
examples of nordic-rules.md § 4, not the code's own output.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from kassa.core.credit import (
    InstallmentProduct,
    InvoiceProduct,
    build_installment_offer,
    build_invoice_offer,
    offers_for,
)
from kassa.core.credit_scope import (
    ScopeRules,
    is_credit,
    offer_scope,
    product_scope,
    terms_scope,
)

PURCHASE = date(2026, 12, 2)
#: Finland and Sweden under CCD2, for an SME and for any other merchant.
SME = ScopeRules("FI", "sme", free_credit_exempt=False, deferral_exempt_days=50)
LARGE = ScopeRules("FI", "large", free_credit_exempt=False, deferral_exempt_days=14)
#: Finland before CCD2: free credit is outside chapter 7 whatever its length.
FI_BEFORE = ScopeRules("FI", "sme", free_credit_exempt=True, deferral_exempt_days=None)
#: Norway: no exemption found.
NO = ScopeRules("NO", "sme", free_credit_exempt=False, deferral_exempt_days=None)


def invoice(days: int = 14, fee: int = 0) -> InvoiceProduct:
    return InvoiceProduct("inv", days_to_pay=days, min_amount=1, max_amount=10**9,
                          currency="EUR", fee=fee)


def plan(months: int, rate: str = "0", setup: int = 0, monthly: int = 0,
         min_amount: int = 1) -> InstallmentProduct:
    return InstallmentProduct(f"p{months}", months, Decimal(rate), setup, monthly, min_amount,
                              10**9, "EUR")


def free(days: int, rules: ScopeRules) -> tuple[bool, str]:
    scope = terms_scope(nominal_rate=Decimal(0), fees=0, deferral_days=days, rules=rules)
    return scope.consumer_credit, scope.reason


def test_a_free_deferral_is_exempt_up_to_the_days_the_merchant_size_allows() -> None:
    assert free(50, SME) == (False, "exempt_deferral")
    assert free(51, SME) == (True, "credit_duration")
    assert free(14, LARGE) == (False, "exempt_deferral")
    assert free(15, LARGE) == (True, "credit_duration")


def test_interest_or_any_fee_makes_even_a_short_deferral_credit() -> None:
    one_day = {"deferral_days": 1, "rules": SME}
    assert terms_scope(nominal_rate=Decimal("0.1"), fees=0, **one_day).reason == \
        "credit_interest"
    assert terms_scope(nominal_rate=Decimal(0), fees=1, **one_day).reason == "credit_fees"
    # Finland's old exemption was only for credit free of interest *and* charges.
    assert terms_scope(nominal_rate=Decimal(0), fees=295, deferral_days=90,
                       rules=FI_BEFORE).consumer_credit


def test_without_an_exemption_row_every_deferral_is_credit() -> None:
    assert free(1, NO) == (True, "credit_no_exemption")
    assert free(365, FI_BEFORE) == (False, "exempt_free")


def test_a_14_day_invoice_is_exempt_for_an_sme_and_credit_once_it_costs_something() -> None:
    due = PURCHASE + timedelta(days=14)
    offer = build_invoice_offer(invoice(), 6990, PURCHASE, due)
    assert offer_scope(offer, PURCHASE, SME).reason == "exempt_deferral"
    assert not is_credit(offer, PURCHASE, SME)
    # Sent by letter it is due later: the latest due date counts, and 16 days > 14.
    later = PURCHASE + timedelta(days=16)
    assert offer_scope(offer, PURCHASE, LARGE, last_due_date=later).reason == "credit_duration"
    assert offer_scope(offer, PURCHASE, LARGE).reason == "exempt_deferral"
    with_fee = build_invoice_offer(invoice(fee=295), 6990, PURCHASE, due)
    assert offer_scope(with_fee, PURCHASE, SME).reason == "credit_fees"


def test_an_interest_and_fee_free_plan_runs_past_50_days_and_is_credit() -> None:
    offer = build_installment_offer(plan(3), 30000, PURCHASE)
    assert offer.total_cost == 0
    assert offer_scope(offer, PURCHASE, SME).reason == "credit_duration"
    assert offer_scope(offer, PURCHASE, FI_BEFORE).reason == "exempt_free"
    # One free month ends within 50 days: the same exemption as a free invoice.
    assert offer_scope(build_installment_offer(plan(1), 30000, PURCHASE), PURCHASE,
                       SME).reason == "exempt_deferral"
    assert offer_scope(build_installment_offer(plan(3, monthly=295), 30000, PURCHASE),
                       PURCHASE, SME).reason == "credit_fees"


def test_a_product_is_judged_on_its_longest_deferral() -> None:
    assert product_scope(invoice(), 20, SME).reason == "exempt_deferral"
    assert product_scope(invoice(), 20, LARGE).reason == "credit_duration"
    assert product_scope(invoice(fee=100), 14, SME).reason == "credit_fees"
    assert product_scope(plan(12, "9.9"), 365, SME).reason == "credit_interest"
    assert product_scope(plan(3, setup=100), 90, SME).reason == "credit_fees"


# --- the APR ceiling --------------------------------------------------------------------


def test_a_plan_above_the_apr_ceiling_is_left_out_and_one_at_it_is_offered() -> None:
    # Published example: EUR 1 000 at 0 %, 3 x (333.34 + 2.95 fee) has an APR of 5.4 %.
    three = plan(3, monthly=295)
    due = PURCHASE + timedelta(days=14)

    def ids(ceiling: str | None) -> list[str]:
        return [o.id for o in offers_for(
            100_000, "EUR", [invoice(fee=295)], [three], PURCHASE, due,
            max_plan_apr=Decimal(ceiling) if ceiling else None)]

    assert ids("5.4") == ["inv", "p3"]
    assert ids("5.3") == ["inv"]  # the invoice is held by the caps, not by this ceiling
    assert ids(None) == ["inv", "p3"]


def test_fixed_fees_on_a_small_amount_give_an_apr_no_ceiling_lets_through() -> None:
    # EUR 69.90 over 3 months with EUR 2.95 a month: 8.85 of fees on 69.90 is an APR above
    # 100 %; the same plan on EUR 300 is under 20 %.
    three = plan(3, monthly=295)
    small = offers_for(6990, "EUR", [], [three], PURCHASE, PURCHASE + timedelta(days=14),
                       max_plan_apr=Decimal(20))
    assert small == []
    assert build_installment_offer(three, 6990, PURCHASE).apr > 100
    larger = offers_for(30000, "EUR", [], [three], PURCHASE, PURCHASE + timedelta(days=14),
                        max_plan_apr=Decimal(20))
    assert [o.id for o in larger] == ["p3"] and larger[0].apr <= 20


def test_an_offer_is_credit_until_the_services_judge_it() -> None:
    offer = build_invoice_offer(invoice(), 6990, PURCHASE, PURCHASE + timedelta(days=14))
    assert offer.consumer_credit is True  # the safe side
