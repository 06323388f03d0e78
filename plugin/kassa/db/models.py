"""SQLAlchemy 2 models for the records checkout and invoicing need.

Every table is prefixed ``kassa_`` so Kassa lives beside the host app's own tables. Money is
stored as integer minor units (``BigInteger``) next to its currency; VAT rates as
``Numeric(5, 2)`` percent. Timestamps are timezone-aware UTC. Personal identity numbers are
stored only encrypted (see :mod:`kassa.db.personal_ids`), with a keyed digest for lookups
and a masked form for display.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    event,
    false,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """A stored moment as UTC: SQLite hands timestamps back naive, and Kassa stores UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    """Declarative base with names for constraints, so migrations are stable on every backend."""

    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )
    type_annotation_map = {datetime: DateTime(timezone=True), dict[str, Any]: JSON}


class Customer(Base):
    """A shopper who bought on invoice or instalments."""

    __tablename__ = "kassa_customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    country: Mapped[str] = mapped_column(String(2))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320), index=True)
    phone: Mapped[str | None] = mapped_column(String(40))
    street: Mapped[str | None] = mapped_column(String(200))
    postal_code: Mapped[str | None] = mapped_column(String(20))
    city: Mapped[str | None] = mapped_column(String(100))
    locale: Mapped[str] = mapped_column(String(5))
    #: Fernet token of the compact identity number; never logged, never shown.
    personal_id_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    #: HMAC-SHA256 of country + compact number. Not unique: a typed, unverified number gets
    #: a record per purchase, and the digest links them for exposure and credit checks only
    #: (docs/identity.md).
    personal_id_digest: Mapped[str | None] = mapped_column(String(64), index=True)
    #: True when strong electronic identification proved the number: then this one record
    #: is that person's, and later verified purchases reuse it.
    identity_verified: Mapped[bool] = mapped_column(default=False, server_default=false())
    #: What staff and the shopper may see, e.g. ``131052-****``.
    personal_id_masked: Mapped[str | None] = mapped_column(String(20))
    birth_date: Mapped[date | None] = mapped_column(Date)
    #: The channel the shopper chose for reminders on their pages (None: the invoice's own).
    reminder_channel: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    orders: Mapped[list[Order]] = relationship(back_populates="customer")
    invoices: Mapped[list[Invoice]] = relationship(back_populates="customer")

    def __repr__(self) -> str:
        return f"<Customer {self.id} {self.country} {self.personal_id_masked or ''}>"


class Order(Base):
    """An order from a storefront, identified there by ``external_id``."""

    __tablename__ = "kassa_orders"
    __table_args__ = (UniqueConstraint("storefront", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    storefront: Mapped[str] = mapped_column(String(40))
    external_id: Mapped[str] = mapped_column(String(100))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("kassa_customers.id"), index=True)
    country: Mapped[str] = mapped_column(String(2))
    currency: Mapped[str] = mapped_column(String(3))
    total_minor: Mapped[int] = mapped_column(BigInteger)
    vat_minor: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(20), default="open")
    locale: Mapped[str] = mapped_column(String(5))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    customer: Mapped[Customer | None] = relationship(back_populates="orders")
    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", order_by="OrderLine.position", cascade="all, delete-orphan"
    )


class OrderLine(Base):
    """One line of an order; prices include VAT."""

    __tablename__ = "kassa_order_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("kassa_orders.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(String(300))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price_minor: Mapped[int] = mapped_column(BigInteger)
    vat_rate: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    total_minor: Mapped[int] = mapped_column(BigInteger)
    vat_minor: Mapped[int] = mapped_column(BigInteger)

    order: Mapped[Order] = relationship(back_populates="lines")


class Agreement(Base):
    """The credit the shopper accepted: invoice or instalment plan, with what they were shown."""

    __tablename__ = "kassa_agreements"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("kassa_orders.id"), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("kassa_customers.id"), index=True)
    method: Mapped[str] = mapped_column(String(20))
    product_id: Mapped[str] = mapped_column(String(60))
    #: The offer as shown (rates, APR, fees, schedule), the disclosure texts and the language.
    terms: Mapped[dict[str, Any]] = mapped_column(JSON)
    locale: Mapped[str] = mapped_column(String(5))
    accepted_at: Mapped[datetime] = mapped_column(default=utcnow)

    order: Mapped[Order] = relationship()
    customer: Mapped[Customer] = relationship()
    invoices: Mapped[list[Invoice]] = relationship(back_populates="agreement")


class Invoice(Base):
    """An invoice (or one instalment's invoice) with its national payment reference."""

    __tablename__ = "kassa_invoices"
    __table_args__ = (
        Index("ix_kassa_invoices_next_look", "next_action_on", "id"),
        # One invoice per agreement and instalment (0 for a plain invoice), however many
        # requests issue at once: the database refuses a second set.
        Index("uq_kassa_invoices_agreement_instalment", "agreement_id",
              func.coalesce(text("instalment_number"), 0), unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(30), unique=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("kassa_agreements.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("kassa_customers.id"), index=True)
    instalment_number: Mapped[int | None] = mapped_column(Integer)
    reference: Mapped[str] = mapped_column(String(35), unique=True)
    reference_scheme: Mapped[str] = mapped_column(String(12))
    channel: Mapped[str] = mapped_column(String(20))
    country: Mapped[str] = mapped_column(String(2))
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    fees_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    interest_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    paid_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    issue_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)
    #: When the invoice was settled (paid in full): its links expire a while after.
    closed_at: Mapped[datetime | None] = mapped_column()
    #: Links made before this moment no longer open the invoice (staff revoked them).
    links_revoked_at: Mapped[datetime | None] = mapped_column()
    #: Who is billed, as at issue: name, e-mail, phone, street, postal_code, city. The
    #: invoice's documents show this, whatever later happens to the customer record.
    billed_to: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: Whether the agreement's terms showed the shopper a reminder fee (set at issue from
    #: ``Agreement.terms["late_payment"]``). Nothing is agreed implicitly: in Sweden a fee
    #: may be charged only if agreed at the purchase; in Finland and Norway the law allows
    #: it either way (:func:`kassa.services.reminder_policy.policy_for`).
    reminder_fee_agreed: Mapped[bool] = mapped_column(default=False, server_default=false())
    #: The reminder fee the shopper was shown at checkout, minor units: no reminder of this
    #: invoice charges more, even if the shop raises its fee later. None for an invoice of an
    #: agreement made before checkout showed it (then the law's cap and the shop's fee apply).
    agreed_reminder_fee_minor: Mapped[int | None] = mapped_column(BigInteger)
    #: The day late-payment interest was last brought up to date.
    interest_through: Mapped[date | None] = mapped_column(Date)
    #: The earliest day the reminder engine has something to do for this invoice; None when
    #: nothing is planned (paid, on hold, handed to collection). The daily run reads only
    #: invoices whose day has come, in (next_action_on, id) order through its index.
    next_action_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    agreement: Mapped[Agreement] = relationship(back_populates="invoices")
    customer: Mapped[Customer] = relationship(back_populates="invoices")
    events: Mapped[list[InvoiceEvent]] = relationship(
        back_populates="invoice", order_by="InvoiceEvent.id"
    )
    payments: Mapped[list[Payment]] = relationship(back_populates="invoice")
    steps: Mapped[list[DunningStep]] = relationship(order_by="DunningStep.id")
    holds: Mapped[list[InvoiceHold]] = relationship(order_by="InvoiceHold.id")

    @property
    def billed(self) -> dict[str, Any]:
        """Who this invoice bills (name, email, phone, street, postal_code, city), as at
        issue; the customer record's details for an invoice issued before snapshots."""
        if self.billed_to is not None:
            return self.billed_to
        customer = self.customer
        return {"name": customer.name, "email": customer.email, "phone": customer.phone,
                "street": customer.street, "postal_code": customer.postal_code,
                "city": customer.city}

    @property
    def balance_minor(self) -> int:
        """What is still to pay: amount, fees and interest, less payments (minor units)."""
        return self.amount_minor + self.fees_minor + self.interest_minor - self.paid_minor


class InvoiceEvent(Base):
    """One entry of an invoice's append-only trail (issued, sent, opened, paid, ...)."""

    __tablename__ = "kassa_invoice_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("kassa_invoices.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    invoice: Mapped[Invoice] = relationship(back_populates="events")


@event.listens_for(InvoiceEvent, "before_update")
@event.listens_for(InvoiceEvent, "before_delete")
def _trail_is_append_only(_mapper: Any, _connection: Any, target: InvoiceEvent) -> None:
    raise ValueError(f"invoice event {target.id} is part of an append-only trail")


class Payment(Base):
    """Money received (bank transfer by reference, Stripe) or paid back (refund)."""

    __tablename__ = "kassa_payments"
    __table_args__ = (UniqueConstraint("source", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("kassa_invoices.id"), index=True)
    source: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str] = mapped_column(String(100))
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    reference: Mapped[str | None] = mapped_column(String(35))
    received_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    invoice: Mapped[Invoice | None] = relationship(back_populates="payments")


class ProcessedWebhook(Base):
    """An inbound webhook event already handled; the unique key makes handling happen once."""

    __tablename__ = "kassa_processed_webhooks"
    __table_args__ = (UniqueConstraint("provider", "event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(20))
    event_id: Mapped[str] = mapped_column(String(255))
    processed_at: Mapped[datetime] = mapped_column(default=utcnow)


class KeyCheck(Base):
    """A value encrypted with the key in force, to tell at start-up whether the configured
    ``KASSA_ENCRYPTION_KEY`` is the one this database was encrypted with."""

    __tablename__ = "kassa_key_checks"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[bytes] = mapped_column(LargeBinary)


class IdempotencyKey(Base):
    """A storefront API POST sent with an ``Idempotency-Key``, and the answer it got.

    The same key with the same request replays the answer; with another request it is
    refused. ``status`` is None while the first request is still running.
    """

    __tablename__ = "kassa_idempotency_keys"
    __table_args__ = (UniqueConstraint("principal", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: SHA-256 of the credential the request came with (API key or client secret), hex: a key
    #: belongs to one caller.
    principal: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(255))
    #: SHA-256 of method, path, query and body, hex.
    request_digest: Mapped[str] = mapped_column(String(64))
    status: Mapped[int | None] = mapped_column(Integer)
    body: Mapped[str | None] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class StaffUser(Base):
    """A member of the merchant's support staff who signs in to the help console."""

    __tablename__ = "kassa_staff_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(20), default="agent")
    #: The team the user works in, for the console's figures by team; None: no team.
    team: Mapped[str | None] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: The authenticator app's shared secret, encrypted with ``KASSA_ENCRYPTION_KEY``
    #: (:meth:`~kassa.db.personal_ids.PersonalIdVault.seal_secret`); None until set up.
    totp_secret: Mapped[str | None] = mapped_column(Text)
    #: The last one-time code's time step accepted, so that a code works only once.
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    #: Wrong passwords or codes in a row; reset by a good sign-in.
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column()
    last_seen: Mapped[datetime | None] = mapped_column()


class CheckoutSession(Base):
    """A storefront's request to let a shopper pay one order by invoice or instalments.

    The storefront gets ``id`` and ``client_secret``; only a SHA-256 digest of the secret is
    stored. ``status`` is ``open``, ``completed``, ``cancelled`` or ``expired``.
    """

    __tablename__ = "kassa_checkout_sessions"
    __table_args__ = (UniqueConstraint("storefront", "external_id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    secret_digest: Mapped[str] = mapped_column(String(64))
    storefront: Mapped[str] = mapped_column(String(40))
    external_id: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), default="open")
    country: Mapped[str] = mapped_column(String(2))
    currency: Mapped[str] = mapped_column(String(3))
    total_minor: Mapped[int] = mapped_column(BigInteger)
    #: Order lines as sent: description, quantity, unit_price (minor), vat_rate (string).
    lines: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: Customer as sent: name, email, phone, street, postal_code, city.
    customer: Mapped[dict[str, Any]] = mapped_column(JSON)
    locale: Mapped[str] = mapped_column(String(5))
    return_url: Mapped[str] = mapped_column(Text)
    cancel_url: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime] = mapped_column()
    method: Mapped[str | None] = mapped_column(String(20))
    offer_id: Mapped[str | None] = mapped_column(String(60))
    channel: Mapped[str | None] = mapped_column(String(20))
    #: The identity the broker verified (masked), when strong identification was used.
    verified_identity: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("kassa_orders.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column()

    order: Mapped[Order | None] = relationship()


class Counter(Base):
    """A named sequence (invoice numbers) that never hands out a number twice."""

    __tablename__ = "kassa_counters"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)


class OutboxMessage(Base):
    """A message to deliver (e-mail, SMS, a hand-over, a hook), written in the same
    transaction as the change that caused it and delivered by the outbox worker.

    ``status`` is ``pending``, ``sent`` or ``dead`` (after the configured attempts).
    """

    __tablename__ = "kassa_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(40))
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("kassa_invoices.id"), index=True)
    recipient: Mapped[str] = mapped_column(String(320))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()



class GoneEndpoint(Base):
    """A receiver URL that answered ``410 Gone``: nothing more is sent to it.

    Kept by a digest of the URL, never the URL itself (a Slack webhook URL is a credential).
    A new URL in the configuration is a new endpoint; ``flask kassa endpoints enable`` lets
    the same URL be used again.
    """

    __tablename__ = "kassa_gone_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: SHA-256 of the URL, hexadecimal (:func:`kassa.notify.http.endpoint_digest`).
    url_digest: Mapped[str] = mapped_column(String(64), unique=True)
    #: The outbox's name of the target that answered ("webhook:0", "letter", ...).
    recipient: Mapped[str] = mapped_column(String(320))
    channel: Mapped[str] = mapped_column(String(20))
    #: What the receiver answered, as the outbox recorded it.
    error: Mapped[str] = mapped_column(Text)
    gone_at: Mapped[datetime] = mapped_column(default=utcnow)

class PaymentAttempt(Base):
    """One "pay now" attempt through Stripe for an invoice: a PaymentIntent.

    ``(invoice_id, attempt_no)`` makes the Stripe idempotency key, so a retried request never
    creates a second intent.
    """

    __tablename__ = "kassa_payment_attempts"
    __table_args__ = (UniqueConstraint("invoice_id", "attempt_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("kassa_invoices.id"), index=True)
    attempt_no: Mapped[int] = mapped_column(Integer)
    intent_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(30), default="created")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DunningStep(Base):
    """A step the reminder engine took for an invoice: friendly contact, reminder, collection.

    The unique key makes each step happen once, whatever runs at the same time or again.
    """

    __tablename__ = "kassa_dunning_steps"
    __table_args__ = (UniqueConstraint("invoice_id", "kind", "notice_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: No index of its own: the unique key begins with it.
    invoice_id: Mapped[int] = mapped_column(ForeignKey("kassa_invoices.id"))
    kind: Mapped[str] = mapped_column(String(20))
    #: 1.. for fee-bearing reminders; 0 for the friendly contact and the collection hand-off.
    notice_number: Mapped[int] = mapped_column(Integer, default=0)
    taken_on: Mapped[date] = mapped_column(Date)
    fee_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    deadline: Mapped[date | None] = mapped_column(Date)
    channel: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class InvoiceHold(Base):
    """A pause of the reminders: a dispute, an agreed payment plan or an extension."""

    __tablename__ = "kassa_invoice_holds"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("kassa_invoices.id"), index=True)
    reason: Mapped[str] = mapped_column(String(20))
    starts_on: Mapped[date] = mapped_column(Date)
    #: None while the hold lasts; the day it ended otherwise.
    ends_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SupportTask(Base):
    """A task in the merchant's own support queue, e.g. "call this customer, invoice overdue"."""

    __tablename__ = "kassa_support_tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("kassa_invoices.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("kassa_customers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)
    segment: Mapped[str | None] = mapped_column(String(30))
    #: What the agent needs: contact details, amounts, recommended channel and tone, script.
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    due_at: Mapped[datetime] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(index=True)
    #: The staff member working on it; None while it is nobody's.
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("kassa_staff_users.id"),
                                                    index=True)
    #: Out of the queue until then.
    snoozed_until: Mapped[datetime | None] = mapped_column()
    #: Since when the team waits on the customer (the service-level clock is paused).
    waiting_since: Mapped[datetime | None] = mapped_column()
    #: Business seconds the clock was paused while waiting on the customer, added to the due.
    paused_seconds: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: Where the clock runs from when the customer wrote again after the team's answer
    #: (None: from ``created_at``).
    clock_from: Mapped[datetime | None] = mapped_column()
    #: The team's latest answer.
    replied_at: Mapped[datetime | None] = mapped_column()
    #: Answers to the customer's later messages (each message's next-response clock): how
    #: many, how many came within the service level, and their waits added up (seconds).
    replies: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    replies_met: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    reply_seconds: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    #: The team's first answer (a reply, a logged call, a decision, or the close).
    first_response_at: Mapped[datetime | None] = mapped_column()
    #: Kept when the task closes (:func:`kassa.services.tasks.finish`), or for the first
    #: answer when the customer writes again: whether the first answer came within the
    #: service level; at the close also the channel it was handled by and who closed it.
    sla_met: Mapped[bool | None] = mapped_column()
    channel: Mapped[str | None] = mapped_column(String(20))
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("kassa_staff_users.id"))


class CreditReport(Base):
    """One report to a country's credit register about one consumer credit (an agreement):
    what was reported (without the identity number, which is added from the customer's
    encrypted record only when the report is sent), by when the law wants it and when the
    register took it. ``(agreement_id, event_key)`` is unique: each event is reported once,
    however many runs find it. See docs/credit-reporting.md.
    """

    __tablename__ = "kassa_credit_reports"
    __table_args__ = (UniqueConstraint("agreement_id", "event_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: No index of its own: the unique key begins with it.
    agreement_id: Mapped[int] = mapped_column(ForeignKey("kassa_agreements.id"))
    country: Mapped[str] = mapped_column(String(2))
    #: ``credit.new``, ``credit.changed``, ``credit.repaid`` or ``credit.delayed_60``.
    event: Mapped[str] = mapped_column(String(30))
    #: What makes the event one: ``new``, ``repaid``, ``delayed:<invoice id>``,
    #: ``changed:hold:<hold id>``, ``changed:delay_ended:<invoice id>``, ...
    event_key: Mapped[str] = mapped_column(String(80))
    #: The day the event happened (the agreement, the change, the end, the delay's day 61).
    occurred_on: Mapped[date] = mapped_column(Date)
    #: The last day the register must have the report, by the country's rules.
    due_by: Mapped[date] = mapped_column(Date, index=True)
    #: The report as sent, less the person's identity (docs/credit-reporting.md).
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: The outbox message that carries it.
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("kassa_outbox.id"))
    #: When the register accepted it; None until then.
    reported_at: Mapped[datetime | None] = mapped_column()
    #: The register's own id of the report, where it answers with one.
    receipt: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    agreement: Mapped[Agreement] = relationship()


class CreditDecisionRecord(Base):
    """One credit decision and what it was based on; append-only, never updated.

    Written before every confirmation that grants (or refuses) credit: approved ones in the
    confirmation's own transaction, with the customer and agreement; declined ones in a
    transaction of their own, as the refusal writes nothing else. ``inputs`` holds the
    figures the rules saw (the register's answer, the shop's own history, the thresholds),
    never an identity number; the person is named by the keyed digest and the masked number.
    """

    __tablename__ = "kassa_credit_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: What the shopper, the storefront and the support team quote: ``cd_`` + random text.
    public_id: Mapped[str] = mapped_column(String(40), unique=True)
    checkout_session_id: Mapped[str] = mapped_column(
        ForeignKey("kassa_checkout_sessions.id"), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("kassa_customers.id"), index=True)
    agreement_id: Mapped[int | None] = mapped_column(ForeignKey("kassa_agreements.id"))
    country: Mapped[str] = mapped_column(String(2))
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    offer_id: Mapped[str] = mapped_column(String(60))
    method: Mapped[str] = mapped_column(String(20))
    #: Whether the offer counted as credit, so that the register was asked.
    credit_offer: Mapped[bool] = mapped_column()
    personal_id_digest: Mapped[str] = mapped_column(String(64), index=True)
    personal_id_masked: Mapped[str] = mapped_column(String(20))
    #: ``checked``, ``not_configured``, ``not_needed`` (not credit) or ``unavailable``.
    register_status: Mapped[str] = mapped_column(String(20))
    #: The figures the rules saw; see kassa.services.credit_assessment.
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: ``{"decider": "kassa" | "merchant", "checks": [{"rule", "outcome", ...}]}``.
    rules: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: ``approved``, ``declined``, or ``unavailable`` (the register did not answer).
    result: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(String(40))
    #: True when no person took part; a review by a person is a support task of its own.
    automated: Mapped[bool] = mapped_column(default=True)
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)


class CreditReview(Base):
    """A shopper's request that a person review an automated credit decision: one per
    decision, pointing at the support task the team works on."""

    __tablename__ = "kassa_credit_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("kassa_credit_decisions.id"),
                                             unique=True)
    support_task_id: Mapped[int] = mapped_column(ForeignKey("kassa_support_tasks.id"))
    #: ``hosted_page`` or ``api``.
    requested_via: Mapped[str] = mapped_column(String(20))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)


class AgreementDocument(Base):
    """A document of a credit agreement exactly as the shopper received it: the pre-contract
    information (``precontract``) or the agreement itself (``agreement``), one of each per
    agreement, rendered at confirmation in the agreement's language. Append-only: the bytes,
    and their SHA-256, are what the shopper consented to and are never changed.
    """

    __tablename__ = "kassa_agreement_documents"
    __table_args__ = (UniqueConstraint("agreement_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: No index of its own: the unique key begins with it.
    agreement_id: Mapped[int] = mapped_column(ForeignKey("kassa_agreements.id"))
    kind: Mapped[str] = mapped_column(String(20))
    locale: Mapped[str] = mapped_column(String(5))
    #: The PDF.
    content: Mapped[bytes] = mapped_column(LargeBinary)
    #: SHA-256 of :attr:`content`, hexadecimal.
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


@event.listens_for(AgreementDocument, "before_update")
@event.listens_for(AgreementDocument, "before_delete")
def _documents_are_append_only(_mapper: Any, _connection: Any,
                               target: AgreementDocument) -> None:
    raise ValueError(f"agreement document {target.id} is kept as the shopper received it")


class CreditWithdrawal(Base):
    """A shopper's withdrawal from a credit agreement (CCD2 Art. 26): one per agreement, with
    what it leaves owed (capital and interest, no fees) and by when. The plan's invoices are
    changed in the same transaction, each change in the invoice's trail; see
    :mod:`kassa.services.withdrawal`.
    """

    __tablename__ = "kassa_credit_withdrawals"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("kassa_agreements.id"), unique=True)
    #: The day the shopper sent the notice.
    notice_on: Mapped[date] = mapped_column(Date)
    #: The last day a notice was in time.
    last_day: Mapped[date] = mapped_column(Date)
    #: Repay by this day (the notice day + the repayment period).
    due_date: Mapped[date] = mapped_column(Date)
    #: The invoice that asks for what is owed; None when nothing is left to pay.
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("kassa_invoices.id"))
    principal_minor: Mapped[int] = mapped_column(BigInteger)
    interest_minor: Mapped[int] = mapped_column(BigInteger)
    paid_minor: Mapped[int] = mapped_column(BigInteger)
    #: Paid beyond what is owed: to refund to the shopper.
    refund_minor: Mapped[int] = mapped_column(BigInteger)
    #: Every figure (:meth:`kassa.core.withdrawal.WithdrawalFigures.to_json`) and the invoices
    #: changed.
    figures: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    agreement: Mapped[Agreement] = relationship()


class ScheduleRevision(Base):
    """A schedule of an instalment plan that replaced the one before it, after the agreement:
    an early repayment, or a withdrawal. Append-only: the schedule the shopper consented to
    stays in ``Agreement.terms["offer"]``, and the highest ``revision`` is the one in force.
    """

    __tablename__ = "kassa_schedule_revisions"
    __table_args__ = (UniqueConstraint("agreement_id", "revision"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: No index of its own: the unique key begins with it.
    agreement_id: Mapped[int] = mapped_column(ForeignKey("kassa_agreements.id"))
    #: 1 for the first change; two changes made at once cannot both take the same number.
    revision: Mapped[int] = mapped_column(Integer)
    #: ``early_repayment`` or ``withdrawal``.
    reason: Mapped[str] = mapped_column(String(30))
    #: The day from which the schedule applies (the repayment's or the notice's day).
    effective_on: Mapped[date] = mapped_column(Date)
    #: The money the change applied (an early repayment's amount), minor units; 0 if none.
    amount_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    #: The payment that brought it, for an early repayment.
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("kassa_payments.id"))
    #: The whole schedule in force from now on, as ``Agreement.terms["offer"]["schedule"]``.
    schedule: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    #: How it was worked out (kassa.core.early_repayment / kassa.core.withdrawal figures).
    figures: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


@event.listens_for(ScheduleRevision, "before_update")
@event.listens_for(ScheduleRevision, "before_delete")
def _revisions_are_append_only(_mapper: Any, _connection: Any, target: ScheduleRevision) -> None:
    raise ValueError(f"schedule revision {target.id} is part of an append-only history")
