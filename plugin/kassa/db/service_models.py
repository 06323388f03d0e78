"""The records of customer service: one-time codes, the shopper's requests (more time, a
payment plan, a dispute, a callback), message threads with their attachments, and the
four-question survey after a contact.

Every record names the customer it belongs to; the customer-service pages and the API scope
every query by it, so one shopper never reaches another's records.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .models import Base, utcnow


class ShopperCode(Base):
    """A one-time code sent to a shopper: to sign in without a link, or to confirm a new
    e-mail address or phone number. Only its keyed digest is stored."""

    __tablename__ = "kassa_shopper_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("kassa_customers.id"), index=True)
    #: ``sign_in``, ``confirm_email`` or ``confirm_phone``.
    purpose: Mapped[str] = mapped_column(String(20))
    #: The address or number the code went to (the new one, for a confirmation).
    sent_to: Mapped[str] = mapped_column(String(320))
    digest: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ServiceRequest(Base):
    """Something a shopper asked for on their pages or through the shop's API.

    ``kind``: ``extension``, ``plan``, ``dispute`` or ``callback``. ``status``: ``granted``
    (within policy, done at once), ``pending`` (a person decides), ``refused``, ``done`` (a
    callback made) or ``cancelled``.
    """

    __tablename__ = "kassa_service_requests"
    __table_args__ = (UniqueConstraint("customer_id", "submit_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("kassa_customers.id"), index=True)
    #: The invoice it is about (a plan over several invoices names the first; ``details``
    #: lists them all); None for a callback about nothing in particular.
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("kassa_invoices.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), index=True)
    #: What was asked: days, reason and text, the plan's schedule and figures, the slot.
    details: Mapped[dict[str, Any]] = mapped_column()
    #: What was decided and why (``{"by": ..., "note": ...}``).
    decision: Mapped[dict[str, Any] | None] = mapped_column()
    #: The form's one-time key: a double submit finds the first request.
    submit_key: Mapped[str] = mapped_column(String(64))
    #: ``pages`` or ``api:<storefront>``.
    source: Mapped[str] = mapped_column(String(40))
    support_task_id: Mapped[int | None] = mapped_column(ForeignKey("kassa_support_tasks.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column()


class MessageThread(Base):
    """A conversation between a shopper and the merchant's team. ``status``: ``open``
    (waiting for the team), ``answered`` (waiting for the shopper), ``resolved``."""

    __tablename__ = "kassa_message_threads"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("kassa_customers.id"), index=True)
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("kassa_invoices.id"))
    subject: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)
    support_task_id: Mapped[int | None] = mapped_column(ForeignKey("kassa_support_tasks.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column()

    messages: Mapped[list[Message]] = relationship(back_populates="thread",
                                                  order_by="Message.id")


class Message(Base):
    """One message of a thread, from the shopper or from the team."""

    __tablename__ = "kassa_messages"
    __table_args__ = (UniqueConstraint("thread_id", "submit_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("kassa_message_threads.id"), index=True)
    #: ``shopper`` or ``staff``.
    author: Mapped[str] = mapped_column(String(10))
    #: The agent's first name as the shopper sees it; None for the shopper.
    author_name: Mapped[str | None] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    submit_key: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    thread: Mapped[MessageThread] = relationship(back_populates="messages")
    attachments: Mapped[list[Attachment]] = relationship(order_by="Attachment.id")


class Attachment(Base):
    """A file a shopper or the team attached to a message or a dispute. The bytes live in
    ``KASSA_UPLOAD_DIR`` under ``stored_as`` (a random name), never under the web root."""

    __tablename__ = "kassa_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("kassa_customers.id"), index=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("kassa_messages.id"))
    request_id: Mapped[int | None] = mapped_column(ForeignKey("kassa_service_requests.id"))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    stored_as: Mapped[str] = mapped_column(String(100), unique=True)
    #: ``clean`` (scanned, or no scanner configured) or ``refused`` by the scanner.
    scan: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Survey(Base):
    """The four questions after a closed contact, one per contact; answered once through a
    signed link."""

    __tablename__ = "kassa_surveys"
    __table_args__ = (UniqueConstraint("contact_kind", "contact_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("kassa_customers.id"), index=True)
    #: ``thread``, ``request`` (more time, plan, dispute decided) or ``callback``.
    contact_kind: Mapped[str] = mapped_column(String(20))
    contact_id: Mapped[int] = mapped_column(Integer)
    country: Mapped[str] = mapped_column(String(2))
    locale: Mapped[str] = mapped_column(String(5))
    #: The channel the contact was handled by, and who handled it (for the console's figures).
    channel: Mapped[str] = mapped_column(String(20))
    agent: Mapped[str | None] = mapped_column(String(100))
    sent_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    answered_at: Mapped[datetime | None] = mapped_column()
    resolved: Mapped[bool | None] = mapped_column()
    recommend: Mapped[int | None] = mapped_column(Integer)
    advisor: Mapped[int | None] = mapped_column(Integer)
    overall: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
