"""The "pay now" page, its return page and the stand-in confirmation, as the shopper sees
them."""

from __future__ import annotations

import socket
from collections.abc import Callable

from flask import Flask
from sqlalchemy import select

from kassa import get_state
from kassa.db import Invoice, PaymentAttempt
from kassa.services.links import invoice_token
from tests.factories import make_invoice
from tests.localstripe_server import LocalStripe
from tests.payments.support import WEBHOOK_SECRET, load_invoice

KIND = (
    "Card payment is not available right now. You can pay by bank transfer with the "
    "reference number below, or try again later."
)


def _pay_url(app: Flask, invoice_id: int, suffix: str = "") -> str:
    with app.test_request_context():
        return f"/kassa/pay/{invoice_token(invoice_id)}{suffix}"


def _attempts(app: Flask, invoice_id: int) -> list[PaymentAttempt]:
    with get_state(app).db.session() as session:
        return list(
            session.scalars(select(PaymentAttempt).where(PaymentAttempt.invoice_id == invoice_id))
        )


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_page_shows_the_amount_the_card_form_and_the_bank_details(
    stripe_app: Flask, localstripe: LocalStripe
) -> None:
    invoice_id = make_invoice(stripe_app, amount=12990)
    response = stripe_app.test_client().get(_pay_url(stripe_app, invoice_id) + "?lang=en")
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page
    invoice = load_invoice(stripe_app, invoice_id)
    (attempt,) = _attempts(stripe_app, invoice_id)
    intent = localstripe.api("GET", f"/v1/payment_intents/{attempt.intent_id}")
    assert f"Pay invoice {invoice.number}" in page
    assert "€129.90" in page and "Kassa demo shop" in page  # amount and merchant brand
    assert f'data-client-secret="{intent["client_secret"]}"' in page
    assert f'<script src="{localstripe.js_url}"></script>' in page
    assert "/kassa/static/pay.js" in page and 'data-flow="server"' in page
    assert "data-reference" in page and "Or pay by bank transfer" in page
    assert response.headers["Cache-Control"] == "private, no-store"
    # reloading the page reuses the same intent
    stripe_app.test_client().get(_pay_url(stripe_app, invoice_id))
    assert [a.intent_id for a in _attempts(stripe_app, invoice_id)] == [attempt.intent_id]


def test_unreachable_stripe_gets_the_kind_message_and_paying_later_works(
    make_app: Callable[..., Flask], db_url: str, localstripe: LocalStripe
) -> None:
    config = localstripe.config(KASSA_STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET)
    down = make_app(
        db_url, **{**config, "KASSA_STRIPE_API_BASE": f"http://127.0.0.1:{_closed_port()}"}
    )
    invoice_id = make_invoice(down, amount=12990)
    response = down.test_client().get(_pay_url(down, invoice_id) + "?lang=en")
    page = response.get_data(as_text=True)
    assert response.status_code == 503
    assert KIND in page
    invoice = load_invoice(down, invoice_id)
    assert invoice.reference[-4:] in page.replace(" ", "")  # the reference to pay with
    assert "FI37 1590 3000 0007 76" in page
    assert 'id="kassa-pay-form"' not in page
    assert _attempts(down, invoice_id) == []  # nothing half-made that would block a retry
    assert invoice.status == "open"

    # Stripe is back (the same database, an app that can reach it)
    up = make_app(db_url, upgrade=False, **config)
    response = up.test_client().get(_pay_url(up, invoice_id))
    assert response.status_code == 200 and 'id="kassa-pay-form"' in response.get_data(as_text=True)
    (attempt,) = _attempts(up, invoice_id)
    assert attempt.attempt_no == 1


def test_a_paid_invoice_says_thank_you(stripe_app: Flask, localstripe: LocalStripe) -> None:
    invoice_id = make_invoice(stripe_app, amount=12990)
    with get_state(stripe_app).db.session() as session:
        invoice = session.get_one(Invoice, invoice_id)
        invoice.paid_minor, invoice.status = 12990, "paid"
    client = stripe_app.test_client()
    for suffix in ("", "/done"):
        response = client.get(_pay_url(stripe_app, invoice_id, suffix) + "?lang=en")
        assert response.status_code == 200
        assert "This invoice is paid. Thank you!" in response.get_data(as_text=True)
    assert _attempts(stripe_app, invoice_id) == []  # no intent for a paid invoice


def test_the_done_page_says_the_payment_is_being_confirmed_until_it_is(
    stripe_app: Flask, localstripe: LocalStripe
) -> None:
    invoice_id = make_invoice(stripe_app, amount=12990)
    response = stripe_app.test_client().get(_pay_url(stripe_app, invoice_id, "/done?lang=en"))
    assert response.status_code == 200
    assert "We are confirming your payment" in response.get_data(as_text=True)
    assert response.headers["Refresh"].startswith("5; url=")
    last = stripe_app.test_client().get(_pay_url(stripe_app, invoice_id, "/done?check=24"))
    assert "Refresh" not in last.headers  # it stops asking after two minutes


def test_a_bad_link_shows_nothing(stripe_app: Flask) -> None:
    client = stripe_app.test_client()
    assert client.get("/kassa/pay/not-a-token").status_code == 404
    assert client.get("/kassa/pay/not-a-token/done").status_code == 404
    assert client.post("/kassa/pay/not-a-token/confirm", json={}).status_code == 404


def test_the_stand_in_flow_pays_with_a_card_token(
    stripe_app: Flask, localstripe: LocalStripe
) -> None:
    invoice_id = make_invoice(stripe_app, amount=12990)
    client = stripe_app.test_client()
    assert client.get(_pay_url(stripe_app, invoice_id)).status_code == 200

    def token(number: str) -> str:
        return str(
            localstripe.api(
                "POST",
                "/v1/tokens",
                **{
                    "card[number]": number,
                    "card[exp_month]": "12",
                    "card[exp_year]": "2030",
                    "card[cvc]": "123",
                },
            )["id"]
        )

    declined = client.post(
        _pay_url(stripe_app, invoice_id, "/confirm?lang=en"),
        json={"card_token": token("4000000000000341")},
    )
    assert declined.status_code == 402 and declined.get_json()["code"] == "payments.declined"
    assert "declined" in declined.get_json()["message"]

    pay = _pay_url(stripe_app, invoice_id)  # one link, as the shopper's browser has one
    paid = client.post(pay + "/confirm", json={"card_token": token("4242424242424242")})
    assert paid.status_code == 200, paid.get_data(as_text=True)
    assert paid.get_json()["status"] == "succeeded"
    assert paid.get_json()["done_url"].startswith(pay + "/done")
    # localstripe cannot confirm an intent again after a decline: the first attempt was
    # cancelled and the card paid a second one
    attempts = sorted(_attempts(stripe_app, invoice_id), key=lambda a: a.attempt_no)
    assert [a.status for a in attempts] == ["canceled", "succeeded"]
    assert (
        client.post(
            _pay_url(stripe_app, invoice_id, "/confirm"), json={"card_token": "nonsense"}
        ).status_code
        == 409
    )


def test_the_stand_in_confirmation_does_not_exist_against_stripe_itself(
    make_app: Callable[..., Flask], db_url: str
) -> None:
    app = make_app(
        db_url, KASSA_STRIPE_SECRET_KEY="sk_test_x", KASSA_STRIPE_PUBLISHABLE_KEY="pk_test_x"
    )
    invoice_id = make_invoice(app, amount=12990)
    response = app.test_client().post(
        _pay_url(app, invoice_id, "/confirm"), json={"card_token": "tok_x"}
    )
    assert response.status_code == 404
