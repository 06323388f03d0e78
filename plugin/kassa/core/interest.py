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
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
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
