"""Finnish virtual bar code: the published examples, validation, and parse round trips."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import iban as stdnum_iban

from kassa.core.barcode import FiVirtualBarcode, fi_virtual_barcode, parse_fi_virtual_barcode
from kassa.core.errors import PaymentReferenceError
from kassa.core.references import fi_reference, rf_from_fi

IBAN = "FI37 1590 3000 0007 76"
V4_EXAMPLE = "437159030000007760000122500000000000000000011112161221"
V5_EXAMPLE = "537159030000007760000011098000000000000000011112170101"


def test_version_4_published_example() -> None:
    assert fi_virtual_barcode(IBAN, 1225, "11112", date(2016, 12, 21)) == V4_EXAMPLE


def test_version_5_published_example() -> None:
    assert fi_virtual_barcode(IBAN, 110, "RF9811112", date(2017, 1, 1)) == V5_EXAMPLE


def test_parse_published_examples() -> None:
    assert parse_fi_virtual_barcode(V4_EXAMPLE) == FiVirtualBarcode(
        4, "FI3715903000000776", 1225, "11112", date(2016, 12, 21)
    )
    assert parse_fi_virtual_barcode(V5_EXAMPLE) == FiVirtualBarcode(
        5, "FI3715903000000776", 110, "RF9811112", date(2017, 1, 1)
    )


def test_no_due_date_is_six_zeros_both_ways() -> None:
    code = fi_virtual_barcode(IBAN, 1225, "111 12", None)
    assert code == V4_EXAMPLE[:-6] + "000000"
    assert parse_fi_virtual_barcode(code).due_date is None


def test_largest_amount_and_zero_amount() -> None:
    largest = fi_virtual_barcode(IBAN, 99_999_999, "11112", None)
    assert largest[17:25] == "99999999"
    assert parse_fi_virtual_barcode(largest).amount_cents == 99_999_999
    assert fi_virtual_barcode(IBAN, 0, "11112", None)[17:25] == "00000000"


@pytest.mark.parametrize("amount", [100_000_000, -1, 12.25, True])
def test_amount_out_of_range_or_not_integer_cents(amount: int) -> None:
    with pytest.raises(PaymentReferenceError) as excinfo:
        fi_virtual_barcode(IBAN, amount, "11112", None)
    assert excinfo.value.code == "barcode.amount"


@pytest.mark.parametrize(
    "iban",
    [
        "FI37 1590 3000 0007 77",  # wrong check digits
        "SE45 5000 0000 0583 9825 7466",  # valid, but not Finnish
        "not an iban",
    ],
)
def test_rejects_iban_that_is_invalid_or_not_finnish(iban: str) -> None:
    with pytest.raises(PaymentReferenceError) as excinfo:
        fi_virtual_barcode(iban, 1225, "11112", None)
    assert excinfo.value.code == "barcode.iban"


@pytest.mark.parametrize(
    "reference",
    [
        "11113",  # Finnish check digit wrong
        "RF9911112",  # RF check digits wrong
        "RF18539007547034",  # valid RF, but the body is not a Finnish reference
        "RF18 5390 0754 70Y",  # letters cannot go into a bar code
    ],
)
def test_rejects_invalid_references(reference: str) -> None:
    with pytest.raises(PaymentReferenceError) as excinfo:
        fi_virtual_barcode(IBAN, 1225, reference, None)
    assert excinfo.value.code == "barcode.reference"


def test_rejects_due_date_outside_two_digit_years() -> None:
    with pytest.raises(PaymentReferenceError) as excinfo:
        fi_virtual_barcode(IBAN, 1225, "11112", date(2100, 1, 1))
    assert excinfo.value.code == "barcode.due_date"


@pytest.mark.parametrize(
    ("code", "error"),
    [
        (V4_EXAMPLE[:-1], "barcode.format"),  # 53 digits
        ("x" + V4_EXAMPLE[1:], "barcode.format"),
        ("2" + V4_EXAMPLE[1:], "barcode.format"),  # unsupported version
        (V4_EXAMPLE[:25] + "001" + V4_EXAMPLE[28:], "barcode.format"),  # reserve not 000
        (V4_EXAMPLE[:-2] + "32", "barcode.due_date"),  # 32 December
        (V4_EXAMPLE[:-7] + "3" + V4_EXAMPLE[-6:], "barcode.reference"),
        (V5_EXAMPLE[:25] + "99" + V5_EXAMPLE[27:], "barcode.reference"),
        (V4_EXAMPLE[:16] + "7" + V4_EXAMPLE[17:], "barcode.iban"),
    ],
)
def test_parse_rejects_damaged_codes(code: str, error: str) -> None:
    with pytest.raises(PaymentReferenceError) as excinfo:
        parse_fi_virtual_barcode(code)
    assert excinfo.value.code == error


finnish_ibans = st.from_regex(r"[0-9]{14}", fullmatch=True).map(
    lambda bban: "FI" + stdnum_iban.calc_check_digits("FI00" + bban) + bban
)
fi_references = st.from_regex(r"[1-9][0-9]{2,18}", fullmatch=True).map(fi_reference)
references = st.one_of(fi_references, fi_references.map(rf_from_fi))
due_dates = st.one_of(st.none(), st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)))


@given(finnish_ibans, st.integers(0, 99_999_999), references, due_dates)
def test_build_then_parse_gives_back_every_field(
    iban: str, amount_cents: int, reference: str, due_date: date | None
) -> None:
    code = fi_virtual_barcode(iban, amount_cents, reference, due_date)
    assert len(code) == 54 and code.isdigit()
    parsed = parse_fi_virtual_barcode(code)
    assert parsed.version == (5 if reference.startswith("RF") else 4)
    assert (parsed.iban, parsed.amount_cents, parsed.reference, parsed.due_date) == (
        iban,
        amount_cents,
        reference,
        due_date,
    )
    assert (
        fi_virtual_barcode(parsed.iban, parsed.amount_cents, parsed.reference, parsed.due_date)
        == code
    )
