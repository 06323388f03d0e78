"""What a shopper does on their own pages (or through the shop's API): who they are, more
time, a payment plan, a dispute, a callback, their contact details and channels.

Every function takes the shopper's *scope*: the ids of the customer records that are theirs
(:func:`customer_scope`). An invoice or request outside the scope is "not found", never
"forbidden": a shopper learns nothing of anyone else's. Each action follows the country's
:class:`~kassa.service_settings.SelfServicePolicy`; within it the action is done at once,
beyond it a :class:`~kassa.db.ServiceRequest` waits for a person with a support task. Every
action lands in the invoice's trail.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..config import CHANNELS, KassaConfig
from ..core.calendar import business_calendar
from ..core.credit import InstallmentProduct, Offer, build_installment_offer
from ..core.errors import CreditError, KassaError
from ..db.bulk import insert_or_ignore
from ..db.models import (
    Agreement,
    Customer,
    Invoice,
    InvoiceEvent,
    Order,
    OutboxMessage,
    SupportTask,
)
from ..db.service_models import ServiceRequest, ShopperCode
from ..signals import send_after_commit, service_decided, service_requested
from ..state import KassaState
from . import tasks
from .holds import active_holds, end_holds, place_hold

#: Invoices a shopper may still act on.
OPEN_STATUSES = ("open", "partly_paid", "overdue")
#: Minutes a one-time code is valid, and wrong tries before it is spent.
CODE_MINUTES = 10
CODE_ATTEMPTS = 5
#: How soon the team should look at a request, a dispute or a message.
TASK_DUE = timedelta(hours=8)
#: Reasons a shopper may give for a dispute.
DISPUTE_REASONS = ("not_received", "returned", "wrong_amount", "already_paid", "damaged",
                   "not_ordered", "other")
#: Longest payment plan, months: a plan's last instalment falls within the year a hold
#: may last (:data:`kassa.services.holds.MAX_HOLD_DAYS`).
MAX_PLAN_MONTHS = 12
#: Longest free text a shopper may send at once.
MAX_TEXT = 4000


class ServiceError(KassaError, ValueError):
    """An action that cannot be done; ``code`` names why (the pages translate it)."""

    code = "service.invalid"
    #: True when what was written before the error must stay (a spent try of a code).
    keep_changes = False


def _app() -> Any:
    """The app signals are sent by (as every Kassa signal), or None outside an app."""
    return current_app._get_current_object() if has_app_context() else None  # type: ignore[attr-defined]


# -- who the shopper is ------------------------------------------------------------------------


def customer_scope(db: Session, customer_id: int) -> list[int]:
    """The customer records that are this shopper's: every record with the same e-mail
    address (a new checkout makes a new record), the given one first."""
    anchor = db.get(Customer, customer_id)
    if anchor is None:
        return []
    email = anchor.email.strip().lower()
    others = db.scalars(select(Customer.id).where(
        func.lower(Customer.email) == email, Customer.id != anchor.id)).all()
    return [anchor.id, *others]


def scoped_invoices(db: Session, scope: Sequence[int],
                    storefront: str | None = None) -> list[Invoice]:
    """The shopper's invoices, newest first; with ``storefront``, only those of its orders
    (a shop acting through the storefront API)."""
    if not scope:
        return []
    query = select(Invoice).where(Invoice.customer_id.in_(scope))
    if storefront is not None:
        query = query.join(Agreement, Invoice.agreement_id == Agreement.id).join(
            Order, Agreement.order_id == Order.id).where(Order.storefront == storefront)
    return list(db.scalars(query.order_by(Invoice.issue_date.desc(), Invoice.id.desc())))


def own_invoice(db: Session, scope: Sequence[int], number: str) -> Invoice:
    """The shopper's invoice ``number``; ``service.not_found`` for anyone else's."""
    invoice = db.scalars(select(Invoice).where(Invoice.number == number)).first() \
        if isinstance(number, str) and len(number) <= 30 else None
    if invoice is None or invoice.customer_id not in scope:
        raise ServiceError(f"no invoice {number!r}", code="service.not_found")
    return invoice


def invoice_for_sign_in(db: Session, number: str, proof: str) -> Invoice | None:
    """The invoice ``number`` if ``proof`` is its postcode or e-mail address, else None."""
    number, proof = number.strip(), proof.strip().lower().replace(" ", "")
    if not number or not proof or len(number) > 30 or len(proof) > 320:
        return None
    invoice = db.scalars(select(Invoice).where(Invoice.number == number)).first()
    if invoice is None:
        return None
    billed = invoice.billed
    known = {str(billed.get("postal_code") or "").lower().replace(" ", ""),
             str(billed.get("email") or "").lower()} - {""}
    return invoice if any(hmac.compare_digest(proof, value) for value in known) else None


# -- one-time codes ----------------------------------------------------------------------------


def _code_digest(state: KassaState, code: ShopperCode, typed: str) -> str:
    """The code's keyed digest: the app's secret key, under Kassa's own label."""
    secret = state.app.secret_key or ""
    key = hmac.new(secret.encode() if isinstance(secret, str) else secret,
                   b"kassa-shopper-code", hashlib.sha256).digest()
    text = f"{code.customer_id}:{code.purpose}:{code.sent_to}:{typed}"
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def send_code(db: Session, state: KassaState, customer: Customer, *, purpose: str,
              channel: str, sent_to: str, locale: str, now: datetime) -> ShopperCode:
    """Make a six-digit code and queue it to ``sent_to`` by ``channel`` (email or sms).
    Earlier unused codes of the same purpose stop working."""
    for old in db.scalars(select(ShopperCode).where(
            ShopperCode.customer_id == customer.id, ShopperCode.purpose == purpose,
            ShopperCode.used_at.is_(None))):
        old.used_at = now
    typed = f"{secrets.randbelow(1_000_000):06d}"
    code = ShopperCode(customer_id=customer.id, purpose=purpose, sent_to=sent_to, digest="",
                       attempts=0, expires_at=now + timedelta(minutes=CODE_MINUTES),
                       created_at=now)
    code.digest = _code_digest(state, code, typed)
    db.add(code)
    db.flush()
    # The code travels in the message until it is sent; the sender blanks it then.
    db.add(OutboxMessage(channel=channel, kind="shopper_code", recipient=sent_to,
                         payload={"code": typed, "locale": locale, "purpose": purpose,
                                  "code_id": code.id}, created_at=now, next_attempt_at=now))
    return code


def check_code(db: Session, state: KassaState, code_id: int, typed: str,
               now: datetime) -> ShopperCode:
    """Spend the code if ``typed`` is right; ``service.code_wrong`` (a try used) or
    ``service.code_expired`` (too late, or too many tries) otherwise."""
    code = db.get(ShopperCode, code_id, with_for_update=True)
    if code is None or code.used_at is not None or code.attempts >= CODE_ATTEMPTS or \
            _aware(code.expires_at) < now:
        raise ServiceError("the code is no longer valid", code="service.code_expired")
    typed = "".join(typed.split())
    if not (typed.isascii() and typed.isdigit() and len(typed) == 6) or not hmac.compare_digest(
            code.digest, _code_digest(state, code, typed)):
        code.attempts += 1
        error = ServiceError("the code is not right", code="service.code_wrong",
                             left=CODE_ATTEMPTS - code.attempts)
        error.keep_changes = True  # the spent try counts: transaction() commits it
        raise error
    code.used_at = now
    return code


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# -- requests ----------------------------------------------------------------------------------


def _existing(db: Session, scope: Sequence[int], submit_key: str) -> ServiceRequest | None:
    return db.scalars(select(ServiceRequest).where(
        ServiceRequest.customer_id.in_(scope), ServiceRequest.submit_key == submit_key)).first()


def _new_request(db: Session, customer_id: int, invoice: Invoice | None, kind: str,
                 status: str, details: dict[str, Any], submit_key: str, source: str,
                 now: datetime) -> ServiceRequest | None:
    """Insert the request once per submit key; None when a double submit got there first."""
    request_id = db.execute(insert_or_ignore(db, ServiceRequest).values(
        customer_id=customer_id, invoice_id=invoice.id if invoice else None, kind=kind,
        status=status, details=details, submit_key=submit_key[:64], source=source,
        created_at=now, decided_at=now if status != "pending" else None,
    ).returning(ServiceRequest.id)).scalar_one_or_none()
    if request_id is None:
        return None
    send_after_commit(db, service_requested, _app(), request_id=request_id, kind=kind,
                      status=status)
    return db.get(ServiceRequest, request_id)


def _task(db: Session, request: ServiceRequest, customer: Customer, case: dict[str, Any],
          now: datetime, due: datetime | None = None) -> None:
    task = SupportTask(invoice_id=request.invoice_id, customer_id=customer.id,
                       kind=f"{request.kind}_request", status="open",
                       payload={"request_id": request.id, "customer": {
                           "name": customer.name, "email": customer.email,
                           "phone": customer.phone, "locale": customer.locale},
                           **case}, due_at=due or now + TASK_DUE, created_at=now)
    db.add(task)
    db.flush()
    request.support_task_id = task.id


def _holdable(invoice: Invoice, today: date) -> None:
    if invoice.status not in OPEN_STATUSES or invoice.balance_minor <= 0:
        raise ServiceError(f"invoice {invoice.number} is {invoice.status}",
                           code="service.not_open")
    if active_holds(invoice, today):
        raise ServiceError(f"invoice {invoice.number} is on hold", code="service.on_hold")


@dataclass(frozen=True)
class ExtensionOption:
    """What "more time" would do to an invoice today."""

    new_due_date: date
    days: int
    fee: int
    #: Granted at once; otherwise the request goes to the team.
    within_policy: bool


def extension_option(config: KassaConfig, invoice: Invoice, today: date,
                     days: int | None = None) -> ExtensionOption:
    """More time on ``invoice``: ``days`` (default the policy's) from its due date, or from
    today for an invoice already overdue."""
    policy = config.self_service[invoice.country]
    wanted = policy.extension_days if days is None else days
    if not 1 <= wanted <= 60:
        raise ServiceError("more time is 1 to 60 days", code="service.days")
    used = sum(1 for event in invoice.events if event.kind == "extended")
    start = max(invoice.due_date, today)
    new_due = business_calendar(invoice.country).next_business_day(
        start + timedelta(days=wanted))
    within = wanted <= policy.extension_days and used < policy.extensions_per_invoice
    return ExtensionOption(new_due, wanted, policy.extension_fee_minor if within else 0, within)


def ask_for_more_time(db: Session, state: KassaState, scope: Sequence[int], number: str, *,
                      days: int | None, note: str, submit_key: str, source: str,
                      now: datetime, today: date) -> ServiceRequest:
    """Grant more time within the policy, else ask the team. Reminders pause until the new
    due date and resume from it."""
    invoice = own_invoice(db, scope, number)
    if (found := _existing(db, scope, submit_key)) is not None:
        return found
    _holdable(invoice, today)
    option = extension_option(state.config, invoice, today, days)
    details = {"days": option.days, "new_due_date": option.new_due_date.isoformat(),
               "previous_due_date": invoice.due_date.isoformat(), "note": _text(note, 1000)}
    status = "granted" if option.within_policy else "pending"
    request = _new_request(db, invoice.customer_id, invoice, "extension", status, details,
                           submit_key, source, now)
    if request is None:
        return _existing_or_fail(db, scope, submit_key)
    if option.within_policy:
        if option.fee:
            invoice.fees_minor += option.fee
            db.add(InvoiceEvent(invoice_id=invoice.id, kind="fee_added", occurred_at=now,
                                data={"amount": option.fee, "reason": "extension"}))
        place_hold(db, invoice, "extended", today=today, new_due_date=option.new_due_date)
    else:
        db.add(InvoiceEvent(invoice_id=invoice.id, kind="extension_requested", occurred_at=now,
                            data={"days": option.days, "request_id": request.id}))
        _task(db, request, invoice.customer, {"invoice": invoice.number, **details}, now)
    return request


def _existing_or_fail(db: Session, scope: Sequence[int], submit_key: str) -> ServiceRequest:
    found = _existing(db, scope, submit_key)
    if found is None:
        raise ServiceError("the request was not stored", code="service.conflict")
    return found


# -- payment plans -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanQuote:
    """A payment plan over one or more open invoices: the credit's figures (Annex I) and
    how each month's payment is split over the invoices."""

    invoices: tuple[str, ...]
    offer: Offer
    #: Per instalment: the invoice number to what of it is paid that month (minor units).
    split: tuple[dict[str, int], ...]
    within_policy: bool
    #: Why the plan is beyond the policy (for the team), empty when within it.
    beyond: tuple[str, ...]


def budget_suggestion(income: int, rent: int, electricity: int, food: int,
                      other_debts: int) -> int:
    """An affordable monthly payment, minor units: half of what is left of the income once
    rent, electricity and food, and then other debts, are paid (never below zero). Living
    costs come first; a plan that leaves nothing to live on helps nobody."""
    left = income - rent - electricity - food - other_debts
    return max(0, left // 2)


def months_for(total: int, monthly: int, policy_max: int) -> int:
    """The fewest months in which ``monthly`` pays ``total`` (2 at least)."""
    if monthly <= 0:
        return policy_max + 1
    return max(2, -(-total // monthly))


def quote_plan(config: KassaConfig, invoices: Sequence[Invoice], months: int,
               today: date) -> PlanQuote:
    """The plan of ``months`` monthly instalments over ``invoices`` (all of one country and
    currency) at the policy's rate and fee; ``service.plan_caps`` if its APR is above the
    country's ceiling."""
    if not invoices:
        raise ServiceError("choose at least one invoice", code="service.plan_invoices")
    country, currency = invoices[0].country, invoices[0].currency
    if any(i.country != country or i.currency != currency for i in invoices):
        raise ServiceError("one plan per currency", code="service.plan_invoices")
    if not 2 <= months <= MAX_PLAN_MONTHS:
        raise ServiceError(f"a plan has 2 to {MAX_PLAN_MONTHS} instalments",
                           code="service.plan_months")
    policy = config.self_service[country]
    total = sum(i.balance_minor for i in invoices)
    product = InstallmentProduct(id="payment-plan", months=months,
                                 nominal_rate=policy.plan_nominal_rate, setup_fee=0,
                                 monthly_fee=policy.plan_monthly_fee_minor, min_amount=1,
                                 max_amount=max(total, 1), currency=currency)
    calendar = business_calendar(country)
    try:
        offer = build_installment_offer(product, total, today, calendar.next_business_day)
    except CreditError:  # fewer cents left than months: nothing to split
        raise ServiceError("too little to split into this many payments",
                           code="service.plan_too_small") from None
    ceiling = config.max_offer_apr.get(country)
    if ceiling is not None and offer.apr > ceiling:
        raise ServiceError(f"APR {offer.apr} % is above {ceiling} %", code="service.plan_caps",
                           apr=str(offer.apr), ceiling=str(ceiling))
    beyond = []
    if months > policy.plan_max_months:
        beyond.append("months")
    if offer.schedule[0].amount < policy.plan_min_instalment_minor:
        beyond.append("min_instalment")
    return PlanQuote(tuple(i.number for i in invoices), offer,
                     _split(invoices, [row.principal for row in offer.schedule]),
                     not beyond, tuple(beyond))


def _split(invoices: Sequence[Invoice], principals: Sequence[int]) -> tuple[dict[str, int], ...]:
    """Each month's principal spread over the invoices, oldest invoice paid first, so that
    every invoice's part adds up to its balance exactly."""
    left = {i.number: i.balance_minor for i in sorted(invoices, key=lambda i: (i.due_date, i.id))}
    months: list[dict[str, int]] = []
    for principal in principals:
        month: dict[str, int] = {}
        for number in left:
            take = min(left[number], principal)
            if take:
                month[number] = take
                left[number] -= take
                principal -= take
        months.append(month)
    return tuple(months)


def agree_plan(db: Session, state: KassaState, scope: Sequence[int], numbers: Sequence[str],
               *, months: int, budget: dict[str, int] | None, consent: bool, submit_key: str,
               source: str, now: datetime, today: date) -> ServiceRequest:
    """Put ``numbers`` on a plan the shopper consented to: within the policy at once (each
    invoice's reminders pause until its last instalment, and a confirmation with the
    schedule is sent), beyond it as a request to the team."""
    if not consent:
        raise ServiceError("the plan needs your consent", code="service.consent")
    invoices = [own_invoice(db, scope, number) for number in dict.fromkeys(numbers)]
    if (found := _existing(db, scope, submit_key)) is not None:
        return found
    for invoice in invoices:
        _holdable(invoice, today)
    quote = quote_plan(state.config, invoices, months, today)
    details = {"invoices": list(quote.invoices), "months": months, "budget": budget or {},
               "apr": str(quote.offer.apr), "total_cost": quote.offer.total_cost,
               "total_payable": quote.offer.total_payable, "credit_amount":
               quote.offer.credit_amount, "monthly_amount": quote.offer.monthly_amount,
               "schedule": [{"due_date": row.due_date.isoformat(), "amount": row.amount,
                             "principal": row.principal, "interest": row.interest,
                             "fee": row.fee} for row in quote.offer.schedule],
               "beyond": list(quote.beyond)}
    status = "granted" if quote.within_policy else "pending"
    request = _new_request(db, invoices[0].customer_id, invoices[0], "plan", status, details,
                           submit_key, source, now)
    if request is None:
        return _existing_or_fail(db, scope, submit_key)
    if quote.within_policy:
        put_on_plan(db, invoices, quote, today, now)
    else:
        for invoice in invoices:
            db.add(InvoiceEvent(invoice_id=invoice.id, kind="plan_requested", occurred_at=now,
                                data={"request_id": request.id, "months": months}))
        _task(db, request, invoices[0].customer, details, now)
    return request


def put_on_plan(db: Session, invoices: Sequence[Invoice], quote: PlanQuote, today: date,
                now: datetime) -> None:
    """Apply a plan: interest and fees of the plan are added to the first invoice, and each
    invoice gets its own instalments (the months it is paid in)."""
    by_number = {i.number: i for i in invoices}
    extra = quote.offer.total_cost
    first = by_number[quote.invoices[0]]
    if extra:
        first.fees_minor += extra
        db.add(InvoiceEvent(invoice_id=first.id, kind="fee_added", occurred_at=now,
                            data={"amount": extra, "reason": "plan"}))
    for number, invoice in by_number.items():
        rows = [(row.due_date, month.get(number, 0) + (
            row.interest + row.fee if number == quote.invoices[0] else 0))
            for row, month in zip(quote.offer.schedule, quote.split, strict=True)]
        rows = [(day, amount) for day, amount in rows if amount > 0]
        if len(rows) == 1:  # paid within one month of the plan: more time, not a plan
            if rows[0][0] > max(invoice.due_date, today):
                place_hold(db, invoice, "extended", today=today, new_due_date=rows[0][0])
            continue
        place_hold(db, invoice, "plan", today=today, instalments=rows)


# -- disputes and callbacks --------------------------------------------------------------------


def open_dispute(db: Session, state: KassaState, scope: Sequence[int], number: str, *,
                 reason: str, text: str, submit_key: str, source: str, now: datetime,
                 today: date) -> ServiceRequest:
    """Pause collection of ``number`` and give the team a task to look into it."""
    invoice = own_invoice(db, scope, number)
    if (found := _existing(db, scope, submit_key)) is not None:
        return found
    if reason not in DISPUTE_REASONS:
        raise ServiceError(f"unknown reason {reason!r}", code="service.reason")
    if invoice.status not in (*OPEN_STATUSES, "paid"):
        raise ServiceError(f"invoice {invoice.number} is {invoice.status}",
                           code="service.not_open")
    details = {"reason": reason, "text": _text(text, MAX_TEXT)}
    request = _new_request(db, invoice.customer_id, invoice, "dispute", "pending", details,
                           submit_key, source, now)
    if request is None:
        return _existing_or_fail(db, scope, submit_key)
    if invoice.status in OPEN_STATUSES:
        # Beside more time or a plan, which go on if the team finds the claim right.
        place_hold(db, invoice, "disputed", today=today)
    _task(db, request, invoice.customer, {"invoice": invoice.number, **details}, now)
    return request


def callback_slots(config: KassaConfig, country: str, now: datetime,
                   count: int = 12) -> list[datetime]:
    """The next free half hours inside the team's opening hours, at least 30 minutes away."""
    hours = config.support_hours[country]
    slots: list[datetime] = []
    moment = hours.next_open(now + timedelta(minutes=30))
    while moment is not None and len(slots) < count:
        local = moment.astimezone(hours.zone)
        start = local.replace(minute=0, second=0, microsecond=0)
        while start < local:  # the next whole or half hour
            start += timedelta(minutes=30)
        if hours.is_open(start):
            slots.append(start)
            moment = start + timedelta(minutes=30)
        else:
            moment = hours.next_open(start)
    return slots


def ask_for_callback(db: Session, state: KassaState, scope: Sequence[int], *, slot: str,
                     phone: str, topic: str, number: str | None, submit_key: str, source: str,
                     now: datetime) -> ServiceRequest:
    """Book a call from the team at ``slot`` (one of :func:`callback_slots`)."""
    invoice = own_invoice(db, scope, number) if number else None
    if (found := _existing(db, scope, submit_key)) is not None:
        return found
    customer = invoice.customer if invoice else db.get_one(Customer, scope[0])
    country = invoice.country if invoice else customer.country
    wanted = next((s for s in callback_slots(state.config, country, now)
                   if s.isoformat() == slot), None)
    if wanted is None:
        raise ServiceError("choose one of the times shown", code="service.slot")
    number_text = "".join(phone.split())
    if not 6 <= len(number_text) <= 20 or not number_text.lstrip("+").isdigit():
        raise ServiceError("a phone number, please", code="service.phone")
    details = {"slot": wanted.isoformat(), "phone": number_text, "topic": _text(topic, 500)}
    request = _new_request(db, customer.id, invoice, "callback", "pending", details,
                           submit_key, source, now)
    if request is None:
        return _existing_or_fail(db, scope, submit_key)
    _task(db, request, customer, {"invoice": number, **details}, now,
          due=wanted.astimezone(UTC))
    return request


# -- contact details and channels --------------------------------------------------------------


def change_address(db: Session, scope: Sequence[int], *, street: str, postal_code: str,
                   city: str, now: datetime, storefront: str | None = None) -> None:
    """The new postal address on every record of the shopper and on the open invoices, for
    the letters still to come; with ``storefront``, on the open invoices of its orders only."""
    values = {"street": _text(street, 200), "postal_code": _text(postal_code, 20),
              "city": _text(city, 100)}
    if not all(values.values()):
        raise ServiceError("street, postcode and city, please", code="service.address")
    apply_contact(db, scope, values, now, storefront)


def apply_contact(db: Session, scope: Sequence[int], values: dict[str, str],
                   now: datetime, storefront: str | None = None) -> None:
    for customer in db.scalars(select(Customer).where(Customer.id.in_(scope))):
        for key, value in values.items():
            setattr(customer, key, value)
    for invoice in scoped_invoices(db, scope, storefront):
        if invoice.status in OPEN_STATUSES:
            before = {key: invoice.billed.get(key) for key in values}
            invoice.billed_to = {**invoice.billed, **values}
            db.add(InvoiceEvent(invoice_id=invoice.id, kind="contact_changed", occurred_at=now,
                                data={"fields": sorted(values), "before": before}))


def clean_email(value: str) -> str:
    """An e-mail address as typed, checked for its shape (``service.email``)."""
    value = (value or "").strip()
    if "@" not in value or len(value) > 320 or any(c.isspace() for c in value) or \
            value.startswith("@") or value.endswith("@"):
        raise ServiceError("bad e-mail", code="service.email")
    return value


def clean_phone(value: str) -> str:
    """A phone number without spaces: 6 to 20 digits, a leading + allowed (``service.phone``)."""
    value = "".join((value or "").split())
    if not 6 <= len(value) <= 20 or not value.lstrip("+").isdigit() or "+" in value[1:]:
        raise ServiceError("bad phone", code="service.phone")
    return value


def confirm_contact(db: Session, state: KassaState, scope: Sequence[int], code_id: int,
                    typed: str, now: datetime) -> str:
    """Apply the new e-mail address or phone number once its code is right; the field."""
    code = check_code(db, state, code_id, typed, now)
    if code.customer_id not in scope or code.purpose not in ("confirm_email", "confirm_phone"):
        raise ServiceError("the code is no longer valid", code="service.code_expired")
    field = "email" if code.purpose == "confirm_email" else "phone"
    apply_contact(db, scope, {field: code.sent_to}, now)
    return field


def set_channels(db: Session, state: KassaState, scope: Sequence[int], *, delivery: str,
                 reminders: str, now: datetime, storefront: str | None = None) -> None:
    """The channel for invoices still to be sent (and resends), and for reminders; with
    ``storefront``, for the open invoices of its orders only."""
    allowed = set(state.config.channels) | {"email"}
    if delivery not in allowed or reminders not in allowed | {"sms"} or \
            delivery not in CHANNELS:
        raise ServiceError("choose one of the channels shown", code="service.channel")
    customers = list(db.scalars(select(Customer).where(Customer.id.in_(scope))))
    if "sms" in (delivery, reminders) and not any(c.phone for c in customers):
        raise ServiceError("add a phone number first", code="service.no_phone")
    for customer in customers:
        customer.reminder_channel = reminders
    for invoice in scoped_invoices(db, scope, storefront):
        if invoice.status in OPEN_STATUSES and invoice.channel != delivery:
            db.add(InvoiceEvent(invoice_id=invoice.id, kind="channel_changed", occurred_at=now,
                                data={"before": invoice.channel, "after": delivery,
                                      "reminders": reminders}))
            invoice.channel = delivery


# -- the team's side ---------------------------------------------------------------------------


def decide(db: Session, state: KassaState, request: ServiceRequest, *, grant: bool,
           note: str, by: str, now: datetime, today: date) -> ServiceRequest:
    """The team's decision on a pending request. More time and plans granted are applied as
    asked; a dispute granted keeps collection paused for the correction (a credit note),
    refused lets reminders resume; a callback is ``done`` either way."""
    if request.status != "pending":
        raise ServiceError(f"request {request.id} is {request.status}",
                           code="service.decided")
    invoice = db.get(Invoice, request.invoice_id) if request.invoice_id else None
    if grant and request.kind == "extension" and invoice is not None:
        place_hold(db, invoice, "extended", today=today,
                   new_due_date=date.fromisoformat(request.details["new_due_date"]))
    elif grant and request.kind == "plan":
        invoices = [db.scalars(select(Invoice).where(Invoice.number == n)).one()
                    for n in request.details["invoices"]]
        put_on_plan(db, invoices, quote_plan(state.config, invoices, request.details["months"],
                                             today), today, now)
    elif request.kind == "dispute" and invoice is not None and not grant:
        # The claim stands: the dispute's pause ends; more time or a plan agreed before it
        # goes on as agreed.
        end_holds(db, invoice, today=today, reasons=("disputed",))
    request.status = "done" if request.kind == "callback" else (
        "granted" if grant else "refused")
    request.decision = {"by": _text(by, 100), "note": _text(note, MAX_TEXT),
                        "granted": grant}
    request.decided_at = now
    send_after_commit(db, service_decided, _app(), request_id=request.id, kind=request.kind,
                      status=request.status)
    if invoice is not None:
        db.add(InvoiceEvent(invoice_id=invoice.id, kind=f"{request.kind}_decided",
                            occurred_at=now, data={"granted": grant, "request_id": request.id}))
    if request.support_task_id is not None:
        task = db.get(SupportTask, request.support_task_id)
        if task is not None and task.status == "open":
            tasks.finish(db, state, task, now)
    return request


def _text(value: str, limit: int) -> str:
    text = (value or "").strip()
    if len(text) > limit:
        raise ServiceError(f"at most {limit} characters", code="service.too_long", limit=limit)
    if any(ord(c) < 32 and c not in "\n\r\t" for c in text):
        raise ServiceError("control characters are not allowed", code="service.characters")
    return text
