"""The storefront JSON API, version 1, mounted at ``{KASSA_URL_PREFIX}/api/v1``.

Views are thin: JSON in, a call to :mod:`kassa.services.checkout` or
:mod:`kassa.services.offers`, JSON out. Every refusal is ``{"code", "message"}`` with a
fitting HTTP status; ``code`` is stable, ``message`` is in the request's language (``?lang=``
or ``Accept-Language``). The document describing all of this is :mod:`kassa.api.openapi`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request, url_for
from sqlalchemy import select
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import BuildError

from ..db.models import Agreement, Invoice, Order
from ..errors import KassaHTTPError
from ..i18n import lazy_gettext
from ..notify.outbox import deliver_now
from ..pages import (
    RATE_LIMITED_MESSAGE,
    choose_locale,
    public_url_for,
    retry_after_seconds,
    secure_responses,
)
from ..services.checkout import (
    cancel_checkout,
    check_client_secret,
    confirm_checkout,
    create_checkout_session,
    find_checkout_session,
    fulfil_order,
    refresh_expiry,
    refuse_control_characters,
)
from ..services.offers import offers_for_amount, remember
from ..services.representation import checkout_session_json, invoice_json, offer_json
from ..state import get_state, request_session, transaction
from . import clock, cors, idempotency, review, support
from .auth import client_secret, current_storefront, storefront_required
from .openapi import openapi_document

api = Blueprint("kassa_api", __name__)
api.before_request(choose_locale)
# Kassa's security headers on every API answer (no-store but for the public documents), and
# CORS for the shopper's confirmation from the shop's own origins only.
secure_responses(api, secret_urls=False, public=("offers", "openapi_json"))
api.after_request(cors.allow_shop_origins)
api.add_url_rule("/support-tasks", view_func=support.support_tasks, methods=["GET"])
api.add_url_rule("/invoices/<number>/holds", view_func=support.hold_invoice, methods=["POST"])
api.add_url_rule("/invoices/<number>/holds/end", view_func=support.end_invoice_holds,
                 methods=["POST"])
api.add_url_rule("/payments/unmatched", view_func=review.payments_unmatched, methods=["GET"])

#: Largest request body the API reads; an order with hundreds of lines stays far below it.
MAX_BODY_BYTES = 256 * 1024
#: Deepest nesting of arrays and objects a JSON body may have; an order needs four levels.
MAX_JSON_DEPTH = 20
#: Longest path parameter (a session id, an invoice number, an order reference).
MAX_PATH_PARAMETER = 100
# Any whole number: one above KASSA_MAX_ORDER_AMOUNT is refused by the offers service.
_WHOLE_NUMBER = re.compile(r"-?[0-9]{1,64}")

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


# -- errors ----------------------------------------------------------------------------------


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


@api.errorhandler(KassaHTTPError)
def _refused(exc: KassaHTTPError) -> tuple[Response, int]:
    return error_response(exc.code, exc.status, exc.message, exc.params)


@api.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> tuple[Response, int]:
    status = exc.code or 500
    response, status = error_response(
        _HTTP_CODES.get(status, "request.invalid"), status, exc.description or exc.name
    )
    if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    return response, status


@api.errorhandler(429)
def _rate_limited(_exc: HTTPException) -> tuple[Response, int]:
    """Over a rate limit (:mod:`kassa.ratelimits`): ``request.rate_limited`` with
    ``Retry-After`` in seconds. Registered for the status itself, so that a host app's own
    429 handler does not answer Kassa's API."""
    if g.get("kassa_locale") is None:  # refused before the blueprint chose the locale
        choose_locale()
    response, status = error_response("request.rate_limited", 429, "too many requests; try "
                                      "again after the seconds in Retry-After")
    response.headers["Retry-After"] = str(retry_after_seconds())
    return response, status


@api.before_request
def _check_path_parameters() -> None:
    # Before anything reads them: a NUL or a line break in an id is refused, not looked up.
    if request.endpoint == f"{api.name}._unrouted":
        return
    for name, value in (request.view_args or {}).items():
        refuse_control_characters(value, name)
        if isinstance(value, str) and len(value) > MAX_PATH_PARAMETER:
            raise KassaHTTPError("request.field", f"{name} must be at most "
                                 f"{MAX_PATH_PARAMETER} characters", status=400, field=name)


@api.before_request
def _limit_body() -> None:
    request.max_content_length = MAX_BODY_BYTES


@api.before_request
def _limit_json_depth() -> None:
    # Before anything parses the body: Python's parser recurses once per level, and a body of
    # 256 KiB of brackets would exhaust the stack (a 500) instead of being refused.
    if request.method in ("POST", "PUT", "PATCH") and json_depth_exceeds(
            request.get_data(cache=True), MAX_JSON_DEPTH):
        raise KassaHTTPError("request.json", f"the JSON body is nested deeper than "
                             f"{MAX_JSON_DEPTH} levels", status=400)


_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = bytes(range(256)).translate(None, b"[]{}")


def json_depth_exceeds(body: bytes, limit: int) -> bool:
    """Whether the arrays and objects of a JSON text nest deeper than ``limit`` levels.

    Reads the text without parsing it (strings are skipped, so brackets inside them do not
    count) and stops at the first level too deep; a malformed text is left to the parser.
    """
    depth = 0
    for byte in _JSON_STRING.sub(b"", body).translate(None, _BRACKETS):
        depth += 1 if byte in b"[{" else -1
        if depth > limit:
            return True
    return False


# After the body limit: the key's request digest reads the body.
api.before_request(idempotency.start)
api.after_request(idempotency.finish)


#: Methods a client may try on an API address; the answer names those the address takes.
_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


@api.route("/", defaults={"unknown": ""}, methods=_METHODS)
@api.route("/<path:unknown>", methods=_METHODS)
def _unrouted(unknown: str) -> Response:
    """Every address under the API that no route takes, with any method.

    Routing errors happen before a blueprint is known, so Flask would answer them with the
    host app's HTML page; this route catches them inside the API and answers the documented
    JSON: ``request.method`` (405, with ``Allow``) where another method is taken,
    ``request.not_found`` (404) otherwise. A real route always wins over this one.
    """
    allowed = _routed_methods()
    if allowed:
        raise MethodNotAllowed(valid_methods=allowed)
    raise NotFound()


def _routed_methods() -> list[str]:
    """The methods a real route takes at this request's address (not :func:`_unrouted`)."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    allowed = []
    for method in _METHODS:
        try:
            endpoint, _arguments = adapter.match(method=method)
        except HTTPException:
            continue
        if endpoint != "kassa_api._unrouted":
            allowed.append(method)
    return allowed


@api.after_request
def _options_name_real_routes(response: Response) -> Response:
    # Flask's automatic OPTIONS answer would also list the methods of _unrouted.
    if request.method == "OPTIONS" and "Allow" in response.headers:
        response.headers["Allow"] = ", ".join(_routed_methods())
    return response


# -- offers ----------------------------------------------------------------------------------


@api.get("/offers")
def offers() -> Response:
    """Every payment option for an amount; public, cacheable, no personal data."""
    raw_amount = request.args.get("amount", "").strip()
    if not _WHOLE_NUMBER.fullmatch(raw_amount):
        raise KassaHTTPError("offers.amount", "amount must be a whole number of minor units",
                             status=400)
    amount = int(raw_amount)
    currency = request.args.get("currency", "").strip().upper()
    country = request.args.get("country", "").strip().upper()
    _now, today = clock.now()
    config = get_state().config
    body = remember(config, ("offers.json", amount, currency, country, today), lambda: json.dumps(
        {"currency": currency, "country": country, "amount": amount, "offers": [
            offer_json(o) for o in offers_for_amount(config, amount, currency, country, today)]},
        separators=(",", ":")))
    response = Response(body, mimetype="application/json")
    response.headers["Cache-Control"] = "public, max-age=60"
    # Public and free of personal data: the widget may ask from the storefront's own domain.
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


# -- checkout sessions -----------------------------------------------------------------------


@api.post("/checkout-sessions")
@storefront_required
def create_session() -> tuple[Response, int]:
    """Open a checkout session for the storefront's order; answer with the hosted page URL."""
    data = _json_body()
    now, _today = clock.now()
    with transaction() as db:
        cs, secret = create_checkout_session(
            db, get_state().config, current_storefront(), data, now
        )
        body = {
            "id": cs.id,
            "url": _hosted_url(cs.id),
            "client_secret": secret,
            "status": cs.status,
            "expires_at": checkout_session_json(cs)["expires_at"],
        }
    response = jsonify(body)
    response.headers["Location"] = url_for(".get_session", session_id=body["id"])
    response.headers["Cache-Control"] = "no-store"
    return response, 201


@api.get("/checkout-sessions/<session_id>")
@storefront_required
def get_session(session_id: str) -> Response:
    """A session's status, the chosen method and what it produced."""
    now, _today = clock.now()
    with transaction() as db:
        cs = _own_session(session_id)
        refresh_expiry(db, cs, now)
        return jsonify(checkout_session_json(cs))


@api.post("/checkout-sessions/<session_id>/confirm")
def confirm_session(session_id: str) -> Response:
    """The shopper's choice; authenticated by the session's client secret. Idempotent."""
    cs = find_checkout_session(request_session(), session_id)
    if cs is None:
        raise KassaHTTPError("checkout.not_found", f"no checkout session {session_id!r}",
                             status=404)
    raw = request.get_json(force=True, silent=True)
    if not check_client_secret(cs, client_secret(raw if isinstance(raw, Mapping) else None)):
        raise KassaHTTPError("checkout.secret", "the client secret does not match the session",
                             status=403)
    data = _json_body()
    offer_id = _text_field(data, "offer_id")
    channel = _text_field(data, "channel") if "channel" in data else None
    personal_id = data.get("personal_id")
    refuse_control_characters(personal_id, "personal_id")
    if personal_id is not None and (not isinstance(personal_id, str) or len(personal_id) > 40):
        raise KassaHTTPError("request.field", "personal_id must be text of at most 40 "
                             "characters", status=400, field="personal_id")
    state = get_state()
    now, today = clock.now()
    with transaction() as db:
        result = confirm_checkout(
            db,
            state,
            cs,
            offer_id=offer_id,
            channel=channel or state.config.channels[0],
            personal_id=personal_id or None,
            consent=data.get("consent") is True,
            today=today,
            now=now,
            base_url=_base_url(),
        )
        body = checkout_session_json(cs)
        body["order_reference"] = result.order.external_id
        body["return_url"] = cs.return_url
        issued = [invoice.id for invoice in result.invoices]
    # This order's invoice e-mail only: the rest of the outbox waits for the worker.
    deliver_now(state, now=now, invoice_ids=issued)
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response


@api.post("/checkout-sessions/<session_id>/cancel")
@storefront_required
def cancel_session(session_id: str) -> Response:
    """Cancel an open session; cancelling a cancelled or expired one changes nothing."""
    now, _today = clock.now()
    with transaction() as db:
        cs = _own_session(session_id)
        cancel_checkout(db, cs, now)
        return jsonify(checkout_session_json(cs))


# -- orders and invoices ---------------------------------------------------------------------


@api.post("/orders/<external_id>/fulfil")
@storefront_required
def fulfil(external_id: str) -> Response:
    """The storefront shipped the order: issue its invoices (if not issued at confirmation)."""
    state = get_state()
    _now, today = clock.now()
    with transaction() as db:
        invoices = fulfil_order(db, state, current_storefront(), external_id, today, _base_url())
        body = {
            "order_reference": external_id,
            "invoices": [invoice_json(invoice, state.config) for invoice in invoices],
        }
        issued = [invoice.id for invoice in invoices]
    # The storefront's call waits for this order's invoice e-mail only, as confirmation does.
    deliver_now(state, now=_now, invoice_ids=issued)
    return jsonify(body)


@api.get("/invoices/<number>")
@storefront_required
def get_invoice(number: str) -> Response:
    """One of the storefront's invoices with its event trail."""
    db = request_session()
    invoice = db.scalar(
        select(Invoice)
        .join(Invoice.agreement)
        .join(Agreement.order)
        .where(Invoice.number == number, Order.storefront == current_storefront())
    )
    if invoice is None:
        raise KassaHTTPError("invoice.not_found", f"no invoice {number!r}", status=404)
    return jsonify(invoice_json(invoice, get_state().config))


# -- the document ----------------------------------------------------------------------------


@api.get("/openapi.json")
def openapi_json() -> Response:
    """The OpenAPI 3.1 document of this API."""
    server = url_for(".openapi_json").rsplit("/", 1)[0]
    limits = get_state().config.max_order_amount
    response = jsonify(openapi_document(server, max(limits.values())))
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


# -- helpers ---------------------------------------------------------------------------------


def _json_body() -> dict[str, Any]:
    data = request.get_json(force=True, silent=True)
    if not isinstance(data, dict):
        raise KassaHTTPError("request.json", "the body must be a JSON object", status=400)
    return data


def _text_field(data: Mapping[str, Any], name: str) -> str:
    value = data.get(name)
    refuse_control_characters(value, name)
    if not isinstance(value, str) or not value or len(value) > 100:
        raise KassaHTTPError("request.field", f"{name} must be text", status=400, field=name)
    return value


def _own_session(session_id: str) -> Any:
    """The caller's session; another storefront's session is as absent as a missing one."""
    cs = find_checkout_session(request_session(), session_id)
    if cs is None or cs.storefront != current_storefront():
        raise KassaHTTPError("checkout.not_found", f"no checkout session {session_id!r}",
                             status=404)
    return cs


def _hosted_url(session_id: str) -> str:
    try:
        return public_url_for("kassa_checkout.hosted", session_id=session_id)
    except BuildError:  # the hosted page is not mounted (yet): its documented address
        config = get_state().config
        return f"{config.public_url}{config.url_prefix}/checkout/{session_id}"


def _base_url() -> str:
    """The shop's root URL, which links in e-mails are built on: KASSA_PUBLIC_URL."""
    return get_state().config.public_url

