"""Business days, delivery receipt dates and payment deadlines for FI, SE and NO.

A business day is a weekday on which the country's banks are open: not a Saturday or Sunday,
not a public holiday from the ``holidays`` package (category ``public``), and not one of the
extra bank-closing days listed in ``_BANK_CLOSING_DAYS`` below (days the public list lacks).

Counting convention used throughout: when a period of N days (or N business days) runs
from a day D, D itself is day zero and day one is the next day (next business day). So the
N-th day is ``D + N`` and, for business days, the N-th business day after D.

Every legal number (letter lag, days to pay, reminder spacing) is a parameter: the config
layer supplies the dated value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, timedelta
from functools import cache
from types import MappingProxyType
from typing import Literal

import holidays

from kassa.core.errors import CalendarError

__all__ = [
    "CHANNELS",
    "COUNTRIES",
    "ELECTRONIC_CHANNELS",
    "BusinessCalendar",
    "Channel",
    "LagUnit",
    "business_calendar",
    "due_date_for",
    "first_reminder_earliest",
    "next_reminder_earliest",
    "payment_deadline",
    "receipt_date",
]

Channel = Literal["email", "sms", "letter", "einvoice", "digital_mailbox"]
#: Every delivery channel Kassa knows.
CHANNELS: tuple[Channel, ...] = ("email", "sms", "letter", "einvoice", "digital_mailbox")
#: Channels whose notice counts as received on the day it is sent.
ELECTRONIC_CHANNELS: tuple[Channel, ...] = ("email", "sms", "einvoice", "digital_mailbox")

LagUnit = Literal["business", "calendar"]

#: Countries with a business calendar (ISO 3166-1 alpha-2).
COUNTRIES: tuple[str, ...] = ("FI", "SE", "NO")

_SATURDAY = 5
_FRIDAY = 4


def _midsummer_eve(year: int) -> date:
    # The Friday between 19 and 25 June (FI since 1955, SE since 1953).
    start = date(year, 6, 19)
    return start + timedelta(days=(_FRIDAY - start.weekday()) % 7)


def _christmas_eve(year: int) -> date:
    return date(year, 12, 24)


def _new_years_eve(year: int) -> date:
    return date(year, 12, 31)


# Days on which banks are closed although the ``public`` category may lack them. Each is
# added only when the package does not already list that date, so the package's name wins.
# Saturday eves (Easter Saturday / Holy Saturday, Pentecost Eve, All Saints' Eve in SE) need
# no entry: weekends are never business days.
_BANK_CLOSING_DAYS: dict[str, tuple[tuple[str, Callable[[int], date]], ...]] = {
    "FI": (
        # Juhannusaatto: banks closed. holidays 0.109 already lists it under ``public``;
        # kept so that a package change cannot silently make it a business day.
        ("Midsummer Eve", _midsummer_eve),
        # Jouluaatto: banks closed; also already in holidays 0.109 ``public``.
        ("Christmas Eve", _christmas_eve),
    ),
    "SE": (
        # Midsommarafton: not a public holiday by law, but banks and the Riksbank's RIX are
        # closed (holidays 0.109 has it only under ``de_facto``/``bank``).
        ("Midsummer Eve", _midsummer_eve),
        # Julafton: banks closed; not in ``public`` (only ``de_facto``/``bank``).
        ("Christmas Eve", _christmas_eve),
        # Nyårsafton: banks closed; not in ``public`` (only ``de_facto``/``bank``).
        ("New Year's Eve", _new_years_eve),
    ),
    "NO": (
        # Julaften: banks and Norges Bank's settlement closed; not a public holiday, and
        # holidays 0.109 has no bank category for Norway.
        ("Christmas Eve", _christmas_eve),
        # Nyttårsaften: banks closed; missing from the package like Christmas Eve.
        ("New Year's Eve", _new_years_eve),
    ),
}


class BusinessCalendar:
    """Bank business days of one country.

    Holidays are computed per year on first use and cached on the instance, so lookups in
    loops cost a dictionary access. Obtain instances through :func:`business_calendar`.
    """

    def __init__(self, country: str) -> None:
        if country not in COUNTRIES:
            raise CalendarError(
                f"No business calendar for country {country!r}; use FI, SE or NO.",
                code="calendar.country",
                country=country,
            )
        #: ISO 3166-1 alpha-2 code, upper case.
        self.country = country
        self._years: dict[int, Mapping[date, str]] = {}

    def __repr__(self) -> str:
        return f"BusinessCalendar({self.country!r})"

    def holidays_in(self, year: int) -> Mapping[date, str]:
        """Bank-closing days of ``year`` that are not weekends by rule, with English names.

        Includes public holidays that fall on a weekend (e.g. Midsummer Day, a Saturday).
        """
        days = self._years.get(year)
        if days is None:
            listed = holidays.country_holidays(
                self.country, years=year, categories=("public",), language="en_US"
            )
            closed = {day: str(name) for day, name in listed.items()}
            for name, rule in _BANK_CLOSING_DAYS[self.country]:
                closed.setdefault(rule(year), name)
            days = self._years[year] = MappingProxyType(closed)
        return days

    def holiday_name(self, d: date) -> str | None:
        """English name of the holiday or bank-closing day on ``d``, or ``None``.

        Ordinary weekends give ``None``.
        """
        return self.holidays_in(d.year).get(d)

    def is_business_day(self, d: date) -> bool:
        """Whether banks are open on ``d``: a weekday that is not a holiday."""
        return d.weekday() < _SATURDAY and d not in self.holidays_in(d.year)

    def next_business_day(self, d: date, *, include_self: bool = True) -> date:
        """The first business day on or after ``d`` (strictly after ``d`` when
        ``include_self`` is false)."""
        day = d if include_self else d + timedelta(days=1)
        while not self.is_business_day(day):
            day += timedelta(days=1)
        return day

    def previous_business_day(self, d: date, *, include_self: bool = True) -> date:
        """The last business day on or before ``d`` (strictly before when not
        ``include_self``)."""
        day = d if include_self else d - timedelta(days=1)
        while not self.is_business_day(day):
            day -= timedelta(days=1)
        return day

    def add_business_days(self, d: date, n: int) -> date:
        """The ``n``-th business day after ``d`` (before ``d`` when ``n`` is negative).

        ``d`` is day zero and need not be a business day; day one is the first business day
        after ``d``. ``n == 0`` returns ``d`` unchanged.
        """
        step = timedelta(days=1 if n >= 0 else -1)
        day = d
        for _ in range(abs(n)):
            day += step
            while not self.is_business_day(day):
                day += step
        return day


@cache
def _calendar(country: str) -> BusinessCalendar:
    return BusinessCalendar(country)


def business_calendar(country: str) -> BusinessCalendar:
    """The shared :class:`BusinessCalendar` of ``country`` (FI, SE or NO, any case).

    Raises :class:`CalendarError` ``calendar.country`` for any other country.
    """
    code = str(country).upper()
    if code not in COUNTRIES:
        raise CalendarError(
            f"No business calendar for country {country!r}; use FI, SE or NO.",
            code="calendar.country",
            country=country,
        )
    return _calendar(code)


def _require_non_negative(value: int, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise CalendarError(
            f"{name} must be a whole number of days, 0 or more; got {value!r}.",
            code="calendar.days",
            name=name,
            value=value,
        )


def receipt_date(
    country: str,
    channel: Channel,
    sent: date,
    *,
    letter_lag_business_days: int,
    lag_unit: LagUnit = "business",
) -> date:
    """The day a notice sent on ``sent`` counts as received at the latest.

    Electronic channels (:data:`ELECTRONIC_CHANNELS`) count as received on the sending day.
    A ``"letter"`` counts as received ``letter_lag_business_days`` after sending, with the
    sending day as day zero: by default the N-th business day of ``country`` after ``sent``
    (day one is the first business day after the sending day). With
    ``lag_unit="calendar"`` the same parameter counts calendar days instead: ``sent + N``,
    not moved off weekends (the convention of the KKV example in nordic-rules.md section 2,
    where a letter sent Tue 17.3.2026 with a 4-day lag is received Sat 21.3.2026).

    Raises :class:`CalendarError` ``calendar.channel`` for an unknown channel,
    ``calendar.country`` for an unknown country, ``calendar.days`` for a negative lag and
    ``calendar.lag_unit`` for an unknown unit.
    """
    calendar = business_calendar(country)
    if channel not in CHANNELS:
        raise CalendarError(
            f"Unknown delivery channel {channel!r}; use one of {', '.join(CHANNELS)}.",
            code="calendar.channel",
            channel=channel,
        )
    _require_non_negative(letter_lag_business_days, "letter_lag_business_days")
    if lag_unit not in ("business", "calendar"):
        raise CalendarError(
            f"Unknown lag unit {lag_unit!r}; use 'business' or 'calendar'.",
            code="calendar.lag_unit",
            lag_unit=lag_unit,
        )
    if channel in ELECTRONIC_CHANNELS:
        return sent
    if lag_unit == "calendar":
        return sent + timedelta(days=letter_lag_business_days)
    return calendar.add_business_days(sent, letter_lag_business_days)


def due_date_for(
    country: str,
    channel: Channel,
    issued: date,
    *,
    min_days_to_pay: int,
    letter_lag_business_days: int,
    lag_unit: LagUnit = "business",
) -> date:
    """The earliest due date that leaves the payer at least ``min_days_to_pay`` full days.

    Counting starts the day after the (latest) receipt date of a notice sent on ``issued``
    through ``channel`` (see :func:`receipt_date`): the receipt day is day zero, so the
    candidate is ``receipt + min_days_to_pay``. When that is not a business day of
    ``country`` the due date moves forward to the next business day (the payer never gets
    less time, and a payment can be made on the due date itself).
    """
    _require_non_negative(min_days_to_pay, "min_days_to_pay")
    receipt = receipt_date(
        country,
        channel,
        issued,
        letter_lag_business_days=letter_lag_business_days,
        lag_unit=lag_unit,
    )
    return business_calendar(country).next_business_day(receipt + timedelta(days=min_days_to_pay))


def payment_deadline(
    country: str,
    channel: Channel,
    sent: date,
    *,
    days_to_pay: int,
    letter_lag_business_days: int,
    lag_unit: LagUnit = "business",
) -> date:
    """The deadline to print in a reminder sent on ``sent``: latest receipt + ``days_to_pay``.

    nordic-rules.md section 2: ``deadline = latest_receipt(channel, sent) + 10 d`` in
    Finland (``days_to_pay`` comes from configuration). Same rule as :func:`due_date_for`,
    including the move to the next business day when the date falls on a weekend or holiday.
    """
    return due_date_for(
        country,
        channel,
        sent,
        min_days_to_pay=days_to_pay,
        letter_lag_business_days=letter_lag_business_days,
        lag_unit=lag_unit,
    )


def next_reminder_earliest(prev_sent: date, prev_deadline: date, *, spacing_days: int) -> date:
    """The first day on which the next fee-bearing notice may be sent.

    ``spacing_days`` full days must lie between the previous letter (or the due date) and
    the next one, and the previous deadline must have passed:
    ``max(prev_sent + spacing_days + 1, prev_deadline + 1)``. With the Finnish 14 days a
    letter sent Tue 17.3.2026 with deadline Tue 31.3.2026 allows the next on Wed 1.4.2026.
    Calendar days; the result is not moved to a business day (e-mail may go out any day).
    """
    _require_non_negative(spacing_days, "spacing_days")
    return max(prev_sent + timedelta(days=spacing_days + 1), prev_deadline + timedelta(days=1))


def first_reminder_earliest(due: date, *, spacing_days: int) -> date:
    """The first day a fee-bearing reminder may be sent for an invoice due on ``due``.

    ``spacing_days`` full days after the due date: ``due + spacing_days + 1`` (Finland:
    14 days, so due Mon 2.3.2026 gives Tue 17.3.2026, "day 15"). Calendar days.
    """
    return next_reminder_earliest(due, due, spacing_days=spacing_days)
