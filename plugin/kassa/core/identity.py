"""Personal identity numbers of Finland, Sweden and Norway.

:func:`parse_personal_id` checks a number with python-stdnum (``stdnum.fi.hetu``,
``stdnum.se.personnummer``, ``stdnum.no.fodselsnummer``) and returns a :class:`PersonalId`
whose ``repr`` and ``str`` never show the full number.

Checks run in this order, so that a number wrong in several ways gets one stable code:
``identity.empty`` (blank), ``identity.country`` (not FI/SE/NO), ``identity.format`` (wrong
length or characters, or an individual number that is never issued), ``identity.checksum``,
``identity.temporary`` (numbers that do not identify a person for good), ``identity.birth_date``
(impossible date, undeterminable century, a birth date after today, or an age over 120).

What is accepted:

- FI henkilötunnus with every century sign stdnum 2.2 knows: ``+`` (1800s), ``-`` and
  ``Y X W V U`` (1900s), ``A`` and ``B C D E F`` (2000s). Temporary numbers (individual
  number 900-999, given out by e.g. hospitals and not unique) give ``identity.temporary``.
- SE personnummer, 10 or 12 digits, with or without ``-``/``+``. Samordningsnummer
  (coordination numbers, day of birth + 60) are accepted: like Norwegian D-numbers they are
  issued by the tax agency to one person for good (``kind == "coordination_number"``).
- NO fødselsnummer and D-numbers (day of birth + 40). D-numbers are accepted: the Tax
  Administration issues them to people working or living in Norway for a while, they are
  permanent and unique, and their holders can have BankID; whether to give them credit is
  the credit-decision hook's business (``kind == "d_number"``). H-numbers (month + 40) and
  FH-numbers (first digit 8 or 9) are health-sector help numbers: ``identity.temporary``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

from stdnum import luhn
from stdnum.exceptions import InvalidChecksum, ValidationError
from stdnum.fi import hetu
from stdnum.no import fodselsnummer
from stdnum.se import personnummer

from kassa.core.errors import IdentityError

__all__ = ["COUNTRIES", "IdKind", "PersonalId", "parse_personal_id"]

#: Countries whose personal identity numbers Kassa reads.
COUNTRIES: tuple[str, ...] = ("FI", "SE", "NO")

IdKind = Literal["personal_number", "d_number", "coordination_number"]

_FI_CENTURIES = {"+": 1800, **dict.fromkeys("-YXWVU", 1900), **dict.fromkeys("ABCDEF", 2000)}
_FI_PATTERN = re.compile(r"(\d{2})(\d{2})(\d{2})([-+A-FU-Y])(\d{3})([0-9ABCDEFHJKLMNPRSTUVWXY])")
_FI_CHECK_ALPHABET = "0123456789ABCDEFHJKLMNPRSTUVWXY"
_FI_FIRST_INDIVIDUAL = 2  # 000 and 001 are never issued
_FI_TEMPORARY = range(900, 1000)
_SE_PATTERN = re.compile(r"(\d{2})?(\d{2})(\d{2})(\d{2})([-+]?)(\d{4})")
_SE_COORDINATION_OFFSET = 60
_NO_D_NUMBER_OFFSET = 40
_NO_H_NUMBER_OFFSET = 40
_NO_FH_FIRST_DIGITS = "89"


@dataclass(frozen=True, repr=False)
class PersonalId:
    """A checked personal identity number.

    ``compact`` is the full number for storage: FI ``"131052-308T"`` (11 characters,
    century sign kept), SE ``"195210130016"`` (always 12 digits), NO ``"13105212345"``.
    It is the only field that identifies the person; ``repr``/``str`` show ``masked``.
    """

    #: ISO 3166-1 alpha-2 code: ``"FI"``, ``"SE"`` or ``"NO"``.
    country: str
    #: The full number in the country's compact form (see class docstring). Sensitive.
    compact: str
    #: Date of birth (for D-numbers and coordination numbers the real day, offset removed).
    birth_date: date
    #: ``"personal_number"``, or ``"d_number"`` (NO) / ``"coordination_number"`` (SE).
    kind: IdKind = "personal_number"

    @property
    def masked(self) -> str:
        """The number with everything after the birth date part hidden.

        FI ``"131052-****"`` (century sign kept), SE ``"19521013-****"``,
        NO ``"131052*****"``. D-numbers and coordination numbers show the date digits as
        written in the number (with the offset).
        """
        if self.country == "FI":
            return self.compact[:7] + "****"
        if self.country == "SE":
            return self.compact[:8] + "-****"
        return self.compact[:6] + "*****"

    def age_on(self, day: date) -> int:
        """Age in full years on ``day``.

        The birthday counts from its start. Someone born on 29 February becomes a year
        older on 1 March in common years (on 28 February they are still the younger age):
        the later of the two readings, so an age limit is never met a day early.
        Raises :class:`IdentityError` ``identity.age_day`` when ``day`` is before birth.
        """
        born = self.birth_date
        if day < born:
            raise IdentityError(
                f"Cannot compute an age on {day.isoformat()}, before the birth date.",
                code="identity.age_day",
                country=self.country,
            )
        years = day.year - born.year
        if (day.month, day.day) < (born.month, born.day):
            years -= 1
        return years

    def __repr__(self) -> str:
        return f"PersonalId(country={self.country!r}, masked={self.masked!r}, kind={self.kind!r})"

    __str__ = __repr__


def _error(code: str, message: str, country: str) -> IdentityError:
    return IdentityError(message, code=code, country=country)


def _birth_date(country: str, year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise _error(
            "identity.birth_date",
            f"The {country} identity number does not contain a valid birth date.",
            country,
        ) from None


#: No one living is older: a number that implies more is a typing error or someone else's.
OLDEST_AGE = 120


def _check_plausible(country: str, born: date, today: date) -> None:
    """Refuse a birth date after ``today`` or one that makes its holder older than
    :data:`OLDEST_AGE` years on ``today``."""
    if born > today:
        raise _error(
            "identity.birth_date",
            f"The {country} identity number gives a birth date after today.",
            country,
        )
    years = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    if years > OLDEST_AGE:
        raise _error(
            "identity.birth_date",
            f"The {country} identity number gives an age of {years}, over {OLDEST_AGE} years.",
            country,
        )


def _parse_fi(text: str, today: date) -> PersonalId:
    number = hetu.compact(text)
    match = _FI_PATTERN.fullmatch(number)
    if match is None:
        raise _error(
            "identity.format",
            "A Finnish henkilötunnus is 11 characters: DDMMYY, century sign, three digits "
            "and a check character (e.g. 131052-308T).",
            "FI",
        )
    day, month, year, sign, individual, check = match.groups()
    if int(individual) < _FI_FIRST_INDIVIDUAL:
        raise _error("identity.format", "Individual numbers 000 and 001 are never issued.", "FI")
    if _FI_CHECK_ALPHABET[int(day + month + year + individual) % 31] != check:
        raise _error("identity.checksum", "The henkilötunnus check character is wrong.", "FI")
    if int(individual) in _FI_TEMPORARY:
        raise _error(
            "identity.temporary",
            "Temporary identity numbers (individual number 900-999) are not accepted.",
            "FI",
        )
    born = _birth_date("FI", _FI_CENTURIES[sign] + int(year), int(month), int(day))
    _check_plausible("FI", born, today)
    try:
        hetu.validate(number)  # the library has the last word
    except ValidationError as exc:
        code = "identity.checksum" if isinstance(exc, InvalidChecksum) else "identity.format"
        raise _error(code, "The henkilötunnus is not valid.", "FI") from exc
    return PersonalId("FI", number, born)


def _se_year(yy: int, month: int, day: int, plus: bool, today: date) -> int:
    """The century of a 10-digit personnummer: the latest birth date not after ``today``
    (a ``+`` adds 100 years of age). Deterministic for a given ``today``."""
    for century in (today.year // 100 * 100, today.year // 100 * 100 - 100):
        try:
            candidate = date(century + yy, month, day)
        except ValueError:
            continue
        if candidate <= today:
            return century + yy - (100 if plus else 0)
    return today.year // 100 * 100 - 100 + yy - (100 if plus else 0)


def _parse_se(text: str, today: date) -> PersonalId:
    number = "".join(text.split())
    match = _SE_PATTERN.fullmatch(number)
    if match is None:
        raise _error(
            "identity.format",
            "A Swedish personnummer is YYYYMMDD-NNNN or YYMMDD-NNNN (10 or 12 digits).",
            "SE",
        )
    cc, yy, mm, dd, separator, serial = match.groups()
    ten_digits = yy + mm + dd + serial
    if not luhn.is_valid(ten_digits):
        raise _error("identity.checksum", "The personnummer check digit is wrong.", "SE")
    kind: IdKind = "personal_number"
    day = int(dd)
    if day > _SE_COORDINATION_OFFSET:
        kind, day = "coordination_number", day - _SE_COORDINATION_OFFSET
    if cc is not None:
        year = int(cc + yy)
    else:
        year = _se_year(int(yy), int(mm), day, separator == "+", today)
    born = _birth_date("SE", year, int(mm), day)
    _check_plausible("SE", born, today)
    compact = f"{year:04d}{mm}{dd}{serial}"
    if kind == "personal_number":
        try:
            personnummer.validate(compact)  # the library has the last word
        except ValidationError as exc:
            code = "identity.checksum" if isinstance(exc, InvalidChecksum) else "identity.format"
            raise _error(code, "The personnummer is not valid.", "SE") from exc
    return PersonalId("SE", compact, born, kind)


def _parse_no(text: str, today: date) -> PersonalId:
    number = fodselsnummer.compact(text)
    if len(number) != 11 or not (number.isascii() and number.isdigit()):
        raise _error(
            "identity.format", "A Norwegian fødselsnummer is 11 digits (DDMMYY + 5).", "NO"
        )
    if (
        fodselsnummer.calc_check_digit1(number) != number[9]
        or fodselsnummer.calc_check_digit2(number) != number[10]
    ):
        raise _error("identity.checksum", "The fødselsnummer check digits are wrong.", "NO")
    h_month = int(number[2:4]) - _NO_H_NUMBER_OFFSET
    if number[0] in _NO_FH_FIRST_DIGITS or 1 <= h_month <= 12:
        raise _error(
            "identity.temporary",
            "H-numbers and FH-numbers are help numbers of the health sector, not accepted.",
            "NO",
        )
    kind: IdKind = "d_number" if int(number[0]) >= 4 else "personal_number"
    try:
        born = fodselsnummer.get_birth_date(number)
    except ValidationError:
        raise _error(
            "identity.birth_date",
            "The fødselsnummer does not contain a valid birth date.",
            "NO",
        ) from None
    _check_plausible("NO", born, today)
    return PersonalId("NO", number, born, kind)


_PARSERS = {"FI": _parse_fi, "SE": _parse_se, "NO": _parse_no}


def parse_personal_id(country: str, text: str, *, today: date | None = None) -> PersonalId:
    """Check ``text`` as a personal identity number of ``country`` and return it parsed.

    ``country`` is FI, SE or NO (any case). Surrounding spaces are ignored; FI letters may be
    lower case; SE accepts 10 or 12 digits with or without separator; NO allows spaces.
    ``today`` (default: ``date.today()``) rejects birth dates after it and fixes the
    century of a 10-digit Swedish number (the latest date not after ``today``; ``+`` means
    100 or more years old). Raises :class:`IdentityError` with the codes listed in the
    module docstring; ``params`` always holds ``country``.
    """
    code = str(country).upper()
    if not str(text or "").strip():
        raise _error("identity.empty", "No identity number was given.", code)
    parser = _PARSERS.get(code)
    if parser is None:
        raise _error(
            "identity.country",
            f"Kassa cannot read identity numbers of country {country!r}; use FI, SE or NO.",
            code,
        )
    return parser(str(text).strip(), today or date.today())
