"""Signed links a shopper can open without signing in (invoice page, PDF, pay now).

A link carries only the invoice id, signed with the host app's ``SECRET_KEY`` under Kassa's
own salt; it cannot be forged or pointed at another invoice.

The tokens are itsdangerous ``URLSafeSerializer`` tokens, and itsdangerous checks them. They
are *made* here directly, because the reminder run makes one for every message and the
general serializer spends about 50 µs a token on machinery an integer does not need (a JSON
encoder, a compression attempt, a new signer and key each time). For an integer the token is
``b64(str(id)) + "." + b64(HMAC-SHA1(key, b64(str(id))))`` with itsdangerous's own derived
key; tests/services/test_links.py holds the two to the same bytes.
"""

from __future__ import annotations

import hmac
from functools import lru_cache

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from itsdangerous.encoding import base64_encode

_SALT = "kassa-invoice-link"


@lru_cache(maxsize=8)
def _serializer(secret_key: str | bytes) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt=_SALT)


@lru_cache(maxsize=8)
def _signing_key(secret_key: str | bytes) -> bytes:
    """The HMAC key itsdangerous derives from ``secret_key`` for Kassa's salt."""
    return _serializer(secret_key).make_signer().derive_key()


def invoice_token(invoice_id: int) -> str:
    """The token for ``invoice_id`` used in the shopper's invoice links."""
    payload = base64_encode(str(int(invoice_id)).encode())
    key = _signing_key(current_app.secret_key or "")
    return f"{payload.decode()}.{base64_encode(hmac.digest(key, payload, 'sha1')).decode()}"


def invoice_id_from_token(token: str) -> int | None:
    """The invoice id a token was made for, or None if it was tampered with."""
    try:
        value = _serializer(current_app.secret_key or "").loads(token)
    except BadSignature:
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) else None
