"""The demo shop's mailbox: a loopback SMTP server whose messages can be read in the browser."""

from __future__ import annotations

import os
import smtplib
from collections.abc import Iterator
from email.message import EmailMessage

import pytest
from flask import Flask

import demo_shop
from demo_shop.mailbox import Mailbox, linkify, register_mailbox, start_mailbox
from demo_shop.text import shop_text


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    box = start_mailbox()
    yield box
    box.stop()


def shop_app(mailbox: Mailbox) -> Flask:
    """A bare app with the demo's templates and the routes its layout links to."""
    app = Flask("mailbox_test", template_folder=os.path.join(
        os.path.dirname(demo_shop.__file__), "templates"))
    app.secret_key = "test"
    app.add_url_rule("/", "home", lambda: "home")
    app.add_url_rule("/cart", "cart", lambda: "cart")
    app.add_url_rule("/static/<path:filename>", "kassa_assets.static", lambda filename: "")
    register_mailbox(app, mailbox)
    return app


def send(mailbox: Mailbox, subject: str = "Lasku 2026-001001 – Kauppa") -> None:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = (
        "shop@example.test", "maija@example.test", subject)
    message.set_content("Hei!\n\nAvaa lasku: https://shop.example/kassa/account/invoice/abc.\n")
    message.add_attachment(b"%PDF-1.7 test", maintype="application", subtype="pdf",
                           filename="invoice-2026-001001.pdf")
    with smtplib.SMTP("127.0.0.1", mailbox.port, timeout=5) as smtp:
        smtp.send_message(message)


def test_mailbox_keeps_what_it_receives(mailbox: Mailbox) -> None:
    assert mailbox.port > 0 and mailbox.messages() == []
    send(mailbox)
    [received] = mailbox.messages()
    assert received.number == 1 and received.recipients == ("maija@example.test",)
    assert received.subject == "Lasku 2026-001001 – Kauppa"
    assert "https://shop.example/kassa/account/invoice/abc" in received.text
    [attachment] = received.attachments
    assert (attachment.filename, attachment.content_type, attachment.data) == (
        "invoice-2026-001001.pdf", "application/pdf", b"%PDF-1.7 test")


def test_mailbox_pages_list_show_and_download(mailbox: Mailbox) -> None:
    send(mailbox)
    client = shop_app(mailbox).test_client()
    listing = client.get("/mailbox").get_data(as_text=True)
    assert "maija@example.test" in listing and "Lasku 2026-001001 – Kauppa" in listing
    shown = client.get("/mailbox/1").get_data(as_text=True)
    assert ('<a href="https://shop.example/kassa/account/invoice/abc">'
            "https://shop.example/kassa/account/invoice/abc</a>.") in shown
    assert "/mailbox/1/attachment/1" in shown
    download = client.get("/mailbox/1/attachment/1")
    assert download.mimetype == "application/pdf" and download.data == b"%PDF-1.7 test"
    assert client.get("/mailbox/2").status_code == 404
    assert client.get("/mailbox/1/attachment/2").status_code == 404


def test_linkify_escapes_everything_else() -> None:
    html = str(linkify("<b>x</b> https://a.example/?q=1&r=2"))
    assert html == ('&lt;b&gt;x&lt;/b&gt; <a href="https://a.example/?q=1&amp;r=2">'
                    "https://a.example/?q=1&amp;r=2</a>")


def test_mailbox_listens_on_loopback_only() -> None:
    with pytest.raises(ValueError, match="loopback"):
        start_mailbox(host="0.0.0.0")


def test_mailbox_speaks_the_shops_language(mailbox: Mailbox) -> None:
    send(mailbox)
    client = shop_app(mailbox).test_client()
    with client.session_transaction() as session:
        session["country"] = "SE"
    listing = client.get("/mailbox").get_data(as_text=True)
    assert "Demobrevlåda" in listing and ">Ämne<" in listing and ">Subject<" not in listing
    shown = client.get("/mailbox/1").get_data(as_text=True)
    assert "<dt>Från</dt>" in shown and "<h2>Bilagor</h2>" in shown


def test_the_demo_speaks_from_its_own_catalog() -> None:
    # The demo's `demo` domain, apart from Kassa's (tests/test_i18n.py checks it is complete).
    from demo_shop.catalog import PRODUCTS

    assert [shop_text(locale)("Cart") for locale in ("fi", "sv", "nb", "en")] == [
        "Ostoskori", "Varukorg", "Handlekurv", "Cart"]
    names = {locale: [shop_text(locale)(p.name) for p in PRODUCTS] for locale in ("fi", "en")}
    assert "Villahuopa, 130 × 180 cm" in names["fi"]
    assert "Wool blanket, 130 × 180 cm" in names["en"]
