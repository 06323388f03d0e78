"""Signed links a shopper can open without signing in (invoice page, PDF, pay now).

A link carries only the invoice id, signed with the host app's ``SECRET_KEY`` under Kassa's
own salt; it cannot be forged or pointed at another invoice.
"""

from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

_SALT = "kassa-invoice-link"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key or "", salt=_SALT)


def invoice_token(invoice_id: int) -> str:
    """The token for ``invoice_id`` used in the shopper's invoice links."""
    return _serializer().dumps(invoice_id)


def invoice_id_from_token(token: str) -> int | None:
    """The invoice id a token was made for, or None if it was tampered with."""
    try:
        value = _serializer().loads(token)
    except BadSignature:
        return None
    return value if isinstance(value, int) else None
