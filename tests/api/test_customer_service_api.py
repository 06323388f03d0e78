"""Customer service through the storefront API: the shop acts for its signed-in shopper
(``Kassa-Shopper-Email``), and the help console works the team's side.

Maija has two invoices from storefront ``demo`` (two checkouts, two customer records, one
e-mail address) and one from storefront ``other``; Sven has one from ``demo``; Olle has one
from ``other`` only.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from kassa import get_state
from kassa.core.references import reference_for
from kassa.db import (
    Agreement,
    Attachment,
    Customer,
    IdempotencyKey,
    Invoice,
    InvoiceEvent,
    InvoiceHold,
    Message,
    MessageThread,
    Order,
    OutboxMessage,
    ServiceRequest,
    SupportTask,
    Survey,
)
from kassa.services import conversations

from .support import API, API_KEYS, BACK_KEY, BACKOFFICE_KEYS, KEY, OTHER_KEY, READ_KEY, bearer
from .test_openapi import check, response_schema

TODAY = date.today()
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32  # sniffed by its signature
HTML_AS_PDF = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
MAIJA, SVEN, OLLE = "maija@example.fi", "sven@example.se", "olle@example.se"
PAYMENTS_KEY = "p" * 32
UPLOAD_MAX = 10_000
_SCHEMES = {"FI": "fi", "SE": "ocr_length"}
_CURRENCIES = {"FI": "EUR", "SE": "SEK"}
#: Every record an action may write: bad input must leave each count as it was.
RECORDS = (ServiceRequest, MessageThread, Message, Attachment, InvoiceHold, InvoiceEvent,
           OutboxMessage, SupportTask, Survey)


@pytest.fixture
def app(make_app: Callable[..., Flask], db_url: str) -> Flask:
    """Two storefronts' keys, the back office's (one key without the support scopes), a plan
    with interest and a monthly fee, and small attachments."""
    return make_app(
        db_url, KASSA_API_KEYS=API_KEYS,
        KASSA_BACKOFFICE_KEYS={**BACKOFFICE_KEYS, "bank": {"key": PAYMENTS_KEY,
                                                           "scopes": ["payments:read"]}},
        KASSA_SELF_SERVICE={"FI": {"plan_nominal_rate": "9.9", "plan_monthly_fee": "0.50"}},
        KASSA_UPLOAD_MAX_BYTES=UPLOAD_MAX)


def make_invoice(app: Flask, *, storefront: str, email: str, sequence: int,
                 country: str = "FI", amount: int = 12990) -> str:
    """An open invoice of ``storefront``'s order, for a new customer record with ``email``;
    its number."""
    currency = _CURRENCIES[country]
    with get_state(app).db.session() as db:
        customer = Customer(country=country, name=email.split("@")[0].title(), email=email,
                            phone="+358401234567", street="Esimerkkikatu 2",
                            postal_code="00100", city="Helsinki",
                            locale="fi" if country == "FI" else "sv")
        order = Order(storefront=storefront, external_id=f"T-{sequence}", customer=customer,
                      country=country, currency=currency, total_minor=amount, vat_minor=0,
                      locale=customer.locale)
        agreement = Agreement(order=order, customer=customer, method="invoice",
                              product_id="test-invoice", terms={}, locale=customer.locale)
        invoice = Invoice(number=f"{TODAY.year}{sequence:06d}", agreement=agreement,
                          customer=customer, reference=reference_for(
                              country, sequence, scheme=_SCHEMES[country]),
                          reference_scheme=_SCHEMES[country], channel="email",
                          country=country, currency=currency, amount_minor=amount,
                          issue_date=TODAY, due_date=TODAY + timedelta(days=14),
                          next_action_on=TODAY + timedelta(days=15))
        db.add(invoice)
        db.add(InvoiceEvent(invoice=invoice, kind="issued", data={}))
        db.flush()
        return invoice.number


@pytest.fixture
def shop(app: Flask) -> dict[str, str]:
    return {"m1": make_invoice(app, storefront="demo", email=MAIJA, sequence=1001),
            "m2": make_invoice(app, storefront="demo", email=MAIJA, sequence=1002,
                               amount=30000),
            "m3": make_invoice(app, storefront="other", email=MAIJA, sequence=1003),
            "s1": make_invoice(app, storefront="demo", email=SVEN, sequence=2001,
                               country="SE", amount=49900),
            "o1": make_invoice(app, storefront="other", email=OLLE, sequence=3001)}


def as_shopper(email: str, key: str = KEY, **headers: str) -> dict[str, str]:
    return {**bearer(key), "Kassa-Shopper-Email": email, **headers}


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def counts(app: Flask) -> dict[str, int]:
    with get_state(app).db.session() as db:
        return {model.__name__: int(db.scalar(select(func.count()).select_from(model)) or 0)
                for model in RECORDS}


def invoice_of(app: Flask, number: str) -> Invoice:
    with get_state(app).db.session() as db:
        invoice = db.scalars(select(Invoice).where(Invoice.number == number)).one()
        db.expunge(invoice)
        return invoice


def holds_of(app: Flask, number: str) -> list[str]:
    with get_state(app).db.session() as db:
        invoice = db.scalars(select(Invoice).where(Invoice.number == number)).one()
        return [hold.reason for hold in invoice.holds]


def conforms(response: Any, path: str, method: str) -> dict[str, Any]:
    """The answer's body, checked against the document's schema for its status."""
    body = response.get_json()
    check(body, response_schema(path, method, response.status_code))
    return body  # type: ignore[no-any-return]


# -- the shop, for its shopper -----------------------------------------------------------------


def test_the_shopper_sees_their_invoices_balances_and_waiting_requests(
        client: FlaskClient, shop: dict[str, str]) -> None:
    answer = client.get(f"{API}/shopper/invoices", headers=as_shopper(MAIJA))
    assert answer.status_code == 200, answer.get_json()
    body = conforms(answer, "/shopper/invoices", "get")
    assert [i["number"] for i in body["invoices"]] == [shop["m2"], shop["m1"]]
    assert body["balances"] == {"EUR": 42990} and body["requests"] == []
    first = body["invoices"][1]
    assert first["open"] and first["holds"] == [] and first["balance"] == 12990
    assert first["more_time"]["within_policy"] and first["more_time"]["days"] == 14
    # The address is the shopper's, whatever its case; the back office sees every storefront.
    upper = client.get(f"{API}/shopper/invoices", headers=as_shopper("MAIJA@Example.FI"))
    assert len(upper.get_json()["invoices"]) == 2
    office = client.get(f"{API}/shopper/invoices", headers=as_shopper(MAIJA, BACK_KEY))
    assert {i["number"] for i in office.get_json()["invoices"]} == {
        shop["m1"], shop["m2"], shop["m3"]}
    # Nobody named, or an address that is not an address: 400; a stranger: 404.
    missing = client.get(f"{API}/shopper/invoices", headers=bearer(KEY))
    assert missing.status_code == 400
    assert missing.get_json()["code"] == "request.field"
    bad = client.get(f"{API}/shopper/invoices", headers=as_shopper("maija at example"))
    assert bad.status_code == 400 and bad.get_json()["code"] == "request.field"
    unknown = client.get(f"{API}/shopper/invoices?lang=fi",
                         headers=as_shopper("nobody@example.fi"))
    assert unknown.status_code == 404
    assert conforms(unknown, "/shopper/invoices", "get") == {
        "code": "shopper.not_found", "message": "Emme löytäneet tämän kaupan asiakkaista "
        "ketään tällä sähköpostiosoitteella."}
    assert client.get(f"{API}/shopper/invoices", headers=as_shopper(MAIJA, "x" * 32)
                      ).status_code == 401


def test_more_time_within_the_policy_at_once_and_beyond_it_for_the_team(
        app: Flask, client: FlaskClient, shop: dict[str, str]) -> None:
    path = "/shopper/invoices/{number}/more-time"
    granted = client.post(f"{API}/shopper/invoices/{shop['m1']}/more-time",
                          headers=as_shopper(MAIJA), json={"days": 14, "note": "Palkka\n"
                                                           "tulee myöhässä"})
    assert granted.status_code == 201, granted.get_json()
    body = conforms(granted, path, "post")
    assert body["kind"] == "extension" and body["status"] == "granted"
    assert body["invoice"] == shop["m1"] and body["source"] == "api:demo"
    assert invoice_of(app, shop["m1"]).due_date.isoformat() == body["details"]["new_due_date"]
    assert holds_of(app, shop["m1"]) == ["extended"]
    # Beyond the policy's 14 days: a request the team decides.
    pending = client.post(f"{API}/shopper/invoices/{shop['m2']}/more-time",
                          headers=as_shopper(MAIJA), json={"days": 30})
    assert pending.status_code == 201 and pending.get_json()["status"] == "pending"
    assert holds_of(app, shop["m2"]) == []
    listed = client.get(f"{API}/shopper/invoices", headers=as_shopper(MAIJA)).get_json()
    assert [r["id"] for r in listed["requests"]] == [pending.get_json()["id"]]
    assert [i["holds"] for i in listed["invoices"]] == [[], ["extended"]]
    # No body at all: the policy's days.
    again = client.post(f"{API}/shopper/invoices/{shop['m1']}/more-time",
                        headers=as_shopper(MAIJA))
    assert again.status_code == 409 and again.get_json()["code"] == "service.on_hold"


def test_a_plan_quote_and_agreement_carry_the_annex_i_figures(
        app: Flask, client: FlaskClient, shop: dict[str, str]) -> None:
    numbers = [shop["m1"], shop["m2"]]
    quote = client.post(f"{API}/shopper/plans/quote", headers=as_shopper(MAIJA),
                        json={"invoices": numbers, "months": 3})
    assert quote.status_code == 200, quote.get_json()
    body = conforms(quote, "/shopper/plans/quote", "post")
    offer = body["offer"]
    assert body["within_policy"] and body["months"] == 3 and body["currency"] == "EUR"
    assert offer["credit_amount"] == 42990 and float(offer["apr"]) > 9.9
    assert offer["total_cost"] > 0 and len(offer["schedule"]) == 3
    assert sum(row["amount"] for row in offer["schedule"]) == offer["total_payable"]
    assert sum(sum(month.values()) for month in body["split"]) == 42990
    # The budget helper: half of what is left each month, and the months that takes.
    helped = client.post(f"{API}/shopper/plans/quote", headers=as_shopper(MAIJA), json={
        "invoices": numbers, "budget": {"income": 200000, "rent": 90000, "electricity": 10000,
                                        "food": 40000, "other_debts": 40000}}).get_json()
    assert helped["budget_suggestion"] == 10000 and helped["months"] == 5
    assert counts(app)["ServiceRequest"] == 0  # a quote writes nothing

    before = counts(app)
    refused = client.post(f"{API}/shopper/plans", headers=as_shopper(MAIJA),
                          json={"invoices": numbers, "months": 3, "consent": False})
    assert refused.status_code == 422 and refused.get_json()["code"] == "service.consent"
    assert counts(app) == before
    agreed = client.post(f"{API}/shopper/plans", headers=as_shopper(MAIJA),
                         json={"invoices": numbers, "months": 3, "consent": True})
    assert agreed.status_code == 201, agreed.get_json()
    plan = conforms(agreed, "/shopper/plans", "post")
    assert plan["kind"] == "plan" and plan["status"] == "granted"
    figures = plan["plan"]
    assert figures["apr"] == offer["apr"] and figures["total_cost"] == offer["total_cost"]
    assert [row["amount"] for row in figures["schedule"]] == [
        row["amount"] for row in offer["schedule"]]
    assert figures["schedule"][0]["number"] == 1 and figures["currency"] == "EUR"
    assert holds_of(app, shop["m1"]) == ["plan"] and holds_of(app, shop["m2"]) == ["plan"]


def test_a_dispute_with_a_file_pauses_collection_for_the_team(
        app: Flask, client: FlaskClient, shop: dict[str, str]) -> None:
    answer = client.post(f"{API}/shopper/invoices/{shop['m1']}/disputes",
                         headers=as_shopper(MAIJA), json={
                             "reason": "damaged", "text": "Peitto tuli rikki.\nKuva liitteenä.",
                             "attachments": [{"filename": "kuitti.pdf",
                                              "content_base64": b64(PDF)}]})
    assert answer.status_code == 201, answer.get_json()
    body = conforms(answer, "/shopper/invoices/{number}/disputes", "post")
    assert body["kind"] == "dispute" and body["status"] == "pending"
    assert body["details"] == {"reason": "damaged",
                               "text": "Peitto tuli rikki.\nKuva liitteenä."}
    [file] = body["attachments"]
    assert file["filename"] == "kuitti.pdf" and file["content_type"] == "application/pdf"
    assert file["size"] == len(PDF) and file["scan"] == "clean"
    assert holds_of(app, shop["m1"]) == ["disputed"]
    queue = client.get(f"{API}/service-requests?kind=dispute", headers=bearer(KEY)).get_json()
    assert [r["id"] for r in queue["requests"]] == [body["id"]]
    assert queue["requests"][0]["customer"]["email"] == MAIJA


def test_bad_input_gets_a_clear_code_and_changes_nothing(
        app: Flask, client: FlaskClient, shop: dict[str, str]) -> None:
    dispute = f"{API}/shopper/invoices/{shop['m1']}/disputes"
    pdf = {"filename": "kuitti.pdf", "content_base64": b64(PDF)}
    cases: list[tuple[str, Any, int, str]] = [
        (dispute, {"reason": "bored"}, 422, "service.reason"),
        (dispute, {"reason": "damaged", "attachments": [
            {"filename": "kuitti.pdf", "content_base64": b64(HTML_AS_PDF)}]}, 422,
         "service.file_type"),
        (dispute, {"reason": "damaged", "attachments": [
            {"filename": "iso.pdf", "content_base64": b64(PDF + b"0" * UPLOAD_MAX)}]}, 422,
         "service.file_size"),
        (dispute, {"reason": "damaged", "attachments": [pdf] * 6}, 422, "service.file_count"),
        (dispute, {"reason": "damaged", "attachments": [
            {"filename": "kuitti.pdf", "content_base64": "not base64!"}]}, 400,
         "request.field"),
        (dispute, {"reason": "damaged", "attachments": [
            {"filename": "", "content_base64": b64(PDF)}]}, 400, "request.field"),
        (dispute, {"reason": "damaged", "text": "x" * 4001}, 400, "request.field"),
        (dispute, {"reason": "damaged", "text": "nul\x00"}, 400, "request.field"),
        (dispute, ["damaged"], 400, "request.json"),
        (f"{API}/shopper/plans", {"invoices": [shop["m1"]], "months": 30, "consent": True},
         422, "service.plan_months"),
        (f"{API}/shopper/plans", {"invoices": [shop["m1"]], "months": 1, "consent": True},
         422, "service.plan_months"),
        (f"{API}/shopper/plans", {"invoices": [shop["m1"]], "months": "3", "consent": True},
         400, "request.field"),
        (f"{API}/shopper/plans/quote", {"invoices": [shop["m1"]], "months": 25}, 422,
         "service.plan_months"),
        (f"{API}/shopper/plans/quote", {"invoices": []}, 400, "request.field"),
        (f"{API}/shopper/invoices/{shop['m1']}/more-time", {"days": 0}, 422, "service.days"),
        (f"{API}/shopper/invoices/{shop['m1']}/more-time", {"days": 61}, 422, "service.days"),
        (f"{API}/shopper/invoices/{shop['m1']}/more-time", {"days": True}, 400,
         "request.field"),
        (f"{API}/shopper/threads", {"subject": "Hei", "body": " ", "invoice": shop["m1"]},
         422, "service.message_empty"),
        (f"{API}/shopper/threads", {"subject": "Hei\nthere", "body": "Kysymys",
                                    "invoice": shop["m1"]}, 400, "request.field"),
        (f"{API}/shopper/threads", {"subject": "Hei", "body": "Kysymys"}, 400,
         "request.field"),
        (f"{API}/shopper/callbacks", {"slot": "2000-01-01T09:00:00+02:00",
                                      "phone": "+358401234567"}, 422, "service.slot"),
        (f"{API}/shopper/address", {"street": "Uusikatu 1", "postal_code": "00200",
                                    "city": " "}, 422, "service.address"),
        (f"{API}/shopper/channels", {"delivery": "pigeon", "reminders": "email"}, 422,
         "service.channel"),
    ]
    before = counts(app)
    addresses = invoice_of(app, shop["m1"]).billed_to
    for path, body, status, code in cases:
        answer = client.post(path, headers=as_shopper(MAIJA), json=body)
        assert (answer.status_code, answer.get_json()["code"]) == (status, code), (path, body)
    assert counts(app) == before
    assert invoice_of(app, shop["m1"]).billed_to == addresses
    assert holds_of(app, shop["m1"]) == []
    # The message is in the request's language and names the limit.
    too_large = client.post(f"{dispute}?lang=sv", headers=as_shopper(MAIJA), json={
        "reason": "damaged", "attachments": [
            {"filename": "iso.pdf", "content_base64": b64(PDF + b"0" * UPLOAD_MAX)}]})
    assert too_large.get_json()["message"] == ("Filen iso.pdf är för stor. Varje fil får "
                                               "vara högst 0.01 MB.")


def test_messages_between_the_shopper_and_the_team_end_with_the_survey(
        app: Flask, client: FlaskClient, shop: dict[str, str]) -> None:
    started = client.post(f"{API}/shopper/threads", headers=as_shopper(MAIJA), json={
        "subject": "Lasku", "body": "Miksi summa on näin suuri?\nTerveisin Maija",
        "invoice": shop["m2"], "attachments": [{"filename": "tilaus.txt",
                                                 "content_base64": b64(b"Tilaus 30,00")}]})
    assert started.status_code == 201, started.get_json()
    thread = conforms(started, "/shopper/threads", "post")
    assert thread["status"] == "open" and thread["invoice"] == shop["m2"]
    [first] = thread["messages"]
    assert first["author"] == "shopper" and first["attachments"][0]["content_type"] == \
        "text/plain"
    listed = client.get(f"{API}/shopper/threads", headers=as_shopper(MAIJA))
    assert [t["id"] for t in conforms(listed, "/shopper/threads", "get")["threads"]] == [
        thread["id"]]

    queue = client.get(f"{API}/message-threads", headers=bearer(BACK_KEY))
    [open_] = conforms(queue, "/message-threads", "get")["threads"]
    assert open_["id"] == thread["id"] and open_["customer"]["email"] == MAIJA
    reply = client.post(f"{API}/message-threads/{thread['id']}/replies",
                        headers=bearer(BACK_KEY), json={
                            "body": "Summassa on kaksi tuotetta.", "author_name": "Aino",
                            "attachments": [{"filename": "erittely.pdf",
                                             "content_base64": b64(PDF)}]})
    assert reply.status_code == 201, reply.get_json()
    assert conforms(reply, "/message-threads/{thread_id}/replies", "post")["author_name"] == \
        "Aino"
    shopper_view = client.get(f"{API}/shopper/threads/{thread['id']}",
                              headers=as_shopper(MAIJA))
    read = conforms(shopper_view, "/shopper/threads/{thread_id}", "get")
    assert read["status"] == "answered"
    assert [(m["author"], m["author_name"]) for m in read["messages"]] == [
        ("shopper", None), ("staff", "Aino")]
    assert read["messages"][1]["attachments"][0]["filename"] == "erittely.pdf"
    added = client.post(f"{API}/shopper/threads/{thread['id']}/messages",
                        headers=as_shopper(MAIJA), json={"body": "Kiitos, selvä!"})
    assert conforms(added, "/shopper/threads/{thread_id}/messages", "post")["author"] == \
        "shopper"
    team_view = client.get(f"{API}/message-threads/{thread['id']}", headers=bearer(BACK_KEY))
    assert conforms(team_view, "/message-threads/{thread_id}", "get")["status"] == "open"

    resolved = client.post(f"{API}/message-threads/{thread['id']}/resolve",
                           headers=bearer(BACK_KEY), json={"agent": "Aino"})
    body = conforms(resolved, "/message-threads/{thread_id}/resolve", "post")
    assert body["status"] == "resolved" and body["survey_id"] is not None
    again = client.post(f"{API}/message-threads/{thread['id']}/resolve",
                        headers=bearer(BACK_KEY))
    assert again.status_code == 409 and again.get_json()["code"] == "service.decided"
    assert client.get(f"{API}/surveys", headers=bearer(READ_KEY)).get_json() == {
        "surveys": []}
    with get_state(app).db.session() as db:
        conversations.answer_survey(db, db.get_one(Survey, body["survey_id"]), resolved=True,
                                    recommend=9, advisor=10, overall=8, comment="Nopeaa!",
                                    now=datetime.now(UTC))
    surveys = client.get(f"{API}/surveys?since={TODAY.isoformat()}", headers=bearer(READ_KEY))
    [answer] = conforms(surveys, "/surveys", "get")["surveys"]
    assert (answer["contact_kind"], answer["contact_id"], answer["agent"]) == (
        "thread", thread["id"], "Aino")
    assert (answer["recommend"], answer["advisor"], answer["overall"]) == (9, 10, 8)
    later = client.get(f"{API}/surveys?since={(TODAY + timedelta(days=2)).isoformat()}",
                       headers=bearer(READ_KEY))
    assert later.get_json() == {"surveys": []}
    # A back-office key may start a conversation about nothing in particular.
    general = client.post(f"{API}/shopper/threads", headers=as_shopper(MAIJA, BACK_KEY),
                          json={"subject": "Osoite", "body": "Muutin juuri."})
    assert general.status_code == 201 and general.get_json()["invoice"] is None


def test_a_finnish_plan_is_agreed_on_the_pages_where_the_shopper_identifies(
        make_app: Callable[..., Flask], db_url: str) -> None:
    """With a bank-ID broker set up, a Finnish plan is credit the shopper agrees to after
    identifying, which only Kassa's pages can take: the API refuses it, nothing is written,
    and a quote still works."""
    app = make_app(db_url, KASSA_API_KEYS=API_KEYS, KASSA_OIDC_ISSUER="https://bank-id.test",
                   KASSA_OIDC_CLIENT_ID="kassa", KASSA_OIDC_CLIENT_SECRET="s" * 24)
    number = make_invoice(app, storefront="demo", email=MAIJA, sequence=1001)
    client = app.test_client()
    before = counts(app)
    answer = client.post(f"{API}/shopper/plans", headers=as_shopper(MAIJA), json={
        "invoices": [number], "months": 3, "consent": True})
    assert (answer.status_code, answer.get_json()["code"]) == (403, "service.identification")
    conforms(answer, "/shopper/plans", "post")
    assert counts(app) == before
    quote = client.post(f"{API}/shopper/plans/quote", headers=as_shopper(MAIJA),
                        json={"invoices": [number], "months": 3})
    assert quote.status_code == 200


def test_files_are_downloaded_by_the_shop_for_its_shopper_and_by_the_team(
        app: Flask, client: FlaskClient, shop: dict[str, str]) -> None:
    """The shopper's receipt and the dispute's photo come back byte for byte, as downloads,
    to whoever may see them; a file of another conversation or request is not found."""
    thread = client.post(f"{API}/shopper/threads", headers=as_shopper(MAIJA), json={
        "subject": "Lasku", "body": "Kuitti liitteenä", "invoice": shop["m1"],
        "attachments": [{"filename": "kuitti.pdf", "content_base64": b64(PDF)}]}).get_json()
    receipt = thread["messages"][0]["attachments"][0]["id"]
    dispute = client.post(f"{API}/shopper/invoices/{shop['m2']}/disputes",
                          headers=as_shopper(MAIJA), json={
                              "reason": "damaged", "attachments": [
                                  {"filename": "kuva.png", "content_base64": b64(PNG)}]}
                          ).get_json()
    photo = dispute["attachments"][0]["id"]
    for path, headers, data, kind in (
            (f"/shopper/threads/{thread['id']}/attachments/{receipt}", as_shopper(MAIJA),
             PDF, "application/pdf"),
            (f"/message-threads/{thread['id']}/attachments/{receipt}", bearer(BACK_KEY),
             PDF, "application/pdf"),
            (f"/service-requests/{dispute['id']}/attachments/{photo}", bearer(KEY),
             PNG, "image/png")):
        answer = client.get(f"{API}{path}", headers=headers)
        assert answer.status_code == 200, (path, answer.get_data()[:200])
        assert (answer.get_data(), answer.mimetype) == (data, kind)
        assert answer.headers["Content-Disposition"].startswith("attachment;")
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
    for path, headers, code in (
            (f"/shopper/threads/{thread['id']}/attachments/{receipt}", as_shopper(SVEN),
             "thread.not_found"),
            (f"/shopper/threads/{thread['id']}/attachments/{photo}", as_shopper(MAIJA),
             "attachment.not_found"),
            (f"/shopper/threads/{thread['id']}/attachments/x", as_shopper(MAIJA),
             "attachment.not_found"),
            (f"/message-threads/{thread['id']}/attachments/{receipt}", bearer(OTHER_KEY),
             "thread.not_found"),
            (f"/service-requests/{dispute['id']}/attachments/{receipt}", bearer(KEY),
             "attachment.not_found"),
            (f"/service-requests/{dispute['id']}/attachments/{photo}", bearer(OTHER_KEY),
             "service_request.not_found")):
        answer = client.get(f"{API}{path}", headers=headers)
        assert (answer.status_code, answer.get_json()["code"]) == (404, code), path
    assert client.get(f"{API}/message-threads/{thread['id']}/attachments/{receipt}"
                      ).status_code == 401


def test_a_callback_is_booked_and_marked_done(
        app: Flask, client: FlaskClient, shop: dict[str, str]) -> None:
    slots = client.get(f"{API}/shopper/callback-slots?invoice={shop['m1']}",
                       headers=as_shopper(MAIJA))
    body = conforms(slots, "/shopper/callback-slots", "get")
    assert body["country"] == "FI" and body["slots"]
    slot = body["slots"][-1]
    bad_phone = client.post(f"{API}/shopper/callbacks", headers=as_shopper(MAIJA),
                            json={"slot": slot, "phone": "soita"})
    assert bad_phone.status_code == 422 and bad_phone.get_json()["code"] == "service.phone"
    booked = client.post(f"{API}/shopper/callbacks", headers=as_shopper(MAIJA),
                         json={"slot": slot, "phone": "+358 40 123 4567",
                               "topic": "Maksuaika"})
    assert booked.status_code == 201, booked.get_json()
    callback = conforms(booked, "/shopper/callbacks", "post")
    assert callback["kind"] == "callback" and callback["status"] == "pending"
    assert callback["details"]["phone"] == "+358401234567" and callback["invoice"] is None

    extension = client.post(f"{API}/shopper/invoices/{shop['m1']}/more-time",
                            headers=as_shopper(MAIJA), json={"days": 40}).get_json()
    not_a_call = client.post(f"{API}/callbacks/{extension['id']}/done", headers=bearer(KEY),
                             json={"by": "Aino"})
    assert not_a_call.status_code == 409
    assert not_a_call.get_json()["code"] == "service_request.kind"
    done = client.post(f"{API}/callbacks/{callback['id']}/done", headers=bearer(KEY),
                       json={"by": "Aino", "note": "Sovittu maksuaika."})
    assert done.status_code == 200, done.get_json()
    decided = conforms(done, "/callbacks/{request_id}/done", "post")
    assert decided["request"]["status"] == "done" and decided["survey_id"] is not None
    assert decided["request"]["decision"]["by"] == "Aino"
    twice = client.post(f"{API}/callbacks/{callback['id']}/done", headers=bearer(KEY),
                        json={"by": "Aino"})
    assert twice.status_code == 409 and twice.get_json()["code"] == "service.decided"


def test_the_team_decides_a_pending_request(app: Flask, client: FlaskClient,
                                            shop: dict[str, str]) -> None:
    asked = client.post(f"{API}/shopper/invoices/{shop['m1']}/more-time",
                        headers=as_shopper(MAIJA), json={"days": 30}).get_json()
    path = f"{API}/service-requests/{asked['id']}/decision"
    assert client.post(path, headers=bearer(BACK_KEY), json={"grant": "yes", "by": "Aino"}
                       ).get_json()["code"] == "request.field"
    assert client.post(path, headers=bearer(BACK_KEY), json={"grant": True, "by": " "}
                       ).get_json()["code"] == "request.field"
    pending = client.get(f"{API}/service-requests", headers=bearer(READ_KEY))
    assert [r["id"] for r in conforms(pending, "/service-requests", "get")["requests"]] == [
        asked["id"]]
    decided = client.post(path, headers=bearer(BACK_KEY), json={
        "grant": True, "by": "Aino", "note": "Onnistuu, kiitos viestistä.", "survey": False})
    assert decided.status_code == 200, decided.get_json()
    body = conforms(decided, "/service-requests/{request_id}/decision", "post")
    assert body["request"]["status"] == "granted" and body["survey_id"] is None
    assert body["request"]["decision"] == {"by": "Aino", "granted": True,
                                           "note": "Onnistuu, kiitos viestistä."}
    assert invoice_of(app, shop["m1"]).due_date.isoformat() == asked["details"][
        "new_due_date"]
    assert holds_of(app, shop["m1"]) == ["extended"]
    twice = client.post(path, headers=bearer(BACK_KEY), json={"grant": False, "by": "Aino"})
    assert twice.status_code == 409 and twice.get_json()["code"] == "service.decided"
    assert client.get(f"{API}/service-requests", headers=bearer(READ_KEY)).get_json() == {
        "requests": []}
    everything = client.get(f"{API}/service-requests?status=all", headers=bearer(READ_KEY))
    assert len(everything.get_json()["requests"]) == 1
    # A refused dispute lets the reminders resume.
    dispute = client.post(f"{API}/shopper/invoices/{shop['m2']}/disputes",
                          headers=as_shopper(MAIJA), json={"reason": "already_paid"}
                          ).get_json()
    refused = client.post(f"{API}/service-requests/{dispute['id']}/decision",
                          headers=bearer(BACK_KEY), json={"grant": False, "by": "Aino"})
    assert refused.get_json()["request"]["status"] == "refused"
    with get_state(app).db.session() as db:
        invoice = db.scalars(select(Invoice).where(Invoice.number == shop["m2"])).one()
        assert all(h.ends_on is not None and h.ends_on <= TODAY for h in invoice.holds)
    assert client.post(f"{API}/service-requests/999999/decision", headers=bearer(BACK_KEY),
                       json={"grant": True, "by": "Aino"}).status_code == 404


def test_a_plan_longer_than_a_hold_may_last_is_refused_and_changes_nothing(
        app: Flask, client: FlaskClient, shop: dict[str, str]) -> None:
    # Eighteen months would end after the year a hold may last: refused when asked, so the
    # team is never given a request it could not grant.
    before = counts(app)
    asked = client.post(f"{API}/shopper/plans", headers=as_shopper(MAIJA), json={
        "invoices": [shop["m2"]], "months": 18, "consent": True})
    assert asked.status_code in (400, 422), asked.get_json()
    assert asked.get_json()["code"] in ("service.plan_months", "request.field")
    assert counts(app) == before and holds_of(app, shop["m2"]) == []


def test_address_and_channels_change_the_storefronts_own_records(
        app: Flask, client: FlaskClient, shop: dict[str, str]) -> None:
    moved = client.post(f"{API}/shopper/address", headers=as_shopper(MAIJA),
                        json={"street": "Uusikatu 1 A 3", "postal_code": "00200",
                              "city": "Helsinki"})
    assert moved.status_code == 200, moved.get_json()
    assert conforms(moved, "/shopper/address", "post")["street"] == "Uusikatu 1 A 3"
    assert invoice_of(app, shop["m1"]).billed_to["street"] == "Uusikatu 1 A 3"
    assert invoice_of(app, shop["m2"]).billed_to["street"] == "Uusikatu 1 A 3"
    # The other storefront's invoice and its customer record stay as they were.
    other = invoice_of(app, shop["m3"])
    assert other.billed_to is None
    with get_state(app).db.session() as db:
        assert db.get_one(Customer, other.customer_id).street == "Esimerkkikatu 2"
    channels = client.post(f"{API}/shopper/channels", headers=as_shopper(MAIJA),
                           json={"delivery": "email", "reminders": "sms"})
    assert conforms(channels, "/shopper/channels", "post") == {"delivery": "email",
                                                               "reminders": "sms"}
    with get_state(app).db.session() as db:
        records = db.scalars(select(Customer).where(Customer.email == MAIJA)
                             .order_by(Customer.id)).all()
        assert [c.reminder_channel for c in records] == ["sms", "sms", None]


# -- who reaches what --------------------------------------------------------------------------


def _maijas_records(app: Flask, client: FlaskClient, shop: dict[str, str]) -> dict[str, int]:
    """A thread, a dispute and a callback of Maija's, made through storefront demo."""
    thread = client.post(f"{API}/shopper/threads", headers=as_shopper(MAIJA), json={
        "subject": "Lasku", "body": "Kysymys", "invoice": shop["m1"], "attachments": [
            {"filename": "kuitti.pdf", "content_base64": b64(PDF)}]}).get_json()
    dispute = client.post(f"{API}/shopper/invoices/{shop['m2']}/disputes",
                          headers=as_shopper(MAIJA), json={"reason": "returned"}).get_json()
    slot = client.get(f"{API}/shopper/callback-slots", headers=as_shopper(MAIJA)
                      ).get_json()["slots"][-1]
    callback = client.post(f"{API}/shopper/callbacks", headers=as_shopper(MAIJA),
                           json={"slot": slot, "phone": "+358401234567"}).get_json()
    return {"thread": thread["id"], "dispute": dispute["id"], "callback": callback["id"]}


def test_shopper_a_never_sees_or_changes_shopper_bs_data(
        app: Flask, client: FlaskClient, shop: dict[str, str]) -> None:
    mine = _maijas_records(app, client, shop)
    before = counts(app)
    sven = as_shopper(SVEN)
    m1 = shop["m1"]
    refusals: list[tuple[str, str, Any, str]] = [
        ("post", f"/shopper/invoices/{m1}/more-time", {"days": 7}, "service.not_found"),
        ("post", f"/shopper/invoices/{m1}/disputes", {"reason": "damaged"},
         "service.not_found"),
        ("post", "/shopper/plans/quote", {"invoices": [m1], "months": 3},
         "service.not_found"),
        ("post", "/shopper/plans", {"invoices": [shop["s1"], m1], "months": 3,
                                    "consent": True}, "service.not_found"),
        ("get", f"/shopper/threads/{mine['thread']}", None, "thread.not_found"),
        ("post", f"/shopper/threads/{mine['thread']}/messages", {"body": "Hei"},
         "thread.not_found"),
        ("post", "/shopper/threads", {"subject": "Hei", "body": "Hei", "invoice": m1},
         "service.not_found"),
        ("get", f"/shopper/callback-slots?invoice={m1}", None, "service.not_found"),
        ("post", "/shopper/callbacks", {"slot": "x", "phone": "+46701234567",
                                        "invoice": m1}, "service.not_found"),
    ]
    for method, path, body, code in refusals:
        answer = getattr(client, method)(f"{API}{path}", headers=sven, json=body) \
            if body is not None else getattr(client, method)(f"{API}{path}", headers=sven)
        assert (answer.status_code, answer.get_json()["code"]) == (404, code), path
    listed = client.get(f"{API}/shopper/invoices", headers=sven).get_json()
    assert [i["number"] for i in listed["invoices"]] == [shop["s1"]]
    assert listed["requests"] == []
    assert client.get(f"{API}/shopper/threads", headers=sven).get_json() == {"threads": []}
    # Sven's own address and channels reach his records only.
    assert client.post(f"{API}/shopper/address", headers=sven, json={
        "street": "Storgatan 9", "postal_code": "11122", "city": "Stockholm"}
        ).status_code == 200
    assert client.post(f"{API}/shopper/channels", headers=sven, json={
        "delivery": "email", "reminders": "sms"}).status_code == 200
    # One trail entry on his own invoice: the address (its channel was e-mail already).
    assert counts(app) == {**before, "InvoiceEvent": before["InvoiceEvent"] + 1}
    assert invoice_of(app, m1).billed_to is None and holds_of(app, m1) == []
    with get_state(app).db.session() as db:
        maija = db.scalars(select(Customer).where(Customer.email == MAIJA)).all()
        assert {c.street for c in maija} == {"Esimerkkikatu 2"}
        assert {c.reminder_channel for c in maija} == {None}


def test_a_storefront_key_never_reaches_another_storefronts_shopper_data(
        app: Flask, client: FlaskClient, shop: dict[str, str]) -> None:
    mine = _maijas_records(app, client, shop)
    before = counts(app)
    other = as_shopper(MAIJA, OTHER_KEY)
    # Olle bought from "other" only: "demo" does not know him.
    assert client.get(f"{API}/shopper/invoices", headers=as_shopper(OLLE)).get_json()[
        "code"] == "shopper.not_found"
    # Maija bought from both: "other" sees its own invoice and nothing of "demo"'s.
    listed = client.get(f"{API}/shopper/invoices", headers=other).get_json()
    assert [i["number"] for i in listed["invoices"]] == [shop["m3"]]
    assert listed["requests"] == [] and listed["balances"] == {"EUR": 12990}
    assert client.get(f"{API}/shopper/threads", headers=other).get_json() == {"threads": []}
    for path, body, code in (
            (f"/shopper/invoices/{shop['m1']}/more-time", {"days": 7}, "service.not_found"),
            (f"/shopper/invoices/{shop['m1']}/disputes", {"reason": "damaged"},
             "service.not_found"),
            ("/shopper/plans", {"invoices": [shop["m3"], shop["m1"]], "months": 3,
                                "consent": True}, "service.not_found"),
            (f"/shopper/threads/{mine['thread']}/messages", {"body": "Hei"},
             "thread.not_found")):
        answer = client.post(f"{API}{path}", headers=other, json=body)
        assert (answer.status_code, answer.get_json()["code"]) == (404, code), path
    assert client.get(f"{API}/shopper/threads/{mine['thread']}", headers=other
                      ).status_code == 404
    # The team's side with "other"'s key: none of "demo"'s requests, threads or surveys.
    office = bearer(OTHER_KEY)
    assert client.get(f"{API}/service-requests?status=all", headers=office).get_json() == {
        "requests": []}
    assert client.get(f"{API}/message-threads?status=all", headers=office).get_json() == {
        "threads": []}
    for path, body, code in (
            (f"/service-requests/{mine['dispute']}/decision", {"grant": True, "by": "X"},
             "service_request.not_found"),
            (f"/callbacks/{mine['callback']}/done", {"by": "X"},
             "service_request.not_found"),
            (f"/message-threads/{mine['thread']}/replies", {"body": "Hei",
                                                            "author_name": "X"},
             "thread.not_found"),
            (f"/message-threads/{mine['thread']}/resolve", {}, "thread.not_found")):
        answer = client.post(f"{API}{path}", headers=office, json=body)
        assert (answer.status_code, answer.get_json()["code"]) == (404, code), path
    assert client.get(f"{API}/message-threads/{mine['thread']}", headers=office
                      ).status_code == 404
    assert counts(app) == before
    # "demo" sees its own, and the back office everything.
    demo = client.get(f"{API}/service-requests", headers=bearer(KEY)).get_json()["requests"]
    assert {r["id"] for r in demo} == {mine["dispute"], mine["callback"]}
    done = client.post(f"{API}/callbacks/{mine['callback']}/done", headers=bearer(KEY),
                       json={"by": "Aino"})
    assert done.status_code == 200
    surveys = client.get(f"{API}/surveys?answered=all", headers=bearer(KEY)).get_json()
    assert len(surveys["surveys"]) == 1
    assert client.get(f"{API}/surveys?answered=all", headers=office).get_json() == {
        "surveys": []}
    assert len(client.get(f"{API}/surveys?answered=all", headers=bearer(READ_KEY)
                          ).get_json()["surveys"]) == 1


def test_a_retried_post_makes_one_request(app: Flask, client: FlaskClient,
                                          shop: dict[str, str]) -> None:
    headers = as_shopper(MAIJA, **{"Idempotency-Key": "more-time-1"})
    path = f"{API}/shopper/invoices/{shop['m1']}/more-time"
    first = client.post(path, headers=headers, json={"days": 7})
    again = client.post(path, headers=headers, json={"days": 7})
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    assert counts(app)["ServiceRequest"] == 1
    # The same key for another shopper is another request: refused, nothing done.
    slots = client.get(f"{API}/shopper/callback-slots", headers=as_shopper(MAIJA)
                       ).get_json()["slots"]
    call = {"slot": slots[-1], "phone": "+358401234567"}
    keyed = {"Idempotency-Key": "call-1"}
    assert client.post(f"{API}/shopper/callbacks", headers=as_shopper(MAIJA, **keyed),
                       json=call).status_code == 201
    stranger = client.post(f"{API}/shopper/callbacks", headers=as_shopper(SVEN, **keyed),
                           json=call)
    assert stranger.status_code == 409
    assert stranger.get_json()["code"] == "request.idempotency_key"
    assert counts(app)["ServiceRequest"] == 2
    # Past the key's 24 hours the services' submit key still finds the first request.
    with get_state(app).db.session() as db:
        db.query(IdempotencyKey).delete()
    late = client.post(path, headers=headers, json={"days": 7})
    assert late.status_code == 201 and "Idempotent-Replayed" not in late.headers
    assert late.get_json()["id"] == first.get_json()["id"]
    thread = {"subject": "Hei", "body": "Kysymys", "invoice": shop["m2"]}
    keyed = as_shopper(MAIJA, **{"Idempotency-Key": "thread-1"})
    one = client.post(f"{API}/shopper/threads", headers=keyed, json=thread).get_json()
    with get_state(app).db.session() as db:
        db.query(IdempotencyKey).delete()
    two = client.post(f"{API}/shopper/threads", headers=keyed, json=thread).get_json()
    assert one["id"] == two["id"] and counts(app)["MessageThread"] == 1
    assert counts(app)["ServiceRequest"] == 2


def test_the_team_endpoints_need_the_support_scopes(app: Flask, client: FlaskClient,
                                                    shop: dict[str, str]) -> None:
    mine = _maijas_records(app, client, shop)
    before = counts(app)
    writes = [(f"/service-requests/{mine['dispute']}/decision", {"grant": True, "by": "A"}),
              (f"/callbacks/{mine['callback']}/done", {"by": "A"}),
              (f"/message-threads/{mine['thread']}/replies", {"body": "Hei",
                                                               "author_name": "A"}),
              (f"/message-threads/{mine['thread']}/resolve", {}),
              (f"/shopper/invoices/{shop['m1']}/more-time", {"days": 7}),
              ("/shopper/address", {"street": "A", "postal_code": "1", "city": "B"})]
    reads = ["/service-requests", "/message-threads", f"/message-threads/{mine['thread']}",
             "/surveys", "/shopper/invoices", "/shopper/threads"]
    for path, body in writes:
        reader = client.post(f"{API}{path}", headers=as_shopper(MAIJA, READ_KEY), json=body)
        assert reader.status_code == 403 and reader.get_json()["code"] == "auth.scope", path
        anyone = client.post(f"{API}{path}", headers={"Kassa-Shopper-Email": MAIJA},
                             json=body)
        assert anyone.status_code == 401, path
    for path in reads:
        assert client.get(f"{API}{path}", headers=as_shopper(MAIJA, READ_KEY)
                          ).status_code == 200, path
        bank = client.get(f"{API}{path}", headers=as_shopper(MAIJA, PAYMENTS_KEY))
        assert bank.status_code == 403 and bank.get_json()["code"] == "auth.scope", path
        assert client.get(f"{API}{path}").status_code == 401, path
    assert counts(app) == before


# -- whatever a shop sends about a real shopper ------------------------------------------------


def test_no_generated_request_about_a_real_shopper_breaks_an_operation(
        make_app: Callable[..., Flask], tmp_path: Any) -> None:
    """Schemathesis on the customer-service operations, as test_schemathesis does for all of
    them, but about a shopper who exists: the header names Maija, and in half the cases the
    invoice numbers, the conversation and the request are hers, so they reach the services."""
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import strategies as st
    from schemathesis import GenerationMode

    from .test_schemathesis import CHECKS

    app = make_app(f"sqlite:///{tmp_path / 'fuzz.sqlite3'}", KASSA_API_KEYS=API_KEYS,
                   KASSA_UPLOAD_MAX_BYTES=UPLOAD_MAX)
    numbers = [make_invoice(app, storefront="demo", email=MAIJA, sequence=n)
               for n in (1001, 1002)]
    client = app.test_client()
    thread = client.post(f"{API}/shopper/threads", headers=as_shopper(MAIJA), json={
        "subject": "Hei", "body": "Kysymys", "invoice": numbers[0]}).get_json()["id"]
    pending = client.post(f"{API}/shopper/invoices/{numbers[1]}/more-time",
                          headers=as_shopper(MAIJA), json={"days": 30}).get_json()["id"]
    schema = schemathesis.openapi.from_wsgi(f"{API}/openapi.json", app)
    operations = schema.include(path_regex="^/(shopper|service-requests|callbacks|"
                                "message-threads|surveys)")
    failures: list[str] = []
    cases = 0
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        for result in operations.get_all_operations():
            operation = result.ok()

            @settings(max_examples=10, derandomize=True, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck),
                      phases=[Phase.explicit, Phase.generate])
            @given(case=operation.as_strategy(mode), real=st.booleans())
            def call(case: Any, real: bool) -> None:
                nonlocal cases
                cases += 1
                if real:
                    parameters = case.path_parameters or {}
                    for name, value in (("number", numbers[cases % 2]),
                                        ("thread_id", str(thread)),
                                        ("request_id", str(pending))):
                        if name in parameters:
                            parameters[name] = value
                    if isinstance(case.body, dict):
                        for name, value in (("invoices", numbers), ("invoice", numbers[0])):
                            if name in case.body:
                                case.body[name] = value
                case.call_and_validate(headers={**bearer(KEY), "Kassa-Shopper-Email": MAIJA},
                                       checks=CHECKS)

            try:
                call()
            except (Exception, BaseExceptionGroup) as exc:  # noqa: B036 - FailureGroup too
                failures.append(f"{operation.label}: {str(exc)[:2000]}")
    assert cases >= 100
    assert not failures, "\n\n".join(failures)
