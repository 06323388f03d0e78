"""Whether an offer is consumer credit under a country's law, and why.

An invoice or an instalment plan that the merchant itself grants is a deferral of payment,
and so, as a rule, consumer credit: pre-contract information, the credit agreement, the
right of withdrawal, the creditworthiness assessment and (FI) the credit register follow
from that. The exceptions are the ones the law makes for credit that costs nothing:

* Directive (EU) 2023/2225 (CCD2), Art. 2(2): the supplier's own deferred payment, free of
  interest and of any other charge, paid in full within 50 days (a micro, small or
  medium-sized supplier) or 14 days (any other supplier), is outside the directive.
* Finland before CCD2 (Consumer Protection Act ch. 7 § 2): credit free of interest and of
  every other charge is outside the chapter, whatever its length; HE 120/2025 brings it in.

Which exemption a country has on a day is not decided here: the caller reads the dated
rule rows (``credit_scope_*`` keys of :mod:`kassa.core.rules`) into :class:`ScopeRules`.
A country with no exemption row treats every deferral as credit, the safe reading.
Pure: no framework, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

from .credit import InstallmentProduct, InvoiceProduct, Offer

__all__ = [
    "MERCHANT_SIZES",
    "CreditScope",
    "MerchantSize",
    "ScopeReason",
    "ScopeRules",
    "is_credit",
    "offer_scope",
    "product_scope",
    "terms_scope",
]

#: ``sme``: a micro, small or medium-sized enterprise (Commission Recommendation
#: 2003/361/EC: fewer than 250 persons, turnover at most EUR 50 million or balance sheet at
#: most EUR 43 million); ``large``: any other merchant.
MerchantSize = Literal["sme", "large"]
MERCHANT_SIZES: tuple[MerchantSize, ...] = ("sme", "large")

#: Why an offer is, or is not, consumer credit:
#:
#: ``exempt_free``  free of interest and charges, and the country exempts such credit;
#: ``exempt_deferral``  free of interest and charges and paid within the exempt deferral;
#: ``credit_interest``  it carries interest; ``credit_fees``  it carries a fee;
#: ``credit_duration``  free, but paid later than the exempt deferral allows;
#: ``credit_no_exemption``  free, but the country's law exempts no deferral.
ScopeReason = Literal[
    "exempt_free",
    "exempt_deferral",
    "credit_interest",
    "credit_fees",
    "credit_duration",
    "credit_no_exemption",
]


@dataclass(frozen=True)
class ScopeRules:
    """The exemptions from consumer credit law in one country on one day, for one merchant."""

    country: str
    merchant_size: MerchantSize
    #: Credit free of interest and of every other charge is outside the law, whatever its
    #: length (Finland until CCD2 was transposed).
    free_credit_exempt: bool
    #: Longest exempt deferral in calendar days, counted from the purchase to the last due
    #: date, for this merchant's size (CCD2 Art. 2(2): 50 for an SME, 14 otherwise); None
    #: when the country exempts no deferral.
    deferral_exempt_days: int | None


@dataclass(frozen=True)
class CreditScope:
    """The answer to "is this offer consumer credit?", with the reason."""

    consumer_credit: bool
    reason: ScopeReason


def terms_scope(
    *, nominal_rate: Decimal, fees: int, deferral_days: int, rules: ScopeRules
) -> CreditScope:
    """Whether credit on these terms is consumer credit under ``rules``.

    ``nominal_rate`` is percent a year; ``fees`` every charge of the credit itself (set-up,
    monthly and invoice fees) in minor units, charges for paying late not included;
    ``deferral_days`` calendar days from the purchase to the last due date. Interest or a fee
    always makes it credit; a free deferral is exempt when the country exempts free credit
    outright, or when it ends within the exempt deferral.
    """
    if nominal_rate > 0:
        return CreditScope(True, "credit_interest")
    if fees > 0:
        return CreditScope(True, "credit_fees")
    if rules.free_credit_exempt:
        return CreditScope(False, "exempt_free")
    if rules.deferral_exempt_days is None:
        return CreditScope(True, "credit_no_exemption")
    if deferral_days <= rules.deferral_exempt_days:
        return CreditScope(False, "exempt_deferral")
    return CreditScope(True, "credit_duration")


def offer_scope(
    offer: Offer, purchase_date: date, rules: ScopeRules, *, last_due_date: date | None = None
) -> CreditScope:
    """Whether ``offer`` is consumer credit: :func:`terms_scope` of its rate, its fees and
    the days from ``purchase_date`` to its last due date (``last_due_date`` when given: an
    invoice's due date depends on the channel the shopper picks later, so the caller passes
    the latest one)."""
    last = last_due_date or (offer.schedule[-1].due_date if offer.schedule else purchase_date)
    fees = sum(instalment.fee for instalment in offer.schedule)
    return terms_scope(nominal_rate=offer.nominal_rate, fees=fees,
                       deferral_days=(last - purchase_date).days, rules=rules)


def product_scope(
    product: InvoiceProduct | InstallmentProduct, deferral_days: int, rules: ScopeRules
) -> CreditScope:
    """Whether every offer of ``product`` is consumer credit, its longest deferral being
    ``deferral_days`` calendar days (an invoice: to the due date of the slowest channel; a
    plan: to its last instalment)."""
    if isinstance(product, InvoiceProduct):
        return terms_scope(nominal_rate=Decimal(0), fees=product.fee,
                           deferral_days=deferral_days, rules=rules)
    return terms_scope(nominal_rate=product.nominal_rate,
                       fees=product.setup_fee + product.monthly_fee * product.months,
                       deferral_days=deferral_days, rules=rules)


def is_credit(offer: Offer, purchase_date: date, rules: ScopeRules, *,
              last_due_date: date | None = None) -> bool:
    """``True`` when ``offer`` is consumer credit (see :func:`offer_scope`)."""
    return offer_scope(offer, purchase_date, rules, last_due_date=last_due_date).consumer_credit
