"""Hand invoices over to the services that deliver them on paper or to an e-invoice or mailbox.

A letter is printed and posted by a print service (``KASSA_PRINT_SERVICE_URL``), an e-invoice
goes to the merchant's e-invoice operator (``KASSA_EINVOICE_OPERATOR_URL``) and a digital
mailbox message to its operator (``KASSA_DIGITAL_MAILBOX_URL``). Each gets the same JSON
document, described for the services' developers in ``docs/handover.md``: the invoice's key
data, the recipient as the channel needs it, and the invoice PDF in base64.

Requests carry ``Authorization: Bearer {KASSA_HANDOVER_TOKEN}`` and ``Idempotency-Key`` (the
outbox message id, the same on every retry), so a service must print or forward a document
once however often it receives it.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from datetime import date
from typing import Any

from kassa.core.errors import KassaError
from kassa.core.money import Money

from .http import DEFAULT_TIMEOUT, DeliveryResult, id_from_json, post

__all__ = [
    "HANDOVER_CHANNELS",
    "HandoverError",
    "hand_over",
    "handover_payload",
    "handover_settings",
]

#: Channel -> the setting of the service that takes it.
HANDOVER_CHANNELS: Mapping[str, str] = {
    "letter": "KASSA_PRINT_SERVICE_URL",
    "einvoice": "KASSA_EINVOICE_OPERATOR_URL",
    "digital_mailbox": "KASSA_DIGITAL_MAILBOX_URL",
}
_POSTAL = ("name", "street", "postal_code", "city", "country")
#: Recipient keys each channel requires, and the optional ones it passes on.
_RECIPIENT_KEYS: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "letter": (_POSTAL, ()),
    "einvoice": (("name", "einvoice_address", "einvoice_operator"), _POSTAL[1:]),
    # Operators match the postal address (and print when there is no mailbox); some, such as
    # Kivra or Digipost, match the national identity number instead: pass it only for those.
    "digital_mailbox": (_POSTAL, ("personal_id",)),
}


class HandoverError(KassaError, ValueError):
    """Invoice data that cannot be handed over (a missing address, not a PDF, ...)."""

    code = "handover.invalid"


def handover_settings(config: Any, channel: str) -> tuple[str | None, str | None]:
    """``(url, token)`` for ``channel`` from a :class:`~kassa.config.KassaConfig`."""
    attribute = HANDOVER_CHANNELS[channel].removeprefix("KASSA_").lower()
    return getattr(config, attribute), config.handover_token


def _text(data: Mapping[str, Any], key: str, where: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise HandoverError(f"{where}.{key} is required for this channel", key=key)
    return value.strip()


def handover_payload(invoice_data: Mapping[str, Any], pdf: bytes, channel: str, *,
                     filename: str | None = None) -> dict[str, Any]:
    """The hand-over document (see ``docs/handover.md``) for one invoice.

    ``invoice_data`` has ``number``, ``reference`` (as printed), ``amount_minor`` (integer
    minor units), ``currency``, ``due_date`` (date or ISO text), optional ``issue_date``, and
    ``recipient``: ``name``, ``street``, ``postal_code``, ``city``, ``country`` for letters
    and digital mailboxes (optional ``personal_id`` for mailboxes that need it);
    ``name``, ``einvoice_address`` and ``einvoice_operator`` for e-invoices.

    ``filename`` names the PDF (default ``invoice-<number>.pdf``).

    :raises HandoverError: for an unknown channel, a missing field or bytes that are not a PDF.
    """
    if channel not in HANDOVER_CHANNELS:
        raise HandoverError(
            f"unknown hand-over channel {channel!r}; choose from {', '.join(HANDOVER_CHANNELS)}",
            channel=channel,
        )
    if not pdf.startswith(b"%PDF-"):
        raise HandoverError("the invoice document is not a PDF")
    amount = invoice_data.get("amount_minor")
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise HandoverError("invoice.amount_minor must be a whole number of minor units")
    currency = _text(invoice_data, "currency", "invoice")
    invoice: dict[str, Any] = {
        "number": _text(invoice_data, "number", "invoice"),
        "reference": _text(invoice_data, "reference", "invoice"),
        "amount": str(Money(amount, currency).to_decimal()),
        "amount_minor": amount,
        "currency": currency,
    }
    for key in ("due_date", "issue_date"):
        value = invoice_data.get(key)
        if value is None and key == "issue_date":
            continue
        try:
            invoice[key] = (
                value if isinstance(value, date) else date.fromisoformat(str(value))
            ).isoformat()
        except ValueError:
            raise HandoverError(f"invoice.{key} must be a date", key=key) from None
    source = invoice_data.get("recipient")
    if not isinstance(source, Mapping):
        raise HandoverError("invoice.recipient is required", key="recipient")
    required, optional = _RECIPIENT_KEYS[channel]
    recipient = {key: _text(source, key, "recipient") for key in required}
    recipient.update({key: str(source[key]).strip() for key in optional if source.get(key)})
    if "country" in recipient:
        recipient["country"] = recipient["country"].upper()
    invoice["recipient"] = recipient
    return {
        "channel": channel,
        "invoice": invoice,
        "pdf_filename": filename or f"invoice-{invoice['number']}.pdf",
        "pdf_sha256": hashlib.sha256(pdf).hexdigest(),
        "pdf_base64": base64.b64encode(pdf).decode("ascii"),
    }


def hand_over(
    url: str | None,
    token: str | None,
    payload: Mapping[str, Any],
    message_id: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
) -> DeliveryResult:
    """POST ``payload`` (from :func:`handover_payload`) to the channel's service once.

    ``message_id`` (the outbox message id) is sent as ``Idempotency-Key``; ``timeout`` is in
    seconds. Without a URL or token the result names the missing setting (not retried). A
    service's ``{"id": ...}`` answer becomes :attr:`DeliveryResult.external_id`.
    """
    if not url:
        setting = HANDOVER_CHANNELS.get(str(payload.get("channel")), "the hand-over URL")
        return DeliveryResult.failed(f"{setting} is not set: no service takes this channel")
    if not token:
        return DeliveryResult.failed("KASSA_HANDOVER_TOKEN is not set")
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return post(
        url,
        body=body,
        timeout=timeout,
        external_id=id_from_json,
        headers={
            "Content-Type": "application/json",
            "Authorization": f"Bearer {token}",
            "Idempotency-Key": message_id,
        },
    )
