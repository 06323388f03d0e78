"""The settings of the customer-service side: opening hours, the contact page's channel
ranking and the self-service policy (more time, payment plans).

:mod:`kassa.config` declares the keys; the parsers and the values they make live here so that
the customer-service pages, the API and the help console read one shape. A parser raises
:class:`ValueError` with a message a merchant can act on; ``config`` names the key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from .core.calendar import business_calendar

#: The timezone of each country's customer service.
COUNTRY_ZONES: Mapping[str, str] = {"FI": "Europe/Helsinki", "SE": "Europe/Stockholm",
                                    "NO": "Europe/Oslo"}
WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

# -- opening hours -----------------------------------------------------------------------------

#: Monday to Friday 9-16 in each country, closed on the country's public holidays.
DEFAULT_SUPPORT_HOURS: Mapping[str, Mapping[str, list[str]]] = {
    country: {day: ["09:00-16:00"] for day in WEEKDAYS[:5]} for country in ("FI", "SE", "NO")
}
_WINDOW = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])-([01][0-9]|2[0-4]):([0-5][0-9])")


@dataclass(frozen=True)
class OpeningHours:
    """When a country's team answers: windows per weekday, in the country's own time; closed
    on the country's public holidays (:mod:`kassa.core.calendar`)."""

    country: str
    #: Weekday (0 = Monday) to its open windows, ascending, not overlapping.
    windows: Mapping[int, tuple[tuple[time, time], ...]]
    #: The merchant's own closed days on top of the public holidays (a staff day, 24.12).
    closed: frozenset[date] = frozenset()

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(COUNTRY_ZONES.get(self.country, "UTC"))

    def is_open_day(self, day: date) -> bool:
        return bool(self.windows.get(day.weekday())) and day not in self.closed and \
            business_calendar(self.country).holiday_name(day) is None

    def windows_on(self, day: date) -> list[tuple[datetime, datetime]]:
        """The open windows of ``day`` as aware datetimes (none on a holiday)."""
        if not self.is_open_day(day):
            return []
        return [(datetime.combine(day, start, self.zone),
                 datetime.combine(day, end, self.zone) if end != time(0) else
                 datetime.combine(day + timedelta(days=1), time(0), self.zone))
                for start, end in self.windows.get(day.weekday(), ())]

    def is_open(self, moment: datetime) -> bool:
        local = moment.astimezone(self.zone)
        return any(start <= local < end for start, end in self.windows_on(local.date()))

    def next_open(self, moment: datetime, days: int = 31) -> datetime | None:
        """The first open moment at or after ``moment`` (None if closed for ``days`` days)."""
        local = moment.astimezone(self.zone)
        for offset in range(days + 1):
            for start, end in self.windows_on(local.date() + timedelta(days=offset)):
                if end > local:
                    return max(start, local)
        return None

    def week(self) -> list[tuple[str, list[tuple[time, time]]]]:
        """``(weekday key, windows)`` for Monday to Sunday, for the contact page."""
        return [(WEEKDAYS[i], list(self.windows.get(i, ()))) for i in range(7)]


def parse_support_hours(value: Any) -> dict[str, OpeningHours]:
    """``{"FI": {"mon": ["09:00-16:00"], ..., "closed": ["2026-12-24"]}, ...}`` (a country
    left out keeps the default; ``closed`` lists the merchant's own closed days)."""
    if not isinstance(value, Mapping):
        raise ValueError('must map a country to its weekdays, e.g. {"FI": {"mon": '
                         '["09:00-16:00"], ...}}')
    merged = {**DEFAULT_SUPPORT_HOURS, **value}
    result: dict[str, OpeningHours] = {}
    for country, days in merged.items():
        if country not in COUNTRY_ZONES or not isinstance(days, Mapping):
            raise ValueError(f"{country!r}: must be FI, SE or NO with a mapping of weekdays")
        windows: dict[int, tuple[tuple[time, time], ...]] = {}
        closed = _closed_days(country, days.get("closed", []))
        for day, spans in days.items():
            if day == "closed":
                continue
            if day not in WEEKDAYS or not isinstance(spans, list | tuple):
                raise ValueError(f"{country}: {day!r} must be one of {', '.join(WEEKDAYS)} "
                                 "with a list of windows such as '09:00-16:00'")
            parsed = sorted(_window(country, day, span) for span in spans)
            for (_s1, end), (start, _e2) in zip(parsed, parsed[1:], strict=False):
                if start < end:
                    raise ValueError(f"{country}: the windows of {day} overlap")
            windows[WEEKDAYS.index(day)] = tuple(parsed)
        result[country] = OpeningHours(country, windows, closed)
    return result


def _closed_days(country: str, value: Any) -> frozenset[date]:
    if not isinstance(value, list | tuple):
        raise ValueError(f"{country}: closed must be a list of days such as '2026-12-24'")
    days = set()
    for item in value:
        try:
            days.add(date.fromisoformat(str(item)))
        except ValueError:
            raise ValueError(f"{country}: closed day {item!r} is not a date such as "
                             "'2026-12-24'") from None
    return frozenset(days)


def _window(country: str, day: str, span: Any) -> tuple[time, time]:
    match = _WINDOW.fullmatch(span) if isinstance(span, str) else None
    if match is None:
        raise ValueError(f"{country} {day}: {span!r} is not a window such as '09:00-16:00'")
    h1, m1, h2, m2 = (int(part) for part in match.groups())
    start = time(h1, m1)
    end = time(0) if h2 == 24 else time(h2, m2)
    if (h2, m2) != (24, 0) and (h2 == 24 or end <= start):
        raise ValueError(f"{country} {day}: {span!r} must end after it starts (24:00 at most)")
    return start, end


# -- the contact page --------------------------------------------------------------------------

#: What a shopper may want from the team, in the order the contact page lists them.
CONTACT_TOPICS: tuple[str, ...] = ("balance", "dispute", "overdue", "more_time", "plan")
#: Ways to reach the team. ``self_service`` is the shopper's own pages.
CONTACT_CHANNELS: tuple[str, ...] = ("self_service", "phone", "callback", "message", "email")
#: The ranking by country and topic from the Ropo end-customer survey 2024 (DESIGN.md):
#: Finns check balances online, Swedes phone, Norwegians write.
DEFAULT_CONTACT_RANKING: Mapping[str, Mapping[str, list[str]]] = {
    "FI": {"balance": ["self_service", "message", "phone"],
           "dispute": ["phone", "callback", "message"],
           "overdue": ["phone", "callback", "self_service", "message"],
           "more_time": ["phone", "self_service", "callback", "message"],
           "plan": ["phone", "self_service", "callback", "message"]},
    "SE": {"balance": ["phone", "self_service", "message"],
           "dispute": ["phone", "callback", "message"],
           "overdue": ["phone", "callback", "self_service", "message"],
           "more_time": ["phone", "self_service", "callback", "message"],
           "plan": ["phone", "self_service", "callback", "message"]},
    "NO": {"balance": ["email", "phone", "self_service", "message"],
           "dispute": ["email", "message", "phone"],
           "overdue": ["phone", "callback", "email", "self_service"],
           "more_time": ["phone", "self_service", "email", "callback"],
           "plan": ["phone", "self_service", "email", "callback"]},
}


def parse_contact_ranking(value: Any) -> dict[str, dict[str, tuple[str, ...]]]:
    """Per country and topic, the channels best first; a country or topic left out keeps
    the default."""
    if not isinstance(value, Mapping):
        raise ValueError('must map a country to topics, e.g. {"FI": {"plan": ["phone", '
                         '"self_service"]}}')
    result: dict[str, dict[str, tuple[str, ...]]] = {}
    for country, defaults in DEFAULT_CONTACT_RANKING.items():
        given = value.get(country, {})
        if not isinstance(given, Mapping):
            raise ValueError(f"{country}: must map topics to lists of channels")
        topics: dict[str, tuple[str, ...]] = {}
        for topic in CONTACT_TOPICS:
            channels = given.get(topic, defaults[topic])
            if not isinstance(channels, list | tuple) or not channels or any(
                    c not in CONTACT_CHANNELS for c in channels) or len(set(channels)) != len(
                    channels):
                raise ValueError(f"{country} {topic}: {channels!r} must list distinct channels "
                                 f"of {', '.join(CONTACT_CHANNELS)}")
            topics[topic] = tuple(channels)
        for topic in given:
            if topic not in CONTACT_TOPICS:
                raise ValueError(f"{country}: unknown topic {topic!r} (the topics are "
                                 f"{', '.join(CONTACT_TOPICS)})")
        result[country] = topics
    for country in value:
        if country not in DEFAULT_CONTACT_RANKING:
            raise ValueError(f"unknown country {country!r}")
    return result


# -- self-service policy -----------------------------------------------------------------------


@dataclass(frozen=True)
class SelfServicePolicy:
    """What a shopper may do alone in one country; anything beyond goes to the team.

    Amounts are minor units of the country's currency."""

    #: Days of more time granted at once, counted from the current due date.
    extension_days: int
    #: Extensions granted at once per invoice (a further one is a request to the team).
    extensions_per_invoice: int
    #: Fee of a granted extension (0: none). Finland's law allows no fee for it.
    extension_fee_minor: int
    #: Longest self-service payment plan, months.
    plan_max_months: int
    #: Smallest instalment of a self-service plan.
    plan_min_instalment_minor: int
    #: Monthly fee of a self-service plan (0: none).
    plan_monthly_fee_minor: int
    #: Yearly nominal interest of a self-service plan, percent.
    plan_nominal_rate: Decimal


#: Lawful, warm defaults: 14 days of more time once per invoice, free; plans of up to six
#: months with no interest or fees and instalments of at least 20 EUR (200 SEK/NOK).
DEFAULT_SELF_SERVICE: Mapping[str, Mapping[str, Any]] = {
    "FI": {"extension_days": 14, "extensions_per_invoice": 1, "extension_fee": "0.00",
           "plan_max_months": 6, "plan_min_instalment": "20.00", "plan_monthly_fee": "0.00",
           "plan_nominal_rate": "0"},
    "SE": {"extension_days": 14, "extensions_per_invoice": 1, "extension_fee": "0.00",
           "plan_max_months": 6, "plan_min_instalment": "200.00", "plan_monthly_fee": "0.00",
           "plan_nominal_rate": "0"},
    "NO": {"extension_days": 14, "extensions_per_invoice": 1, "extension_fee": "0.00",
           "plan_max_months": 6, "plan_min_instalment": "200.00", "plan_monthly_fee": "0.00",
           "plan_nominal_rate": "0"},
}
_LIMITS = {"extension_days": (1, 60), "extensions_per_invoice": (0, 3),
           "plan_max_months": (2, 24)}


def parse_self_service(value: Any) -> dict[str, SelfServicePolicy]:
    """Per country, the self-service policy over :data:`DEFAULT_SELF_SERVICE` (a key left out
    keeps its default). The fees and rate are checked against the law at start-up by
    :mod:`kassa.config`."""
    if not isinstance(value, Mapping):
        raise ValueError('must map a country to its policy, e.g. {"FI": {"extension_days": 14}}')
    result: dict[str, SelfServicePolicy] = {}
    for country in value:
        if country not in DEFAULT_SELF_SERVICE:
            raise ValueError(f"unknown country {country!r}")
    for country, defaults in DEFAULT_SELF_SERVICE.items():
        given = value.get(country, {})
        if not isinstance(given, Mapping):
            raise ValueError(f"{country}: must be a mapping")
        for key in given:
            if key not in defaults:
                raise ValueError(f"{country}: unknown key {key!r} (the keys are "
                                 f"{', '.join(defaults)})")
        merged = {**defaults, **given}
        numbers: dict[str, int] = {}
        for key, (low, high) in _LIMITS.items():
            number = merged[key]
            if isinstance(number, bool) or not isinstance(number, int) or not low <= number <= high:
                raise ValueError(f"{country} {key}: must be a whole number from {low} to {high}")
            numbers[key] = number
        result[country] = SelfServicePolicy(
            extension_days=numbers["extension_days"],
            extensions_per_invoice=numbers["extensions_per_invoice"],
            extension_fee_minor=_minor(country, "extension_fee", merged["extension_fee"]),
            plan_max_months=numbers["plan_max_months"],
            plan_min_instalment_minor=_minor(country, "plan_min_instalment",
                                             merged["plan_min_instalment"]),
            plan_monthly_fee_minor=_minor(country, "plan_monthly_fee",
                                          merged["plan_monthly_fee"]),
            plan_nominal_rate=_decimal(country, "plan_nominal_rate",
                                       merged["plan_nominal_rate"], Decimal(30)),
        )
    return result


def _decimal(country: str, key: str, raw: Any, high: Decimal) -> Decimal:
    try:
        number = Decimal(str(raw)) if isinstance(raw, str | int) and not isinstance(
            raw, bool) else None
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite() or not Decimal(0) <= number <= high:
        raise ValueError(f"{country} {key}: {raw!r} must be a decimal string from 0 to {high}")
    return number


def _minor(country: str, key: str, raw: Any) -> int:
    number = _decimal(country, key, raw, Decimal(100_000))
    if number != number.quantize(Decimal("0.01")):
        raise ValueError(f"{country} {key}: {raw!r} has more than two decimals")
    return int(number * 100)
