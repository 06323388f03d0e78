"""Payment reference numbers: Finnish viitenumero, RF (ISO 11649), Swedish OCR, Norwegian KID.

Generators (``fi_reference``, ``rf_reference``, ``se_ocr``, ``no_kid``) are strict: they take
bare digits (letters too for RF) and raise :class:`PaymentReferenceError` with a stable code
for anything else. Validators (``is_valid_*``) never raise; they ignore spaces, so that a
reference copied from a printed invoice validates. Formatters validate first and raise on an
invalid reference.

Error codes: ``reference.empty``, ``reference.characters`` (non-digits, or a character not
allowed in an RF body), ``reference.length`` (too short or too long), ``reference.leading_zero``
(Finnish base), ``reference.invalid`` (a reference given to a formatter does not validate),
``reference.unusable`` (a Norwegian MOD11 sequence whose check digit would be ``-``),
``reference.sequence``, ``reference.country``, ``reference.scheme``.

The check-digit arithmetic is implemented here (not delegated to python-stdnum) and the
tests compare it against ``stdnum.luhn`` and ``stdnum.iso11649``.
"""

from __future__ import annotations

import string
from typing import Literal

from kassa.core.errors import PaymentReferenceError

__all__ = [
    "FI_SCHEMES",
    "NO_SCHEMES",
    "SCHEMES",
    "SE_SCHEMES",
    "KidAlgorithm",
    "display_reference",
    "fi_reference",
    "format_fi_reference",
    "format_rf",
    "is_valid_fi_reference",
    "is_valid_no_kid",
    "is_valid_reference",
    "is_valid_rf",
    "is_valid_se_ocr",
    "no_kid",
    "reference_for",
    "rf_from_fi",
    "rf_reference",
    "se_ocr",
]

KidAlgorithm = Literal["mod10", "mod11"]

#: Reference schemes Kassa can issue, per country (ISO 3166-1 alpha-2).
FI_SCHEMES: tuple[str, ...] = ("fi", "rf")
SE_SCHEMES: tuple[str, ...] = ("ocr", "ocr_length")
NO_SCHEMES: tuple[str, ...] = ("kid_mod10", "kid_mod11")
SCHEMES: dict[str, tuple[str, ...]] = {"FI": FI_SCHEMES, "SE": SE_SCHEMES, "NO": NO_SCHEMES}

# Format limits of each scheme (not legal amounts: they are the schemes' own definitions,
# see nordic-rules.md section 5).
_FI_BASE_MIN, _FI_BASE_MAX = 3, 19
_RF_BODY_MAX = 21
_SE_OCR_MAX = 25
_NO_KID_MIN, _NO_KID_MAX = 2, 25

_FI_WEIGHTS = (7, 3, 1)
_KID_MOD11_WEIGHTS = (2, 3, 4, 5, 6, 7)
_RF_ALPHABET = frozenset(string.digits + string.ascii_uppercase)


def _compact(ref: str) -> str:
    return "".join(str(ref).split())


def _require_digits(value: str, what: str) -> None:
    if not value:
        raise PaymentReferenceError(f"The {what} is empty.", code="reference.empty")
    if not (value.isascii() and value.isdigit()):
        raise PaymentReferenceError(
            f"The {what} {value!r} may contain only the digits 0-9.",
            code="reference.characters",
            value=value,
        )


def _require_length(value: str, what: str, low: int, high: int) -> None:
    if not low <= len(value) <= high:
        raise PaymentReferenceError(
            f"The {what} {value!r} has {len(value)} digits; it must have {low} to {high}.",
            code="reference.length",
            value=value,
            min_length=low,
            max_length=high,
        )


def _invalid(ref: object, what: str) -> PaymentReferenceError:
    return PaymentReferenceError(
        f"{ref!r} is not {what}.", code="reference.invalid", value=str(ref)
    )


def _is_digits(value: str) -> bool:
    return value.isascii() and value.isdigit()


# -- Luhn (mod 10), shared by Swedish OCR and Norwegian KID MOD10 --------------------------


def _luhn_check_digit(digits: str) -> str:
    """Digit that makes ``digits + check`` pass Luhn (rightmost base digit is doubled)."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return str((10 - total % 10) % 10)


def _luhn_valid(digits: str) -> bool:
    return len(digits) >= 2 and _luhn_check_digit(digits[:-1]) == digits[-1]


# -- Finnish national reference (viitenumero) ----------------------------------------------


def _fi_check_digit(base: str) -> str:
    total = sum(
        int(char) * _FI_WEIGHTS[position % 3] for position, char in enumerate(reversed(base))
    )
    return str((10 - total % 10) % 10)


def fi_reference(base: str | int) -> str:
    """Return the Finnish reference number: ``base`` followed by its check digit.

    ``base`` is 3 to 19 digits without a leading zero (an ``int`` is taken as its decimal
    digits). Weights 7, 3, 1 repeat from the rightmost base digit; the check digit is
    ``(10 - sum mod 10) mod 10``. ``fi_reference("1234567") == "12345672"``.
    """
    digits = str(base)  # a negative int or a bool fails the digit check below
    _require_digits(digits, "Finnish reference base")
    _require_length(digits, "Finnish reference base", _FI_BASE_MIN, _FI_BASE_MAX)
    if digits[0] == "0":
        raise PaymentReferenceError(
            f"The Finnish reference base {digits!r} must not start with 0.",
            code="reference.leading_zero",
            value=digits,
        )
    return digits + _fi_check_digit(digits)


def is_valid_fi_reference(ref: str) -> bool:
    """Whether ``ref`` is a valid Finnish reference (4-20 digits, no leading zero, check
    digit right). Spaces are ignored."""
    digits = _compact(ref)
    return (
        _is_digits(digits)
        and _FI_BASE_MIN + 1 <= len(digits) <= _FI_BASE_MAX + 1
        and digits[0] != "0"
        and _fi_check_digit(digits[:-1]) == digits[-1]
    )


def format_fi_reference(ref: str) -> str:
    """Format a Finnish reference for print: groups of five digits counted from the RIGHT.

    This is the banks' print convention (Finanssiala: the reference is written in groups of
    five from right to left), so the short group, if any, comes first:
    ``"1234567907"`` -> ``"12345 67907"``, ``"12345672"`` -> ``"123 45672"``.
    Raises ``reference.invalid`` when ``ref`` does not validate.
    """
    digits = _compact(ref)
    if not is_valid_fi_reference(digits):
        raise _invalid(ref, "a valid Finnish reference number")
    head = len(digits) % 5
    groups = [digits[:head]] if head else []
    groups += [digits[i : i + 5] for i in range(head, len(digits), 5)]
    return " ".join(groups)


# -- RF creditor reference (ISO 11649) ------------------------------------------------------


def _rf_numeric(text: str) -> str:
    """Letters to numbers (A=10 ... Z=35); digits unchanged."""
    return "".join(str(int(char, 36)) for char in text)


def _rf_check_digits(body: str) -> str:
    remainder = int(_rf_numeric(body + "RF00")) % 97
    return f"{98 - remainder:02d}"


def _require_rf_body(body: str) -> None:
    if not body:
        raise PaymentReferenceError("The RF reference body is empty.", code="reference.empty")
    if not (body.isascii() and set(body) <= _RF_ALPHABET):
        raise PaymentReferenceError(
            f"The RF reference body {body!r} may contain only the letters A-Z and digits 0-9.",
            code="reference.characters",
            value=body,
        )
    _require_length(body, "RF reference body", 1, _RF_BODY_MAX)


def rf_reference(body: str) -> str:
    """Return the ISO 11649 creditor reference ``"RF" + check digits + body``, compact.

    ``body`` is 1 to 21 letters or digits (letters are upper-cased). The check digits are
    ``98 - (body + "RF00" as numbers) mod 97``, always two digits (02-98).
    ``rf_reference("12345672") == "RF8512345672"``.
    """
    body = str(body).upper()
    _require_rf_body(body)
    return "RF" + _rf_check_digits(body) + body


def rf_from_fi(fi_ref: str) -> str:
    """Return the RF reference whose body is the Finnish reference ``fi_ref`` (spaces ignored).

    Raises ``reference.invalid`` when ``fi_ref`` is not a valid Finnish reference.
    """
    digits = _compact(fi_ref)
    if not is_valid_fi_reference(digits):
        raise _invalid(fi_ref, "a valid Finnish reference number")
    return rf_reference(digits)


def is_valid_rf(ref: str) -> bool:
    """Whether ``ref`` is a valid RF creditor reference. Spaces and letter case are ignored.

    Stricter than ``stdnum.iso11649.is_valid`` in one respect: the check digits must be in
    02-98 (ISO 7064 never produces 00, 01 or 99, though they pass the mod-97 test).
    """
    text = _compact(ref).upper()
    if not (5 <= len(text) <= 4 + _RF_BODY_MAX) or not text.startswith("RF"):
        return False
    check, body = text[2:4], text[4:]
    if not (_is_digits(check) and 2 <= int(check) <= 98):
        return False
    if not (body.isascii() and set(body) <= _RF_ALPHABET):
        return False
    return _rf_check_digits(body) == check


def format_rf(ref: str) -> str:
    """Format an RF reference in groups of four from the left: ``"RF85 1234 5672"``.

    Raises ``reference.invalid`` when ``ref`` does not validate.
    """
    text = _compact(ref).upper()
    if not is_valid_rf(text):
        raise _invalid(ref, "a valid RF creditor reference")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


# -- Swedish OCR ----------------------------------------------------------------------------


def se_ocr(base: str, *, length_digit: bool) -> str:
    """Return the Swedish OCR reference for ``base`` (digits; leading zeros are kept).

    The last digit is a Luhn check over everything before it. With ``length_digit`` a length
    digit is inserted before the check digit: the total length including both control
    digits, mod 10. The whole reference is at most 25 digits.
    ``se_ocr("12345", length_digit=False) == "123455"``;
    ``se_ocr("12345", length_digit=True) == "1234574"``.
    """
    base = str(base)
    _require_digits(base, "OCR base")
    controls = 2 if length_digit else 1
    _require_length(base, "OCR base", 1, _SE_OCR_MAX - controls)
    if length_digit:
        base += str((len(base) + controls) % 10)
    return base + _luhn_check_digit(base)


def is_valid_se_ocr(ref: str, *, length_digit: bool | None = None) -> bool:
    """Whether ``ref`` is a valid Swedish OCR reference (spaces ignored, at most 25 digits).

    ``length_digit=True`` also requires the length digit (second to last = total length
    mod 10). ``False`` and ``None`` check the Luhn digit only: a reference issued without a
    length digit may by chance have a second-to-last digit equal to its length, so "without"
    cannot reject anything that "either" accepts.
    """
    digits = _compact(ref)
    minimum = 3 if length_digit else 2
    if not (_is_digits(digits) and minimum <= len(digits) <= _SE_OCR_MAX):
        return False
    if length_digit and digits[-2] != str(len(digits) % 10):
        return False
    return _luhn_valid(digits)


# -- Norwegian KID --------------------------------------------------------------------------


def _kid_mod11_check(base: str) -> str | None:
    total = sum(
        int(char) * _KID_MOD11_WEIGHTS[position % 6] for position, char in enumerate(reversed(base))
    )
    check = 11 - total % 11
    if check == 11:
        return "0"
    if check == 10:
        return None
    return str(check)


def _require_kid_algorithm(algorithm: str) -> None:
    if algorithm not in ("mod10", "mod11"):
        raise PaymentReferenceError(
            f"Unknown KID algorithm {algorithm!r}; use 'mod10' or 'mod11'.",
            code="reference.scheme",
            scheme=algorithm,
        )


def no_kid(base: str, algorithm: KidAlgorithm) -> str | None:
    """Return the Norwegian KID: ``base`` (digits, leading zeros kept) + check digit.

    The KID is 2 to 25 digits in all. MOD10 is Luhn. MOD11 weights the base 2, 3, 4, 5, 6, 7
    repeating from the right; check = 11 - (sum mod 11), 11 becomes 0 and 10 would be ``-``:
    for that case this returns ``None`` and the caller skips the number, because Kassa
    never issues a KID ending in ``-``.
    ``no_kid("1234", "mod10") == "12344"``; ``no_kid("1234", "mod11") == "12343"``;
    ``no_kid("104", "mod11") is None``.
    """
    _require_kid_algorithm(algorithm)
    base = str(base)
    _require_digits(base, "KID base")
    _require_length(base, "KID base", _NO_KID_MIN - 1, _NO_KID_MAX - 1)
    if algorithm == "mod10":
        return base + _luhn_check_digit(base)
    check = _kid_mod11_check(base)
    return None if check is None else base + check


def is_valid_no_kid(ref: str, algorithm: KidAlgorithm) -> bool:
    """Whether ``ref`` is a valid KID of 2 to 25 digits under ``algorithm`` (spaces ignored).

    A MOD11 KID ending in ``-`` is reported invalid: Kassa never issues one.
    """
    _require_kid_algorithm(algorithm)
    digits = _compact(ref)
    if not (_is_digits(digits) and _NO_KID_MIN <= len(digits) <= _NO_KID_MAX):
        return False
    if algorithm == "mod10":
        return _luhn_valid(digits)
    return _kid_mod11_check(digits[:-1]) == digits[-1]


# -- By country and scheme ------------------------------------------------------------------


def _require_scheme(country: str, scheme: str) -> str:
    code = str(country).upper()
    if code not in SCHEMES:
        raise PaymentReferenceError(
            f"Kassa has no payment references for country {country!r}; use FI, SE or NO.",
            code="reference.country",
            country=country,
        )
    if scheme not in SCHEMES[code]:
        raise PaymentReferenceError(
            f"Unknown reference scheme {scheme!r} for {code}; use one of "
            f"{', '.join(SCHEMES[code])}.",
            code="reference.scheme",
            country=code,
            scheme=scheme,
        )
    return code


def reference_for(country: str, sequence: int, *, scheme: str) -> str:
    """Build the compact payment reference for invoice sequence number ``sequence``.

    The sequence number's decimal digits are the reference base.

    - FI ``"fi"``: Finnish reference; ``"rf"``: RF reference around the Finnish one. A
      Finnish base needs at least 3 digits, so FI sequences must start at 100 or above
      (``reference.length`` otherwise).
    - SE ``"ocr"``: OCR with Luhn digit; ``"ocr_length"``: with length digit as well.
    - NO ``"kid_mod10"`` / ``"kid_mod11"``. When MOD11 would give the check ``-`` this raises
      ``PaymentReferenceError`` with code ``reference.unusable``: about one sequence number
      in eleven; the caller takes the next sequence number and tries again.

    ``sequence`` must be a positive ``int`` (``reference.sequence`` otherwise).
    """
    code = _require_scheme(country, scheme)
    if isinstance(sequence, bool) or not isinstance(sequence, int) or sequence < 1:
        raise PaymentReferenceError(
            f"An invoice sequence number must be a positive integer, not {sequence!r}.",
            code="reference.sequence",
            sequence=sequence,
        )
    base = str(sequence)
    if code == "FI":
        reference = fi_reference(base)
        return rf_from_fi(reference) if scheme == "rf" else reference
    if code == "SE":
        return se_ocr(base, length_digit=scheme == "ocr_length")
    algorithm: KidAlgorithm = "mod11" if scheme == "kid_mod11" else "mod10"
    kid = no_kid(base, algorithm)
    if kid is None:
        raise PaymentReferenceError(
            f"Sequence number {sequence} gives the MOD11 check digit '-'; "
            "take the next sequence number.",
            code="reference.unusable",
            sequence=sequence,
        )
    return kid


def is_valid_reference(country: str, ref: str, scheme: str) -> bool:
    """Whether ``ref`` is a valid reference of ``scheme`` in ``country`` (spaces ignored).

    For FI ``"rf"`` the RF body must also be a valid Finnish reference, as on every RF
    reference Kassa issues. Raises only for an unknown country or scheme.
    """
    code = _require_scheme(country, scheme)
    if code == "FI":
        if scheme == "fi":
            return is_valid_fi_reference(ref)
        return is_valid_rf(ref) and is_valid_fi_reference(_compact(ref)[4:])
    if code == "SE":
        return is_valid_se_ocr(ref, length_digit=scheme == "ocr_length")
    return is_valid_no_kid(ref, "mod11" if scheme == "kid_mod11" else "mod10")


def display_reference(country: str, ref: str, scheme: str) -> str:
    """The reference as printed on an invoice.

    FI: Finnish references in groups of five from the right, RF in groups of four from the
    left. SE OCR and NO KID: the bare digits (payers type them as one number).
    Raises ``reference.invalid`` when ``ref`` does not validate.
    """
    code = _require_scheme(country, scheme)
    if not is_valid_reference(code, ref, scheme):
        raise _invalid(ref, f"a valid {code} reference of scheme {scheme!r}")
    if scheme == "fi":
        return format_fi_reference(ref)
    if scheme == "rf":
        return format_rf(ref)
    return _compact(ref)
