"""The API's withdrawal and early repayment: the answers a storefront or the back office gets,
in the documented shapes, with the refusals worded in the caller's language."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kassa.api import clock
from kassa.api.openapi import DOCUMENT

from .support import (
    API,
    API_KEYS,
    BACK_KEY,
    BACKOFFICE_KEYS,
    KEY,
    OTHER_KEY,
    READ_KEY,
    bearer,
    confirm,
    create_session,
)
from .test_openapi import check, response_schema

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
WITHDRAWAL = "/agreements/{agreement_id}/withdrawal"
REPAYMENT = "/agreements/{agreement_id}/early-repayment"


@pytest.fixture
def client(make_app: Callable[..., Flask], db_url: str,
           monkeypatch: pytest.MonkeyPatch) -> FlaskClient:
    app = make_app(db_url, KASSA_API_KEYS=API_KEYS, KASSA_BACKOFFICE_KEYS=BACKOFFICE_KEYS)
    monkeypatch.setattr(clock, "now", lambda: (NOW, NOW.date()))
    return app.test_client()


def at(monkeypatch: pytest.MonkeyPatch, days: int) -> None:
    later = NOW + timedelta(days=days)
    monkeypatch.setattr(clock, "now", lambda: (later, later.date()))


def plan(client: FlaskClient, total: int = 1_000_000) -> dict[str, Any]:
    """A Swedish 12-month plan confirmed through the API; the confirmation's answer."""
    session = create_session(client, country="SE", total=total)
    answer = confirm(client, session, offer_id="se-12")
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()  # type: ignore[no-any-return]


def test_withdrawal_on_day_5_answers_the_figures_and_day_15_is_refused_in_swedish(
        client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    confirmed = plan(client)
    path = f"{API}/agreements/{confirmed['agreement_id']}/withdrawal"
    at(monkeypatch, 15)
    late = client.post(path, json={}, headers={**bearer(KEY), "Accept-Language": "sv"})
    assert late.status_code == 422
    assert late.get_json() == {
        "code": "withdrawal.too_late",
        "message": "Tiden för att ångra det här kreditavtalet gick ut 2026-03-16, så ångrandet "
                   "kan inte längre registreras. Krediten kan ändå betalas tillbaka i förtid "
                   "när som helst, utan avgift."}
    check(late.get_json(), response_schema(WITHDRAWAL, "post", 422))

    at(monkeypatch, 20)  # the notice was sent on day 5; recorded later
    answer = client.post(path, json={"notice_on": "2026-03-07"}, headers=bearer(KEY))
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    check(body, response_schema(WITHDRAWAL, "post", 200))
    exact = Fraction(1_000_000) * Fraction("9.9") / 100 * 5 / 365
    interest = (2 * exact.numerator + exact.denominator) // (2 * exact.denominator)
    assert (body["principal"], body["interest"], body["interest_days"]) == (1_000_000,
                                                                             interest, 5)
    assert body["to_pay"] == body["owed"] == 1_000_000 + interest
    # Notice + 30 days is Easter Monday 6.4; but recorded on 22.3 the invoice must leave its
    # own 14 days from receipt (Sun 5.4, Easter Monday): the first business day after.
    assert body["due_date"] == "2026-04-07" and body["refund"] == 0
    assert body["invoice"] == confirmed["invoices"][0]
    assert body["cancelled_invoices"] == confirmed["invoices"][1:]
    first = client.get(f"{API}/invoices/{body['invoice']}", headers=bearer(KEY)).get_json()
    assert first["balance"] == body["to_pay"] and first["due_date"] == "2026-04-07"
    again = client.post(path, json={"notice_on": "2026-03-07"}, headers=bearer(KEY))
    assert again.status_code == 409 and again.get_json()["code"] == "withdrawal.done"


def test_only_the_agreements_storefront_or_a_back_office_key_with_the_scope_may_act(
        client: FlaskClient) -> None:
    confirmed = plan(client)
    path = f"{API}/agreements/{confirmed['agreement_id']}/withdrawal"
    other = client.post(path, json={}, headers=bearer(OTHER_KEY))
    assert other.status_code == 404 and other.get_json()["code"] == "agreement.not_found"
    reading = client.post(path, json={}, headers=bearer(READ_KEY))
    assert reading.status_code == 403 and reading.get_json()["code"] == "auth.scope"
    assert client.post(path, json={}).status_code == 401
    unknown = client.post(f"{API}/agreements/999999/withdrawal", json={}, headers=bearer(KEY))
    assert unknown.status_code == 404
    office = client.post(path, json={}, headers=bearer(BACK_KEY))
    assert office.status_code == 200, office.get_json()


def test_early_repayment_quote_then_registration(client: FlaskClient,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    confirmed = plan(client)
    path = f"{API}/agreements/{confirmed['agreement_id']}/early-repayment"
    at(monkeypatch, 40)
    quoted = client.get(f"{path}?amount=250000&keep=amount", headers=bearer(READ_KEY))
    assert quoted.status_code == 200, quoted.get_json()
    check(quoted.get_json(), response_schema(REPAYMENT, "get", 200))
    assert quoted.get_json()["revision"] is None and not quoted.get_json()["full"]
    everything = client.get(path, headers=bearer(KEY)).get_json()
    assert everything["full"] and everything["schedule"][-1]["due_date"] == "2026-04-11"

    paid = client.post(path, headers=bearer(KEY), json={
        "amount": 250000, "external_id": "till-5501", "keep": "amount"})
    assert paid.status_code == 200, paid.get_json()
    body = paid.get_json()
    check(body, response_schema(REPAYMENT, "post", 200))
    assert body["revision"] == 1
    assert body["schedule"] == quoted.get_json()["schedule"]  # as quoted
    remaining = [row for row in body["schedule"] if row["due_date"] > "2026-04-11"]
    assert sum(row["principal"] for row in body["schedule"]) == 1_000_000 - 250000
    assert remaining  # the plan goes on, shorter
    twice = client.post(path, headers=bearer(KEY), json={
        "amount": 250000, "external_id": "till-5501", "keep": "amount"})
    assert twice.status_code == 409
    assert twice.get_json()["code"] == "early_repayment.duplicate"


def test_the_documented_limits_are_the_ones_enforced(client: FlaskClient) -> None:
    confirmed = plan(client)
    path = f"{API}/agreements/{confirmed['agreement_id']}/early-repayment"
    schema = DOCUMENT["components"]["schemas"]["EarlyRepaymentPayment"]["properties"]
    longest = schema["external_id"]["maxLength"]
    largest = schema["amount"]["maximum"]
    for fields, status in (({"external_id": "x" * (longest + 1)}, 400),
                           ({"amount": largest + 1}, 400), ({"amount": 0}, 400),
                           ({"keep": "both"}, 400), ({"received_on": "2026-02-30"}, 400),
                           ({"external_id": "x" * longest}, 200)):
        body = {"amount": 1000, "external_id": "e-1", **fields}
        answer = client.post(path, json=body, headers=bearer(KEY))
        assert answer.status_code == status, (fields, answer.get_json())
    notice = DOCUMENT["components"]["schemas"]["WithdrawalNotice"]["properties"]["notice_on"]
    assert notice["maxLength"] == 10
    bad_day = client.post(f"{API}/agreements/{confirmed['agreement_id']}/withdrawal",
                          json={"notice_on": "2026-3-7"}, headers=bearer(KEY))
    assert bad_day.status_code == 400 and bad_day.get_json()["code"] == "request.field"
