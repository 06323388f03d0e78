"""Late-payment interest: simple interest per day at the rate in force on that day.

Amounts are ``int`` minor units; rates are ``Decimal`` percent a year (``Decimal("9.5")`` is
9.5 %). The legal rate is the reference rate plus a margin, both dated rows of the rule table
(:mod:`kassa.core.rules`); reference rates change per half-year, so a period that crosses
1 January or 1 July uses both rates.

Day count: actual days; each day earns ``rate / 100 / days_in_its_year`` of the balance, where
a day of a leap year counts 1/366 and any other day 1/365. So a whole calendar year earns
exactly the annual rate whether or not it is a leap year, and a period crossing New Year uses
each year's length for its own days. The fractions are summed exactly and rounded once, half
up, at the end.

Part payments (:func:`late_interest_with_payments`): each day earns on the principal unpaid
that day, so a payment lowers only the interest of the days after it arrived, never what had
accrued before it.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Iterable
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from functools import lru_cache

from kassa.core.errors import KassaError
from kassa.core.money import round_ratio
from kassa.core.rules import RuleBook

__all__ = [
    "InterestError",
    "late_interest",
    "late_interest_rate",
    "late_interest_rates",
    "late_interest_with_payments",
]

_PERCENT = 100


class InterestError(KassaError, ValueError):
    """An interest period or rate that cannot be used."""

    code = "interest.invalid"


def _days_in_year(year: int) -> int:
    return 366 if calendar.isleap(year) else 365


def late_interest(
    balance: int,
    start: date,
    end: date,
    annual_rate_on: Callable[[date], Decimal],
) -> int:
    """Simple late-payment interest on ``balance`` minor units, in minor units.

    Interest runs for the days after ``start`` up to and including ``end``: ``start`` is day
    zero (e.g. the due date, on which payment is still on time) and ``start + 1`` the first
    day that earns interest, so ``end == start`` gives 0. ``annual_rate_on(day)`` returns the
    annual rate in percent in force on ``day`` and must depend on the day alone: it is
    asked for every day of the period, once for all balances over the same period. Each
    day earns ``balance * rate / 100 / 365`` (``/ 366`` for a day in a leap year); the sum is
    exact and rounded once, half up (:data:`decimal.ROUND_HALF_UP`). A balance of 0 or less
    (paid or overpaid) earns nothing.

    :raises InterestError: ``interest.period`` when ``end`` is before ``start``,
        ``interest.rate`` for a rate that is not a finite, non-negative ``Decimal`` (or int),
        ``interest.balance`` for a balance that is not an ``int``.
    """
    if isinstance(balance, bool) or not isinstance(balance, int):
        raise InterestError(f"balance must be an int of minor units, not {balance!r}",
                            code="interest.balance", balance=repr(balance))
    if end < start:
        raise InterestError(
            f"interest period ends {end.isoformat()}, before it starts {start.isoformat()}",
            code="interest.period", start=start.isoformat(), end=end.isoformat(),
        )
    if balance <= 0:
        return 0
    exact = balance * _period_rate(start, end, annual_rate_on) / _PERCENT
    return round_ratio(exact.numerator, exact.denominator, ROUND_HALF_UP)


def late_interest_with_payments(
    amount: int,
    payments: Iterable[tuple[date, int]],
    start: date,
    end: date,
    annual_rate_on: Callable[[date], Decimal],
) -> int:
    """Late-payment interest on a principal of ``amount`` minor units that ``payments``
    bring down over time, in minor units.

    Each day after ``start`` up to and including ``end`` earns, at the rate in force on it,
    on the principal still unpaid that day: ``amount`` less the payments received before it.
    A payment ``(received_on, minor)`` counts from the day after ``received_on``: the day
    it arrives still earns on the old principal (paid on the due date, ``start``, nothing;
    paid on day 10, ten days), and a payment received on or before ``start`` counts from
    the first day. Payments reduce the principal first (fees and interest earn nothing), it
    never goes below 0, and payments after ``end`` do not count yet. So a payment changes
    only the days after it arrives: interest accrued up to then stays as it was.

    Exact over all the periods and rounded once, half up, as :func:`late_interest`; with no
    payments it gives the same as ``late_interest(amount, start, end, annual_rate_on)``.

    :raises InterestError: as :func:`late_interest`, and ``interest.payment`` for a payment
        whose amount is not an ``int`` or whose day is not a ``date``.
    """
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise InterestError(f"amount must be an int of minor units, not {amount!r}",
                            code="interest.balance", balance=repr(amount))
    if end < start:
        raise InterestError(
            f"interest period ends {end.isoformat()}, before it starts {start.isoformat()}",
            code="interest.period", start=start.isoformat(), end=end.isoformat(),
        )
    paid_by: dict[date, int] = {}
    for received_on, minor in payments:
        if (isinstance(minor, bool) or not isinstance(minor, int)
                or not isinstance(received_on, date)):
            raise InterestError(
                f"a payment must be (date, int of minor units), not {(received_on, minor)!r}",
                code="interest.payment", payment=repr((received_on, minor)))
        # The principal from the day after the payment arrived; payments up to ``start``
        # count from the first day that earns.
        paid_by[max(received_on, start)] = paid_by.get(max(received_on, start), 0) + minor
    exact = Fraction(0)
    principal = amount
    period_start = start
    for changes_after in sorted(day for day in paid_by if day < end):
        if changes_after > period_start and principal > 0:
            exact += principal * _period_rate(period_start, changes_after, annual_rate_on)
        principal -= paid_by[changes_after]
        period_start = max(period_start, changes_after)
    if principal > 0:
        exact += principal * _period_rate(period_start, end, annual_rate_on)
    exact /= _PERCENT
    return round_ratio(exact.numerator, exact.denominator, ROUND_HALF_UP)


@lru_cache(maxsize=1024)
def _period_rate(start: date, end: date, annual_rate_on: Callable[[date], Decimal]) -> Fraction:
    """Σ over the days after ``start`` up to ``end`` of rate / days in the year, exactly.

    The same for every balance: a reminder run asks it once for all the invoices due on
    one day. ``annual_rate_on`` must depend on its day alone (a rule table does).
    """
    # Days that share a rate and a year length are summed first: (rate, days in year) -> days.
    days_at: dict[tuple[Decimal | int, int], int] = {}
    day = start
    while day < end:
        day += timedelta(days=1)
        rate = annual_rate_on(day)
        if isinstance(rate, bool) or not isinstance(rate, Decimal | int) or (
            isinstance(rate, Decimal) and not rate.is_finite()
        ) or rate < 0:
            raise InterestError(
                f"the rate for {day.isoformat()} must be a non-negative Decimal percent, "
                f"not {rate!r}",
                code="interest.rate", day=day.isoformat(), rate=repr(rate),
            )
        key = (rate, _days_in_year(day.year))
        days_at[key] = days_at.get(key, 0) + 1
    return sum(
        (Fraction(rate) * count / year_length for (rate, year_length), count in days_at.items()),
        Fraction(0),
    )


def late_interest_rate(country: str, rulebook: RuleBook, on: date) -> Decimal:
    """The consumer late-payment interest rate in force on ``on``, percent a year.

    ``reference_rate_pct + late_interest_margin_pct`` from the rows in force on ``on``
    (FI H1 2026: 2.5 + 7 = 9.5).

    :raises kassa.core.rules.RuleError: ``rules.missing`` when either row is missing.
    """
    code = str(country).upper()
    return (rulebook.value(code, "reference_rate_pct", on)
            + rulebook.value(code, "late_interest_margin_pct", on))


def late_interest_rates(country: str, rulebook: RuleBook) -> Callable[[date], Decimal]:
    """``annual_rate_on`` for :func:`late_interest`: the legal rate of ``country`` per day."""

    def annual_rate_on(day: date) -> Decimal:
        return late_interest_rate(country, rulebook, day)

    return annual_rate_on
