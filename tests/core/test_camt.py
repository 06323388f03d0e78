"""ISO 20022 bank statements: hand-written samples, refused input, and round trips.

The samples in ``data/`` follow the camt.053/camt.054 structure of versions 001.02 and
001.08. The property tests build statements with :func:`build_statement` below (stdlib
ElementTree, no parsing involved) and check that :func:`parse_statement` gives back exactly
the payments that went in.
"""

from __future__ import annotations

import pathlib
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kassa.core.camt import (
    Statement,
    StatementError,
    StatementPayment,
    parse_statement,
    reference_candidates,
)
from kassa.core.errors import KassaError, PaymentReferenceError
from kassa.core.money import minor_unit_exponent
from kassa.core.references import (
    format_fi_reference,
    format_rf,
    is_valid_fi_reference,
    reference_for,
)

DATA = pathlib.Path(__file__).parent / "data"
FI_IBAN = "FI2112345600000785"


def sample(name: str) -> Statement:
    return parse_statement((DATA / name).read_bytes())


# -- A small statement builder ---------------------------------------------------------------


@dataclass
class Tx:
    """One TxDtls; ``amount`` in major units as written in the XML (None: no amount)."""

    amount: str | None = None
    reference: str | None = None
    ustrd: str | None = None
    payer: str | None = None
    acct_svcr_ref: str | None = None
    end_to_end_id: str | None = None
    direction: str | None = None


@dataclass
class Entry:
    """One Ntry."""

    amount: str | None = "12.25"
    currency: str | None = "EUR"
    direction: str | None = "CRDT"
    status: str = "BOOK"
    reversal: str | None = None
    booked: str | None = "2024-03-01"
    booked_tag: str = "Dt"
    value: str | None = None
    ntry_ref: str | None = None
    acct_svcr_ref: str | None = None
    transactions: list[Tx] = field(default_factory=list)


def build_statement(
    entries: list[Entry],
    *,
    kind: str = "camt.053",
    version: str = "02",
    iban: str = FI_IBAN,
    message_id: str | None = "MSG-1",
) -> bytes:
    """Serialize ``entries`` as one statement (or notification) of ``kind`` and ``version``.

    Versions from 001.07 on use the newer shapes (``Sts/Cd``, ``Dbtr/Pty/Nm``,
    ``TxDtls/Amt``); older ones ``Sts``, ``Dbtr/Nm`` and ``AmtDtls/TxAmt/Amt``.
    """
    ns = f"urn:iso:std:iso:20022:tech:xsd:{kind}.001.{version}"
    newer = int(version) >= 7

    def sub(parent: ET.Element, path: str, text: str | None = None, **attrib: str) -> ET.Element:
        element = parent
        for step in path.split("/"):
            element = ET.SubElement(element, step)
        element.attrib.update(attrib)
        if text is not None:
            element.text = text
        return element

    def amount(parent: ET.Element, path: str, text: str | None, currency: str | None) -> None:
        if text is not None:
            sub(parent, path, text, **({"Ccy": currency} if currency is not None else {}))

    root = ET.Element("Document", xmlns=ns)  # children inherit it as their namespace
    message_tag, report_tag = (
        ("BkToCstmrStmt", "Stmt") if kind == "camt.053" else ("BkToCstmrDbtCdtNtfctn", "Ntfctn")
    )
    message = sub(root, message_tag)
    header = sub(message, "GrpHdr")
    if message_id is not None:
        sub(header, "MsgId", message_id)
    sub(header, "CreDtTm", "2024-03-01T22:00:00+02:00")
    report = sub(message, report_tag)
    sub(report, "Id", "REPORT-1")
    sub(report, "Acct/Id/IBAN", iban)
    for entry in entries:
        ntry = sub(report, "Ntry")
        if entry.ntry_ref is not None:
            sub(ntry, "NtryRef", entry.ntry_ref)
        amount(ntry, "Amt", entry.amount, entry.currency)
        if entry.direction is not None:
            sub(ntry, "CdtDbtInd", entry.direction)
        if entry.reversal is not None:
            sub(ntry, "RvslInd", entry.reversal)
        sub(ntry, "Sts/Cd" if newer else "Sts", entry.status)
        if entry.booked is not None:
            sub(ntry, f"BookgDt/{entry.booked_tag}", entry.booked)
        if entry.value is not None:
            sub(ntry, "ValDt/Dt", entry.value)
        if entry.acct_svcr_ref is not None:
            sub(ntry, "AcctSvcrRef", entry.acct_svcr_ref)
        if not entry.transactions:
            continue
        details = sub(ntry, "NtryDtls")
        for tx in entry.transactions:
            element = sub(details, "TxDtls")
            if tx.acct_svcr_ref is not None or tx.end_to_end_id is not None:
                refs = sub(element, "Refs")
                if tx.acct_svcr_ref is not None:
                    sub(refs, "AcctSvcrRef", tx.acct_svcr_ref)
                if tx.end_to_end_id is not None:
                    sub(refs, "EndToEndId", tx.end_to_end_id)
            amount(element, "Amt" if newer else "AmtDtls/TxAmt/Amt", tx.amount, entry.currency)
            if tx.direction is not None:
                sub(element, "CdtDbtInd", tx.direction)
            if tx.payer is not None:
                sub(element, "RltdPties/Dbtr/Pty/Nm" if newer else "RltdPties/Dbtr/Nm", tx.payer)
            if tx.reference is not None or tx.ustrd is not None:
                remittance = sub(element, "RmtInf")
                if tx.ustrd is not None:
                    sub(remittance, "Ustrd", tx.ustrd)
                if tx.reference is not None:
                    sub(remittance, "Strd/CdtrRefInf/Ref", tx.reference)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def error_of(data: bytes) -> StatementError:
    with pytest.raises(StatementError) as excinfo:
        parse_statement(data)
    assert isinstance(excinfo.value, KassaError)
    return excinfo.value


# -- The hand-written samples ----------------------------------------------------------------


def test_camt053_v02_reads_references_batches_and_skips() -> None:
    statement = sample("camt053_v02.xml")
    assert statement.kind == "camt.053"
    assert statement.message_id == "STMT-FI-20240301-0001"
    assert statement.account_iban == FI_IBAN  # written with spaces in the file
    first = statement.payments[0]
    assert first == StatementPayment(
        bank_id="240301AAAA0001-TX",
        amount=1225,
        currency="EUR",
        booked_on=date(2024, 3, 1),
        value_date=date(2024, 2, 29),
        reference="12345672",  # "123 45672" in the file
        unstructured=None,
        payer="Matti Meikäläinen",
        account_iban=FI_IBAN,
        reversal=False,
        end_to_end_id=None,  # NOTPROVIDED
    )
    assert [p.amount for p in statement.payments] == [1225, 2500, 3550, 3950, 1225, 700]
    assert [p.reference for p in statement.payments] == [
        "12345672",
        "RF8512345672",
        "202400013",
        None,
        "12345672",
        None,
    ]


def test_a_batch_entry_gives_one_payment_per_transaction_with_distinct_ids() -> None:
    batch = [p for p in sample("camt053_v02.xml").payments if p.bank_id.startswith("240301BBBB")]
    assert [p.bank_id for p in batch] == [
        "240301BBBB0002/1",
        "240301BBBB0002/2",
        "240301BBBB0002/3",
    ]
    assert [p.payer for p in batch] == ["Liisa Virtanen", "Oy Esimerkki Ab", "Pekka Korhonen"]
    assert sum(p.amount for p in batch) == 10000  # the entry's 100.00 EUR
    assert batch[0].end_to_end_id == "E2E-0001"
    assert batch[2].unstructured == "Lasku 7, viite 12345 67907, kiitos"


def test_debit_and_pending_entries_are_skipped_with_a_reason() -> None:
    statement = sample("camt053_v02.xml")
    assert statement.skipped == (
        "Entry 3 (NtryRef 3): 40.00 EUR debit, not a payment received.",
        "Entry 4 (NtryRef 4): 50.00 EUR credit with status PDNG, not booked.",
    )
    ids = {p.bank_id for p in statement.payments}
    assert not ids & {"240301CCCC0003", "240301DDDD0004"}


def test_a_returned_credit_is_a_reversal_payment() -> None:
    statement = sample("camt053_v02.xml")
    reversals = [p for p in statement.payments if p.reversal]
    assert len(reversals) == 1
    (returned,) = reversals
    assert returned.bank_id == "240301EEEE0005"
    assert returned.amount == 1225  # positive: the matcher undoes the earlier payment
    assert returned.reference == "12345672"
    assert not any(p.reversal for p in statement.payments if p is not returned)


def test_an_entry_without_details_is_one_payment_with_the_entry_reference() -> None:
    last = sample("camt053_v02.xml").payments[-1]
    assert (last.bank_id, last.amount, last.value_date) == ("240301FFFF0006", 700, None)
    assert (last.reference, last.unstructured, last.payer) == (None, None, None)


def test_camt053_v08_reads_the_newer_shapes() -> None:
    statement = sample("camt053_v08.xml")
    assert statement.account_iban == "SE4550000000058398257466"
    sek = statement.payments[0]
    assert (sek.amount, sek.currency) == (123450, "SEK")  # 1 234.50 SEK
    assert sek.payer == "Anna Andersson"  # Dbtr/Pty/Nm
    assert sek.booked_on == date(2024, 3, 4)  # BookgDt/DtTm, the bank's local date
    assert sek.reference == "98765432111"
    assert sek.end_to_end_id == "ORDER-5521"
    assert statement.skipped == (
        "Entry 3 (NtryRef SE3): 99.00 SEK credit with status INFO, not booked.",
    )


def test_a_payment_without_any_bank_reference_gets_a_content_digest_id() -> None:
    anonymous = sample("camt053_v08.xml").payments[1]
    assert anonymous.bank_id.startswith("sha256:")
    assert anonymous.bank_id.endswith("#1")
    assert anonymous.amount == 20000


def test_identical_payments_without_references_get_distinct_ids() -> None:
    same = Entry(amount="5.00", transactions=[Tx(payer="A", reference="12345672")])
    payments = parse_statement(build_statement([same, same])).payments
    assert payments[0].bank_id != payments[1].bank_id
    assert payments[0].bank_id[:-2] == payments[1].bank_id[:-2]


def test_camt054_v02_notification_of_kid_payments() -> None:
    statement = sample("camt054_v02.xml")
    assert statement.kind == "camt.054"
    assert statement.account_iban == "NO9386011117947"
    assert [(p.bank_id, p.amount, p.currency, p.reference) for p in statement.payments] == [
        ("DNB-20240305-000123", 49990, "NOK", "555012343"),
        ("DNB-20240305-000124", 15000, "NOK", None),
    ]
    assert reference_candidates(statement.payments[1]) == ["12344"]
    assert statement.skipped == ()


@pytest.mark.parametrize(
    "name", ["camt053_v02.xml", "camt053_v08.xml", "camt054_v02.xml", "camt054_v08.xml"]
)
def test_parsing_the_same_file_twice_gives_the_same_ids(name: str) -> None:
    first, second = sample(name), sample(name)
    assert first == second
    ids = [p.bank_id for p in first.payments]
    assert len(ids) == len(set(ids))


def test_a_notification_and_the_statement_agree_on_bank_id() -> None:
    notified = sample("camt054_v08.xml").payments[0]
    booked = sample("camt053_v08.xml").payments[0]
    assert notified.bank_id == booked.bank_id == "SEB-778899-1"
    assert (notified.amount, notified.reference) == (booked.amount, booked.reference)


# -- Amounts ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("12.25", "EUR", 1225),
        ("1234.50", "SEK", 123450),
        ("12.340", "EUR", 1234),  # extra zeros are not extra precision
        ("0.01", "NOK", 1),
        ("+7", "EUR", 700),
        ("200", "ISK", 200),  # no minor unit
        ("99999999999999.99", "EUR", 9999999999999999),
    ],
)
def test_amounts_convert_exactly_to_minor_units(text: str, currency: str, minor: int) -> None:
    data = build_statement([Entry(amount=text, currency=currency)])
    (payment,) = parse_statement(data).payments
    assert (payment.amount, payment.currency) == (minor, currency)


@pytest.mark.parametrize(
    ("text", "currency", "code"),
    [
        ("12.345", "EUR", "statement.amount"),
        ("12.5", "ISK", "statement.amount"),
        ("-5.00", "EUR", "statement.amount"),
        ("1e3", "EUR", "statement.amount"),
        ("12,25", "EUR", "statement.amount"),
        ("NaN", "EUR", "statement.amount"),
        ("12.25", "XXY", "statement.currency"),
        ("12.25", "eur", "statement.currency"),
        ("12.25", None, "statement.currency"),
    ],
)
def test_bad_amounts_and_currencies_are_refused(text: str, currency: str | None, code: str) -> None:
    error = error_of(
        build_statement([Entry(), Entry(amount=text, currency=currency, ntry_ref="B2")])
    )
    assert error.code == code
    assert error.params["entry"] == 2
    assert str(error).startswith("Entry 2 (NtryRef B2): Ntry/Amt ")


def test_extra_precision_names_the_element_entry_and_currency() -> None:
    error = error_of(build_statement([Entry(amount="12.345", currency="EUR")]))
    assert error.code == "statement.amount"
    assert str(error) == (
        "Entry 1: Ntry/Amt is 12.345: more decimals than EUR has (2); nothing is rounded."
    )
    assert error.params["element"] == "Ntry/Amt"


def test_a_missing_amount_is_refused() -> None:
    error = error_of(build_statement([Entry(amount=None)]))
    assert (error.code, str(error)) == ("statement.amount", "Entry 1: Ntry/Amt is missing.")


def test_an_invalid_amount_is_refused_even_on_a_skipped_entry() -> None:
    error = error_of(build_statement([Entry(direction="DBIT", amount="1.001")]))
    assert error.code == "statement.amount"


def test_batch_amounts_must_add_up_to_the_entry() -> None:
    entry = Entry(amount="10.00", transactions=[Tx(amount="4.00"), Tx(amount="5.00")])
    error = error_of(build_statement([entry]))
    assert error.code == "statement.amount"
    assert "add up to 9.00 EUR" in str(error)


def test_a_batch_transaction_needs_its_amount() -> None:
    entry = Entry(amount="10.00", transactions=[Tx(amount="10.00"), Tx(amount=None)])
    error = error_of(build_statement([entry]))
    assert (error.code, error.params["transaction"]) == ("statement.amount", 2)


def test_a_debit_inside_a_credit_batch_is_skipped_and_counted_against_it() -> None:
    entry = Entry(
        amount="10.00",
        acct_svcr_ref="B",
        transactions=[Tx(amount="12.00"), Tx(amount="2.00", direction="DBIT")],
    )
    statement = parse_statement(build_statement([entry], version="08"))
    assert [(p.bank_id, p.amount) for p in statement.payments] == [("B/1", 1200)]
    assert statement.skipped == (
        "Entry 1, transaction 2: 2.00 EUR DBIT inside a CRDT batch, not a payment received.",
    )


def test_a_batch_transaction_in_another_currency_is_refused() -> None:
    entry = Entry(amount="10.00", transactions=[Tx(amount="5.00"), Tx(amount="5.00")])
    data = build_statement([entry]).replace(b'<Amt Ccy="EUR">5.00', b'<Amt Ccy="SEK">5.00', 1)
    assert error_of(data).code == "statement.currency"


def test_a_zero_credit_is_skipped_not_a_payment() -> None:
    statement = parse_statement(build_statement([Entry(amount="0.00")]))
    assert statement.payments == ()
    assert statement.skipped == ("Entry 1: 0.00 EUR credit of zero.",)


# -- Dates, codes and kinds ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "element"),
    [
        (Entry(booked="2024-02-30"), "Ntry/BookgDt/Dt"),
        (Entry(booked="01.03.2024"), "Ntry/BookgDt/Dt"),
        (Entry(booked="yesterday", booked_tag="DtTm"), "Ntry/BookgDt/DtTm"),
        (Entry(value="2024-13-01"), "Ntry/ValDt/Dt"),
        (Entry(booked=None), "Ntry/BookgDt"),
    ],
)
def test_bad_or_missing_dates_are_refused(entry: Entry, element: str) -> None:
    error = error_of(build_statement([entry]))
    assert (error.code, error.params["element"]) == ("statement.date", element)


def test_a_date_with_a_timezone_keeps_its_day() -> None:
    data = build_statement([Entry(booked="2024-03-01+02:00", value="2024-03-02Z")])
    (payment,) = parse_statement(data).payments
    assert (payment.booked_on, payment.value_date) == (date(2024, 3, 1), date(2024, 3, 2))


def test_a_pending_entry_needs_no_booking_date() -> None:
    statement = parse_statement(build_statement([Entry(status="PDNG", booked=None)]))
    assert statement.payments == ()
    assert len(statement.skipped) == 1


@pytest.mark.parametrize(
    ("data", "element"),
    [
        (build_statement([Entry(direction=None)]), "Ntry/CdtDbtInd"),
        (build_statement([Entry(direction="CRED")]), "Ntry/CdtDbtInd"),
        (build_statement([Entry(reversal="yes")]), "Ntry/RvslInd"),
        (build_statement([Entry()], message_id=None), "GrpHdr/MsgId"),
    ],
)
def test_missing_or_unknown_codes_are_refused(data: bytes, element: str) -> None:
    error = error_of(data)
    assert (error.code, error.params["element"]) == ("statement.element", element)


def test_a_credit_reversing_a_debit_is_not_a_customer_payment() -> None:
    statement = parse_statement(build_statement([Entry(reversal="true")]))
    assert statement.payments == ()
    assert "reversing an earlier debit" in statement.skipped[0]


@pytest.mark.parametrize(
    "data",
    [
        build_statement([Entry()], kind="camt.052"),
        build_statement([Entry()], version="99"),
        build_statement([Entry()]).replace(b"camt.053.001.02", b"pain.001.001.03"),
        b'<?xml version="1.0"?><Document><BkToCstmrStmt/></Document>',
        b'<?xml version="1.0"?><Statement xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"/>',
    ],
)
def test_other_documents_are_not_statements(data: bytes) -> None:
    assert error_of(data).code == "statement.kind"


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"not xml at all",
        b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>',
        build_statement([Entry()])[:-20],
    ],
)
def test_malformed_xml_is_refused(data: bytes) -> None:
    assert error_of(data).code == "statement.xml"


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE Document [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">
  <BkToCstmrStmt><GrpHdr><MsgId>&lol3;</MsgId></GrpHdr></BkToCstmrStmt>
</Document>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE Document [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">
  <BkToCstmrStmt><GrpHdr><MsgId>&secret;</MsgId></GrpHdr></BkToCstmrStmt>
</Document>"""

PLAIN_DOCTYPE = b"""<?xml version="1.0"?>
<!DOCTYPE Document>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">
  <BkToCstmrStmt><GrpHdr><MsgId>M</MsgId></GrpHdr></BkToCstmrStmt>
</Document>"""


@pytest.mark.parametrize("data", [BILLION_LAUGHS, EXTERNAL_ENTITY, PLAIN_DOCTYPE])
def test_dtds_and_entity_bombs_are_refused_before_expansion(data: bytes) -> None:
    error = error_of(data)
    assert error.code == "statement.xml"
    assert "DTD" in str(error)


def test_text_input_is_a_programming_error() -> None:
    with pytest.raises(TypeError):
        parse_statement(build_statement([Entry()]).decode())  # type: ignore[arg-type]


def test_several_accounts_in_one_file_leave_the_statement_account_open() -> None:
    data = build_statement([Entry(acct_svcr_ref="R1")])
    end = data.index(b"</Stmt>") + len(b"</Stmt>")
    second = data[data.index(b"<Stmt>") : end].replace(FI_IBAN.encode(), b"FI4250001510000023")
    statement = parse_statement(data[:end] + second + data[end:])
    assert statement.account_iban is None
    assert [p.account_iban for p in statement.payments] == [FI_IBAN, "FI4250001510000023"]


# -- Reference candidates --------------------------------------------------------------------


def payment_with(reference: str | None = None, unstructured: str | None = None) -> StatementPayment:
    return StatementPayment(
        bank_id="X",
        amount=100,
        currency="EUR",
        booked_on=date(2024, 3, 1),
        value_date=None,
        reference=reference,
        unstructured=unstructured,
        payer=None,
        account_iban=None,
        reversal=False,
    )


def test_candidates_put_the_structured_reference_first() -> None:
    payment = payment_with("12345672", "viite RF18 5390 0754 7034 ja 12345 67907")
    assert reference_candidates(payment) == ["12345672", "RF18539007547034", "1234567907"]


def test_the_structured_reference_is_kept_even_if_it_does_not_validate() -> None:
    assert reference_candidates(payment_with("ABC123")) == ["ABC123"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("RF18 5390 0754 7034 KIITOS", ["RF18539007547034"]),
        ("rf18539007547034", ["RF18539007547034"]),
        ("Lasku 12345678", []),  # fails every check digit
        ("KID 18 og 12344", ["12344"]),  # 18 passes Luhn but is too short to trust
        ("OCR 98765432111, tack", ["98765432111"]),
        # every joining that validates, longer first; the matcher knows which it issued
        ("viite 123 45672 2 kpl", ["123456722", "12345672", "456722"]),
        ("12345672 12345672", ["12345672"]),  # once
        ("KID 7770014", ["7770014"]),  # MOD11
        (None, []),
    ],
)
def test_candidates_from_unstructured_text(text: str | None, expected: list[str]) -> None:
    assert reference_candidates(payment_with(None, text)) == expected


def test_rf_inside_a_word_is_not_an_rf_reference() -> None:
    assert "RF18539007547034" not in reference_candidates(payment_with(None, "SURF18539007547034"))


def test_a_reference_repeated_in_the_text_is_not_listed_twice() -> None:
    assert reference_candidates(payment_with("12345672", "viite 123 45672")) == ["12345672"]


SCHEMES = [
    ("FI", "fi"),
    ("FI", "rf"),
    ("SE", "ocr"),
    ("SE", "ocr_length"),
    ("NO", "kid_mod10"),
    ("NO", "kid_mod11"),
]


@st.composite
def issued_references(draw: st.DrawFn) -> str:
    country, scheme = draw(st.sampled_from(SCHEMES))
    sequence = draw(st.integers(min_value=1000, max_value=10**15))
    try:
        return reference_for(country, sequence, scheme=scheme)
    except PaymentReferenceError:  # a MOD11 sequence without a usable check digit
        return reference_for(country, sequence + 1, scheme=scheme)


@given(
    reference=issued_references(),
    before=st.sampled_from(["", "Lasku 7, viite ", "Faktura ", "KID: "]),
    after=st.sampled_from(["", ", kiitos", " tack"]),
    printed=st.booleans(),
)
def test_an_issued_reference_in_free_text_is_a_candidate(
    reference: str, before: str, after: str, printed: bool
) -> None:
    written = reference
    if printed and reference.startswith("RF"):
        written = format_rf(reference)  # RF85 1234 5672
    elif printed and is_valid_fi_reference(reference):
        written = format_fi_reference(reference)  # 123 45672
    candidates = reference_candidates(payment_with(None, f"{before}{written}{after}"))
    assert reference in candidates


# -- Round trips -----------------------------------------------------------------------------

CURRENCIES = ["EUR", "SEK", "NOK", "DKK", "ISK"]
names = (
    st.text(alphabet=st.characters(codec="utf-8", categories=("L", "N", "P", "Zs")), max_size=30)
    .map(lambda text: " ".join(text.split()))
    .filter(bool)
)


def major_units(minor: int, currency: str, extra_zeros: int) -> str:
    exponent = minor_unit_exponent(currency)
    if exponent == 0:
        return str(minor) + ("." + "0" * extra_zeros if extra_zeros else "")
    whole, fraction = divmod(minor, 10**exponent)
    return f"{whole}.{fraction:0{exponent}d}" + "0" * extra_zeros


@dataclass
class Planned:
    """A transaction the test puts in and expects back (unless ``skipped``)."""

    minor: int
    reference: str | None
    ustrd: str | None
    payer: str | None
    tx_ref: str | None
    end_to_end_id: str | None


@st.composite
def statements(draw: st.DrawFn) -> tuple[bytes, list[StatementPayment], int]:
    kind = draw(st.sampled_from(["camt.053", "camt.054"]))
    version = draw(st.sampled_from([f"{n:02d}" for n in range(2, 14)]))
    entries: list[Entry] = []
    expected: list[StatementPayment] = []
    skipped = 0
    for number in range(draw(st.integers(min_value=0, max_value=6))):
        currency = draw(st.sampled_from(CURRENCIES))
        role = draw(st.sampled_from(["credit", "credit", "returned", "debit", "pending"]))
        direction = "DBIT" if role in ("returned", "debit") else "CRDT"
        entry_ref = draw(st.none() | st.just(f"E{number}"))
        plans = [
            Planned(
                minor=draw(st.integers(min_value=1, max_value=10**13)),
                reference=draw(st.none() | issued_references()),
                ustrd=draw(st.none() | names),
                payer=draw(st.none() | names),
                tx_ref=draw(st.none() | st.just(f"T{number}-{index}")),
                end_to_end_id=draw(st.none() | st.just(f"E2E-{number}-{index}")),
            )
            for index in range(draw(st.integers(min_value=1, max_value=4)))
        ]
        batch = len(plans) > 1
        total = sum(plan.minor for plan in plans)
        booked = date(2024, 1, 1) + timedelta(days=number)
        value_date = draw(st.none() | st.just(booked))
        entries.append(
            Entry(
                amount=major_units(total, currency, draw(st.integers(0, 2))),
                currency=currency,
                direction=direction,
                status="PDNG" if role == "pending" else "BOOK",
                reversal="true" if role == "returned" else draw(st.sampled_from([None, "false"])),
                booked=booked.isoformat(),
                value=value_date and value_date.isoformat(),
                ntry_ref=f"N{number}",
                acct_svcr_ref=entry_ref,
                transactions=[
                    Tx(
                        amount=major_units(plan.minor, currency, 0),
                        reference=plan.reference,
                        ustrd=plan.ustrd,
                        payer=plan.payer,
                        acct_svcr_ref=plan.tx_ref,
                        end_to_end_id=plan.end_to_end_id,
                    )
                    for plan in plans
                ],
            )
        )
        if role in ("debit", "pending"):
            skipped += 1
            continue
        for index, plan in enumerate(plans, start=1):
            if plan.tx_ref is not None:
                bank_id = plan.tx_ref
            elif entry_ref is not None:
                bank_id = f"{entry_ref}/{index}" if batch else entry_ref
            else:
                bank_id = ""  # a content digest: checked for uniqueness only
            expected.append(
                StatementPayment(
                    bank_id=bank_id,
                    amount=plan.minor,
                    currency=currency,
                    booked_on=booked,
                    value_date=value_date,
                    reference=plan.reference,
                    unstructured=plan.ustrd,
                    payer=plan.payer,
                    account_iban=FI_IBAN,
                    reversal=role == "returned",
                    end_to_end_id=plan.end_to_end_id,
                )
            )
    return build_statement(entries, kind=kind, version=version), expected, skipped


@settings(max_examples=150, deadline=None)
@given(statements())
def test_built_statements_parse_back_to_the_same_payments(
    built: tuple[bytes, list[StatementPayment], int],
) -> None:
    data, expected, skipped = built
    statement = parse_statement(data)
    assert statement.message_id == "MSG-1"
    assert statement.account_iban == FI_IBAN
    assert len(statement.skipped) == skipped
    assert len(statement.payments) == len(expected)
    for got, want in zip(statement.payments, expected, strict=True):
        if want.bank_id:
            assert got == want
        else:
            assert got.bank_id.startswith("sha256:")
            assert got == StatementPayment(**{**want.__dict__, "bank_id": got.bank_id})
    ids = [payment.bank_id for payment in statement.payments]
    assert len(ids) == len(set(ids))
    assert parse_statement(data) == statement  # the basis of idempotent import
