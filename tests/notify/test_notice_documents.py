"""Every formal reminder has a document of its own: time travel per country, each notice
delivered by e-mail to a local SMTP server and its PDF read back (text, bar code, QR code)."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from email.message import EmailMessage

import pytest
from flask import Flask
from sqlalchemy import select

from kassa import get_state
from kassa.core.barcode import parse_fi_virtual_barcode
from kassa.db import DunningStep, Invoice, OutboxMessage
from kassa.i18n import format_money, format_numeric_day
from kassa.notify.outbox import deliver_pending
from kassa.services.holds import place_hold
from kassa.services.reminders import run_reminders
from tests.documents import pdf_codes, pdf_text
from tests.factories import make_invoice
from tests.http_receiver import HttpReceiver
from tests.notify.conftest import SmtpServer

ISSUED = date(2026, 2, 16)  # due Mon 2.3.2026
AMOUNT = 12990
#: Late-payment interest in force in spring 2026 (reference rate + margin, nordic-rules.md).
RATE = {"FI": Decimal("9.5"), "SE": Decimal("10"), "NO": Decimal("12")}
TITLES = {"fi": ("Maksumuistutus", None), "sv": ("Betalningspåminnelse", None),
          "nb": ("Purring", "Inkassovarsel")}


@dataclass(frozen=True)
class Sent:
    """One notice as the shopper received it."""

    step: DunningStep
    mail: EmailMessage
    pdf: bytes


def walk_and_deliver(app: Flask, smtp: SmtpServer, until: date) -> list[Sent]:
    """Run the reminder run and deliver the outbox every day from the due date to ``until``;
    return each fee-bearing notice with the e-mail and PDF it went out as."""
    state = get_state(app)
    day = ISSUED + timedelta(days=14)
    while day <= until:
        with app.app_context():
            run_reminders(state, today=day)
            deliver_pending(state, now=datetime.now(UTC) + timedelta(days=(day - ISSUED).days),
                            limit=100)
        day += timedelta(days=1)
    with state.db.session() as db:
        steps = db.scalars(select(DunningStep).where(DunningStep.kind == "reminder")
                           .order_by(DunningStep.id)).all()
        db.expunge_all()
    mails = [m for m in smtp.messages() if "friendly" not in m["Subject"].lower()
             and any(p.get_content_type() == "application/pdf" for p in m.iter_attachments())]
    assert len(mails) == len(steps)
    return [Sent(step, mail, next(p.get_content() for p in mail.iter_attachments()))
            for step, mail in zip(steps, mails, strict=True)]


def expected_interest(country: str, due: date, through: date) -> int:
    days = (through - due).days
    exact = Decimal(AMOUNT) * RATE[country] / 100 * days / 365
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def shown(minor: int, currency: str, locale: str) -> str:
    return format_money(minor, currency, locale).replace("\u00a0", " ").replace("\u202f", " ")


@pytest.mark.parametrize(("country", "locale", "currency"), [
    ("FI", "fi", "EUR"), ("SE", "sv", "SEK"), ("NO", "nb", "NOK")])
def test_each_reminder_document_states_what_is_owed_and_pays_exactly_that(
        app: Flask, smtp_server: SmtpServer, country: str, locale: str, currency: str) -> None:
    make_invoice(app, country=country, issued=ISSUED, amount=AMOUNT)
    sent = walk_and_deliver(app, smtp_server, date(2026, 5, 15))
    assert sent, "no fee-bearing reminder in ten weeks"
    due = ISSUED + timedelta(days=14)
    fees = 0
    for index, notice in enumerate(sent, start=1):
        step = notice.step
        assert step.deadline is not None
        fees += step.fee_minor
        interest = expected_interest(country, due, step.taken_on)
        balance = AMOUNT + fees + interest
        text = pdf_text(notice.pdf)
        last = index == len(sent)
        title = TITLES[locale][1] if last and TITLES[locale][1] else TITLES[locale][0]
        assert title in text
        assert format_numeric_day(step.deadline, locale) in text  # the new deadline
        assert shown(balance, currency, locale) in text  # what is owed now
        assert shown(interest, currency, locale) in text  # interest to the sending day
        if step.fee_minor:
            assert shown(step.fee_minor, currency, locale) in text
        assert "1234567-1" in text and "FI12345671" in text  # the seller's identity
        codes = pdf_codes(notice.pdf)
        if country == "FI":
            bars = [value for kind, value in codes if kind == "Code128"]
            assert len(bars) == 1
            fields = parse_fi_virtual_barcode(bars[0])
            assert (fields.amount_cents, fields.due_date) == (balance, step.deadline)
            qr = [value for kind, value in codes if kind == "QRCode"]
            assert len(qr) == 1 and f"EUR{Decimal(balance) / 100:.2f}" in qr[0]
        else:
            assert codes == []  # no euro QR code, no Finnish bar code
    assert len(sent) == (2 if country in ("FI", "NO") else 1)


def test_norway_ends_with_an_inkassovarsel_of_its_own(app: Flask,
                                                      smtp_server: SmtpServer) -> None:
    make_invoice(app, country="NO", issued=ISSUED, amount=AMOUNT)
    first, last = walk_and_deliver(app, smtp_server, date(2026, 5, 15))
    purring, varsel = pdf_text(first.pdf), pdf_text(last.pdf)
    assert "Purring" in purring and "Inkassovarsel" not in purring
    assert "inkasso" not in purring.lower()
    assert "Inkassovarsel" in varsel and "Purring" not in varsel
    assert "inkasso" in varsel.lower() and "kostnader" in varsel
    assert last.step.deadline is not None
    assert (last.step.deadline - last.step.taken_on).days >= 14  # at least 14 days from sending
    assert "Inkassovarsel" in last.mail["Subject"]
    assert last.mail.get_body(("plain",)).get_content().count("inkasso") >= 1
    names = [p.get_filename() for p in last.mail.iter_attachments()]
    assert len(names) == 1 and names[0].startswith("inkassovarsel")


def test_the_reminder_mail_attaches_the_reminder_not_the_invoice(
        app: Flask, smtp_server: SmtpServer) -> None:
    make_invoice(app, country="FI", issued=ISSUED, amount=AMOUNT)
    first = walk_and_deliver(app, smtp_server, date(2026, 4, 1))[0]
    name = next(first.mail.iter_attachments()).get_filename()
    assert name.startswith("maksumuistutus")
    text = pdf_text(first.pdf)
    assert "Maksumuistutus" in text
    # The original invoice's due date is named, but the payment slip asks for the deadline.
    assert "2.3.2026" in text
    assert first.step.deadline is not None
    assert format_numeric_day(first.step.deadline, "fi") in text


def test_more_time_is_confirmed_with_a_document_for_the_new_due_date(
        app: Flask, smtp_server: SmtpServer) -> None:
    invoice_id = make_invoice(app, country="FI", issued=ISSUED, amount=AMOUNT)
    new_due = date(2026, 4, 1)
    state = get_state(app)
    with state.db.session() as db:
        place_hold(db, db.get(Invoice, invoice_id), "extended", today=date(2026, 3, 5),
                   new_due_date=new_due)
    with app.app_context():
        assert deliver_pending(state, now=datetime.now(UTC), limit=10).sent == 1
    mail = smtp_server.messages()[-1]
    assert "1.4.2026" in mail.get_body(("plain",)).get_content()
    pdf = next(mail.iter_attachments()).get_content()
    text = pdf_text(pdf)
    assert "1.4.2026" in text and shown(AMOUNT, "EUR", "fi") in text
    bars = [value for kind, value in pdf_codes(pdf) if kind == "Code128"]
    assert parse_fi_virtual_barcode(bars[0]).due_date == new_due
    with state.db.session() as db:
        message = db.scalars(select(OutboxMessage).where(
            OutboxMessage.kind == "extension")).one()
        assert message.status == "sent"


def test_a_letter_reminder_hands_over_the_reminder_document(
        make_app, db_url: str) -> None:  # type: ignore[no-untyped-def]
    with HttpReceiver() as printer:
        app = make_app(db_url, KASSA_PRINT_SERVICE_URL=printer.url("/print"),
                       KASSA_HANDOVER_TOKEN="t" * 24, KASSA_CHANNELS=["email", "letter"])
        make_invoice(app, country="FI", issued=ISSUED, amount=AMOUNT, channel="letter")
        state = get_state(app)
        day = ISSUED + timedelta(days=14)
        while day <= date(2026, 4, 10):
            with app.app_context():
                run_reminders(state, today=day)
                deliver_pending(state, now=datetime.now(UTC) + timedelta(days=60), limit=100)
            day += timedelta(days=1)
    reminders = [r.json() for r in printer.requests if r.json()["document"]["kind"] == "reminder"]
    assert reminders
    body = reminders[0]
    assert body["pdf_filename"].startswith("maksumuistutus")
    assert "Maksumuistutus" in pdf_text(base64.b64decode(body["pdf_base64"]))
    assert body["invoice"]["amount_minor"] > AMOUNT  # the notice's amount: fee and interest


def test_a_payment_plan_agreed_by_the_team_is_confirmed_with_its_schedule(
        make_app, db_url: str, smtp_server: SmtpServer) -> None:  # type: ignore[no-untyped-def]
    app = make_app(db_url, KASSA_SMTP_PORT=smtp_server.port, KASSA_API_KEYS={"test": "k" * 32})
    key = {"Authorization": "Bearer " + "k" * 32}
    invoice_id = make_invoice(app, country="SE", issued=date.today() - timedelta(days=20),
                              amount=90000)
    state = get_state(app)
    with state.db.session() as db:
        number = db.get(Invoice, invoice_id).number
    first, second, third = (date.today() + timedelta(days=n) for n in (10, 40, 70))
    url = f"/kassa/api/v1/invoices/{number}/holds"
    plan = [{"due_date": first.isoformat(), "amount": 30000},
            {"due_date": second.isoformat(), "amount": 30000},
            {"due_date": third.isoformat(), "amount": 30000}]
    client = app.test_client()

    # Instalments that do not add up to the balance change nothing and send nothing.
    short = [dict(item, amount=29999) for item in plan]
    refused = client.post(url, headers=key, json={"reason": "plan", "instalments": short})
    assert refused.status_code == 422 and refused.get_json()["code"] == "hold.plan"
    backwards = [plan[1], plan[0], plan[2]]
    assert client.post(url, headers=key, json={"reason": "plan", "instalments": backwards}
                       ).get_json()["code"] == "hold.plan"
    assert client.post(url, headers=key, json={"reason": "plan", "instalments": "soon"}
                       ).status_code == 400
    with state.db.session() as db:
        assert db.get(Invoice, invoice_id).holds == []
        assert db.scalars(select(OutboxMessage)).all() == []

    agreed = client.post(url, headers=key, json={"reason": "plan", "instalments": plan})
    assert agreed.status_code == 200, agreed.get_json()
    with app.app_context():
        assert deliver_pending(state, now=datetime.now(UTC), limit=10).sent == 1
    mail = smtp_server.messages()[-1]
    assert "avbetalningsplan" in mail["Subject"]
    attachment = next(mail.iter_attachments())
    assert attachment.get_filename().startswith("avbetalningsplan")
    text = pdf_text(attachment.get_content())
    for day in (first, second, third):
        assert format_numeric_day(day, "sv") in text
    assert shown(30000, "SEK", "sv") in text and shown(90000, "SEK", "sv") in text
    with app.app_context():  # no reminder while the plan runs
        assert run_reminders(state, today=second).total_steps == 0
