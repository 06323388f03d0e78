"""How the storefront API says no: ``{"code", "message"}`` with a fitting HTTP status.

``code`` is stable; ``message`` is in the request's language (``?lang=`` or
``Accept-Language``), from :data:`ERROR_MESSAGES`, else the service's English message. An
identity error about a checkout's country names that country's own identity number and bank
identification (:func:`kassa.checkout.forms.identity_message`).
:mod:`kassa.api.views` registers the handlers on the API blueprint.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Response, g, jsonify
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.routing import BuildError

from ..checkout.forms import (
    AUTOMATED_DECISION_MESSAGE,
    REGISTER_UNAVAILABLE_MESSAGE,
    identity_message,
)
from ..errors import KassaHTTPError
from ..i18n import lazy_gettext
from ..pages import RATE_LIMITED_MESSAGE, choose_locale, public_url_for, retry_after_seconds

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
        "instalments for this purchase. Please choose another "
        "way to pay."
    ),
    "checkout.register_unavailable": REGISTER_UNAVAILABLE_MESSAGE,
    "checkout.expired": lazy_gettext(
        "This checkout has expired. Please go back to the shop and start again."
    ),
    "checkout.cancelled": lazy_gettext("This checkout was cancelled."),
    "checkout.completed": lazy_gettext("This checkout is already completed."),
    "checkout.conflict": lazy_gettext("The checkout changed in the meantime. Please try again."),
    "credit_review.not_found": lazy_gettext(
        "This checkout has no declined credit decision with this id."),
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
    "agreement.not_found": lazy_gettext("There is no such credit agreement."),
    "withdrawal.notice_day": lazy_gettext(
        "The day of the withdrawal notice must be between the day of the agreement and today."),
    "withdrawal.received_day": lazy_gettext(
        "The day the agreement terms were received must be between the day of the agreement "
        "and the day of the notice."),
    "withdrawal.too_late": lazy_gettext(
        "The time to withdraw from this credit agreement ended on %(last_day)s, so the "
        "withdrawal cannot be recorded. The credit can still be repaid early at any time, "
        "without a fee."),
    "withdrawal.not_credit": lazy_gettext(
        "This purchase is not a consumer credit, so there is no credit agreement to withdraw "
        "from. The purchase itself can be returned under the shop's terms."),
    "withdrawal.done": lazy_gettext(
        "The withdrawal from this credit agreement has already been recorded."),
    "early_repayment.method": lazy_gettext(
        "Only an instalment plan is repaid early; an invoice is simply paid in full."),
    "early_repayment.withdrawn": lazy_gettext(
        "The shopper has withdrawn from this credit agreement, so there are no instalments "
        "left to repay early."),
    "early_repayment.not_issued": lazy_gettext(
        "The plan's invoices have not been issued yet. Please register the repayment once "
        "they have been."),
    "early_repayment.day": lazy_gettext(
        "Please choose a day from the day of the agreement, or of the plan's latest change, up "
        "to today; a quote can look up to a year ahead."),
    "early_repayment.nothing_left": lazy_gettext(
        "No instalment of this plan falls due after that day, so there is nothing to repay "
        "early."),
    "early_repayment.amount": lazy_gettext(
        "This amount cannot be used as an early repayment. Please repay the whole remaining "
        "amount, %(payoff)s, or at most %(largest)s, so that the remaining instalments can "
        "still be planned (amounts in minor units)."),
    "early_repayment.duplicate": lazy_gettext("This payment has already been registered."),
    "early_repayment.conflict": lazy_gettext(
        "The plan changed in the meantime. Please try again."),
    # Customer service (kassa.api.customer_service): the shop acting for its shopper, and
    # the team's side.
    "shopper.not_found": lazy_gettext(
        "We could not find a shopper with this e-mail address among this shop's customers."),
    "thread.not_found": lazy_gettext("We could not find this conversation."),
    "attachment.not_found": lazy_gettext("We could not find this file."),
    "service_request.not_found": lazy_gettext("We could not find this request."),
    "service_request.kind": lazy_gettext("Only a callback can be marked as done."),
    "service.invalid": lazy_gettext(
        "This could not be done. Please check the details and try again."),
    "service.not_found": lazy_gettext("We could not find this invoice among yours."),
    "service.not_open": lazy_gettext(
        "This invoice is already paid or closed, so there is nothing to do."),
    "service.on_hold": lazy_gettext(
        "Reminders for this invoice are already paused while we look after an earlier request."),
    "service.days": lazy_gettext("More time can be from 1 to 60 days."),
    "service.conflict": lazy_gettext("The request could not be saved. Please try again."),
    "service.consent": lazy_gettext("A payment plan needs your consent to its terms."),
    "service.plan_invoices": lazy_gettext(
        "A payment plan needs at least one open invoice, all in the same currency."),
    "service.plan_months": lazy_gettext("A payment plan can have from 2 to 12 monthly payments."),
    "service.identification": lazy_gettext(
        "Here a payment plan is agreed on the shopper's own pages, after they identify with "
        "their bank codes."),
    "service.plan_too_small": lazy_gettext(
        "What is left to pay is too little to split into this many payments. Please choose "
        "fewer months."),
    "service.plan_caps": lazy_gettext(
        "This plan would cost more than the law or our terms allow. Please choose fewer months."),
    "service.reason": lazy_gettext("Please choose one of the reasons offered."),
    "service.slot": lazy_gettext(
        "This time is no longer free. Please choose one of the times offered."),
    "service.phone": lazy_gettext("Please give a phone number we can call you on."),
    "service.address": lazy_gettext("The street address, postcode and city are all needed."),
    "service.channel": lazy_gettext("Please choose one of the channels offered."),
    "service.no_phone": lazy_gettext("Text messages need a phone number. Please add one first."),
    "service.too_long": lazy_gettext(
        "The text is too long. Please keep it to %(limit)s characters."),
    "service.characters": lazy_gettext(
        "The text has special characters that cannot be used. Please remove them."),
    "service.file_count": lazy_gettext("You can attach at most %(limit)s files at once."),
    "service.file_empty": lazy_gettext("The file %(name)s has no content."),
    "service.file_size": lazy_gettext(
        "The file %(name)s is too large. Files can be up to %(size)s MB each."),
    "service.file_type": lazy_gettext(
        "The file %(name)s is not a PDF, JPEG, PNG or plain text file."),
    "service.file_virus": lazy_gettext("The file %(name)s did not pass the security check."),
    "service.message_empty": lazy_gettext(
        "Please write a message, and a subject for a new conversation."),
    "service.decided": lazy_gettext("This has already been decided or closed."),
}

_HTTP_CODES = {404: "request.not_found", 405: "request.method", 413: "request.too_large"}


def error_message(code: str, english: str, params: Mapping[str, Any] | None = None) -> str:
    """The message of ``code`` in the request's language, else ``english``."""
    country = (params or {}).get("country")
    worded = identity_message(code, country) if isinstance(country, str) else None
    if worded is not None:
        return worded
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
    code: str, status: int, english: str, params: Mapping[str, Any] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> tuple[Response, int]:
    """``{"code", "message"}`` with ``status``, and the fields of ``extra``; the message
    depends on the language."""
    response = jsonify(code=code, message=error_message(code, english, params), **(extra or {}))
    response.vary.add("Accept-Language")
    response.headers["Cache-Control"] = "no-store"
    if code == "auth.invalid_key":
        response.headers["WWW-Authenticate"] = 'Bearer realm="kassa"'
    return response, status


def refused(exc: KassaHTTPError) -> tuple[Response, int]:
    """A :class:`~kassa.errors.KassaHTTPError`: its code, status and message; a refusal by a
    credit decision also carries the decision's id, and a decline where to ask a person to
    review it (``review_url``, a page for the shopper, and ``review_message``)."""
    return error_response(exc.code, exc.status, exc.message, exc.params,
                          _decision_fields(exc))


def _decision_fields(exc: KassaHTTPError) -> dict[str, Any]:
    decision_id, session_id = exc.params.get("decision_id"), exc.params.get("session_id")
    if not isinstance(decision_id, str):
        return {}
    fields: dict[str, Any] = {"decision_id": decision_id}
    if exc.code == "checkout.declined" and isinstance(session_id, str):
        fields["review_message"] = str(AUTOMATED_DECISION_MESSAGE)
        try:
            fields["review_url"] = public_url_for("kassa_checkout.credit_review",
                                                  session_id=session_id,
                                                  decision_id=decision_id)
        except BuildError:  # the hosted pages are not mounted: the API's review only
            pass
    return fields


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
