"""The dated legal numbers Kassa must respect, and how to look them up.

Every legal number (fee caps, intervals, interest margins, reference rates, credit caps) is a
:class:`Rule` row valid from a date, with its source and how sure we are of it, as listed in
``shared/reference/nordic-rules.md``. The rows below are the shipped defaults; a merchant adds
newer rows (a new half-year reference rate, a changed cap) through ``KASSA_RULES`` instead of
waiting for a release. Code asks :class:`RuleBook` for the row valid on the relevant day and
never keeps a legal number of its own. A half-yearly rate with no row for the current
half-year is reported by :func:`missing_half_year_rows` (a warning at start-up and in
``flask kassa rules``): the older row goes on applying until one is added.

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
    the country's currency, ``_days`` calendar days, ``_count`` a count, ``_flag`` 1 for yes and
    0 for no).
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
    "reminder_fee_needs_agreement_flag": "a reminder fee only if agreed when the debt arose",
    "invoice_min_days_to_pay": "days to pay an invoice, from the channel's receipt date",
    "reference_rate_pct": "the reference rate for late-payment interest and credit caps",
    "late_interest_margin_pct": "late-payment interest margin over the reference rate (consumer)",
    "credit_interest_margin_pct": "credit interest cap: margin over the reference rate",
    "credit_interest_ceiling_pct": "credit interest cap: absolute ceiling",
    "credit_other_costs_per_year_minor": "credit costs other than interest, per year",
    "credit_total_cost_ratio_pct": "total credit cost as a percentage of the credit amount",
    "credit_setup_fee_cap_minor": "highest set-up fee for consumer credit",
    "credit_scope_free_exempt_flag": "credit free of interest and of every other charge is "
                                     "not consumer credit, whatever its length",
    "credit_scope_deferral_sme_days": "longest deferral, free of interest and charges, that a "
                                      "micro, small or medium-sized merchant grants without it "
                                      "being consumer credit (from purchase to the last due "
                                      "date)",
    "credit_scope_deferral_large_days": "the same for any other merchant",
    "credit_report_new_days": "days after a credit agreement by which the credit register "
                              "must have the new credit",
    "credit_report_change_business_days": "business days after a change to a credit, or its "
                                          "end, by which the credit register must have it",
    "credit_report_delay_days": "days an instalment may be unpaid after its due date "
                                "before the delay is reported to the credit register",
    "credit_withdrawal_days": "calendar days to withdraw from a consumer credit agreement",
    "credit_withdrawal_repay_days": "calendar days to repay the credit after withdrawing",
    "extension_fee_cap_minor": "highest fee for more time to pay an invoice",
    "plan_fee_cap_minor": "highest fee for a payment plan on an overdue invoice, all months",
}

_NORDIC = "shared/reference/nordic-rules.md"
_FI_CREDIT_CAP = "Consumer Protection Act ch. 7 § 17 a (from 1.10.2023)"
_FI_REGISTER = ("vero.fi, Tulorekisteriyksikkö 15.9.2025: a new credit by the next calendar "
                "day, changes and an ended credit within two weekdays (laki 739/2022)")
_NO_REGISTER = "gjeldsinformasjonsloven (2017:47) and gjeldsinformasjonsforskriften"
_FI_FREE_CREDIT = ("Consumer Protection Act ch. 7 § 2 point 1 (746/2010): no interest or other "
                   "charges; law text read in a secondary copy (velkaa.fi)")
_FI_CCD2 = ("HE 120/2025 (C): chapter 7 extended to credit free of interest and charges, only "
            "certain deferrals stay out; in force on 20.11.2026 (CCD2's date) not confirmed")
_CCD2_DEFERRAL = ("Directive (EU) 2023/2225 Art. 2(2): the supplier's own deferral free of "
                  "interest and charges, paid within 50 days (SME) / 14 days (others); the "
                  "article read in secondary sources (Loyens & Loeff, CMS), not in the OJ")
_SE_CREDIT_LAW = ("Konsumentkreditlagen (2010:1846) 1-2 §§: any credit a trader gives a "
                  "consumer, betalningsanstånd included (law text, lagen.nu copy)")
_SE_DEFERRAL = ("assumed from Directive (EU) 2023/2225 Art. 2(2); Swedish transposition not "
                "found. KkrL spares invoice purchases the withdrawal right and the credit "
                "check (hallakonsument.se, Konsumentverket)")
_WITHDRAWAL_ACTS = (("FI", "Consumer Protection Act ch. 7 § 16 (S)"),
                    ("SE", "Konsumentkreditlagen (2010:1846) 16 § (S)"),
                    ("NO", "finansavtaleloven 2020 (S)"))


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
    _row("FI", "reminder_fee_needs_agreement_flag", "0", "2013-06-01", "S",
         "Debt Collection Act 513/1999: a statutory fee"),
    # Reference rate (korkolaki § 12): the ECB main refinancing rate of the last operation
    # before the half-year, rounded up to the next 0.5 pp; one row per half-year.
    _row("FI", "reference_rate_pct", "4.5", "2024-07-01", "C", "Suomen Pankki H2 2024: 11.5 - 7"),
    _row("FI", "reference_rate_pct", "3.5", "2025-01-01", "S",
         "Suomen Pankki notice for 1.1.-30.6.2025 (3.5 %, late interest 10.5 %) as quoted by a "
         "secondary page; = ECB MRO 3.15 % rounded up"),
    _row("FI", "reference_rate_pct", "2.5", "2025-07-01", "U",
         "ECB MRO 2.15 % (from 11.6.2025) rounded up; Suomen Pankki notice not found"),
    _row("FI", "reference_rate_pct", "2.5", "2026-01-01", "C",
         "Suomen Pankki notice for 1.1.-30.6.2026 (late interest 9.5 %)"),
    _row("FI", "reference_rate_pct", "2.5", "2026-07-01", "U",
         "derived, not confirmed: ECB MRO before 1.7.2026 rounded up to 0.5 pp; 2.15 % "
         "(unchanged at least to 2/2026) or 2.40 % (a +25 bp in 6/2026, one unofficial "
         "report) both give 2.5; Suomen Pankki notice for 1.7.-31.12.2026 not found"),
    _row("FI", "late_interest_margin_pct", "7", "2013-03-16", "C", "korkolaki 633/1982 § 4"),
    # More time to pay (maksuaikasopimus): at most 5 EUR, for an extension of 14 days or more.
    _row("FI", "extension_fee_cap_minor", "500", "2013-06-01", "S",
         "Debt Collection Act 513/1999 § 10 a, as read by nordic-rules.md"),
    _row("FI", "credit_interest_margin_pct", "15", "2023-10-01", "C", _FI_CREDIT_CAP),
    _row("FI", "credit_interest_ceiling_pct", "20", "2023-10-01", "C", _FI_CREDIT_CAP),
    _row("FI", "credit_other_costs_per_year_minor", "15000", "2023-10-01", "S"),
    # The positive credit register (laki positiivisesta luottotietorekisteristä 739/2022),
    # reporting from 1.2.2024: the deadlines as the Incomes Register Unit publishes them.
    _row("FI", "credit_report_new_days", "1", "2024-02-01", "C", _FI_REGISTER),
    _row("FI", "credit_report_change_business_days", "2", "2024-02-01", "C", _FI_REGISTER),
    _row("FI", "credit_report_delay_days", "60", "2024-02-01", "S",
         "nordic-rules.md § 4 (C there); the 60 days re-read only in secondary pages"),
    # Sweden
    _row("SE", "reminder_fee_cap_minor", "6000", "2017-01-01", "C", "förordning (1981:1057)"),
    _row("SE", "reminder_first_after_days", "0", "2017-01-01", "U"),
    _row("SE", "reminder_spacing_days", "14", "2017-01-01", "U"),
    _row("SE", "reminder_min_days_to_pay", "10", "2017-01-01", "U"),
    _row("SE", "reminder_max_fee_notices_count", "1", "2017-01-01", "U"),
    _row("SE", "invoice_min_days_to_pay", "14", "2017-01-01", "U"),
    # The rule is older than the row: it starts with the table's other Swedish fee rows.
    _row("SE", "reminder_fee_needs_agreement_flag", "1", "2017-01-01", "C",
         "lag (1981:739) om ersättning för inkassokostnader m.m."),
    # Referensränta (räntelagen § 9): the Riksbank's *effective* policy rate at the end of the
    # previous half-year, rounded up to 0.5 pp (riksbank.se).
    _row("SE", "reference_rate_pct", "4.0", "2024-01-01", "C", "Riksbanken, referensränta H1 2024"),
    _row("SE", "reference_rate_pct", "4.0", "2024-07-01", "C", "Riksbanken, referensränta H2 2024"),
    _row("SE", "reference_rate_pct", "3.0", "2025-01-01", "S",
         "secondary table (mystep.se); the cut to 2.50 % applied only from 8.1.2025, so the "
         "effective policy rate at 31.12.2024 was 2.75 %, rounded up 3.0"),
    _row("SE", "reference_rate_pct", "2.0", "2025-07-01", "S",
         "secondary table (mystep.se); policy rate 2.00 % at 30.6.2025"),
    _row("SE", "reference_rate_pct", "2.0", "2026-01-01", "S",
         "secondary table (mystep.se); policy rate 1.75 % at 31.12.2025 rounded up"),
    _row("SE", "late_interest_margin_pct", "8", "1975-07-01", "C", "räntelagen (1975:635) § 6"),
    # An amorteringsplan may cost at most 170 SEK (inkassokostnadsförordningen).
    _row("SE", "plan_fee_cap_minor", "17000", "2017-01-01", "C", "förordning (1981:1057)"),
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
    _row("NO", "reminder_fee_needs_agreement_flag", "0", "2021-01-01", "S",
         "inkassoforskriften ch. 1: a statutory fee"),
    # Norway's late interest is fixed by regulation each 1.1 and 1.7 from Norges Bank's policy
    # rate + 8 pp; the rows hold that rate minus the 8 margin.
    _row("NO", "reference_rate_pct", "4.5", "2025-01-01", "C", "FOR-2024-12-19-3279 (12.5 % - 8)"),
    _row("NO", "reference_rate_pct", "4.25", "2025-07-01", "U",
         "FOR-2025-06-23-1321 (in force 1.7.2025; its rate not read): Norges Bank policy rate "
         "4.25 % from 19.6.2025, + 8 = 12.25 %"),
    _row("NO", "reference_rate_pct", "4.0", "2026-01-01", "U",
         "regulation for 1.1.2026 not found: Norges Bank policy rate 4.0 % from 18.9.2025 "
         "(kept 11/2025 and 12/2025), + 8 = 12.0 %"),
    _row("NO", "late_interest_margin_pct", "8", "2025-01-01", "S", "forsinkelsesrenteloven § 3"),
    # Gjeldsinformasjonsloven: finansforetak report unsecured debt to the debt information
    # companies (Prop. 87 L (2016-2017), C); how soon is not confirmed. No delay row: whether
    # a delay is reported is unconfirmed, so none is sent.
    _row("NO", "credit_report_new_days", "1", "2019-07-01", "U", _NO_REGISTER),
    _row("NO", "credit_report_change_business_days", "1", "2019-07-01", "U", _NO_REGISTER),
    # The consumer's right to withdraw from a credit agreement (CCD1 Art. 14, CCD2 Art. 26):
    # 14 calendar days, and 30 days after the notice to repay the credit with its interest.
    # The directives' text is confirmed; each country's transposition is read second-hand.
    *(_row(country, "credit_withdrawal_days", "14", "2011-06-11", "S",
           "Directive 2008/48/EC Art. 14(1) (C); Directive (EU) 2023/2225 Art. 26 (C); "
           + act) for country, act in _WITHDRAWAL_ACTS),
    *(_row(country, "credit_withdrawal_repay_days", "30", "2011-06-11", "S",
           "Directive 2008/48/EC Art. 14(3)(b) (C); " + act)
      for country, act in _WITHDRAWAL_ACTS),
    # Which offers are consumer credit (kassa.core.credit_scope). Finland: chapter 7 left out
    # credit free of interest and of every other charge; HE 120/2025 brings it in and keeps
    # only CCD2's deferrals out. Sweden: the credit law covers an invoice, but spares it the
    # withdrawal right and the credit check; CCD2's deferral bounds are assumed. Norway: no
    # exemption found, so every deferral is credit (the safe side) until a row says otherwise.
    _row("FI", "credit_scope_free_exempt_flag", "1", "2011-02-01", "S", _FI_FREE_CREDIT),
    _row("FI", "credit_scope_free_exempt_flag", "0", "2026-11-20", "U", _FI_CCD2),
    _row("FI", "credit_scope_deferral_sme_days", "50", "2026-11-20", "S", _CCD2_DEFERRAL),
    _row("FI", "credit_scope_deferral_large_days", "14", "2026-11-20", "S", _CCD2_DEFERRAL),
    _row("SE", "credit_scope_free_exempt_flag", "0", "2011-01-01", "C", _SE_CREDIT_LAW),
    _row("SE", "credit_scope_deferral_sme_days", "50", "2026-11-20", "U", _SE_DEFERRAL),
    _row("SE", "credit_scope_deferral_large_days", "14", "2026-11-20", "U", _SE_DEFERRAL),
    _row("NO", "credit_scope_free_exempt_flag", "0", "2023-01-01", "U",
         "finansavtaleloven 2020: no exemption for free credit found; CCD2 not yet EEA law"),
)


class RuleBook:
    """All rule rows, looked up by ``(country, key)`` and the day they must be valid on.

    The row in force on a day is the one with the latest ``effective_from`` on or before it;
    of rows with the same date, the one given last (so a merchant's ``KASSA_RULES`` row, which
    follows the shipped ones, replaces a shipped row of the same day).
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
    if key.endswith("_flag") and value not in (0, 1):
        raise RuleError(f"rule {key} must be 1 (yes) or 0 (no)", code="rules.value")
    return Rule(country, key, value, effective_from, str(raw.get("source", "merchant")),
                str(raw.get("status", "U")))


def reminder_fee_needs_agreement(country: str, rulebook: RuleBook, on: date) -> bool:
    """Whether a reminder fee may be charged in ``country`` only if the shopper agreed to it
    at the latest when the debt arose (SE), rather than by law (FI, NO): the
    ``reminder_fee_needs_agreement_flag`` row in force on ``on``.

    :raises RuleError: ``rules.missing`` when no row covers the day.
    """
    return rulebook.value(str(country).upper(), "reminder_fee_needs_agreement_flag", on) != 0


def half_year_start(day: date) -> date:
    """The first day of ``day``'s calendar half-year: 1 January or 1 July."""
    return date(day.year, 1 if day.month <= 6 else 7, 1)


@dataclass(frozen=True, slots=True)
class MissingHalfYearRow:
    """A country whose rate in force on a day was not set for that day's half-year."""

    country: str
    key: str
    #: The first day of the half-year that has no row of its own (1 January or 1 July).
    half_year: date
    #: The older row still applied meanwhile, or None when the table has none at all.
    applied: Rule | None

    @property
    def message(self) -> str:
        """One line a merchant can act on."""
        last = (date(self.half_year.year, 6, 30) if self.half_year.month == 1
                else date(self.half_year.year, 12, 31))
        period = f"{self.half_year.isoformat()} - {last.isoformat()}"
        applied = (f"the row of {self.applied.effective_from.isoformat()} ({self.applied.value} "
                   f"%) still applies" if self.applied is not None else "no row applies at all")
        return (f"{self.country}: no {self.key} row for the half-year {period}; {applied}. "
                f"Add the new rate to KASSA_RULES (country {self.country!r}, key "
                f"{self.key!r}, effective_from {self.half_year.isoformat()!r}).")


#: Keys that the law sets anew for every half-year.
HALF_YEAR_KEYS: tuple[str, ...] = ("reference_rate_pct",)


def missing_half_year_rows(rulebook: RuleBook, countries: Iterable[str],
                           today: date) -> list[MissingHalfYearRow]:
    """The countries whose half-yearly rate in force on ``today`` is not from ``today``'s
    half-year: the row in force must start on or after 1 January or 1 July of it.

    Such a country still gets the last known rate (the row in force), which is why this is a
    warning and not an error: interest and credit caps go on with a stale rate until a
    merchant adds the row through ``KASSA_RULES``.
    """
    start = half_year_start(today)
    missing = []
    for country in countries:
        for key in HALF_YEAR_KEYS:
            rule = rulebook.find(country, key, today)
            if rule is None or rule.effective_from < start:
                missing.append(MissingHalfYearRow(country, key, start, rule))
    return missing
