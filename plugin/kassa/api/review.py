"""The review list of bank payments that matched no invoice, for the merchant's back office.

Mounted on the storefront API blueprint (:data:`kassa.api.views.api`); behind the same API
keys.
"""

from __future__ import annotations

from flask import Response, jsonify

from ..services.statements import unmatched_payments
from ..state import request_session
from .auth import storefront_required


@storefront_required
def payments_unmatched() -> Response:
    """Bank payments waiting for a person: unknown reference, wrong currency, reversal."""
    response = jsonify(payments=unmatched_payments(request_session()))
    response.headers["Cache-Control"] = "no-store"
    return response
