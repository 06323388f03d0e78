"""Reading ISO 20022 bank statements: the input of Kassa's payment matching.

:func:`parse_statement` reads a camt.053 ``BankToCustomerStatement`` or a camt.054
``BankToCustomerDebitCreditNotification`` (message versions 001.02 to 001.13; the element
paths Kassa reads are the same in all of them except two that changed shape in 001.07,
``Ntry/Sts`` becoming ``Ntry/Sts/Cd`` and ``RltdPties/Dbtr/Nm`` becoming
``RltdPties/Dbtr/Pty/Nm``, and both shapes are read) and returns the customer payments it
reports as :class:`StatementPayment` objects, amounts in integer minor units.

What counts as a payment:

- a booked (``Sts`` ``BOOK``) credit (``CdtDbtInd`` ``CRDT``) entry: money received;
- a booked *debit* entry with ``RvslInd`` true: the bank took back a credit it reported
  earlier (a returned or recalled payment). It is reported with ``reversal=True`` and a
  positive amount, so that the matcher can undo the payment it reverses.

Everything else is listed in :attr:`Statement.skipped` with the reason: debits, pending and
information-only entries, and credits that reverse an earlier debit (money coming back from
an outgoing payment is not a customer paying an invoice).

An entry with several ``TxDtls`` (a batch, e.g. a day's reference payments booked as one sum)
gives one payment per transaction; their amounts must add up to the entry's amount.

The XML is parsed with :mod:`defusedxml` and any DTD is refused, so entity expansion
("billion laughs") and external entities (XXE) never run.

Error codes (:class:`StatementError`): ``statement.xml`` (not well-formed XML, or a DTD),
``statement.kind`` (not camt.053 or camt.054), ``statement.element`` (a required element is
missing or holds an unknown code), ``statement.amount``, ``statement.currency``,
``statement.date``. Messages name the element and the entry number (counted from 1 in
document order over all statements of the file).
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any, Literal
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from kassa.core.errors import KassaError, MoneyError
from kassa.core.money import Money, minor_unit_exponent
from kassa.core.references import (
    is_valid_fi_reference,
    is_valid_no_kid,
    is_valid_rf,
    is_valid_se_ocr,
)

__all__ = [
    "Statement",
    "StatementError",
    "StatementKind",
    "StatementPayment",
    "parse_statement",
    "reference_candidates",
]

StatementKind = Literal["camt.053", "camt.054"]

_NAMESPACE_RE = re.compile(
    r"\{urn:iso:std:iso:20022:tech:xsd:(camt\.05[34])\.001\.([0-9]{2})\}Document"
)
_VERSIONS = frozenset(f"{number:02d}" for number in range(2, 14))
#: Message element and report element of each kind.
_LAYOUT: dict[str, tuple[str, str]] = {
    "camt.053": ("BkToCstmrStmt", "Stmt"),
    "camt.054": ("BkToCstmrDbtCdtNtfctn", "Ntfctn"),
}
# xs:decimal without sign or exponent: ISO 20022 amounts are never negative.
_AMOUNT_RE = re.compile(r"\+?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_DATE_RE = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2})(?:Z|[+-][0-9]{2}:[0-9]{2})?")
_NOT_PROVIDED = "NOTPROVIDED"

# Reference look-alikes in free text. Numbers shorter than four digits are quantities, days
# or house numbers far more often than references, and every Finnish reference has four.
_MIN_TEXT_REFERENCE_DIGITS = 4
_MAX_REFERENCE_DIGITS = 25  # the longest OCR and KID
_DIGIT_RUN_RE = re.compile(r"[0-9]+(?:[ \u00a0][0-9]+)*")
_RF_RE = re.compile(r"(?<![0-9A-Za-z])RF[0-9]{2}(?:[ \u00a0]?[0-9A-Za-z])+", re.IGNORECASE)


class StatementError(KassaError, ValueError):
    """A bank statement that cannot be read; nothing of it should be imported."""

    code = "statement.invalid"


@dataclass(frozen=True)
class StatementPayment:
    """One customer payment reported by a statement (or the reversal of one)."""

    #: Stable id for idempotent import: the transaction's ``Refs/AcctSvcrRef``; else the
    #: entry's ``AcctSvcrRef``, followed by ``/n`` (n = transaction number from 1) when the
    #: entry is a batch; else ``sha256:<digest>#n``, a digest of the payment's own fields with
    #: n counting identical payments in the file. The bank guarantees uniqueness per
    #: account only, so import keys should be ``(account_iban, bank_id)``.
    bank_id: str
    #: Amount in minor units of :attr:`currency`; always positive, also for a reversal.
    amount: int
    #: ISO 4217 code, e.g. ``"EUR"``.
    currency: str
    #: Booking date (``BookgDt``) as the bank states it, in the bank's own calendar.
    booked_on: date
    #: Value date (``ValDt``), when the bank gives one.
    value_date: date | None
    #: Structured creditor reference (``RmtInf/Strd/CdtrRefInf/Ref``) without spaces and in
    #: upper case: a Finnish reference, RF, Swedish OCR or Norwegian KID. ``None`` if absent.
    reference: str | None
    #: Unstructured remittance text (``RmtInf/Ustrd``, several joined by a space).
    unstructured: str | None
    #: Name of the payer (``RltdPties/Dbtr``).
    payer: str | None
    #: IBAN of the account the statement reports on (``Acct/Id/IBAN``), compact.
    account_iban: str | None
    #: True when the bank took back an earlier credit (a booked debit with ``RvslInd``).
    reversal: bool
    #: The payer's end-to-end id (``Refs/EndToEndId``), unless ``NOTPROVIDED``.
    end_to_end_id: str | None = None


@dataclass(frozen=True)
class Statement:
    """What :func:`parse_statement` read from one file."""

    #: ``"camt.053"`` (statement) or ``"camt.054"`` (debit/credit notification).
    kind: StatementKind
    #: ``GrpHdr/MsgId``: the bank's id of this file.
    message_id: str
    #: The account's IBAN when every statement in the file reports the same account; else
    #: ``None`` (each payment names its own account).
    account_iban: str | None
    #: Payments in document order.
    payments: tuple[StatementPayment, ...]
    #: One line per entry or transaction that is not a payment, saying why.
    skipped: tuple[str, ...]


@lru_cache(maxsize=256)
def _qualified(namespace: str, path: str) -> str:
    return "/".join(f"{{{namespace}}}{step}" for step in path.split("/"))


@dataclass(frozen=True)
class _Reader:
    """Finds elements by unqualified paths in the document's namespace."""

    namespace: str

    def find(self, parent: Element, path: str) -> Element | None:
        return parent.find(_qualified(self.namespace, path))

    def find_all(self, parent: Element, path: str) -> list[Element]:
        return parent.findall(_qualified(self.namespace, path))

    def text(self, parent: Element, path: str) -> str | None:
        found = self.find(parent, path)
        return _text(found)


def _text(element: Element | None) -> str | None:
    if element is None or element.text is None:
        return None
    return element.text.strip() or None


@dataclass(frozen=True)
class _Where:
    """The entry (and transaction) an error or a skip is about."""

    entry: int
    entry_ref: str | None
    transaction: int | None = None

    def __str__(self) -> str:
        text = f"Entry {self.entry}"
        if self.entry_ref:
            text += f" (NtryRef {self.entry_ref})"
        if self.transaction is not None:
            text += f", transaction {self.transaction}"
        return text

    def params(self) -> dict[str, Any]:
        return {"entry": self.entry, "entry_ref": self.entry_ref, "transaction": self.transaction}


def _fail(code: str, where: _Where, element: str, problem: str, **params: Any) -> StatementError:
    return StatementError(
        f"{where}: {element} {problem}", code=code, element=element, **where.params(), **params
    )


def parse_statement(data: bytes) -> Statement:
    """Read a camt.053 or camt.054 file and return its customer payments.

    Pure and deterministic: the same bytes always give the same result, including every
    :attr:`StatementPayment.bank_id`. Amounts are converted exactly (``Decimal``, never
    rounded): more decimals than the currency has, unless zeros, are an error.

    :param data: the file's bytes as received from the bank (the XML declaration names the
        encoding).
    :raises StatementError: see the module documentation for the codes.
    """
    if not isinstance(data, bytes | bytearray):
        raise TypeError(f"parse_statement takes the file's bytes, not {type(data).__name__}")
    try:
        root = fromstring(bytes(data), forbid_dtd=True)
    except DefusedXmlException as error:
        raise StatementError(
            f"The statement contains a DTD or entity declaration ({type(error).__name__}); "
            "bank statements never do, so it is refused.",
            code="statement.xml",
        ) from error
    except ParseError as error:
        raise StatementError(
            f"The statement is not well-formed XML: {error}.", code="statement.xml"
        ) from error

    matched = _NAMESPACE_RE.fullmatch(root.tag)
    if matched is None or matched.group(2) not in _VERSIONS:
        raise StatementError(
            f"The root element {root.tag!r} is not an ISO 20022 camt.053 or camt.054 Document "
            "(versions 001.02 to 001.13).",
            code="statement.kind",
            root=root.tag,
        )
    kind: StatementKind = "camt.053" if matched.group(1) == "camt.053" else "camt.054"
    reader = _Reader(root.tag[1 : root.tag.index("}")])
    message_tag, report_tag = _LAYOUT[kind]
    message = reader.find(root, message_tag)
    if message is None:
        raise StatementError(
            f"A {kind} Document must contain {message_tag}.",
            code="statement.element",
            element=message_tag,
        )
    message_id = reader.text(message, "GrpHdr/MsgId")
    if message_id is None:
        raise StatementError(
            f"{message_tag}/GrpHdr/MsgId is missing.",
            code="statement.element",
            element="GrpHdr/MsgId",
        )

    payments: list[StatementPayment] = []
    skipped: list[str] = []
    accounts: list[str | None] = []
    entry_number = 0
    for report in reader.find_all(message, report_tag):
        iban = reader.text(report, "Acct/Id/IBAN")
        iban = "".join(iban.split()).upper() if iban else None
        accounts.append(iban)
        for entry in reader.find_all(report, "Ntry"):
            entry_number += 1
            _read_entry(reader, entry, entry_number, iban, payments, skipped)
    return Statement(
        kind=kind,
        message_id=message_id,
        account_iban=accounts[0] if len(set(accounts)) == 1 else None,
        payments=_with_fallback_ids(payments),
        skipped=tuple(skipped),
    )


def _read_entry(
    reader: _Reader,
    entry: Element,
    number: int,
    iban: str | None,
    payments: list[StatementPayment],
    skipped: list[str],
) -> None:
    where = _Where(number, reader.text(entry, "NtryRef"))
    amount, currency = _amount(reader.find(entry, "Amt"), "Ntry/Amt", where)
    direction = reader.text(entry, "CdtDbtInd")
    if direction not in ("CRDT", "DBIT"):
        raise _fail(
            "statement.element",
            where,
            "Ntry/CdtDbtInd",
            f"is {direction!r}; it must be CRDT or DBIT.",
        )
    reversal = _boolean(reader.text(entry, "RvslInd"), where)
    status = (
        reader.text(entry, "Sts/Cd") or reader.text(entry, "Sts/Prtry") or reader.text(entry, "Sts")
    )
    if status is None:
        raise _fail("statement.element", where, "Ntry/Sts", "is missing.")

    what = f"{Money(amount, currency)} {'credit' if direction == 'CRDT' else 'debit'}"
    if status != "BOOK":
        skipped.append(f"{where}: {what} with status {status}, not booked.")
        return
    if direction == "DBIT" and not reversal:
        skipped.append(f"{where}: {what}, not a payment received.")
        return
    if direction == "CRDT" and reversal:
        skipped.append(f"{where}: {what} reversing an earlier debit, not a customer payment.")
        return
    if amount == 0:
        skipped.append(f"{where}: {what} of zero.")
        return

    booked_on = _date(reader, entry, "BookgDt", where)
    if booked_on is None:
        raise _fail(
            "statement.date",
            where,
            "Ntry/BookgDt",
            "is missing; a booked entry needs its booking date.",
        )
    value_date = _date(reader, entry, "ValDt", where)
    entry_ref = reader.text(entry, "AcctSvcrRef")
    transactions = [
        transaction
        for details in reader.find_all(entry, "NtryDtls")
        for transaction in reader.find_all(details, "TxDtls")
    ]
    common = {
        "currency": currency,
        "booked_on": booked_on,
        "value_date": value_date,
        "account_iban": iban,
        "reversal": reversal,
    }
    if len(transactions) <= 1:
        # A single transaction is the whole entry: the entry's amount is what moved on the
        # account, whatever a TxDtls amount in another currency or before charges says.
        transaction = transactions[0] if transactions else None
        payments.append(_payment(reader, transaction, entry_ref, None, amount, common))
        return

    total = 0
    for index, transaction in enumerate(transactions, start=1):
        at = replace(where, transaction=index)
        tx_amount, tx_currency = _transaction_amount(reader, transaction, at)
        if tx_currency != currency:
            raise _fail(
                "statement.currency",
                at,
                "TxDtls/Amt",
                f"is in {tx_currency}, the entry in {currency}.",
            )
        tx_direction = reader.text(transaction, "CdtDbtInd") or direction
        if tx_direction != direction:
            total -= tx_amount
            skipped.append(
                f"{at}: {Money(tx_amount, currency)} {tx_direction} inside a "
                f"{direction} batch, not a payment received."
            )
            continue
        total += tx_amount
        if tx_amount == 0:
            skipped.append(f"{at}: zero amount.")
            continue
        payments.append(_payment(reader, transaction, entry_ref, index, tx_amount, common))
    if total != amount:
        raise _fail(
            "statement.amount",
            where,
            "Ntry/Amt",
            f"is {Money(amount, currency)} but its {len(transactions)} transactions "
            f"add up to {Money(total, currency)}.",
        )


def _payment(
    reader: _Reader,
    transaction: Element | None,
    entry_ref: str | None,
    index: int | None,
    amount: int,
    common: dict[str, Any],
) -> StatementPayment:
    reference: str | None = None
    unstructured: str | None = None
    payer: str | None = None
    end_to_end_id: str | None = None
    tx_ref: str | None = None
    if transaction is not None:
        tx_ref = reader.text(transaction, "Refs/AcctSvcrRef")
        end_to_end_id = reader.text(transaction, "Refs/EndToEndId")
        if end_to_end_id == _NOT_PROVIDED:
            end_to_end_id = None
        for structured in reader.find_all(transaction, "RmtInf/Strd"):
            ref = reader.text(structured, "CdtrRefInf/Ref")
            if ref is not None:
                reference = "".join(ref.split()).upper()
                break
        texts = [_text(element) for element in reader.find_all(transaction, "RmtInf/Ustrd")]
        unstructured = " ".join(text for text in texts if text) or None
        payer = reader.text(transaction, "RltdPties/Dbtr/Nm") or reader.text(
            transaction, "RltdPties/Dbtr/Pty/Nm"
        )
    if tx_ref is not None:
        bank_id = tx_ref
    elif entry_ref is not None:
        bank_id = entry_ref if index is None else f"{entry_ref}/{index}"
    else:
        bank_id = ""  # filled in by _with_fallback_ids
    return StatementPayment(
        bank_id=bank_id,
        amount=amount,
        reference=reference,
        unstructured=unstructured,
        payer=payer,
        end_to_end_id=end_to_end_id,
        **common,
    )


def _with_fallback_ids(payments: list[StatementPayment]) -> tuple[StatementPayment, ...]:
    """Give payments without any AcctSvcrRef an id made of their own content."""
    seen: Counter[str] = Counter()
    result = []
    for payment in payments:
        if not payment.bank_id:
            fields = (
                payment.account_iban,
                payment.booked_on.isoformat(),
                payment.value_date.isoformat() if payment.value_date else None,
                payment.amount,
                payment.currency,
                payment.reversal,
                payment.reference,
                payment.unstructured,
                payment.payer,
                payment.end_to_end_id,
            )
            digest = hashlib.sha256(repr(fields).encode()).hexdigest()[:32]
            seen[digest] += 1
            payment = replace(payment, bank_id=f"sha256:{digest}#{seen[digest]}")
        result.append(payment)
    return tuple(result)


def _transaction_amount(reader: _Reader, transaction: Element, where: _Where) -> tuple[int, str]:
    element = reader.find(transaction, "Amt")
    path = "TxDtls/Amt"
    if element is None:  # versions before 001.03 have the amount only here
        element = reader.find(transaction, "AmtDtls/TxAmt/Amt")
        path = "TxDtls/AmtDtls/TxAmt/Amt"
    if element is None:
        raise _fail(
            "statement.amount",
            where,
            "TxDtls/Amt",
            "is missing; each transaction of a batch needs its amount.",
        )
    return _amount(element, path, where)


def _amount(element: Element | None, path: str, where: _Where) -> tuple[int, str]:
    """Return (minor units, currency) of an amount element with a ``Ccy`` attribute."""
    text = _text(element)
    if element is None or text is None:
        raise _fail("statement.amount", where, path, "is missing.")
    currency = (element.get("Ccy") or "").strip()
    try:
        exponent = minor_unit_exponent(currency)
    except MoneyError:
        raise _fail(
            "statement.currency",
            where,
            path,
            f"has currency {currency!r}, which is not an ISO 4217 code.",
            currency=currency,
        ) from None
    if _AMOUNT_RE.fullmatch(text) is None:
        raise _fail(
            "statement.amount",
            where,
            path,
            f"{text!r} is not an amount; it must be like 12.25.",
            amount=text,
        )
    try:
        money = Money.parse(Decimal(text), currency)
    except MoneyError as error:
        problem = (
            f"is {text}: more decimals than {currency} has ({exponent}); nothing is rounded."
            if error.code == "money.precision"
            else f"is {text}, which is not a usable amount ({error.message})."
        )
        raise _fail(
            "statement.amount", where, path, problem, amount=text, currency=currency
        ) from None
    return money.minor, currency


def _date(reader: _Reader, entry: Element, path: str, where: _Where) -> date | None:
    """Read ``BookgDt`` or ``ValDt``: ``Dt`` (a date) or ``DtTm`` (its local date)."""
    container = reader.find(entry, path)
    if container is None:
        return None
    day = reader.text(container, "Dt")
    if day is not None:
        matched = _DATE_RE.fullmatch(day)
        try:
            if matched is not None:
                return date.fromisoformat(matched.group(1))
        except ValueError:
            pass
        raise _fail(
            "statement.date",
            where,
            f"Ntry/{path}/Dt",
            f"{day!r} is not a date; it must be like 2024-03-01.",
            value=day,
        )
    moment = reader.text(container, "DtTm")
    if moment is not None:
        try:
            # The date as the bank wrote it, not converted to UTC: that is its booking day.
            return datetime.fromisoformat(moment).date()
        except ValueError:
            raise _fail(
                "statement.date",
                where,
                f"Ntry/{path}/DtTm",
                f"{moment!r} is not a date and time.",
                value=moment,
            ) from None
    raise _fail("statement.date", where, f"Ntry/{path}", "has neither Dt nor DtTm.")


def _boolean(text: str | None, where: _Where) -> bool:
    if text is None or text in ("false", "0"):
        return False
    if text in ("true", "1"):
        return True
    raise _fail(
        "statement.element",
        where,
        "Ntry/RvslInd",
        f"is {text!r}; it must be true or false.",
        value=text,
    )


def _looks_like_reference(digits: str) -> bool:
    return (
        is_valid_fi_reference(digits)
        or is_valid_se_ocr(digits)
        or is_valid_no_kid(digits, "mod10")
        or is_valid_no_kid(digits, "mod11")
    )


def reference_candidates(payment: StatementPayment) -> list[str]:
    """References the matcher should try for ``payment``, most trustworthy first.

    First the structured reference as the bank reported it (even if it does not validate:
    the matcher compares it with issued references). Then, in order of appearance, every
    token of the unstructured text that validates as an RF reference (``RF`` + check
    digits, spaces allowed, e.g. ``RF18 5390 0754 7034``) or, as 4 to 25 digits, as a
    Finnish reference, a Swedish OCR number (Luhn) or a Norwegian KID (MOD10 or MOD11).
    Digit groups separated by single spaces may be one printed reference (``123 45672``) or
    several numbers: every joining of neighbouring groups that validates is a candidate,
    longer ones first. Check digits let about one number in ten through by chance, so a
    candidate is only a hint: the matcher must find it among the references it issued.
    Every candidate is compact and upper case, and appears once.
    """
    candidates: list[str] = []

    def add(candidate: str) -> None:
        if candidate not in candidates:
            candidates.append(candidate)

    if payment.reference:
        add(payment.reference)
    text = payment.unstructured or ""
    found: list[tuple[int, str]] = []
    for matched in _RF_RE.finditer(text):
        groups = matched.group().split()
        # The pattern also swallows a following word ("RF18 5390 ... KIITOS"): drop groups
        # from the end; every joining that validates is a candidate, longer ones first (a
        # word glued on can validate by chance: "RF52 11358 TACK").
        covered = 0
        for end in range(len(groups), 0, -1):
            candidate = "".join(groups[:end]).upper()
            if is_valid_rf(candidate):
                found.append((matched.start(), candidate))
                covered = covered or len(" ".join(groups[:end]))
        if covered:
            text = text[: matched.start()] + " " * covered + text[matched.start() + covered :]
    for matched in _DIGIT_RUN_RE.finditer(text):
        # "viite 123 45672 2 kpl": the spaces do not say which groups belong together, so
        # every joining that validates is a candidate, longer ones first.
        groups = matched.group().split()
        for start in range(len(groups)):
            for end in range(len(groups), start, -1):
                candidate = "".join(groups[start:end])
                if _MIN_TEXT_REFERENCE_DIGITS <= len(
                    candidate
                ) <= _MAX_REFERENCE_DIGITS and _looks_like_reference(candidate):
                    found.append((matched.start(), candidate))
    for _, candidate in sorted(found, key=lambda item: item[0]):
        add(candidate)
    return candidates
