"""The dated legal numbers Kassa must respect, and how to look them up.

Every legal number (fee caps, intervals, interest margins, reference rates, credit caps) is a
:class:`Rule` row valid from a date, with its source and how sure we are of it, as listed in
``shared/reference/nordic-rules.md``. The rows below are the shipped defaults; a merchant adds
newer rows (a new half-year reference rate, a changed cap) through ``KASSA_RULES`` instead of
waiting for a release. Code asks :class:`RuleBook` for the row valid on the relevant day and
never keeps a legal number of its own.

Status tags: ``C`` confirmed in law or an authority's publication, ``S`` secondary source,
``U`` unconfirmed (verify before go-live).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from .errors import KassaError


class RuleError(KassaError, ValueError):
    """A rule row that is malformed, or a lookup for which no row is valid."""

    code = "rules.invalid"


@dataclass(frozen=True, slots=True)
class Rule:
    """One dated legal number for one country.

    ``value`` is a Decimal in the unit the key names (``_pct`` percent, ``_minor`` minor units of
    the country's currency, ``_days`` calendar days, ``_count`` a count).
    """

    country: str
    key: str
    value: Decimal
    effective_from: date
    source: str
    status: str


#: What each rule key means; the key's suffix names its unit.
RULE_KEYS: Mapping[str, str] = {
    "reminder_fee_cap_minor": "highest fee for one payment reminder to a consumer",
    "reminder_first_after_days": "full days after the due date before a fee-bearing reminder",
    "reminder_spacing_days": "full days between two fee-bearing reminders",
    "reminder_min_days_to_pay": "days to pay in each notice, from the channel's receipt date",
    "reminder_max_fee_notices_count": "fee-bearing notices per claim",
    "invoice_min_days_to_pay": "days to pay an invoice, from the channel's receipt date",
    "reference_rate_pct": "the reference rate for late-payment interest and credit caps",
    "late_interest_margin_pct": "late-payment interest margin over the reference rate (consumer)",
    "credit_interest_margin_pct": "credit interest cap: margin over the reference rate",
    "credit_interest_ceiling_pct": "credit interest cap: absolute ceiling",
    "credit_other_costs_per_year_minor": "credit costs other than interest, per year",
    "credit_total_cost_ratio_pct": "total credit cost as a percentage of the credit amount",
    "credit_setup_fee_cap_minor": "highest set-up fee for consumer credit",
}

_NORDIC = "shared/reference/nordic-rules.md"
_FI_CREDIT_CAP = "Consumer Protection Act ch. 7 § 17 a (from 1.10.2023)"


def _row(country: str, key: str, value: str, since: str, status: str,
         source: str = _NORDIC) -> Rule:
    return Rule(country, key, Decimal(value), date.fromisoformat(since), source, status)


#: The shipped defaults. Newer rows come from ``KASSA_RULES``.
DEFAULT_RULES: tuple[Rule, ...] = (
    # Finland
    _row("FI", "reminder_fee_cap_minor", "500", "2013-06-01", "C", "Debt Collection Act 513/1999"),
    _row("FI", "reminder_first_after_days", "14", "2024-10-21", "C", "KKV/378/14.08.01.05/2022"),
    _row("FI", "reminder_spacing_days", "14", "2024-10-21", "C", "KKV/378/14.08.01.05/2022"),
    _row("FI", "reminder_min_days_to_pay", "10", "2024-10-21", "C", "KKV/378/14.08.01.05/2022"),
    _row("FI", "reminder_max_fee_notices_count", "2", "2024-10-21", "U"),
    _row("FI", "invoice_min_days_to_pay", "14", "2024-10-21", "C", "KKV payment guideline"),
    _row("FI", "reference_rate_pct", "4.5", "2024-07-01", "C", "Suomen Pankki H2 2024: 11.5 - 7"),
    # 2025 rows derive from the ECB main refinancing rate rounded up to 0.5 pp; verify them.
    _row("FI", "reference_rate_pct", "3.5", "2025-01-01", "U", "ECB MRO 3.15 % rounded up"),
    _row("FI", "reference_rate_pct", "2.5", "2025-07-01", "U", "ECB MRO 2.15 % rounded up"),
    _row("FI", "reference_rate_pct", "2.5", "2026-01-01", "C", "Suomen Pankki, H1 2026"),
    _row("FI", "late_interest_margin_pct", "7", "2013-03-16", "C", "korkolaki 633/1982 § 4"),
    _row("FI", "credit_interest_margin_pct", "15", "2023-10-01", "C", _FI_CREDIT_CAP),
    _row("FI", "credit_interest_ceiling_pct", "20", "2023-10-01", "C", _FI_CREDIT_CAP),
    _row("FI", "credit_other_costs_per_year_minor", "15000", "2023-10-01", "S"),
    # Sweden
    _row("SE", "reminder_fee_cap_minor", "6000", "2017-01-01", "C", "förordning (1981:1057)"),
    _row("SE", "reminder_first_after_days", "0", "2017-01-01", "U"),
    _row("SE", "reminder_spacing_days", "14", "2017-01-01", "U"),
    _row("SE", "reminder_min_days_to_pay", "10", "2017-01-01", "U"),
    _row("SE", "reminder_max_fee_notices_count", "1", "2017-01-01", "U"),
    _row("SE", "invoice_min_days_to_pay", "14", "2017-01-01", "U"),
    _row("SE", "reference_rate_pct", "4.0", "2024-01-01", "S", "Riksbanken, H1 2024"),
    _row("SE", "late_interest_margin_pct", "8", "1975-07-01", "C", "räntelagen (1975:635) § 6"),
    _row("SE", "credit_interest_margin_pct", "20", "2025-03-01", "S", "Konsumentkreditlagen"),
    _row("SE", "credit_total_cost_ratio_pct", "100", "2025-03-01", "S", "Konsumentkreditlagen"),
    _row("SE", "credit_setup_fee_cap_minor", "59200", "2026-01-01", "U",
         "1 % of prisbasbelopp 2026 (59 200 SEK), Konsumentkreditlagen"),
    # Norway
    _row("NO", "reminder_fee_cap_minor", "3500", "2021-01-01", "C", "inkassoforskriften ch. 1"),
    _row("NO", "reminder_fee_cap_minor", "3750", "2026-01-01", "U", "inkassosats 750 / 20"),
    _row("NO", "reminder_first_after_days", "14", "2021-01-01", "C", "inkassoloven § 9"),
    _row("NO", "reminder_spacing_days", "14", "2021-01-01", "C", "inkassoloven § 9"),
    _row("NO", "reminder_min_days_to_pay", "14", "2021-01-01", "C", "inkassoloven § 9"),
    _row("NO", "reminder_max_fee_notices_count", "2", "2021-01-01", "C", "inkassoforskriften"),
    _row("NO", "invoice_min_days_to_pay", "14", "2021-01-01", "U"),
    _row("NO", "reference_rate_pct", "4.5", "2025-01-01", "C", "FOR-2024-12-19-3279 (12.5 % - 8)"),
    _row("NO", "late_interest_margin_pct", "8", "2025-01-01", "S", "forsinkelsesrenteloven § 3"),
)


class RuleBook:
    """All rule rows, looked up by ``(country, key)`` and the day they must be valid on.

    The row in force on a day is the one with the latest ``effective_from`` on or before it.
    """

    def __init__(self, rules: Iterable[Rule]) -> None:
        table: dict[tuple[str, str], list[Rule]] = {}
        for rule in rules:
            if rule.key not in RULE_KEYS:
                raise RuleError(f"unknown rule key {rule.key!r}", code="rules.key", key=rule.key)
            table.setdefault((rule.country, rule.key), []).append(rule)
        for rows in table.values():
            rows.sort(key=lambda r: r.effective_from)
        self._rows = table
        self._starts = {k: [r.effective_from for r in v] for k, v in table.items()}

    def find(self, country: str, key: str, on: date) -> Rule | None:
        """The row in force for ``country`` and ``key`` on ``on``, or None if the law sets none."""
        starts = self._starts.get((country, key))
        if not starts:
            return None
        index = bisect.bisect_right(starts, on) - 1
        return self._rows[(country, key)][index] if index >= 0 else None

    def value(self, country: str, key: str, on: date) -> Decimal:
        """The value in force; raises :class:`RuleError` when no row covers the day."""
        rule = self.find(country, key, on)
        if rule is None:
            raise RuleError(
                f"no {key} rule for {country} on {on.isoformat()}: add a row to KASSA_RULES",
                code="rules.missing", country=country, key=key, day=on.isoformat(),
            )
        return rule.value

    def rows(self) -> list[Rule]:
        """Every row, ordered by country, key and date."""
        return [r for key in sorted(self._rows) for r in self._rows[key]]


def parse_rule(raw: Mapping[str, object]) -> Rule:
    """Build a rule from a mapping with ``country, key, value, effective_from, source, status``."""
    try:
        country = str(raw["country"]).upper()
        key = str(raw["key"])
        value = Decimal(str(raw["value"]))
        since = raw["effective_from"]
        effective_from = since if isinstance(since, date) else date.fromisoformat(str(since))
    except (KeyError, ValueError, InvalidOperation) as exc:
        raise RuleError(f"malformed rule row {dict(raw)!r}: {exc}", code="rules.row") from exc
    if country not in ("FI", "SE", "NO"):
        raise RuleError(f"rule row for unknown country {country!r}", code="rules.country")
    if key not in RULE_KEYS:
        raise RuleError(f"unknown rule key {key!r}", code="rules.key", key=key)
    if not value.is_finite() or value < 0:
        raise RuleError(f"rule {key} must be a non-negative number", code="rules.value")
    return Rule(country, key, value, effective_from, str(raw.get("source", "merchant")),
                str(raw.get("status", "U")))
