"""Whether a shopper may buy on invoice or installments: the pluggable credit decision.

A merchant passes its own callable as ``Kassa(credit_decider=...)``; it receives a
:class:`CreditApplication` and returns a :class:`CreditDecision`. Without one, Kassa's
default rules apply: the shopper is 18 or older, the offer exists for the amount (the offer
list already applies each product's limits), the customer's open balance with this shop,
the new purchase included, stays within ``KASSA_OPEN_BALANCE_CAP``, and the customer has no
overdue invoice with this shop.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

#: The age from which a shopper may take credit.
ADULT_AGE = 18


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


@dataclass(frozen=True)
class CreditDecision:
    """Approved, or declined with a stable ``reason`` code (shown kindly, never shaming)."""

    approved: bool
    reason: str | None = None


CreditDecider = Callable[[CreditApplication], CreditDecision]


def default_credit_decider(application: CreditApplication) -> CreditDecision:
    """Kassa's default rules; see the module docstring."""
    if application.age < ADULT_AGE:
        return CreditDecision(False, "age")
    if application.overdue_invoices:
        return CreditDecision(False, "overdue")
    if application.open_balance + application.amount > application.open_balance_cap:
        return CreditDecision(False, "balance_cap")
    return CreditDecision(True)
