"""The dated legal table: the row in force on a day applies; newer rows replace older ones."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from kassa.core.rules import DEFAULT_RULES, RuleBook, RuleError, parse_rule


def test_row_in_force_is_the_latest_started_on_or_before_the_day() -> None:
    book = RuleBook(DEFAULT_RULES)
    assert book.value("FI", "reference_rate_pct", date(2024, 12, 31)) == Decimal("4.5")
    assert book.value("FI", "reference_rate_pct", date(2026, 1, 1)) == Decimal("2.5")
    assert book.value("NO", "reminder_fee_cap_minor", date(2025, 6, 1)) == 3500
    assert book.value("NO", "reminder_fee_cap_minor", date(2026, 2, 1)) == 3750


def test_shipped_caps_match_the_reference() -> None:
    book = RuleBook(DEFAULT_RULES)
    day = date(2026, 3, 1)
    assert book.value("FI", "reminder_fee_cap_minor", day) == 500
    assert book.value("SE", "reminder_fee_cap_minor", day) == 6000
    assert book.value("FI", "reminder_min_days_to_pay", day) == 10
    assert book.value("FI", "credit_interest_ceiling_pct", day) == 20


def test_merchant_row_extends_the_table() -> None:
    extra = parse_rule({"country": "FI", "key": "reference_rate_pct", "value": "3.0",
                        "effective_from": "2026-07-01", "source": "Suomen Pankki",
                        "status": "C"})
    book = RuleBook(DEFAULT_RULES + (extra,))
    assert book.value("FI", "reference_rate_pct", date(2026, 6, 30)) == Decimal("2.5")
    assert book.value("FI", "reference_rate_pct", date(2026, 7, 1)) == Decimal("3.0")


def test_missing_rule_names_country_key_and_day() -> None:
    with pytest.raises(RuleError, match="no reference_rate_pct rule for FI on 2000-01-01"):
        RuleBook(DEFAULT_RULES).value("FI", "reference_rate_pct", date(2000, 1, 1))


@pytest.mark.parametrize(
    ("row", "code"),
    [
        ({"country": "DK", "key": "reference_rate_pct", "value": "1",
          "effective_from": "2026-01-01"}, "rules.country"),
        ({"country": "FI", "key": "reminder_fee", "value": "1", "effective_from": "2026-01-01"},
         "rules.key"),
        ({"country": "FI", "key": "reference_rate_pct", "value": "-1",
          "effective_from": "2026-01-01"}, "rules.value"),
        ({"country": "FI", "key": "reference_rate_pct", "value": "x",
          "effective_from": "2026-01-01"}, "rules.row"),
        ({"country": "FI", "key": "reference_rate_pct", "value": "1"}, "rules.row"),
    ],
)
def test_malformed_rows_are_refused(row: dict[str, str], code: str) -> None:
    with pytest.raises(RuleError) as caught:
        parse_rule(row)
    assert caught.value.code == code
