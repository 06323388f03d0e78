"""The checkout service: validation changes nothing, confirmation is exact and happens once."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from kassa import get_state
from kassa.core.references import is_valid_reference
from kassa.db import CheckoutSession, Invoice, Order, OutboxMessage
from kassa.errors import KassaHTTPError
from kassa.services.checkout import (
    confirm_checkout,
    create_checkout_session,
    session_offers,
)
from kassa.services.credit_decision import CreditDecision

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
TODAY = NOW.date()
SE_ID = "19811218-9876"


def order_data(country: str = "SE", total: int = 499000, **changes: Any) -> dict[str, Any]:
    currency = {"FI": "EUR", "SE": "SEK", "NO": "NOK"}[country]
    data: dict[str, Any] = {
        "order": {"reference": "A-100", "currency": currency, "country": country,
                  "total": total,
                  "lines": [{"description": "Wool blanket", "quantity": 2,
                             "unit_price": total // 2, "vat_rate": "25"}]},
        "customer": {"name": "Sven Svensson", "email": "sven@example.se",
                     "phone": "+46701234567", "street": "Storgatan 1", "postal_code": "11122",
                     "city": "Stockholm"},
        "locale": "sv", "return_url": "http://127.0.0.1/shop/done",
        "cancel_url": "http://127.0.0.1/shop/cart",
    }
    data.update(changes)
    return data


def count(app: Flask, model: type) -> int:
    with get_state(app).db.session() as db:
        return db.scalar(select(func.count()).select_from(model))


def open_session(app: Flask, **kwargs: Any) -> str:
    state = get_state(app)
    with state.db.session() as db:
        cs, _secret = create_checkout_session(db, state.config, "demo", order_data(**kwargs), NOW)
        return cs.id


def confirm(app: Flask, session_id: str, offer_id: str, personal_id: str = SE_ID,
            **kwargs: Any):  # type: ignore[no-untyped-def]
    state = get_state(app)
    with state.db.session() as db:
        cs = db.get(CheckoutSession, session_id)
        options = {"channel": "email", "consent": True, "today": TODAY, "now": NOW,
                   "base_url": "http://127.0.0.1"}
        options.update(kwargs)
        result = confirm_checkout(db, state, cs, offer_id=offer_id, personal_id=personal_id,
                                  **options)
        return result.order.id, [(i.number, i.reference, i.amount_minor, i.due_date)
                                 for i in result.invoices]


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"total": 100}, "checkout.totals"),
        ({"customer": {"name": "Sven"}}, "request.field"),
        ({"return_url": "javascript:alert(1)"}, "request.field"),
        ({"order": {"reference": "A", "currency": "EUR", "country": "SE", "total": 1,
                    "lines": []}}, "checkout.currency"),
    ],
)
def test_bad_order_is_refused_and_writes_nothing(app: Flask, changes: dict[str, Any],
                                                 code: str) -> None:
    state = get_state(app)
    data = order_data()
    for key, value in changes.items():
        if key == "total":
            data["order"]["total"] = value
        else:
            data[key] = value
    with pytest.raises(KassaHTTPError) as caught:
        with state.db.session() as db:
            create_checkout_session(db, state.config, "demo", data, NOW)
    assert caught.value.code == code
    assert count(app, CheckoutSession) == 0


def test_invoice_checkout_issues_one_invoice_with_a_valid_reference(app: Flask) -> None:
    session_id = open_session(app)
    order_id, invoices = confirm(app, session_id, "se-invoice-14")
    assert len(invoices) == 1
    number, reference, amount, due = invoices[0]
    assert amount == 499000
    assert is_valid_reference("SE", reference, "ocr_length")
    assert due >= TODAY + timedelta(days=14)
    assert count(app, OutboxMessage) == 1
    with get_state(app).db.session() as db:
        order = db.get(Order, order_id)
        assert [line.total_minor for line in order.lines] == [499000]
        assert order.vat_minor == 99800  # 25 % VAT inside 4 990,00 kr


def test_installments_issue_one_invoice_per_instalment_adding_up_exactly(app: Flask) -> None:
    session_id = open_session(app, total=1_249_900)
    state = get_state(app)
    with state.db.session() as db:
        offer = next(o for o in session_offers(state.config, db.get(CheckoutSession, session_id),
                                               TODAY) if o.id == "se-12")
    _order_id, invoices = confirm(app, session_id, "se-12")
    assert len(invoices) == 12
    assert sum(i[2] for i in invoices) == offer.total_payable
    assert len({i[1] for i in invoices}) == 12  # twelve different references
    assert [i[3] for i in invoices] == sorted(i[3] for i in invoices)


def test_double_confirm_makes_one_order(app: Flask) -> None:
    session_id = open_session(app)
    first = confirm(app, session_id, "se-invoice-14")
    second = confirm(app, session_id, "se-invoice-14")
    assert first == second
    assert count(app, Order) == 1 and count(app, Invoice) == 1


def test_concurrent_confirms_make_one_order(app: Flask) -> None:
    session_id = open_session(app)
    results: list[Any] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            results.append(confirm(app, session_id, "se-invoice-14"))
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert len({r[0] for r in results}) == 1
    assert count(app, Order) == 1 and count(app, Invoice) == 1


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"offer_id": "no-such-offer"}, "checkout.offer"),
        ({"channel": "pigeon"}, "checkout.channel"),
        ({"consent": False}, "checkout.consent"),
        ({"personal_id": "19811218-9875"}, "checkout.identity.checksum"),
        ({"personal_id": "20150101-0001"}, "checkout.age"),
    ],
)
def test_each_refusal_has_its_code_and_changes_nothing(app: Flask, kwargs: dict[str, Any],
                                                       code: str) -> None:
    session_id = open_session(app)
    kwargs = dict(kwargs)
    offer_id = kwargs.pop("offer_id", "se-invoice-14")
    with pytest.raises(KassaHTTPError) as caught:
        confirm(app, session_id, offer_id, **kwargs)
    assert caught.value.code == code
    assert count(app, Order) == 0
    with get_state(app).db.session() as db:
        assert db.get(CheckoutSession, session_id).status == "open"


def test_expired_session_cannot_be_confirmed(app: Flask) -> None:
    session_id = open_session(app)
    later = NOW + timedelta(hours=2)
    with pytest.raises(KassaHTTPError) as caught:
        confirm(app, session_id, "se-invoice-14", now=later)
    assert caught.value.code == "checkout.expired"
    assert count(app, Order) == 0


def test_credit_decider_can_decline(make_app, db_url: str) -> None:  # type: ignore[no-untyped-def]
    app = make_app(db_url)
    object.__setattr__(get_state(app), "credit_decider",
                       lambda application: CreditDecision(False, "risk"))
    session_id = open_session(app)
    with pytest.raises(KassaHTTPError) as caught:
        confirm(app, session_id, "se-invoice-14")
    assert caught.value.code == "checkout.declined"
    assert count(app, Order) == 0


def test_finland_requires_strong_identification(app: Flask) -> None:
    session_id = open_session(app, country="FI", total=12990)
    with pytest.raises(KassaHTTPError) as caught:
        confirm(app, session_id, "fi-invoice-14", personal_id="131052-308T")
    assert caught.value.code == "checkout.identification_required"


def test_reference_sequence_skips_numbers_without_a_mod11_check_digit(
        make_app, db_url: str) -> None:  # type: ignore[no-untyped-def]
    app = make_app(db_url, KASSA_REFERENCE_SCHEMES={"NO": "kid_mod11"})
    references = []
    for n in range(12):
        state = get_state(app)
        with state.db.session() as db:
            data = order_data(country="NO", total=250000)
            data["order"]["reference"] = f"N-{n}"
            cs, _ = create_checkout_session(db, state.config, "demo", data, NOW)
            session_id = cs.id
        references.append(confirm(app, session_id, "no-invoice-14",
                                  personal_id="01010750160")[1][0][1])
    assert all(is_valid_reference("NO", r, "kid_mod11") for r in references)
    assert len(set(references)) == 12
    assert date(2000, 1, 1) < TODAY
