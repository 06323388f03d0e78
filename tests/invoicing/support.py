"""Helpers for tests that read invoice documents."""

from __future__ import annotations

from decimal import Decimal

from flask import Flask

from kassa import get_state
from kassa.db import Invoice, OrderLine
from tests.documents import pdf_text

__all__ = ["LINES", "add_lines", "pdf_text"]

#: The example lines: prices include VAT (Finnish 25.5 % and 10 %).
LINES = (
    ("Villasukat, käsinneulotut", 2, 2495, Decimal("25.5"), 1014),
    ("Kirja: Kalevala", 1, 8000, Decimal("10"), 727),
)


def add_lines(app: Flask, invoice_id: int) -> None:
    """Give the invoice's order the example lines (total 129,90)."""
    with get_state(app).db.session() as session:
        order = session.get(Invoice, invoice_id).agreement.order  # type: ignore[union-attr]
        for position, (text, quantity, unit, rate, vat) in enumerate(LINES, start=1):
            order.lines.append(OrderLine(position=position, description=text,
                                         quantity=quantity, unit_price_minor=unit,
                                         vat_rate=rate, total_minor=unit * quantity,
                                         vat_minor=vat))
        order.total_minor = sum(unit * quantity for _t, quantity, unit, _r, _v in LINES)
