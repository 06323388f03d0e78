"""Reminder hooks: hand an overdue invoice to the merchant's own team, with what to do about it.

Right after the due date, before any formal letter, Kassa asks the merchant's team to get in
touch the way the customer is most likely to welcome (DESIGN.md, the Lowell and Ropo rows):
a friendly SMS or call for someone late for the first time, a call offering to plan the
payments together for someone who is often late. :func:`overdue_hook_payload` builds that
hand-over from plain values; :func:`send_hook` delivers it to each configured
``KASSA_REMINDER_HOOKS`` target:

``webhook``
    JSON body signed per Standard Webhooks (``webhook-id``, ``webhook-timestamp``,
    ``webhook-signature``); the outbox message id is the ``webhook-id``, the same on every
    retry, so receivers can drop duplicates. Merchants verify with
    :func:`verify_standard_webhook` (or any Standard Webhooks library).
``slack``
    an incoming-webhook message, ``{"text": ..., "blocks": [...]}``: name, invoice, balance,
    segment and recommendation only; no contact details and never an identity number.
``zendesk``
    a private ticket (``comment.public`` false) with the customer as requester, Basic auth
    ``{email}/token:{api_token}`` and ``Idempotency-Key``. Make sure no Zendesk trigger mails
    the requester on ticket creation if the team wants to call first.
``freshdesk``
    a ticket with an HTML description, status 2 (Open), priority 2 (Medium), Basic auth
    ``{api_key}:X``.
``email``
    a plain-text e-mail to the team inbox through the ``smtp_send`` callable the outbox passes
    (``kassa.notify.email.send_email`` bound to the config).

Staff-facing text (Slack, tickets, e-mail) is in the ``kassa`` domain and written in
``locale``, the team's language (the outbox passes ``KASSA_DEFAULT_LOCALE``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import smtplib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from email.message import EmailMessage
from html import escape
from typing import Any

from kassa.config import HookTarget
from kassa.core.money import Money
from kassa.i18n import catalog, format_day, format_money, normalize_locale

from .http import DEFAULT_TIMEOUT, DeliveryResult, post

__all__ = [
    "HookTarget",
    "OverdueCase",
    "overdue_hook_payload",
    "recommendation",
    "segment_for",
    "send_hook",
    "standard_webhook_headers",
    "targets_for",
    "translate",
    "verify_standard_webhook",
]


# -- translation outside a request -----------------------------------------------------------


def N_(message: str) -> str:
    """Mark ``message`` for extraction into the ``kassa`` catalog; translate with translate()."""
    return message


def translate(locale: str | None, message: str, **variables: Any) -> str:
    """``message`` from the ``kassa`` catalog of ``locale`` with ``%(name)s`` filled in.

    Needs no app or request context (the outbox runs outside requests, where
    :func:`kassa.i18n.gettext` always answers in English). Mark literals with ``N_``.
    """
    text = catalog(normalize_locale(locale) or "en").ugettext(message)
    return text % variables if variables else text


# -- Standard Webhooks -----------------------------------------------------------------------


def _signing_key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix("whsec_"))


def _signature(key: bytes, message_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    return base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode("ascii")


def standard_webhook_headers(
    secret: str, message_id: str, timestamp: int, body: bytes
) -> dict[str, str]:
    """The ``webhook-id``, ``webhook-timestamp`` and ``webhook-signature`` headers.

    ``secret`` is ``whsec_`` + base64 of the key; the prefix is stripped and the rest
    base64-decoded before keying HMAC-SHA256 over ``"{id}.{timestamp}.{body}"``.
    ``timestamp`` is in Unix seconds of this attempt; ``message_id`` stays the same on retries
    and may not contain ``.``.
    """
    if not message_id or "." in message_id:
        raise ValueError("a webhook id must be non-empty and contain no '.'")
    signature = _signature(_signing_key(secret), message_id, timestamp, body)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": f"v1,{signature}",
    }


def verify_standard_webhook(
    secret: str, headers: Mapping[str, str], body: bytes, now: datetime | int, tolerance: int = 300
) -> bool:
    """Whether ``body`` and ``headers`` are a genuine, fresh delivery signed with ``secret``.

    For merchants' receivers and for tests. Checks the raw body exactly as received, a
    timestamp within ``tolerance`` seconds of ``now`` (either way, against replays) and any of
    the space-separated ``v1,`` signatures (there are two while a secret is rotated), in
    constant time. Remember the ``webhook-id`` values you have processed: retries repeat them.
    """
    lower = {key.lower(): value for key, value in headers.items()}
    message_id = lower.get("webhook-id", "")
    timestamp_text = lower.get("webhook-timestamp", "")
    if not message_id or not timestamp_text.isdigit():
        return False
    timestamp = int(timestamp_text)
    now_seconds = int(now.timestamp()) if isinstance(now, datetime) else int(now)
    if abs(now_seconds - timestamp) > tolerance:
        return False
    try:
        expected = _signature(_signing_key(secret), message_id, timestamp, body)
    except ValueError:
        return False
    found = False
    for candidate in lower.get("webhook-signature", "").split():
        version, _, signature = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(signature.encode(), expected.encode()):
            found = True  # keep comparing: the time taken does not depend on which matched
    return found


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


# -- staff-facing text -----------------------------------------------------------------------

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


@dataclass(frozen=True)
class _Summary:
    subject: str
    #: (label, value) rows for every target; ``contact`` rows (phone, e-mail, reference, task
    #: and the call script link) only for tickets and the team inbox, not for Slack.
    rows: list[tuple[str, str]]
    contact: list[tuple[str, str]]


def _summary(payload: Mapping[str, Any], locale: str) -> _Summary:
    invoice, customer = payload["invoice"], payload["customer"]
    recommended = payload["recommended"]

    def _(message: str, **variables: Any) -> str:  # named so that babel extracts the calls
        return translate(locale, message, **variables)

    # Labels are marked with N_ where they are defined; translate() keeps babel from
    # extracting the dictionary keys here.
    segment = translate(locale, SEGMENT_LABELS[payload["segment"]])
    channel = translate(locale, CHANNEL_LABELS[recommended["channel"]])
    tone = translate(locale, TONE_LABELS[recommended["tone"]])
    balance = format_money(invoice["balance_minor"], invoice["currency"], locale)
    amount = format_money(invoice["amount_minor"], invoice["currency"], locale)
    rows = [
        (_("Customer"), customer["name"]),
        (_("Invoice"), invoice["number"]),
        (_("Balance"), _("%(balance)s of %(amount)s", balance=balance, amount=amount)),
        (_("Due date"), format_day(date.fromisoformat(invoice["due_date"]), locale)),
        (_("Days overdue"), str(invoice["days_overdue"])),
        (_("Customer group"), segment),
        (_("Contact by"), channel),
        (_("Tone"), tone),
    ]
    contact = [
        (label, value)
        for label, value in (
            (_("Phone"), customer.get("phone")),
            (_("E-mail"), customer.get("email")),
            (_("Reference"), invoice.get("reference")),
            (_("Task"), payload.get("task_id")),
            (_("Call script"), payload.get("call_script_url")),
        )
        if value
    ]
    subject = _(
        "Overdue invoice %(number)s: %(name)s", number=invoice["number"], name=customer["name"]
    )
    return _Summary(subject=subject, rows=rows, contact=contact)


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_message(payload: Mapping[str, Any], locale: str = "en") -> dict[str, Any]:
    """The Slack incoming-webhook body: a one-line fallback ``text`` and a few blocks.

    Only the summary rows go in (no phone, e-mail or identity number): Slack channels are
    often wider than the team that calls customers.
    """
    summary = _summary(payload, locale)
    fields = [
        {"type": "mrkdwn", "text": f"*{_slack_escape(label)}*\n{_slack_escape(value)}"}
        for label, value in summary.rows
    ]
    blocks: list[dict[str, Any]] = [
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": f"*{_slack_escape(summary.subject)}*"},
        },
        {"type": "section", "fields": fields[:10]},  # Slack allows at most 10 fields
    ]
    if payload.get("call_script_url"):
        label = translate(locale, N_("Call script"))
        blocks.append(
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": f"<{payload['call_script_url']}|{_slack_escape(label)}>",
                    }
                ],
            }
        )
    return {"text": _slack_escape(summary.subject), "blocks": blocks}


def _plain_text(payload: Mapping[str, Any], locale: str) -> tuple[str, str]:
    summary = _summary(payload, locale)
    lines = [f"{label}: {value}" for label, value in summary.rows + summary.contact]
    return summary.subject, "\n".join(lines) + "\n"


def _html(payload: Mapping[str, Any], locale: str) -> str:
    summary = _summary(payload, locale)
    items = "".join(
        f"<li><b>{escape(label)}:</b> {escape(value)}</li>"
        for label, value in summary.rows + summary.contact
    )
    return f"<p><b>{escape(summary.subject)}</b></p><ul>{items}</ul>"


def _tags(payload: Mapping[str, Any]) -> list[str]:
    return ["kassa", "overdue", payload["segment"]]


# -- delivery --------------------------------------------------------------------------------

_JSON = {"Content-Type": "application/json"}


def _json_body(document: Any) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def send_hook(
    target: HookTarget,
    payload: Mapping[str, Any],
    *,
    message_id: str,
    now: datetime,
    smtp_send: Callable[[EmailMessage], object] | None = None,
    locale: str = "en",
    timeout: float = DEFAULT_TIMEOUT,
    mail_from: str | None = None,
) -> DeliveryResult:
    """Deliver ``payload`` (from :func:`overdue_hook_payload`) to ``target`` once.

    ``message_id`` is the outbox message's id: the ``webhook-id`` and ``Idempotency-Key`` on
    every attempt. ``now`` (aware) timestamps the signature. ``smtp_send`` is required for
    ``email`` targets; ``mail_from`` sets the From header when given. ``timeout`` is in
    seconds. Returns the :class:`DeliveryResult`; the outbox decides about retries.
    """
    if target.type == "webhook":
        assert target.url and target.secret
        body = _json_body(payload)
        headers = standard_webhook_headers(target.secret, message_id, int(now.timestamp()), body)
        return post(target.url, body=body, headers={**_JSON, **headers}, timeout=timeout)
    if target.type == "slack":
        assert target.url
        return post(
            target.url,
            body=_json_body(slack_message(payload, locale)),
            headers=_JSON,
            timeout=timeout,
        )
    if target.type == "zendesk":
        assert target.url and target.email and target.api_token
        subject, text = _plain_text(payload, locale)
        ticket: dict[str, Any] = {
            "subject": subject,
            "comment": {"body": text, "public": False},
            "priority": "normal",
            "tags": _tags(payload),
        }
        customer = payload["customer"]
        if customer.get("email"):
            ticket["requester"] = {"name": customer["name"], "email": customer["email"]}
        return post(
            target.url,
            body=_json_body({"ticket": ticket}),
            headers={**_JSON, "Idempotency-Key": message_id},
            auth=(f"{target.email}/token", target.api_token),
            timeout=timeout,
        )
    if target.type == "freshdesk":
        assert target.url and target.api_key
        customer = payload["customer"]
        subject, _text = _plain_text(payload, locale)
        document: dict[str, Any] = {
            "subject": subject,
            "description": _html(payload, locale),
            "status": 2,  # Open
            "priority": 2,  # Medium
            "tags": _tags(payload),
        }
        # Freshdesk needs one requester field: the e-mail, else the phone (with a name).
        if customer.get("email"):
            document["email"] = customer["email"]
        elif customer.get("phone"):
            document.update(phone=customer["phone"], name=customer["name"])
        else:
            return DeliveryResult.failed("freshdesk needs the customer's e-mail or phone")
        return post(
            target.url,
            body=_json_body(document),
            headers=_JSON,
            auth=(target.api_key, "X"),
            timeout=timeout,
        )
    if target.type == "email":
        assert target.to
        if smtp_send is None:
            return DeliveryResult.failed("an e-mail reminder hook needs the outbox's smtp_send")
        subject, text = _plain_text(payload, locale)
        message = EmailMessage()
        message["Subject"] = subject
        message["To"] = target.to
        if mail_from:
            message["From"] = mail_from
        message["Message-ID"] = f"<{message_id}@kassa.invalid>"  # the same on every retry
        message.set_content(text)
        return _smtp_result(smtp_send, message)
    raise ValueError(f"unknown hook type {target.type!r}")


def _smtp_result(
    smtp_send: Callable[[EmailMessage], object], message: EmailMessage
) -> DeliveryResult:
    try:
        smtp_send(message)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _reply in exc.recipients.values()]
        return DeliveryResult(
            ok=False,
            retry=any(code < 500 for code in codes),
            disable=False,
            status=None,
            error=f"SMTP refused the team inbox ({codes})",
            retry_after=None,
        )
    except smtplib.SMTPResponseException as exc:
        return DeliveryResult(
            ok=False,
            retry=exc.smtp_code < 500,
            disable=False,
            status=None,
            error=f"SMTP {exc.smtp_code}",
            retry_after=None,
        )
    except (smtplib.SMTPException, OSError) as exc:
        return DeliveryResult.failed(f"SMTP failed ({type(exc).__name__})", retry=True)
    return DeliveryResult(
        ok=True, retry=False, disable=False, status=None, error=None, retry_after=None
    )
