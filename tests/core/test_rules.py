"""The dated legal table: the row in force on a day applies; newer rows replace older ones."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from kassa.core.rules import (
    DEFAULT_RULES,
    RuleBook,
    RuleError,
    missing_half_year_rows,
    parse_rule,
    reminder_fee_needs_agreement,
)


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
                        "effective_from": "2027-01-01", "source": "Suomen Pankki",
                        "status": "C"})
    book = RuleBook(DEFAULT_RULES + (extra,))
    assert book.value("FI", "reference_rate_pct", date(2026, 12, 31)) == Decimal("2.5")
    assert book.value("FI", "reference_rate_pct", date(2027, 1, 1)) == Decimal("3.0")


def test_merchant_row_of_the_same_day_replaces_the_shipped_one() -> None:
    # The shipped FI row for 1.7.2026 is unconfirmed; the merchant enters the published one.
    extra = parse_rule({"country": "FI", "key": "reference_rate_pct", "value": "3.0",
                        "effective_from": "2026-07-01", "source": "Suomen Pankki",
                        "status": "C"})
    book = RuleBook(DEFAULT_RULES + (extra,))
    assert book.value("FI", "reference_rate_pct", date(2026, 6, 30)) == Decimal("2.5")
    rule = book.find("FI", "reference_rate_pct", date(2026, 7, 1))
    assert rule is not None and (rule.value, rule.status) == (Decimal("3.0"), "C")


#: Reference rates per half-year as the law sets them (nordic-rules.md §1): FI the ECB main
#: refinancing rate before the half-year rounded up to 0.5 pp; SE the Riksbank's effective
#: policy rate at the end of the previous half-year rounded up to 0.5 pp (the December 2024
#: cut to 2.50 % applied from 8.1.2025, so 2.75 % -> 3.0 for H1 2025); NO the regulation's
#: late-payment rate less its 8 pp margin.
HALF_YEAR_RATES = [
    ("FI", date(2024, 7, 1), "4.5", "C"),
    ("FI", date(2025, 1, 1), "3.5", "S"),  # ECB 3.15 %
    ("FI", date(2025, 7, 1), "2.5", "U"),  # ECB 2.15 %
    ("FI", date(2026, 1, 1), "2.5", "C"),
    ("FI", date(2026, 7, 1), "2.5", "U"),  # ECB 2.15 % or 2.40 % both round up to 2.5
    ("SE", date(2024, 1, 1), "4.0", "C"),
    ("SE", date(2024, 7, 1), "4.0", "C"),
    ("SE", date(2025, 1, 1), "3.0", "S"),  # policy rate 2.75 % on 31.12.2024
    ("SE", date(2025, 7, 1), "2.0", "S"),  # 2.00 % on 30.6.2025
    ("SE", date(2026, 1, 1), "2.0", "S"),  # 1.75 % on 31.12.2025
    ("NO", date(2025, 1, 1), "4.5", "C"),  # 12.5 % - 8
    ("NO", date(2025, 7, 1), "4.25", "U"),  # 12.25 % - 8 (policy rate 4.25 %)
    ("NO", date(2026, 1, 1), "4.0", "U"),  # 12.0 % - 8 (policy rate 4.0 %)
]


@pytest.mark.parametrize(("country", "since", "value", "status"), HALF_YEAR_RATES)
def test_reference_rate_of_each_half_year_with_its_status(
        country: str, since: date, value: str, status: str) -> None:
    book = RuleBook(DEFAULT_RULES)
    for day in (since, date(since.year, since.month + 5, 30)):  # first and last month
        rule = book.find(country, "reference_rate_pct", day)
        assert rule is not None
        assert (rule.value, rule.effective_from, rule.status) == (Decimal(value), since, status)
        assert rule.source


def test_late_interest_follows_the_half_years_in_2025_and_2026() -> None:
    book = RuleBook(DEFAULT_RULES)
    rate = {(c, d): book.value(c, "reference_rate_pct", d)
            + book.value(c, "late_interest_margin_pct", d)
            for c in ("SE", "NO") for d in (date(2025, 7, 1), date(2026, 1, 1))}
    assert rate[("SE", date(2025, 7, 1))] == rate[("SE", date(2026, 1, 1))] == Decimal("10.0")
    assert rate[("NO", date(2025, 7, 1))] == Decimal("12.25")
    assert rate[("NO", date(2026, 1, 1))] == Decimal("12.0")


# -- A half-year without its row ---------------------------------------------------------------

SERVED = ("FI", "SE", "NO")


def test_second_half_of_2026_lacks_the_swedish_and_norwegian_rows() -> None:
    gaps = missing_half_year_rows(RuleBook(DEFAULT_RULES), SERVED, date(2026, 12, 2))
    assert [(g.country, g.key, g.half_year) for g in gaps] == [
        ("SE", "reference_rate_pct", date(2026, 7, 1)),
        ("NO", "reference_rate_pct", date(2026, 7, 1))]
    se, no = gaps
    assert se.message == (
        "SE: no reference_rate_pct row for the half-year 2026-07-01 - 2026-12-31; the row of "
        "2026-01-01 (2.0 %) still applies. Add the new rate to KASSA_RULES (country 'SE', key "
        "'reference_rate_pct', effective_from '2026-07-01').")
    assert "the row of 2026-01-01 (4.0 %) still applies" in no.message


def test_every_row_is_there_in_the_first_half_of_2026() -> None:
    book = RuleBook(DEFAULT_RULES)
    assert missing_half_year_rows(book, SERVED, date(2026, 1, 1)) == []
    assert missing_half_year_rows(book, SERVED, date(2026, 6, 30)) == []


def test_the_warning_goes_on_the_first_day_of_the_half_year() -> None:
    gaps = missing_half_year_rows(RuleBook(DEFAULT_RULES), ("SE",), date(2026, 7, 1))
    assert [g.half_year for g in gaps] == [date(2026, 7, 1)]


def test_a_merchant_row_for_the_half_year_ends_the_warning() -> None:
    row = parse_rule({"country": "SE", "key": "reference_rate_pct", "value": "2.0",
                      "effective_from": "2026-07-01", "source": "Riksbanken", "status": "C"})
    gaps = missing_half_year_rows(RuleBook(DEFAULT_RULES + (row,)), SERVED, date(2026, 12, 2))
    assert [g.country for g in gaps] == ["NO"]


def test_a_row_from_before_the_half_year_does_not_count() -> None:
    row = parse_rule({"country": "SE", "key": "reference_rate_pct", "value": "2.0",
                      "effective_from": "2026-06-30"})
    gaps = missing_half_year_rows(RuleBook(DEFAULT_RULES + (row,)), ("SE",), date(2026, 7, 1))
    assert len(gaps) == 1 and gaps[0].applied is not None
    assert gaps[0].applied.effective_from == date(2026, 6, 30)


def test_only_served_countries_are_checked_and_no_row_at_all_warns() -> None:
    book = RuleBook(DEFAULT_RULES)
    assert missing_half_year_rows(book, ("FI",), date(2026, 12, 2)) == []
    gaps = missing_half_year_rows(RuleBook(()), ("FI",), date(2026, 12, 2))
    assert gaps[0].applied is None and "no row applies at all" in gaps[0].message


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


def test_only_sweden_allows_a_reminder_fee_only_if_agreed() -> None:
    book = RuleBook(DEFAULT_RULES)
    day = date(2026, 3, 1)
    assert reminder_fee_needs_agreement("SE", book, day) is True
    assert reminder_fee_needs_agreement("FI", book, day) is False
    assert reminder_fee_needs_agreement("no", book, day) is False


def test_a_flag_row_is_yes_or_no() -> None:
    with pytest.raises(RuleError) as caught:
        parse_rule({"country": "SE", "key": "reminder_fee_needs_agreement_flag", "value": "2",
                    "effective_from": "2026-01-01"})
    assert caught.value.code == "rules.value"
