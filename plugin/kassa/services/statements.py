"""Importing bank statements: match each payment to the invoice whose reference it carries.

:func:`import_statement` reads a camt.053 or camt.054 file (:mod:`kassa.core.camt`) and,
in **one transaction for the whole file**, books every payment it can match through
:func:`~kassa.services.payments.record_payment` and puts every other one on the review
list. A file that cannot be read raises :class:`~kassa.core.camt.StatementError` before
anything is written; an error half-way rolls the whole file back. Either the whole file is
imported or none of it, so importing it again (after a failure, or a second time by
mistake) is always safe.

**Idempotence.** Each payment is keyed ``("bank", external_id)`` with
``external_id = "<account IBAN or ->:<bank_id>"`` (:func:`bank_external_id`), the key the
bank guarantees unique. :class:`~kassa.db.models.Payment` is unique on that key and every
row is written with ``INSERT ... ON CONFLICT DO NOTHING``, so a second import of the same
file, even one running at the same moment in another process, books nothing twice: it
waits for the first to commit and then finds each payment there (a *duplicate*).

**Matching.** :func:`~kassa.core.camt.reference_candidates` gives the references to try,
the structured one first, then those found in the free text; the first candidate that is
an issued invoice's reference (exactly, references are stored compact) wins. Then:

- same currency as the invoice: booked, whatever the invoice's state. A payment on an
  invoice already paid, or more than its balance, is booked as well, so that the money is
  visible: the invoice is ``paid`` and the trail entry's ``surplus`` says how much to refund;
- another currency: not booked; on the review list (reason ``currency``), its reference
  being the invoice's;
- no candidate is an invoice's reference: on the review list (reason ``reference``), its
  reference being the first candidate, if any.

**Reversals.** A booked debit with ``RvslInd`` (the bank took back a credit) is never undone
automatically: it goes on the review list (reason ``reversal``) as a payment with a
**negative** amount, the invoice untouched. The sign keeps the review list truthful (the
rows add up to what moved on the account) and makes a reversal impossible to book as money
received by mistake: :func:`~kassa.services.payments.record_payment` refuses amounts that
are not positive.

**The review list** is the :class:`~kassa.db.models.Payment` rows of source ``"bank"``
without an invoice (:func:`unmatched_payments`). Each one placed there sends the
``payment-unmatched`` signal after the commit, with the reason.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..core.camt import Statement, StatementPayment, parse_statement, reference_candidates
from ..db.bulk import insert_or_ignore
from ..db.models import Invoice, Payment, utcnow
from ..signals import payment_unmatched, send_after_commit
from ..state import KassaState
from .payments import record_payment

__all__ = [
    "BANK_SOURCE",
    "ImportReport",
    "ReviewItem",
    "ReviewReason",
    "bank_external_id",
    "book_statement",
    "import_statement",
    "unmatched_payments",
]

#: ``Payment.source`` of money read from bank statements.
BANK_SOURCE = "bank"
#: Why a payment is on the review list: no invoice has its reference, the invoice is in
#: another currency, or the bank took back an earlier credit.
ReviewReason = Literal["reference", "currency", "reversal"]

_EXTERNAL_ID_MAX = 100  # Payment.external_id
_REFERENCE_MAX = 35  # Payment.reference, and ISO 20022's Max35Text for a creditor reference


@dataclass(frozen=True)
class ReviewItem:
    """A payment this import put on the review list."""

    #: The :class:`~kassa.db.models.Payment` row.
    payment_id: int
    #: The bank's id of the entry (:attr:`StatementPayment.bank_id`).
    bank_id: str
    reason: ReviewReason
    #: Minor units; negative for a reversal.
    amount: int
    currency: str
    #: The reference stored on the payment: the invoice's for ``currency`` (and for a
    #: reversal whose reference is an invoice's), else the first candidate, or None.
    reference: str | None
    #: The invoice the reference names, when it names one (``currency``, ``reversal``).
    invoice_id: int | None
    payer: str | None


@dataclass(frozen=True)
class ImportReport:
    """What one import did. Every payment of the file counts once in ``matched``,
    ``unmatched`` or ``duplicates``; ``partial``, ``overpaid`` and ``reversals`` are parts
    of those counts."""

    #: ``"camt.053"`` or ``"camt.054"``.
    kind: str
    #: The file's ``GrpHdr/MsgId``.
    message_id: str
    #: The business day of the import.
    imported_on: date
    #: Payments booked on an invoice now, partial and over-payments included.
    matched: int
    #: Of ``matched``: the invoice still has something to pay (``partly_paid``).
    partial: int
    #: Of ``matched``: more was paid than the invoice's balance (the trail says how much).
    overpaid: int
    #: Payments put on the review list now, reversals and wrong currencies included.
    unmatched: int
    #: Payments imported before (booked or on the review list): nothing done.
    duplicates: int
    #: Entries that are not customer payments (debits, pending, ...); see ``skipped_reasons``.
    skipped: int
    #: Of ``unmatched``: reversals of earlier credits.
    reversals: int
    #: The payments put on the review list, in file order.
    review: tuple[ReviewItem, ...] = ()
    #: One line per skipped entry, saying why (from the parser).
    skipped_reasons: tuple[str, ...] = ()

    def summary(self) -> str:
        """One line for people, e.g. ``"12 matched (2 partly), 1 over-paid, 3 to review,
        0 already imported, 4 skipped"``."""
        return (
            f"{self.matched} matched ({self.partial} partly), {self.overpaid} over-paid, "
            f"{self.unmatched} to review, {self.duplicates} already imported, "
            f"{self.skipped} skipped"
        )


def import_statement(state: KassaState, data: bytes, *, today: date) -> ImportReport:
    """Import the camt.053/054 file ``data``: book what matches, list the rest for review.

    The whole file is one transaction (see the module documentation): it is imported
    completely or not at all, and importing it again changes nothing.

    :param data: the file's bytes as received from the bank.
    :param today: the business day of the import, reported and sent with the signals;
        each payment is dated by its booking day (``received_on``).
    :raises StatementError: the file cannot be read; nothing is written.
    """
    statement = parse_statement(data)  # before any database work: a bad file writes nothing
    with state.db.session() as db:
        return book_statement(db, state, statement, today=today)


def book_statement(
    db: Session, state: KassaState, statement: Statement, *, today: date
) -> ImportReport:
    """Book a parsed statement in ``db``; the caller commits.

    :func:`import_statement` is this in a transaction of its own. The invoices the file pays
    are locked (``FOR UPDATE`` on PostgreSQL) in id order before anything is written, so
    that imports running at the same time wait for each other instead of deadlocking.
    """
    plans = [(payment, reference_candidates(payment)) for payment in statement.payments]
    wanted = {candidate for _, candidates in plans for candidate in candidates}
    by_reference: dict[str, Invoice] = {}
    if wanted:
        by_reference = {
            invoice.reference: invoice
            for invoice in db.scalars(select(Invoice).where(Invoice.reference.in_(wanted)))
        }
    matches = [
        (
            payment,
            candidates,
            next((by_reference[c] for c in candidates if c in by_reference), None),
        )
        for payment, candidates in plans
    ]
    to_lock = sorted(
        {invoice.id for payment, _, invoice in matches if invoice and not payment.reversal}
    )
    if to_lock:
        db.execute(
            select(Invoice.id).where(Invoice.id.in_(to_lock)).order_by(Invoice.id).with_for_update()
        )

    counts = {"matched": 0, "partial": 0, "overpaid": 0, "duplicates": 0, "reversals": 0}
    review: list[ReviewItem] = []
    for payment, candidates, invoice in matches:
        external_id = bank_external_id(payment.account_iban, payment.bank_id)
        reason: ReviewReason
        if payment.reversal:
            reason = "reversal"
        elif invoice is None:
            reason = "reference"
        elif payment.currency != invoice.currency:
            reason = "currency"
        else:
            booked = record_payment(
                db,
                invoice,
                source=BANK_SOURCE,
                external_id=external_id,
                amount=payment.amount,
                currency=payment.currency,
                received_on=payment.booked_on,
                reference=invoice.reference,
                app=state.app,
            )
            if booked is None:
                counts["duplicates"] += 1
            else:
                counts["matched"] += 1
                counts["partial"] += invoice.status == "partly_paid"
                counts["overpaid"] += invoice.balance_minor < 0
            continue
        item = _to_review(db, state, payment, external_id, reason, candidates, invoice, today)
        if item is None:
            counts["duplicates"] += 1
        else:
            review.append(item)
            counts["reversals"] += item.reason == "reversal"

    return ImportReport(
        kind=statement.kind,
        message_id=statement.message_id,
        imported_on=today,
        unmatched=len(review),
        skipped=len(statement.skipped),
        review=tuple(review),
        skipped_reasons=tuple(statement.skipped),
        **counts,
    )


def bank_external_id(account_iban: str | None, bank_id: str) -> str:
    """The idempotency key of a statement payment: ``"<IBAN or ->:<bank_id>"``.

    Banks keep entry ids unique per account only, hence the IBAN. A key longer than the
    column's 100 characters becomes ``sha256:<hex digest of the key>``, still one per key.
    """
    key = f"{account_iban or '-'}:{bank_id}"
    if len(key) <= _EXTERNAL_ID_MAX:
        return key
    return "sha256:" + hashlib.sha256(key.encode("utf-8")).hexdigest()


def _to_review(
    db: Session,
    state: KassaState,
    payment: StatementPayment,
    external_id: str,
    reason: ReviewReason,
    candidates: list[str],
    invoice: Invoice | None,
    today: date,
) -> ReviewItem | None:
    """Put ``payment`` on the review list; None if it is there (or booked) already."""
    reference = invoice.reference if invoice is not None else (candidates or [None])[0]
    if reference is not None:
        reference = reference[:_REFERENCE_MAX]
    amount = -payment.amount if reason == "reversal" else payment.amount
    payment_id = db.execute(
        insert_or_ignore(db, Payment)
        .values(
            invoice_id=None,
            source=BANK_SOURCE,
            external_id=external_id,
            currency=payment.currency,
            amount_minor=amount,
            reference=reference,
            received_on=payment.booked_on,
            created_at=utcnow(),
        )
        .returning(Payment.id)
    ).scalar_one_or_none()
    if payment_id is None:
        return None
    item = ReviewItem(
        payment_id=payment_id,
        bank_id=payment.bank_id,
        reason=reason,
        amount=amount,
        currency=payment.currency,
        reference=reference,
        invoice_id=invoice.id if invoice is not None else None,
        payer=payment.payer,
    )
    send_after_commit(
        db,
        payment_unmatched,
        state.app,
        payment_id=payment_id,
        amount=amount,
        currency=payment.currency,
        reference=reference,
        reason=reason,
        invoice_id=item.invoice_id,
        external_id=external_id,
        received_on=payment.booked_on,
        imported_on=today,
    )
    return item


def unmatched_payments(db: Session) -> list[dict[str, Any]]:
    """The review list as JSON-ready dicts, oldest first: bank payments without an invoice.

    ``amount`` is in minor units, negative for a reversal. ``reason`` is worked out from
    what is stored: ``reversal`` for a negative amount; ``currency`` when the reference is
    an invoice's in another currency; ``reference`` otherwise (including a reference that
    became an invoice's only after the import).
    """
    rows = db.execute(
        select(Payment, Invoice.currency)
        .outerjoin(Invoice, Invoice.reference == Payment.reference)
        .where(Payment.invoice_id.is_(None), Payment.source == BANK_SOURCE)
        .order_by(Payment.received_on, Payment.id)
    ).all()
    return [
        {
            "id": payment.id,
            "amount": payment.amount_minor,
            "currency": payment.currency,
            "reference": payment.reference,
            "received_on": payment.received_on.isoformat(),
            "external_id": payment.external_id,
            "reason": _review_reason(payment, invoice_currency),
        }
        for payment, invoice_currency in rows
    ]


def unmatched_count(db: Session) -> int:
    """How many bank payments wait for the team to find their invoice."""
    return int(db.scalar(select(func.count(Payment.id)).where(
        Payment.invoice_id.is_(None), Payment.source == BANK_SOURCE)) or 0)


def _review_reason(payment: Payment, invoice_currency: str | None) -> ReviewReason:
    if payment.amount_minor < 0:
        return "reversal"
    if invoice_currency is not None and invoice_currency != payment.currency:
        return "currency"
    return "reference"
