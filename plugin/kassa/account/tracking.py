"""Knowing an invoice reached the shopper: an ``opened`` event in the trail when the tracked
link from a message (``?via=email`` or ``?via=sms``) is followed or the e-mail's pixel loads.

One ``opened`` event per invoice and channel an hour is enough to tell the merchant the
invoice was seen, without filling the trail with every reload.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

from flask import Response, request
from sqlalchemy import select

from ..db.models import InvoiceEvent
from ..services.links import invoice_id_from_token
from ..signals import invoice_opened, send_after_commit
from ..state import get_state, transaction

#: A transparent 1×1 GIF.
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
TRACKED_CHANNELS = ("email", "sms", "einvoice", "digital_mailbox")
_QUIET = timedelta(hours=1)


def record_opened(invoice_id: int, via: str, now: datetime) -> bool:
    """Add an ``opened`` event unless one for ``via`` was recorded within the hour."""
    with transaction() as db:
        recent = db.scalars(select(InvoiceEvent).where(
            InvoiceEvent.invoice_id == invoice_id, InvoiceEvent.kind == "opened",
            InvoiceEvent.occurred_at >= now - _QUIET)).all()
        if any((e.data or {}).get("via") == via for e in recent):
            return False
        db.add(InvoiceEvent(invoice_id=invoice_id, kind="opened", data={"via": via},
                            occurred_at=now))
        send_after_commit(db, invoice_opened, get_state().app, invoice_id=invoice_id, via=via)
    return True


def note_tracked_link() -> None:
    """Before each account page: a link followed from a message marks the invoice opened."""
    via = request.args.get("via")
    if request.endpoint != "kassa_account.invoice_page" or via not in TRACKED_CHANNELS:
        return
    invoice_id = invoice_id_from_token((request.view_args or {}).get("token", ""))
    if invoice_id is not None:
        record_opened(invoice_id, via, datetime.now(UTC))


def opened_pixel(token: str) -> Response:
    """The e-mail's tracking pixel: always the same transparent image."""
    invoice_id = invoice_id_from_token(token)
    if invoice_id is not None:
        record_opened(invoice_id, "email", datetime.now(UTC))
    return Response(PIXEL, mimetype="image/gif")
