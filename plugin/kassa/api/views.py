"""The storefront JSON API, version 1, mounted at ``{KASSA_URL_PREFIX}/api/v1``.

Views are thin: JSON in, a call to :mod:`kassa.services.checkout` or
:mod:`kassa.services.offers`, JSON out. Every refusal is ``{"code", "message"}`` with a
fitting HTTP status (:mod:`kassa.api.errors`); what every request passes first is in
:mod:`kassa.api.guards`. The document describing all of this is :mod:`kassa.api.openapi`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from flask import Blueprint, Response, jsonify, request, url_for
from sqlalchemy import select
from werkzeug.exceptions import HTTPException
from werkzeug.routing import BuildError

from ..config import KassaConfig
from ..db.models import Agreement, Invoice, Order
from ..errors import KassaHTTPError
from ..notify.outbox import deliver_now
from ..pages import (
    choose_locale,
    public_url_for,
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
)
from ..services.customer_service import ServiceError
from ..services.offers import offers_for_amount, remember
from ..services.order_input import (
    MAX_CHOICE_LENGTH,
    MAX_PERSONAL_ID_LENGTH,
    refuse_control_characters,
)
from ..services.reminder_policy import late_payment_terms
from ..services.representation import (
    checkout_session_json,
    invoice_json,
    late_payment_json,
    offer_json,
)
from ..state import get_state, request_session, transaction
from . import (
    clock,
    cors,
    credit_changes,
    credit_review,
    customer_service,
    errors,
    guards,
    idempotency,
    review,
    support,
)
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
api.add_url_rule("/agreements/<agreement_id>/withdrawal",
                 view_func=credit_changes.withdraw_from_agreement, methods=["POST"])
api.add_url_rule("/agreements/<agreement_id>/early-repayment",
                 view_func=credit_changes.early_repayment_quote, methods=["GET"])
api.add_url_rule("/agreements/<agreement_id>/early-repayment",
                 view_func=credit_changes.register_repayment, methods=["POST"])
api.add_url_rule("/checkout-sessions/<session_id>/credit-decisions/<decision_id>/review",
                 view_func=credit_review.request_credit_review, methods=["POST"])
# Customer service: the shop acts for its signed-in shopper (Kassa-Shopper-Email), and the
# team's side for the help console (kassa.api.customer_service).
api.add_url_rule("/shopper/invoices", view_func=customer_service.shopper_invoices,
                 methods=["GET"])
api.add_url_rule("/shopper/invoices/<number>/more-time",
                 view_func=customer_service.shopper_more_time, methods=["POST"])
api.add_url_rule("/shopper/invoices/<number>/disputes",
                 view_func=customer_service.shopper_dispute, methods=["POST"])
api.add_url_rule("/shopper/plans/quote", view_func=customer_service.shopper_plan_quote,
                 methods=["POST"])
api.add_url_rule("/shopper/plans", view_func=customer_service.shopper_plan, methods=["POST"])
api.add_url_rule("/shopper/threads", view_func=customer_service.shopper_threads,
                 methods=["GET"])
api.add_url_rule("/shopper/threads", view_func=customer_service.shopper_start_thread,
                 methods=["POST"])
api.add_url_rule("/shopper/threads/<thread_id>", view_func=customer_service.shopper_thread,
                 methods=["GET"])
api.add_url_rule("/shopper/threads/<thread_id>/attachments/<attachment_id>",
                 view_func=customer_service.shopper_thread_file, methods=["GET"])
api.add_url_rule("/shopper/threads/<thread_id>/messages",
                 view_func=customer_service.shopper_add_message, methods=["POST"])
api.add_url_rule("/shopper/callback-slots", view_func=customer_service.shopper_callback_slots,
                 methods=["GET"])
api.add_url_rule("/shopper/callbacks", view_func=customer_service.shopper_callback,
                 methods=["POST"])
api.add_url_rule("/shopper/address", view_func=customer_service.shopper_address,
                 methods=["POST"])
api.add_url_rule("/shopper/channels", view_func=customer_service.shopper_channels,
                 methods=["POST"])
api.add_url_rule("/service-requests", view_func=customer_service.service_requests,
                 methods=["GET"])
api.add_url_rule("/service-requests/<request_id>/decision",
                 view_func=customer_service.decide_service_request, methods=["POST"])
api.add_url_rule("/service-requests/<request_id>/attachments/<attachment_id>",
                 view_func=customer_service.service_request_file, methods=["GET"])
api.add_url_rule("/callbacks/<request_id>/done", view_func=customer_service.callback_done,
                 methods=["POST"])
api.add_url_rule("/message-threads", view_func=customer_service.message_threads,
                 methods=["GET"])
api.add_url_rule("/message-threads/<thread_id>", view_func=customer_service.message_thread,
                 methods=["GET"])
api.add_url_rule("/message-threads/<thread_id>/attachments/<attachment_id>",
                 view_func=customer_service.message_thread_file, methods=["GET"])
api.add_url_rule("/message-threads/<thread_id>/replies",
                 view_func=customer_service.reply_to_thread, methods=["POST"])
api.add_url_rule("/message-threads/<thread_id>/resolve",
                 view_func=customer_service.resolve_message_thread, methods=["POST"])
api.add_url_rule("/surveys", view_func=customer_service.survey_answers, methods=["GET"])

# Any whole number: one above KASSA_MAX_ORDER_AMOUNT is refused by the offers service.
_WHOLE_NUMBER = re.compile(r"-?[0-9]{1,64}")

api.register_error_handler(KassaHTTPError, errors.refused)
api.register_error_handler(ServiceError, customer_service.refused)
api.register_error_handler(HTTPException, errors.http_error)
# For the status itself, so that a host app's own 429 handler does not answer Kassa's API.
api.register_error_handler(429, errors.rate_limited)
api.before_request(guards.check_path_parameters)
api.before_request(guards.limit_body)
api.before_request(guards.limit_json_depth)
# After the body limit: the key's request digest reads the body.
api.before_request(idempotency.start)
api.after_request(idempotency.finish)
api.add_url_rule("/", endpoint="_unrouted", view_func=guards.unrouted,
                 defaults={"unknown": ""}, methods=guards.METHODS)
api.add_url_rule("/<path:unknown>", endpoint="_unrouted", view_func=guards.unrouted,
                 methods=guards.METHODS)
api.after_request(guards.options_name_real_routes)


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
    body = remember(config, ("offers.json", amount, currency, country, today),
                    lambda: _offers_body(config, amount, currency, country, today))
    response = Response(body, mimetype="application/json")
    response.headers["Cache-Control"] = "public, max-age=60"
    # Public and free of personal data: the widget may ask from the storefront's own domain.
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _offers_body(config: KassaConfig, amount: int, currency: str, country: str,
                 today: date) -> str:
    """The offers for the amount and what paying late costs (the same for every offer)."""
    offers = offers_for_amount(config, amount, currency, country, today)  # checks the input
    return json.dumps(
        {"currency": currency, "country": country, "amount": amount,
         "offers": [offer_json(o) for o in offers],
         "late_payment": late_payment_json(late_payment_terms(config, country, today))},
        separators=(",", ":"))


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
    if personal_id is not None and (not isinstance(personal_id, str)
                                    or len(personal_id) > MAX_PERSONAL_ID_LENGTH):
        raise KassaHTTPError("request.field", "personal_id must be text of at most "
                             f"{MAX_PERSONAL_ID_LENGTH} characters", status=400,
                             field="personal_id")
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
    response = jsonify(openapi_document(server, max(limits.values()),
                                        get_state().config.upload_max_bytes))
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
    if not isinstance(value, str) or not value or len(value) > MAX_CHOICE_LENGTH:
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

