"""Bank statement import: payments matched to invoices by reference, the rest for review."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError

from kassa import get_state
from kassa.core.camt import StatementError, parse_statement
from kassa.db import Invoice, InvoiceEvent, Payment
from kassa.services import statements
from kassa.services.reminders import RunReport, run_reminders
from kassa.services.statements import (
    ImportReport,
    bank_external_id,
    book_statement,
    import_statement,
)
from kassa.signals import payment_received, payment_unmatched
from tests.api.support import API, API_KEYS, BACK_KEY, BACKOFFICE_KEYS, KEY, bearer
from tests.factories import make_invoice

TODAY = date(2026, 3, 2)
DATA = Path(__file__).parent / "data"
FI_IBAN = "FI2112345600000785"
SE_IBAN = "SE4550000000058398257466"


# -- statements built for the invoices each test makes ----------------------------------------


def entry(
    amount: str,
    *,
    bank_id: str | None,
    currency: str = "EUR",
    reference: str | None = None,
    text: str | None = None,
    direction: str = "CRDT",
    reversal: bool = False,
    status: str = "BOOK",
    booked: str = "2026-03-02",
) -> str:
    """One ``Ntry`` of a camt.053.001.08 statement with one transaction."""
    remittance = ""
    if reference is not None:
        remittance += f"<Strd><CdtrRefInf><Ref>{reference}</Ref></CdtrRefInf></Strd>"
    if text is not None:
        remittance += f"<Ustrd>{text}</Ustrd>"
    refs = f"<Refs><AcctSvcrRef>{bank_id}</AcctSvcrRef></Refs>" if bank_id else ""
    return f"""
      <Ntry>
        <Amt Ccy="{currency}">{amount}</Amt>
        <CdtDbtInd>{direction}</CdtDbtInd>
        {"<RvslInd>true</RvslInd>" if reversal else ""}
        <Sts><Cd>{status}</Cd></Sts>
        <BookgDt><Dt>{booked}</Dt></BookgDt>
        <NtryDtls>
          <TxDtls>
            {refs}
            <Amt Ccy="{currency}">{amount}</Amt>
            <CdtDbtInd>{direction}</CdtDbtInd>
            <RltdPties><Dbtr><Pty><Nm>Maija Meikäläinen</Nm></Pty></Dbtr></RltdPties>
            <RmtInf>{remittance}</RmtInf>
          </TxDtls>
        </NtryDtls>
      </Ntry>"""


def batch(*transactions: tuple[str, str, str], currency: str = "EUR", total: str) -> str:
    """One ``Ntry`` booking several payments as one sum: (amount, bank id, reference) each."""
    details = "".join(
        f"""
          <TxDtls>
            <Refs><AcctSvcrRef>{bank_id}</AcctSvcrRef></Refs>
            <Amt Ccy="{currency}">{amount}</Amt>
            <CdtDbtInd>CRDT</CdtDbtInd>
            <RmtInf><Strd><CdtrRefInf><Ref>{reference}</Ref></CdtrRefInf></Strd></RmtInf>
          </TxDtls>"""
        for amount, bank_id, reference in transactions
    )
    return f"""
      <Ntry>
        <Amt Ccy="{currency}">{total}</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd>
        <Sts><Cd>BOOK</Cd></Sts>
        <BookgDt><Dt>2026-03-02</Dt></BookgDt>
        <NtryDtls>{details}
        </NtryDtls>
      </Ntry>"""


def statement(*entries: str, iban: str = FI_IBAN, message_id: str = "MSG-1") -> bytes:
    """A camt.053.001.08 statement of account ``iban`` with ``entries``."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>{message_id}</MsgId><CreDtTm>2026-03-02T22:00:00+02:00</CreDtTm></GrpHdr>
    <Stmt>
      <Id>{message_id}-1</Id>
      <Acct><Id><IBAN>{iban}</IBAN></Id></Acct>{"".join(entries)}
    </Stmt>
  </BkToCstmrStmt>
</Document>""".encode()


# -- helpers --------------------------------------------------------------------------------


def run(app: Flask, data: bytes) -> ImportReport:
    return import_statement(get_state(app), data, today=TODAY)


def load(app: Flask, invoice_id: int) -> Invoice:
    with get_state(app).db.session() as session:
        invoice = session.get_one(Invoice, invoice_id)
        session.expunge(invoice)
        return invoice


def events(app: Flask, invoice_id: int) -> list[tuple[str, dict[str, Any]]]:
    with get_state(app).db.session() as session:
        rows = session.scalars(
            select(InvoiceEvent)
            .where(InvoiceEvent.invoice_id == invoice_id)
            .order_by(InvoiceEvent.id)
        )
        return [(e.kind, dict(e.data)) for e in rows]


def payments(app: Flask) -> list[tuple[int | None, str, int, str | None]]:
    """Every payment as (invoice id, external id, amount, reference), in id order."""
    with get_state(app).db.session() as session:
        rows = session.scalars(select(Payment).order_by(Payment.id))
        return [(p.invoice_id, p.external_id, p.amount_minor, p.reference) for p in rows]


def counts(report: ImportReport) -> dict[str, int]:
    fields = ("matched", "partial", "overpaid", "unmatched", "duplicates", "skipped", "reversals")
    return {name: getattr(report, name) for name in fields}


@contextmanager
def heard(signal: Any) -> Iterator[list[dict[str, Any]]]:
    """Collect what ``signal`` sends while the block runs."""
    received: list[dict[str, Any]] = []

    def receiver(_sender: Any, **kwargs: Any) -> None:
        received.append(kwargs)

    with signal.connected_to(receiver):
        yield received


def reference(app: Flask, invoice_id: int) -> str:
    return load(app, invoice_id).reference


# -- booking ----------------------------------------------------------------------------------


def test_full_payment_marks_the_invoice_paid_with_a_paid_trail_entry(app: Flask) -> None:
    invoice_id = make_invoice(app, country="FI", amount=12990, sequence=1001)
    data = statement(entry("129.90", bank_id="TX-1", reference=reference(app, invoice_id)))

    with heard(payment_received) as received:
        report = run(app, data)

    assert counts(report) == {**dict.fromkeys(counts(report), 0), "matched": 1}
    invoice = load(app, invoice_id)
    assert (invoice.status, invoice.paid_minor, invoice.balance_minor) == ("paid", 12990, 0)
    assert events(app, invoice_id)[-1] == (
        "paid",
        {"amount": 12990, "source": "bank", "external_id": f"{FI_IBAN}:TX-1"},
    )
    assert payments(app) == [(invoice_id, f"{FI_IBAN}:TX-1", 12990, "10016")]
    assert [r["invoice_id"] for r in received] == [invoice_id]  # sent after the commit


def test_partial_payment_leaves_the_balance_to_pay(app: Flask) -> None:
    invoice_id = make_invoice(app, country="SE", amount=49900, sequence=1002)
    data = statement(
        entry("200.00", currency="SEK", bank_id="SE-1", reference=reference(app, invoice_id)),
        iban=SE_IBAN,
    )

    report = run(app, data)

    assert (report.matched, report.partial, report.overpaid) == (1, 1, 0)
    invoice = load(app, invoice_id)
    assert (invoice.status, invoice.paid_minor, invoice.balance_minor) == (
        "partly_paid",
        20000,
        29900,
    )
    assert events(app, invoice_id)[-1] == (
        "partly_paid",
        {"amount": 20000, "source": "bank", "external_id": f"{SE_IBAN}:SE-1", "balance": 29900},
    )


def test_over_payment_is_booked_and_the_surplus_shows_in_the_trail(app: Flask) -> None:
    invoice_id = make_invoice(app, country="NO", amount=10000, sequence=1003)
    ref = reference(app, invoice_id)

    report = run(app, statement(entry("150.00", currency="NOK", bank_id="NO-1", reference=ref)))

    assert (report.matched, report.overpaid) == (1, 1)
    invoice = load(app, invoice_id)
    assert (invoice.status, invoice.paid_minor, invoice.balance_minor) == ("paid", 15000, -5000)
    assert events(app, invoice_id)[-1][1]["surplus"] == 5000


def test_paying_an_invoice_already_paid_is_booked_as_an_over_payment(app: Flask) -> None:
    invoice_id = make_invoice(app, country="FI", amount=5000, sequence=1004)
    ref = reference(app, invoice_id)
    run(app, statement(entry("50.00", bank_id="A", reference=ref), message_id="M1"))

    report = run(app, statement(entry("50.00", bank_id="B", reference=ref), message_id="M2"))

    assert (report.matched, report.overpaid, report.duplicates) == (1, 1, 0)
    invoice = load(app, invoice_id)
    assert (invoice.status, invoice.paid_minor) == ("paid", 10000)
    assert events(app, invoice_id)[-1] == (
        "paid",
        {"amount": 5000, "source": "bank", "external_id": f"{FI_IBAN}:B", "surplus": 5000},
    )


def test_a_partial_payment_and_the_rest_in_one_file_are_both_booked(app: Flask) -> None:
    invoice_id = make_invoice(app, country="FI", amount=12990, sequence=1006)
    other_id = make_invoice(app, country="FI", amount=3000, sequence=1007)
    ref, other_ref = reference(app, invoice_id), reference(app, other_id)
    data = statement(
        entry("29.90", bank_id="P-1", reference=ref),
        batch(("100.00", "P-2", ref), ("30.00", "P-3", other_ref), total="130.00"),
    )

    report = run(app, data)

    assert (report.matched, report.partial, report.overpaid) == (3, 1, 0)
    invoice = load(app, invoice_id)
    assert (invoice.status, invoice.paid_minor, invoice.balance_minor) == ("paid", 12990, 0)
    assert [kind for kind, _ in events(app, invoice_id)] == ["issued", "partly_paid", "paid"]
    assert load(app, other_id).status == "paid"


def test_a_reference_only_in_the_message_text_is_matched(app: Flask) -> None:
    invoice_id = make_invoice(app, country="FI", amount=2500, sequence=1008)
    ref = reference(app, invoice_id)
    text = f"Lasku 2 kpl, viite {ref[:3]} {ref[3:]}, kiitos"

    report = run(app, statement(entry("25.00", bank_id="T-1", text=text)))

    assert report.matched == 1
    assert load(app, invoice_id).status == "paid"
    assert payments(app) == [(invoice_id, f"{FI_IBAN}:T-1", 2500, ref)]


def test_the_structured_reference_wins_over_one_in_the_text(app: Flask) -> None:
    first = make_invoice(app, country="FI", amount=1000, sequence=1101)
    second = make_invoice(app, country="FI", amount=1000, sequence=1102)
    data = statement(
        entry(
            "10.00",
            bank_id="S-1",
            reference=reference(app, second),
            text=f"viite {reference(app, first)}",
        )
    )

    run(app, data)

    assert (load(app, first).status, load(app, second).status) == ("open", "paid")


# -- the review list --------------------------------------------------------------------------


def test_an_unknown_reference_goes_on_the_review_list_and_the_api_lists_it(
    make_app: Callable[..., Flask], db_url: str
) -> None:
    app = make_app(db_url, KASSA_API_KEYS=API_KEYS, KASSA_BACKOFFICE_KEYS=BACKOFFICE_KEYS)
    invoice_id = make_invoice(app, country="FI", amount=12990, sequence=1201)
    data = statement(entry("19.90", bank_id="U-1", reference="12345672", booked="2026-03-01"))

    with heard(payment_unmatched) as received:
        report = run(app, data)

    assert (report.matched, report.unmatched, report.reversals) == (0, 1, 0)
    [item] = report.review
    assert (item.reason, item.amount, item.reference, item.invoice_id, item.payer) == (
        "reference",
        1990,
        "12345672",
        None,
        "Maija Meikäläinen",
    )
    assert payments(app) == [(None, f"{FI_IBAN}:U-1", 1990, "12345672")]
    assert load(app, invoice_id).status == "open"
    assert [(r["payment_id"], r["reason"], r["amount"]) for r in received] == [
        (item.payment_id, "reference", 1990)
    ]

    client = app.test_client()
    assert client.get(f"{API}/payments/unmatched").status_code == 401
    # Bank payments belong to no storefront: a storefront key sees none, the back office all.
    mine = client.get(f"{API}/payments/unmatched", headers=bearer(KEY))
    assert (mine.status_code, mine.get_json()) == (200, {"payments": []})
    response = client.get(f"{API}/payments/unmatched", headers=bearer(BACK_KEY))
    assert response.status_code == 200
    assert response.get_json() == {
        "payments": [
            {
                "id": item.payment_id,
                "amount": 1990,
                "currency": "EUR",
                "reference": "12345672",
                "received_on": "2026-03-01",
                "external_id": f"{FI_IBAN}:U-1",
                "reason": "reference",
            }
        ]
    }


def test_a_payment_without_any_reference_goes_on_the_review_list(app: Flask) -> None:
    report = run(app, statement(entry("7.00", bank_id="N-1", text="TALLETUS")))

    assert [(i.reason, i.reference) for i in report.review] == [("reference", None)]
    assert payments(app) == [(None, f"{FI_IBAN}:N-1", 700, None)]


def test_a_payment_in_another_currency_than_the_invoice_goes_to_review(
    make_app: Callable[..., Flask], db_url: str
) -> None:
    app = make_app(db_url, KASSA_API_KEYS=API_KEYS, KASSA_BACKOFFICE_KEYS=BACKOFFICE_KEYS)
    invoice_id = make_invoice(app, country="SE", amount=49900, sequence=1301)
    ref = reference(app, invoice_id)
    data = statement(entry("49.90", currency="EUR", bank_id="C-1", text=f"OCR {ref}"))

    report = run(app, data)

    assert (report.matched, report.unmatched) == (0, 1)
    assert [(i.reason, i.reference, i.invoice_id) for i in report.review] == [
        ("currency", ref, invoice_id)
    ]
    invoice = load(app, invoice_id)
    assert (invoice.status, invoice.paid_minor) == ("open", 0)
    assert [kind for kind, _ in events(app, invoice_id)] == ["issued"]
    listed = app.test_client().get(f"{API}/payments/unmatched", headers=bearer(BACK_KEY)).get_json()
    assert [(p["reason"], p["currency"], p["reference"]) for p in listed["payments"]] == [
        ("currency", "EUR", ref)
    ]


def test_a_reversal_goes_to_review_with_a_negative_amount_and_the_invoice_untouched(
    make_app: Callable[..., Flask], db_url: str
) -> None:
    app = make_app(db_url, KASSA_API_KEYS=API_KEYS, KASSA_BACKOFFICE_KEYS=BACKOFFICE_KEYS)
    invoice_id = make_invoice(app, country="FI", amount=12990, sequence=1401)
    ref = reference(app, invoice_id)
    run(app, statement(entry("129.90", bank_id="R-1", reference=ref), message_id="M1"))
    before = events(app, invoice_id)
    reversal = entry("129.90", bank_id="R-2", reference=ref, direction="DBIT", reversal=True)

    with heard(payment_unmatched) as received:
        report = run(app, statement(reversal, message_id="M2"))

    assert (report.matched, report.unmatched, report.reversals) == (0, 1, 1)
    assert [(i.reason, i.amount, i.invoice_id) for i in report.review] == [
        ("reversal", -12990, invoice_id)
    ]
    assert [r["reason"] for r in received] == ["reversal"]
    invoice = load(app, invoice_id)
    assert (invoice.status, invoice.paid_minor) == ("paid", 12990)
    assert events(app, invoice_id) == before
    listed = app.test_client().get(f"{API}/payments/unmatched", headers=bearer(BACK_KEY)).get_json()
    assert [(p["amount"], p["reason"], p["reference"]) for p in listed["payments"]] == [
        (-12990, "reversal", ref)
    ]


def test_entries_that_are_not_payments_are_skipped_and_counted(app: Flask) -> None:
    data = statement(
        entry("4.00", bank_id="FEE-1", direction="DBIT"),
        entry("60.00", bank_id="PEND-1", status="PDNG"),
    )

    report = run(app, data)

    assert counts(report) == {**dict.fromkeys(counts(report), 0), "skipped": 2}
    assert len(report.skipped_reasons) == 2
    assert payments(app) == []


# -- importing again --------------------------------------------------------------------------


def test_importing_the_same_file_twice_changes_nothing_the_second_time(app: Flask) -> None:
    paid_id = make_invoice(app, country="FI", amount=12990, sequence=2001)
    partly_id = make_invoice(app, country="FI", amount=12990, sequence=2002)
    text_id = make_invoice(app, country="FI", amount=2500, sequence=2003)
    data = (DATA / "camt053_fi_day.xml").read_bytes()
    first = run(app, data)
    state_after_first = (payments(app), [events(app, i) for i in (paid_id, partly_id, text_id)])

    with heard(payment_received) as booked, heard(payment_unmatched) as unmatched:
        second = run(app, data)

    assert counts(first) == {
        "matched": 3,
        "partial": 1,
        "overpaid": 0,
        "unmatched": 2,
        "duplicates": 0,
        "skipped": 2,
        "reversals": 1,
    }
    assert counts(second) == {
        **counts(first),
        "matched": 0,
        "partial": 0,
        "unmatched": 0,
        "reversals": 0,
        "duplicates": 5,
    }
    assert second.review == ()
    assert (booked, unmatched) == ([], [])
    assert (payments(app), [events(app, i) for i in (paid_id, partly_id, text_id)]) == (
        state_after_first
    )
    assert [load(app, i).paid_minor for i in (paid_id, partly_id, text_id)] == [12990, 5000, 2500]
    assert len(payments(app)) == 5


def test_a_notification_and_the_days_statement_book_the_payment_once(app: Flask) -> None:
    # The bank reports the payment first in a camt.054 notification, then in the camt.053
    # statement, with the same AcctSvcrRef: the statement finds it booked.
    invoice_id = make_invoice(app, country="SE", amount=123450, sequence=1501)
    ref = reference(app, invoice_id)
    payment = entry("1234.50", currency="SEK", bank_id="SEB-778899-1", reference=ref)
    notification = statement(payment, iban=SE_IBAN).replace(b"camt.053", b"camt.054")
    notification = notification.replace(b"BkToCstmrStmt", b"BkToCstmrDbtCdtNtfctn")
    notification = notification.replace(b"<Stmt>", b"<Ntfctn>").replace(b"</Stmt>", b"</Ntfctn>")
    assert parse_statement(notification).kind == "camt.054"

    first = run(app, notification)
    second = run(app, statement(payment, iban=SE_IBAN, message_id="STMT"))

    assert (first.matched, second.matched, second.duplicates) == (1, 0, 1)
    assert load(app, invoice_id).paid_minor == 123450


def test_the_same_bank_id_on_two_accounts_is_two_payments(app: Flask) -> None:
    # Banks keep ids unique per account only: the key includes the IBAN.
    invoice_id = make_invoice(app, country="FI", amount=2000, sequence=1601)
    ref = reference(app, invoice_id)
    run(app, statement(entry("10.00", bank_id="1", reference=ref)))

    report = run(
        app, statement(entry("10.00", bank_id="1", reference=ref), iban="FI4950009420028730")
    )

    assert report.matched == 1
    assert load(app, invoice_id).paid_minor == 2000


def test_a_second_import_running_at_the_same_time_waits_and_books_nothing_twice(
    app: Flask,
) -> None:
    invoice_id = make_invoice(app, country="FI", amount=12990, sequence=1701)
    ref = reference(app, invoice_id)
    data = statement(
        entry("100.00", bank_id="K-1", reference=ref),
        entry("9.99", bank_id="K-2", reference="12345672"),
    )
    state = get_state(app)
    outcome: dict[str, Any] = {}

    def second_import() -> None:
        try:
            outcome["report"] = import_statement(state, data, today=TODAY)
        except OperationalError as error:  # SQLite may refuse instead of waiting
            outcome["error"] = error

    with state.db.session() as first:
        book_statement(first, state, parse_statement(data), today=TODAY)
        other = threading.Thread(target=second_import)
        other.start()
        time.sleep(0.5)
        assert other.is_alive(), outcome  # waiting for the first import's locks
    other.join(timeout=30)

    assert not other.is_alive()
    if state.db.is_sqlite and "error" in outcome:
        assert counts(run(app, data))["duplicates"] == 2
    else:
        assert counts(outcome["report"])["duplicates"] == 2
    assert len(payments(app)) == 2
    assert load(app, invoice_id).paid_minor == 10000



def test_a_fee_added_while_the_import_reads_is_not_lost_when_the_payment_is_booked(
    app: Flask,
) -> None:
    """The reminder run adds a 5 EUR fee and commits after the import has read the invoice
    and before it books a payment of the amount and one euro more (more than the interest
    so far, less than the fee): the invoice must stay open for the rest of the fee, not be
    marked paid, with a surplus, from what the import had read."""
    invoice_id = make_invoice(app, country="FI", amount=12990, sequence=1702,
                              issued=date(2026, 2, 16))  # due 2.3.2026
    state = get_state(app)
    with app.app_context():
        run_reminders(state, today=date(2026, 3, 3))  # the friendly contact
    # The first reminder: Wed 18.3, 14 full days after the friendly contact (FI default).
    data = statement(entry("130.90", bank_id="F-1", reference=reference(app, invoice_id),
                           booked="2026-03-18"))
    ran: list[RunReport] = []

    def run_after_the_import_reads(_conn: Any, _cursor: Any, statement_: str, *_: Any) -> None:
        if "kassa_invoices.reference IN" in statement_ and not ran:
            ran.append(run_reminders(state, today=date(2026, 3, 18)))  # the first reminder

    event.listen(state.db.engine, "after_cursor_execute", run_after_the_import_reads)
    try:
        with app.app_context():
            report = import_statement(state, data, today=date(2026, 3, 18))
    finally:
        event.remove(state.db.engine, "after_cursor_execute", run_after_the_import_reads)
    assert ran and ran[0].steps["reminder"] == 1  # the run did take its step in between
    invoice = load(app, invoice_id)
    assert (invoice.fees_minor, invoice.paid_minor) == (500, 13090)
    assert invoice.status == "partly_paid" and invoice.balance_minor > 400
    assert (counts(report)["partial"], counts(report)["overpaid"]) == (1, 0)

# -- files that cannot be imported ------------------------------------------------------------


def test_a_malformed_file_raises_and_writes_nothing(app: Flask) -> None:
    make_invoice(app, country="FI", amount=12990, sequence=2001)

    with pytest.raises(StatementError) as raised:
        run(app, (DATA / "camt053_fi_broken.xml").read_bytes())
    with pytest.raises(StatementError) as not_xml:
        run(app, b"<Document><Ntry>")

    assert raised.value.code == "statement.amount"
    assert not_xml.value.code == "statement.xml"
    assert payments(app) == []


def test_an_unknown_currency_is_refused_by_the_parser(app: Flask) -> None:
    invoice_id = make_invoice(app, country="FI", amount=1000, sequence=1801)
    data = statement(
        entry("10.00", currency="EUX", bank_id="X-1", reference=reference(app, invoice_id))
    )

    with pytest.raises(StatementError) as raised:
        run(app, data)

    assert raised.value.code == "statement.currency"
    assert payments(app) == []


def test_an_error_half_way_rolls_back_the_whole_file(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    first_id = make_invoice(app, country="FI", amount=1000, sequence=1901)
    second_id = make_invoice(app, country="FI", amount=1000, sequence=1902)
    data = statement(
        entry("10.00", bank_id="H-1", reference=reference(app, first_id)),
        entry("10.00", bank_id="H-2", reference=reference(app, second_id)),
    )
    real = statements.record_payment
    calls = []

    def fail_second(*args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs["external_id"])
        if len(calls) == 2:
            raise RuntimeError("database went away")
        return real(*args, **kwargs)

    monkeypatch.setattr(statements, "record_payment", fail_second)
    with heard(payment_received) as received, pytest.raises(RuntimeError):
        run(app, data)
    monkeypatch.undo()

    assert payments(app) == [] and received == []
    assert load(app, first_id).status == "open"
    assert run(app, data).matched == 2


def test_a_long_bank_id_is_hashed_into_the_column() -> None:
    assert bank_external_id(None, "ABC") == "-:ABC"
    assert bank_external_id(FI_IBAN, "ABC") == f"{FI_IBAN}:ABC"
    long_id = bank_external_id(FI_IBAN, "X" * 100)
    assert long_id.startswith("sha256:") and len(long_id) <= 100
    assert long_id == bank_external_id(FI_IBAN, "X" * 100)
    assert long_id != bank_external_id(FI_IBAN, "X" * 99 + "Y")


# -- the command ------------------------------------------------------------------------------


def test_the_command_prints_the_report(app: Flask) -> None:
    make_invoice(app, country="FI", amount=12990, sequence=2001)
    make_invoice(app, country="FI", amount=12990, sequence=2002)
    make_invoice(app, country="FI", amount=2500, sequence=2003)
    path = str(DATA / "camt053_fi_day.xml")
    runner = app.test_cli_runner()

    result = runner.invoke(args=["kassa", "import-payments", path, "--today", "2026-03-02"])
    again = runner.invoke(args=["kassa", "import-payments", path])

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == (
        "Statement KASSA-TEST-FI-DAY (camt.053): 3 matched (1 partly), 0 over-paid, "
        "2 to review, 0 already imported, 2 skipped."
    )
    assert lines[1:] == [
        "  to review: 19.90 EUR, reference 12345672 (reference)",
        "  to review: -10.00 EUR, reference 20019 (reversal)",
    ]
    assert again.exit_code == 0
    assert "0 matched (0 partly), 0 over-paid, 0 to review, 5 already imported" in again.output


def test_the_command_refuses_a_malformed_file_and_changes_nothing(app: Flask) -> None:
    make_invoice(app, country="FI", amount=12990, sequence=2001)
    path = str(DATA / "camt053_fi_broken.xml")

    result = app.test_cli_runner().invoke(args=["kassa", "import-payments", path])

    assert result.exit_code == 1
    assert "was not imported, nothing changed" in result.output
    assert "Entry 4 (NtryRef 4): Ntry/Amt is 19.905" in result.output
    assert payments(app) == []
    with get_state(app).db.session() as session:
        assert session.scalar(select(func.count()).select_from(InvoiceEvent)) == 1
