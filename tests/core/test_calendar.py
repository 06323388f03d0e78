"""Business calendars, receipt dates, due dates and reminder spacing (nordic-rules.md §2)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import holidays
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kassa.core.calendar import (
    CHANNELS,
    ELECTRONIC_CHANNELS,
    BusinessCalendar,
    business_calendar,
    due_date_for,
    first_reminder_earliest,
    next_reminder_earliest,
    payment_deadline,
    receipt_date,
)
from kassa.core.errors import CalendarError

# Bank-closing days the `public` holiday list may lack; 2026: Midsummer Eve is Fri 19 June,
# Christmas Eve and New Year's Eve are Thursdays, so none is hidden by a weekend.
EXTRA_CLOSING_DAYS = [
    ("FI", date(2026, 6, 19), "Midsummer Eve"),
    ("FI", date(2026, 12, 24), "Christmas Eve"),
    ("SE", date(2026, 6, 19), "Midsummer Eve"),
    ("SE", date(2026, 12, 24), "Christmas Eve"),
    ("SE", date(2026, 12, 31), "New Year's Eve"),
    ("NO", date(2026, 12, 24), "Christmas Eve"),
    ("NO", date(2026, 12, 31), "New Year's Eve"),
]


# -- Business days ------------------------------------------------------------------------


@pytest.mark.parametrize(("country", "day", "name"), EXTRA_CLOSING_DAYS)
def test_extra_bank_closing_days_are_not_business_days(country: str, day: date, name: str) -> None:
    calendar = business_calendar(country)
    assert not calendar.is_business_day(day)
    assert calendar.holiday_name(day) == name


@pytest.mark.parametrize(("country", "day", "name"), EXTRA_CLOSING_DAYS)
def test_extra_closing_days_are_added_even_when_the_package_lacks_them(
    monkeypatch: pytest.MonkeyPatch, country: str, day: date, name: str
) -> None:
    # A package that knows no holidays at all: only Kassa's own additions remain.
    monkeypatch.setattr(holidays, "country_holidays", lambda *args, **kwargs: {})
    calendar = BusinessCalendar(country)
    assert not calendar.is_business_day(day)
    assert calendar.holiday_name(day) == name
    assert calendar.is_business_day(day - timedelta(days=1))


@pytest.mark.parametrize(
    ("country", "day"),
    [
        ("FI", date(2026, 12, 31)),  # Finnish banks are open on New Year's Eve
        ("NO", date(2026, 6, 19)),  # no Midsummer Eve closing in Norway
        ("FI", date(2026, 6, 18)),
        ("SE", date(2026, 4, 30)),  # Walpurgis Night: half day only, banks open
    ],
)
def test_ordinary_weekdays_are_business_days(country: str, day: date) -> None:
    assert business_calendar(country).is_business_day(day)
    assert business_calendar(country).holiday_name(day) is None


@pytest.mark.parametrize(
    ("country", "day", "name"),
    [
        ("FI", date(2026, 12, 6), "Independence Day"),  # a Sunday, still named
        ("FI", date(2026, 4, 3), "Good Friday"),
        ("SE", date(2026, 6, 6), "National Day"),
        ("NO", date(2026, 5, 14), "Ascension Day"),
        ("NO", date(2026, 4, 2), "Maundy Thursday"),
    ],
)
def test_public_holidays_come_from_the_package(country: str, day: date, name: str) -> None:
    assert not business_calendar(country).is_business_day(day)
    assert business_calendar(country).holiday_name(day) == name


@given(st.sampled_from(["FI", "SE", "NO"]), st.dates(date(2000, 1, 1), date(2100, 12, 31)))
def test_weekends_are_never_business_days(country: str, day: date) -> None:
    if day.weekday() >= 5:
        assert not business_calendar(country).is_business_day(day)


def test_business_calendar_is_cached_and_case_insensitive() -> None:
    assert business_calendar("fi") is business_calendar("FI")
    with pytest.raises(CalendarError) as excinfo:
        business_calendar("DK")
    assert excinfo.value.code == "calendar.country"
    assert excinfo.value.params["country"] == "DK"


def test_holidays_are_computed_once_per_year(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Any] = []
    real = holidays.country_holidays

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs["years"])
        return real(*args, **kwargs)

    monkeypatch.setattr(holidays, "country_holidays", counting)
    calendar = BusinessCalendar("SE")
    for offset in range(365):
        calendar.is_business_day(date(2026, 1, 1) + timedelta(days=offset))
    calendar.add_business_days(date(2026, 12, 20), 10)
    assert calls == [2026, 2027]


def test_next_business_day() -> None:
    fi = business_calendar("FI")
    # Wed 24.12.2025 .. Sun 28.12.2025 are all closed in Finland.
    assert fi.next_business_day(date(2025, 12, 24)) == date(2025, 12, 29)
    assert fi.next_business_day(date(2025, 12, 23)) == date(2025, 12, 23)
    assert fi.next_business_day(date(2025, 12, 23), include_self=False) == date(2025, 12, 29)
    assert fi.previous_business_day(date(2025, 12, 28)) == date(2025, 12, 23)


def test_add_business_days_counts_the_day_after_as_day_one() -> None:
    fi = business_calendar("FI")
    assert fi.add_business_days(date(2026, 3, 17), 0) == date(2026, 3, 17)
    assert fi.add_business_days(date(2026, 3, 17), 1) == date(2026, 3, 18)
    assert fi.add_business_days(date(2026, 3, 17), 4) == date(2026, 3, 23)  # over a weekend
    # From Tue 23.12.2025: 24-26 holidays, 27-28 weekend; day one is Mon 29.12.
    assert fi.add_business_days(date(2025, 12, 23), 1) == date(2025, 12, 29)
    assert fi.add_business_days(date(2025, 12, 29), -1) == date(2025, 12, 23)


@given(
    st.sampled_from(["FI", "SE", "NO"]),
    st.dates(date(2020, 1, 1), date(2035, 12, 31)),
    st.integers(min_value=0, max_value=40),
)
def test_add_business_days_lands_after_exactly_n_business_days(
    country: str, start: date, n: int
) -> None:
    calendar = business_calendar(country)
    end = calendar.add_business_days(start, n)
    between = [start + timedelta(days=i) for i in range(1, (end - start).days + 1)]
    assert sum(calendar.is_business_day(day) for day in between) == n
    if n:
        assert calendar.is_business_day(end)
    if calendar.is_business_day(start):
        assert calendar.add_business_days(end, -n) == start


# -- Receipt dates and due dates ----------------------------------------------------------


@pytest.mark.parametrize("channel", ELECTRONIC_CHANNELS)
def test_electronic_channels_are_received_the_same_day(channel: str) -> None:
    sent = date(2026, 12, 24)  # even on a holiday
    assert receipt_date("FI", channel, sent, letter_lag_business_days=4) == sent  # type: ignore[arg-type]


def test_channels_tuple_lists_letter_and_electronic() -> None:
    assert set(CHANNELS) == set(ELECTRONIC_CHANNELS) | {"letter"}


def test_letter_lag_in_business_days_skips_weekends_and_holidays() -> None:
    # Sent Thu 18.6.2026; Fri 19.6 is Midsummer Eve, then a weekend: day one is Mon 22.6.
    assert receipt_date("FI", "letter", date(2026, 6, 18), letter_lag_business_days=1) == date(
        2026, 6, 22
    )
    assert receipt_date("NO", "letter", date(2026, 6, 18), letter_lag_business_days=1) == date(
        2026, 6, 19
    )


def test_letter_lag_in_calendar_days() -> None:
    got = receipt_date(
        "FI", "letter", date(2026, 3, 17), letter_lag_business_days=4, lag_unit="calendar"
    )
    assert got == date(2026, 3, 21)  # a Saturday: calendar lag is not moved


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"channel": "fax"}, "calendar.channel"),
        ({"country": "DE"}, "calendar.country"),
        ({"letter_lag_business_days": -1}, "calendar.days"),
        ({"lag_unit": "weeks"}, "calendar.lag_unit"),
    ],
)
def test_receipt_date_errors(kwargs: dict[str, Any], code: str) -> None:
    arguments: dict[str, Any] = {
        "country": "FI",
        "channel": "letter",
        "sent": date(2026, 3, 17),
        "letter_lag_business_days": 2,
    }
    arguments.update(kwargs)
    with pytest.raises(CalendarError) as excinfo:
        receipt_date(**arguments)
    assert excinfo.value.code == code


def test_due_date_gives_full_days_from_receipt() -> None:
    # E-mail sent Mon 2.3.2026: day one is Tue 3.3, day 14 is Mon 16.3.
    assert due_date_for(
        "FI", "email", date(2026, 3, 2), min_days_to_pay=14, letter_lag_business_days=3
    ) == date(2026, 3, 16)


def test_due_date_moves_forward_to_a_business_day() -> None:
    # E-mail sent Fri 12.6.2026 + 7 days = Fri 19.6, Midsummer Eve in Finland -> Mon 22.6.
    assert due_date_for(
        "FI", "email", date(2026, 6, 12), min_days_to_pay=7, letter_lag_business_days=3
    ) == date(2026, 6, 22)
    # Norway has no Midsummer Eve closing.
    assert due_date_for(
        "NO", "email", date(2026, 6, 12), min_days_to_pay=7, letter_lag_business_days=3
    ) == date(2026, 6, 19)


def test_due_date_by_letter_adds_the_lag_first() -> None:
    # Letter sent Mon 2.3.2026, 2 business days -> received Wed 4.3; + 14 -> Wed 18.3.
    assert due_date_for(
        "SE", "letter", date(2026, 3, 2), min_days_to_pay=14, letter_lag_business_days=2
    ) == date(2026, 3, 18)


def test_due_date_rejects_negative_days() -> None:
    with pytest.raises(CalendarError) as excinfo:
        due_date_for(
            "FI", "email", date(2026, 3, 2), min_days_to_pay=-1, letter_lag_business_days=0
        )
    assert excinfo.value.code == "calendar.days"


@given(
    st.sampled_from(["FI", "SE", "NO"]),
    st.sampled_from(CHANNELS),
    st.dates(date(2020, 1, 1), date(2035, 12, 31)),
    st.integers(0, 60),
    st.integers(0, 10),
)
def test_due_date_is_a_business_day_at_least_min_days_after_receipt(
    country: str, channel: Any, issued: date, min_days: int, lag: int
) -> None:
    due = due_date_for(
        country, channel, issued, min_days_to_pay=min_days, letter_lag_business_days=lag
    )
    receipt = receipt_date(country, channel, issued, letter_lag_business_days=lag)
    assert business_calendar(country).is_business_day(due)
    assert (due - receipt).days >= min_days
    assert (due - receipt).days < min_days + 10  # never later than the next business day


# -- The KKV table of nordic-rules.md §2 (due Mon 2.3.2026) -------------------------------


def test_kkv_example_table() -> None:
    due = date(2026, 3, 2)
    first = first_reminder_earliest(due, spacing_days=14)
    assert first == date(2026, 3, 17)  # Tue, day 15
    receipt = receipt_date("FI", "letter", first, letter_lag_business_days=4, lag_unit="calendar")
    assert receipt == date(2026, 3, 21)  # Sat
    deadline = payment_deadline(
        "FI", "letter", first, days_to_pay=10, letter_lag_business_days=4, lag_unit="calendar"
    )
    assert deadline == date(2026, 3, 31)  # Tue
    second = next_reminder_earliest(first, deadline, spacing_days=14)
    assert second == date(2026, 4, 1)  # Wed


def test_next_reminder_waits_for_the_spacing_when_the_deadline_is_early() -> None:
    # E-mail reminder: deadline 10 days later, so the 14 full days decide.
    sent = date(2026, 3, 17)
    deadline = payment_deadline("FI", "email", sent, days_to_pay=10, letter_lag_business_days=4)
    assert deadline == date(2026, 3, 27)
    assert next_reminder_earliest(sent, deadline, spacing_days=14) == date(2026, 4, 1)


def test_next_reminder_waits_for_a_late_deadline() -> None:
    assert next_reminder_earliest(date(2026, 3, 17), date(2026, 4, 10), spacing_days=14) == date(
        2026, 4, 11
    )


def test_day_14_is_too_early_and_day_15_is_allowed() -> None:
    due = date(2026, 3, 2)
    earliest = first_reminder_earliest(due, spacing_days=14)
    assert (earliest - due).days == 15
    full_days_between = (earliest - due).days - 1
    assert full_days_between == 14
