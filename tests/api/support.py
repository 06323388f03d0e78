"""Requests and records shared by the storefront API tests."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from kassa import get_state

API = "/kassa/api/v1"
KEY = "k" * 32
OTHER_KEY = "o" * 32
API_KEYS = {"demo": KEY, "other": OTHER_KEY}
#: The merchant's back office: every storefront's support tasks, holds and bank payments.
BACK_KEY = "b" * 32
READ_KEY = "r" * 32
BACKOFFICE_KEYS = {
    "office": {"key": BACK_KEY, "scopes": ["support:read", "support:write", "payments:read"]},
    "reporting": {"key": READ_KEY, "scopes": ["support:read"]},
}
SE_ID = "19811218-9876"
FI_ID = "131052-308T"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def order_payload(
    country: str = "SE", total: int = 499000, reference: str = "A-100", **changes: Any
) -> dict[str, Any]:
    """A checkout session request: two of one product, 25 % VAT."""
    currency = {"FI": "EUR", "SE": "SEK", "NO": "NOK"}[country]
    data: dict[str, Any] = {
        "order": {
            "reference": reference,
            "currency": currency,
            "country": country,
            "total": total,
            "lines": [
                {
                    "description": "Wool blanket",
                    "quantity": 2,
                    "unit_price": total // 2,
                    "vat_rate": "25",
                }
            ],
        },
        "customer": {
            "name": "Sven Svensson",
            "email": "sven@example.se",
            "phone": "+46701234567",
            "street": "Storgatan 1",
            "postal_code": "11122",
            "city": "Stockholm",
        },
        "locale": "sv",
        "return_url": "http://127.0.0.1/shop/done",
        "cancel_url": "http://127.0.0.1/shop/cart",
    }
    data.update(changes)
    return data


def create_session(client: FlaskClient, key: str = KEY, **kwargs: Any) -> dict[str, Any]:
    """Open a session through the API; returns the 201 body."""
    response = client.post(
        f"{API}/checkout-sessions", json=order_payload(**kwargs), headers=bearer(key)
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()  # type: ignore[no-any-return]


def confirm(
    client: FlaskClient,
    session: dict[str, Any],
    *,
    offer_id: str = "se-invoice-14",
    personal_id: str | None = SE_ID,
    secret: str | None = None,
    **fields: Any,
):  # type: ignore[no-untyped-def]
    """POST .../confirm with the session's client secret as the Bearer token."""
    body = {
        "offer_id": offer_id,
        "channel": "email",
        "personal_id": personal_id,
        "consent": True,
        **fields,
    }
    return client.post(
        f"{API}/checkout-sessions/{session['id']}/confirm",
        json=body,
        headers=bearer(secret or session["client_secret"]),
    )


def count(app: Flask, model: type) -> int:
    with get_state(app).db.session() as db:
        return int(db.scalar(select(func.count()).select_from(model)) or 0)
