"""How the storefront API says no: ``{"code", "message"}`` with a fitting HTTP status.

``code`` is stable; ``message`` is in the request's language (``?lang=`` or
``Accept-Language``), from :data:`ERROR_MESSAGES`, else the service's English message.
:mod:`kassa.api.views` registers the handlers on the API blueprint.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Response, g, jsonify
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from ..errors import KassaHTTPError
from ..i18n import lazy_gettext
from ..pages import RATE_LIMITED_MESSAGE, choose_locale, retry_after_seconds

#: The shopper- and developer-facing text of each error code, translated per request.
#: ``%(name)s`` placeholders are filled from the error's parameters; a code missing here
#: (or whose parameters do not fit) falls back to the service's English message.
ERROR_MESSAGES: dict[str, Any] = {
    "request.json": lazy_gettext("The request body must be a JSON object."),
    "request.field": lazy_gettext("The field %(field)s is missing or not valid."),
    "request.not_found": lazy_gettext("There is nothing at this address."),
    "request.method": lazy_gettext("This address does not accept this request method."),
    "request.too_large": lazy_gettext("The request body is too large."),
    "request.invalid": lazy_gettext("The request is not valid."),
    "request.idempotency_key": lazy_gettext(
        "This Idempotency-Key was already used for a different request."),
    "request.in_progress": lazy_gettext(
        "The first request with this Idempotency-Key is still being handled. Please try again "
        "in a moment."),
    "request.rate_limited": RATE_LIMITED_MESSAGE,
    "auth.invalid_key": lazy_gettext("The API key is missing or not valid."),
    "auth.scope": lazy_gettext("This API key is not allowed to do this."),
    "offers.amount": lazy_gettext(
        "The amount must be a positive whole number of minor units, for example 12990 for 129,90."
    ),
    "offers.country": lazy_gettext("Invoice and instalments are not offered in this country."),
    "offers.currency": lazy_gettext("This currency is not used in this country."),
    "offers.amount_limit": lazy_gettext(
        "The amount is above the largest amount this shop accepts for invoice and instalments."),
    "checkout.country": lazy_gettext("Invoice and instalments are not offered in this country."),
    "checkout.currency": lazy_gettext("The order's currency is not used in its country."),
    "checkout.totals": lazy_gettext("The order total does not match its lines."),
    "checkout.amount_limit": lazy_gettext(
        "The order total or a unit price is above the largest amount this shop accepts for "
        "invoice and instalments."),
    "checkout.lines": lazy_gettext("An order line is missing or not valid."),
    "checkout.duplicate": lazy_gettext("This order already has a checkout session."),
    "checkout.not_found": lazy_gettext("There is no such checkout session."),
    "checkout.secret": lazy_gettext("The checkout session's secret is not valid."),
    "checkout.offer": lazy_gettext("This payment option is not available for this order."),
    "checkout.channel": lazy_gettext("This delivery channel is not offered."),
    "checkout.channel_phone": lazy_gettext("Delivery by SMS needs a phone number."),
    "checkout.channel_address": lazy_gettext("Delivery by letter needs a postal address."),
    "checkout.consent": lazy_gettext("Please accept the credit terms to continue."),
    "checkout.identification_required": lazy_gettext(
        "Please identify yourself with strong electronic identification first."
    ),
    "checkout.identity": lazy_gettext(
        "The personal identity number is not valid. Please check it."
    ),
    "checkout.identity.empty": lazy_gettext("Please enter your personal identity number."),
    "checkout.identity.country": lazy_gettext(
        "Identity numbers of this country are not supported."
    ),
    "checkout.identity.format": lazy_gettext(
        "The personal identity number is not in the right format. Please check it."
    ),
    "checkout.identity.checksum": lazy_gettext(
        "The personal identity number is not valid. Please check it."
    ),
    "checkout.identity.temporary": lazy_gettext(
        "A temporary identity number cannot be used. "
        "Please use your permanent personal identity "
        "number."
    ),
    "checkout.identity.birth_date": lazy_gettext(
        "The birth date in the personal identity number is not valid."
    ),
    "checkout.age": lazy_gettext("You need to be 18 or older to pay by invoice or in instalments."),
    "checkout.declined": lazy_gettext(
        "We are sorry, but we cannot offer invoice or "
        "installments for this purchase. Please choose another "
        "way to pay."
    ),
    "checkout.expired": lazy_gettext(
        "This checkout has expired. Please go back to the shop and start again."
    ),
    "checkout.cancelled": lazy_gettext("This checkout was cancelled."),
    "checkout.completed": lazy_gettext("This checkout is already completed."),
    "checkout.conflict": lazy_gettext("The checkout changed in the meantime. Please try again."),
    "order.not_found": lazy_gettext("There is no such order."),
    "invoice.not_found": lazy_gettext("There is no such invoice."),
    "hold.reason": lazy_gettext("Reminders can wait for a dispute, a payment plan or an "
                                "extension; please choose one of these."),
    "hold.status": lazy_gettext("This invoice has no reminders to pause."),
    "hold.due_date": lazy_gettext("An extension needs a new due date later than today and "
                                  "the current due date."),
    "hold.until": lazy_gettext("The pause must end after it starts."),
    "hold.too_long": lazy_gettext("Reminders can be paused, or the due date moved, at most "
                                  "%(days)s days ahead."),
}

_HTTP_CODES = {404: "request.not_found", 405: "request.method", 413: "request.too_large"}


def error_message(code: str, english: str, params: Mapping[str, Any] | None = None) -> str:
    """The message of ``code`` in the request's language, else ``english``."""
    template = ERROR_MESSAGES.get(code) or ERROR_MESSAGES.get(code.rsplit(".", 1)[0])
    if template is None:
        return english
    text = str(template)
    if "%(" in text:
        try:
            return text % dict(params or {})
        except (KeyError, TypeError, ValueError):
            return english
    return text


def error_response(
    code: str, status: int, english: str, params: Mapping[str, Any] | None = None
) -> tuple[Response, int]:
    """``{"code", "message"}`` with ``status``; the message depends on the language."""
    response = jsonify(code=code, message=error_message(code, english, params))
    response.vary.add("Accept-Language")
    response.headers["Cache-Control"] = "no-store"
    if code == "auth.invalid_key":
        response.headers["WWW-Authenticate"] = 'Bearer realm="kassa"'
    return response, status


def refused(exc: KassaHTTPError) -> tuple[Response, int]:
    """A :class:`~kassa.errors.KassaHTTPError`: its code, status and message."""
    return error_response(exc.code, exc.status, exc.message, exc.params)


def http_error(exc: HTTPException) -> tuple[Response, int]:
    """Any other HTTP error (404, 405, 413...): a stable code for its status."""
    status = exc.code or 500
    response, status = error_response(
        _HTTP_CODES.get(status, "request.invalid"), status, exc.description or exc.name
    )
    if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    return response, status


def rate_limited(_exc: HTTPException) -> tuple[Response, int]:
    """Over a rate limit (:mod:`kassa.ratelimits`): ``request.rate_limited`` with
    ``Retry-After`` in seconds. Registered for the status itself, so that a host app's own
    429 handler does not answer Kassa's API."""
    if g.get("kassa_locale") is None:  # refused before the blueprint chose the locale
        choose_locale()
    response, status = error_response("request.rate_limited", 429, "too many requests; try "
                                      "again after the seconds in Retry-After")
    response.headers["Retry-After"] = str(retry_after_seconds())
    return response, status
