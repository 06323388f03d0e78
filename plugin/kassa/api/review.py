"""The review list of bank payments that matched no invoice, for the merchant's back office.

Registered on the storefront API blueprint (:data:`kassa.api.views.api`) when
:mod:`kassa.api.views` is imported; behind the same API keys.
"""

from __future__ import annotations

from flask import Response, jsonify

from ..extension import request_session
from ..services.statements import unmatched_payments
from .auth import storefront_required
from .views import api


@api.get("/payments/unmatched")
@storefront_required
def payments_unmatched() -> Response:
    """Bank payments waiting for a person: unknown reference, wrong currency, reversal."""
    response = jsonify(payments=unmatched_payments(request_session()))
    response.headers["Cache-Control"] = "no-store"
    return response
