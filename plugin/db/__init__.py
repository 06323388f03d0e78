"""Kassa's persistence: SQLAlchemy 2 models, the per-app database and Alembic migrations."""

from .database import Database
from .models import (
    Agreement,
    Base,
    CheckoutSession,
    Counter,
    Customer,
    DunningStep,
    Invoice,
    InvoiceEvent,
    InvoiceHold,
    Order,
    OrderLine,
    OutboxMessage,
    Payment,
    PaymentAttempt,
    ProcessedWebhook,
    StaffUser,
    SupportTask,
)

__all__ = [
    "Agreement",
    "Base",
    "CheckoutSession",
    "Counter",
    "Customer",
    "DunningStep",
    "Database",
    "Invoice",
    "InvoiceEvent",
    "InvoiceHold",
    "Order",
    "OrderLine",
    "OutboxMessage",
    "PaymentAttempt",
    "Payment",
    "ProcessedWebhook",
    "StaffUser",
    "SupportTask",
]
