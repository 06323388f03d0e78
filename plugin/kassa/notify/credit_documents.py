"""The credit documents by e-mail: the credit agreement and its pre-contract information,
attached as the very PDFs kept at confirmation, so that the shopper has on a durable medium
exactly what they consented to.

A message of its own (outbox kind ``credit_documents``, queued with the agreement) rather than
attachments to the invoice e-mail: the documents are due when the credit is agreed, whatever
the invoice's channel (SMS, letter, e-invoice) and even when the invoices are issued only at
fulfilment; and the withdrawal period runs from when the shopper has them.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid

from sqlalchemy.orm import Session

from ..config import KassaConfig
from ..db.models import Agreement, AgreementDocument, OutboxMessage
from ..i18n import document_filename, format_money, format_percent, normalize_locale, translator
from ..services.credit_documents import agreement_documents, document_is_intact
from ..state import KassaState
from .email import send_email
from .http import DeliveryResult
from .outbox import PermanentDeliveryError

__all__ = ["build_credit_documents_email", "send_credit_documents_email"]


def build_credit_documents_email(agreement: Agreement, documents: list[AgreementDocument],
                                 config: KassaConfig, locale: str, *, recipient: str,
                                 now: datetime) -> EmailMessage:
    """The e-mail in ``locale`` with the agreement's kept documents attached, each named
    in its own language (``luottosopimus-<order>.pdf``, ``kreditavtal-<order>.pdf``);
    ``now`` (UTC) is the ``Date`` header."""
    _ = translator(locale)
    offer = agreement.terms.get("offer") or {}
    currency = str(offer.get("currency") or agreement.order.currency)
    reference = agreement.order.external_id
    withdrawal_days = int(config.rulebook.value(agreement.order.country,
                                                "credit_withdrawal_days",
                                                agreement.accepted_at.date()))
    body = [
        _("Hello %(name)s,", name=agreement.customer.name),
        _("Thank you for your purchase at %(shop)s. Attached are your credit agreement for "
          "order %(reference)s and its pre-contract information. Please keep them.",
          shop=config.shop_name, reference=reference),
    ]
    if "total_payable" in offer and "apr" in offer:
        body.append(_("In all you pay %(total)s; the annual percentage rate (APR) is "
                      "%(apr)s. The payment schedule is in the agreement.",
                      total=format_money(int(offer["total_payable"]), currency, locale),
                      apr=format_percent(Decimal(str(offer["apr"])), locale)))
    body += [
        _("You may withdraw from the credit agreement within %(days)s days of receiving "
          "this message, without giving a reason: just reply to it. The agreement tells "
          "you what happens then.", days=withdrawal_days),
        _("Kind regards,") + "\n" + config.shop_name,
    ]
    mail = EmailMessage()
    mail["Subject"] = _("Your credit agreement with %(shop)s", shop=config.shop_name)
    mail["From"] = formataddr((config.shop_name, config.mail_from))
    mail["To"] = recipient
    mail["Date"] = format_datetime(now)
    mail["Message-ID"] = make_msgid("kassa", domain=config.mail_from.rpartition("@")[2]
                                    or "localhost")
    mail.set_content("\n\n".join(body) + "\n")
    for document in documents:
        mail.add_attachment(document.content, maintype="application", subtype="pdf",
                            filename=document_filename(document.kind, reference,
                                                       document.locale))
    mail["Content-Language"] = locale  # last: attaching moves the Content-* headers
    return mail


def send_credit_documents_email(db: Session, state: KassaState, message: OutboxMessage,
                                now: datetime) -> DeliveryResult | None:
    """Send the documents of the agreement ``message`` names; never a document whose bytes
    no longer match their recorded SHA-256."""
    payload = message.payload or {}
    agreement_id = payload.get("agreement_id")
    agreement = db.get(Agreement, agreement_id) if isinstance(agreement_id, int) else None
    if agreement is None:
        raise PermanentDeliveryError(f"agreement {agreement_id!r} does not exist")
    documents = agreement_documents(db, agreement.id)
    if not documents:
        raise PermanentDeliveryError(f"agreement {agreement.id} has no credit documents")
    if not all(document_is_intact(document) for document in documents):
        raise PermanentDeliveryError(f"a document of agreement {agreement.id} does not match "
                                     "its SHA-256; it is not sent")
    locale = (normalize_locale(payload.get("locale")) or normalize_locale(agreement.locale)
              or state.config.default_locale)
    send_email(build_credit_documents_email(agreement, documents, state.config, locale,
                                            recipient=message.recipient, now=now),
               state.config)
    return None
