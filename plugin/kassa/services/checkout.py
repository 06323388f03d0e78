"""Checkout: from a storefront's checkout session to a confirmed order and issued invoices.

The storefront creates a session with the order and customer; the shopper (hosted page or
widget) confirms it with the chosen offer, delivery channel, identity and consent. Every
refusal is a :class:`~kassa.errors.KassaHTTPError` with a stable code and an HTTP status,
raised before anything is written, so bad input changes nothing. Confirming is idempotent:
the session moves from ``open`` to ``completed`` with one conditional UPDATE, so a double
submit, even from two processes at once, produces one order.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ..config import COUNTRY_CURRENCY, KassaConfig
from ..core.credit import Offer
from ..core.errors import IdentityError
from ..core.identity import PersonalId, parse_personal_id
from ..db.models import (
    Agreement,
    CheckoutSession,
    Customer,
    Invoice,
    Order,
    OrderLine,
    as_utc,
)
from ..db.personal_ids import store_check_value
from ..errors import KassaHTTPError
from ..i18n import normalize_locale
from ..signals import order_confirmed, send_after_commit
from ..state import KassaState
from .credit_assessment import assess_credit
from .credit_decision import ADULT_AGE
from .credit_documents import needs_credit_documents, store_credit_documents
from .credit_reporting import queue_new_credit
from .invoicing import issue_invoices
from .offers import offers_for_amount
from .order_input import (
    CONTROL_CHARACTERS,
    MAX_LOCALE_LENGTH,
    MAX_REFERENCE_LENGTH,
    read_customer,
    read_lines,
    read_mapping,
    read_text,
    read_url,
    refuse_control_characters,
)
from .reminder_policy import late_payment_terms
from .representation import agreement_of, late_payment_json, offer_json

#: Invoice statuses that still expect money.
OPEN_STATUSES = ("open", "partly_paid", "overdue")


@dataclass(frozen=True)
class ConfirmResult:
    """What a confirmed checkout produced."""

    order: Order
    agreement: Agreement
    invoices: list[Invoice]


# -- sessions --------------------------------------------------------------------------------


def create_checkout_session(db: Session, config: KassaConfig, storefront: str,
                            data: Mapping[str, Any], now: datetime
                            ) -> tuple[CheckoutSession, str]:
    """Validate a storefront's order and open a session; returns it and its client secret."""
    if not isinstance(data, Mapping):
        raise KassaHTTPError("request.json", "the body must be a JSON object", status=400)
    order = read_mapping(data.get("order"), "order")
    customer = read_mapping(data.get("customer"), "customer")
    country = str(order.get("country", "")).upper()
    currency = str(order.get("currency", "")).upper()
    if country not in config.countries:
        raise KassaHTTPError("checkout.country", f"country {country!r} is not served",
                             country=country)
    if COUNTRY_CURRENCY[country] != currency:
        raise KassaHTTPError("checkout.currency", f"{country} orders are in "
                             f"{COUNTRY_CURRENCY[country]}, not {currency!r}",
                             country=country, currency=currency)
    reference = read_text(order, "reference", MAX_REFERENCE_LENGTH, "order.reference")
    limit = config.max_order_amount[country]
    lines = read_lines(order.get("lines"), currency, limit)
    total = order.get("total")
    computed = sum(line.total.minor for line in lines)
    if isinstance(total, bool) or not isinstance(total, int) or total != computed:
        raise KassaHTTPError("checkout.totals", f"the order total {total!r} does not equal the "
                             f"sum of its lines ({computed})",
                             total=total, lines_total=computed)
    if total <= 0:
        raise KassaHTTPError("checkout.totals", "the order total must be positive")
    if total > limit:
        raise KassaHTTPError("checkout.amount_limit", f"the order total {total} is above "
                             f"KASSA_MAX_ORDER_AMOUNT for {country} ({limit} minor units)",
                             total=total)
    customer_data = read_customer(customer)
    locale = data.get("locale")
    refuse_control_characters(locale, "locale")
    if locale is not None and (not isinstance(locale, str) or len(locale) > MAX_LOCALE_LENGTH):
        raise KassaHTTPError("request.field", "locale must be a language tag such as 'sv'",
                             field="locale")
    return_url = read_url(data.get("return_url"), "return_url")
    cancel_url = read_url(data.get("cancel_url"), "cancel_url")
    existing = db.scalar(select(CheckoutSession).where(
        CheckoutSession.storefront == storefront, CheckoutSession.external_id == reference))
    if existing is not None:
        raise KassaHTTPError("checkout.duplicate", f"order {reference!r} already has a checkout "
                             f"session ({existing.id})", status=409,
                             session_id=existing.id)
    secret = "cs_secret_" + secrets.token_urlsafe(24)
    row = CheckoutSession(
        id="cs_" + secrets.token_urlsafe(18), secret_digest=_digest(secret),
        storefront=storefront, external_id=reference, status="open", country=country,
        currency=currency, total_minor=total,
        lines={"items": [{"description": li.description, "quantity": li.quantity,
                          "unit_price": li.unit_price.minor, "vat_rate": str(li.vat_rate)}
                         for li in lines]},
        customer=customer_data,
        locale=normalize_locale(locale) or config.default_locale,
        return_url=return_url,
        cancel_url=cancel_url,
        expires_at=now + timedelta(minutes=config.session_ttl_minutes),
    )
    db.add(row)
    db.flush()
    return row, secret


def find_checkout_session(db: Session, session_id: str) -> CheckoutSession | None:
    """The session with ``session_id``, or None; also for text no session id can be (a NUL,
    which PostgreSQL refuses to even compare, or any other control character)."""
    if CONTROL_CHARACTERS.search(session_id) or len(session_id) > 100:
        return None
    return db.get(CheckoutSession, session_id)


def check_client_secret(cs: CheckoutSession, secret: str | None) -> bool:
    """Whether ``secret`` is the session's client secret (constant-time comparison)."""
    return hmac.compare_digest(cs.secret_digest, _digest(secret or ""))


def session_offers(config: KassaConfig, cs: CheckoutSession, today: date) -> list[Offer]:
    """The offers for the session's total; empty if none applies."""
    return offers_for_amount(config, cs.total_minor, cs.currency, cs.country, today)


def refresh_expiry(db: Session, cs: CheckoutSession, now: datetime) -> None:
    """Mark an open session whose time is up as ``expired``."""
    if cs.status == "open" and as_utc(cs.expires_at) <= now:
        cs.status = "expired"
        db.flush()


def record_verified_identity(db: Session, state: KassaState, cs: CheckoutSession, *,
                             personal_id: str, name: str, browser: str | None = None) -> None:
    """Keep the identity an identity broker verified, encrypted, on the open session.

    ``browser`` is the digest of the browser that signed in: the hosted page uses the
    identity only in that browser (someone who opens another person's checkout and signs in
    there cannot attach their identity to it).
    """
    person = _identity(cs.country, personal_id)
    cs.verified_identity = {"token": state.vault.seal(person), "name": name[:200],
                            "masked": person.masked, "browser": browser}
    db.flush()


def cancel_checkout(db: Session, cs: CheckoutSession, now: datetime) -> None:
    """Cancel an open session; a completed one cannot be cancelled.

    One conditional UPDATE from ``open`` to ``cancelled``: a confirmation that wins the race
    leaves the session completed with its order, never cancelled with one.
    """
    refresh_expiry(db, cs, now)
    if cs.status == "open":
        cancelled = db.execute(update(CheckoutSession).where(
            CheckoutSession.id == cs.id, CheckoutSession.status == "open",
        ).values(status="cancelled")).rowcount
        db.refresh(cs)
        if cancelled == 1:
            return
    if cs.status == "completed":
        raise KassaHTTPError("checkout.completed", "the session is completed", status=409)


# -- confirmation ----------------------------------------------------------------------------


def confirm_checkout(db: Session, state: KassaState, cs: CheckoutSession, *, offer_id: str,
                     channel: str, personal_id: str | None, consent: bool, today: date,
                     now: datetime, base_url: str) -> ConfirmResult:
    """Confirm the shopper's choice: order, agreement and (on confirmation) invoices.

    Checks, in this order, each with its own code: session state, offer, channel, consent,
    identity (typed, or verified by the broker where strong identification applies), age and
    the credit decision. A session already completed returns its earlier result.
    """
    config = state.config
    refresh_expiry(db, cs, now)
    if cs.status == "completed":
        return _repeated(db, state, cs, offer_id, channel, personal_id)
    if cs.status != "open":
        raise KassaHTTPError(f"checkout.{cs.status}", f"the checkout session is {cs.status}",
                             status=409)
    offer = next((o for o in session_offers(config, cs, today) if o.id == offer_id), None)
    if offer is None:
        raise KassaHTTPError("checkout.offer", f"offer {offer_id!r} is not available for this "
                             "order", offer_id=offer_id)
    if channel not in config.channels:
        raise KassaHTTPError("checkout.channel", f"delivery channel {channel!r} is not offered",
                             channel=channel)
    if channel == "sms" and not cs.customer.get("phone"):
        raise KassaHTTPError("checkout.channel_phone", "SMS delivery needs a phone number")
    if channel == "letter" and not (cs.customer.get("street") and cs.customer.get("city")):
        raise KassaHTTPError("checkout.channel_address", "a letter needs a postal address")
    if consent is not True:
        raise KassaHTTPError("checkout.consent", "the shopper must consent to the credit terms")
    person = _confirmed_identity(state, cs, personal_id)
    age = person.age_on(today)
    if age < ADULT_AGE:  # the law's limit; a merchant's own decider cannot lower it
        raise KassaHTTPError("checkout.age", "the shopper must be 18 or older", age=age)
    digests = state.vault.digests(person)
    open_balance, overdue = _exposure(db, digests, today)
    # The register (for credit offers), the shop's history and the rules; a decline is
    # recorded and raised here, an approval is recorded with the agreement below.
    decision = assess_credit(db, state, cs, offer, person, age=age, digests=digests,
                             open_balance=open_balance, overdue_invoices=overdue, now=now)

    claimed = db.execute(update(CheckoutSession).where(
        CheckoutSession.id == cs.id, CheckoutSession.status == "open",
    ).values(status="completed", completed_at=now)).rowcount
    if claimed != 1:  # another request confirmed it first: read what it committed
        fresh = db.get(CheckoutSession, cs.id, populate_existing=True)
        if fresh is not None and fresh.status == "completed":
            return _repeated(db, state, fresh, offer_id, channel, personal_id)
        raise KassaHTTPError("checkout.conflict", "the session changed; please try again",
                             status=409)

    customer = _store_customer(db, state, cs, person, digests)
    order = _store_order(db, cs, customer)
    agreement = Agreement(order=order, customer=customer, method=offer.method,
                          product_id=offer.id, locale=cs.locale,
                          terms={"offer": offer_json(offer), "locale": cs.locale,
                                 "channel": channel, "shown_at": now.isoformat(),
                                 "consent": True,
                                 # As the page showed them beside the consent: the reminder
                                 # fee is agreed here (SE allows one only if agreed).
                                 "late_payment": late_payment_json(
                                     late_payment_terms(config, cs.country, today))})
    db.add(agreement)
    db.flush()
    decision.customer_id, decision.agreement_id = customer.id, agreement.id
    db.add(decision)
    db.execute(update(CheckoutSession).where(CheckoutSession.id == cs.id).values(
        order_id=order.id, method=offer.method, offer_id=offer.id, channel=channel))
    if needs_credit_documents(offer):  # what the shopper consented to, kept and sent
        store_credit_documents(db, config, cs, agreement, customer, today=today, now=now)
    invoices: list[Invoice] = []
    if config.issue_invoice_on == "confirmation":
        invoices = issue_invoices(db, state, agreement, channel=channel, today=today,
                                  base_url=base_url)
    # The register must have a new consumer credit by the next day: queued with the order.
    queue_new_credit(db, state, agreement, today)
    send_after_commit(db, order_confirmed, state.app, order_id=order.id, storefront=cs.storefront,
                      external_id=cs.external_id, method=offer.method)
    db.flush()
    db.refresh(cs)
    return ConfirmResult(order, agreement, invoices)


def fulfil_order(db: Session, state: KassaState, storefront: str, external_id: str,
                 today: date, base_url: str) -> list[Invoice]:
    """The storefront shipped the order: issue its invoices if not issued yet."""
    order = db.scalar(select(Order).where(Order.storefront == storefront,
                                          Order.external_id == external_id))
    if order is None:
        raise KassaHTTPError("order.not_found", f"no order {external_id!r}", status=404)
    agreement = db.scalar(select(Agreement).where(Agreement.order_id == order.id))
    if agreement is None:
        raise KassaHTTPError("order.not_found", f"order {external_id!r} has no agreement",
                             status=404)
    if agreement.invoices:
        return list(agreement.invoices)
    # One conditional UPDATE claims the order: a concurrent fulfil waits for it (PostgreSQL's
    # row lock, SQLite's write lock), then finds it fulfilled and returns those invoices. The
    # unique index on (agreement, instalment) refuses a second set whatever the path.
    claimed = db.execute(update(Order).where(
        Order.id == order.id, Order.status != "fulfilled").values(status="fulfilled")).rowcount
    if claimed != 1:
        db.expire_all()
        issued = db.scalars(select(Invoice).where(Invoice.agreement_id == agreement.id)
                            .order_by(Invoice.id)).all()
        return list(issued)
    db.refresh(order)
    return issue_invoices(db, state, agreement, channel=agreement.terms["channel"], today=today,
                          base_url=base_url)


# -- helpers ---------------------------------------------------------------------------------


def _repeated(db: Session, state: KassaState, cs: CheckoutSession, offer_id: str, channel: str,
              personal_id: str | None) -> ConfirmResult:
    """A confirmation of a completed session: its first result if it asks for the same offer,
    channel and (typed) identity number, else 409: a confirmed purchase is not changed, and a
    retry with other details is not answered with the first purchase's details."""
    same = (cs.offer_id, cs.channel) == (offer_id, channel)
    if same and cs.country not in state.config.strong_auth_countries and cs.order is not None:
        customer = cs.order.customer
        try:
            typed = state.vault.digest(parse_personal_id(cs.country, personal_id or ""))
        except IdentityError:
            typed = None
        same = customer is not None and typed == customer.personal_id_digest
    if not same:
        raise KassaHTTPError("checkout.completed", "the session was confirmed with other "
                             "details", status=409)
    return _result(db, cs)


def _result(db: Session, cs: CheckoutSession) -> ConfirmResult:
    agreement = agreement_of(cs)
    if cs.order is None or agreement is None:
        raise KassaHTTPError("checkout.conflict", "the session is being confirmed", status=409)
    return ConfirmResult(cs.order, agreement, list(agreement.invoices))


def _confirmed_identity(state: KassaState, cs: CheckoutSession,
                        personal_id: str | None) -> PersonalId:
    if cs.country in state.config.strong_auth_countries:
        verified = cs.verified_identity
        if not verified:
            raise KassaHTTPError("checkout.identification_required", "strong electronic "
                                 "identification is required in this country",
                                 status=409, country=cs.country)
        country, compact = state.vault.unseal(verified["token"])
        return _identity(country, compact)
    return _identity(cs.country, personal_id or "")


def _identity(country: str, text: str) -> PersonalId:
    try:
        return parse_personal_id(country, text)
    except IdentityError as exc:
        raise KassaHTTPError(f"checkout.{exc.code}", exc.message, country=country) from None


def _exposure(db: Session, digests: list[str], today: date) -> tuple[int, int]:
    """``(open balance in minor units, overdue invoices)`` of every customer record with this
    identity number's digest (under any configured key): whoever typed the number, the credit
    check sees it all."""
    rows = db.execute(select(
        func.coalesce(func.sum(Invoice.amount_minor + Invoice.fees_minor
                               + Invoice.interest_minor - Invoice.paid_minor), 0),
        func.count().filter(Invoice.due_date < today),
    ).join(Customer, Invoice.customer_id == Customer.id).where(
        Customer.personal_id_digest.in_(digests), Invoice.status.in_(OPEN_STATUSES))).one()
    return int(rows[0]), int(rows[1])


def _store_customer(db: Session, state: KassaState, cs: CheckoutSession, person: PersonalId,
                    digests: list[str]) -> Customer:
    """The customer record this purchase is billed to (the rule is in docs/identity.md).

    A number proven by strong identification names one person: that person's record is
    reused and its contact details follow their latest purchase. A typed number proves
    nothing: the purchase gets a record of its own with the contact details typed at this
    checkout, so that no one can change another person's name, address or contacts, or
    redirect their invoices, by typing their number. The digest links the records for
    exposure and credit checks only.
    """
    details = cs.customer
    # The same test as _confirmed_identity: only there was the verified number used.
    verified = cs.country in state.config.strong_auth_countries and bool(cs.verified_identity)
    customer = None
    if verified:
        customer = db.scalar(select(Customer).where(
            Customer.personal_id_digest.in_(digests), Customer.identity_verified.is_(True),
        ).order_by(Customer.id).limit(1))
    if customer is None:
        customer = Customer(country=cs.country, locale=cs.locale, name=details["name"],
                            email=details["email"], identity_verified=verified)
        state.vault.store(customer, person)
        store_check_value(db, state.vault)
        db.add(customer)
    verified_name = (cs.verified_identity or {}).get("name") if verified else None
    customer.name = verified_name or details["name"]
    customer.email = details["email"]
    customer.locale = cs.locale
    for field in ("phone", "street", "postal_code", "city"):
        if details.get(field):
            setattr(customer, field, details[field])
    db.flush()
    return customer


def _store_order(db: Session, cs: CheckoutSession, customer: Customer) -> Order:
    lines = read_lines(cs.lines["items"], cs.currency)
    order = Order(storefront=cs.storefront, external_id=cs.external_id, customer=customer,
                  country=cs.country, currency=cs.currency, total_minor=cs.total_minor,
                  vat_minor=sum(li.vat.minor for li in lines), status="confirmed",
                  locale=cs.locale)
    for position, line in enumerate(lines, start=1):
        order.lines.append(OrderLine(
            position=position, description=line.description, quantity=line.quantity,
            unit_price_minor=line.unit_price.minor, vat_rate=line.vat_rate,
            total_minor=line.total.minor, vat_minor=line.vat.minor))
    db.add(order)
    db.flush()
    return order


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
