"""The invoice e-mail itself, and sending through SMTP."""

from __future__ import annotations

import smtplib
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from flask import Flask

from kassa import get_state
from kassa.db import Invoice
from kassa.i18n import catalog
from kassa.notify.email import build_invoice_email, send_email
from tests.factories import make_invoice

from .conftest import SmtpServer, free_port

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def build(app: Flask, invoice_id: int, locale: str, **kwargs: object):  # type: ignore[no-untyped-def]
    state = get_state(app)
    with state.db.session() as session:
        invoice = session.get(Invoice, invoice_id)
        return build_invoice_email(invoice, state.config, locale, "https://shop.example/",
                                   now=NOW, **kwargs)  # type: ignore[arg-type]


def test_message_has_text_html_and_the_pdf(app: Flask) -> None:
    invoice_id = make_invoice(app, country="FI", sequence=1234567, issued=date(2026, 3, 2))
    message = build(app, invoice_id, "fi")
    assert message["To"] == "shopper@example.test"
    assert message["From"] == "Kassa demo shop <laskut@shop.test>"
    assert message["Content-Language"] == "fi"
    assert message["Date"] == "Mon, 02 Mar 2026 09:30:00 +0000"
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert text.startswith(catalog("fi").ugettext("Hello %(name)s,")
                           % {"name": "Maija Meikäläinen"})
    assert not text.startswith("Hello")  # written in Finnish
    assert "129,90\u00a0€" in text and "16.3.2026" in text  # Finnish formats
    assert "FI37 1590 3000 0007 76" in text and "123 45672" in text
    assert "https://shop.example/kassa/account/invoice/" in text  # no double slash
    html = message.get_body(preferencelist=("html",)).get_content()
    assert '<html lang="fi">' in html and "Maija Meikäläinen" in html
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content().startswith(b"%PDF")


def test_swedish_message_and_explicit_recipient(app: Flask) -> None:
    invoice_id = make_invoice(app, country="SE", sequence=2002, issued=date(2026, 3, 2))
    message = build(app, invoice_id, "sv", recipient="sven@example.test")
    assert message["To"] == "sven@example.test"
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "129,90\u00a0kr" in text and "16 mars 2026" in text
    assert "Virtual bar code" not in text  # Finnish invoices only


def test_html_part_escapes_what_the_shop_and_customer_wrote(app: Flask) -> None:
    invoice_id = make_invoice(app)
    with get_state(app).db.session() as session:
        invoice = session.get(Invoice, invoice_id)
        assert invoice is not None
        invoice.customer.name = "<script>alert(1)</script>"
    html = build(app, invoice_id, "en").get_body(preferencelist=("html",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_send_email_delivers_to_the_configured_server(app: Flask,
                                                      smtp_server: SmtpServer) -> None:
    message = build(app, make_invoice(app), "en")
    send_email(message, get_state(app).config)
    assert [to for _f, to, _raw in smtp_server.received] == [["shopper@example.test"]]


def test_send_email_raises_when_refused_or_unreachable(app: Flask,
                                                       smtp_server: SmtpServer) -> None:
    config = get_state(app).config
    message = build(app, make_invoice(app), "en")
    smtp_server.refuse = "550 5.1.1 No such user"
    with pytest.raises(smtplib.SMTPDataError):
        send_email(message, config)
    with pytest.raises(OSError):
        send_email(message, replace(config, smtp_port=free_port()))


@pytest.mark.parametrize(
    ("country", "sequence", "locale", "label", "sentence", "attachment"),
    [
        # A Finland-Swedish shopper: a Finnish invoice has a referensnummer, not an OCR number.
        ("FI", 1234567, "sv", "Referensnummer:", "Ange referensnumret när du betalar",
         "faktura-"),
        ("SE", 2002, "sv", "OCR-nummer:", "Ange OCR-numret när du betalar", "faktura-"),
        ("NO", 3003, "fi", "KID-viite:", "Käytä maksaessasi KID-viitettä", "lasku-"),
        ("NO", 3003, "nb", "KID-nummer:", "Bruk KID-nummeret når du betaler", "faktura-"),
    ],
)
def test_the_reference_is_named_by_the_invoice_country_in_every_language(
        app: Flask, country: str, sequence: int, locale: str, label: str, sentence: str,
        attachment: str) -> None:
    invoice_id = make_invoice(app, country=country, sequence=sequence, issued=date(2026, 3, 2))
    message = build(app, invoice_id, locale)
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert label in text and sentence in text
    assert "OCR" not in text if country != "SE" else "KID" not in text
    [pdf] = list(message.iter_attachments())
    name = pdf.get_filename()
    assert name.startswith(attachment) and name.endswith(".pdf") and name.isascii()
