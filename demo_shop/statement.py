"""The demo's bank: a camt.053 statement in which every open invoice is paid by reference,
imported through Kassa as the merchant's bank file would be."""

from __future__ import annotations

import os
import secrets
from datetime import UTC, date, datetime
from xml.sax.saxutils import escape

from flask import Flask
from sqlalchemy import select

from kassa import get_state
from kassa.core.money import Money
from kassa.db import Invoice
from kassa.services.statements import import_statement

_OPEN = ("open", "partly_paid", "overdue")


def statement_xml(account_iban: str, currency: str, payments: list[tuple[str, int, str]],
                  day: date) -> bytes:
    """A camt.053.001.02 statement crediting ``(reference, amount minor, payer)`` payments."""
    entries = []
    for number, (reference, amount, payer) in enumerate(payments, start=1):
        value = Money(amount, currency).to_decimal()
        bank_ref = f"DEMO{day:%y%m%d}{secrets.token_hex(4).upper()}"
        entries.append(f"""
      <Ntry>
        <NtryRef>{number}</NtryRef>
        <Amt Ccy="{currency}">{value}</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd>
        <Sts>BOOK</Sts>
        <BookgDt><Dt>{day.isoformat()}</Dt></BookgDt>
        <ValDt><Dt>{day.isoformat()}</Dt></ValDt>
        <AcctSvcrRef>{bank_ref}</AcctSvcrRef>
        <NtryDtls><TxDtls>
          <Refs><AcctSvcrRef>{bank_ref}-1</AcctSvcrRef></Refs>
          <AmtDtls><TxAmt><Amt Ccy="{currency}">{value}</Amt></TxAmt></AmtDtls>
          <RltdPties><Dbtr><Nm>{escape(payer)}</Nm></Dbtr></RltdPties>
          <RmtInf><Strd><CdtrRefInf><Ref>{escape(reference)}</Ref></CdtrRefInf></Strd></RmtInf>
        </TxDtls></NtryDtls>
      </Ntry>""")
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>DEMO-{secrets.token_hex(6).upper()}</MsgId>
      <CreDtTm>{datetime.now(UTC).isoformat(timespec="seconds")}</CreDtTm></GrpHdr>
    <Stmt>
      <Id>DEMO-{day.isoformat()}</Id>
      <CreDtTm>{datetime.now(UTC).isoformat(timespec="seconds")}</CreDtTm>
      <Acct><Id><IBAN>{account_iban}</IBAN></Id><Ccy>{currency}</Ccy></Acct>{"".join(entries)}
    </Stmt>
  </BkToCstmrStmt>
</Document>
""".encode()


def pay_open_invoices(app: Flask, folder: str) -> tuple[str, object]:
    """Write one statement per currency paying every open invoice's balance; import them."""
    state = get_state(app)
    today = date.today()
    with state.db.session() as db:
        invoices = db.scalars(select(Invoice).where(Invoice.status.in_(_OPEN))
                              .order_by(Invoice.id)).all()
        by_country: dict[str, list[tuple[str, int, str]]] = {}
        for invoice in invoices:
            by_country.setdefault(invoice.country, []).append(
                (invoice.reference, invoice.balance_minor, invoice.customer.name))
        currencies = {i.country: i.currency for i in invoices}
    reports = []
    path = ""
    for country, payments in by_country.items():
        iban = state.config.bank_accounts[country].iban
        data = statement_xml(iban, currencies[country], payments, today)
        path = os.path.join(folder, f"statement-{country}-{today.isoformat()}.xml")
        with open(path, "wb") as handle:
            handle.write(data)
        with app.app_context():
            reports.append(import_statement(state, data, today=today))
    return path, reports or "no open invoices"
