"""A backlog in the outbox for receivers that never answer, for tests that a request sends
nothing but its own shopper's invoice e-mail.

:func:`silent_targets` points the merchant's team hook, the SMS provider and the print
service at one :class:`~tests.silent_receiver.SilentReceiver`; :func:`queue_backlog` queues
messages to each of them about an earlier invoice, due now; :func:`assert_untouched` checks
that they are still exactly as queued: pending, never tried.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Flask

from kassa import get_state
from kassa.db import OutboxMessage
from tests.factories import make_invoice
from tests.silent_receiver import SilentReceiver

#: The team hook's signing secret (Standard Webhooks: whsec_ + base64 of random bytes).
HOOK_SECRET = "whsec_" + base64.b64encode(os.urandom(32)).decode()


@dataclass(frozen=True)
class Queued:
    """A backlog message as it was queued."""

    id: int
    kind: str
    channel: str
    next_attempt_at: datetime


def silent_targets(receiver: SilentReceiver) -> dict[str, Any]:
    """Settings that send every hook, SMS and letter hand-over to ``receiver``."""
    return {
        "KASSA_REMINDER_HOOKS": [
            {"type": "webhook", "url": receiver.url("/team"), "secret": HOOK_SECRET}
        ],
        "KASSA_SMS_URL": receiver.url("/sms"),
        "KASSA_SMS_API_KEY": "k" * 20,
        "KASSA_SMS_SENDER": "NordicHome",
        "KASSA_PRINT_SERVICE_URL": receiver.url("/print"),
        "KASSA_HANDOVER_TOKEN": "t" * 24,
    }


def queue_backlog(app: Flask, hooks: int = 3) -> list[Queued]:
    """Queue, due now, messages about an earlier (Finnish) invoice to the silent targets:
    ``hooks`` overdue cases for the merchant's team, a friendly SMS and a letter hand-over."""
    invoice_id = make_invoice(app, country="FI", sequence=9001)
    rows = [
        OutboxMessage(channel="hook", kind="overdue", invoice_id=invoice_id,
                      recipient="webhook:0",
                      payload={"target": 0, "body": {"type": "invoice.overdue", "case": n}})
        for n in range(hooks)
    ]
    rows.append(OutboxMessage(channel="sms", kind="friendly_reminder", invoice_id=invoice_id,
                              recipient="+358401234567", payload={"locale": "fi"}))
    rows.append(OutboxMessage(channel="letter", kind="invoice", invoice_id=invoice_id,
                              recipient="Maija Meikäläinen", payload={"locale": "fi"}))
    state = get_state(app)
    with state.db.session() as session:
        session.add_all(rows)
        session.flush()
        ids = [row.id for row in rows]
    with state.db.session() as session:  # as the database keeps them
        return [Queued(row.id, row.kind, row.channel, row.next_attempt_at)
                for row in (session.get_one(OutboxMessage, i) for i in ids)]


def assert_untouched(app: Flask, backlog: list[Queued]) -> None:
    """Every backlog message is still pending, never tried, due as it was queued."""
    with get_state(app).db.session() as session:
        for queued in backlog:
            row = session.get(OutboxMessage, queued.id)
            assert row is not None
            assert (row.status, row.attempts, row.last_error, row.next_attempt_at) == (
                "pending", 0, None, queued.next_attempt_at
            ), f"the {queued.kind} message on {queued.channel} was touched"
