"""The reminder policy of one country as this shop configured it, within the law, and the
late-payment terms a shopper is shown at checkout and agrees to."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from ..config import COUNTRY_CURRENCY, PREFIX, KassaConfig
from ..core.dunning import DunningPolicy, policy_from_rules
from ..core.interest import late_interest_rate
from ..core.rules import reminder_fee_needs_agreement
from ..errors import ConfigurationError, KassaError


def policy_for(config: KassaConfig, country: str, on: date, *, fee_agreed: bool) -> DunningPolicy:
    """The policy in force on ``on``; raises DunningConfigError if the shop's terms break the
    law (a fee above the cap, fewer days to pay than the minimum).

    ``fee_agreed`` is whether the invoice's agreement showed the reminder fee
    (:func:`reminder_fee_agreed`). It decides only where the law allows a fee only if agreed
    (SE, :func:`kassa.core.rules.reminder_fee_needs_agreement`); elsewhere (FI, NO) the fee
    is the law's to allow and applies either way, so the policy's ``fee_agreed`` is True.
    """
    if not fee_agreed:
        fee_agreed = not reminder_fee_needs_agreement(country, config.rulebook, on)
    return policy_from_rules(
        country, config.rulebook, on,
        reminder_fee=config.reminder_fees.get(country, 0),
        friendly_after_days=config.friendly_after_days,
        grace_days_after_friendly=config.fee_grace_days,
        collection_after_days=config.collection_after_days,
        letter_lag_business_days=config.letter_lag_business_days.get(country, 0),
        fee_agreed=fee_agreed,
        friendly_keeps_spacing=country in config.friendly_contact_keeps_spacing,
    )


def check_reminder_policies(config: KassaConfig, today: date) -> None:
    """Every served country's reminder terms must be lawful on ``today`` (a fee within the
    cap); ``init_app`` calls this, so unlawful terms stop start-up.

    :raises ConfigurationError: naming ``KASSA_REMINDER_FEES`` and the limit broken.
    """
    for country in config.countries:
        try:
            policy_for(config, country, today, fee_agreed=True)
        except KassaError as exc:
            raise ConfigurationError(PREFIX + "REMINDER_FEES", exc.message) from None


@dataclass(frozen=True)
class LatePaymentTerms:
    """What paying late costs in one country, as the checkout shows it on one day."""

    #: ISO 4217 code of the country's currency.
    currency: str
    #: The fee of each fee-bearing reminder, minor units (the policy's ``notice_fee`` when
    #: agreed); 0 when the shop charges none.
    reminder_fee: int
    #: The late-payment interest rate in force on the day, percent a year (reference rate +
    #: margin); it follows the law's half-yearly rate afterwards.
    late_interest_rate: Decimal
    #: True where a reminder fee may be charged only if agreed (SE): these terms are that
    #: agreement.
    reminder_fee_needs_agreement: bool


def late_payment_terms(config: KassaConfig, country: str, on: date) -> LatePaymentTerms:
    """The late-payment terms of ``country`` in force on ``on``: the reminder fee the shop
    charges (within the cap) and the legal late-payment interest rate.

    :raises kassa.core.rules.RuleError: ``rules.missing`` when the rule table has no row.
    """
    return LatePaymentTerms(
        currency=COUNTRY_CURRENCY[country],
        reminder_fee=policy_for(config, country, on, fee_agreed=True).notice_fee,
        late_interest_rate=late_interest_rate(country, config.rulebook, on),
        reminder_fee_needs_agreement=reminder_fee_needs_agreement(country, config.rulebook, on),
    )


def agreed_reminder_fee(agreement_terms: Mapping[str, Any]) -> int | None:
    """The reminder fee an agreement's terms snapshot showed (minor units, 0 for none), or
    None for an agreement made before the checkout showed late-payment terms."""
    late_payment = agreement_terms.get("late_payment")
    if not isinstance(late_payment, Mapping):
        return None
    fee = late_payment.get("reminder_fee")
    return fee if isinstance(fee, int) and not isinstance(fee, bool) and fee >= 0 else None


def reminder_fee_agreed(agreement_terms: Mapping[str, Any]) -> bool:
    """Whether an agreement's terms snapshot shows a reminder fee, so the shopper agreed to
    it: ``late_payment.reminder_fee`` above 0. An agreement made before the checkout showed
    late-payment terms has none."""
    late_payment = agreement_terms.get("late_payment")
    if not isinstance(late_payment, Mapping):
        return False
    fee = late_payment.get("reminder_fee")
    return isinstance(fee, int) and not isinstance(fee, bool) and fee > 0
