"""Two people, one typed identity number: neither can touch the other's records.

The rule (docs/identity.md): a typed, unverified number gets a customer record per purchase
with the contact details typed at that checkout; the number's digest links the records only
for exposure and credit checks. Every invoice keeps who it bills, as at issue.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from stdnum import luhn

from kassa import get_state
from kassa.db import Customer, Invoice, OutboxMessage

from .support import API_KEYS, SE_ID, confirm, create_session

ANNA = {"name": "Anna Andersson", "email": "anna@example.se", "phone": "+46701111111",
        "street": "Storgatan 1", "postal_code": "11122", "city": "Stockholm"}
MALLORY = {"name": "Mallory Malm", "email": "mallory@example.se", "phone": "+46709999999",
           "street": "Bakgatan 9", "postal_code": "41101", "city": "Göteborg"}


def buy(client: FlaskClient, reference: str, customer: dict[str, Any],
        total: int = 49900) -> Any:
    session = create_session(client, reference=reference, total=total, customer=customer)
    return confirm(client, session, personal_id=SE_ID)


def invoices_of(app: Flask) -> list[tuple[str, dict[str, Any], str]]:
    with get_state(app).db.session() as db:
        rows = db.scalars(select(Invoice).order_by(Invoice.id)).all()
        return [(i.customer.email, i.billed, i.number) for i in rows]


def test_a_typed_number_never_changes_or_redirects_an_earlier_customers_records(
        app: Flask, client: FlaskClient) -> None:
    assert buy(client, "A-1", ANNA).status_code == 200
    assert buy(client, "M-1", MALLORY).status_code == 200

    with get_state(app).db.session() as db:
        customers = db.scalars(select(Customer).order_by(Customer.id)).all()
        assert [c.email for c in customers] == [ANNA["email"], MALLORY["email"]]
        anna = customers[0]
        assert {k: getattr(anna, k) for k in ANNA} == ANNA
        assert customers[0].personal_id_digest == customers[1].personal_id_digest
        assert not anna.identity_verified
        recipients = db.scalars(select(OutboxMessage.recipient).order_by(OutboxMessage.id)).all()
    assert recipients == [ANNA["email"], MALLORY["email"]]

    (anna_email, anna_billed, _), (mallory_email, mallory_billed, _) = invoices_of(app)
    assert (anna_email, anna_billed) == (ANNA["email"], ANNA)
    assert (mallory_email, mallory_billed) == (MALLORY["email"], MALLORY)


def test_the_number_still_links_the_purchases_for_the_credit_check(
        make_app: Callable[..., Flask], db_url: str) -> None:
    # A cap of 1 000 SEK of open invoices per person: Anna's 499 SEK fit, another 600 do not.
    app = make_app(db_url, KASSA_API_KEYS=API_KEYS, KASSA_OPEN_BALANCE_CAP={"SE": "1000.00"})
    client = app.test_client()
    assert buy(client, "A-1", ANNA, total=49900).status_code == 200
    refused = buy(client, "M-1", MALLORY, total=60000)
    assert refused.status_code == 422
    assert refused.get_json()["code"] == "checkout.declined"
    assert [email for email, _billed, _n in invoices_of(app)] == [ANNA["email"]]


def personnummer(born: str, individual: str = "000") -> str:
    """A valid 12-digit personnummer for ``born`` (YYYYMMDD), check digit by Luhn."""
    return f"{born}-{individual}{luhn.calc_check_digit(born[2:] + individual)}"


@pytest.mark.parametrize("born", ["19000101", "21010101"])  # 126 years old; born in 2101
def test_a_number_implying_an_age_over_120_or_a_future_birth_is_refused(
        client: FlaskClient, born: str) -> None:
    number = personnummer(born)
    session = create_session(client, reference="A-1", customer=ANNA)
    response = confirm(client, session, personal_id=number)
    assert response.status_code == 422
    assert response.get_json()["code"] == "checkout.identity.birth_date"
