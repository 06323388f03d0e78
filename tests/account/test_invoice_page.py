"""The shopper's invoice page, opened through the signed link from the e-mail."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, date, datetime

import pypdf
import pytest
from flask import Blueprint, Flask, url_for
from flask.testing import FlaskClient

from kassa import get_state
from kassa.db import InvoiceEvent
from kassa.services.links import invoice_token
from tests.factories import make_invoice

ISSUED = date(2026, 3, 2)


#: One moment for every link a test makes, so that the same invoice has the same link.
MADE = datetime.now(UTC)


def page_url(invoice_id: int, suffix: str = "") -> str:
    return f"/kassa/account/invoice/{invoice_token(invoice_id, MADE)}{suffix}"


def add_event(app: Flask, invoice_id: int, kind: str, **data: object) -> None:
    with get_state(app).db.session() as session:
        session.add(InvoiceEvent(invoice_id=invoice_id, kind=kind, data=data))


def test_finnish_page_shows_how_to_pay(app: Flask, client: FlaskClient) -> None:
    invoice_id = make_invoice(app, country="FI", sequence=1234567, issued=ISSUED)
    add_event(app, invoice_id, "sent", channel="email", outbox_id=1)
    response = client.get(page_url(invoice_id))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<html lang="fi">' in html  # the customer's language, whatever the browser says
    assert f'data-invoice="{_number(app, invoice_id)}"' in html
    assert "123 45672" in html and "FI37 1590 3000 0007 76" in html and "NDEAFIHH" in html
    assert "129,90\u00a0€" in html
    assert "437159030000007760001299000000000000000012345672260316" in html  # bar code
    assert page_url(invoice_id, "/qr.svg") in html
    assert page_url(invoice_id, "/pdf") in html
    assert 'data-event="sent"' in html and 'data-event="issued"' in html
    assert "Pay now" not in html  # no Stripe configured
    assert response.headers["Cache-Control"] == "private, no-store"


def _number(app: Flask, invoice_id: int) -> str:
    from kassa.db import Invoice

    with get_state(app).db.session() as session:
        invoice = session.get(Invoice, invoice_id)
        assert invoice is not None
        return invoice.number


def test_lang_parameter_wins_over_the_customer_language(app: Flask,
                                                        client: FlaskClient) -> None:
    invoice_id = make_invoice(app, country="FI", sequence=1234567, issued=ISSUED)
    html = client.get(page_url(invoice_id) + "?lang=sv").get_data(as_text=True)
    assert '<html lang="sv">' in html
    assert "16 mars 2026" in html  # Swedish date format


def test_swedish_invoice_has_no_qr_code_or_bar_code(app: Flask, client: FlaskClient) -> None:
    invoice_id = make_invoice(app, country="SE", sequence=2002, issued=ISSUED)
    html = client.get(page_url(invoice_id)).get_data(as_text=True)
    assert '<html lang="sv">' in html and "129,90\u00a0kr" in html and "200261" in html
    assert "/qr.svg" not in html
    assert client.get(page_url(invoice_id, "/qr.svg")).status_code == 404


def test_tampered_or_unknown_token_gets_a_kind_404(app: Flask, client: FlaskClient) -> None:
    invoice_id = make_invoice(app)
    token = invoice_token(invoice_id)
    for bad in (token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
                invoice_token(invoice_id + 1000), "nonsense"):
        response = client.get(f"/kassa/account/invoice/{bad}")
        assert response.status_code == 404
        assert "We could not find this invoice" in response.get_data(as_text=True)
        assert client.get(f"/kassa/account/invoice/{bad}/pdf").status_code == 404


def test_pdf_download(app: Flask, client: FlaskClient) -> None:
    invoice_id = make_invoice(app, country="FI", sequence=1234567, issued=ISSUED)
    response = client.get(page_url(invoice_id, "/pdf"))
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    number = _number(app, invoice_id)
    assert response.headers["Content-Disposition"] == (  # named in the page's language
        f'attachment; filename="lasku-{number}.pdf"')
    swedish = client.get(page_url(invoice_id, "/pdf") + "?lang=sv")
    assert swedish.headers["Content-Disposition"] == f'attachment; filename="faktura-{number}.pdf"'
    text = pypdf.PdfReader(io.BytesIO(response.data)).pages[0].extract_text()
    assert "123 45672" in text and "16.3.2026" in text


def test_qr_code_is_svg(app: Flask, client: FlaskClient) -> None:
    invoice_id = make_invoice(app, country="FI", sequence=1234567, issued=ISSUED)
    response = client.get(page_url(invoice_id, "/qr.svg"))
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert response.get_data(as_text=True).lstrip().startswith("<svg")


def test_paid_invoice_thanks_and_hides_payment_details(app: Flask,
                                                       client: FlaskClient) -> None:
    invoice_id = make_invoice(app, country="FI", sequence=1234567, issued=ISSUED)
    with get_state(app).db.session() as session:
        from kassa.db import Invoice

        invoice = session.get(Invoice, invoice_id)
        assert invoice is not None
        invoice.paid_minor, invoice.status = invoice.amount_minor, "paid"
        session.add(InvoiceEvent(invoice_id=invoice_id, kind="paid", data={}))
    html = client.get(page_url(invoice_id) + "?lang=en").get_data(as_text=True)
    assert "This invoice is paid. Thank you!" in html
    assert "FI37 1590 3000 0007 76" not in html and "/qr.svg" not in html
    assert "Paid in full. Thank you!" in html


def test_pay_now_link_needs_stripe_and_the_payments_page(
        make_app: Callable[..., Flask], db_url: str) -> None:
    app = make_app(db_url, KASSA_STRIPE_SECRET_KEY="sk_test_kassa")
    if "kassa_payments.pay" not in app.view_functions:  # until the payments blueprint exists
        payments = Blueprint("kassa_payments", __name__)
        payments.add_url_rule("/pay/<token>", "pay", lambda token: "pay")
        app.register_blueprint(payments, url_prefix="/kassa/payments")
    invoice_id = make_invoice(app)
    with app.test_request_context():
        url = page_url(invoice_id)
        pay = url_for("kassa_payments.pay", token=url.rsplit("/", 1)[1])  # the page's token
    html = app.test_client().get(url + "?lang=en").get_data(as_text=True)
    assert "Pay now" in html and f'href="{pay}"' in html


def test_call_script_is_there_for_the_team_in_their_language(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app(None, KASSA_DEFAULT_LOCALE="fi")
    client = app.test_client()
    page = client.get("/kassa/account/call-script/fi")
    assert page.status_code == 200
    assert 'lang="fi"' in page.text
    assert 'data-segment="often_late"' in page.text
    assert client.get("/kassa/account/call-script/fi?lang=sv").text.count('lang="sv"') >= 1
    assert client.get("/kassa/account/call-script/dk").status_code == 404


def _trail(html: str) -> list[tuple[str, str]]:
    """The trail as the shopper reads it: (event kind, text) of each line."""
    import re

    return [(kind, " ".join(text.split())) for kind, text in re.findall(
        r'<li data-event="([^"]+)"><span class="kassa-trail-day">[^<]*</span>([^<]*)</li>', html)]


def test_the_trail_shows_the_shopper_only_what_happened_to_them(app: Flask,
                                                                client: FlaskClient) -> None:
    invoice_id = make_invoice(app, country="FI", sequence=1234567, issued=ISSUED)
    add_event(app, invoice_id, "sent", channel="email", outbox_id=1)
    # The team's hook and the collection partner are "sent" messages too, but not to the
    # shopper; the hand-over to the team and link bookkeeping are the staff's business.
    add_event(app, invoice_id, "sent", channel="hook", message="overdue", outbox_id=2)
    add_event(app, invoice_id, "handed_to_team", task=7, segment="first_time")
    add_event(app, invoice_id, "resend_queued", channel="hook", outbox_id=3)
    add_event(app, invoice_id, "delivery_failed", channel="collection", outbox_id=4)
    add_event(app, invoice_id, "link_requested", channel="email")
    add_event(app, invoice_id, "links_revoked")
    add_event(app, invoice_id, "friendly_contact", channel="sms")
    html = client.get(page_url(invoice_id) + "?lang=en").get_data(as_text=True)
    assert _trail(html) == [
        ("issued", "Invoice issued"),
        ("sent", "Sent to you by e-mail"),
        ("friendly_contact", "A friendly reminder sent to you, with no fee"),
    ]
    assert "handed_to_team" not in html and "links_revoked" not in html


@pytest.mark.parametrize(
    ("country", "lang", "label", "sentence", "absent"),
    [
        # A Finland-Swedish reader of a Finnish invoice: referensnummer, never OCR.
        ("FI", "sv", "Referensnummer", "Ange alltid referensnumret när du betalar", "OCR"),
        ("SE", "sv", "OCR-nummer", "Ange alltid OCR-numret när du betalar", "referensnumret"),
        ("NO", "fi", "KID-viite", "Käytä maksaessasi aina KID-viitettä", "viitenumeroa"),
        ("FI", "en", "Reference number", "Please always use the reference number", "OCR"),
        ("SE", "nb", "OCR-nummer", "Bruk alltid OCR-nummeret", "KID"),
    ],
)
def test_the_reference_is_named_as_the_invoice_country_names_it(
        app: Flask, client: FlaskClient, country: str, lang: str, label: str, sentence: str,
        absent: str) -> None:
    invoice_id = make_invoice(app, country=country, sequence=2002, issued=ISSUED)
    html = client.get(page_url(invoice_id) + f"?lang={lang}").get_data(as_text=True)
    assert f"<dt>{label}</dt>" in html
    assert sentence in html
    assert absent not in html
