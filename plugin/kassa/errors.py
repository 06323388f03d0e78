"""Kassa's error hierarchy.

Domain errors live in :mod:`kassa.core.errors` (the core imports nothing of ours) and are
re-exported here. :class:`KassaHTTPError` is the one error a request gets: a string code, an
HTTP status and the field at fault.
"""

from __future__ import annotations

from typing import Any

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


class KassaHTTPError(KassaError):
    """A request Kassa refuses: the one error type of its JSON API and pages.

    ``code`` is the stable machine-readable code (``"checkout.offer"``), ``status`` the HTTP
    status to answer with (422 unless given), ``field`` the request field at fault, if one is;
    ``params`` hold the values the message names. The API answers ``{"code", "message"}``
    with ``status``, the message in the request's language. Not a werkzeug exception: there
    ``code`` is the HTTP status, here it is the string code, as everywhere else in Kassa.
    """

    code = "request.invalid"

    def __init__(self, code: str, message: str, *, status: int = 422, field: str | None = None,
                 **params: Any) -> None:
        if field is not None:
            params["field"] = field
        super().__init__(message, code=code, **params)
        self.status = status
        self.field = field
