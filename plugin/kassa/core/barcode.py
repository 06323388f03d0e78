"""Finnish virtual bar code (pankkiviivakoodi / virtuaaliviivakoodi), versions 4 and 5.

The virtual bar code is the 54-digit string printed on Finnish invoices and typed or scanned
into online banks (Finanssiala "Pankkiviivakoodi-opas" 5.3; nordic-rules.md section 5):

=======  =======================================================================================
Version  Fields (digits)
=======  =======================================================================================
4        ``4`` IBAN without "FI" (16) euros (6) cents (2) ``000`` (3) national reference,
         zero-padded left (20) due date ``YYMMDD`` (6, ``000000`` = none)
5        ``5`` IBAN without "FI" (16) euros (6) cents (2) RF check digits (2) RF body,
         zero-padded left (21) due date ``YYMMDD`` (6)
=======  =======================================================================================

Version 5 is used when the reference is an RF creditor reference. Because the body is
zero-padded, Kassa only puts RF references whose body is a Finnish national reference
(which never starts with 0) in a bar code, so that parsing gives back the same reference.

Errors are :class:`PaymentReferenceError` with codes ``barcode.iban``, ``barcode.amount``,
``barcode.reference``, ``barcode.due_date`` and ``barcode.format``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from stdnum import iban as stdnum_iban
from stdnum.exceptions import ValidationError

from kassa.core.errors import PaymentReferenceError
from kassa.core.references import is_valid_fi_reference, is_valid_rf

__all__ = ["FiVirtualBarcode", "fi_virtual_barcode", "parse_fi_virtual_barcode"]

# Field widths of the bar code layout (the format's own definition, not legal numbers).
_LENGTH = 54
_IBAN_DIGITS = 16
_AMOUNT_DIGITS = 8  # 6 for euros, 2 for cents
_V4_REFERENCE_DIGITS = 20
_V5_BODY_DIGITS = 21
_AMOUNT_LIMIT_CENTS = 10**_AMOUNT_DIGITS  # euros field has 6 digits: below EUR 1 000 000
_FIRST_YEAR, _LAST_YEAR = 2000, 2099  # a two-digit year can only mean this century


@dataclass(frozen=True)
class FiVirtualBarcode:
    """The fields of a Finnish virtual bar code."""

    #: 4 (national reference) or 5 (RF reference).
    version: int
    #: Finnish IBAN, compact (``"FI3715903000000776"``).
    iban: str
    #: Amount in euro cents; 0 means the payer fills in the amount.
    amount_cents: int
    #: National reference digits (version 4) or compact RF reference (version 5).
    reference: str
    #: Due date, or ``None`` when the code carries ``000000``.
    due_date: date | None


def _finnish_iban(iban: str) -> str:
    try:
        compact = stdnum_iban.validate(iban)
    except (ValidationError, TypeError) as exc:
        raise PaymentReferenceError(
            f"{iban!r} is not a valid IBAN.", code="barcode.iban", iban=str(iban)
        ) from exc
    if not compact.startswith("FI") or len(compact) != 2 + _IBAN_DIGITS:
        raise PaymentReferenceError(
            f"The bar code needs a Finnish IBAN (FI + 16 digits), not {compact!r}.",
            code="barcode.iban",
            iban=compact,
        )
    return compact


def _check_amount(amount_cents: int) -> None:
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int):
        raise PaymentReferenceError(
            f"The bar code amount must be an integer number of cents, not {amount_cents!r}.",
            code="barcode.amount",
            amount_cents=amount_cents,
        )
    if not 0 <= amount_cents < _AMOUNT_LIMIT_CENTS:
        raise PaymentReferenceError(
            f"The bar code amount {amount_cents} cents is outside 0 to 999 999.99 euros; "
            "leave the bar code off this invoice.",
            code="barcode.amount",
            amount_cents=amount_cents,
        )


def _due_field(due_date: date | None) -> str:
    if due_date is None:
        return "000000"
    if not _FIRST_YEAR <= due_date.year <= _LAST_YEAR:
        raise PaymentReferenceError(
            f"The bar code due date {due_date.isoformat()} must be in the years 2000-2099.",
            code="barcode.due_date",
            due_date=due_date.isoformat(),
        )
    return due_date.strftime("%y%m%d")


def fi_virtual_barcode(iban: str, amount_cents: int, reference: str, due_date: date | None) -> str:
    """Return the 54-digit Finnish virtual bar code.

    ``iban`` is a valid Finnish IBAN (spaces allowed). ``amount_cents`` is euro cents,
    0 <= amount < 100 000 000 (below EUR 1 000 000; 0 lets the payer enter the amount).
    ``reference`` is a Finnish national reference (gives version 4) or an RF reference whose
    body is a Finnish national reference (version 5); spaces are ignored. ``due_date`` in
    2000-2099, or ``None`` for no due date.
    """
    account = _finnish_iban(iban)[2:]
    _check_amount(amount_cents)
    euros, cents = divmod(amount_cents, 100)
    amount = f"{euros:06d}{cents:02d}"
    ref = "".join(str(reference).split()).upper()
    if ref.startswith("RF"):
        body = ref[4:]
        if not (is_valid_rf(ref) and is_valid_fi_reference(body)):
            raise PaymentReferenceError(
                f"{reference!r} is not an RF reference built on a Finnish reference number.",
                code="barcode.reference",
                reference=str(reference),
            )
        fields = f"5{account}{amount}{ref[2:4]}{body.rjust(_V5_BODY_DIGITS, '0')}"
    else:
        if not is_valid_fi_reference(ref):
            raise PaymentReferenceError(
                f"{reference!r} is not a valid Finnish reference number.",
                code="barcode.reference",
                reference=str(reference),
            )
        fields = f"4{account}{amount}000{ref.rjust(_V4_REFERENCE_DIGITS, '0')}"
    return fields + _due_field(due_date)


def _format_error(code_text: str, reason: str) -> PaymentReferenceError:
    return PaymentReferenceError(
        f"Not a Finnish virtual bar code: {reason}.", code="barcode.format", barcode=code_text
    )


def parse_fi_virtual_barcode(code: str) -> FiVirtualBarcode:
    """Parse a 54-digit version 4 or 5 virtual bar code (spaces ignored) into its fields.

    Validates the IBAN, the reference and the due date, and the reserve ``000`` of version 4.
    ``fi_virtual_barcode(*fields) == code`` holds for every code this accepts.
    """
    text = "".join(str(code).split())
    if len(text) != _LENGTH or not (text.isascii() and text.isdigit()):
        raise _format_error(text, f"it must be {_LENGTH} digits")
    version = int(text[0])
    if version not in (4, 5):
        raise _format_error(text, f"version {version} is not supported (only 4 and 5)")
    position = 1
    iban = "FI" + text[position : position + _IBAN_DIGITS]
    position += _IBAN_DIGITS
    amount_cents = int(text[position : position + _AMOUNT_DIGITS])
    position += _AMOUNT_DIGITS
    if version == 4:
        if text[position : position + 3] != "000":
            raise _format_error(text, "the reserve field of version 4 must be 000")
        reference = text[position + 3 : position + 3 + _V4_REFERENCE_DIGITS].lstrip("0")
        valid = is_valid_fi_reference(reference)
    else:
        body = text[position + 2 : position + 2 + _V5_BODY_DIGITS].lstrip("0")
        reference = "RF" + text[position : position + 2] + body
        valid = is_valid_rf(reference) and is_valid_fi_reference(body)
    if not valid:
        raise PaymentReferenceError(
            f"The bar code's reference {reference!r} does not validate.",
            code="barcode.reference",
            barcode=text,
        )
    _finnish_iban(iban)
    due_text = text[-6:]
    due_date: date | None = None
    if due_text != "000000":
        try:
            due_date = date(2000 + int(due_text[:2]), int(due_text[2:4]), int(due_text[4:]))
        except ValueError as exc:
            raise PaymentReferenceError(
                f"The bar code's due date {due_text!r} is not a date (YYMMDD).",
                code="barcode.due_date",
                barcode=text,
            ) from exc
    return FiVirtualBarcode(version, iban, amount_cents, reference, due_date)
