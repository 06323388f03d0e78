"""Records for tests that need an invoice without going through the checkout."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select

from kassa import get_state
from kassa.core.identity import parse_personal_id
from kassa.core.references import reference_for
from kassa.db import Agreement, Customer, Invoice, InvoiceEvent, Order

_CUSTOMERS = {
    "FI": ("131052-308T", "Maija Meikäläinen", "fi", "EUR"),
    "SE": ("19811218-9876", "Sven Svensson", "sv", "SEK"),
    "NO": ("01010750160", "Kari Nordmann", "nb", "NOK"),
}
_SCHEMES = {"FI": "fi", "SE": "ocr_length", "NO": "kid_mod10"}


def make_invoice(app: Flask, *, country: str = "FI", amount: int = 12990, sequence: int = 1001,
                 channel: str = "email", email: str = "shopper@example.test",
                 issued: date | None = None, phone: str | None = "+358401234567",
                 fee_agreed: bool = True) -> int:
    """Create a customer, order, agreement and one open invoice; return the invoice id."""
    number, name, locale, currency = _CUSTOMERS[country]
    issued = issued or date.today()
    state = get_state(app)
    with state.db.session() as session:
        person = parse_personal_id(country, number)
        customer = session.scalar(select(Customer).where(
            Customer.personal_id_digest == state.vault.digest(person)))
        if customer is None:
            customer = Customer(country=country, name=name, email=email, phone=phone,
                                street="Esimerkkikatu 2", postal_code="00100", city="Helsinki",
                                locale=locale)
            state.vault.store(customer, person)
        order = Order(storefront="test", external_id=f"T-{sequence}", customer=customer,
                      country=country, currency=currency, total_minor=amount, vat_minor=0,
                      locale=locale)
        agreement = Agreement(order=order, customer=customer, method="invoice",
                              product_id="test-invoice", terms={}, locale=locale)
        invoice = Invoice(number=f"{issued.year}{sequence:06d}", agreement=agreement,
                          customer=customer,
                          reference=reference_for(country, sequence, scheme=_SCHEMES[country]),
                          reference_scheme=_SCHEMES[country], channel=channel, country=country,
                          currency=currency, amount_minor=amount, issue_date=issued,
                          reminder_fee_agreed=fee_agreed,
                          due_date=issued + timedelta(days=14),
                          next_action_on=issued + timedelta(days=15))
        session.add(invoice)
        session.flush()
        session.add(InvoiceEvent(invoice=invoice, kind="issued", data={}))
        return invoice.id


def pinned_rates(**reference_rates: str) -> list[dict[str, Any]]:
    """Rule rows that fix each country's reference rate from today on, whatever rows the
    shipped table gains later; the legal margins (FI 7, SE 8 pp) are pinned as well."""
    today = date.today().isoformat()
    margins = {"FI": "7", "SE": "8", "NO": "8"}
    rows = []
    for country, rate in reference_rates.items():
        rows.append({"country": country, "key": "reference_rate_pct", "value": rate,
                     "effective_from": today, "source": "test", "status": "C"})
        rows.append({"country": country, "key": "late_interest_margin_pct",
                     "value": margins[country], "effective_from": today, "source": "test",
                     "status": "C"})
    return rows
