"""Business-hours deadlines: the worked examples of support-metrics.md §1 and its edge cases."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest
from flask import Flask

from kassa.service_settings import parse_support_hours
from kassa.services.sla import add_business_time, business_seconds_between, same_business_day_due

WEEK_08_16 = {day: ["08:00-16:00"] for day in ("mon", "tue", "wed", "thu", "fri")}
HOURS = parse_support_hours({c: WEEK_08_16 for c in ("FI", "SE", "NO")})
ZONES = {"FI": "Europe/Helsinki", "SE": "Europe/Stockholm", "NO": "Europe/Oslo"}
H = 3600


def local(country: str, *args: int) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(ZONES[country]))  # type: ignore[misc]


@pytest.mark.parametrize(("country", "due"), [
    ("FI", (2026, 4, 2, 11, 0)),   # 1 h Wed + 3 h Thu
    ("SE", (2026, 4, 2, 11, 0)),
    ("NO", (2026, 4, 7, 11, 0)),   # Maundy Thursday, Good Friday, Easter Monday closed
])
def test_four_business_hours_from_wednesday_afternoon(country: str, due: tuple[int, ...]) -> None:
    start = local(country, 2026, 4, 1, 15, 0)
    assert add_business_time(HOURS[country], start, 4 * H) == local(country, *due)


def test_resolution_clock_paused_while_waiting_on_the_customer() -> None:
    fi = HOURS["FI"]
    start = local("FI", 2026, 4, 1, 15, 0)
    paused = business_seconds_between(fi, local("FI", 2026, 4, 2, 10, 0),
                                      local("FI", 2026, 4, 2, 14, 0))
    assert paused == 4 * H
    # Wed 1 h + Thu 2 h + Thu 2 h = 5 h; Good Friday and Easter Monday closed -> Tue 11:00.
    assert add_business_time(fi, start, 8 * H + paused) == local("FI", 2026, 4, 7, 11, 0)


def test_chatwoot_reference_friday_evening_plus_one_hour() -> None:
    nine_to_five = parse_support_hours({"FI": {d: ["09:00-17:00"] for d in
                                               ("mon", "tue", "wed", "thu", "fri")}})["FI"]
    friday = local("FI", 2026, 5, 8, 16, 30)
    assert add_business_time(nine_to_five, friday, H) == local("FI", 2026, 5, 11, 9, 30)


def test_sixteen_hours_of_eight_hour_days_are_two_business_days() -> None:
    monday = local("FI", 2026, 5, 4, 8, 0)
    assert add_business_time(HOURS["FI"], monday, 16 * H) == local("FI", 2026, 5, 5, 16, 0)


def test_edges_before_opening_exact_fit_split_windows_and_dst() -> None:
    fi = HOURS["FI"]
    assert add_business_time(fi, local("FI", 2026, 5, 5, 6, 0), H) == local("FI", 2026, 5, 5, 9, 0)
    # Exactly the time left: due at the close, not at the next opening.
    assert add_business_time(fi, local("FI", 2026, 5, 5, 15, 0), H) == local("FI", 2026, 5, 5, 16)
    lunch = parse_support_hours({"FI": {"mon": ["08:00-11:30", "12:00-16:00"]}})["FI"]
    assert add_business_time(lunch, local("FI", 2026, 5, 4, 11, 0), H) == \
        local("FI", 2026, 5, 4, 12, 30)
    # Summer time starts Sun 29.3.2026: Monday 09:00 in Helsinki is 06:00 UTC.
    friday = local("FI", 2026, 3, 27, 15, 0)
    assert add_business_time(fi, friday, 2 * H) == datetime(2026, 3, 30, 6, 0, tzinfo=UTC)


@pytest.mark.parametrize(("received", "due"), [
    ((2026, 4, 7, 13, 59), (2026, 4, 7, 16, 0)),
    ((2026, 4, 7, 14, 1), (2026, 4, 8, 16, 0)),
    ((2026, 4, 2, 15, 0), (2026, 4, 7, 16, 0)),  # Good Friday, weekend, Easter Monday
])
def test_same_business_day_cutoff(received: tuple[int, ...], due: tuple[int, ...]) -> None:
    assert same_business_day_due(HOURS["FI"], local("FI", *received), time(14, 0)) == \
        local("FI", *due)


def test_the_merchants_own_closed_days_stop_the_clock_too() -> None:
    """A staff day on Thursday 2.4.2026 in Finland: Wed 1 h, then Tue 7.4 (Good Friday and
    Easter Monday are public holidays) 3 h."""
    hours = parse_support_hours({"FI": {**WEEK_08_16, "closed": ["2026-04-02"]}})["FI"]
    assert add_business_time(hours, local("FI", 2026, 4, 1, 15, 0), 4 * H) == \
        local("FI", 2026, 4, 7, 11, 0)
    assert not hours.is_open_day(datetime(2026, 4, 2).date())


@pytest.mark.parametrize("closed", ["2026-13-01", "soon", "2026-12-32"])
def test_a_closed_day_that_is_not_a_date_is_refused(closed: object) -> None:
    with pytest.raises(ValueError, match="closed day"):
        parse_support_hours({"FI": {**WEEK_08_16, "closed": [closed]}})


def test_waiting_on_the_customer_moves_a_friendly_contacts_due_instant_too(
        make_app: Callable[..., Flask]) -> None:
    """A friendly contact keeps the due instant the reminder run gave it; the business time
    spent waiting on the customer is added to it, as for every other kind."""
    from kassa import get_state
    from kassa.db import SupportTask
    from kassa.services.tasks import sla_due

    state = get_state(make_app(None, upgrade=False))
    due = local("FI", 2026, 4, 1, 15, 0)  # Wed 15:00 in Helsinki; open 9-16 by default
    task = SupportTask(kind="overdue_contact", due_at=due.astimezone(UTC),
                       created_at=due.astimezone(UTC), paused_seconds=2 * H)
    assert sla_due(state, task, "FI") == local("FI", 2026, 4, 2, 10, 0)  # 1 h Wed + 1 h Thu
