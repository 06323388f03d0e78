"""A checkout's credit documents: which offers need them, the pre-contract information shown
before consent, and both documents kept, unchanged, once the shopper has consented.

The pre-contract information of an offer is rendered from the checkout session on request
(the hosted page links one per credit offer). At confirmation :func:`store_credit_documents`
renders the pre-contract information and the credit agreement from the agreement's own terms
snapshot, keeps them as :class:`~kassa.db.models.AgreementDocument` rows and queues the
e-mail that gives them to the shopper on a durable medium (outbox kind ``credit_documents``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..config import KassaConfig
from ..core.credit import Offer
from ..db.models import (
    Agreement,
    AgreementDocument,
    CheckoutSession,
    Customer,
    OutboxMessage,
    as_utc,
)
from ..invoicing.credit_documents import CreditDocumentFacts, agreement_pdf, precontract_pdf
from .order_input import read_lines
from .reminder_policy import late_payment_terms
from .representation import late_payment_json, offer_json

__all__ = ["DOCUMENT_KINDS", "agreement_documents", "document_is_intact", "needs_credit_documents",
           "precontract_for_session", "store_credit_documents"]

#: The documents of a credit agreement, in the order they are attached and listed.
DOCUMENT_KINDS = ("agreement", "precontract")
#: The outbox kind of the e-mail that carries them.
OUTBOX_KIND = "credit_documents"


def needs_credit_documents(offer: Offer) -> bool:
    """Whether ``offer`` is consumer credit, so that it needs pre-contract information and a
    credit agreement: the one place that decides it for these documents.

    The offer services set :attr:`~kassa.core.credit.Offer.consumer_credit` from the
    country's rules (:mod:`kassa.core.credit_scope`); an offer nobody has decided about
    counts as credit, the safe side.
    """
    return offer.consumer_credit


def precontract_for_session(config: KassaConfig, cs: CheckoutSession, offer: Offer,
                            locale: str, today: date) -> bytes:
    """The pre-contract information of ``offer`` (one of the session's offers) for this
    session's order, as a PDF in ``locale``, with the late-payment terms in force ``today``
    and the session's expiry as the offer's validity."""
    late = late_payment_json(late_payment_terms(config, cs.country, today))
    return precontract_pdf(_facts(config, cs, offer_json(offer), late, today), config, locale)


def store_credit_documents(db: Session, config: KassaConfig, cs: CheckoutSession,
                           agreement: Agreement, customer: Customer, *, today: date,
                           now: datetime) -> list[AgreementDocument]:
    """Render the agreement's pre-contract information and credit agreement in its language
    from its terms snapshot, keep them, and queue their e-mail to ``customer``; call it in
    the confirmation's transaction, after the agreement is flushed."""
    terms = agreement.terms
    base = _facts(config, cs, terms["offer"], terms.get("late_payment"), today)
    signed = replace(base, consumer=_consumer(customer),
                     consumer_id_masked=customer.personal_id_masked, concluded_at=now,
                     reference=cs.external_id)
    rendered = {
        "agreement": agreement_pdf(signed, config, agreement.locale, created_at=now),
        "precontract": precontract_pdf(base, config, agreement.locale, created_at=now),
    }
    documents = [AgreementDocument(agreement_id=agreement.id, kind=kind,
                                   locale=agreement.locale, content=content,
                                   sha256=hashlib.sha256(content).hexdigest(), created_at=now)
                 for kind, content in rendered.items()]
    db.add_all(documents)
    db.add(OutboxMessage(channel="email", kind=OUTBOX_KIND, recipient=customer.email,
                         payload={"agreement_id": agreement.id, "locale": agreement.locale}))
    db.flush()
    return documents


def agreement_documents(db: Session, agreement_id: int) -> list[AgreementDocument]:
    """The kept documents of an agreement: the agreement first, then the pre-contract
    information; empty for an agreement that is not credit or was made before they were."""
    rows = db.scalars(select(AgreementDocument).where(
        AgreementDocument.agreement_id == agreement_id)).all()
    return sorted(rows, key=lambda row: DOCUMENT_KINDS.index(row.kind)
                  if row.kind in DOCUMENT_KINDS else len(DOCUMENT_KINDS))


def document_is_intact(document: AgreementDocument) -> bool:
    """Whether the kept bytes still have the SHA-256 recorded with them."""
    return hashlib.sha256(document.content).hexdigest() == document.sha256


def _facts(config: KassaConfig, cs: CheckoutSession, offer: Mapping[str, Any],
           late_payment: Mapping[str, Any] | None, today: date) -> CreditDocumentFacts:
    lines = read_lines(cs.lines["items"], cs.currency)
    book = config.rulebook
    return CreditDocumentFacts(
        offer=offer, late_payment=late_payment, country=cs.country,
        goods=tuple((line.description, line.quantity, line.total.minor) for line in lines),
        cash_price=cs.total_minor,
        withdrawal_days=int(book.value(cs.country, "credit_withdrawal_days", today)),
        withdrawal_repay_days=int(book.value(cs.country, "credit_withdrawal_repay_days", today)),
        valid_until=as_utc(cs.expires_at),
    )


def _consumer(customer: Customer) -> dict[str, Any]:
    return {"name": customer.name, "street": customer.street,
            "postal_code": customer.postal_code, "city": customer.city,
            "email": customer.email, "phone": customer.phone}
