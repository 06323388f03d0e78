"""Who is late, and what the merchant's team should do about it.

The reminder run hands each newly overdue invoice to the merchant's own team (DESIGN.md, the
Lowell and Ropo rows): :func:`segment_for` tells a first slip from a habit,
:func:`recommendation` the channel and tone of the first contact, :func:`overdue_hook_payload`
the hand-over as plain JSON, :func:`targets_for` which configured hooks take it. Sending is
:mod:`kassa.notify.hooks`'s business.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from ..config import HookTarget
from ..core.money import Money
from ..i18n import N_

__all__ = [
    "CHANNEL_LABELS",
    "SEGMENT_LABELS",
    "TONE_LABELS",
    "OverdueCase",
    "overdue_hook_payload",
    "recommendation",
    "segment_for",
    "targets_for",
]


# -- who is late, and what to do -------------------------------------------------------------


def segment_for(late_invoices_before: int, invoices_before: int) -> str:
    """The customer's lateness segment from their earlier invoices with the merchant.

    - ``first_time_late``: no earlier invoice was paid late (also a first invoice);
    - ``often_late``: at least 2 earlier invoices were late, and they are at least half of
      the earlier invoices;
    - ``occasionally_late``: everything in between (some earlier late invoices, fewer than
      half of them, or a single one).

    "Earlier" means issued before this invoice; this invoice is not counted.
    """
    if not 0 <= late_invoices_before <= invoices_before:
        raise ValueError("need 0 <= late_invoices_before <= invoices_before")
    if late_invoices_before == 0:
        return "first_time_late"
    if late_invoices_before >= 2 and 2 * late_invoices_before >= invoices_before:
        return "often_late"
    return "occasionally_late"


#: Preferred channel for clarifying an overdue invoice, per country: DESIGN.md, "Numbers from
#: the source documents" (Ropo 2024: phone 47 % FI, 50 % SE, 45 % NO).
_OVERDUE_CONTACT_CHANNEL: Mapping[str, str] = {"FI": "phone", "SE": "phone", "NO": "phone"}
#: Segment -> (channel, tone); None takes the country's preferred channel. DESIGN.md (Lowell
#: Kontakti, Strålfors rows): a first delay is usually a slip, so a friendly SMS with a pay link
#: (or a call) in a warm "reminder" tone; customers who are often late get a call in a
#: "plan together" tone that offers a payment plan (essentials such as rent, electricity and
#: food first).
_RECOMMENDATIONS: Mapping[str, tuple[str | None, str]] = {
    "first_time_late": ("sms", "reminder"),
    "occasionally_late": (None, "reminder"),
    "often_late": ("phone", "plan_together"),
}


def recommendation(segment: str, country: str) -> tuple[str, str]:
    """``(channel, tone)`` for the team's first contact: channel ``sms`` or ``phone``, tone
    ``reminder`` (warm, "a friendly reminder") or ``plan_together`` (offer a payment plan)."""
    if segment not in _RECOMMENDATIONS:
        raise ValueError(f"unknown segment {segment!r}")
    if country not in _OVERDUE_CONTACT_CHANNEL:
        raise ValueError(f"unknown country {country!r}")
    channel, tone = _RECOMMENDATIONS[segment]
    return channel or _OVERDUE_CONTACT_CHANNEL[country], tone


@dataclass(frozen=True)
class OverdueCase:
    """What the team needs to know about one overdue invoice, as plain values (no ORM rows).

    Amounts are integer minor units of ``currency``; ``reference`` is the payment reference
    as the customer sees it. The customer's identity number is deliberately not here.
    """

    invoice_number: str
    amount_minor: int
    balance_minor: int
    currency: str
    due_date: date
    reference: str
    customer_name: str
    customer_email: str | None
    customer_phone: str | None
    customer_locale: str
    country: str
    #: The customer's invoices issued before this one, and how many of them were paid late.
    invoices_before: int
    late_invoices_before: int
    call_script_url: str | None = None
    task_id: str | int | None = None


def _decimal_text(minor: int, currency: str) -> str:
    return str(Money(minor, currency).to_decimal())


def overdue_hook_payload(case: OverdueCase, today: date) -> dict[str, Any]:
    """The ``invoice.overdue`` hook body (JSON-ready) for ``case`` as of ``today``.

    ``amount``/``balance`` are decimal strings in major units (``"129.90"``), with the exact
    minor units beside them; dates are ISO 8601; ``days_overdue`` counts calendar days after
    the due date (0 on the due date itself).
    """
    days_overdue = (today - case.due_date).days
    if days_overdue < 0:
        raise ValueError(f"invoice {case.invoice_number} is not due until {case.due_date}")
    segment = segment_for(case.late_invoices_before, case.invoices_before)
    channel, tone = recommendation(segment, case.country)
    return {
        "type": "invoice.overdue",
        "invoice": {
            "number": case.invoice_number,
            "amount": _decimal_text(case.amount_minor, case.currency),
            "amount_minor": case.amount_minor,
            "balance": _decimal_text(case.balance_minor, case.currency),
            "balance_minor": case.balance_minor,
            "currency": case.currency,
            "due_date": case.due_date.isoformat(),
            "days_overdue": days_overdue,
            "reference": case.reference,
        },
        "customer": {
            "name": case.customer_name,
            "email": case.customer_email,
            "phone": case.customer_phone,
            "locale": case.customer_locale,
            "country": case.country,
        },
        "segment": segment,
        "recommended": {"channel": channel, "tone": tone},
        "call_script_url": case.call_script_url,
        "task_id": None if case.task_id is None else str(case.task_id),
    }


def targets_for(targets: Iterable[HookTarget], country: str, segment: str) -> list[HookTarget]:
    """The targets that take this country and segment (an empty filter takes every one)."""
    return [
        target
        for target in targets
        if (not target.countries or country in target.countries)
        and (not target.segments or segment in target.segments)
    ]



#: Staff-facing names of segments, channels and tones; translate where they are shown.
SEGMENT_LABELS = {
    "first_time_late": N_("Late for the first time"),
    "occasionally_late": N_("Occasionally late"),
    "often_late": N_("Often late"),
}
CHANNEL_LABELS = {"sms": N_("SMS"), "phone": N_("Phone call"), "email": N_("E-mail")}
TONE_LABELS = {
    "reminder": N_("Friendly reminder"),
    "plan_together": N_("Plan together: offer a payment plan"),
}
