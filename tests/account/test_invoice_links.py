"""Invoice links expire after the invoice is paid, can be revoked, and a fresh one can be asked
for: it goes to the invoice's own e-mail address, never to one typed on the page."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
from flask import Flask

from kassa import get_state
from kassa.db import Invoice
from kassa.services.links import invoice_token
from kassa.services.payments import record_payment
from tests.factories import make_invoice
from tests.notify.conftest import SmtpServer, smtp_server  # noqa: F401  (fixture)

DAYS = 30


@pytest.fixture
def mail_app(make_app: Callable[..., Flask], db_url: str,
             smtp_server: SmtpServer) -> Flask:  # noqa: F811
    return make_app(db_url, KASSA_SMTP_PORT=smtp_server.port, KASSA_MAIL_FROM="laskut@shop.test")


def page(app: Flask, invoice_id: int, made: datetime | None = None) -> str:
    with app.app_context():
        return f"/kassa/account/invoice/{invoice_token(invoice_id, made)}"


def pay_in_full(app: Flask, invoice_id: int) -> None:
    with get_state(app).db.session() as db:
        invoice = db.get_one(Invoice, invoice_id)
        record_payment(db, invoice, source="bank", external_id=f"x-{invoice_id}",
                       amount=invoice.balance_minor, currency=invoice.currency,
                       received_on=date.today(), app=app)
        assert invoice.closed_at is not None  # paying in full closes the invoice


def closed(app: Flask, invoice_id: int, days_ago: int) -> None:
    with get_state(app).db.session() as db:
        db.get_one(Invoice, invoice_id).closed_at = datetime.now(UTC) - timedelta(days=days_ago)


def csrf_token(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]


def test_a_link_works_while_open_and_for_a_while_after_payment(
        make_app: Callable[..., Flask], db_url: str) -> None:
    app = make_app(db_url, KASSA_LINK_DAYS_AFTER_CLOSE=DAYS)
    invoice_id = make_invoice(app, country="SE")
    sent = datetime.now(UTC) - timedelta(days=200)
    link = page(app, invoice_id, sent)
    client = app.test_client()
    assert client.get(link).status_code == 200  # open: any age of link works

    pay_in_full(app, invoice_id)
    assert client.get(link).status_code == 200
    closed(app, invoice_id, days_ago=DAYS - 1)
    assert client.get(link).status_code == 200
    closed(app, invoice_id, days_ago=DAYS + 1)
    expired = client.get(link + "?lang=sv")
    assert expired.status_code == 410
    html = expired.get_data(as_text=True)
    assert "Den här länken öppnar inte längre fakturan" in html
    assert "Skicka en ny länk till mig" in html
    assert "/kassa/pay/" not in html and "SE45" not in html  # nothing of the invoice shows
    # A link sent after the payment counts from when it was sent.
    assert client.get(page(app, invoice_id)).status_code == 200


def test_revoked_links_stop_and_a_fresh_one_goes_to_the_invoices_own_address(
        mail_app: Flask, smtp_server: SmtpServer) -> None:  # noqa: F811
    app = mail_app
    invoice_id = make_invoice(app, country="FI", email="maija@example.test")
    link = page(app, invoice_id, datetime.now(UTC) - timedelta(minutes=5))
    with get_state(app).db.session() as db:
        number = db.get_one(Invoice, invoice_id).number
    result = app.test_cli_runner().invoke(args=["kassa", "revoke-links", number])
    assert result.exit_code == 0, result.output

    client = app.test_client()
    refused = client.get(link + "?lang=fi")
    assert refused.status_code == 410
    html = refused.get_data(as_text=True)
    assert "Turvallisuutesi vuoksi tämän laskun linkit on vaihdettu uusiin." in html
    for path in ("/pdf", "/qr.svg"):
        assert client.get(link + path).status_code == 410
    assert client.get(link.replace("/account/invoice/", "/pay/")).status_code == 410

    action = re.search(r'action="([^"]+/new-link[^"]*)"', html).group(1).replace("&amp;", "&")  # type: ignore[union-attr]
    sent = client.post(action, data={"csrf_token": csrf_token(html),
                                     "email": "attacker@example.test"})
    assert sent.status_code == 200
    assert "m***@example.test" in sent.get_data(as_text=True)
    [(_mail_from, recipients, _raw)] = smtp_server.received
    assert recipients == ["maija@example.test"]
    fresh = next(word for word in smtp_server.messages()[0].get_body(("plain",)).get_content()
                 .split() if "/account/invoice/" in word)
    assert client.get(fresh.removeprefix("http://localhost")).status_code == 200


def test_asking_for_a_new_link_needs_the_pages_form(mail_app: Flask,
                                                    smtp_server: SmtpServer) -> None:  # noqa: F811
    app = mail_app
    invoice_id = make_invoice(app, country="FI")
    forged = app.test_client().post(page(app, invoice_id) + "/new-link", data={})
    assert forged.status_code == 400
    assert smtp_server.received == []
