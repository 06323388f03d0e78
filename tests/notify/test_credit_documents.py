"""The credit documents reach the shopper on a durable medium: an e-mail, through a real SMTP
server, with the agreement and its pre-contract information attached exactly as kept."""

from __future__ import annotations

from datetime import UTC, date, datetime

from flask import Flask
from sqlalchemy import select, text

from kassa import get_state
from kassa.db import Agreement, AgreementDocument, CheckoutSession, OutboxMessage
from kassa.i18n import catalog
from kassa.notify.outbox import deliver_pending
from kassa.services.checkout import confirm_checkout, session_offers
from tests.checkout.support import SE_ID, open_session

from .conftest import SmtpServer


def confirm_plan(app: Flask) -> int:
    """A Swedish order confirmed on an instalment plan; returns the agreement's id."""
    session_id = open_session(app, total=1249900)
    state = get_state(app)
    with app.app_context(), state.db.session() as db:
        cs = db.get(CheckoutSession, session_id)
        plan = next(o for o in session_offers(state.config, cs, date.today())
                    if o.method == "installments")
        result = confirm_checkout(db, state, cs, offer_id=plan.id, channel="email",
                                  personal_id=SE_ID, consent=True, today=date.today(),
                                  now=datetime.now(UTC), base_url="http://localhost")
        return result.agreement.id


def credit_mails(smtp_server: SmtpServer) -> list:  # type: ignore[type-arg]
    subject = catalog("sv").ugettext("Your credit agreement with %(shop)s") % {
        "shop": "Kassa demo shop"}
    return [mail for mail in smtp_server.messages() if mail["Subject"] == subject]


def test_the_shopper_gets_both_kept_documents_by_email(app: Flask,
                                                        smtp_server: SmtpServer) -> None:
    agreement_id = confirm_plan(app)
    state = get_state(app)
    with app.app_context():
        deliver_pending(state, now=datetime.now(UTC))
    mails = credit_mails(smtp_server)
    assert len(mails) == 1
    mail = mails[0]
    assert mail["To"] == "sven@example.se" and mail["Content-Language"] == "sv"
    attached = {part.get_filename(): part.get_content() for part in mail.iter_attachments()}
    with state.db.session() as db:
        kept = {row.kind: row.content for row in db.scalars(select(AgreementDocument).where(
            AgreementDocument.agreement_id == agreement_id))}
        reference = db.get(Agreement, agreement_id).order.external_id
    assert attached == {f"kreditavtal-{reference}.pdf": kept["agreement"],
                        f"konsumentkreditinformation-{reference}.pdf": kept["precontract"]}
    body = mail.get_body(("plain",)).get_content()
    assert "14 dagar" in body  # the withdrawal period, from the rule book


def test_a_document_that_no_longer_matches_its_digest_is_not_sent(
        app: Flask, smtp_server: SmtpServer) -> None:
    agreement_id = confirm_plan(app)
    state = get_state(app)
    with state.db.session() as db:  # behind the application's back, straight in the table
        db.execute(text("UPDATE kassa_agreement_documents SET content = :content "
                        "WHERE agreement_id = :id AND kind = 'agreement'"),
                   {"content": b"%PDF-1.4 other terms", "id": agreement_id})
    with app.app_context():
        deliver_pending(state, now=datetime.now(UTC))
    assert credit_mails(smtp_server) == []
    with state.db.session() as db:
        message = db.scalars(select(OutboxMessage).where(
            OutboxMessage.kind == "credit_documents")).one()
        assert message.status == "dead" and "SHA-256" in (message.last_error or "")
