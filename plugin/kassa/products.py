"""The merchant's credit products per country, read from ``KASSA_PRODUCTS``.

Amounts are written as decimal strings in the country's currency (``"5000.00"``) and become
integer minor units here; rates are percent. Each installment product, and each invoice
product's fee and days to pay, is checked against the country's caps in force on the start-up
day, so that a shop whose terms break the law does not start.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from .core.caps import CreditCaps, check_caps, check_invoice_caps
from .core.credit import InstallmentProduct, InvoiceProduct
from .core.errors import CreditError
from .core.money import Money
from .core.rules import RuleBook


@dataclass(frozen=True)
class CountryProducts:
    """What one country's shoppers are offered: one invoice product and instalment plans."""

    country: str
    currency: str
    invoice: InvoiceProduct | None
    installments: tuple[InstallmentProduct, ...]


def parse_products(raw: Any, currencies: Mapping[str, str]) -> dict[str, CountryProducts]:
    """Parse the ``KASSA_PRODUCTS`` mapping; raises CreditError naming the product and field."""
    if not isinstance(raw, Mapping):
        raise CreditError("must be a mapping of country code to products", code="products.shape")
    result: dict[str, CountryProducts] = {}
    seen_ids: set[str] = set()
    for country_raw, spec in raw.items():
        country = str(country_raw).upper()
        if country not in currencies:
            raise CreditError(f"unknown country {country_raw!r}", code="products.country")
        if not isinstance(spec, Mapping):
            raise CreditError(f"{country}: must be a mapping with invoice and installments",
                              code="products.shape")
        currency = currencies[country]
        invoice = None
        if spec.get("invoice"):
            invoice = _invoice(spec["invoice"], currency)
        installments = tuple(_installment(p, currency) for p in spec.get("installments", ()))
        for product_id in [p.id for p in installments] + ([invoice.id] if invoice else []):
            if product_id in seen_ids:
                raise CreditError(f"product id {product_id!r} is used twice", code="products.id")
            seen_ids.add(product_id)
        result[country] = CountryProducts(country, currency, invoice, installments)
    return result


def validate_products_against_law(products: Mapping[str, CountryProducts], rules: RuleBook,
                                  today: date) -> str | None:
    """The first cap a product breaks on ``today``, as a message naming limit and value.

    Installment products: interest, set-up fee, other costs a year and total cost
    (:func:`~kassa.core.caps.check_caps`). The invoice product: its fee, by the same caps read
    for a one-off fee (:func:`~kassa.core.caps.check_invoice_caps`), and its days to pay, no
    fewer than the ``invoice_min_days_to_pay`` row in force.
    """
    for country, offer in products.items():
        caps = caps_for(country, offer.currency, rules, today)
        for product in offer.installments:
            samples = sorted({product.min_amount, (product.min_amount + product.max_amount) // 2,
                              product.max_amount})
            for violation in check_caps(product, caps, samples):
                return (f"{country} product {product.id!r}: {violation.field} {violation.value} "
                        f"exceeds the cap of {violation.limit} in force on {today.isoformat()}")
        invoice = offer.invoice
        if invoice is None:
            continue
        samples = sorted({invoice.min_amount, (invoice.min_amount + invoice.max_amount) // 2,
                          invoice.max_amount})
        for violation in check_invoice_caps(invoice, caps, samples):
            return (f"{country} product {invoice.id!r}: {violation.field} {violation.value} "
                    f"exceeds the cap of {violation.limit} in force on {today.isoformat()}")
        minimum = rules.find(country, "invoice_min_days_to_pay", today)
        if minimum is not None and invoice.days_to_pay < minimum.value:
            return (f"{country} product {invoice.id!r}: days_to_pay {invoice.days_to_pay} is "
                    f"below the minimum of {minimum.value} days in force on "
                    f"{today.isoformat()} ({minimum.source}, status {minimum.status})")
    return None


def caps_for(country: str, currency: str, rules: RuleBook, on: date) -> CreditCaps:
    """The credit caps of ``country`` in force on ``on``, from the dated legal table."""

    def value(key: str) -> Decimal | None:
        rule = rules.find(country, key, on)
        return rule.value if rule else None

    reference = value("reference_rate_pct")
    margin = value("credit_interest_margin_pct")
    ceiling = value("credit_interest_ceiling_pct")
    max_rate: Decimal | None = None
    if margin is not None and reference is not None:
        max_rate = reference + margin
    if ceiling is not None:
        max_rate = ceiling if max_rate is None else min(max_rate, ceiling)
    other = value("credit_other_costs_per_year_minor")
    ratio = value("credit_total_cost_ratio_pct")
    setup = value("credit_setup_fee_cap_minor")
    return CreditCaps(
        country=country,
        max_nominal_rate=max_rate,
        max_other_costs_per_year=int(other) if other is not None else None,
        total_cost_max_ratio=ratio / 100 if ratio is not None else None,
        max_setup_fee=int(setup) if setup is not None else None,
    )


def _minor(spec: Mapping[str, Any], name: str, currency: str, label: str) -> int:
    try:
        amount = Money.parse(str(spec[name]), currency)
    except KeyError:
        raise CreditError(f"{label}: {name} is missing", code="products.field") from None
    except CreditError:
        raise
    except Exception as exc:  # MoneyError names the precision or format problem
        raise CreditError(f"{label}: {name} {exc}", code="products.field") from None
    if amount.minor < 0:
        raise CreditError(f"{label}: {name} must not be negative", code="products.field")
    return amount.minor


def _whole(spec: Mapping[str, Any], name: str, label: str, low: int, high: int) -> int:
    value = spec.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise CreditError(f"{label}: {name} must be a whole number from {low} to {high}",
                          code="products.field")
    return value


def _label(spec: Any, kind: str) -> str:
    if not isinstance(spec, Mapping) or not isinstance(spec.get("id"), str) or not spec["id"]:
        raise CreditError(f"every {kind} product needs a text id", code="products.field")
    return f"product {spec['id']!r}"


def _invoice(spec: Any, currency: str) -> InvoiceProduct:
    label = _label(spec, "invoice")
    low, high = (_minor(spec, "min_amount", currency, label),
                 _minor(spec, "max_amount", currency, label))
    if low > high:
        raise CreditError(f"{label}: min_amount is above max_amount", code="products.range")
    return InvoiceProduct(id=spec["id"], days_to_pay=_whole(spec, "days_to_pay", label, 1, 90),
                          fee=_minor(spec, "fee", currency, label), min_amount=low,
                          max_amount=high, currency=currency)


def _installment(spec: Any, currency: str) -> InstallmentProduct:
    label = _label(spec, "installment")
    try:
        rate = Decimal(str(spec.get("nominal_rate")))
    except InvalidOperation:
        raise CreditError(f"{label}: nominal_rate must be a percent such as '9.9'",
                          code="products.field") from None
    if not rate.is_finite() or rate < 0 or rate >= 100:
        raise CreditError(f"{label}: nominal_rate must be from 0 to below 100 percent",
                          code="products.field")
    low, high = (_minor(spec, "min_amount", currency, label),
                 _minor(spec, "max_amount", currency, label))
    if low > high or low <= 0:
        raise CreditError(f"{label}: amounts must satisfy 0 < min_amount <= max_amount",
                          code="products.range")
    return InstallmentProduct(
        id=spec["id"], months=_whole(spec, "months", label, 1, 120), nominal_rate=rate,
        setup_fee=_minor(spec, "setup_fee", currency, label),
        monthly_fee=_minor(spec, "monthly_fee", currency, label),
        min_amount=low, max_amount=high, currency=currency,
    )
