"""The hosted page after the credit assessment: a declined shopper is told kindly, in their
language, that the decision was automatic and can ask a person to review it (which puts one
task in the support queue); a register that does not answer gets an honest "not right now"."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from demo_shop.credit_register import FakeCreditRegister
from kassa import get_state
from kassa.db import CheckoutSession, CreditDecisionRecord, Order, SupportTask
from kassa.i18n import catalog
from kassa.services.checkout import session_offers

from .support import CANCEL_URL, PREFIX, count, csrf_token, open_session

NO_BANNED = "15038510190"
NO_CLEAN = "01010750160"
DECLINED = ("We are sorry, but we cannot offer invoice or instalments for this purchase this "
            "time. You are welcome to complete your purchase with another payment method at the "
            "shop.")
AUTOMATED = ("This decision was made automatically. You can ask a person from our customer "
             "service to look at it again.")
UNAVAILABLE = ("We cannot check the details needed for invoice and instalments right now. "
               "Please try again in a few minutes, or choose another way to pay.")


def translated(locale: str, message: str) -> str:
    return str(catalog(locale).ugettext(message))


@pytest.fixture
def register() -> Iterator[FakeCreditRegister]:
    with FakeCreditRegister() as running:
        yield running


@pytest.fixture
def app(make_app: Callable[..., Flask], db_url: str, register: FakeCreditRegister) -> Flask:
    return make_app(db_url, **register.settings())


def norwegian_plan(app: Flask) -> tuple[str, str]:
    """A Norwegian checkout in Norwegian and its first instalment plan (credit)."""
    session_id = open_session(app, country="NO")
    state = get_state(app)
    with state.db.session() as db:
        offers = session_offers(state.config, db.get(CheckoutSession, session_id),
                                date.today())
    return session_id, next(offer.id for offer in offers if offer.method != "invoice")


def confirm_plan(app: Flask, session_id: str, plan: str, personal_id: str,
                 client: FlaskClient | None = None) -> tuple[FlaskClient, TestResponse]:
    """The shopper's browser (one test client: the CSRF token belongs to its session)."""
    client = client or app.test_client()
    page = client.get(f"{PREFIX}/{session_id}").get_data(as_text=True)
    response = client.post(f"{PREFIX}/{session_id}", data={
        "csrf_token": csrf_token(page), "offer": plan, "channel": "email",
        "personal_id": personal_id, "consent": "y"})
    return client, response


def test_a_banned_shopper_is_declined_kindly_and_can_ask_a_person_to_review(app: Flask) -> None:
    session_id, plan = norwegian_plan(app)
    client, response = confirm_plan(app, session_id, plan, NO_BANNED)
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    decline = text[text.index("data-kassa-decline"):]
    decline = decline[:decline.index("</section>")]
    assert translated("nb", "We cannot offer credit for this purchase") in decline
    assert translated("nb", DECLINED) in decline
    assert translated("nb", AUTOMATED) in decline
    assert f'href="{CANCEL_URL}"' in decline
    assert translated("nb", "Ask customer service to review the decision") in decline
    assert count(app, Order) == 0

    action = re.search(r'<form method="post" action="([^"]+)" class="kassa-review"', decline)
    assert action, "the decline offers no review form"
    review_url = action.group(1).replace("&amp;", "&")
    token = re.search(r'name="csrf_token" value="([^"]+)"', decline)
    assert token
    thanks = client.post(review_url, data={"csrf_token": token.group(1),
                                           "note": "Jeg har\r\nopphevet sperren."})
    assert thanks.status_code == 200
    thanked = thanks.get_data(as_text=True)
    assert translated("nb", "Thank you, we will look at the decision again") in thanked
    with get_state(app).db.session() as db:
        [record] = db.scalars(select(CreditDecisionRecord)).all()
        [task] = db.scalars(select(SupportTask)).all()
        assert task.kind == "credit_review" and task.status == "open"
        assert task.payload["decision"]["id"] == record.public_id
        assert task.payload["decision"]["reason"] == "credit_ban"
        assert task.payload["shopper_note"] == "Jeg har opphevet sperren."
        email = task.payload["customer"]["email"]
    assert email in thanked

    # A second click finds the same request, and says so the same way.
    again = client.post(review_url, data={"csrf_token": token.group(1)})
    assert again.status_code == 200
    assert count(app, SupportTask) == 1


def test_the_review_link_is_a_page_of_its_own_and_unknown_decisions_are_not_found(
        app: Flask) -> None:
    session_id, plan = norwegian_plan(app)
    client, _response = confirm_plan(app, session_id, plan, NO_BANNED)
    with get_state(app).db.session() as db:
        decision_id = db.scalar(select(CreditDecisionRecord.public_id))
    page = client.get(f"{PREFIX}/{session_id}/review/{decision_id}?lang=sv")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert translated("sv", "Ask us to look at the decision again") in text
    assert translated("sv", AUTOMATED) in text
    missing = client.get(f"{PREFIX}/{session_id}/review/cd_nothing-here?lang=fi")
    assert missing.status_code == 404
    assert translated("fi", "We could not find this decision") in missing.get_data(as_text=True)
    # A form without this browser's CSRF token asks nobody.
    forged = client.post(f"{PREFIX}/{session_id}/review/{decision_id}", data={})
    assert forged.status_code == 400
    assert count(app, SupportTask) == 0


def test_an_approved_shopper_sees_no_review_and_completes(app: Flask) -> None:
    session_id, plan = norwegian_plan(app)
    _client, response = confirm_plan(app, session_id, plan, NO_CLEAN)
    assert response.status_code == 303
    assert count(app, Order) == 1
    with get_state(app).db.session() as db:
        [record] = db.scalars(select(CreditDecisionRecord)).all()
    assert record.result == "approved"
    # An approval is nothing to review.
    review = _client.get(f"{PREFIX}/{session_id}/review/{record.public_id}")
    assert review.status_code == 404


def test_a_register_that_does_not_answer_gets_an_honest_not_right_now(
        app: Flask, register: FakeCreditRegister) -> None:
    session_id, plan = norwegian_plan(app)
    with register.down(500):
        client, response = confirm_plan(app, session_id, plan, NO_CLEAN)
    assert response.status_code == 503
    text = response.get_data(as_text=True)
    decline = text[text.index("data-kassa-decline"):]
    decline = decline[:decline.index("</section>")]
    assert translated("nb", "Invoice and instalments are not available right now") in decline
    assert translated("nb", UNAVAILABLE) in decline
    assert "kassa-review" not in decline  # nothing to review: try again later
    assert count(app, Order) == 0
    # The register is back: the same checkout goes through.
    _client, response = confirm_plan(app, session_id, plan, NO_CLEAN, client)
    assert response.status_code == 303 and count(app, Order) == 1
