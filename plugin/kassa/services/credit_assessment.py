"""The creditworthiness assessment before every credit decision, its record, and a review by
a person.

:func:`assess_credit` runs inside the confirmation (:func:`kassa.services.checkout.
confirm_checkout`), after the identity and the age are checked:

1. for an offer that is credit (:func:`is_credit_offer`), the country's credit register
   (:mod:`kassa.services.credit_registers`) is asked about the person;
2. the shop's own history is read: open balance, overdue invoices, earlier invoices and how
   many of them went overdue;
3. the decider (the merchant's, or :func:`~kassa.services.credit_decision.
   default_credit_decider`) decides; a credit ban reported by the register declines whatever
   the decider says;
4. the decision is recorded (:class:`~kassa.db.models.CreditDecisionRecord`) with what it
   was based on, without the identity number.

A declined shopper may ask a person to review the decision (:func:`request_review`): that
makes one ``credit_review`` task in the support queue per decision. A register that does not
answer declines credit offers with ``checkout.register_unavailable`` (503) unless
``KASSA_CREDIT_REGISTER_UNAVAILABLE = "merchant_history"``. docs/consumer-credit.md explains
the rules and their legal basis.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..core.credit import Offer
from ..core.credit_register import RegisterReport, RegisterUnavailable
from ..core.identity import PersonalId
from ..db.bulk import insert_or_ignore
from ..db.models import (
    CheckoutSession,
    CreditDecisionRecord,
    CreditReview,
    Customer,
    DunningStep,
    Invoice,
    SupportTask,
)
from ..errors import KassaHTTPError
from ..state import KassaState
from .credit_decision import (
    CreditApplication,
    CreditDecision,
    RuleCheck,
    default_credit_decider,
)
from .order_input import CONTROL_CHARACTERS

__all__ = [
    "MAX_REVIEW_NOTE_LENGTH",
    "REVIEW_TASK_KIND",
    "REVIEW_TASK_SLA",
    "assess_credit",
    "find_reviewable_decision",
    "is_credit_offer",
    "request_review",
]

logger = logging.getLogger("kassa")

#: The support task a review request makes.
REVIEW_TASK_KIND = "credit_review"
#: When the team should have looked at a review request (the support queue's deadline).
REVIEW_TASK_SLA = timedelta(hours=24)
#: The longest note a shopper may add to a review request, in characters.
MAX_REVIEW_NOTE_LENGTH = 1000
#: Decision results a person may be asked to review (not "unavailable": trying again later is
#: the answer to a register that did not answer).
_REVIEWABLE = ("declined",)


def is_credit_offer(offer: Offer) -> bool:
    """Whether ``offer`` is consumer credit, so that the register is asked before granting it:
    the offer's own answer (``Offer.consumer_credit``, set by :mod:`kassa.core.credit_scope`
    through :func:`kassa.services.offers.offers_for_amount`). The one place that decides it."""
    return offer.consumer_credit


def assess_credit(db: Session, state: KassaState, cs: CheckoutSession, offer: Offer,
                  person: PersonalId, *, age: int, digests: list[str], open_balance: int,
                  overdue_invoices: int, now: datetime) -> CreditDecisionRecord:
    """Assess the shopper and decide; returns the record of an approval, not yet added to
    ``db`` (the confirmation adds it with the customer and the agreement).

    A decline is recorded at once in a transaction of its own (the refusal rolls the
    confirmation back) and raised as :class:`~kassa.errors.KassaHTTPError`:
    ``checkout.declined`` (422) or ``checkout.age`` (a merchant's decider said so), or
    ``checkout.register_unavailable`` (503); each carries ``decision_id``.
    """
    config = state.config
    credit = is_credit_offer(offer)
    earlier, late = _history(db, digests)
    report, register_status, register_error = _ask_register(state, cs, person, credit)
    inputs: dict[str, Any] = {
        "age": age, "amount": cs.total_minor, "open_balance": open_balance,
        "overdue_invoices": overdue_invoices, "earlier_invoices": earlier,
        "late_invoices": late, "open_balance_cap": config.open_balance_cap.get(cs.country, 0),
        "register": report.as_json() if report else None,
        "register_name": getattr(state.credit_registers.get(cs.country), "name", None),
        "register_error": register_error,
        "max_payment_defaults": config.credit_max_payment_defaults,
        "max_unsecured_debt": config.credit_max_unsecured_debt.get(cs.country),
        "max_debt_to_income_pct": None if config.credit_max_debt_to_income_pct is None
        else str(config.credit_max_debt_to_income_pct),
    }
    record = CreditDecisionRecord(
        public_id="cd_" + secrets.token_urlsafe(18), checkout_session_id=cs.id,
        country=cs.country, currency=cs.currency, amount_minor=cs.total_minor,
        offer_id=offer.id, method=offer.method, credit_offer=credit,
        personal_id_digest=digests[0], personal_id_masked=person.masked,
        register_status=register_status, inputs=inputs, automated=True, decided_at=now)
    if register_status == "unavailable" and config.credit_register_unavailable == "decline":
        record.rules = {"decider": "kassa", "checks": [
            {"rule": "register_available", "outcome": "failed"}]}
        record.result, record.reason = "unavailable", "register_unavailable"
        _record_apart(state, record)
        raise KassaHTTPError("checkout.register_unavailable", "the credit register did not "
                             "answer; credit offers are not available right now", status=503,
                             decision_id=record.public_id, session_id=cs.id)

    application = CreditApplication(
        country=cs.country, currency=cs.currency, method=offer.method, offer_id=offer.id,
        amount=cs.total_minor, age=age, open_balance=open_balance,
        overdue_invoices=overdue_invoices, open_balance_cap=inputs["open_balance_cap"],
        earlier_invoices=earlier, late_invoices=late, register=report,
        max_payment_defaults=config.credit_max_payment_defaults,
        max_unsecured_debt=config.credit_max_unsecured_debt.get(cs.country),
        max_debt_to_income_pct=config.credit_max_debt_to_income_pct)
    decider = state.credit_decider or default_credit_decider
    decision = _enforce_credit_ban(decider(application), report)
    checks = decision.checks or (RuleCheck(
        "merchant_decider", "passed" if decision.approved else "failed",
        {"reason": decision.reason}),)
    record.rules = {"decider": "merchant" if state.credit_decider else "kassa",
                    "checks": [check.as_json() for check in checks]}
    record.result = "approved" if decision.approved else "declined"
    record.reason = decision.reason
    if decision.approved:
        return record
    _record_apart(state, record)
    if decision.reason == "age":
        raise KassaHTTPError("checkout.age", "the shopper must be 18 or older", age=age,
                             decision_id=record.public_id, session_id=cs.id)
    raise KassaHTTPError("checkout.declined", "credit declined", reason=decision.reason,
                         decision_id=record.public_id, session_id=cs.id)


def _enforce_credit_ban(decision: CreditDecision, report: RegisterReport | None
                        ) -> CreditDecision:
    """No credit against a voluntary credit ban, whatever a merchant's decider says."""
    if report is None or not report.credit_ban or (
            not decision.approved and decision.reason == "credit_ban"):
        return decision
    enforced = RuleCheck("credit_ban", "failed", {"enforced_over_decider": True})
    return replace(decision, approved=False, reason="credit_ban",
                   checks=(*decision.checks, enforced))


def _ask_register(state: KassaState, cs: CheckoutSession, person: PersonalId, credit: bool
                  ) -> tuple[RegisterReport | None, str, str | None]:
    """``(report, status, error)``: the register's answer, or why there is none."""
    if not credit:
        return None, "not_needed", None
    register = state.credit_registers.get(cs.country)
    if register is None:
        return None, "not_configured", None
    try:
        report = register.report(person, amount=cs.total_minor, currency=cs.currency)
    except RegisterUnavailable as exc:
        logger.warning("Kassa: %s", exc.message)
        return None, "unavailable", exc.message
    except Exception as exc:  # an integrator's adapter failed: decide as if unreachable
        logger.exception("Kassa: the credit register adapter for %s failed", cs.country)
        return None, "unavailable", f"adapter failed ({type(exc).__name__})"
    if not isinstance(report, RegisterReport):
        return None, "unavailable", "the adapter did not return a RegisterReport"
    return report, "checked", None


def _history(db: Session, digests: list[str]) -> tuple[int, int]:
    """``(invoices, late invoices)`` of every customer record with this identity number's
    digest: how many invoices the person had with this shop and how many went overdue (had
    a friendly contact after their due date)."""
    went_overdue = select(DunningStep.id).where(DunningStep.invoice_id == Invoice.id,
                                                DunningStep.kind == "friendly").exists()
    row = db.execute(select(func.count(Invoice.id), func.count(Invoice.id).filter(went_overdue))
                     .join(Customer, Invoice.customer_id == Customer.id)
                     .where(Customer.personal_id_digest.in_(digests))).one()
    return int(row[0]), int(row[1])


def _record_apart(state: KassaState, record: CreditDecisionRecord) -> None:
    """Commit a decline's record in a transaction of its own, before the refusal rolls back
    the confirmation's (which has written nothing yet)."""
    with state.db.session() as db:
        db.add(record)


# -- a review by a person --------------------------------------------------------------------


def request_review(db: Session, cs: CheckoutSession, decision_id: str, *, now: datetime,
                   via: str, note: str | None = None) -> SupportTask:
    """Ask a person at the shop to review the automated decision ``decision_id`` of ``cs``:
    a ``credit_review`` task in the support queue, once per decision (asking again returns
    the same task).

    Raises ``credit_review.not_found`` (404) for a decision that is not this session's, or
    that was an approval. The shopper's contact details are the session's; the task names the
    person by the masked number and the digest only.
    """
    record = find_reviewable_decision(db, cs, decision_id)
    if record is None:
        raise KassaHTTPError("credit_review.not_found", "no declined credit decision "
                             f"{decision_id!r} for this checkout", status=404)
    existing = _review_task(db, record)
    if existing is not None:
        return existing
    details = cs.customer
    customer = Customer(country=cs.country, locale=cs.locale, name=details["name"],
                        email=details["email"], phone=details.get("phone"),
                        street=details.get("street"), postal_code=details.get("postal_code"),
                        city=details.get("city"), personal_id_digest=record.personal_id_digest,
                        personal_id_masked=record.personal_id_masked, identity_verified=False)
    db.add(customer)
    db.flush()
    task = SupportTask(customer_id=customer.id, kind=REVIEW_TASK_KIND, status="open",
                       payload=_review_case(cs, record, note), due_at=now + REVIEW_TASK_SLA,
                       created_at=now)
    db.add(task)
    db.flush()
    claimed = db.execute(insert_or_ignore(db, CreditReview).values(
        decision_id=record.id, support_task_id=task.id, requested_via=via, requested_at=now,
    ).returning(CreditReview.id)).scalar_one_or_none()
    if claimed is None:  # a request running at the same time made the task first
        db.delete(task)
        db.delete(customer)
        db.flush()
        found = _review_task(db, record)
        assert found is not None
        return found
    return task


def find_reviewable_decision(db: Session, cs: CheckoutSession, decision_id: str
                             ) -> CreditDecisionRecord | None:
    """The declined, automated decision ``decision_id`` of ``cs``; None for any other id."""
    if len(decision_id) > 40 or CONTROL_CHARACTERS.search(decision_id):
        return None
    record = db.scalar(select(CreditDecisionRecord).where(
        CreditDecisionRecord.public_id == decision_id,
        CreditDecisionRecord.checkout_session_id == cs.id))
    if record is None or record.result not in _REVIEWABLE or not record.automated:
        return None
    return record


def _review_task(db: Session, record: CreditDecisionRecord) -> SupportTask | None:
    return db.scalar(select(SupportTask).join(
        CreditReview, CreditReview.support_task_id == SupportTask.id).where(
        CreditReview.decision_id == record.id))


def _review_case(cs: CheckoutSession, record: CreditDecisionRecord,
                 note: str | None) -> dict[str, Any]:
    """What the person reviewing needs: the decision and its figures, the order and how to
    reach the shopper (in their language)."""
    details = cs.customer
    return {
        "type": "credit.review_requested",
        "decision": {"id": record.public_id, "result": record.result, "reason": record.reason,
                     "decided_at": record.decided_at.isoformat(), "automated": record.automated,
                     "register_status": record.register_status, "inputs": record.inputs,
                     "rules": record.rules},
        "order": {"storefront": cs.storefront, "reference": cs.external_id,
                  "checkout_session": cs.id, "amount": record.amount_minor,
                  "currency": record.currency, "offer_id": record.offer_id,
                  "method": record.method},
        "customer": {"name": details.get("name"), "email": details.get("email"),
                     "phone": details.get("phone"), "locale": cs.locale,
                     "country": cs.country, "personal_id_masked": record.personal_id_masked},
        "shopper_note": (note or "").strip()[:MAX_REVIEW_NOTE_LENGTH] or None,
    }
