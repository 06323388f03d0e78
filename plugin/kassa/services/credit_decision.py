"""Whether a shopper may buy on invoice or instalments: the pluggable credit decision.

A merchant passes its own callable as ``Kassa(credit_decider=...)``; it receives a
:class:`CreditApplication` and returns a :class:`CreditDecision`. Without one, Kassa's
default rules apply (:func:`assess`), each recorded with the decision whether it passed:

========================  =======================================================================
rule (the reason code)    declines when
========================  =======================================================================
``age``                   the shopper is under 18
``credit_ban``            the register reports a voluntary credit ban (also over a merchant's
                          own decider: no credit is granted against a ban)
``overdue``               the customer has an overdue invoice with this shop
``often_late``            the shop's own history: at least 2 earlier invoices went overdue, and
                          they are at least half of them (the ``often_late`` segment)
``balance_cap``           the open balance with this shop, this purchase included, is above
                          ``KASSA_OPEN_BALANCE_CAP``
``payment_defaults``      the register reports more defaults than
                          ``KASSA_CREDIT_MAX_PAYMENT_DEFAULTS``
``unsecured_debt``        the register's unsecured debt plus this purchase is above
                          ``KASSA_CREDIT_MAX_UNSECURED_DEBT``
``debt_to_income``        that debt is above ``KASSA_CREDIT_MAX_DEBT_TO_INCOME_PCT`` of the
                          gross annual income the register reports
========================  =======================================================================

A rule whose data is missing (no register for the country, or one that does not report the
field) is recorded as ``no_data``, not as passed. Why these thresholds: docs/consumer-credit.md.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from ..core.credit_register import RegisterReport

#: The age from which a shopper may take credit.
ADULT_AGE = 18

#: What became of one rule: it passed, it declined, or the data it needs was not there.
Outcome = Literal["passed", "failed", "no_data"]


@dataclass(frozen=True)
class CreditApplication:
    """What the decision may look at. Amounts in minor units of ``currency``."""

    country: str
    currency: str
    method: str
    offer_id: str
    amount: int
    age: int
    #: What the customer still owes this shop on open invoices (0 for a new customer).
    open_balance: int
    #: How many of the customer's invoices are past their due date and unpaid.
    overdue_invoices: int
    #: The shop's cap on one customer's open balance in this country.
    open_balance_cap: int
    #: Invoices the customer had with this shop before, and how many of them went overdue.
    earlier_invoices: int = 0
    late_invoices: int = 0
    #: What the country's credit register said; None when it was not asked (no register for
    #: the country, an offer that is not credit, or a register that did not answer).
    register: RegisterReport | None = None
    #: The thresholds for the register's answer (KASSA_CREDIT_MAX_*); None: no such rule.
    max_payment_defaults: int = 0
    max_unsecured_debt: int | None = None
    max_debt_to_income_pct: Decimal | None = None


@dataclass(frozen=True)
class RuleCheck:
    """One rule as it was applied: its name, the outcome and the figures it compared."""

    rule: str
    outcome: Outcome
    detail: Mapping[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """The check as plain JSON, as the decision record keeps it."""
        return {"rule": self.rule, "outcome": self.outcome, **dict(self.detail)}


@dataclass(frozen=True)
class CreditDecision:
    """Approved, or declined with a stable ``reason`` code (shown kindly, never shaming).

    ``checks`` are the rules applied, in order; a merchant's own decider may leave them out.
    """

    approved: bool
    reason: str | None = None
    checks: tuple[RuleCheck, ...] = ()


CreditDecider = Callable[[CreditApplication], CreditDecision]


def default_credit_decider(application: CreditApplication) -> CreditDecision:
    """Kassa's default rules; see the module docstring. The reason is the first rule that
    failed, in the table's order."""
    checks = assess(application)
    failed = next((check for check in checks if check.outcome == "failed"), None)
    return CreditDecision(failed is None, failed.rule if failed else None, tuple(checks))


def assess(application: CreditApplication) -> list[RuleCheck]:
    """Every default rule applied to ``application``, in the table's order (all of them, so
    that the record shows the whole picture, not only the first "no")."""
    a = application
    report = a.register
    total = a.open_balance + a.amount
    checks = [
        _check("age", a.age >= ADULT_AGE, age=a.age, minimum=ADULT_AGE),
        _check("credit_ban", None if report is None or report.credit_ban is None
               else not report.credit_ban),
        _check("overdue", a.overdue_invoices == 0, overdue_invoices=a.overdue_invoices),
        _check("often_late", not _often_late(a.late_invoices, a.earlier_invoices),
               late_invoices=a.late_invoices, earlier_invoices=a.earlier_invoices),
        _check("balance_cap", total <= a.open_balance_cap, open_balance=a.open_balance,
               amount=a.amount, cap=a.open_balance_cap),
    ]
    defaults = report.payment_defaults if report else None
    checks.append(_check("payment_defaults",
                         None if defaults is None else defaults <= a.max_payment_defaults,
                         payment_defaults=defaults, maximum=a.max_payment_defaults))
    debt = report.unsecured_debt if report else None
    with_purchase = None if debt is None else debt + a.amount
    checks.append(_check(
        "unsecured_debt",
        None if with_purchase is None or a.max_unsecured_debt is None
        else with_purchase <= a.max_unsecured_debt,
        unsecured_debt=debt, amount=a.amount, maximum=a.max_unsecured_debt))
    income = report.annual_income if report else None
    # Debt within pct % of income: debt * 100 <= income * pct, exact in Decimal (no rounding).
    checks.append(_check(
        "debt_to_income",
        None if with_purchase is None or income is None or a.max_debt_to_income_pct is None
        else Decimal(with_purchase) * 100 <= Decimal(income) * a.max_debt_to_income_pct,
        unsecured_debt=debt, amount=a.amount, annual_income=income,
        maximum_pct=None if a.max_debt_to_income_pct is None
        else str(a.max_debt_to_income_pct)))
    return checks


def _often_late(late: int, earlier: int) -> bool:
    # The same line as kassa.services.overdue.segment_for's "often_late": a habit, not a slip.
    return late >= 2 and 2 * late >= earlier


def _check(rule: str, passed: bool | None, **detail: Any) -> RuleCheck:
    outcome: Outcome = "no_data" if passed is None else "passed" if passed else "failed"
    return RuleCheck(rule, outcome, detail)
