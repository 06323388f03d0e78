"""The reminder policy of one country as this shop configured it, within the law."""

from __future__ import annotations

from datetime import date

from ..config import PREFIX, KassaConfig
from ..core.dunning import DunningPolicy, policy_from_rules
from ..errors import ConfigurationError, KassaError


def policy_for(config: KassaConfig, country: str, on: date, *, fee_agreed: bool) -> DunningPolicy:
    """The policy in force on ``on``; raises DunningConfigError if the shop's terms break the
    law (a fee above the cap, fewer days to pay than the minimum)."""
    return policy_from_rules(
        country, config.rulebook, on,
        reminder_fee=config.reminder_fees.get(country, 0),
        friendly_after_days=config.friendly_after_days,
        grace_days_after_friendly=config.fee_grace_days,
        collection_after_days=config.collection_after_days,
        letter_lag_business_days=config.letter_lag_business_days.get(country, 0),
        fee_agreed=fee_agreed,
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
