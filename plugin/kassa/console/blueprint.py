"""The console's blueprint, its gate and what its templates share."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import g, render_template
from flask_wtf.csrf import CSRFError

from ..account.shopper import error_text as shopper_error_text
from ..config import STAFF_ROLES
from ..db.models import as_utc
from ..i18n import gettext as _
from ..pages import limit_form_body, page_blueprint
from ..service_settings import COUNTRY_ZONES
from ..services.customer_service import ServiceError
from ..services.staff import role_rank
from ..services.statements import unmatched_count
from ..state import request_session
from .access import gate

console = page_blueprint("kassa_console", __name__)
console.before_request(gate)
console.before_request(limit_form_body)


@console.context_processor
def console_helpers() -> dict[str, Any]:
    staff = g.get("kassa_staff")
    unmatched = 0
    if staff is not None and role_rank(staff.role) >= role_rank("supervisor"):
        unmatched = unmatched_count(request_session())
    return {"staff": staff, "unmatched_count": unmatched,
            "staff_may": lambda role: staff is not None and role_rank(staff.role) >= role_rank(
                role),
            "staff_roles": STAFF_ROLES, "local_time": local_time}


def local_time(moment: datetime, country: str) -> str:
    """``moment`` in the country's customer-service time, with the zone's abbreviation."""
    local = as_utc(moment).astimezone(ZoneInfo(COUNTRY_ZONES.get(country, "UTC")))
    return local.strftime("%Y-%m-%d %H:%M %Z")


def refusal_page(status: int, title: str, text: str) -> tuple[str, int]:
    return render_template("kassa/console/refused.html", title=title, text=text), status


@console.errorhandler(403)
def forbidden(_error: Exception) -> tuple[str, int]:
    return refusal_page(403, _("Not for your role"), _(
        "This page is for a supervisor or an administrator. Ask one of them if you need it."))


@console.errorhandler(404)
def not_found(_error: Exception) -> tuple[str, int]:
    return refusal_page(404, _("Not found"), _("There is nothing here. It may have been "
                                               "closed or removed."))


@console.errorhandler(CSRFError)
def stale_form(_error: Exception) -> tuple[str, int]:
    return refusal_page(400, _("Please try again"), _(
        "The form had expired or did not come from this page. Go back, reload the page and "
        "send it again."))


def service_error_text(error: ServiceError) -> str:
    """An agent's words for why an action could not be done."""
    params = getattr(error, "params", {}) or {}
    texts = {
        "service.decided": _("Someone has already handled this. Nothing was changed."),
        "service.not_found": _("We could not find that here. Nothing was changed."),
        "service.message_empty": _("Please write a message."),
        "service.too_long": _("The text is too long (at most %(limit)s characters).",
                              limit=params.get("limit", "")),
        "service.characters": _("The text has characters that cannot be sent."),
        "console.outcome": _("Please choose what came of the call."),
        "console.decision": _("Please choose whether to grant or refuse the request."),
        "console.answer_first": _("Please answer the customer first (a reply or a logged "
                                  "call); then you can wait for them. Nothing was changed."),
        "console.taken": _("%(name)s is working on this task. Ask them, or a supervisor, to "
                           "hand it over. Nothing was changed.", name=params.get("name", "")),
        "console.promise_date": _("Please give the day the customer promised to pay, within "
                                  "%(limit)s days from today.", limit=params.get("limit", "")),
        "service.channel": _("That channel is not in use here. Please choose another."),
        "service.no_phone": _("Text messages need a phone number. Please add one first."),
        "service.email": _("Please check the e-mail address."),
        "service.phone": _("Please check the phone number: digits only, a + first is fine."),
        "service.address": _("Please give the street, the postcode and the city."),
        "console.pause_range": _("Please choose a day from tomorrow up to %(limit)s days "
                                 "ahead.", limit=params.get("limit", "")),
        "console.not_holdable": _("This invoice's reminders cannot be paused: it is paid, "
                                  "closed or with collection."),
        "console.amount": _("Please give the amount in euros or crowns, for example 12,50."),
        "console.refund_amount": _("A refund can be at most what is left of the payment: "
                                   "%(limit)s.", limit=params.get("limit", "")),
        "console.credit_amount": _("A credit note can be at most what is left of the "
                                   "invoice: %(limit)s.", limit=params.get("limit", "")),
        "console.credit_reason": _("Please write the reason for the credit note; the "
                                   "customer sees it."),
        "console.stripe": _("The card payment service did not answer. Nothing was "
                            "refunded; please try again in a moment."),
        "payments.matched": _("This payment is already on an invoice. Nothing was changed."),
        "payments.currency": _("The payment and the invoice are in different currencies. "
                               "Nothing was changed."),
        "console.invoice": _("We could not find that invoice. Please check its number."),
        "console.request_pending": _("Please grant or refuse the request first; then the "
                                     "task can be closed."),
        "console.snooze_range": _("Please choose a day from tomorrow up to %(limit)s days "
                                  "ahead.", limit=params.get("limit", "")),
    }
    if error.code.startswith("service.file"):
        return shopper_error_text(error)  # the same words for a file, whoever sends it
    return texts.get(error.code, _("That could not be done. Nothing was changed."))
