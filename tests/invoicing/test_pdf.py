"""The invoice PDF: what a shopper needs to pay, in their language, readable by machines."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pypdf
import pytest
from flask import Flask
from PIL import Image, ImageChops
from segno import helpers

from kassa import get_state
from kassa.core.barcode import parse_fi_virtual_barcode
from kassa.db import Invoice
from kassa.errors import ConfigurationError
from kassa.i18n import format_money
from kassa.invoicing.pdf import invoice_pdf
from tests.factories import make_invoice

from .support import add_lines, pdf_text

ISSUED = date(2026, 3, 2)


def render(app: Flask, invoice_id: int, locale: str) -> bytes:
    state = get_state(app)
    with state.db.session() as session:
        return invoice_pdf(session.get(Invoice, invoice_id), state.config, locale)


def money(minor: int, currency: str, locale: str) -> str:
    return format_money(minor, currency, locale).replace("\u00a0", " ")


def test_finnish_pdf_has_reference_iban_amount_and_barcode(app: Flask) -> None:
    invoice_id = make_invoice(app, country="FI", sequence=1234567, issued=ISSUED)
    add_lines(app, invoice_id)
    data = render(app, invoice_id, "fi")
    assert data.startswith(b"%PDF")
    text = pdf_text(data)
    assert "123 45672" in text  # the Finnish reference, printed in groups of five
    assert "FI37 1590 3000 0007 76" in text and "NDEAFIHH" in text
    assert "129,90 €" == money(12990, "EUR", "fi") and "129,90 €" in text
    assert "16.3.2026" in text  # due date as Finns write it
    assert "Maija Meikäläinen" in text  # Unicode font: Nordic letters survive
    assert "Villasukat, käsinneulotut" in text
    barcode = next(word for word in text.split() if len(word) == 54 and word.isdigit())
    fields = parse_fi_virtual_barcode(barcode)
    assert (fields.amount_cents, fields.reference, fields.due_date) == (
        12990, "12345672", date(2026, 3, 16))


def test_pdf_lists_vat_per_rate(app: Flask) -> None:
    invoice_id = make_invoice(app, country="FI", sequence=1001, issued=ISSUED)
    add_lines(app, invoice_id)
    text = pdf_text(render(app, invoice_id, "fi"))
    assert "25,5 %" in text and "10 %" in text
    # 25.5 %: 49,90 incl. VAT of which 10,14 VAT; 10 %: 80,00 of which 7,27
    assert "39,76 € 10,14 € 49,90 €" in text
    assert "72,73 € 7,27 € 80,00 €" in text
    assert "Villasukat, käsinneulotut 2 24,95 € 25,5 % 49,90 €" in text


def test_swedish_pdf_uses_swedish_formats_and_has_no_euro_qr_code(app: Flask) -> None:
    invoice_id = make_invoice(app, country="SE", sequence=2002, amount=12990, issued=ISSUED)
    data = render(app, invoice_id, "sv")
    text = pdf_text(data)
    assert money(12990, "SEK", "sv") == "129,90 kr" and "129,90 kr" in text
    assert "2026-03-16" in text  # documents print dates as Swedes write them on paper
    assert "SE45 5000 0000 0583 9825 7466" in text and "ESSESESS" in text
    invoice_reference = "200261"  # OCR with length and check digit of sequence 2002
    assert invoice_reference in text
    assert len(pypdf.PdfReader(io.BytesIO(data)).pages[0].images) == 0  # EPC QR: euros only
    assert not any(len(word) == 54 and word.isdigit() for word in text.split())


def test_euro_pdf_carries_the_epc_qr_code_of_the_balance(app: Flask) -> None:
    invoice_id = make_invoice(app, country="FI", sequence=1234567, issued=ISSUED)
    data = render(app, invoice_id, "fi")
    images = pypdf.PdfReader(io.BytesIO(data)).pages[0].images
    assert len(images) == 1

    def expected(amount: str) -> Image.Image:
        code = helpers.make_epc_qr(name="Kassa demo shop", iban="FI3715903000000776",
                                   amount=Decimal(amount), reference="12345672",
                                   bic="NDEAFIHH")
        out = io.BytesIO()
        code.save(out, kind="png", scale=8, border=4)
        return Image.open(io.BytesIO(out.getvalue())).convert("L")

    printed = images[0].image.convert("L")
    assert ImageChops.difference(printed, expected("129.90")).getbbox() is None
    assert ImageChops.difference(printed, expected("129.91")).getbbox() is not None


def test_pdf_asks_for_the_balance_after_fees_and_payments(app: Flask) -> None:
    invoice_id = make_invoice(app, country="FI", sequence=1001, issued=ISSUED)
    with get_state(app).db.session() as session:
        invoice = session.get(Invoice, invoice_id)
        assert invoice is not None
        invoice.fees_minor, invoice.paid_minor = 500, 2990
    text = pdf_text(render(app, invoice_id, "fi"))
    assert "5,00 €" in text and "-29,90 €" in text
    assert "105,00 €" in text  # 129,90 + 5,00 - 29,90


def test_instalment_pdf_shows_its_number_and_the_plan(app: Flask) -> None:
    invoice_id = make_invoice(app, country="FI", sequence=1001, amount=4433, issued=ISSUED)
    with get_state(app).db.session() as session:
        invoice = session.get(Invoice, invoice_id)
        assert invoice is not None
        invoice.instalment_number = 2
        invoice.agreement.method = "installments"
        invoice.agreement.terms = {"offer": {"schedule": [
            {"number": 1, "due_date": "2026-04-01", "amount": 4434},
            {"number": 2, "due_date": "2026-05-01", "amount": 4433},
            {"number": 3, "due_date": "2026-06-01", "amount": 4433},
        ]}}
    text = pdf_text(render(app, invoice_id, "fi"))
    assert "2/3" in text  # the instalment's number, as the Finnish text writes it
    assert "1.4.2026" in text and "1.5.2026" in text and "1.6.2026" in text
    assert "44,34 €" in text
    assert "2 (tämä lasku)" in text


def test_labels_come_from_the_locale_asked_for(app: Flask) -> None:
    invoice_id = make_invoice(app, country="FI", sequence=1001, issued=ISSUED)
    finnish = pdf_text(render(app, invoice_id, "fi"))
    english = pdf_text(render(app, invoice_id, "en"))
    assert "Eräpäivä" in finnish and "Viitenumero" in finnish
    assert "Eräpäivä" not in english and "Due date" in english


def test_same_invoice_gives_the_same_bytes(app: Flask) -> None:
    invoice_id = make_invoice(app, country="FI", sequence=1001, issued=ISSUED)
    state = get_state(app)
    created = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    with state.db.session() as session:
        invoice = session.get(Invoice, invoice_id)
        first = invoice_pdf(invoice, state.config, "fi", created_at=created)
        second = invoice_pdf(invoice, state.config, "fi", created_at=created)
        swedish = invoice_pdf(invoice, state.config, "sv", created_at=created)
    assert first == second and first != swedish


def test_every_invoice_names_the_seller_and_customer_service(make_app, db_url: str) -> None:  # type: ignore[no-untyped-def]
    app = make_app(db_url, KASSA_MERCHANT_BUSINESS_ID="556036-0793",
                   KASSA_MERCHANT_VAT_NUMBER="SE556036079301",
                   KASSA_SUPPORT_EMAIL="kundtjanst@shop.test", KASSA_SUPPORT_PHONE="08-123 45 67",
                   KASSA_BANKGIRO="5050-1055")
    swedish = pdf_text(render(app, make_invoice(app, country="SE", sequence=2002,
                                                issued=ISSUED), "sv"))
    assert "556036-0793" in swedish and "SE556036079301" in swedish
    assert "kundtjanst@shop.test" in swedish and "08-123 45 67" in swedish
    assert "Bankgiro 5050-1055" in swedish
    norwegian = pdf_text(render(app, make_invoice(app, country="NO", sequence=3002,
                                                  issued=ISSUED), "nb"))
    assert "Kontonummer 8601.11.17947" in norwegian  # the account the KID is paid to
    assert "Bankgiro" not in norwegian
    assert "02.03.2026" in norwegian  # issue date as Norwegians write it


def test_a_bankgiro_number_that_fails_its_check_stops_start_up(make_app, db_url: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigurationError, match="KASSA_BANKGIRO"):
        make_app(db_url, KASSA_BANKGIRO="5050-1056")
