"""Helpers for tests that read invoice documents."""

from __future__ import annotations

import io
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import pypdf
import pytest
from flask import Flask

from kassa import get_state
from kassa.db import Invoice, OrderLine

#: The example lines: prices include VAT (Finnish 25.5 % and 10 %).
LINES = (
    ("Villasukat, käsinneulotut", 2, 2495, Decimal("25.5"), 1014),
    ("Kirja: Kalevala", 1, 8000, Decimal("10"), 727),
)


def pdf_text(data: bytes) -> str:
    """The text of every page, with no-break spaces as plain spaces."""
    reader = pypdf.PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages).replace("\u00a0", " ")


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


class _Catalog:
    def __init__(self, messages: Mapping[str, str]) -> None:
        self.messages = messages

    def ugettext(self, message: str) -> str:
        return self.messages.get(message, message)


def fake_catalog(monkeypatch: pytest.MonkeyPatch, locale: str,
                 messages: Mapping[str, str]) -> None:
    """Let documents in ``locale`` use ``messages`` as its translations (the real catalogs
    are filled by the translators later)."""
    import kassa.invoicing as invoicing
    from kassa.i18n import catalog as real_catalog

    def patched(code: str) -> Any:
        return _Catalog(messages) if code == locale else real_catalog(code)

    monkeypatch.setattr(invoicing, "catalog", patched)
