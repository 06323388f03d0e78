"""The "pay now" card payment page of one invoice, its return page and Stripe's webhook.

Mounted at ``KASSA_URL_PREFIX + "/pay"``:

- ``GET /<token>`` (``kassa_payments.pay``): amount, invoice number and the merchant's
  brand, a card form (Stripe.js from ``KASSA_STRIPE_JS_URL`` and ``pay.js``) for the
  PaymentIntent created while the page is rendered, and the bank transfer details. When
  Stripe cannot be reached the shopper gets a kind message, the bank details and HTTP 503;
  nothing is lost and reloading later works. A paid invoice says so.
- ``GET /<token>/done`` (``kassa_payments.done``): where the browser lands after paying;
  "paid" once the webhook has booked the payment, "being confirmed" (refreshing itself for
  two minutes) until then.
- ``POST /<token>/confirm`` (``kassa_payments.confirm``): JSON; only with a stand-in
  Stripe (see :mod:`kassa.payments.gateway`).
- ``POST /stripe/webhook`` (``kassa_payments.stripe_webhook``): Stripe's events, verified
  over the raw body; exempt from Flask-WTF's CSRF check, which would refuse them.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Flask,
    Response,
    current_app,
    g,
    jsonify,
    render_template,
    request,
    url_for,
)
from flask.blueprints import BlueprintSetupState

from ..db.models import Invoice
from ..i18n import gettext as _
from ..i18n import pgettext
from ..invoicing import payment_details
from ..pages import closed_link_page, invoice_for_link, load_stripe_js, page_blueprint
from ..services.payments import PaymentError
from ..state import get_state, request_session, transaction
from .gateway import (
    CardDeclined,
    PaymentUnavailable,
    confirm_on_stand_in,
    create_payment_intent,
    uses_stand_in,
)
from .webhooks import WebhookSignatureError, process_stripe_event, verify_stripe_event

# The token in the URL is the key to the page: page_blueprint keeps it out of caches,
# referrers and search indexes. Shops in KASSA_FRAME_ANCESTORS may frame the pay pages.
payments = page_blueprint("kassa_payments", __name__, framable=True)

#: Invoice statuses in which nothing can be paid any more.
_CLOSED = ("cancelled", "credited")
#: How many times the return page reloads itself (every 5 s) while the payment is confirmed.
_DONE_CHECKS = 24


@payments.get("/<token>")
def pay(token: str) -> Any:
    """The "pay now" page of one invoice."""
    invoice = invoice_for_link(token)
    if invoice is None:
        return _not_found()
    state = get_state()
    if not _payable(invoice):
        return _page(invoice, token, "paid" if _is_paid(invoice) else "nothing")
    if state.stripe is None or not state.config.stripe_publishable_key:
        return _page(invoice, token, "unavailable"), 503
    try:
        with transaction() as db:
            attempt = create_payment_intent(state, db, invoice)
    except PaymentUnavailable:
        return _page(invoice, token, "unavailable"), 503
    except PaymentError:  # paid in the meantime, or money Kassa could not book: no card now
        request_session().refresh(invoice)
        if not _payable(invoice):
            return _page(invoice, token, "paid" if _is_paid(invoice) else "nothing")
        return _page(invoice, token, "unavailable"), 503
    if invoice.balance_minor <= 0:  # the last attempt had succeeded and is booked now
        return _page(invoice, token, "paid")
    if attempt.status == "processing":
        return _page(invoice, token, "processing")
    return _page(invoice, token, "form", client_secret=attempt.client_secret)  # type: ignore[attr-defined]


@payments.get("/<token>/done")
def done(token: str) -> Any:
    """Where the shopper lands after paying: paid, or being confirmed."""
    invoice = invoice_for_link(token)
    if invoice is None:
        return _not_found()
    if _is_paid(invoice):
        return _page(invoice, token, "paid", template="kassa/payments/done.html")
    response = Response(_page(invoice, token, "confirming", template="kassa/payments/done.html"))
    check = request.args.get("check", "0")
    count = int(check) if check.isdigit() else 0
    if count < _DONE_CHECKS:
        again = url_for(".done", token=token, check=count + 1, lang=g.kassa_locale)
        response.headers["Refresh"] = f"5; url={again}"
    return response


@payments.post("/<token>/confirm")
def confirm(token: str) -> Any:
    """Stand-in Stripe only: pay the open attempt with a card token made by the fake
    Stripe.js; answers ``{status, client_secret, done_url}`` or ``{code, message}``."""
    invoice = invoice_for_link(token)
    state = get_state()
    if invoice is None or not uses_stand_in(state.config):
        return _error("payments.not_found", _("We could not find this invoice."), 404)
    data = request.get_json(silent=True)
    card_token = data.get("card_token") if isinstance(data, dict) else None
    try:
        with transaction() as db:
            attempt = confirm_on_stand_in(state, db, invoice, card_token)  # type: ignore[arg-type]
    except CardDeclined:
        return _error(
            "payments.declined",
            _("The card was declined. Please try another card, or pay by bank transfer."),
            402,
        )
    except PaymentUnavailable:
        return _error("payments.unavailable", _unavailable_text(invoice.country), 503)
    except PaymentError as exc:
        return _error(
            exc.code,
            _("This payment cannot be completed. Please reload the page and try again."),
            409,
        )
    return jsonify(
        status=attempt.status,
        client_secret=attempt.client_secret,  # type: ignore[attr-defined]
        done_url=url_for(".done", token=token, lang=g.kassa_locale),
    )


@payments.post("/stripe/webhook")
def stripe_webhook() -> Any:
    """Stripe's events: ``payment_intent.succeeded`` books the payment, once."""
    state = get_state()
    secret = state.config.stripe_webhook_secret
    if not secret:
        return _error("webhook.disabled", "KASSA_STRIPE_WEBHOOK_SECRET is not set.", 404)
    try:
        event = verify_stripe_event(
            request.get_data(), request.headers.get("Stripe-Signature"), secret
        )
    except WebhookSignatureError as exc:
        return _error(exc.code, exc.message, 400)
    try:
        outcome = process_stripe_event(state, event)
    except PaymentUnavailable as exc:
        # Stripe refused to let Kassa re-read the payment (the key, a permission, the rate
        # limit): nothing was written. Any non-2xx makes Stripe send the event again later.
        return _error(
            exc.code, f"{exc.message} The event was not processed; Stripe sends it again.", 503
        )
    # Every outcome is 200, "missing" too (Stripe says the event's PaymentIntent does not
    # exist, so nothing was booked): Stripe retries any other status for days, and asking it
    # again about an intent it does not have gets the same answer. A 4xx would only fill the
    # endpoint's failure log in Stripe's dashboard and could get the endpoint switched off.
    return jsonify(outcome.as_json())


# -- CSRF: Stripe cannot send a CSRF token; its signature protects the webhook instead -------


def _exempt_webhook(app: Flask) -> None:
    csrf = app.extensions.get("csrf")
    if csrf is not None:
        csrf.exempt(stripe_webhook)


@payments.record_once
def _exempt_when_registered(setup: BlueprintSetupState) -> None:
    # The host app set up CSRFProtect before Kassa.
    _exempt_webhook(setup.app)


@payments.before_app_request
def _exempt_before_csrf_check() -> None:
    # The host app set up CSRFProtect after Kassa: this hook runs before its check.
    if request.endpoint == "kassa_payments.stripe_webhook":
        _exempt_webhook(current_app)


# -- helpers -------------------------------------------------------------------------------


def _payable(invoice: Invoice) -> bool:
    return invoice.balance_minor > 0 and invoice.status not in _CLOSED


def _is_paid(invoice: Invoice) -> bool:
    return invoice.balance_minor <= 0 and invoice.paid_minor > 0


def _unavailable_text(country: str) -> str:
    """Card payment is down: pay by transfer with the reference, named as ``country`` names
    it (viitenumero, OCR, KID)."""
    if country == "FI":
        return pgettext("FI", "Card payment is not available right now. You can pay by bank "
                        "transfer with the reference number below, or try again later.")
    if country == "SE":
        return pgettext("SE", "Card payment is not available right now. You can pay by bank "
                        "transfer with the OCR number below, or try again later.")
    if country == "NO":
        return pgettext("NO", "Card payment is not available right now. You can pay by bank "
                        "transfer with the KID number below, or try again later.")
    return _(
        "Card payment is not available right now. Your invoice is safe: you can pay by "
        "bank transfer with the reference below or try again later."
    )


def _page(
    invoice: Invoice,
    token: str,
    shown: str,
    *,
    client_secret: str | None = None,
    template: str = "kassa/payments/pay.html",
) -> str:
    """Render the pay (or done) page in the state ``shown``: ``form``, ``processing``,
    ``unavailable``, ``paid``, ``nothing`` or ``confirming``."""
    state = get_state()
    config = state.config
    if shown == "form":  # the card form, the one page that loads Stripe.js
        load_stripe_js()
    account_url = (
        url_for("kassa_account.invoice_page", token=token, lang=g.kassa_locale)
        if "kassa_account.invoice_page" in current_app.view_functions
        else None
    )
    return render_template(
        template,
        invoice=invoice,
        token=token,
        shown=shown,
        details=payment_details(invoice, config),
        unavailable_text=_unavailable_text(invoice.country),
        client_secret=client_secret,
        publishable_key=config.stripe_publishable_key,
        stripe_js_url=config.stripe_js_url,
        confirm_flow="server" if uses_stand_in(config) else "client",
        confirm_url=url_for(".confirm", token=token),
        done_url=url_for(".done", token=token, lang=g.kassa_locale),
        pay_url=url_for(".pay", token=token, lang=g.kassa_locale),
        account_url=account_url,
    )


def _not_found() -> Any:
    return closed_link_page() or (render_template("kassa/account/not_found.html"), 404)


def _error(code: str, message: str, status: int) -> Any:
    return jsonify(code=code, message=message), status
