"""Idempotency-Key on the storefront API's POSTs: the same request gets the first answer."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from kassa.db import CheckoutSession, Invoice, Order

from .support import API, KEY, OTHER_KEY, bearer, confirm, count, create_session, order_payload


def post_session(client: FlaskClient, key: str | None, token: str = KEY, **changes: object):  # type: ignore[no-untyped-def]
    headers = bearer(token) | ({"Idempotency-Key": key} if key is not None else {})
    return client.post(f"{API}/checkout-sessions", json=order_payload(**changes),
                       headers=headers)


def test_the_same_key_and_request_returns_the_first_answer_and_does_nothing_twice(
        app: Flask, client: FlaskClient) -> None:
    first = post_session(client, "order-A-100-try")
    again = post_session(client, "order-A-100-try")
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json()
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert count(app, CheckoutSession) == 1


def test_without_a_key_a_second_post_is_a_new_request(client: FlaskClient) -> None:
    assert post_session(client, None).status_code == 201
    second = post_session(client, None)
    assert second.status_code == 409
    assert second.get_json()["code"] == "checkout.duplicate"


def test_the_same_key_with_another_body_is_refused_in_the_requests_language(
        app: Flask, client: FlaskClient) -> None:
    assert post_session(client, "k-1").status_code == 201
    other = client.post(f"{API}/checkout-sessions?lang=fi",
                        json=order_payload(reference="B-200"),
                        headers=bearer(KEY) | {"Idempotency-Key": "k-1"})
    assert other.status_code == 409
    assert other.get_json() == {
        "code": "request.idempotency_key",
        "message": "Tätä Idempotency-Key-avainta on jo käytetty toisessa pyynnössä."}
    assert count(app, CheckoutSession) == 1


def test_a_key_belongs_to_its_credential(app: Flask, client: FlaskClient) -> None:
    assert post_session(client, "shared").status_code == 201
    theirs = post_session(client, "shared", token=OTHER_KEY, reference="B-1")
    assert theirs.status_code == 201
    assert "Idempotent-Replayed" not in theirs.headers
    assert count(app, CheckoutSession) == 2


def test_a_refusal_is_replayed_too_but_an_authentication_failure_is_not_kept(
        app: Flask, client: FlaskClient) -> None:
    refused = post_session(client, "k-2", return_url="javascript:alert(1)")
    assert refused.status_code == 422
    replayed = post_session(client, "k-2", return_url="javascript:alert(1)")
    assert (replayed.status_code, replayed.get_json()) == (422, refused.get_json())
    assert replayed.headers["Idempotent-Replayed"] == "true"
    assert post_session(client, "k-3", token="x" * 32).status_code == 401
    again = post_session(client, "k-3", token="x" * 32)
    assert again.status_code == 401 and "Idempotent-Replayed" not in again.headers


def test_confirm_with_a_key_books_one_order(app: Flask, client: FlaskClient) -> None:
    session = create_session(client)
    body = {"offer_id": "se-invoice-14", "channel": "email", "personal_id": "19811218-9876",
            "consent": True}
    headers = bearer(session["client_secret"]) | {"Idempotency-Key": "confirm-1"}
    url = f"{API}/checkout-sessions/{session['id']}/confirm"
    first = client.post(url, json=body, headers=headers)
    again = client.post(url, json=body, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.get_json() == first.get_json()
    assert count(app, Order) == 1 and count(app, Invoice) == 1
    assert confirm(client, session).status_code == 200  # no key: idempotent by itself


def test_a_key_that_is_not_printable_ascii_is_refused(client: FlaskClient) -> None:
    response = post_session(client, "ä" * 3)
    assert response.status_code == 400
    assert response.get_json()["code"] == "request.field"
