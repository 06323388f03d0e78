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
from ..i18n import format_day, format_money, normalize_locale
from ..i18n import gettext as _
from ..invoicing import payment_details
from ..invoicing.pdf import invoice_pdf
from ..invoicing.qr import epc_qr_svg
from ..notify.outbox import deliver_now
from ..pages import NewLinkForm, closed_link_page, invoice_for_link, page_blueprint
from ..services.links import read_invoice_token
from ..state import get_state, request_session, transaction
from . import call_script, tracking

# The token in the URL is the key to the page: page_blueprint keeps it out of caches,
# referrers and search indexes, and no site may frame it.
account = page_blueprint("kassa_account", __name__)
account.before_request(tracking.note_tracked_link)
account.add_url_rule("/invoice/<token>/seen.gif", view_func=tracking.opened_pixel)
account.add_url_rule("/call-script/<country>", view_func=call_script.call_script)

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
        trail=[entry for entry in (_trail_entry(e, invoice.currency) for e in invoice.events)
               if entry is not None],
    )


@account.get("/invoice/<token>/pdf")
def invoice_pdf_download(token: str) -> Any:
    """The invoice as a PDF file, in the page's language."""
    invoice = invoice_for_link(token)
    if invoice is None:
        return _not_found()
    data = invoice_pdf(invoice, get_state().config, g.kassa_locale)
    return Response(data, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="invoice-{invoice.number}.pdf"'})


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


def _status_text(invoice: Invoice, today: date) -> str:
    if invoice.status == "paid" or (invoice.balance_minor <= 0 and invoice.paid_minor > 0):
        return _("Paid")
    if invoice.status in _PAYABLE and invoice.due_date < today:
        return _("Overdue")
    known = {
        "open": _("Open"),
        "overdue": _("Overdue"),
        "reminded": _("Overdue"),
        "disputed": _("Being looked into"),
        "on_hold": _("On hold"),
        "collection": _("With a collection agency"),
        "cancelled": _("Cancelled"),
        "credited": _("Credited"),
    }
    return known.get(invoice.status, invoice.status.replace("_", " ").capitalize())


def _trail_entry(event: InvoiceEvent, currency: str) -> dict[str, str] | None:
    """An event of the trail in friendly words, or None for internal bookkeeping."""
    data = event.data or {}
    amount = data.get("amount")
    money = format_money(amount, currency) if isinstance(amount, int) else None
    channel = data.get("channel")
    kind = event.kind
    if kind == "issued":
        text = _("Invoice issued")
    elif kind == "sent":
        text = {"email": _("Sent to you by e-mail"),
                "sms": _("Sent to you by text message"),
                "letter": _("Sent to you by post")}.get(channel or "", _("Sent to you"))
    elif kind == "delivery_failed":
        text = (_("We could not deliver the invoice by e-mail") if channel == "email"
                else _("We could not deliver the invoice"))
    elif kind == "resend_queued":
        text = _("Sent again on request")
    elif kind == "opened":
        text = _("Invoice opened")
    elif kind in ("reminded", "reminder_sent"):
        text = _("Reminder sent")
    elif kind == "fee_added":
        text = _("Reminder fee added: %(amount)s", amount=money) if money else _(
            "Reminder fee added")
    elif kind in ("payment", "payment_received"):
        text = _("Payment received: %(amount)s", amount=money) if money else _(
            "Payment received")
    elif kind == "paid":
        text = _("Paid in full. Thank you!")
    elif kind == "refunded":
        text = _("Refund paid: %(amount)s", amount=money) if money else _("Refund paid")
    elif kind == "disputed":
        text = _("You asked us to check the invoice; reminders wait while we do")
    elif kind == "extended":
        new_due = data.get("due_date")
        text = (_("Due date moved to %(date)s", date=format_day(date.fromisoformat(new_due)))
                if isinstance(new_due, str) else _("More time to pay agreed"))
    elif kind == "plan_agreed":
        text = _("Payment plan agreed")
    elif kind in ("collection", "handed_to_collection"):
        text = _("Handed over to a collection agency")
    elif kind == "payment_failed":
        text = _("A card payment did not go through; nothing was charged")
    elif kind == "payment_rejected":
        text = _("A payment could not be booked; we will look into it")
    elif kind == "hold_ended":
        text = _("Reminders continue")
    elif kind == "friendly_contact":
        text = _("A friendly reminder sent to you, with no fee")
    elif kind == "partly_paid":
        text = _("Part payment received: %(amount)s", amount=money) if money else _(
            "Part payment received")
    elif kind == "handed_over":
        text = {"letter": _("Handed to the post as a letter"),
                "einvoice": _("Sent to your online bank as an e-invoice"),
                "digital_mailbox": _("Sent to your digital mailbox")}.get(
                    channel or "", _("Sent to you"))
    else:
        return None
    return {"kind": kind, "text": text, "day": format_day(event.occurred_at.date())}
