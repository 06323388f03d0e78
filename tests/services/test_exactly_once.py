"""Exactly once under concurrency: one set of invoices, no cancelled order, no changed purchase."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from kassa import get_state
from kassa.db import CheckoutSession, Invoice, Order
from kassa.errors import KassaHTTPError
from kassa.services.checkout import cancel_checkout, fulfil_order

from .test_checkout_service import NOW, TODAY, confirm, count, open_session

WORKERS = 6


@pytest.fixture
def fulfilment_app(make_app: Callable[..., Flask], db_url: str) -> Flask:
    return make_app(db_url, KASSA_ISSUE_INVOICE_ON="fulfilment")


def test_simultaneous_fulfil_calls_issue_one_set_of_invoices(fulfilment_app: Flask) -> None:
    app = fulfilment_app
    session_id = open_session(app)
    confirm(app, session_id, "se-12")  # twelve instalments, issued on fulfilment
    assert count(app, Invoice) == 0
    state = get_state(app)
    start = threading.Barrier(WORKERS)
    answers: list[Any] = []

    def fulfil() -> None:
        with app.app_context():
            start.wait(timeout=10)
            try:
                with state.db.session() as db:
                    numbers = [i.number for i in fulfil_order(
                        db, state, "demo", "A-100", TODAY, "http://127.0.0.1")]
                answers.append(sorted(numbers))
            except Exception as exc:  # a duplicate set refused by the database shows here
                answers.append(exc)

    threads = [threading.Thread(target=fulfil) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert count(app, Invoice) == 12
    assert all(isinstance(a, list) for a in answers), answers
    assert len(answers) == WORKERS and all(a == answers[0] for a in answers)


def test_cancel_after_a_confirmation_it_did_not_see_leaves_the_purchase_completed(
        app: Flask) -> None:
    session_id = open_session(app)
    state = get_state(app)
    with state.db.session() as db:
        stale = db.get(CheckoutSession, session_id)  # read as open by the cancel request
        assert stale is not None and stale.status == "open"
        confirm(app, session_id, "se-invoice-14")  # meanwhile the shopper confirms
        with pytest.raises(KassaHTTPError) as caught:
            cancel_checkout(db, stale, NOW)
    assert (caught.value.code, caught.value.status) == ("checkout.completed", 409)
    with state.db.session() as db:
        cs = db.get(CheckoutSession, session_id)
        assert cs is not None and cs.status == "completed"
        assert db.scalar(select(Order.status)) == "confirmed"
    assert count(app, Invoice) == 1


def test_cancel_cancels_an_open_session(app: Flask) -> None:
    session_id = open_session(app)
    state = get_state(app)
    with state.db.session() as db:
        cs = db.get(CheckoutSession, session_id)
        assert cs is not None
        cancel_checkout(db, cs, NOW)
    with state.db.session() as db:
        assert db.get(CheckoutSession, session_id).status == "cancelled"  # type: ignore[union-attr]


@pytest.mark.parametrize("change", [{"offer_id": "se-12"}, {"channel": "letter"},
                                   {"personal_id": "19790621-6283"}])
def test_confirming_again_with_other_details_is_409_not_the_first_result(
        app: Flask, change: dict[str, str]) -> None:
    session_id = open_session(app)
    first = confirm(app, session_id, "se-invoice-14")
    assert confirm(app, session_id, "se-invoice-14") == first  # the same details: same answer
    options = {"offer_id": "se-invoice-14", **change}
    with pytest.raises(KassaHTTPError) as caught:
        confirm(app, session_id, **options)
    assert (caught.value.code, caught.value.status) == ("checkout.completed", 409)
    assert count(app, Invoice) == 1
