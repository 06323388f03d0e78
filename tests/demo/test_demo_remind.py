"""``make demo-remind`` takes the README's steps on whatever weekday the demo is tried."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from demo_shop.run import demo_app, remind
from kassa import get_state
from kassa.db import migrate
from tests.factories import make_invoice

#: A week of purchase days, Monday to Sunday, away from the Christmas holidays.
WEEK = [date(2027, 5, 3) + timedelta(days=n) for n in range(7)]


@pytest.mark.parametrize("bought", WEEK, ids=[d.strftime("%a") for d in WEEK])
@pytest.mark.parametrize("country", ["FI", "SE", "NO"])
def test_the_friendly_contact_and_then_the_first_reminder_come_on_any_weekday(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], bought: date, country: str) -> None:
    instance = str(tmp_path)
    app = demo_app(5999, instance)
    migrate.upgrade(get_state(app).db)
    make_invoice(app, country=country, issued=bought)
    get_state(app).db.dispose()

    remind(5999, instance, until="friendly", today=bought)
    said = capsys.readouterr().out
    assert "1 friendly contacts, 0 reminders" in said, said
    assert "friendly contact, no fee" in said and "The next step falls due on" in said
    # The next call goes on from the day the last run saw, as a daily scheduler would.
    remind(5999, instance, until="reminder", today=bought)
    said = capsys.readouterr().out
    assert "0 friendly contacts, 1 reminders" in said, said
    assert "payment reminder 1, fee" in said or "inkassovarsel, fee" in said, said


@pytest.mark.parametrize("bought", [WEEK[4], WEEK[0]], ids=["Fri", "Mon"])
def test_days_runs_every_day_from_the_last_run_and_says_what_it_did(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], bought: date) -> None:
    instance = str(tmp_path)
    app = demo_app(5999, instance)
    migrate.upgrade(get_state(app).db)
    make_invoice(app, country="NO", issued=bought)
    get_state(app).db.dispose()

    remind(5999, instance, days=20, today=bought)
    said = capsys.readouterr().out
    assert "1 friendly contacts, 0 reminders" in said, said
    remind(5999, instance, days=20, today=bought)  # those days have been run
    assert "already seen every day" in capsys.readouterr().out
    remind(5999, instance, days=70, today=bought)  # days 21 to 70, not again 1 to 20
    said = capsys.readouterr().out
    assert "0 friendly contacts, 2 reminders" in said, said
    lines = [line for line in said.splitlines() if "invoice" in line and "fee" in line]
    assert "payment reminder 1" in lines[0] and "inkassovarsel" in lines[1], said


def test_with_nothing_open_it_says_what_to_do(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    remind(5999, str(tmp_path), until="friendly", today=WEEK[0])
    assert "Buy something on invoice first" in capsys.readouterr().out
