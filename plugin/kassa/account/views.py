"""The shopper's own pages, opened through the signed link in the invoice e-mail.

Mounted at ``KASSA_URL_PREFIX + "/account"``. The link's token is the only key: a tampered
or unknown token gets a kind "not found" page and shows nothing of anyone's invoice. The
page speaks ``?lang=`` if given, else the customer's own language.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from flask import Response, current_app, g, render_template, request, url_for
from werkzeug.routing import BuildError

from ..db.models import Invoice, InvoiceEvent, OutboxMessage
from ..i18n import document_filename, normalize_locale
from ..i18n import gettext as _
from ..invoicing import payment_details
from ..invoicing.pdf import invoice_pdf
from ..invoicing.qr import epc_qr_svg
from ..notify.outbox import deliver_now
from ..pages import (
    NewLinkForm,
    closed_link_page,
    invoice_for_link,
    limit_form_body,
    page_blueprint,
)
from ..services.links import read_invoice_token
from ..state import get_state, request_session, transaction
from . import call_script, help_pages, shopper, tracking
from .trail import SHOPPER_CHANNELS, SHOPPER_EVENTS, shopper_trail
from .trail import status_text as _status_text

# The token in the URL is the key to the page: page_blueprint keeps it out of caches,
# referrers and search indexes, and no site may frame it. The help and contact pages are
# public.
account = page_blueprint("kassa_account", __name__,
                         public=("help_index", "help_page", "contact_page"))
account.before_request(tracking.note_tracked_link)
account.before_request(limit_form_body)
account.add_url_rule("/invoice/<token>/seen.gif", view_func=tracking.opened_pixel)
account.add_url_rule("/call-script/<country>", view_func=call_script.call_script)
account.add_url_rule("/help", view_func=help_pages.help_index)
account.add_url_rule("/help/<country>", view_func=help_pages.help_page)
account.add_url_rule("/contact", view_func=help_pages.contact_page)
shopper.register(account)

#: The endpoint of "pay now" (built by the payments blueprint, when Stripe is configured).
PAY_ENDPOINT = "kassa_payments.pay"
_PAYABLE = ("open", "partly_paid", "overdue", "reminded")


@account.get("/invoice/<token>")
def invoice_page(token: str) -> Any:
    """The invoice: status, amounts, how to pay (bank transfer, bar code, QR, pay now),
    the PDF and what has happened to it so far."""
    invoice = invoice_for_link(token)
    if invoice is None:
        return _not_found()
    config = get_state().config
    details = payment_details(invoice, config)
    payable = invoice.balance_minor > 0 and invoice.status in _PAYABLE
    return render_template(
        "kassa/account/invoice.html",
        invoice=invoice,
        token=token,
        details=details,
        payable=payable,
        status_text=_status_text(invoice, date.today()),
        pay_url=_pay_url(token) if payable else None,
        trail=shopper_trail(invoice.events, invoice.currency),
    )


@account.get("/invoice/<token>/pdf")
def invoice_pdf_download(token: str) -> Any:
    """The invoice as a PDF file, in the page's language."""
    invoice = invoice_for_link(token)
    if invoice is None:
        return _not_found()
    data = invoice_pdf(invoice, get_state().config, g.kassa_locale)
    filename = document_filename("invoice", invoice.number, g.kassa_locale)
    return Response(data, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{filename}"'})


@account.get("/invoice/<token>/qr.svg")
def invoice_qr(token: str) -> Any:
    """The EPC QR code of the invoice (euro invoices with something left to pay)."""
    invoice = invoice_for_link(token)
    if invoice is None:
        return _not_found()
    svg = epc_qr_svg(payment_details(invoice, get_state().config),
                     title=_("QR code for paying this invoice in a banking app"))
    if svg is None:
        return _not_found()
    return Response(svg, mimetype="image/svg+xml")


def _not_found() -> Any:
    return closed_link_page() or (render_template("kassa/account/not_found.html"), 404)


@account.post("/invoice/<token>/new-link")
def new_link(token: str) -> Any:
    """Send a fresh link to the invoice's e-mail address: what an expired or revoked link
    offers. Only to the address the invoice was billed to, never to one typed here."""
    link = read_invoice_token(token)
    invoice = request_session().get(Invoice, link.invoice_id) if link is not None else None
    if invoice is None or not invoice.billed.get("email"):
        return render_template("kassa/account/not_found.html"), 404
    if not NewLinkForm().validate_on_submit():
        return render_template("kassa/account/not_found.html"), 400
    if not normalize_locale(request.args.get("lang")):
        g.kassa_locale = normalize_locale(invoice.customer.locale) or g.kassa_locale
    state = get_state()
    now = datetime.now(UTC)
    with transaction() as db:
        db.add(OutboxMessage(channel="email", kind="invoice", invoice_id=invoice.id,
                             recipient=invoice.billed["email"],
                             payload={"base_url": state.config.public_url,
                                      "locale": g.kassa_locale}))
        db.add(InvoiceEvent(invoice_id=invoice.id, kind="link_requested", occurred_at=now,
                            data={"channel": "email"}))
    deliver_now(state, now=now, invoice_ids=[invoice.id])
    return render_template("kassa/account/link_sent.html",
                           email=_masked_email(invoice.billed["email"]))


def _masked_email(address: str) -> str:
    """``m***@example.se``: enough to recognise one's own address, not to learn someone's."""
    name, _at, domain = address.partition("@")
    return f"{name[:1]}***@{domain}"


def _pay_url(token: str) -> str | None:
    """The "pay now" link, where card and mobile payments are set up; else None."""
    if not get_state().config.stripe_secret_key or PAY_ENDPOINT not in current_app.view_functions:
        return None
    try:
        return url_for(PAY_ENDPOINT, token=token)
    except BuildError:
        return None


__all__ = ["SHOPPER_CHANNELS", "SHOPPER_EVENTS", "account", "shopper_trail"]
