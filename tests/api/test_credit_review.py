"""The storefront API after the credit assessment: a decline names its recorded decision and
where the shopper asks a person to review it; the review call makes one support task; a
register that does not answer is a 503 the storefront can retry."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from demo_shop.credit_register import FakeCreditRegister
from kassa import get_state
from kassa.db import CreditDecisionRecord, Order, SupportTask
from kassa.i18n import catalog

from .support import (
    API,
    API_KEYS,
    BACK_KEY,
    BACKOFFICE_KEYS,
    bearer,
    confirm,
    count,
    create_session,
)

SE_INDEBTED = "19900724-3455"
SE_CLEAN = "19811218-9876"


@pytest.fixture
def register() -> Iterator[FakeCreditRegister]:
    with FakeCreditRegister() as running:
        yield running


@pytest.fixture
def app(make_app: Callable[..., Flask], db_url: str, register: FakeCreditRegister) -> Flask:
    return make_app(db_url, KASSA_API_KEYS=API_KEYS, KASSA_BACKOFFICE_KEYS=BACKOFFICE_KEYS,
                    **register.settings())


def plan(client: FlaskClient) -> str:
    offers = client.get(f"{API}/offers?amount=499000&currency=SEK&country=SE").get_json()
    return next(o["id"] for o in offers["offers"] if o["method"] != "invoice")


def review(client: FlaskClient, session: dict, decision_id: str, secret: str | None = None,
           **body: object):  # type: ignore[no-untyped-def]
    return client.post(
        f"{API}/checkout-sessions/{session['id']}/credit-decisions/{decision_id}/review",
        json=body, headers=bearer(secret or session["client_secret"]))


def test_a_decline_carries_its_decision_and_the_way_to_a_person(app: Flask) -> None:
    client = app.test_client()
    session = create_session(client)
    refused = client.post(
        f"{API}/checkout-sessions/{session['id']}/confirm?lang=sv",
        json={"offer_id": plan(client), "channel": "email", "personal_id": SE_INDEBTED,
              "consent": True},
        headers=bearer(session["client_secret"]))
    assert refused.status_code == 422
    body = refused.get_json()
    assert body["code"] == "checkout.declined"
    with get_state(app).db.session() as db:
        record = db.scalar(select(CreditDecisionRecord))
        assert (record.result, record.reason) == ("declined", "unsecured_debt")
    assert body["decision_id"] == record.public_id
    assert body["review_url"] == (f"http://localhost/kassa/checkout/{session['id']}/review/"
                                  f"{record.public_id}")
    assert body["review_message"] == catalog("sv").ugettext(
        "This decision was made automatically. You can ask a person from our customer service "
        "to look at it again.")
    # The page the link leads to offers the review.
    assert client.get(body["review_url"]).status_code == 200

    asked = review(client, session, body["decision_id"], note="Jag har betalat av lånet.")
    assert asked.status_code == 202
    assert asked.get_json() == {"decision_id": record.public_id, "status": "review_requested"}
    assert review(client, session, body["decision_id"]).status_code == 202
    # The merchant's team sees one task, with the decision, in its queue.
    tasks = client.get(f"{API}/support-tasks", headers=bearer(BACK_KEY)).get_json()["tasks"]
    assert [task["kind"] for task in tasks] == ["credit_review"]
    assert tasks[0]["case"]["decision"]["id"] == record.public_id
    assert tasks[0]["case"]["shopper_note"] == "Jag har betalat av lånet."
    assert count(app, Order) == 0


def test_a_review_needs_the_sessions_secret_and_its_own_declined_decision(app: Flask) -> None:
    client = app.test_client()
    session = create_session(client)
    decision_id = confirm(client, session, offer_id=plan(client),
                          personal_id=SE_INDEBTED).get_json()["decision_id"]
    other = create_session(client, reference="B-2")
    assert review(client, session, decision_id, secret="cs_secret_wrong").status_code == 403
    unknown = review(client, other, decision_id)
    assert (unknown.status_code, unknown.get_json()["code"]) == (404, "credit_review.not_found")
    too_long = review(client, session, decision_id, note="x" * 1001)
    assert (too_long.status_code, too_long.get_json()["code"]) == (400, "request.field")
    assert count(app, SupportTask) == 0


def test_a_register_that_does_not_answer_is_a_503_to_try_again(
        app: Flask, register: FakeCreditRegister) -> None:
    client = app.test_client()
    session = create_session(client)
    offer = plan(client)
    with register.down(502):
        refused = confirm(client, session, offer_id=offer, personal_id=SE_CLEAN)
    assert refused.status_code == 503
    body = refused.get_json()
    assert body["code"] == "checkout.register_unavailable" and body["decision_id"]
    assert "review_url" not in body
    assert count(app, Order) == 0
    assert confirm(client, session, offer_id=offer, personal_id=SE_CLEAN).status_code == 200
