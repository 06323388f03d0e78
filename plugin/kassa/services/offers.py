"""The payment options a shopper is offered for an amount, in one country."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

from ..config import COUNTRY_CURRENCY, KassaConfig
from ..core.calendar import business_calendar, due_date_for
from ..core.credit import Offer, offers_for
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
        legal_minimum = int(config.rulebook.value(country, "invoice_min_days_to_pay", today))
        invoice_due = due_date_for(
            country, "email", today,
            min_days_to_pay=max(products.invoice.days_to_pay, legal_minimum),
            letter_lag_business_days=config.letter_lag_business_days.get(country, 0),
        )
    return offers_for(
        amount, currency,
        [products.invoice] if products.invoice else [],
        list(products.installments),
        today, invoice_due, calendar.next_business_day,
    )
