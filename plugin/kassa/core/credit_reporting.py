"""What Kassa tells a country's credit register about a consumer credit, and by when.

Four events, each one report (``docs/credit-reporting.md`` has the documents):

``credit.new``
    a consumer credit was agreed; Finland's positive credit register must have it by the
    next calendar day (``credit_report_new_days``).
``credit.changed``
    its terms changed (more time, a payment plan, a withdrawal, an early repayment) or a
    reported delay ended; due within ``credit_report_change_business_days`` business days of
    the country's calendar.
``credit.repaid``
    every invoice of the credit is settled: the credit has ended. Due as a change.
``credit.delayed_60``
    an instalment is unpaid more than ``credit_report_delay_days`` days after its due date;
    due as a change, counted from the first day the delay is that long. A country without
    that rule (Norway, unconfirmed) reports no delays.

Every number is a dated row of :mod:`kassa.core.rules`; nothing here keeps a legal number.
"""

from __future__ import annotations

from datetime import date, timedelta

from .calendar import business_calendar
from .rules import RuleBook

__all__ = [
    "CREDIT_CHANGED",
    "CREDIT_DELAYED",
    "CREDIT_EVENTS",
    "CREDIT_NEW",
    "CREDIT_REPAID",
    "delay_reportable_on",
    "report_due_by",
    "reported_delay_days",
]

CREDIT_NEW = "credit.new"
CREDIT_CHANGED = "credit.changed"
CREDIT_REPAID = "credit.repaid"
CREDIT_DELAYED = "credit.delayed_60"
#: Every event type, in the order a credit's life meets them.
CREDIT_EVENTS: tuple[str, ...] = (CREDIT_NEW, CREDIT_CHANGED, CREDIT_DELAYED, CREDIT_REPAID)


def report_due_by(country: str, event: str, occurred_on: date, rulebook: RuleBook) -> date:
    """The last day the register must have the report of ``event``, which happened on
    ``occurred_on`` (the agreement day, the day of the change, the day the credit ended or
    the first day the delay counted).

    A new credit: ``occurred_on`` plus ``credit_report_new_days`` calendar days (FI: the next
    day). Anything else: the ``credit_report_change_business_days``-th business day after
    ``occurred_on`` in the country's calendar (FI: two), ``occurred_on`` itself being day zero.

    :raises RuleError: ``rules.missing`` when the country has no row for the day.
    :raises ValueError: for an unknown event.
    """
    if event not in CREDIT_EVENTS:
        raise ValueError(f"unknown credit report event {event!r}")
    if event == CREDIT_NEW:
        days = int(rulebook.value(country, "credit_report_new_days", occurred_on))
        return occurred_on + timedelta(days=days)
    business_days = int(rulebook.value(country, "credit_report_change_business_days",
                                       occurred_on))
    return business_calendar(country).add_business_days(occurred_on, business_days)


def reported_delay_days(country: str, rulebook: RuleBook, on: date) -> int | None:
    """Days an instalment may be unpaid after its due date before the delay is reported, in
    force on ``on``; None when the country's register takes no delays."""
    rule = rulebook.find(country, "credit_report_delay_days", on)
    return None if rule is None else int(rule.value)


def delay_reportable_on(due_date: date, delay_days: int) -> date:
    """The first day an instalment due on ``due_date`` and still unpaid is more than
    ``delay_days`` days late: due on 1 March with 60 days, the delay counts from 1 May (61
    days late), and is reported from that day."""
    return due_date + timedelta(days=delay_days + 1)
