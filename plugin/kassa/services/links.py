"""Signed links a shopper can open without signing in (invoice page, PDF, pay now).

A link carries the invoice id and the moment it was made, signed with the host app's
``SECRET_KEY`` under Kassa's own salt; it cannot be forged or pointed at another invoice.
It opens the invoice while the invoice is open and for ``KASSA_LINK_DAYS_AFTER_CLOSE`` days
after it closed (or after the link was made, for a fresh link sent later), unless staff
revoked the invoice's links after the link was made (:func:`link_refusal`). Links made before
links carried their moment (a bare id) count as made at the start of time.

The tokens are itsdangerous ``URLSafeSerializer`` tokens, and itsdangerous checks them. They
are *made* here directly, because the reminder run makes one for every message and the
general serializer spends about 50 µs a token on machinery two integers do not need (a JSON
encoder, a compression attempt, a new signer and key each time). The token is
``b64(p) + "." + b64(HMAC-SHA1(key, b64(p)))`` with ``p = "[id,unix milliseconds]"`` (compact
JSON) and itsdangerous's own derived key; tests/services/test_links.py holds the two to the
same bytes.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer, URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode

from ..db.models import Invoice, as_utc

_SALT = "kassa-invoice-link"


@lru_cache(maxsize=8)
def _serializer(secret_key: str | bytes) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt=_SALT)


@lru_cache(maxsize=8)
def _signing_key(secret_key: str | bytes) -> bytes:
    """The HMAC key itsdangerous derives from ``secret_key`` for Kassa's salt."""
    return _serializer(secret_key).make_signer().derive_key()


def invoice_token(invoice_id: int, now: datetime | None = None) -> str:
    """The token for ``invoice_id`` used in the shopper's invoice links, made at ``now``
    (default: this moment, UTC; kept to the millisecond)."""
    made = round((now or datetime.now(UTC)).timestamp() * 1000)
    payload = base64_encode(f"[{int(invoice_id)},{made}]".encode())
    key = _signing_key(current_app.secret_key or "")
    return f"{payload.decode()}.{base64_encode(hmac.digest(key, payload, 'sha1')).decode()}"


@dataclass(frozen=True)
class InvoiceLink:
    """What a valid token says: the invoice, and when the link was made."""

    invoice_id: int
    #: None for a link made before links carried their moment.
    made_at: datetime | None


def read_invoice_token(token: str) -> InvoiceLink | None:
    """The link a token was made for, or None if it was tampered with or is not a link."""
    try:
        value = _serializer(current_app.secret_key or "").loads(token)
    except BadSignature:
        return None
    if _is_int(value):
        return InvoiceLink(value, None)
    if isinstance(value, list) and len(value) == 2 and all(_is_int(v) for v in value):
        try:
            return InvoiceLink(value[0], datetime.fromtimestamp(value[1] / 1000, UTC))
        except (OverflowError, OSError, ValueError):
            return None
    return None


def invoice_id_from_token(token: str) -> int | None:
    """The invoice id a token was made for, or None if it was tampered with (whether the
    link still opens the invoice is :func:`link_refusal`'s business)."""
    link = read_invoice_token(token)
    return None if link is None else link.invoice_id


def link_refusal(invoice: Invoice, link: InvoiceLink, now: datetime,
                 days_after_close: int) -> str | None:
    """None when ``link`` opens ``invoice`` at ``now``; else ``"revoked"`` (staff revoked the
    invoice's links after this one was made) or ``"expired"`` (the invoice closed, and the
    later of its closing and the link's making is more than ``days_after_close`` days ago)."""
    made = link.made_at or _BEGINNING
    if invoice.links_revoked_at is not None and made <= as_utc(invoice.links_revoked_at):
        return "revoked"
    if invoice.closed_at is not None:
        start = max(as_utc(invoice.closed_at), made)
        if now > start + timedelta(days=days_after_close):
            return "expired"
    return None


_BEGINNING = datetime(1970, 1, 1, tzinfo=UTC)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# -- the shopper's own pages -------------------------------------------------------------------

_PAGES_SALT = "kassa-customer-pages"
#: Days a link to the shopper's own pages (in an e-mail or SMS) keeps opening them.
PAGES_LINK_DAYS = 30


def pages_token(customer_id: int, *, by_email: bool = False) -> str:
    """A signed, timed token that opens the pages of customer ``customer_id``; ``by_email``
    when it travels to the customer's e-mail address, which then counts as shown to be
    theirs (their records with that address open too)."""
    value: int | list[int] = [int(customer_id), 1] if by_email else int(customer_id)
    return URLSafeTimedSerializer(current_app.secret_key or "", salt=_PAGES_SALT).dumps(value)


def read_pages_token(token: str,
                     max_age_days: int = PAGES_LINK_DAYS) -> tuple[int, bool] | None:
    """``(customer id, sent by e-mail)`` of a pages token still valid, else None."""
    try:
        value = URLSafeTimedSerializer(current_app.secret_key or "", salt=_PAGES_SALT).loads(
            token, max_age=max_age_days * 86400)
    except BadSignature:
        return None
    if _is_int(value):
        return int(value), False
    if isinstance(value, list) and len(value) == 2 and _is_int(value[0]) and value[1] == 1:
        return int(value[0]), True
    return None
