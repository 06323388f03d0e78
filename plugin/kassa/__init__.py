"""Kassa: pay by invoice and instalments for Nordic Flask shops.

This module only re-exports the public API::

    from kassa import Kassa
    kassa = Kassa(app)
"""

from .errors import ConfigurationError, KassaError
from .extension import Kassa
from .signals import (
    invoice_issued,
    invoice_paid,
    invoice_sent,
    kassa_signals,
    order_confirmed,
    payment_received,
)
from .state import KassaState, get_state

__all__ = [
    "ConfigurationError",
    "Kassa",
    "KassaError",
    "KassaState",
    "get_state",
    "invoice_issued",
    "invoice_paid",
    "invoice_sent",
    "kassa_signals",
    "order_confirmed",
    "payment_received",
]
