"""Reminder hooks: hand an overdue invoice to the merchant's own team, with what to do about it.

Right after the due date, before any formal letter, Kassa asks the merchant's team to get in
touch the way the customer is most likely to welcome. What to say is
:mod:`kassa.services.overdue`'s business (segment, recommended channel and tone, the
``invoice.overdue`` payload); :func:`send_hook` delivers that payload to each configured
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
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from email.message import EmailMessage
from html import escape
from typing import Any

from ..config import HookTarget
from ..i18n import country_word, format_day, format_money, translator
from ..services.overdue import CHANNEL_LABELS, SEGMENT_LABELS, TONE_LABELS
from .http import DEFAULT_TIMEOUT, DeliveryResult, post

__all__ = [
    "HookTarget",
    "send_hook",
    "slack_message",
    "standard_webhook_headers",
    "verify_standard_webhook",
]


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


# -- staff-facing text -----------------------------------------------------------------------

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

    _ = translator(locale)
    # Labels are marked with N_ where they are defined; a variable argument keeps babel from
    # extracting the dictionary keys here.
    translate = _
    segment = translate(SEGMENT_LABELS[payload["segment"]])
    channel = translate(CHANNEL_LABELS[recommended["channel"]])
    tone = translate(TONE_LABELS[recommended["tone"]])
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
            (country_word(_, customer.get("country") or "", "reference"),
             invoice.get("reference")),
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
        label = translator(locale)("Call script")
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
