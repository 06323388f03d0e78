"""The review list of bank payments that matched no invoice, for the merchant's back office.

Mounted on the storefront API blueprint (:data:`kassa.api.views.api`); behind the same API
keys.
"""

from __future__ import annotations

from flask import Response, jsonify

from ..services.statements import unmatched_payments
from ..state import request_session
from .auth import current_caller, key_required


@key_required("payments:read")
def payments_unmatched() -> Response:
    """Bank payments waiting for a person: unknown reference, wrong currency, reversal.

    They belong to no storefront (the bank does not know the shop's storefronts), so only a
    back-office key sees them; a storefront key gets an empty list."""
    payments = [] if current_caller().storefront else unmatched_payments(request_session())
    response = jsonify(payments=payments)
    response.headers["Cache-Control"] = "no-store"
    return response
