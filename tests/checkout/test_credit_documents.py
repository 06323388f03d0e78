"""Pre-contract information before consent, and the credit documents kept at confirmation:
the hosted page links each credit offer's SECCI and explains it in plain words, the link
serves only its own open session, and confirming keeps both PDFs, unchanged, with the
figures of the offer the shopper accepted."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, date, datetime, timedelta
from html import unescape

import pytest
from flask import Flask
from sqlalchemy import select, text

from kassa import get_state
from kassa.db import Agreement, AgreementDocument, CheckoutSession
from kassa.i18n import catalog, format_money, format_numeric_day, format_percent
from kassa.services.checkout import session_offers
from tests.documents import pdf_text

from .support import PREFIX, SE_ID, csrf_token, open_session

LINK = re.compile(r'<a href="([^"]+)" type="application/pdf" data-kassa-precontract="([^"]+)"')


def plain(value: str) -> str:
    return " ".join(value.replace("\u00a0", " ").replace("\u202f", " ").split())


def offers(app: Flask, session_id: str):  # type: ignore[no-untyped-def]
    state = get_state(app)
    with state.db.session() as db:
        return session_offers(state.config, db.get(CheckoutSession, session_id), date.today())


def confirm(app: Flask, session_id: str, offer: str) -> object:
    client = app.test_client()
    page = client.get(f"{PREFIX}/{session_id}").get_data(as_text=True)
    response = client.post(f"{PREFIX}/{session_id}", data={
        "csrf_token": csrf_token(page), "offer": offer, "channel": "email",
        "personal_id": SE_ID, "consent": "y"})
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    return client


def kept(app: Flask, session_id: str) -> tuple[dict[str, AgreementDocument], dict]:  # type: ignore[type-arg]
    with get_state(app).db.session() as db:
        cs = db.get(CheckoutSession, session_id)
        agreement = db.scalar(select(Agreement).where(Agreement.order_id == cs.order_id))
        rows = db.scalars(select(AgreementDocument).where(
            AgreementDocument.agreement_id == agreement.id)).all()
        db.expunge_all()
        return {row.kind: row for row in rows}, agreement.terms


def test_each_credit_offer_links_its_precontract_information_before_the_consent(
        app: Flask) -> None:
    session_id = open_session(app, total=1249900)
    client = app.test_client()
    page = client.get(f"{PREFIX}/{session_id}").get_data(as_text=True)
    links = {offer_id: unescape(url) for url, offer_id in LINK.findall(page)}
    credit = [o for o in offers(app, session_id) if o.consumer_credit]
    assert sorted(links) == sorted(o.id for o in credit)
    assert any(o.method == "installments" for o in credit)
    consent = page.index('id="consent"')
    for offer in credit:
        assert page.index(f'data-kassa-precontract="{offer.id}"') < consent
        response = client.get(links[offer.id])
        assert response.status_code == 200 and response.mimetype == "application/pdf"
        shown = plain(pdf_text(response.data))
        for figure in (format_percent(offer.apr, "sv"),
                       format_money(offer.total_payable, "SEK", "sv"),
                       format_money(offer.credit_amount, "SEK", "sv")):
            assert plain(figure) in shown, (offer.id, figure)
        for instalment in offer.schedule:
            assert format_numeric_day(instalment.due_date, "sv") in shown
    # In plain words beside each plan: what it costs in all, and more than the price by how much.
    plan = next(o for o in credit if o.method == "installments" and o.total_cost)
    words = catalog("sv").ugettext(
        "In plain words: you pay %(total)s in all, which is %(cost)s more than the price of "
        "your purchase. The difference is interest and fees.") % {
        "total": format_money(plan.total_payable, "SEK", "sv"),
        "cost": format_money(plan.total_cost, "SEK", "sv")}
    assert words in unescape(page)


def test_the_precontract_information_follows_the_pages_language(app: Flask) -> None:
    session_id = open_session(app)
    client = app.test_client()
    page = client.get(f"{PREFIX}/{session_id}?lang=fi").get_data(as_text=True)
    url = unescape(LINK.findall(page)[-1][0])
    assert "lang=fi" in url
    shown = pdf_text(client.get(url).data)
    assert "Vakiomuotoiset eurooppalaiset kuluttajaluottotiedot" in shown
    assert "Todellinen vuosikorko" in shown


def test_the_link_serves_only_its_own_open_session(app: Flask) -> None:
    swedish = open_session(app, total=1249900, reference="A-1")
    plan = next(o for o in offers(app, swedish) if o.method == "installments")
    client = app.test_client()
    assert client.get(f"{PREFIX}/{swedish}/precontract/{plan.id}.pdf").status_code == 200
    # Another session: a Finnish order has no Swedish plan, a small one not this plan.
    finnish = open_session(app, country="FI", total=49900, reference="A-2")
    small = open_session(app, total=1000, reference="A-3")
    assert plan.id not in {o.id for o in offers(app, small)}
    for other in (finnish, small, "cs_nobody"):
        response = client.get(f"{PREFIX}/{other}/precontract/{plan.id}.pdf")
        assert response.status_code == 404, other
        assert response.mimetype == "text/html"
    # A session whose time is up has no page any more, nor documents.
    expired = open_session(app, total=1249900, reference="A-4",
                           now=datetime.now(UTC) - timedelta(days=2))
    assert client.get(f"{PREFIX}/{expired}/precontract/{plan.id}.pdf").status_code == 404


def test_confirmation_keeps_both_documents_with_the_accepted_offers_figures(
        app: Flask) -> None:
    session_id = open_session(app, total=1249900)
    plan = next(o for o in offers(app, session_id) if o.method == "installments")
    confirm(app, session_id, plan.id)
    documents, terms = kept(app, session_id)
    assert set(documents) == {"agreement", "precontract"}
    offer = terms["offer"]
    assert (offer["apr"], offer["total_payable"]) == (str(plan.apr), plan.total_payable)
    for kind, document in documents.items():
        assert document.locale == "sv"
        assert document.sha256 == hashlib.sha256(document.content).hexdigest()
        shown = plain(pdf_text(document.content))
        for figure in (format_percent(plan.apr, "sv"), format_money(plan.total_payable, "SEK",
                                                                     "sv"),
                       format_money(plan.total_cost, "SEK", "sv")):
            assert plain(figure) in shown, (kind, figure)
        for item in offer["schedule"]:
            assert plain(format_money(item["amount"], "SEK", "sv")) in shown
            assert format_numeric_day(date.fromisoformat(item["due_date"]), "sv") in shown
    agreement = plain(pdf_text(documents["agreement"].content))
    assert "Sven Svensson" in agreement and "A-100" in agreement


def test_kept_documents_cannot_be_changed_or_removed(app: Flask) -> None:
    session_id = open_session(app, total=1249900)
    plan = next(o for o in offers(app, session_id) if o.method == "installments")
    confirm(app, session_id, plan.id)
    state = get_state(app)
    before, _terms = kept(app, session_id)
    with state.db.session() as db:
        document = db.scalars(select(AgreementDocument)).first()
        document.content = b"%PDF- something else"
        with pytest.raises(ValueError, match="as the shopper received it"):
            db.flush()
        db.rollback()
    with state.db.session() as db:
        with pytest.raises(ValueError, match="as the shopper received it"):
            db.delete(db.scalars(select(AgreementDocument)).first())
            db.flush()
        db.rollback()
    after, _terms = kept(app, session_id)
    assert {k: d.content for k, d in after.items()} == {k: d.content for k, d in before.items()}


def test_an_offer_that_is_not_credit_keeps_no_credit_documents(app: Flask) -> None:
    session_id = open_session(app)
    invoice = next(o for o in offers(app, session_id) if o.method == "invoice")
    confirm(app, session_id, invoice.id)
    documents, _terms = kept(app, session_id)
    assert bool(documents) == invoice.consumer_credit


def test_the_thank_you_page_serves_the_kept_documents_to_the_shopper_only(app: Flask) -> None:
    session_id = open_session(app, total=1249900)
    plan = next(o for o in offers(app, session_id) if o.method == "installments")
    shopper = confirm(app, session_id, plan.id)
    done = shopper.get(f"{PREFIX}/{session_id}/done").get_data(as_text=True)  # type: ignore[attr-defined]
    found = re.findall(r'<a href="([^"]+)" type="application/pdf" '
                       r'data-kassa-document="(\w+)"', done)
    urls = {kind: url for url, kind in found}
    assert set(urls) == {"agreement", "precontract"}
    documents, _terms = kept(app, session_id)
    for kind, url in urls.items():
        response = shopper.get(unescape(url))  # type: ignore[attr-defined]
        assert response.status_code == 200 and response.data == documents[kind].content
        assert app.test_client().get(unescape(url)).status_code == 404
    assert "data-kassa-document" not in app.test_client().get(
        f"{PREFIX}/{session_id}/done").get_data(as_text=True)


def test_a_cancelled_checkout_serves_no_precontract_information(app: Flask) -> None:
    session_id = open_session(app, total=1249900)
    credit = [o.id for o in offers(app, session_id) if o.consumer_credit]
    with get_state(app).db.session() as db:
        db.execute(text("UPDATE kassa_checkout_sessions SET status = 'cancelled' WHERE id = :id"),
                   {"id": session_id})
    client = app.test_client()
    assert client.get(f"{PREFIX}/{session_id}").status_code == 410
    for offer_id in credit:
        assert client.get(f"{PREFIX}/{session_id}/precontract/{offer_id}.pdf").status_code == 404
