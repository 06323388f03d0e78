"""The reminder policy of one country as this shop configured it, within the law."""

from __future__ import annotations

from datetime import date

from ..config import KassaConfig
from ..core.dunning import DunningPolicy, policy_from_rules


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
