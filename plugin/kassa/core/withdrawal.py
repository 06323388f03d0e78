"""Withdrawal from a credit agreement (Directive (EU) 2023/2225 Art. 26; 2008/48/EC Art. 14).

The shopper may withdraw from the credit, without giving a reason, within a period of
calendar days (14 by law; a dated rule row) counted from the day of the agreement, or from the
day the agreement's terms reached them if that is later. Within a second period (30 days by
law) after sending the notice, they repay the capital and the interest accrued on it at the
agreed borrowing rate for the days they had the credit; nothing else is owed, so every fee of
the plan (set-up, monthly, invoice fee) falls and any fee already paid is refunded.

Amounts are ``int`` minor units, rates ``Decimal`` percent a year. Day counting: the day of
the agreement is day 0, so a notice on day 14 is in time and one on day 15 is not; interest
runs for the days after the drawdown up to and including the notice day (day 5: five days),
each day at ``rate / 100 / 365`` (``/ 366`` for a day of a leap year), summed exactly and
rounded once, half up (:mod:`kassa.core.interest`). Payments made before the notice lower the
capital from the day after they arrived.

:func:`settle_amounts` spreads a new total over a plan's invoices without losing a cent of
what was paid on them; early repayment (:mod:`kassa.core.early_repayment`) uses it too.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from functools import lru_cache
from typing import Any

from kassa.core.errors import KassaError
from kassa.core.interest import late_interest_with_payments
from kassa.core.money import round_ratio

__all__ = [
    "WithdrawalError",
    "WithdrawalFigures",
    "constant_rate",
    "settle_amounts",
    "withdrawal_figures",
    "withdrawal_last_day",
]


class WithdrawalError(KassaError, ValueError):
    """A withdrawal that the law does not allow (too late) or whose days do not fit."""

    code = "withdrawal.invalid"


@lru_cache(maxsize=64)
def constant_rate(rate: Decimal) -> Callable[[date], Decimal]:
    """``annual_rate_on`` for :mod:`kassa.core.interest` that is ``rate`` on every day.

    The same function for the same rate, so that the interest module's period cache is
    shared by every agreement at that rate.
    """

    def annual_rate_on(_day: date) -> Decimal:
        return rate

    return annual_rate_on


def withdrawal_last_day(agreed_on: date, terms_received_on: date | None,
                        period_days: int) -> date:
    """The last day a withdrawal notice is in time: ``period_days`` calendar days after the
    agreement, or after the day its terms were received if that is later (day 0 is that day
    itself)."""
    start = max(agreed_on, terms_received_on or agreed_on)
    return start + timedelta(days=period_days)


@dataclass(frozen=True)
class WithdrawalFigures:
    """What a shopper who withdrew owes, or gets back; minor units of the plan's currency."""

    #: The day the shopper sent the withdrawal notice.
    notice_on: date
    #: The last day a notice was in time (:func:`withdrawal_last_day`).
    last_day: date
    #: The day the credit was drawn down (the purchase).
    drawn_on: date
    #: Repay by this day: the notice day + the repayment period.
    due_date: date
    #: The capital: the credit amount.
    principal: int
    #: The agreed borrowing rate, percent a year.
    nominal_rate: Decimal
    #: Days that earn interest: after the drawdown up to and including the notice day.
    interest_days: int
    #: Interest at the borrowing rate for those days, on the capital not yet repaid.
    interest: int
    #: Interest for each further day on the capital still owed on the notice day, rounded
    #: half up; the law lets it run until the capital is repaid, Kassa charges it up to the
    #: notice day only (see docs/consumer-credit.md).
    interest_per_day: int
    #: Everything paid on the plan so far.
    paid: int
    #: The fees of the plan that are not owed after a withdrawal.
    fees_waived: int

    @property
    def owed(self) -> int:
        """Capital + interest: all that the withdrawal leaves owed."""
        return self.principal + self.interest

    @property
    def to_pay(self) -> int:
        """What is still to pay by :attr:`due_date` (0 when paid or overpaid)."""
        return max(self.owed - self.paid, 0)

    @property
    def refund(self) -> int:
        """What was paid beyond :attr:`owed` and goes back to the shopper."""
        return max(self.paid - self.owed, 0)

    def to_json(self) -> dict[str, Any]:
        """The figures as JSON: days ISO, the rate as a string, amounts in minor units."""
        return {
            "notice_on": self.notice_on.isoformat(), "last_day": self.last_day.isoformat(),
            "drawn_on": self.drawn_on.isoformat(), "due_date": self.due_date.isoformat(),
            "principal": self.principal, "nominal_rate": str(self.nominal_rate),
            "interest_days": self.interest_days, "interest": self.interest,
            "interest_per_day": self.interest_per_day, "paid": self.paid,
            "fees_waived": self.fees_waived, "owed": self.owed, "to_pay": self.to_pay,
            "refund": self.refund,
        }


def withdrawal_figures(*, credit_amount: int, nominal_rate: Decimal, drawn_on: date,
                       notice_on: date, last_day: date, repay_days: int,
                       payments: Iterable[tuple[date, int]], paid: int,
                       fees_in_plan: int) -> WithdrawalFigures:
    """The figures of a withdrawal noticed on ``notice_on``.

    :param payments: ``(received_on, minor units)`` of the money received on the plan; those
        received up to the notice day lower the capital that earns interest from the next day.
    :param paid: everything paid on the plan (payments after the notice day included).
    :param fees_in_plan: the plan's fees (set-up, monthly, invoice fee), all waived.
    :raises WithdrawalError: ``withdrawal.notice_day`` for a notice before the drawdown,
        ``withdrawal.too_late`` for one after ``last_day``.
    """
    if notice_on < drawn_on:
        raise WithdrawalError(
            f"the notice day {notice_on.isoformat()} is before the agreement of "
            f"{drawn_on.isoformat()}", code="withdrawal.notice_day",
            notice_on=notice_on.isoformat(), agreed_on=drawn_on.isoformat())
    if notice_on > last_day:
        raise WithdrawalError(
            f"the withdrawal period ended on {last_day.isoformat()}; a notice of "
            f"{notice_on.isoformat()} is too late", code="withdrawal.too_late",
            last_day=last_day.isoformat(), notice_on=notice_on.isoformat())
    received = [(day, amount) for day, amount in payments]
    rate_on = constant_rate(nominal_rate)
    interest = late_interest_with_payments(credit_amount, received, drawn_on, notice_on,
                                           rate_on)
    repaid = sum(amount for day, amount in received if day <= notice_on)
    outstanding = max(credit_amount - repaid, 0)
    next_day = notice_on + timedelta(days=1)
    per_day = Fraction(nominal_rate) * outstanding / 100 / (
        366 if calendar.isleap(next_day.year) else 365)
    return WithdrawalFigures(
        notice_on=notice_on, last_day=last_day, drawn_on=drawn_on,
        due_date=notice_on + timedelta(days=repay_days), principal=credit_amount,
        nominal_rate=nominal_rate, interest_days=(notice_on - drawn_on).days,
        interest=interest,
        interest_per_day=round_ratio(per_day.numerator, per_day.denominator, ROUND_HALF_UP),
        paid=paid, fees_waived=fees_in_plan)


def settle_amounts(targets: Sequence[int], paid: Sequence[int]) -> list[int]:
    """New amounts for a plan's invoices that add up to ``sum(targets)`` exactly.

    ``targets[i]`` is what invoice ``i`` should now ask (0 for one the change cancels),
    ``paid[i]`` what was paid on it, in the invoices' order of due dates. An invoice keeps
    at least what was paid on it while the total allows: money paid on an invoice that is
    cancelled or lowered below it stays there (its amount becomes what was paid, its balance
    0), and the excess is taken off the earliest invoices that still have something to ask.
    Only if more was paid than the new total is there a surplus to refund: then the amounts
    are what was paid as far as the total goes, and ``sum(paid) - sum(targets)`` is left over.

    Every amount is between 0 and ``max(target, paid)``.
    """
    if len(targets) != len(paid):
        raise ValueError("one target and one paid amount per invoice")
    if any(t < 0 for t in targets) or any(p < 0 for p in paid):
        raise ValueError("targets and payments are not negative")
    keep = [min(t, p) for t, p in zip(targets, paid, strict=True)]
    rest = sum(targets) - sum(keep)
    amounts = list(keep)
    # Money paid beyond an invoice's new amount stays on that invoice, while the total allows.
    for index, (target, was_paid) in enumerate(zip(targets, paid, strict=True)):
        extra = min(was_paid - keep[index], rest) if was_paid > target else 0
        amounts[index] += extra
        rest -= extra
    # What is left of the total goes to the invoices still asking for something, the latest
    # first: the excess paid earlier has lowered the earliest ones.
    for index in reversed(range(len(targets))):
        room = targets[index] - keep[index]
        if room > 0 and rest > 0:
            fill = min(room, rest)
            amounts[index] += fill
            rest -= fill
    return amounts
