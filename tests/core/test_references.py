"""Payment references: published examples, error codes, and property tests against stdnum."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import iso11649, luhn

from kassa.core.errors import PaymentReferenceError
from kassa.core.references import (
    display_reference,
    fi_reference,
    format_fi_reference,
    format_rf,
    is_valid_fi_reference,
    is_valid_no_kid,
    is_valid_reference,
    is_valid_rf,
    is_valid_se_ocr,
    no_kid,
    reference_for,
    rf_from_fi,
    rf_reference,
    se_ocr,
)

fi_bases = st.from_regex(r"[1-9][0-9]{2,18}", fullmatch=True)
rf_bodies = st.from_regex(r"[0-9A-Z]{1,21}", fullmatch=True)


def _code(excinfo: pytest.ExceptionInfo[PaymentReferenceError]) -> str:
    return excinfo.value.code


# -- Finnish national reference -----------------------------------------------------------


@pytest.mark.parametrize(
    ("base", "expected"),
    [("1234567", "12345672"), ("123456790", "1234567907"), ("1111", "11112"), (1111, "11112")],
)
def test_fi_reference_published_examples(base: str | int, expected: str) -> None:
    assert fi_reference(base) == expected
    assert is_valid_fi_reference(expected)


@pytest.mark.parametrize(
    ("base", "code"),
    [
        ("", "reference.empty"),
        ("12a4", "reference.characters"),
        ("12 34", "reference.characters"),
        ("١٢٣٤", "reference.characters"),  # non-ASCII digits are not reference digits
        (-123, "reference.characters"),
        ("12", "reference.length"),
        ("1" * 20, "reference.length"),
        ("0123", "reference.leading_zero"),
    ],
)
def test_fi_reference_rejects_bad_bases_with_distinct_codes(base: str | int, code: str) -> None:
    with pytest.raises(PaymentReferenceError) as excinfo:
        fi_reference(base)
    assert _code(excinfo) == code


def test_fi_reference_accepts_the_length_limits() -> None:
    assert len(fi_reference("100")) == 4
    assert len(fi_reference("9" * 19)) == 20


@pytest.mark.parametrize("ref", ["12345673", "01234", "123", "1" * 21, "1234a", ""])
def test_is_valid_fi_reference_rejects(ref: str) -> None:
    assert not is_valid_fi_reference(ref)


def test_is_valid_fi_reference_ignores_spaces() -> None:
    assert is_valid_fi_reference(" 12345 67907 ")


@given(fi_bases)
def test_fi_reference_round_trips_and_detects_a_changed_check_digit(base: str) -> None:
    ref = fi_reference(base)
    assert ref[:-1] == base
    assert is_valid_fi_reference(ref)
    assert is_valid_fi_reference(format_fi_reference(ref))
    wrong = str((int(ref[-1]) + 1) % 10)
    assert not is_valid_fi_reference(ref[:-1] + wrong)


@pytest.mark.parametrize(
    ("ref", "printed"),
    [("1234567907", "12345 67907"), ("12345672", "123 45672"), ("11112", "11112")],
)
def test_format_fi_reference_groups_fives_from_the_right(ref: str, printed: str) -> None:
    assert format_fi_reference(ref) == printed


@given(fi_bases)
def test_format_fi_reference_groups_are_five_except_the_first(base: str) -> None:
    groups = format_fi_reference(fi_reference(base)).split(" ")
    assert all(len(group) == 5 for group in groups[1:])
    assert 1 <= len(groups[0]) <= 5


def test_format_fi_reference_rejects_invalid() -> None:
    with pytest.raises(PaymentReferenceError) as excinfo:
        format_fi_reference("12345673")
    assert _code(excinfo) == "reference.invalid"


# -- RF creditor reference ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("fi_ref", "compact", "printed"),
    [("12345672", "RF8512345672", "RF85 1234 5672"), ("11112", "RF9811112", "RF98 1111 2")],
)
def test_rf_published_examples(fi_ref: str, compact: str, printed: str) -> None:
    assert rf_from_fi(fi_ref) == compact
    assert rf_reference(fi_ref) == compact
    assert format_rf(compact) == printed
    assert is_valid_rf(printed)
    assert iso11649.is_valid(compact)


@given(rf_bodies)
def test_rf_reference_agrees_with_stdnum(body: str) -> None:
    ref = rf_reference(body)
    assert ref == "RF" + ref[2:4] + body
    assert iso11649.is_valid(ref)
    assert is_valid_rf(ref)
    assert format_rf(ref) == iso11649.format(ref)


@given(rf_bodies, st.integers(min_value=2, max_value=98))
def test_is_valid_rf_agrees_with_stdnum_for_any_check_digits(body: str, check: int) -> None:
    ref = f"RF{check:02d}{body}"
    assert is_valid_rf(ref) == iso11649.is_valid(ref)


def test_is_valid_rf_ignores_case_and_rejects_malformed() -> None:
    assert is_valid_rf("rf18 5390 0754 7034")
    assert is_valid_rf("RF18 5390 0754 70Y")
    assert not is_valid_rf("RF17 5390 0754 7034")
    assert not is_valid_rf("XX8512345672")
    assert not is_valid_rf("RF85")
    assert not is_valid_rf("RF85" + "1" * 22)
    assert not is_valid_rf("RF8512345-672")


def test_is_valid_rf_rejects_check_digits_iso_never_issues() -> None:
    # RF98 11112 is valid; 01 is congruent to 98 mod 97 and passes stdnum, but is never issued.
    assert iso11649.is_valid("RF0111112")
    assert not is_valid_rf("RF0111112")


@pytest.mark.parametrize(
    ("body", "code"),
    [("", "reference.empty"), ("12-34", "reference.characters"), ("1" * 22, "reference.length")],
)
def test_rf_reference_rejects_bad_bodies(body: str, code: str) -> None:
    with pytest.raises(PaymentReferenceError) as excinfo:
        rf_reference(body)
    assert _code(excinfo) == code


def test_rf_from_fi_requires_a_valid_finnish_reference() -> None:
    with pytest.raises(PaymentReferenceError) as excinfo:
        rf_from_fi("12345673")
    assert _code(excinfo) == "reference.invalid"


# -- Swedish OCR --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base", "length_digit", "expected"),
    [("12345", False, "123455"), ("12345", True, "1234574"), ("123456789", True, "12345678911")],
)
def test_se_ocr_published_examples(base: str, length_digit: bool, expected: str) -> None:
    assert se_ocr(base, length_digit=length_digit) == expected
    assert is_valid_se_ocr(expected, length_digit=length_digit)
    assert is_valid_se_ocr(expected)


@given(st.from_regex(r"[0-9]{1,24}", fullmatch=True))
def test_se_ocr_luhn_agrees_with_stdnum(base: str) -> None:
    ref = se_ocr(base, length_digit=False)
    assert ref[-1] == luhn.calc_check_digit(base)
    assert luhn.is_valid(ref)


@given(st.from_regex(r"[0-9]{1,23}", fullmatch=True))
def test_se_ocr_length_digit_is_total_length_mod_10(base: str) -> None:
    ref = se_ocr(base, length_digit=True)
    assert ref[-2] == str(len(ref) % 10)
    assert luhn.is_valid(ref)
    assert is_valid_se_ocr(ref, length_digit=True)


@given(st.from_regex(r"[0-9]{2,25}", fullmatch=True))
def test_is_valid_se_ocr_agrees_with_stdnum_luhn(ref: str) -> None:
    assert is_valid_se_ocr(ref) == luhn.is_valid(ref)
    assert is_valid_se_ocr(ref, length_digit=False) == luhn.is_valid(ref)


def test_is_valid_se_ocr_length_digit_mode_rejects_a_wrong_length_digit() -> None:
    # 123455 passes Luhn but its second-to-last digit 5 is not its length 6.
    assert is_valid_se_ocr("123455", length_digit=False)
    assert not is_valid_se_ocr("123455", length_digit=True)


def test_se_ocr_limits() -> None:
    assert len(se_ocr("1" * 24, length_digit=False)) == 25
    assert len(se_ocr("1" * 23, length_digit=True)) == 25
    for base, length_digit in (("1" * 25, False), ("1" * 24, True)):
        with pytest.raises(PaymentReferenceError) as excinfo:
            se_ocr(base, length_digit=length_digit)
        assert _code(excinfo) == "reference.length"
    with pytest.raises(PaymentReferenceError) as excinfo:
        se_ocr("12x", length_digit=False)
    assert _code(excinfo) == "reference.characters"
    assert not is_valid_se_ocr(luhn_extend("1" * 25))


def luhn_extend(base: str) -> str:
    return base + luhn.calc_check_digit(base)


# -- Norwegian KID ------------------------------------------------------------------------


def test_no_kid_published_examples() -> None:
    assert no_kid("1234", "mod10") == "12344"
    assert no_kid("1234", "mod11") == "12343"
    assert no_kid("104", "mod11") is None
    assert is_valid_no_kid("12344", "mod10")
    assert is_valid_no_kid("12343", "mod11")
    assert not is_valid_no_kid("12343", "mod10")


def _mod11_reference(base: str) -> str:
    # Independent implementation for comparison: weights 2..7 from the right.
    weights = [2 + i % 6 for i in range(len(base))]
    total = sum(w * int(d) for w, d in zip(weights, reversed(base), strict=True))
    check = 11 - total % 11
    return {11: "0", 10: "-"}.get(check, str(check))


@given(st.from_regex(r"[0-9]{1,24}", fullmatch=True))
def test_no_kid_mod11_matches_the_definition(base: str) -> None:
    kid = no_kid(base, "mod11")
    expected = _mod11_reference(base)
    if expected == "-":
        assert kid is None
    else:
        assert kid == base + expected
        assert is_valid_no_kid(kid, "mod11")


@given(st.from_regex(r"[0-9]{1,24}", fullmatch=True))
def test_no_kid_mod10_is_luhn(base: str) -> None:
    kid = no_kid(base, "mod10")
    assert kid is not None and luhn.is_valid(kid)
    assert is_valid_no_kid(kid, "mod10")


def test_no_kid_limits_and_errors() -> None:
    assert no_kid("1", "mod10") == "18"
    with pytest.raises(PaymentReferenceError) as excinfo:
        no_kid("1" * 25, "mod10")
    assert _code(excinfo) == "reference.length"
    with pytest.raises(PaymentReferenceError) as excinfo:
        no_kid("", "mod10")
    assert _code(excinfo) == "reference.empty"
    with pytest.raises(PaymentReferenceError) as excinfo:
        no_kid("1234", "mod12")  # type: ignore[arg-type]
    assert _code(excinfo) == "reference.scheme"
    assert not is_valid_no_kid("104-", "mod11")
    assert not is_valid_no_kid("8", "mod10")


# -- By country and scheme ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("country", "scheme", "sequence", "expected", "printed"),
    [
        ("FI", "fi", 1234567, "12345672", "123 45672"),
        ("fi", "rf", 1234567, "RF8512345672", "RF85 1234 5672"),
        ("SE", "ocr", 12345, "123455", "123455"),
        ("SE", "ocr_length", 12345, "1234574", "1234574"),
        ("NO", "kid_mod10", 1234, "12344", "12344"),
        ("NO", "kid_mod11", 1234, "12343", "12343"),
    ],
)
def test_reference_for_each_scheme(
    country: str, scheme: str, sequence: int, expected: str, printed: str
) -> None:
    ref = reference_for(country, sequence, scheme=scheme)
    assert ref == expected
    assert is_valid_reference(country, ref, scheme)
    assert display_reference(country, ref, scheme) == printed


def test_reference_for_mod11_dash_is_unusable_and_the_next_number_works() -> None:
    with pytest.raises(PaymentReferenceError) as excinfo:
        reference_for("NO", 104, scheme="kid_mod11")
    assert _code(excinfo) == "reference.unusable"
    assert excinfo.value.params["sequence"] == 104
    assert reference_for("NO", 105, scheme="kid_mod11") == "1058"


@pytest.mark.parametrize(
    ("country", "sequence", "scheme", "code"),
    [
        ("DK", 1000, "fi", "reference.country"),
        ("FI", 1000, "ocr", "reference.scheme"),
        ("FI", 0, "fi", "reference.sequence"),
        ("SE", -5, "ocr", "reference.sequence"),
        ("NO", True, "kid_mod10", "reference.sequence"),
        ("FI", 99, "fi", "reference.length"),
    ],
)
def test_reference_for_errors(country: str, sequence: int, scheme: str, code: str) -> None:
    with pytest.raises(PaymentReferenceError) as excinfo:
        reference_for(country, sequence, scheme=scheme)
    assert _code(excinfo) == code


def test_is_valid_reference_fi_rf_requires_a_finnish_body() -> None:
    foreign_body = rf_reference("ABC123")
    assert is_valid_rf(foreign_body)
    assert not is_valid_reference("FI", foreign_body, "rf")
    assert is_valid_reference("FI", "RF98 1111 2", "rf")


def test_display_reference_rejects_invalid() -> None:
    with pytest.raises(PaymentReferenceError) as excinfo:
        display_reference("SE", "123456", "ocr")
    assert _code(excinfo) == "reference.invalid"


@given(
    st.sampled_from(
        [
            ("FI", "fi"),
            ("FI", "rf"),
            ("SE", "ocr"),
            ("SE", "ocr_length"),
            ("NO", "kid_mod10"),
            ("NO", "kid_mod11"),
        ]
    ),
    st.integers(min_value=100, max_value=10**18),
)
def test_every_issued_reference_validates_and_displays(
    country_scheme: tuple[str, str], sequence: int
) -> None:
    country, scheme = country_scheme
    try:
        ref = reference_for(country, sequence, scheme=scheme)
    except PaymentReferenceError as exc:
        assert exc.code == "reference.unusable" and scheme == "kid_mod11"
        return
    assert is_valid_reference(country, ref, scheme)
    printed = display_reference(country, ref, scheme)
    assert is_valid_reference(country, printed, scheme)
