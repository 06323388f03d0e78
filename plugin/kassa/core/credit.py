"""Pay-by-invoice and instalment offers, their schedules and APR, and the country caps.

Every amount is an ``int`` of minor units in the product's currency; rates are ``Decimal``
percentages (``Decimal("9.9")`` is 9.9 % a year). All rounding is half up on exact
fractions (see :func:`kassa.core.money.round_ratio`), so a schedule never loses or
invents a cent: the instalments always sum to ``total_payable``.

The legal numbers (rate ceilings, fee caps) are not in this module; the configuration
layer passes them in as :class:`CreditCaps`.
"""

from __future__ import annotations

from calendar import isleap, monthrange  # the standard library's, not kassa.core.calendar
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Literal, NamedTuple

from kassa.core.apr import apr_percent_in_periods, apr_percent_of_instalments
from kassa.core.errors import CreditError
from kassa.core.money import Money, minor_unit_exponent, round_ratio

__all__ = [
    "Instalment",
    "InstallmentProduct",
    "InvoiceProduct",
    "Offer",
    "add_months",
    "amortize",
    "build_installment_offer",
    "build_invoice_offer",
    "offers_for",
]

_ZERO_APR = Decimal("0.0")
_MONTHS_A_YEAR = 12


def _identity(day: date) -> date:
    return day


def _check_product(product: InvoiceProduct | InstallmentProduct, minimums: dict[str, int]) -> None:
    """Raise ``CreditError`` (``credit.product``) naming the first field that is wrong."""
    for name, rule in _product_problems(product, minimums):
        value = getattr(product, name)
        raise CreditError(
            f"product {product.id!r}: {name} must be {rule}, not {value!r}",
            code="credit.product",
            field=name,
            value=repr(value),
        )
    minor_unit_exponent(product.currency)


def _product_problems(
    product: InvoiceProduct | InstallmentProduct, minimums: dict[str, int]
) -> Iterator[tuple[str, str]]:
    # Lazy, so that each check may rely on the ones before it having passed.
    if not isinstance(product.id, str) or not product.id:
        yield "id", "a non-empty text"
    for name, minimum in minimums.items():
        value = getattr(product, name)
        if type(value) is not int or value < minimum:
            yield name, f"an int >= {minimum}"
    if product.min_amount > product.max_amount:
        yield "min_amount", "at most max_amount"
    rate = getattr(product, "nominal_rate", Decimal(0))
    if not (isinstance(rate, Decimal) and rate.is_finite() and 0 <= rate < 100):
        yield "nominal_rate", "a Decimal percent from 0 to below 100"


_AMOUNTS = {"min_amount": 0, "max_amount": 0}


@dataclass(frozen=True)
class InvoiceProduct:
    """Pay the whole amount in one payment ``days_to_pay`` days after the purchase."""

    id: str
    #: Days the shopper has to pay; the caller turns it into a due date with the calendar.
    days_to_pay: int
    #: Smallest and largest purchase offered this way, in minor units.
    min_amount: int
    max_amount: int
    currency: str
    #: Invoice fee in minor units, paid with the payment.
    fee: int = dataclass_field(default=0, kw_only=True)

    def __post_init__(self) -> None:
        _check_product(self, {"days_to_pay": 1, "fee": 0, **_AMOUNTS})


@dataclass(frozen=True)
class InstallmentProduct:
    """An annuity over ``months`` monthly instalments."""

    id: str
    months: int
    #: Annual nominal borrowing rate in percent, e.g. ``Decimal("9.9")``.
    nominal_rate: Decimal
    #: Set-up fee in minor units, charged with the first instalment.
    setup_fee: int
    #: Fee in minor units charged with every instalment.
    monthly_fee: int
    #: Smallest and largest credit offered, in minor units.
    min_amount: int
    max_amount: int
    currency: str

    def __post_init__(self) -> None:
        _check_product(self, {"months": 1, "setup_fee": 0, "monthly_fee": 0, **_AMOUNTS})


class Instalment(NamedTuple):
    """One payment of a schedule; every amount in minor units.

    A named tuple rather than a frozen dataclass: a price list of a few plans builds dozens
    of them per request, and a tuple is built several times faster.
    """

    #: 1 for the first payment.
    number: int
    due_date: date
    principal: int
    interest: int
    #: Fees charged with this payment (the set-up fee sits in the first one).
    fee: int

    @property
    def amount(self) -> int:
        """What the shopper pays on :attr:`due_date`: principal + interest + fee."""
        return self.principal + self.interest + self.fee


@dataclass(frozen=True)
class Offer:
    """A priced way to pay, with everything Art. 4/5 of Directive 2008/48/EC asks to show.

    Amounts are minor units of :attr:`currency`; rates are percentages.
    """

    method: Literal["invoice", "installments"]
    #: The product's id.
    id: str
    currency: str
    #: The credit (purchase) amount.
    credit_amount: int
    #: Number of monthly instalments; 0 for an invoice (one payment within days).
    months: int
    #: Annual nominal borrowing rate in percent; 0 for an invoice.
    nominal_rate: Decimal
    #: APR in percent with one decimal, e.g. ``Decimal("14.3")``.
    apr: Decimal
    #: One-off fee: the set-up fee, or the invoice fee.
    setup_fee: int
    monthly_fee: int
    #: The regular instalment including the monthly fee; for an invoice the one payment.
    monthly_amount: int
    #: ``total_payable - credit_amount``: interest and every fee.
    total_cost: int
    total_payable: int
    schedule: tuple[Instalment, ...]
    #: Whether the offer is consumer credit under the country's law (see
    #: :mod:`kassa.core.credit_scope`); the services set it. True until decided: treating an
    #: offer as credit is the safe side.
    consumer_credit: bool = True


def add_months(start: date, months: int) -> date:
    """Return the date ``months`` months after ``start`` on the same day of the month.

    A day the target month lacks becomes its last day (31 Jan + 1 month = 28/29 Feb);
    the day of ``start`` is kept for later months (31 Jan + 2 months = 31 Mar).
    """
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, monthrange(year, month)[1]))


def _days_in_year(purchase_date: date, due_date: date) -> int:
    """366 if any day counted (after the purchase up to the due date) is in a leap year."""
    first_counted = purchase_date + timedelta(days=1)
    return 366 if any(map(isleap, range(first_counted.year, due_date.year + 1))) else 365


def _check_amount(product: InvoiceProduct | InstallmentProduct, amount: int) -> None:
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError(f"amount must be an int of minor units, not {type(amount).__name__}")
    if amount < 1 or not product.min_amount <= amount <= product.max_amount:
        limits = (
            f"{Money(product.min_amount, product.currency)} to "
            f"{Money(product.max_amount, product.currency)}"
        )
        raise CreditError(
            f"product {product.id!r} is offered for {limits}, not for "
            f"{Money(amount, product.currency) if amount >= 0 else amount}",
            code="credit.amount_range",
            product=product.id,
            amount=amount,
        )


def build_invoice_offer(
    product: InvoiceProduct, amount: int, purchase_date: date, due_date: date
) -> Offer:
    """Price paying ``amount`` minor units in one payment of ``amount + fee`` on ``due_date``.

    The APR counts the actual days from ``purchase_date`` to ``due_date`` over a year of
    365 days, or 366 when a day of the period falls in a leap year; it is 0.0 without a fee.

    :raises CreditError: ``credit.amount_range`` outside the product's amounts,
        ``credit.due_date`` unless the due date is after the purchase date.
    """
    _check_amount(product, amount)
    days = (due_date - purchase_date).days
    if days < 1:
        raise CreditError(
            f"the due date {due_date.isoformat()} must be after the purchase date "
            f"{purchase_date.isoformat()}",
            code="credit.due_date",
            product=product.id,
        )
    payable = amount + product.fee
    if product.fee == 0:
        apr = _ZERO_APR
    else:
        apr = apr_percent_in_periods(
            [(0, amount)], [(days, payable)], _days_in_year(purchase_date, due_date)
        )
    return Offer(
        method="invoice",
        id=product.id,
        currency=product.currency,
        credit_amount=amount,
        months=0,
        nominal_rate=Decimal(0),
        apr=apr,
        setup_fee=product.fee,
        monthly_fee=0,
        monthly_amount=payable,
        total_cost=product.fee,
        total_payable=payable,
        schedule=(Instalment(1, due_date, amount, 0, product.fee),),
    )


def amortize(amount: int, months: int, nominal_rate: Decimal) -> tuple[int, list[tuple[int, int]]]:
    """Return ``(level payment, [(principal, interest), ...])`` of an annuity, minor units.

    Monthly rate ``r = nominal_rate / 12 / 100``, used as an exact fraction. The level
    payment is ``P r / (1 - (1 + r)^-n)`` (``P / n`` at 0 %) rounded half up; each month's
    interest is ``balance * r`` rounded half up and its principal the payment less the
    interest; the last instalment repays whatever principal remains. If the rounded
    payment would repay the credit before the last month (possible only for a few cents
    a month), it is lowered by one minor unit, which provably leaves principal for the
    last instalment. Needs ``amount >= months`` so that no instalment is zero.
    """
    if amount < months:
        raise CreditError(
            f"{amount} minor units cannot be spread over {months} instalments",
            code="credit.amount_too_small",
            amount=amount,
            months=months,
        )
    numerator, denominator = nominal_rate.as_integer_ratio()
    rate_denominator = denominator * 100 * _MONTHS_A_YEAR  # r = numerator / rate_denominator
    if numerator == 0:
        payment = round_ratio(amount, months, ROUND_HALF_UP)
    else:
        grown = (rate_denominator + numerator) ** months  # (1 + r)^n * rate_denominator^n
        base = rate_denominator**months
        payment = round_ratio(
            amount * numerator * grown, rate_denominator * (grown - base), ROUND_HALF_UP
        )
    rows = _rows(amount, months, numerator, rate_denominator, payment)
    if rows[-1][0] < 1:
        payment -= 1
        rows = _rows(amount, months, numerator, rate_denominator, payment)
    return payment, rows


def _rows(
    amount: int, months: int, numerator: int, rate_denominator: int, payment: int
) -> list[tuple[int, int]]:
    # balance * r rounded half up; balances never go negative, so half up is
    # floor(x + 1/2) = (2 balance numerator + denominator) // (2 denominator).
    rows: list[tuple[int, int]] = []
    balance = amount
    twice_denominator = 2 * rate_denominator
    for _ in range(months - 1):
        interest = (2 * balance * numerator + rate_denominator) // twice_denominator
        principal = payment - interest
        rows.append((principal, interest))
        balance -= principal
    rows.append((balance, (2 * balance * numerator + rate_denominator) // twice_denominator))
    return rows


def build_installment_offer(
    product: InstallmentProduct,
    amount: int,
    purchase_date: date,
    roll: Callable[[date], date] = _identity,
) -> Offer:
    """Price ``amount`` minor units as an annuity over ``product.months`` months.

    The schedule follows :func:`amortize`; the set-up fee is charged with the first
    instalment and the monthly fee with every one. Instalment ``k`` is due ``k`` months
    after ``purchase_date`` on the same day of the month (clamped to the month's end, see
    :func:`add_months`) and then passed through ``roll``, e.g. the country calendar's
    "next business day"; ``roll`` must depend on its date alone, as the due dates are
    kept for the next amount. The APR uses twelve equal months (Annex I) whatever ``roll``
    did.

    :raises CreditError: ``credit.amount_range`` outside the product's amounts,
        ``credit.amount_too_small`` if the amount is below one minor unit a month.
    """
    _check_amount(product, amount)
    return _installment_offer(product, amount, _due_dates(purchase_date, product.months, roll))


@lru_cache(maxsize=256)
def _due_dates(
    purchase_date: date, months: int, roll: Callable[[date], date]
) -> tuple[date, ...]:
    # The same for every amount offered on a day: kept, as ``roll`` (the calendar's "next
    # business day") depends on nothing but its date.
    return tuple(roll(add_months(purchase_date, number)) for number in range(1, months + 1))


def _installment_offer(
    product: InstallmentProduct, amount: int, due_dates: Sequence[date]
) -> Offer:
    """The offer of :func:`build_installment_offer`, with the due dates already computed."""
    payment, rows = amortize(amount, product.months, product.nominal_rate)
    schedule: list[Instalment] = []
    paid: list[int] = []
    for number, (principal, interest) in enumerate(rows, start=1):
        fee = product.monthly_fee + (product.setup_fee if number == 1 else 0)
        schedule.append(Instalment(number, due_dates[number - 1], principal, interest, fee))
        paid.append(principal + interest + fee)
    total_payable = sum(paid)
    return Offer(
        method="installments",
        id=product.id,
        currency=product.currency,
        credit_amount=amount,
        months=product.months,
        nominal_rate=product.nominal_rate,
        apr=apr_percent_of_instalments(amount, paid, _MONTHS_A_YEAR),
        setup_fee=product.setup_fee,
        monthly_fee=product.monthly_fee,
        monthly_amount=payment + product.monthly_fee,
        total_cost=total_payable - amount,
        total_payable=total_payable,
        schedule=tuple(schedule),
    )


def offers_for(
    amount: int,
    currency: str,
    invoice_products: Sequence[InvoiceProduct],
    installment_products: Sequence[InstallmentProduct],
    purchase_date: date,
    invoice_due_date: date | Callable[[InvoiceProduct], date],
    roll: Callable[[date], date] = _identity,
    max_plan_apr: Decimal | None = None,
) -> list[Offer]:
    """Return every offer for ``amount`` minor units of ``currency``.

    Invoice offers come first in the order given, then instalment offers by number of
    months. A product of another currency, whose ``min_amount``/``max_amount`` the amount
    is outside, or (installments) with more months than the amount has minor units, is
    left out. ``invoice_due_date`` is the due date of every invoice product, or a function
    giving each product's due date (e.g. from its ``days_to_pay`` and the calendar).

    ``max_plan_apr`` (percent) leaves out every instalment plan whose APR for this amount is
    above it: fixed fees make a plan on a small amount dearer than any interest rate the
    law allows, and such a plan is simply not offered. None: no ceiling.
    """
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError(f"amount must be an int of minor units, not {type(amount).__name__}")
    minor_unit_exponent(currency)
    offers: list[Offer] = []
    for invoice in invoice_products:
        if invoice.currency == currency and invoice.min_amount <= amount <= invoice.max_amount:
            due = (
                invoice_due_date
                if isinstance(invoice_due_date, date)
                else (invoice_due_date(invoice))
            )
            offers.append(build_invoice_offer(invoice, amount, purchase_date, due))
    plans = [
        plan
        for plan in sorted(installment_products, key=lambda product: product.months)
        if plan.currency == currency
        and plan.min_amount <= amount <= plan.max_amount
        and amount >= plan.months
    ]
    if plans:
        # One list of due dates serves every plan: plan k's dates are its first k.
        due_dates = _due_dates(purchase_date, plans[-1].months, roll)
        priced = (_installment_offer(plan, amount, due_dates) for plan in plans)
        offers.extend(offer for offer in priced
                      if max_plan_apr is None or offer.apr <= max_plan_apr)
    return offers
