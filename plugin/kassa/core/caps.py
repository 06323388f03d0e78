"""Country caps on consumer credit, checked against an installment or invoice product's terms.

The numbers are not here: the caller (the configuration layer) builds :class:`CreditCaps`
from the dated legal table in force on the day, so a change in the law is a row, not code.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from kassa.core.credit import InstallmentProduct, InvoiceProduct, amortize
from kassa.core.money import Money


@dataclass(frozen=True)
class CreditCaps:
    """A country's limits on instalment credit; ``None`` means no limit of that kind.

    Amounts are minor units of the product's currency, rates percentages. The values come
    from the dated legal configuration, never from code.
    """

    #: ISO 3166 country code, e.g. ``"FI"``.
    country: str
    #: Highest annual nominal rate in percent (see :func:`fi_interest_cap`).
    max_nominal_rate: Decimal | None
    #: Highest "other costs" in a year: set-up fee plus the monthly fees of the first
    #: 12 months (the most expensive year), in minor units (FI: 150.00 EUR).
    max_other_costs_per_year: int | None
    #: Highest total cost as a fraction of the credit amount (``Decimal(1)``: total cost
    #: may not exceed the credit amount, SE).
    total_cost_max_ratio: Decimal | None
    #: Highest set-up fee in minor units.
    max_setup_fee: int | None


@dataclass(frozen=True)
class CapViolation:
    """One cap a product breaks, in words a merchant can act on."""

    #: ``"nominal_rate"``, ``"setup_fee"``, ``"monthly_fee"`` (other costs a year) or
    #: ``"total_cost"``.
    field: str
    #: The cap, e.g. ``"17.5 %"`` or ``"150.00 EUR a year"``.
    limit: str
    #: The product's value, in the same terms.
    value: str


def _percent_text(rate: Decimal) -> str:
    return f"{rate.normalize():f} %"


def check_caps(
    product: InstallmentProduct, caps: CreditCaps, sample_amounts: Sequence[int]
) -> list[CapViolation]:
    """Return every cap ``product`` breaks; an empty list if it is within them all.

    Other costs a year are the set-up fee plus the monthly fees paid in the first 12
    months (or in all months of a shorter plan), the most expensive year of any plan.
    The total cost is checked on the schedule of each of ``sample_amounts`` (minor units)
    that the product can offer; one violation per amount over the cap.
    """
    violations: list[CapViolation] = []
    currency = product.currency

    def money(minor: int) -> str:
        return str(Money(minor, currency))

    if caps.max_nominal_rate is not None and product.nominal_rate > caps.max_nominal_rate:
        limit, value = _percent_text(caps.max_nominal_rate), _percent_text(product.nominal_rate)
        violations.append(CapViolation("nominal_rate", limit, value))
    if caps.max_setup_fee is not None and product.setup_fee > caps.max_setup_fee:
        violations.append(
            CapViolation("setup_fee", money(caps.max_setup_fee), money(product.setup_fee))
        )
    first_year = product.setup_fee + min(product.months, 12) * product.monthly_fee
    if caps.max_other_costs_per_year is not None and first_year > caps.max_other_costs_per_year:
        limit, value = money(caps.max_other_costs_per_year), money(first_year)
        violations.append(CapViolation("monthly_fee", f"{limit} a year", f"{value} a year"))
    if caps.total_cost_max_ratio is not None:
        ratio = Decimal(caps.total_cost_max_ratio)
        numerator, denominator = ratio.as_integer_ratio()
        for amount in sorted(set(sample_amounts)):
            if not product.min_amount <= amount <= product.max_amount or amount < product.months:
                continue
            rows = amortize(amount, product.months, product.nominal_rate)[1]
            cost = sum(row[1] for row in rows) + product.setup_fee
            cost += product.months * product.monthly_fee
            if cost * denominator > amount * numerator:
                limit = money(amount * numerator // denominator)
                share = f"{_percent_text(ratio * 100)} of a credit of {money(amount)}"
                violations.append(CapViolation("total_cost", f"{limit} ({share})", money(cost)))
    return violations


def check_invoice_caps(
    product: InvoiceProduct, caps: CreditCaps, sample_amounts: Sequence[int]
) -> list[CapViolation]:
    """Return every cap the fee of invoice ``product`` breaks; an empty list if none.

    An invoice that gives time to pay is a deferral of payment, listed with the credit
    methods; its fee is the only cost of that credit (no interest), charged once. So the fee
    is held to the caps that can apply to it, read strictly: the set-up fee cap (SE, a
    one-off fee of the credit), the other costs of a year (FI; an invoice runs for less than
    a year, so its one fee is that year's cost) and the total cost as a share of the credit
    (SE: no more than the credit amount) at each of ``sample_amounts`` (minor units) the
    product offers. The field of a violation is ``"fee"`` or ``"total_cost"``.
    """
    violations: list[CapViolation] = []

    def money(minor: int) -> str:
        return str(Money(minor, product.currency))

    if caps.max_setup_fee is not None and product.fee > caps.max_setup_fee:
        violations.append(CapViolation("fee", f"{money(caps.max_setup_fee)} (set-up fee)",
                                       money(product.fee)))
    if caps.max_other_costs_per_year is not None and product.fee > caps.max_other_costs_per_year:
        violations.append(CapViolation("fee", f"{money(caps.max_other_costs_per_year)} a year",
                                       f"{money(product.fee)} a year"))
    if caps.total_cost_max_ratio is not None:
        ratio = Decimal(caps.total_cost_max_ratio)
        numerator, denominator = ratio.as_integer_ratio()
        for amount in sorted(set(sample_amounts)):
            if not product.min_amount <= amount <= product.max_amount or amount <= 0:
                continue
            if product.fee * denominator > amount * numerator:
                limit = money(amount * numerator // denominator)
                share = f"{_percent_text(ratio * 100)} of a credit of {money(amount)}"
                violations.append(CapViolation("total_cost", f"{limit} ({share})",
                                               money(product.fee)))
    return violations


def fi_interest_cap(reference_rate: Decimal, margin_pp: Decimal, ceiling: Decimal) -> Decimal:
    """Finnish cap on the nominal rate, in percent: ``min(reference + margin, ceiling)``.

    All in percent / percentage points, e.g. reference 2.5, margin 15, ceiling 20 -> 17.5.
    """
    return min(reference_rate + margin_pp, ceiling)


def se_interest_cap(reference_rate: Decimal, margin_pp: Decimal) -> Decimal:
    """Swedish cap on the nominal rate (default interest included), in percent.

    ``reference_rate + margin_pp`` (referensränta + 20 pp from 1 March 2025).
    """
    return reference_rate + margin_pp
