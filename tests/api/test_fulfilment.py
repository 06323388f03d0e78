"""Fulfilment through the API issues the invoice when Kassa is set to issue on fulfilment."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient

from kassa.db import Invoice, OutboxMessage

from .support import API, API_KEYS, KEY, OTHER_KEY, bearer, confirm, count, create_session


def test_fulfilment_issues_the_invoice_once(make_app: Callable[..., Flask], db_url: str) -> None:
    app = make_app(db_url, KASSA_API_KEYS=API_KEYS, KASSA_ISSUE_INVOICE_ON="fulfilment")
    client = app.test_client()
    created = create_session(client, reference="SHIP-1")
    confirmed = confirm(client, created)
    assert confirmed.status_code == 200
    assert confirmed.get_json()["invoices"] == []
    assert count(app, Invoice) == 0

    url = f"{API}/orders/SHIP-1/fulfil"
    assert client.post(url, headers=bearer(OTHER_KEY)).get_json()["code"] == "order.not_found"
    first = client.post(url, headers=bearer(KEY))
    assert first.status_code == 200
    body = first.get_json()
    assert body["order_reference"] == "SHIP-1"
    [invoice] = body["invoices"]
    assert (invoice["amount"], invoice["currency"], invoice["status"]) == (499000, "SEK", "open")
    assert invoice["virtual_barcode"] is None  # Finland only
    assert count(app, OutboxMessage) == 1

    again = client.post(url, headers=bearer(KEY))
    assert again.status_code == 200
    assert [i["number"] for i in again.get_json()["invoices"]] == [invoice["number"]]
    assert count(app, Invoice) == 1 and count(app, OutboxMessage) == 1
    status = client.get(f"{API}/checkout-sessions/{created['id']}", headers=bearer(KEY))
    assert status.get_json()["invoices"] == [invoice["number"]]


def test_fulfilling_an_unknown_order_is_404(client: FlaskClient) -> None:
    response = client.post(f"{API}/orders/NOPE/fulfil", headers=bearer(KEY))
    assert response.status_code == 404
    assert response.get_json()["code"] == "order.not_found"


def test_fulfilment_needs_the_api_key(app: Flask, client: FlaskClient) -> None:
    response = client.post(f"{API}/orders/NOPE/fulfil")
    assert response.status_code == 401
    assert response.get_json()["code"] == "auth.invalid_key"
