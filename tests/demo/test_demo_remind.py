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
    remind(5999, instance, until="reminder", today=bought)
    said = capsys.readouterr().out
    assert "0 friendly contacts, 1 reminders" in said, said


def test_with_nothing_open_it_says_what_to_do(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    remind(5999, str(tmp_path), until="friendly", today=WEEK[0])
    assert "Buy something on invoice first" in capsys.readouterr().out
