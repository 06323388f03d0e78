"""The words of the payment options widget (``static/kassa/widget.js``), from Kassa's catalogs.

``GET {prefix}/checkout/widget.json?amount=124990&currency=EUR&country=FI&lang=fi`` answers
with everything the widget shows, already in the page's language: money formatted by Babel,
the plural forms of months from the catalog, and a headline that says so when the first
instalment carries the set-up fee. The widget only puts the texts on the page. Public and
cacheable like the offers endpoint: no personal data.
"""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

from flask import Response, g, jsonify, request

from ..core.credit import Offer
from ..errors import KassaHTTPError
from ..i18n import format_money, format_percent, ngettext
from ..i18n import gettext as _
from ..services.offers import offers_for_amount, remember
from ..state import get_state
from .advertising import credit_warning, representative_example

_WHOLE_NUMBER = re.compile(r"[0-9]{1,15}")


def widget_json() -> Response | tuple[Response, int]:
    """The widget's texts for an amount: ``{"lang", "heading", "summary", "warning",
    "offers": [{"id", "method", "text", "example"}], "note"}``; ``summary`` is null without
    instalment offers, ``warning`` (borrowing money costs money) null unless an offer is
    consumer credit, each ``example`` the offer's representative example or null when it is
    not credit; a refused amount or country gives no offers and a note that says so."""
    raw_amount = request.args.get("amount", "").strip()
    if not _WHOLE_NUMBER.fullmatch(raw_amount):
        answer = jsonify(code="offers.amount", message=_(
            "The amount must be a positive whole number of minor units, for example 12990 "
            "for 129,90."))
        return answer, 400
    amount = int(raw_amount)
    currency = request.args.get("currency", "").strip().upper()
    country = request.args.get("country", "").strip().upper()
    config = get_state().config
    locale = g.kassa_locale
    today = date.today()
    body = remember(config, ("widget.json", amount, currency, country, today, locale),
                    lambda: json.dumps(_texts(amount, currency, country, today, locale),
                                       separators=(",", ":"), ensure_ascii=False))
    response = Response(body, mimetype="application/json")
    response.headers["Cache-Control"] = "public, max-age=60"
    response.vary.add("Accept-Language")
    # Public and free of personal data: the widget asks from the storefront's own domain.
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _texts(amount: int, currency: str, country: str, today: date,
           locale: str) -> dict[str, Any]:
    try:
        offers = offers_for_amount(get_state().config, amount, currency, country, today)
    except KassaHTTPError:
        offers = []
    texts: dict[str, Any] = {"lang": locale, "heading": _("Pay by invoice or in instalments"),
                             "summary": None, "warning": None, "offers": []}
    if not offers:
        texts["note"] = _("Invoice and instalments are not available for this purchase.")
        return texts
    plans = [offer for offer in offers if offer.method == "installments"]
    if plans:
        lowest = min(offer.monthly_amount for offer in plans)
        texts["summary"] = _("From %(amount)s a month", amount=format_money(lowest, currency))
    texts["warning"] = credit_warning(offers)
    texts["offers"] = [{"id": offer.id, "method": offer.method, "text": _offer_text(offer),
                        "example": representative_example(offer, today)}
                       for offer in offers]
    texts["note"] = _("You choose how to pay at checkout.")
    return texts


def _offer_text(offer: Offer) -> str:
    """One offer in one sentence: its months, what is paid each month, APR and total."""
    currency = offer.currency
    apr = format_percent(offer.apr)
    total = format_money(offer.total_payable, currency)
    if offer.method == "invoice":
        return _("Invoice: %(total)s in total, APR %(apr)s", total=total, apr=apr)
    monthly = format_money(offer.monthly_amount, currency)
    if offer.schedule and offer.schedule[0].amount != offer.monthly_amount:
        return ngettext(
            "%(num)d month: first %(first)s, then %(amount)s a month, APR %(apr)s, "
            "%(total)s in total",
            "%(num)d months: first %(first)s, then %(amount)s a month, APR %(apr)s, "
            "%(total)s in total",
            offer.months, first=format_money(offer.schedule[0].amount, currency),
            amount=monthly, apr=apr, total=total)
    return ngettext(
        "%(num)d month: %(amount)s a month, APR %(apr)s, %(total)s in total",
        "%(num)d months: %(amount)s a month, APR %(apr)s, %(total)s in total",
        offer.months, amount=monthly, apr=apr, total=total)
