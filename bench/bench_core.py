"""How fast the core prices a checkout: complete offer sets against a naive annuity baseline.

Run from the project root::

    .venv/bin/python bench/bench_core.py [seconds per measurement, default 2]

(a) offer sets/s: ``offers_for`` for a realistic 1 249.90 EUR basket and a Finnish-style
    product set (invoice in 14 days, installments over 3/6/12/24/36 months), every offer
    with its full schedule (due dates rolled to the next business day) and APR;
(b) baseline annuity sets/s: per set, one Decimal annuity formula ``P r / (1 - (1 + r)^-n)``
    per installment product, which is all a naive calculator does.

Prints both rates and their ratio. Nothing here asserts on time.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kassa.core.credit import (  # noqa: E402
    InstallmentProduct,
    InvoiceProduct,
    Offer,
    offers_for,
)
from kassa.core.money import Money, OrderLine, basket_total  # noqa: E402

PURCHASE = date(2026, 1, 30)  # a Friday at the end of a month: clamping and rolling both bite

BASKET = [
    OrderLine("Trail running shoes", 1, Money.parse("899.90", "EUR"), Decimal("25.5")),
    OrderLine("Merino socks", 3, Money.parse("50.00", "EUR"), Decimal("25.5")),
    OrderLine("Trail guide book", 2, Money.parse("100.00", "EUR"), Decimal("10")),
]

INVOICE = InvoiceProduct(
    id="invoice-14", days_to_pay=14, fee=295, min_amount=1_000, max_amount=500_000, currency="EUR"
)
PLANS = [
    InstallmentProduct(
        id=f"installments-{months}",
        months=months,
        nominal_rate=Decimal(rate),
        setup_fee=setup_fee,
        monthly_fee=monthly_fee,
        min_amount=minimum,
        max_amount=1_000_000,
        currency="EUR",
    )
    for months, rate, setup_fee, monthly_fee, minimum in [
        (3, "0", 0, 295, 3_000),
        (6, "0", 0, 395, 6_000),
        (12, "9.9", 1_900, 295, 20_000),
        (24, "14.9", 2_900, 295, 50_000),
        (36, "17.5", 2_900, 295, 100_000),
    ]
]


def business_day_roll() -> Callable[[date], date]:
    """The Finnish calendar's next business day; weekends only if that module is absent."""
    try:
        from kassa.core.calendar import business_calendar

        return business_calendar("FI").next_business_day
    except ImportError:  # pragma: no cover - the calendar is another module's job

        def next_weekday(day: date) -> date:
            while day.weekday() >= 5:
                day += timedelta(days=1)
            return day

        return next_weekday


def naive_annuity_set(amount: int, plans: list[InstallmentProduct]) -> list[Decimal]:
    """One Decimal annuity payment (minor units, rounded half up) per plan."""
    payments = []
    principal = Decimal(amount)
    for product in plans:
        rate = product.nominal_rate / 1200
        if rate:
            payment = principal * rate / (1 - (1 + rate) ** -product.months)
        else:
            payment = principal / product.months
        payments.append(payment.quantize(Decimal(1), ROUND_HALF_UP))
    return payments


def per_second(work: Callable[[], object], seconds: float) -> float:
    """Call ``work`` repeatedly for about ``seconds``; return calls per second."""
    work()  # warm up caches (currency data, holiday tables)
    calls = 0
    start = time.perf_counter()
    deadline = start + seconds
    while True:
        for _ in range(20):
            work()
        calls += 20
        now = time.perf_counter()
        if now >= deadline:
            return calls / (now - start)


def describe(offer: Offer) -> str:
    def money(minor: int) -> str:
        return str(Money(minor, offer.currency))

    first, last = offer.schedule[0], offer.schedule[-1]
    return (
        f"  {offer.id:<16} {offer.months:>2} mo  {money(offer.monthly_amount):>12}/payment"
        f"  cost {money(offer.total_cost):>11}  APR {offer.apr:>6} %"
        f"  due {first.due_date.isoformat()} .. {last.due_date.isoformat()}"
    )


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 2.0
    amount = basket_total(BASKET).minor
    roll = business_day_roll()
    invoice_due = roll(PURCHASE + timedelta(days=INVOICE.days_to_pay))

    def offer_set() -> list[Offer]:
        return offers_for(amount, "EUR", [INVOICE], PLANS, PURCHASE, invoice_due, roll)

    offers = offer_set()
    print(
        f"basket {Money(amount, 'EUR')}, purchase {PURCHASE.isoformat()}, "
        f"{len(offers)} offers, {sum(len(o.schedule) for o in offers)} instalments a set"
    )
    for offer in offers:
        print(describe(offer))

    offer_rate = per_second(offer_set, seconds)
    baseline_rate = per_second(lambda: naive_annuity_set(amount, PLANS), seconds)
    print(
        f"offer sets/s: {offer_rate:.0f}  baseline annuity sets/s: {baseline_rate:.0f}  "
        f"ratio: {offer_rate / baseline_rate:.3f}"
    )


if __name__ == "__main__":
    main()
