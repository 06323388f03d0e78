"""The error hierarchy of the domain core.

Every error carries a stable machine-readable ``code`` (used by the JSON API and for
looking up the localized message shown to shoppers and staff) and an English ``message``
that a merchant or developer can act on. ``params`` holds the values the message names,
so that a translated message can name them too.
"""

from __future__ import annotations

from typing import Any


class KassaError(Exception):
    """Base of every error Kassa raises on purpose."""

    #: Stable code, e.g. ``"money.precision"``; never changes once released.
    code: str = "kassa.error"

    def __init__(self, message: str, *, code: str | None = None, **params: Any) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code
        self.message = message
        self.params = params

    def __str__(self) -> str:
        return self.message


class MoneyError(KassaError, ValueError):
    """An amount that cannot be represented exactly, or currencies that do not match."""

    code = "money.invalid"


class CreditError(KassaError, ValueError):
    """A credit product or offer that breaks its own terms or a country's caps."""

    code = "credit.invalid"


class PaymentReferenceError(KassaError, ValueError):
    """A payment reference that cannot be built or does not validate."""

    code = "reference.invalid"


class IdentityError(KassaError, ValueError):
    """A personal identity number that is malformed, fails its check or is not allowed."""

    code = "identity.invalid"


class CalendarError(KassaError, ValueError):
    """A country or delivery channel the calendar does not know."""

    code = "calendar.invalid"
