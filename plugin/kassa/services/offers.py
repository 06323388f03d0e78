"""The payment options a shopper is offered for an amount, in one country."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar, cast

from ..config import COUNTRY_CURRENCY, KassaConfig
from ..core.calendar import CHANNELS, Channel, business_calendar, due_date_for
from ..core.credit import (
    InstallmentProduct,
    InvoiceProduct,
    Offer,
    add_months,
    build_installment_offer,
    offers_for,
)
from ..core.credit_scope import CreditScope, MerchantSize, ScopeRules, offer_scope, product_scope
from ..errors import KassaHTTPError

T = TypeVar("T")


def offers_for_amount(config: KassaConfig, amount: int, currency: str, country: str,
                      today: date) -> list[Offer]:
    """Every offer the merchant makes for ``amount`` minor units; invoice first.

    The invoice offer's due date assumes the fastest channel (e-mail); the invoice itself
    gets the due date of the channel the shopper chooses. Raises KassaHTTPError with code
    ``offers.country``, ``offers.currency``, ``offers.amount`` or ``offers.amount_limit``
    (above KASSA_MAX_ORDER_AMOUNT) for input it cannot serve.
    """
    offers = remember(config, ("offers", amount, currency, country, today),
                      lambda: tuple(_compute_offers(config, amount, currency, country, today)))
    return list(offers)


def remember(config: KassaConfig, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
    """``compute()``'s result, kept per app under ``key`` (which must name everything the
    result depends on besides the settings). An exception is not remembered."""
    memo = config.offer_memo
    if key in memo:
        return memo[key]  # type: ignore[no-any-return]
    value = compute()
    if len(memo) >= _MEMO_SIZE:
        memo.clear()
    memo[key] = value
    return value


#: Amounts remembered per app. A product page's widget asks for the same price for every
#: visitor, and the offers for an amount only change with the day or the settings.
_MEMO_SIZE = 4096


def _compute_offers(config: KassaConfig, amount: int, currency: str, country: str,
                    today: date) -> list[Offer]:
    if country not in config.countries:
        raise KassaHTTPError("offers.country", f"country {country!r} is not served",
                             status=400, country=country)
    if COUNTRY_CURRENCY[country] != currency:
        raise KassaHTTPError("offers.currency", f"{country} is invoiced in "
                             f"{COUNTRY_CURRENCY[country]}, not {currency}",
                             status=400, country=country, currency=currency)
    if amount <= 0:
        raise KassaHTTPError("offers.amount", "the amount must be positive", status=400,
                             amount=amount)
    limit = config.max_order_amount[country]
    if amount > limit:
        raise KassaHTTPError("offers.amount_limit", f"the amount {amount} is above "
                             f"KASSA_MAX_ORDER_AMOUNT for {country} ({limit} minor units)",
                             status=400, amount=amount)
    products = config.products[country]
    calendar = business_calendar(country)
    invoice_due = today
    if products.invoice is not None:
        invoice_due = invoice_due_date(config, country, products.invoice, "email", today)
    offers = offers_for(
        amount, currency,
        [products.invoice] if products.invoice else [],
        list(products.installments),
        today, invoice_due, calendar.next_business_day,
        max_plan_apr=config.max_offer_apr.get(country),
    )
    rules = scope_rules(config, country, today)
    latest_invoice_due = (latest_invoice_due_date(config, country, products.invoice, today)
                          if products.invoice is not None else None)
    return [dataclasses.replace(offer, consumer_credit=offer_scope(
                offer, today, rules,
                last_due_date=latest_invoice_due if offer.method == "invoice" else None,
            ).consumer_credit)
            for offer in offers]


def invoice_due_date(config: KassaConfig, country: str, product: InvoiceProduct,
                     channel: Channel, today: date) -> date:
    """The due date of an invoice of ``product`` issued ``today`` and sent by ``channel``:
    the product's days to pay, at least the legal minimum, from the channel's receipt date."""
    legal_minimum = int(config.rulebook.value(country, "invoice_min_days_to_pay", today))
    return due_date_for(
        country, channel, today,
        min_days_to_pay=max(product.days_to_pay, legal_minimum),
        letter_lag_business_days=config.letter_lag_business_days.get(country, 0),
    )


def latest_invoice_due_date(config: KassaConfig, country: str, product: InvoiceProduct,
                            today: date) -> date:
    """The latest due date an invoice issued ``today`` can get, over the channels the shopper
    may choose (KASSA_CHANNELS): how long the deferral may run at most."""
    channels: list[Channel] = [c for c in config.channels if c in CHANNELS] or ["email"]
    return max(invoice_due_date(config, country, product, channel, today)
               for channel in channels)


def scope_rules(config: KassaConfig, country: str, today: date) -> ScopeRules:
    """The exemptions from consumer credit law in force in ``country`` on ``today`` for this
    merchant (KASSA_MERCHANT_SIZE), from the ``credit_scope_*`` rows of the legal table."""
    size = cast(MerchantSize, config.merchant_size)
    book = config.rulebook
    free = book.find(country, "credit_scope_free_exempt_flag", today)
    deferral = book.find(country, f"credit_scope_deferral_{size}_days", today)
    return ScopeRules(country=country, merchant_size=size,
                      free_credit_exempt=bool(free and free.value),
                      deferral_exempt_days=int(deferral.value) if deferral else None)


def offer_credit_scope(config: KassaConfig, offer: Offer, country: str,
                       today: date) -> CreditScope:
    """Whether ``offer``, made in ``country`` on ``today``, is consumer credit, and why
    (:mod:`kassa.core.credit_scope`). An invoice counts to the latest due date a channel the
    shopper may choose gives it."""
    products = config.products.get(country)
    latest = None
    if offer.method == "invoice" and products is not None and products.invoice is not None:
        latest = latest_invoice_due_date(config, country, products.invoice, today)
    return offer_scope(offer, today, scope_rules(config, country, today), last_due_date=latest)


def is_consumer_credit(config: KassaConfig, offer: Offer, country: str, today: date) -> bool:
    """``True`` when ``offer`` is consumer credit in ``country`` on ``today``: the SECCI, the
    credit agreement, the right of withdrawal, the creditworthiness assessment and the credit
    register apply to it. The offers of :func:`offers_for_amount` carry the same answer as
    ``offer.consumer_credit``, and ``Agreement.terms["offer"]["consumer_credit"]`` keeps it."""
    return offer_credit_scope(config, offer, country, today).consumer_credit


def product_credit_scope(config: KassaConfig, country: str,
                         product: InvoiceProduct | InstallmentProduct,
                         today: date) -> CreditScope:
    """Whether every offer of ``product`` made in ``country`` on ``today`` is consumer credit:
    an invoice to the latest due date of the enabled channels, a plan to its last month."""
    if isinstance(product, InvoiceProduct):
        last = latest_invoice_due_date(config, country, product, today)
    else:
        last = business_calendar(country).next_business_day(add_months(today, product.months))
    return product_scope(product, (last - today).days, scope_rules(config, country, today))


def lowest_offered_amount(config: KassaConfig, country: str, product: InstallmentProduct,
                          today: date) -> int | None:
    """The smallest amount, minor units, at which ``product`` is offered in ``country`` on
    ``today``: its ``min_amount``, or higher where the plan's APR there is above
    KASSA_MAX_OFFER_APR; None if the ceiling leaves it out at every amount.

    Found by bisection, as a plan's fixed fees weigh less and its APR falls as the amount
    grows (a cent of rounding aside).
    """
    ceiling = config.max_offer_apr.get(country)
    low, high = max(product.min_amount, product.months, 1), product.max_amount
    if low > high:
        return None
    roll = business_calendar(country).next_business_day

    def within(amount: int) -> bool:
        return ceiling is None or build_installment_offer(product, amount, today, roll).apr \
            <= ceiling

    if within(low):
        return low
    if not within(high):
        return None
    while high - low > 1:  # within(high) and not within(low)
        middle = (low + high) // 2
        if within(middle):
            high = middle
        else:
            low = middle
    return high
