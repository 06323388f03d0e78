"""Refunds through Stripe (localstripe on loopback) and credit notes from the customer view:
a supervisor's actions, never more than was paid or invoiced, every one in the trail and the
audit log."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from kassa import get_state
from kassa.core.barcode import parse_fi_virtual_barcode
from kassa.db import AuditEntry, CreditNote, Invoice, InvoiceEvent, Payment
from kassa.notify.outbox import deliver_pending
from kassa.services.links import invoice_token
from kassa.services.payments import record_payment
from tests import localstripe_server as stand_in
from tests.documents import pdf_codes, pdf_text
from tests.localstripe_server import LocalStripe
from tests.notify.conftest import SmtpServer, free_port
from tests.payments.support import paid_intent

from .conftest import Records, csrf, seed, sign_in

localstripe_server = stand_in.localstripe_server
localstripe = stand_in.localstripe

CONSOLE = "/kassa/console"


@pytest.fixture
def paid(make_app: Any, db_url: str, localstripe: LocalStripe) -> tuple[Flask, Records, str]:
    """The seeded console with its invoice (129,90 €) paid in full by card at localstripe."""
    app = make_app(db_url, **localstripe.config(KASSA_STRIPE_WEBHOOK_SECRET="whsec_test"))
    records = seed(app)
    state = get_state(app)
    with app.app_context(), state.db.session() as db:
        invoice = db.get_one(Invoice, records.invoice_id)
        intent = paid_intent(localstripe, invoice, invoice.balance_minor)
        assert intent["status"] == "succeeded"
        record_payment(db, invoice, source="stripe", external_id=intent["id"],
                       amount=invoice.balance_minor, currency=invoice.currency,
                       received_on=datetime.now(UTC).date())
        return app, records, intent["id"]


def as_role(app: Flask, role: str) -> tuple[FlaskClient, str]:
    client = app.test_client()
    sign_in(client, role)
    return client, csrf(client, CONSOLE + "/")


def said(client: FlaskClient, answer: Any) -> str:
    return client.get(answer.headers["Location"]).get_data(as_text=True)


def invoice_row(app: Flask, invoice_id: int) -> Invoice:
    with get_state(app).db.session() as db:
        invoice = db.get_one(Invoice, invoice_id)
        db.expunge(invoice)
        return invoice


def test_a_supervisor_refunds_part_of_a_card_payment_and_never_more(
        paid: tuple[Flask, Records, str], localstripe: LocalStripe) -> None:
    app, records, intent_id = paid
    number = invoice_row(app, records.invoice_id).number
    path = f"{CONSOLE}/tasks/{records.contact_task}/invoices/{number}/refund"
    with get_state(app).db.session() as db:
        payment_id = db.scalars(select(Payment.id).where(Payment.source == "stripe")).one()

    agent, agent_token = as_role(app, "agent")
    assert agent.post(path, data={"csrf_token": agent_token, "payment": payment_id,
                                  "amount": "10"}).status_code == 403

    boss, token = as_role(app, "supervisor")
    too_much = boss.post(path, data={"csrf_token": token, "payment": payment_id,
                                     "amount": "129,91"})
    assert "at most what is left of the payment: €129.90" in said(boss, too_much)
    for typed in ("-5", "abc", "1,234"):
        refused = boss.post(path, data={"csrf_token": token, "payment": payment_id,
                                        "amount": typed})
        assert "Please give the amount" in said(boss, refused)
    assert localstripe.api("GET", "/v1/refunds")["data"] == []

    boss.post(path, data={"csrf_token": token, "payment": payment_id, "amount": "50,00"})
    refunds = localstripe.api("GET", "/v1/refunds")["data"]
    assert [(r["amount"], r["payment_intent"]) for r in refunds] == [(5000, intent_id)]
    invoice = invoice_row(app, records.invoice_id)
    assert (invoice.paid_minor, invoice.status) == (7990, "partly_paid")
    with get_state(app).db.session() as db:
        event = db.scalars(select(InvoiceEvent).where(InvoiceEvent.kind == "refunded")).one()
        assert event.data["refund_id"] == refunds[0]["id"] and event.data["amount"] == 5000
        entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "payment.refund")).one()
        assert entry.after["amount"] == 5000

    # What is left of the payment is 79,90; 80 is too much, 79,90 is the rest.
    over = boss.post(path, data={"csrf_token": token, "payment": payment_id, "amount": "80"})
    assert "€79.90" in said(boss, over)
    boss.post(path, data={"csrf_token": token, "payment": payment_id, "amount": "79,90"})
    assert sum(r["amount"] for r in localstripe.api("GET", "/v1/refunds")["data"]) == 12990
    assert invoice_row(app, records.invoice_id).paid_minor == 0
    last = boss.post(path, data={"csrf_token": token, "payment": payment_id, "amount": "0,01"})
    assert "at most what is left of the payment: €0.00" in said(boss, last)


def test_a_credit_note_corrects_the_invoice_without_editing_it(
        paid: tuple[Flask, Records, str]) -> None:
    """A lamp came back broken: 30 € off. The invoice was paid in full, so the credit is a
    surplus to pay back; the invoice's own amount is never changed."""
    app, records, _intent = paid
    number = invoice_row(app, records.invoice_id).number
    path = f"{CONSOLE}/tasks/{records.contact_task}/invoices/{number}/credit"
    boss, token = as_role(app, "supervisor")
    no_reason = boss.post(path, data={"csrf_token": token, "amount": "30"})
    assert "reason for the credit note" in said(boss, no_reason)
    too_much = boss.post(path, data={"csrf_token": token, "amount": "130",
                                     "reason": "Returned"})
    assert "at most what is left of the invoice: €129.90" in said(boss, too_much)
    with get_state(app).db.session() as db:
        assert db.scalars(select(CreditNote)).first() is None

    done = boss.post(path, data={"csrf_token": token, "amount": "30",
                                 "reason": "Lampun jalka rikki"})
    year = datetime.now(UTC).year
    assert f"{year}-C000001" in said(boss, done)
    invoice = invoice_row(app, records.invoice_id)
    assert (invoice.amount_minor, invoice.balance_minor, invoice.status) == (12990, -3000,
                                                                            "paid")
    with get_state(app).db.session() as db:
        event = db.scalars(select(InvoiceEvent).where(InvoiceEvent.kind == "credited")).one()
        assert event.data["surplus"] == 3000 and event.data["number"] == f"{year}-C000001"
    # The shopper sees the credit note in the invoice's trail.
    from kassa.account.trail import shopper_trail
    with app.test_request_context("/?lang=en"), get_state(app).db.session() as db:
        texts = [entry["text"] for entry in shopper_trail(
            db.get_one(Invoice, records.invoice_id).events, "EUR")]
    assert any("Credit note" in text and "Lampun jalka rikki" in text for text in texts)
    # At most the rest of the invoice again: 99,90.
    again = boss.post(path, data={"csrf_token": token, "amount": "100", "reason": "x"})
    assert "€99.90" in said(boss, again)


@pytest.fixture
def mailed(make_app: Any, db_url: str) -> Iterator[tuple[Flask, Records, SmtpServer]]:
    """The seeded console with an open invoice (129,90 €), sending e-mail to loopback."""
    smtp = SmtpServer(port=free_port())
    smtp.start()
    try:
        app = make_app(db_url, KASSA_SMTP_PORT=smtp.port, KASSA_MAIL_FROM="laskut@shop.test")
        yield app, seed(app), smtp
    finally:
        smtp.stop()


def test_the_shopper_receives_the_credit_note_with_what_is_left_to_pay(
        mailed: tuple[Flask, Records, SmtpServer]) -> None:
    """30 € off an unpaid invoice: Maija gets a credit note of her own, in Finnish, that says
    why, and whose bar code and QR code ask for the 99,90 € left, not the 129,90 €."""
    app, records, smtp = mailed
    invoice = invoice_row(app, records.invoice_id)
    boss, token = as_role(app, "supervisor")
    boss.post(f"{CONSOLE}/tasks/{records.contact_task}/invoices/{invoice.number}/credit",
              data={"csrf_token": token, "amount": "30", "reason": "Lampun jalka rikki"})
    with app.app_context():
        deliver_pending(get_state(app), now=datetime.now(UTC), limit=20)
    mail = next(m for m in smtp.messages() if "Hyvityslasku" in m["Subject"])
    number = f"{datetime.now(UTC).year}-C000001"
    assert mail["Subject"] == f"Hyvityslasku {number} laskuun {invoice.number}"
    body = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "maksettavaa on 30,00\xa0€ vähemmän" in body and "Syy: Lampun jalka rikki" in body
    attachment = next(mail.iter_attachments())
    assert attachment.get_filename() == f"hyvityslasku-{invoice.number}.pdf"
    pdf = attachment.get_content()
    text = pdf_text(pdf)
    assert all(part in text for part in (
        "Hyvityslasku", number, "Syy: Lampun jalka rikki", "Tämä hyvityslasku -30,00 €",
        "Maksettava summa 99,90 €"))
    codes = dict(pdf_codes(pdf))
    assert parse_fi_virtual_barcode(codes["Code128"]).amount_cents == 9990
    assert "\nEUR99.9\n" in codes["QRCode"]
    # The invoice's page lists the credit note among its documents.
    with get_state(app).db.session() as db:
        event = db.scalars(select(InvoiceEvent).where(InvoiceEvent.kind == "credited")).one()
        assert event.data["document"]["credit_number"] == number
    shopper = app.test_client()
    with app.app_context():
        shopper.get(f"/kassa/account/invoice/{invoice_token(invoice.id)}/mine")
    page = shopper.get(f"/kassa/account/invoices/{invoice.number}").get_data(as_text=True)
    link = f"/kassa/account/invoices/{invoice.number}/documents/{event.id}"
    assert link in page and "Hyvityslasku" in page
    again = shopper.get(link)
    assert again.headers["Content-Disposition"] == \
        f'attachment; filename="hyvityslasku-{invoice.number}.pdf"'
    assert number in pdf_text(again.get_data())


def test_a_supervisor_books_a_payment_that_found_no_invoice(
        make_app: Any, db_url: str) -> None:
    """A shopper typed the reference wrong: the payment waits in the console until a
    supervisor books it on the invoice; a reversal and a second booking are refused."""
    from datetime import date

    app = make_app(db_url)
    records = seed(app)
    with get_state(app).db.session() as db:
        number = db.get_one(Invoice, records.invoice_id).number
        wrong = Payment(source="bank", external_id="stmt-1", currency="EUR", amount_minor=12990,
                        reference="RF00WRONG", received_on=date.today())
        reversal = Payment(source="bank", external_id="stmt-2", currency="EUR",
                           amount_minor=-500, reference=None, received_on=date.today())
        db.add_all([wrong, reversal])
        db.flush()
        wrong_id, reversal_id = wrong.id, reversal.id

    agent, agent_token = as_role(app, "agent")
    assert agent.get(f"{CONSOLE}/payments").status_code == 403
    boss, token = as_role(app, "supervisor")
    page = boss.get(f"{CONSOLE}/payments").get_data(as_text=True)
    assert f'data-payment="{wrong_id}"' in page and "RF00WRONG" in page
    assert "Payments to match (2)" in page
    unknown = boss.post(f"{CONSOLE}/payments", data={"csrf_token": token,
                                                       "payment": wrong_id,
                                                       "invoice": "NO-SUCH"})
    assert "could not find that invoice" in said(boss, unknown)
    refused = boss.post(f"{CONSOLE}/payments", data={"csrf_token": token,
                                                       "payment": reversal_id,
                                                       "invoice": number})
    assert "already on an invoice" in said(boss, refused)
    assert invoice_row(app, records.invoice_id).paid_minor == 0

    done = boss.post(f"{CONSOLE}/payments", data={"csrf_token": token, "payment": wrong_id,
                                                    "invoice": f" {number} "})
    assert f"booked on invoice {number}" in said(boss, done)
    invoice = invoice_row(app, records.invoice_id)
    assert (invoice.paid_minor, invoice.status) == (12990, "paid")
    again = boss.post(f"{CONSOLE}/payments", data={"csrf_token": token, "payment": wrong_id,
                                                     "invoice": number})
    assert "already on an invoice" in said(boss, again)
    assert invoice_row(app, records.invoice_id).paid_minor == 12990
    with get_state(app).db.session() as db:
        assert db.scalars(select(AuditEntry).where(
            AuditEntry.action == "payment.match")).one().target_id == wrong_id
        assert [e.kind for e in db.scalars(select(InvoiceEvent).where(
            InvoiceEvent.invoice_id == records.invoice_id))][-1] == "paid"
