"""record_payment: the one way money is booked on an invoice."""

from __future__ import annotations

from datetime import date

import pytest
from flask import Flask
from sqlalchemy import func, select

from kassa import get_state, invoice_paid, payment_received
from kassa.db import Invoice, Payment
from kassa.services.payments import PaymentError, record_payment
from tests.factories import make_invoice
from tests.payments.support import load_invoice

TODAY = date(2026, 3, 2)


def _book(
    app: Flask,
    invoice_id: int,
    amount: int,
    external_id: str,
    *,
    currency: str = "EUR",
    source: str = "bank",
) -> Payment | None:
    with get_state(app).db.session() as session:
        invoice = session.get_one(Invoice, invoice_id)
        return record_payment(
            session,
            invoice,
            source=source,
            external_id=external_id,
            amount=amount,
            currency=currency,
            received_on=TODAY,
            reference=invoice.reference,
        )


def test_full_payment_marks_the_invoice_paid_and_writes_the_trail(app: Flask) -> None:
    invoice_id = make_invoice(app, amount=12990)
    payment = _book(app, invoice_id, 12990, "stmt-1")
    assert payment is not None and payment.amount_minor == 12990
    invoice = load_invoice(app, invoice_id)
    assert invoice.status == "paid" and invoice.paid_minor == 12990 and invoice.balance_minor == 0
    assert invoice.next_action_on is None
    paid = [e for e in invoice.events if e.kind == "paid"]
    assert len(paid) == 1
    assert paid[0].data == {"amount": 12990, "source": "bank", "external_id": "stmt-1"}
    assert [(p.source, p.external_id, p.received_on) for p in invoice.payments] == [
        ("bank", "stmt-1", TODAY)
    ]


def test_part_payment_leaves_the_rest_to_pay(app: Flask) -> None:
    invoice_id = make_invoice(app, amount=12990)
    _book(app, invoice_id, 5000, "stmt-1")
    invoice = load_invoice(app, invoice_id)
    assert invoice.status == "partly_paid" and invoice.balance_minor == 7990
    event = invoice.events[-1]
    assert event.kind == "partly_paid" and event.data["balance"] == 7990
    _book(app, invoice_id, 7990, "stmt-2")
    invoice = load_invoice(app, invoice_id)
    assert invoice.status == "paid" and invoice.balance_minor == 0
    assert [e.kind for e in invoice.events] == ["issued", "partly_paid", "paid"]


def test_the_same_payment_is_booked_once(app: Flask) -> None:
    invoice_id = make_invoice(app, amount=12990)
    assert _book(app, invoice_id, 5000, "stmt-1") is not None
    assert _book(app, invoice_id, 5000, "stmt-1") is None
    # the same id from another source is another payment
    assert _book(app, invoice_id, 1000, "stmt-1", source="stripe") is not None
    invoice = load_invoice(app, invoice_id)
    assert invoice.paid_minor == 6000 and len(invoice.payments) == 2
    assert [e.kind for e in invoice.events].count("partly_paid") == 2


def test_over_payment_is_booked_and_the_surplus_noted(app: Flask) -> None:
    invoice_id = make_invoice(app, amount=12990)
    _book(app, invoice_id, 13000, "stmt-1")
    invoice = load_invoice(app, invoice_id)
    assert invoice.status == "paid" and invoice.balance_minor == -10
    assert invoice.events[-1].data["surplus"] == 10


def test_a_payment_in_another_currency_is_refused_and_changes_nothing(app: Flask) -> None:
    invoice_id = make_invoice(app, amount=12990)
    with pytest.raises(PaymentError) as raised:
        _book(app, invoice_id, 12990, "stmt-1", currency="SEK")
    assert raised.value.code == "payments.currency"
    with pytest.raises(PaymentError) as raised:
        _book(app, invoice_id, 0, "stmt-2")
    assert raised.value.code == "payments.amount"
    invoice = load_invoice(app, invoice_id)
    assert invoice.status == "open" and invoice.paid_minor == 0
    assert [e.kind for e in invoice.events] == ["issued"]
    with get_state(app).db.session() as session:
        assert session.scalar(select(func.count()).select_from(Payment)) == 0


def test_signals_are_sent_after_commit_and_not_after_rollback(app: Flask) -> None:
    invoice_id = make_invoice(app, amount=12990)
    heard: list[tuple[str, dict]] = []

    def on_paid(sender: object, **kw: object) -> None:
        heard.append(("paid", kw))

    def on_payment(sender: object, **kw: object) -> None:
        heard.append(("payment", kw))

    # Receivers may listen to one app only (connect_via(app)): the app is the sender.
    with invoice_paid.connected_to(on_paid, sender=app), \
            payment_received.connected_to(on_payment, sender=app):
        state = get_state(app)
        session = state.db.sessionmaker()
        try:
            invoice = session.get_one(Invoice, invoice_id)
            record_payment(
                session,
                invoice,
                source="bank",
                external_id="x",
                amount=12990,
                currency="EUR",
                received_on=TODAY,
            )
            assert heard == []  # not before the commit
            session.rollback()
        finally:
            session.close()
        assert heard == []

        _book(app, invoice_id, 5000, "stmt-1")
        assert [name for name, _ in heard] == ["payment"]
        _book(app, invoice_id, 7990, "stmt-2")
        assert [name for name, _ in heard] == ["payment", "payment", "paid"]
        assert heard[-1][1]["invoice_id"] == invoice_id
        assert heard[1][1]["amount"] == 7990 and heard[1][1]["source"] == "bank"
        # money after the invoice is paid: received, but the invoice is not paid "again"
        _book(app, invoice_id, 100, "stmt-3")
        assert [name for name, _ in heard] == ["payment", "payment", "paid", "payment"]


def test_concurrent_bookings_on_one_invoice_add_up(app) -> None:  # type: ignore[no-untyped-def]
    """Two payments booked at the same moment from two sessions: neither is lost."""
    import threading
    from datetime import date as _date

    from kassa import get_state as _state
    from kassa.db import Invoice as _Invoice
    from kassa.services.payments import record_payment as _record
    from tests.factories import make_invoice as _make

    invoice_id = _make(app, amount=10000)
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def book(external_id: str) -> None:
        try:
            with _state(app).db.session() as db:
                invoice = db.get(_Invoice, invoice_id)
                start.wait(timeout=10)
                _record(db, invoice, source="bank", external_id=external_id, amount=3000,
                        currency="EUR", received_on=_date(2026, 3, 1))
        except BaseException as exc:  # collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=book, args=(f"race-{n}",)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    with _state(app).db.session() as db:
        invoice = db.get(_Invoice, invoice_id)
        assert invoice.paid_minor == 6000
        assert invoice.status == "partly_paid"
