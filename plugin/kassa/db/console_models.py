"""The help console's own records: the audit log of every staff action, and the credit notes
the team issues.

The log is append-only: no console route changes it, and the ORM refuses an update or a
delete of an entry, so no staff role can edit what was done.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Date, ForeignKey, Integer, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column

from .models import Base, utcnow


class AuditEntry(Base):
    """One staff action: who did what to which record, when, and the record before and
    after (the fields the action changed)."""

    __tablename__ = "kassa_audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The staff member; None for an attempt by someone not signed in (a failed sign-in).
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("kassa_staff_users.id"), index=True)
    #: The e-mail address as typed or as it was, kept even if the user is renamed.
    staff_email: Mapped[str] = mapped_column(String(320))
    #: ``sign_in``, ``task.assign``, ``thread.reply``, ``request.grant``, ``call.logged``, ...
    action: Mapped[str] = mapped_column(String(40))
    #: ``task``, ``thread``, ``request``, ``invoice``, ``staff``.
    target_kind: Mapped[str | None] = mapped_column(String(20))
    target_id: Mapped[int | None] = mapped_column(Integer)
    before: Mapped[dict[str, Any] | None] = mapped_column()
    after: Mapped[dict[str, Any] | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


@event.listens_for(AuditEntry, "before_update")
@event.listens_for(AuditEntry, "before_delete")
def _audit_is_append_only(_mapper: Any, _connection: Any, target: AuditEntry) -> None:
    raise ValueError(f"audit entry {target.id} is part of an append-only log")


class CreditNote(Base):
    """A correction of an issued invoice: the invoice itself is never edited. The credit is
    booked on the invoice like a payment (``source="credit_note"``, the note's number as its
    id), so the balance, the interest and the reminders all follow it."""

    __tablename__ = "kassa_credit_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(30), unique=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("kassa_invoices.id"), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(Text)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("kassa_staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FigureDay(Base):
    """The console's figures of one finished day (UTC) for one agent, country and channel,
    kept once the day can no longer change: survey days once their surveys' links have
    expired, task days from the day after. The dashboard adds these up and reads only the
    recent days from the contacts themselves. ``source`` is ``survey`` or ``task``; a day
    without contacts has one row of zeros, so it is not computed again."""

    __tablename__ = "kassa_figure_days"
    __table_args__ = (UniqueConstraint("source", "day", "agent", "country", "channel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(10))
    day: Mapped[date] = mapped_column(Date)
    agent: Mapped[str] = mapped_column(String(100))
    country: Mapped[str] = mapped_column(String(2))
    channel: Mapped[str] = mapped_column(String(20))
    sent: Mapped[int] = mapped_column(BigInteger, default=0)
    answered: Mapped[int] = mapped_column(BigInteger, default=0)
    resolved_n: Mapped[int] = mapped_column(BigInteger, default=0)
    resolved_yes: Mapped[int] = mapped_column(BigInteger, default=0)
    recommend_n: Mapped[int] = mapped_column(BigInteger, default=0)
    promoters: Mapped[int] = mapped_column(BigInteger, default=0)
    detractors: Mapped[int] = mapped_column(BigInteger, default=0)
    advisor_n: Mapped[int] = mapped_column(BigInteger, default=0)
    advisor_top: Mapped[int] = mapped_column(BigInteger, default=0)
    overall_n: Mapped[int] = mapped_column(BigInteger, default=0)
    overall_top: Mapped[int] = mapped_column(BigInteger, default=0)
    closed: Mapped[int] = mapped_column(BigInteger, default=0)
    met: Mapped[int] = mapped_column(BigInteger, default=0)
    wait_seconds: Mapped[int] = mapped_column(BigInteger, default=0)
    waited: Mapped[int] = mapped_column(BigInteger, default=0)
    #: First answers within a minute, 5 and 15 minutes, an hour, 4 and 8 hours, a day, 3 days.
    wait_within_60: Mapped[int] = mapped_column(BigInteger, default=0)
    wait_within_300: Mapped[int] = mapped_column(BigInteger, default=0)
    wait_within_900: Mapped[int] = mapped_column(BigInteger, default=0)
    wait_within_3600: Mapped[int] = mapped_column(BigInteger, default=0)
    wait_within_14400: Mapped[int] = mapped_column(BigInteger, default=0)
    wait_within_28800: Mapped[int] = mapped_column(BigInteger, default=0)
    wait_within_86400: Mapped[int] = mapped_column(BigInteger, default=0)
    wait_within_259200: Mapped[int] = mapped_column(BigInteger, default=0)
    #: Answers to later messages: how many, how many in time, their waits added up.
    replies: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    replies_met: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    reply_seconds: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
