"""Kassa's error hierarchy.

Domain errors live in :mod:`kassa.core.errors` (the core imports nothing of ours) and are
re-exported here. Errors that face HTTP subclass werkzeug exceptions, as Flask-WTF's
``CSRFError`` does, so that a host app can handle them like any other HTTP error.
"""

from __future__ import annotations

from typing import Any

from werkzeug.exceptions import BadRequest, NotFound

from .core.errors import (
    CalendarError,
    CreditError,
    IdentityError,
    KassaError,
    MoneyError,
    PaymentReferenceError,
)
from .core.rules import RuleError

__all__ = [
    "CalendarError",
    "ConfigurationError",
    "CreditError",
    "IdentityError",
    "KassaError",
    "KassaHTTPError",
    "KassaNotFound",
    "MoneyError",
    "PaymentReferenceError",
    "RuleError",
]


class ConfigurationError(KassaError, RuntimeError):
    """A ``KASSA_*`` setting is unknown, missing or invalid; raised by ``init_app``.

    The message always names the key, and the limit where one was broken.
    """

    code = "config.invalid"

    def __init__(self, key: str, message: str, **params: Any) -> None:
        super().__init__(f"{key}: {message}", key=key, **params)
        self.key = key


class KassaHTTPError(BadRequest):
    """A request Kassa refuses, with a stable ``code`` for the JSON API."""

    def __init__(self, code: str, message: str, status: int = 400, **params: Any) -> None:
        super().__init__(message)
        self.code = status
        self.error_code = code
        self.params = params


class KassaNotFound(NotFound):
    """A Kassa record that does not exist or that the caller may not see."""
