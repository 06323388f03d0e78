"""The invoice's status and trail in a shopper's words, for the invoice page and the
shopper's own pages."""

from __future__ import annotations

from datetime import date
from typing import Any

from ..db.models import Invoice, InvoiceEvent
from ..i18n import format_day, format_money
from ..i18n import gettext as _

PAYABLE = ("open", "partly_paid", "overdue", "reminded")
_PAYABLE = PAYABLE


def status_text(invoice: Invoice, today: date) -> str:
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


#: The events of the trail the shopper sees; every other kind (the hand-over to the team,
#: link bookkeeping, whatever is added later) stays in the staff's view only.
SHOPPER_EVENTS = frozenset({
    "issued", "sent", "delivery_failed", "resend_queued", "opened", "reminded",
    "reminder_sent", "fee_added", "payment", "payment_received", "paid", "refunded",
    "disputed", "extended", "plan_agreed", "collection", "handed_to_collection",
    "payment_failed", "payment_rejected", "hold_ended", "friendly_contact", "partly_paid",
    "handed_over", "plan_missed", "channel_changed", "contact_changed",
    "extension_requested", "plan_requested", "extension_decided", "plan_decided",
    "dispute_decided", "credited",
})
#: The channels that reach the shopper. A message to the team's hook or the collection
#: partner is recorded as "sent" too, but it was not sent to the shopper.
SHOPPER_CHANNELS = frozenset({"email", "sms", "letter", "einvoice", "digital_mailbox"})
#: Events about one message, shown only when the message went to the shopper.
_MESSAGE_EVENTS = frozenset({"sent", "delivery_failed", "resend_queued", "handed_over",
                             "friendly_contact"})


def shopper_trail(events: Any, currency: str) -> list[dict[str, str]]:
    """The events of an invoice the shopper may see (:data:`SHOPPER_EVENTS`, messages only
    on :data:`SHOPPER_CHANNELS`), oldest first, in friendly words."""
    return [entry for entry in (_trail_entry(event, currency) for event in events)
            if entry is not None]


def _trail_entry(event: InvoiceEvent, currency: str) -> dict[str, str] | None:
    """An event of the trail in friendly words, or None for what the shopper does not see."""
    data = event.data or {}
    channel = str(data.get("channel") or "")
    kind = event.kind
    if kind not in SHOPPER_EVENTS or (kind in _MESSAGE_EVENTS
                                      and channel not in SHOPPER_CHANNELS):
        return None
    amount = data.get("amount")
    money = format_money(amount, currency) if isinstance(amount, int) else None
    if kind == "issued":
        text = _("Invoice issued")
    elif kind == "sent":
        text = {"email": _("Sent to you by e-mail"),
                "sms": _("Sent to you by text message"),
                "letter": _("Sent to you by post"),
                "einvoice": _("Sent to your online bank as an e-invoice"),
                "digital_mailbox": _("Sent to your digital mailbox")}[channel]
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
    elif kind == "credited":
        reason = str(data.get("reason") or "")
        text = _("Credit note %(number)s: %(amount)s off the invoice (%(reason)s)",
                 number=data.get("number", ""), amount=money or "", reason=reason) \
            if reason else _("Credit note %(number)s: %(amount)s off the invoice",
                             number=data.get("number", ""), amount=money or "")
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
    elif kind == "plan_missed":
        text = _("A payment of the plan is late, so reminders continue for what is left")
    elif kind == "channel_changed":
        text = _("You changed how we contact you")
    elif kind == "contact_changed":
        text = _("You updated your contact details")
    elif kind in ("extension_requested", "plan_requested"):
        text = _("You sent a request to our team")
    elif kind in ("extension_decided", "plan_decided", "dispute_decided"):
        text = _("Our team answered your request")
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
                    channel, _("Sent to you"))
    else:
        return None
    return {"kind": kind, "text": text, "day": format_day(event.occurred_at.date())}
