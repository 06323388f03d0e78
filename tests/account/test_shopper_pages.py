"""The shopper's own pages: access, every action, and that one shopper never reaches
another's data."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from kassa import get_state
from kassa.db import (
    Attachment,
    Customer,
    Invoice,
    InvoiceEvent,
    MessageThread,
    OutboxMessage,
    ServiceRequest,
    ShopperCode,
    SupportTask,
    Survey,
)
from kassa.services import conversations
from kassa.services.links import invoice_token
from tests.factories import make_invoice
from tests.oidc_server import OidcProvider, ignore_provider_warnings

TODAY = date.today()
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
KEY = re.compile(r'name="submit_key" value="([^"]+)"')
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def token(html: str) -> str:
    found = CSRF.search(html)
    assert found, html[:400]
    return found.group(1)


def key(html: str) -> str:
    found = KEY.search(html)
    assert found, html[:400]
    return found.group(1)


def sign_in_by_link(client: FlaskClient, invoice_id: int) -> None:
    response = client.get(f"/kassa/account/invoice/{invoice_token(invoice_id)}/mine")
    assert response.status_code == 302 and response.headers["Location"].startswith(
        "/kassa/account/")


def number_of(app: Flask, invoice_id: int) -> str:
    with get_state(app).db.session() as db:
        return db.get_one(Invoice, invoice_id).number


@pytest.fixture
def shop(app: Flask) -> dict[str, int]:
    """Maija has two invoices (two purchases, one e-mail); Sven has one."""
    return {"a1": make_invoice(app, country="FI", sequence=1001, issued=TODAY),
            "a2": make_invoice(app, country="FI", sequence=1002, issued=TODAY,
                               amount=30000),
            "a3": make_invoice(app, country="FI", sequence=1003, issued=TODAY, amount=5000),
            "b1": make_invoice(app, country="SE", sequence=2001, issued=TODAY,
                               email="sven@example.test")}


def test_the_link_opens_every_invoice_of_the_shopper_and_no_one_elses(
        app: Flask, client: FlaskClient, shop: dict[str, int]) -> None:
    sign_in_by_link(client, shop["a1"])
    html = client.get("/kassa/account/").get_data(as_text=True)
    for name in ("a1", "a2", "a3"):
        assert f'data-invoice="{number_of(app, shop[name])}"' in html
    assert number_of(app, shop["b1"]) not in html
    assert "kassa-balance" in html and "479,90" in html  # 129,90 + 300,00 + 50,00


def test_an_address_typed_at_a_checkout_opens_nothing_else(
        app: Flask, client: FlaskClient, shop: dict[str, int]) -> None:
    """Someone checks out with Maija's e-mail address and their own phone: the link in their
    SMS opens their own purchase only. Maija's e-mailed link opens both records."""
    other = make_invoice(app, country="NO", sequence=3001, issued=TODAY, channel="sms")
    sign_in_by_link(client, other)
    html = client.get("/kassa/account/").get_data(as_text=True)
    assert f'data-invoice="{number_of(app, other)}"' in html
    assert number_of(app, shop["a1"]) not in html
    assert client.get(f"/kassa/account/invoices/{number_of(app, shop['a1'])}").status_code == 404
    maija = app.test_client()
    sign_in_by_link(maija, shop["a1"])
    both = maija.get("/kassa/account/").get_data(as_text=True)
    assert number_of(app, other) in both and number_of(app, shop["a1"]) in both


def test_without_a_session_every_page_asks_to_sign_in(client: FlaskClient,
                                                      shop: dict[str, int]) -> None:
    for path in ("/kassa/account/", "/kassa/account/plan", "/kassa/account/details",
                 "/kassa/account/messages", "/kassa/account/callback"):
        response = client.get(path)
        assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_shopper_a_never_reaches_shopper_bs_invoice_request_thread_or_file(
        app: Flask, client: FlaskClient, shop: dict[str, int]) -> None:
    state = get_state(app)
    now = datetime.now(UTC)
    with state.db.session() as db:
        sven = db.get_one(Invoice, shop["b1"]).customer
        thread = conversations.start_thread(
            db, state, sven, subject="Hej", body="En fråga", invoice=None,
            uploads=[conversations.Upload("kvitto.pdf", PDF)], submit_key="k1", now=now)
        thread_id = thread.id
        attachment_id = db.scalars(select(Attachment.id)).one()
        request = ServiceRequest(customer_id=sven.id, invoice_id=shop["b1"], kind="dispute",
                                 status="pending", details={}, submit_key="x", source="pages")
        db.add(request)
        db.flush()
        request_id = request.id
    sign_in_by_link(client, shop["a1"])
    b_number = number_of(app, shop["b1"])
    for path in (f"/kassa/account/invoices/{b_number}",
                 f"/kassa/account/invoices/{b_number}/more-time",
                 f"/kassa/account/invoices/{b_number}/dispute",
                 f"/kassa/account/messages/{thread_id}",
                 f"/kassa/account/attachments/{attachment_id}",
                 f"/kassa/account/requests/{request_id}"):
        assert client.get(path).status_code == 404, path
    page = client.get("/kassa/account/plan").get_data(as_text=True)
    assert b_number not in page
    response = client.post("/kassa/account/plan", data={
        "csrf_token": token(page), "invoice": b_number, "months": "3", "step": "agree",
        "consent": "y", "submit_key": key(page)})
    with state.db.session() as db:
        assert db.get_one(Invoice, shop["b1"]).holds == []
    assert response.status_code == 200


def test_fourteen_more_days_at_once_and_a_second_time_is_a_request(
        app: Flask, client: FlaskClient, shop: dict[str, int]) -> None:
    sign_in_by_link(client, shop["a1"])
    number = number_of(app, shop["a1"])
    page = client.get(f"/kassa/account/invoices/{number}/more-time").get_data(as_text=True)
    data = {"csrf_token": token(page), "submit_key": key(page), "days": "14"}
    first = client.post(f"/kassa/account/invoices/{number}/more-time", data=data)
    again = client.post(f"/kassa/account/invoices/{number}/more-time", data=data)  # double
    assert first.status_code == 302 and again.headers["Location"] == first.headers["Location"]
    with get_state(app).db.session() as db:
        invoice = db.get_one(Invoice, shop["a1"])
        assert invoice.due_date >= TODAY + timedelta(days=28)
        assert [h.reason for h in invoice.holds] == ["extended"]
        assert db.scalars(select(ServiceRequest)).one().status == "granted"
        assert db.scalars(select(OutboxMessage).where(OutboxMessage.kind == "extension")).one()
    done = client.get(first.headers["Location"]).get_data(as_text=True)
    assert 'data-status="granted"' in done


def test_a_plan_over_two_invoices_adds_up_exactly_and_pauses_reminders(
        app: Flask, client: FlaskClient, shop: dict[str, int]) -> None:
    sign_in_by_link(client, shop["a1"])
    n1, n2 = number_of(app, shop["a1"]), number_of(app, shop["a2"])
    page = client.get("/kassa/account/plan").get_data(as_text=True)
    quote = client.post("/kassa/account/plan", data={
        "csrf_token": token(page), "invoice": [n1, n2], "income": "2000", "rent": "800",
        "electricity": "100", "food": "400", "other_debts": "100", "step": "quote",
        "submit_key": key(page)}).get_data(as_text=True)
    # 2000 - 800 - 100 - 400 - 100 = 600 left, half of it 300 a month: 429,90 takes 2 months.
    assert "300,00" in quote
    assert 'value="2" selected' in quote
    refused = client.post("/kassa/account/plan", data={
        "csrf_token": token(quote), "invoice": [n1, n2], "months": "2", "step": "agree",
        "submit_key": key(quote)})
    assert refused.status_code == 200  # no consent: nothing stored
    with get_state(app).db.session() as db:
        assert db.scalars(select(ServiceRequest)).first() is None
    agreed = client.post("/kassa/account/plan", data={
        "csrf_token": token(quote), "invoice": [n1, n2], "months": "2", "step": "agree",
        "consent": "y", "submit_key": key(quote)})
    assert agreed.status_code == 302
    with get_state(app).db.session() as db:
        request = db.scalars(select(ServiceRequest)).one()
        assert request.kind == "plan" and request.status == "granted"
        assert sum(row["amount"] for row in request.details["schedule"]) == 12990 + 30000
        for invoice_id in (shop["a1"], shop["a2"]):
            invoice = db.get_one(Invoice, invoice_id)
            assert invoice.holds and invoice.holds[0].reason in ("plan", "extended")


def test_a_dispute_with_a_photo_pauses_collection_and_html_dressed_as_pdf_is_refused(
        app: Flask, client: FlaskClient, shop: dict[str, int]) -> None:
    sign_in_by_link(client, shop["a3"])
    number = number_of(app, shop["a3"])
    url = f"/kassa/account/invoices/{number}/dispute"
    page = client.get(url).get_data(as_text=True)
    bad = client.post(url, data={
        "csrf_token": token(page), "submit_key": key(page), "reason": "damaged",
        "text": "Rikki", "files": (io.BytesIO(b"<html><script>x</script></html>"),
                                   "kuva.pdf")}, content_type="multipart/form-data")
    assert bad.status_code == 200 and "kuva.pdf" in bad.get_data(as_text=True)
    big = client.post(url, data={
        "csrf_token": token(page), "submit_key": key(page), "reason": "damaged",
        "text": "Rikki", "files": (io.BytesIO(JPEG + b"\x00" * 5_000_001), "iso.jpg")},
        content_type="multipart/form-data")
    assert big.status_code == 200 and "iso.jpg" in big.get_data(as_text=True)
    with get_state(app).db.session() as db:
        assert db.scalars(select(ServiceRequest)).first() is None
    good = client.post(url, data={
        "csrf_token": token(page), "submit_key": key(page), "reason": "damaged",
        "text": "Paketti tuli rikki", "files": (io.BytesIO(JPEG), "kuva.jpg")},
        content_type="multipart/form-data")
    assert good.status_code == 302
    with get_state(app).db.session() as db:
        invoice = db.get_one(Invoice, shop["a3"])
        assert [h.reason for h in invoice.holds] == ["disputed"]
        [file] = db.scalars(select(Attachment)).all()
        assert file.content_type == "image/jpeg" and file.request_id is not None
        assert db.scalars(select(SupportTask).where(
            SupportTask.kind == "dispute_request")).one()


def test_switching_to_sms_and_a_new_email_confirmed_by_code(
        app: Flask, client: FlaskClient, shop: dict[str, int]) -> None:
    sign_in_by_link(client, shop["a1"])
    page = client.get("/kassa/account/details").get_data(as_text=True)
    client.post("/kassa/account/details", data={
        "csrf_token": token(page), "action": "channels", "delivery": "email",
        "reminders": "sms"})
    with get_state(app).db.session() as db:
        assert db.get_one(Invoice, shop["a1"]).customer.reminder_channel == "sms"
    client.post("/kassa/account/details", data={
        "csrf_token": token(page), "action": "email", "email": "maija.new@example.test"})
    with get_state(app).db.session() as db:
        message = db.scalars(select(OutboxMessage).where(
            OutboxMessage.kind == "shopper_code")).one()
        code = message.payload["code"]
    wrong = client.post("/kassa/account/details", data={
        "csrf_token": token(page), "action": "confirm", "code": "000000" if code != "000000"
        else "111111"}).get_data(as_text=True)
    assert 'role="alert"' in wrong
    client.post("/kassa/account/details", data={
        "csrf_token": token(page), "action": "confirm", "code": code})
    with get_state(app).db.session() as db:
        invoice = db.get_one(Invoice, shop["a1"])
        assert invoice.customer.email == "maija.new@example.test"
        assert invoice.billed["email"] == "maija.new@example.test"


def test_a_message_the_teams_reply_and_the_survey_answered_once(
        app: Flask, client: FlaskClient, shop: dict[str, int]) -> None:
    sign_in_by_link(client, shop["a1"])
    page = client.get("/kassa/account/messages/new").get_data(as_text=True)
    sent = client.post("/kassa/account/messages/new", data={
        "csrf_token": token(page), "submit_key": key(page), "subject": "Kysymys",
        "body": "Milloin lasku erääntyy?"})
    assert sent.status_code == 302
    state = get_state(app)
    now = datetime.now(UTC)
    with state.db.session() as db:
        thread = db.scalars(select(MessageThread)).one()
        conversations.add_message(db, state, thread, author="staff", body="Hei! 14 päivän päästä.",
                                  uploads=[], submit_key="r1", now=now, author_name="Aino")
        survey = conversations.resolve_thread(db, state, thread, agent="aino", now=now)
        assert survey is not None
        survey_id = survey.id
        kinds = sorted(m.kind for m in db.scalars(select(OutboxMessage)))
        assert kinds == ["message_reply", "survey"]
    html = client.get(sent.headers["Location"]).get_data(as_text=True)
    assert "14 päivän päästä" in html and "Aino" in html
    url = f"/kassa/account/survey/{conversations.survey_token(app.secret_key, survey_id)}"
    form = client.get(url).get_data(as_text=True)
    answers = {"csrf_token": token(form), "resolved": "yes", "recommend": "9",
               "advisor": "10", "overall": "8"}
    assert client.post(url, data={**answers, "recommend": "11"}).status_code == 200
    for odd in ("²", "9" * 5000, "-1"):  # digits Python reads, but no grade
        refused = client.post(url, data={**answers, "advisor": odd})
        assert refused.status_code == 200 and 'role="alert"' in refused.get_data(as_text=True)
    # An id longer than any record's is not found, never an overflow.
    assert client.get("/kassa/account/messages/99999999999999999999999").status_code == 404
    with state.db.session() as db:
        assert db.get_one(Survey, survey_id).answered_at is None
    client.post(url, data=answers)
    second = client.post(url, data={**answers, "recommend": "0"}).get_data(as_text=True)
    assert 'role="alert"' in second
    with state.db.session() as db:
        answered = db.get_one(Survey, survey_id)
        assert (answered.resolved, answered.recommend, answered.advisor, answered.overall) == (
            True, 9, 10, 8)


def test_sign_in_with_number_and_postcode_then_a_code(
        app: Flask, client: FlaskClient, shop: dict[str, int]) -> None:
    page = client.get("/kassa/account/sign-in").get_data(as_text=True)
    number = number_of(app, shop["a1"])
    wrong = client.post("/kassa/account/sign-in", data={
        "csrf_token": token(page), "number": number, "proof": "99999"})
    assert wrong.status_code == 200 and 'role="alert"' in wrong.get_data(as_text=True)
    sent = client.post("/kassa/account/sign-in", data={
        "csrf_token": token(page), "number": number, "proof": "00 100"})
    assert sent.status_code == 302
    with get_state(app).db.session() as db:
        code = db.scalars(select(OutboxMessage).where(
            OutboxMessage.kind == "shopper_code")).one().payload["code"]
    form = client.get("/kassa/account/sign-in/code").get_data(as_text=True)
    signed = client.post("/kassa/account/sign-in/code", data={"csrf_token": token(form),
                                                              "code": code})
    assert signed.status_code == 302
    assert client.get("/kassa/account/").status_code == 200


def test_five_wrong_codes_use_the_code_up(app: Flask, client: FlaskClient,
                                         shop: dict[str, int]) -> None:
    """Each wrong try counts, even though the page refuses it: after five the right code no
    longer opens the pages."""
    page = client.get("/kassa/account/sign-in").get_data(as_text=True)
    client.post("/kassa/account/sign-in", data={
        "csrf_token": token(page), "number": number_of(app, shop["a1"]), "proof": "00100"})
    with get_state(app).db.session() as db:
        code = db.scalars(select(OutboxMessage).where(
            OutboxMessage.kind == "shopper_code")).one().payload["code"]
    wrong = "000000" if code != "000000" else "111111"
    form = client.get("/kassa/account/sign-in/code").get_data(as_text=True)
    for left in range(4, -1, -1):
        answer = client.post("/kassa/account/sign-in/code",
                             data={"csrf_token": token(form), "code": wrong})
        assert answer.status_code == 200 and 'role="alert"' in answer.get_data(as_text=True)
        with get_state(app).db.session() as db:
            assert db.scalars(select(ShopperCode)).one().attempts == 5 - left
    late = client.post("/kassa/account/sign-in/code",
                       data={"csrf_token": token(form), "code": code})
    assert late.status_code == 200
    assert client.get("/kassa/account/").status_code == 302


def test_a_form_body_larger_than_its_files_may_be_is_refused_unread(
        app: Flask, client: FlaskClient, shop: dict[str, int]) -> None:
    sign_in_by_link(client, shop["a1"])
    page = client.get("/kassa/account/messages/new").get_data(as_text=True)
    limit = get_state(app).config.upload_max_bytes * 5 + 256_000
    huge = client.post("/kassa/account/messages/new", data={
        "csrf_token": token(page), "submit_key": key(page), "subject": "Iso",
        "body": "x", "files": (io.BytesIO(b"0" * (limit + 1)), "iso.txt")},
        content_type="multipart/form-data")
    assert huge.status_code == 413
    with get_state(app).db.session() as db:
        assert db.scalars(select(MessageThread)).first() is None


def test_a_callback_is_booked_inside_opening_hours(app: Flask, client: FlaskClient,
                                                   shop: dict[str, int]) -> None:
    sign_in_by_link(client, shop["a1"])
    page = client.get("/kassa/account/callback").get_data(as_text=True)
    slot = re.search(r'name="slot" value="([^"]+)"', page)
    assert slot
    booked = client.post("/kassa/account/callback", data={
        "csrf_token": token(page), "submit_key": key(page), "slot": slot.group(1),
        "phone": "+358401234567"})
    assert booked.status_code == 302
    with get_state(app).db.session() as db:
        task = db.scalars(select(SupportTask).where(SupportTask.kind == "callback_request")).one()
        moment = datetime.fromisoformat(slot.group(1))
        assert 9 <= moment.hour < 16 and moment.weekday() < 5
        assert task.payload["slot"] == slot.group(1)
    bad = client.post("/kassa/account/callback", data={
        "csrf_token": token(page), "submit_key": "other", "slot": "2020-01-01T03:00:00+02:00",
        "phone": "+358401234567"})
    assert bad.status_code == 200 and 'role="alert"' in bad.get_data(as_text=True)


_ = (Customer, InvoiceEvent)


def test_a_file_the_virus_scanner_refuses_is_not_stored(app: Flask, client: FlaskClient,
                                                          shop: dict[str, int]) -> None:
    # What Kassa(app, scan_upload=...) installs: here a scanner that finds a test signature.
    app.extensions["kassa_scan_upload"] = lambda data, name: b"EICAR" not in data
    sign_in_by_link(client, shop["a1"])
    page = client.get("/kassa/account/messages/new").get_data(as_text=True)
    refused = client.post("/kassa/account/messages/new", data={
        "csrf_token": token(page), "submit_key": key(page), "subject": "Kuitti",
        "body": "Liitteenä", "files": (io.BytesIO(b"%PDF-1.4 EICAR test"), "kuitti.pdf")},
        content_type="multipart/form-data")
    assert refused.status_code == 200 and 'role="alert"' in refused.get_data(as_text=True)
    with get_state(app).db.session() as db:
        assert db.scalars(select(MessageThread)).first() is None
        assert db.scalars(select(Attachment)).first() is None


def test_a_plan_can_be_withdrawn_from_on_the_pages_within_14_days(
        make_app: Callable[..., Flask], db_url: str) -> None:
    from tests.services.credit_support import PRODUCTS, buy

    app = make_app(db_url, KASSA_COUNTRIES=["FI", "NO"], KASSA_PRODUCTS=PRODUCTS,
                   KASSA_STRONG_AUTH_COUNTRIES=[])
    agreement_id = buy(app, "FI", 120000, "fi-12", now=datetime.now(UTC))
    with get_state(app).db.session() as db:
        first = db.scalars(select(Invoice).where(Invoice.agreement_id == agreement_id)
                           .order_by(Invoice.id)).first()
        assert first is not None
        first_id, number = first.id, first.number
    client = app.test_client()
    with app.app_context():
        sign_in_by_link(client, first_id)
    detail = client.get(f"/kassa/account/invoices/{number}").get_data(as_text=True)
    url = f"/kassa/account/agreements/{agreement_id}/withdraw"
    assert url in detail
    page = client.get(url).get_data(as_text=True)
    unconfirmed = client.post(url, data={"csrf_token": token(page)}).get_data(as_text=True)
    assert 'role="alert"' in unconfirmed
    done = client.post(url, data={"csrf_token": token(page), "confirm": "y"})
    assert done.status_code == 200
    html = done.get_data(as_text=True)
    # Nothing paid yet: the 1 200,00 credit and a few days' interest at 0 % = 1 200,00.
    assert "1\u00a0200,00" in html
    with get_state(app).db.session() as db:
        statuses = [i.status for i in db.scalars(select(Invoice).where(
            Invoice.agreement_id == agreement_id))]
        assert statuses.count("cancelled") >= 11
    again = client.get(url + "?lang=en").get_data(as_text=True)
    assert url not in client.get(f"/kassa/account/invoices/{number}").get_data(as_text=True)
    assert "can no longer be withdrawn" in again


@ignore_provider_warnings
def test_a_finnish_plan_needs_the_shoppers_own_bank_identification(
        make_app: Callable[..., Flask], db_url: str) -> None:
    with OidcProvider() as broker:
        broker.set_user("maija", personal_identity_number="131052-308T",
                        name="Maija Meikäläinen")
        broker.set_user("other", personal_identity_number="150385-212V", name="Liisa")
        app = make_app(db_url, KASSA_OIDC_ISSUER=broker.issuer, KASSA_OIDC_CLIENT_ID="kassa",
                       KASSA_OIDC_CLIENT_SECRET="kassa-secret-0123456789")
        invoice_id = make_invoice(app, country="FI", sequence=1001, issued=TODAY)
        client = app.test_client()
        with app.app_context():
            sign_in_by_link(client, invoice_id)
        number = number_of(app, invoice_id)
        page = client.get(f"/kassa/account/plan?invoice={number}").get_data(as_text=True)
        form = {"csrf_token": token(page), "submit_key": key(page), "invoice": number,
                "months": "2", "consent": "y"}
        quote = client.post("/kassa/account/plan", data={**form, "step": "quote"})
        assert "/kassa/account/identify" in quote.get_data(as_text=True)
        refused = client.post("/kassa/account/plan", data={**form, "step": "agree"})
        assert refused.status_code == 200 and 'role="alert"' in refused.get_data(as_text=True)

        def identify_as(sub: str) -> str:
            start = client.post("/kassa/account/identify", data={
                "csrf_token": form["csrf_token"], "next": f"/kassa/account/plan?invoice={number}"})
            assert start.status_code == 302
            back = broker.sign_in(start.headers["Location"], sub)
            answer = client.get(back.replace("http://localhost", ""))
            assert answer.status_code == 302
            return str(answer.headers["Location"])

        # Someone else's bank codes: back to the plan for the same invoice, with the reason.
        assert identify_as("other") == f"/kassa/account/plan?invoice={number}" \
            "&identification=other"
        assert client.post("/kassa/account/plan",
                           data={**form, "step": "agree"}).status_code == 200
        assert "identification" not in identify_as("maija")
        agreed = client.post("/kassa/account/plan", data={**form, "step": "agree"})
        assert agreed.status_code == 302
        with get_state(app).db.session() as db:
            assert db.scalars(select(ServiceRequest)).one().status == "granted"


def test_a_missed_plan_instalment_lets_the_reminders_resume(
        app: Flask, client: FlaskClient, shop: dict[str, int]) -> None:
    from kassa.services.reminders import run_reminders

    sign_in_by_link(client, shop["a2"])
    number = number_of(app, shop["a2"])
    page = client.get(f"/kassa/account/plan?invoice={number}").get_data(as_text=True)
    agreed = client.post("/kassa/account/plan", data={
        "csrf_token": token(page), "submit_key": key(page), "invoice": number, "months": "3",
        "step": "agree", "consent": "y"})
    assert agreed.status_code == 302
    state = get_state(app)
    with state.db.session() as db:
        invoice = db.get_one(Invoice, shop["a2"])
        [plan] = [e for e in invoice.events if e.kind == "plan_agreed"]
        first_due = date.fromisoformat(plan.data["document"]["schedule"][0]["due_date"])
    with app.app_context():
        # A week after the first instalment's day, unpaid: not yet missed.
        run_reminders(state, today=first_due + timedelta(days=7))
        with state.db.session() as db:
            assert [e.kind for e in db.get_one(Invoice, shop["a2"]).events][-1] != "plan_missed"
        run_reminders(state, today=first_due + timedelta(days=40))
    with state.db.session() as db:
        invoice = db.get_one(Invoice, shop["a2"])
        assert "plan_missed" in [e.kind for e in invoice.events]
        assert all(h.ends_on is not None and h.ends_on <= first_due + timedelta(days=40)
                   for h in invoice.holds)


def test_the_session_ends_after_the_idle_minutes(app: Flask, client: FlaskClient,
                                                 shop: dict[str, int]) -> None:
    import time

    sign_in_by_link(client, shop["a1"])
    assert client.get("/kassa/account/").status_code == 200
    idle = get_state(app).config.account_idle_minutes
    with client.session_transaction() as session:
        session["kassa_shopper"] = {**session["kassa_shopper"],
                                    "t": int(time.time()) - idle * 60 - 1}
    ended = client.get("/kassa/account/")
    assert ended.status_code == 302 and "ended=1" in ended.headers["Location"]
    assert client.get("/kassa/account/").status_code == 302  # and it stays ended


def test_every_page_stays_small_and_works_at_360_px_without_scripts(
        app: Flask, client: FlaskClient, shop: dict[str, int]) -> None:
    sign_in_by_link(client, shop["a1"])
    number = number_of(app, shop["a1"])
    for path in ("/kassa/account/", f"/kassa/account/invoices/{number}",
                 f"/kassa/account/invoices/{number}/more-time",
                 f"/kassa/account/invoices/{number}/dispute", "/kassa/account/plan",
                 "/kassa/account/details", "/kassa/account/messages",
                 "/kassa/account/messages/new", "/kassa/account/callback"):
        response = client.get(path)
        html = response.get_data(as_text=True)
        assert response.status_code == 200, path
        assert len(response.data) < 100_000, path
        assert "<script" not in html, path  # every action is a plain form
        assert 'name="viewport"' in html


def test_each_action_is_announced_by_a_signal_after_the_commit(
        app: Flask, client: FlaskClient, shop: dict[str, int]) -> None:
    from kassa.signals import message_posted, service_requested

    heard: list[tuple[str, dict[str, object]]] = []

    def hear(name: str) -> Callable[..., None]:
        return lambda sender, **data: heard.append((name, data))

    on_request, on_message = hear("request"), hear("message")
    service_requested.connect(on_request)
    message_posted.connect(on_message)
    try:
        sign_in_by_link(client, shop["a1"])
        number = number_of(app, shop["a1"])
        page = client.get(f"/kassa/account/invoices/{number}/more-time").get_data(as_text=True)
        client.post(f"/kassa/account/invoices/{number}/more-time", data={
            "csrf_token": token(page), "submit_key": key(page), "days": "14"})
        page = client.get("/kassa/account/messages/new").get_data(as_text=True)
        client.post("/kassa/account/messages/new", data={
            "csrf_token": token(page), "submit_key": key(page), "subject": "Hei",
            "body": "Kiitos!"})
    finally:
        service_requested.disconnect(on_request)
        message_posted.disconnect(on_message)
    assert [(name, data.get("kind") or data.get("author")) for name, data in heard] == [
        ("request", "extension"), ("message", "shopper")]


@pytest.mark.parametrize("junk", [{}, {"days": "x", "months": "abc", "slot": "<script>",
                                       "reason": "\x00", "income": "1e400", "code": "\u0663" * 6,
                                       "invoice": "../../etc", "action": "nope"}])
def test_nothing_a_shopper_sends_produces_a_500(app: Flask, client: FlaskClient,
                                                shop: dict[str, int],
                                                junk: dict[str, str]) -> None:
    sign_in_by_link(client, shop["a1"])
    number = number_of(app, shop["a1"])
    page = client.get("/kassa/account/").get_data(as_text=True)
    csrf = token(page)
    for path in (f"/kassa/account/invoices/{number}/more-time",
                 f"/kassa/account/invoices/{number}/dispute", "/kassa/account/plan",
                 "/kassa/account/details", "/kassa/account/messages/new",
                 "/kassa/account/callback", "/kassa/account/sign-in",
                 "/kassa/account/agreements/1/withdraw", "/kassa/account/survey/bad"):
        for data in (junk, {**junk, "csrf_token": csrf}):
            response = client.post(path, data=data)
            assert response.status_code < 500, (path, data)
    with get_state(app).db.session() as db:
        made = [r.kind for r in db.scalars(select(ServiceRequest))]
        # An empty "more time" form asks for the policy's days, as its button does.
        assert made == ([] if junk else ["extension"])
