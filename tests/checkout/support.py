"""Checkout sessions made through the service, and reading the hosted page like a shopper."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from typing import Any

from flask import Flask
from sqlalchemy import func, select
from stdnum import luhn

from kassa import get_state
from kassa.services.checkout import create_checkout_session

PREFIX = "/kassa/checkout"
SE_ID = "19811218-9876"
FI_ID = "131052-308T"
RETURN_URL = "http://127.0.0.1/shop/done"
CANCEL_URL = "http://127.0.0.1/shop/cart"
_CURRENCY = {"FI": "EUR", "SE": "SEK", "NO": "NOK"}
_LOCALE = {"FI": "fi", "SE": "sv", "NO": "nb"}


def order_data(
    country: str = "SE", total: int = 499000, reference: str = "A-100", **changes: Any
) -> dict[str, Any]:
    """A storefront's checkout request: two blankets, 25 % VAT, in the country's language."""
    data: dict[str, Any] = {
        "order": {
            "reference": reference,
            "currency": _CURRENCY[country],
            "country": country,
            "total": total,
            "lines": [
                {
                    "description": "Wool blanket",
                    "quantity": 2,
                    "unit_price": total // 2,
                    "vat_rate": "25",
                }
            ],
        },
        "customer": {
            "name": "Sven Svensson",
            "email": "sven@example.se",
            "phone": "+46701234567",
            "street": "Storgatan 1",
            "postal_code": "11122",
            "city": "Stockholm",
        },
        "locale": _LOCALE[country],
        "return_url": RETURN_URL,
        "cancel_url": CANCEL_URL,
    }
    data.update(changes)
    return data


def open_session(app: Flask, *, now: datetime | None = None, **kwargs: Any) -> str:
    """Create a checkout session directly through the service; return its id."""
    state = get_state(app)
    with state.db.session() as db:
        cs, _secret = create_checkout_session(
            db, state.config, "demo", order_data(**kwargs), now or datetime.now(UTC)
        )
        return cs.id


def count(app: Flask, model: type) -> int:
    with get_state(app).db.session() as db:
        return int(db.scalar(select(func.count()).select_from(model)) or 0)


def csrf_token(page: str) -> str:
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert found, "the page has no CSRF token"
    return found.group(1)


def swedish_number(born: date, serial: str = "123") -> str:
    """A personnummer with a correct check digit for someone born on ``born``."""
    ten = born.strftime("%y%m%d") + serial
    return f"{born:%Y%m%d}-{serial}{luhn.calc_check_digit(ten)}"


def years_ago(years: int, days: int = 0) -> date:
    today = date.today()
    return today.replace(year=today.year - years) - timedelta(days=days)


class Page(HTMLParser):
    """The parts of the hosted page a test looks at: inputs, offers and their terms."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.inputs: list[dict[str, str | None]] = []
        #: offer id -> {term name -> text shown}
        self.terms: dict[str, dict[str, str]] = {}
        #: offer ids in page order
        self.offers: list[str] = []
        self._offer: str | None = None
        self._term: str | None = None
        self.feed(text)
        self.text = text

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "input":
            self.inputs.append(attributes)
        if tag == "li" and attributes.get("data-offer"):
            self._offer = attributes["data-offer"]
            self.offers.append(self._offer or "")
            self.terms[self._offer or ""] = {}
        if tag == "dd" and attributes.get("data-term"):
            self._term = attributes["data-term"]

    def handle_endtag(self, tag: str) -> None:
        if tag == "dd":
            self._term = None
        if tag == "li":
            self._offer = None

    def handle_data(self, data: str) -> None:
        if self._offer and self._term:
            self.terms[self._offer][self._term] = html.unescape(data).strip()

    def named(self, name: str) -> list[dict[str, str | None]]:
        return [i for i in self.inputs if i.get("name") == name]

    def checked(self, name: str) -> list[str | None]:
        return [i.get("value") for i in self.named(name) if "checked" in i]
