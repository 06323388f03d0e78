"""Service-level clocks counted in the merchant's opening hours (support-metrics.md §1).

A deadline is the start plus N *business* seconds: only time inside the country's open windows
counts, closed weekdays and the country's public holidays are skipped
(:class:`~kassa.service_settings.OpeningHours`). Every instant in and out is timezone-aware;
what is returned is in UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from ..service_settings import OpeningHours

#: How far ahead the walk looks for an open window before giving up (a year of closures).
_HORIZON_DAYS = 366


def add_business_time(hours: OpeningHours, start: datetime, seconds: int) -> datetime:
    """The instant ``seconds`` business seconds after ``start`` (walk-forward algorithm).

    A start outside the open windows begins at the next opening; a deadline that uses up a
    window exactly falls at that window's close, not at the next opening. Raises ValueError
    when the calendar has no open window within a year.
    """
    if seconds < 0:
        raise ValueError("seconds must not be negative")
    remaining = timedelta(seconds=seconds)
    local = start.astimezone(hours.zone)
    day = local.date()
    for _ in range(_HORIZON_DAYS):
        for window_start, window_end in hours.windows_on(day):
            if window_end <= local:
                continue
            moment = max(window_start, local)
            available = window_end - moment
            if remaining <= available:
                return (moment + remaining).astimezone(UTC)
            remaining -= available
        day += timedelta(days=1)
    raise ValueError(f"{hours.country}: no open window within {_HORIZON_DAYS} days")


def business_seconds_between(hours: OpeningHours, start: datetime, end: datetime) -> int:
    """Business seconds from ``start`` to ``end`` (0 when ``end`` is not later): what a
    pause, such as waiting on the customer, takes off the clock."""
    if end <= start:
        return 0
    total = timedelta()
    day = start.astimezone(hours.zone).date()
    last = end.astimezone(hours.zone).date()
    while day <= last:
        for window_start, window_end in hours.windows_on(day):
            overlap = min(window_end, end) - max(window_start, start)
            if overlap > timedelta():
                total += overlap
        day += timedelta(days=1)
    return int(total.total_seconds())


def same_business_day_due(hours: OpeningHours, received: datetime, cutoff: time) -> datetime:
    """The "same business day" deadline: received on an open day before ``cutoff`` (local
    time), due at that day's close; after the cutoff, on a closed day or a holiday, due at
    the close of the next open day."""
    local = received.astimezone(hours.zone)
    day = local.date()
    if not (hours.windows_on(day) and local.time() < cutoff):
        day += timedelta(days=1)
    for _ in range(_HORIZON_DAYS):
        windows = hours.windows_on(day)
        if windows:
            return windows[-1][1].astimezone(UTC)
        day += timedelta(days=1)
    raise ValueError(f"{hours.country}: no open day within {_HORIZON_DAYS} days")
