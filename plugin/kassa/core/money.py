"""Money as integer minor units with a currency, and VAT on VAT-inclusive prices.

Amounts are held as ``int`` minor units (cents, öre, øre) together with an ISO 4217
code; the number of minor-unit digits comes from Babel's CLDR data. ``Decimal`` appears
only at the edges (parsing and display). No ``float`` is accepted anywhere, and nothing
rounds without a named :mod:`decimal` rounding mode: every rounding in this module is
done exactly on integers (see :func:`round_ratio`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import (
    ROUND_05UP,
    ROUND_CEILING,
    ROUND_DOWN,
    ROUND_FLOOR,
    ROUND_HALF_DOWN,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    ROUND_UP,
    Decimal,
)
from functools import lru_cache, total_ordering

from babel.numbers import get_currency_precision, is_currency

from kassa.core.errors import MoneyError

__all__ = [
    "Money",
    "OrderLine",
    "basket_total",
    "minor_unit_exponent",
    "percent_of",
    "round_ratio",
    "vat_breakdown",
    "vat_from_gross",
]

_CURRENCY_RE = re.compile(r"[A-Z]{3}")
_AMOUNT_RE = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")
#: Largest power of ten accepted when parsing; protects against ``Decimal("1E+999999999")``.
_MAX_DIGITS = 40

_ROUNDING_MODES = frozenset(
    {
        ROUND_05UP,
        ROUND_CEILING,
        ROUND_DOWN,
        ROUND_FLOOR,
        ROUND_HALF_DOWN,
        ROUND_HALF_EVEN,
        ROUND_HALF_UP,
        ROUND_UP,
    }
)


@lru_cache(maxsize=64)
def minor_unit_exponent(currency: str) -> int:
    """Return how many decimal digits the minor unit of ``currency`` has (EUR, SEK, NOK: 2).

    :param currency: an ISO 4217 code in upper case, e.g. ``"EUR"``.
    :raises MoneyError: ``money.currency`` if the code is malformed or unknown to Babel.
    """
    if (
        not isinstance(currency, str)
        or _CURRENCY_RE.fullmatch(currency) is None
        or not is_currency(currency)
    ):
        raise MoneyError(
            f"{currency!r} is not a known ISO 4217 currency code",
            code="money.currency",
            currency=str(currency),
        )
    return int(get_currency_precision(currency))


def round_ratio(numerator: int, denominator: int, rounding: str = ROUND_HALF_UP) -> int:
    """Round the exact fraction ``numerator / denominator`` to an integer.

    Works on integers only, so the result is exact whatever the size of the operands.

    :param rounding: one of the :mod:`decimal` rounding constants, e.g. ``ROUND_HALF_UP``
        (ties away from zero) or ``ROUND_HALF_EVEN``.
    :raises MoneyError: ``money.rounding`` for an unknown rounding mode.
    :raises ZeroDivisionError: if ``denominator`` is 0.
    """
    if rounding not in _ROUNDING_MODES:
        raise MoneyError(
            f"unknown rounding mode {rounding!r}; use a decimal.ROUND_* constant",
            code="money.rounding",
            rounding=str(rounding),
        )
    if denominator < 0:
        numerator, denominator = -numerator, -denominator
    quotient, remainder = divmod(numerator, denominator)  # floor division
    if remainder == 0:
        return quotient
    # The exact value lies strictly between quotient and quotient + 1.
    negative = numerator < 0
    twice = 2 * remainder
    if rounding == ROUND_FLOOR:
        return quotient
    if rounding == ROUND_CEILING:
        return quotient + 1
    if rounding == ROUND_DOWN:  # towards zero
        return quotient + 1 if negative else quotient
    if rounding == ROUND_UP:  # away from zero
        return quotient if negative else quotient + 1
    if rounding == ROUND_05UP:
        toward_zero = quotient + 1 if negative else quotient
        away = toward_zero - 1 if negative else toward_zero + 1
        return away if abs(toward_zero) % 10 in (0, 5) else toward_zero
    if twice < denominator:
        return quotient
    if twice > denominator:
        return quotient + 1
    # An exact tie between quotient and quotient + 1.
    if rounding == ROUND_HALF_UP:
        return quotient if negative else quotient + 1
    if rounding == ROUND_HALF_DOWN:
        return quotient + 1 if negative else quotient
    return quotient if quotient % 2 == 0 else quotient + 1  # ROUND_HALF_EVEN


def _require_rate(rate_percent: Decimal | int, name: str) -> Decimal:
    if isinstance(rate_percent, bool) or not isinstance(rate_percent, Decimal | int):
        raise TypeError(f"{name} must be a Decimal percentage, not {type(rate_percent).__name__}")
    rate = Decimal(rate_percent)
    if not rate.is_finite():
        raise MoneyError(
            f"{name} {rate} is not a finite number", code="money.format", amount=str(rate)
        )
    return rate


@total_ordering
@dataclass(frozen=True, slots=True)
class Money:
    """An exact amount: ``minor`` units (e.g. cents) of ``currency``.

    Arithmetic (``+``, ``-``, unary ``-``, ``* int``) and ordering work between amounts of
    the same currency; mixing currencies raises ``MoneyError`` with code
    ``money.currency_mismatch``.
    """

    #: The amount in minor units of the currency, e.g. ``1234`` for 12.34 EUR.
    minor: int
    #: ISO 4217 code in upper case, e.g. ``"EUR"``.
    currency: str

    def __post_init__(self) -> None:
        if isinstance(self.minor, bool) or not isinstance(self.minor, int):
            raise TypeError(
                f"Money.minor must be an int of minor units, not {type(self.minor).__name__}"
            )
        minor_unit_exponent(self.currency)

    @classmethod
    def parse(cls, text: str | Decimal | int, currency: str) -> Money:
        """Read an amount in major units (``"12.34"``, ``Decimal("12.3")``, ``12``).

        An ``int`` counts whole major units (``12`` means 12.00). Nothing is rounded: more
        decimals than the currency has raise an error, unless they are zeros
        (``"12.340"`` is 12.34).

        :raises MoneyError: ``money.precision`` for extra decimals, ``money.format`` for
            text that is not a plain decimal number (also NaN and infinity),
            ``money.float`` for a ``float``, ``money.currency`` for an unknown currency.
        """
        exponent = minor_unit_exponent(currency)
        if isinstance(text, float):
            raise MoneyError(
                "floats cannot represent money exactly; pass a str or Decimal",
                code="money.float",
                amount=repr(text),
                currency=currency,
            )
        if isinstance(text, bool):
            raise MoneyError(
                f"{text!r} is not an amount",
                code="money.format",
                amount=repr(text),
                currency=currency,
            )
        if isinstance(text, int):
            return cls(text * 10**exponent, currency)
        if isinstance(text, str):
            stripped = text.strip()
            if _AMOUNT_RE.fullmatch(stripped) is None:
                raise MoneyError(
                    f"{text!r} is not an amount; write it like 12.34",
                    code="money.format",
                    amount=text,
                    currency=currency,
                )
            value = Decimal(stripped)
        elif isinstance(text, Decimal):
            value = text
        else:
            raise TypeError(f"cannot parse money from {type(text).__name__}")
        if not value.is_finite():
            raise MoneyError(
                f"{value} is not an amount",
                code="money.format",
                amount=str(value),
                currency=currency,
            )
        sign, digits, digit_exponent = value.as_tuple()
        assert isinstance(digit_exponent, int)  # finite, checked above
        coefficient = int("".join(map(str, digits)))
        shift = digit_exponent + exponent
        if shift + len(digits) > _MAX_DIGITS:
            raise MoneyError(
                f"{value} is too large to be an amount",
                code="money.format",
                amount=str(value),
                currency=currency,
            )
        if shift >= 0:
            minor = coefficient * 10**shift
        else:
            minor, rest = divmod(coefficient, 10**-shift)
            if rest:
                raise MoneyError(
                    f"{value} has more than {exponent} decimals, the precision of {currency}",
                    code="money.precision",
                    amount=str(value),
                    currency=currency,
                )
        return cls(-minor if sign else minor, currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        """Return 0 in ``currency``."""
        return cls(0, currency)

    def to_decimal(self) -> Decimal:
        """Return the amount in major units, with exactly the currency's number of decimals."""
        return Decimal(self.minor).scaleb(-minor_unit_exponent(self.currency))

    def __str__(self) -> str:
        """Format as ``"12.34 EUR"`` (plain, not localized; use Babel for display)."""
        exponent = minor_unit_exponent(self.currency)
        sign = "-" if self.minor < 0 else ""
        whole, fraction = divmod(abs(self.minor), 10**exponent)
        if exponent == 0:
            return f"{sign}{whole} {self.currency}"
        return f"{sign}{whole}.{fraction:0{exponent}d} {self.currency}"

    def _same_currency(self, other: Money) -> None:
        if self.currency != other.currency:
            raise MoneyError(
                f"cannot combine {self.currency} and {other.currency} amounts",
                code="money.currency_mismatch",
                currency=self.currency,
                other_currency=other.currency,
            )

    def __add__(self, other: object) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: object) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other)
        return Money(self.minor - other.minor, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.minor, self.currency)

    def __mul__(self, factor: object) -> Money:
        if isinstance(factor, bool) or not isinstance(factor, int):
            return NotImplemented
        return Money(self.minor * factor, self.currency)

    __rmul__ = __mul__

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other)
        return self.minor < other.minor

    def split(self, parts: int) -> tuple[Money, ...]:
        """Split into ``parts`` amounts that differ by at most one minor unit.

        The leftover minor units go to the first parts (for a negative amount the first
        parts are the most negative), so the parts always sum exactly to ``self``.
        """
        if isinstance(parts, bool) or not isinstance(parts, int) or parts < 1:
            raise ValueError(f"parts must be a positive int, not {parts!r}")
        base, remainder = divmod(abs(self.minor), parts)
        sign = -1 if self.minor < 0 else 1
        return tuple(
            Money(sign * (base + (1 if index < remainder else 0)), self.currency)
            for index in range(parts)
        )


def percent_of(amount: Money, rate_percent: Decimal, rounding: str = ROUND_HALF_UP) -> Money:
    """Return ``rate_percent`` % of ``amount``, rounded to a minor unit with ``rounding``.

    :param rate_percent: a percentage as ``Decimal``, e.g. ``Decimal("2.5")`` for 2.5 %.
    """
    numerator, denominator = _require_rate(rate_percent, "rate_percent").as_integer_ratio()
    return Money(
        round_ratio(amount.minor * numerator, denominator * 100, rounding), amount.currency
    )


def vat_from_gross(gross: Money, rate_percent: Decimal, rounding: str = ROUND_HALF_UP) -> Money:
    """Return the VAT contained in the VAT-inclusive amount ``gross``.

    That is ``gross * rate / (100 + rate)`` rounded to a minor unit with ``rounding``;
    100.00 EUR at 25.5 % contains 20.32 EUR of VAT.

    :param rate_percent: the VAT rate in percent, ``0 <= rate < 100``.
    """
    rate = _require_vat_rate(rate_percent)
    numerator, denominator = rate.as_integer_ratio()
    # gross * (n/d) / (100 + n/d) == gross * n / (100 d + n)
    return Money(
        round_ratio(gross.minor * numerator, 100 * denominator + numerator, rounding),
        gross.currency,
    )


def _require_vat_rate(rate_percent: Decimal | int) -> Decimal:
    rate = _require_rate(rate_percent, "vat_rate")
    if not Decimal(0) <= rate < Decimal(100):
        raise MoneyError(
            f"VAT rate {rate} % is outside 0 to 100 %", code="money.vat_rate", rate=str(rate)
        )
    return rate


@dataclass(frozen=True)
class OrderLine:
    """One line of a basket, priced VAT included."""

    #: What the shopper buys, as shown on the invoice.
    description: str
    #: How many units; a positive int.
    quantity: int
    #: Price of one unit, VAT included.
    unit_price: Money
    #: VAT rate in percent, e.g. ``Decimal("25.5")``; ``0 <= vat_rate < 100``.
    vat_rate: Decimal
    #: Rounding of the line's VAT (a :mod:`decimal` constant).
    vat_rounding: str = ROUND_HALF_UP

    def __post_init__(self) -> None:
        if isinstance(self.quantity, bool) or not isinstance(self.quantity, int):
            raise TypeError("OrderLine.quantity must be an int")
        if self.quantity < 1:
            raise MoneyError(
                f"quantity {self.quantity} must be at least 1",
                code="money.quantity",
                quantity=self.quantity,
            )
        if not isinstance(self.unit_price, Money):
            raise TypeError("OrderLine.unit_price must be Money")
        _require_vat_rate(self.vat_rate)
        if self.vat_rounding not in _ROUNDING_MODES:
            raise MoneyError(
                f"unknown rounding mode {self.vat_rounding!r}",
                code="money.rounding",
                rounding=str(self.vat_rounding),
            )

    @property
    def total(self) -> Money:
        """Line total VAT included: ``unit_price * quantity``."""
        return self.unit_price * self.quantity

    @property
    def vat(self) -> Money:
        """VAT contained in :attr:`total`, rounded once per line with :attr:`vat_rounding`."""
        return vat_from_gross(self.total, self.vat_rate, self.vat_rounding)


def basket_total(lines: Iterable[OrderLine]) -> Money:
    """Return the sum of the line totals (VAT included).

    :raises MoneyError: ``money.empty_basket`` if there are no lines (the currency would
        be unknown), ``money.currency_mismatch`` if the lines mix currencies.
    """
    total: Money | None = None
    for line in lines:
        total = line.total if total is None else total + line.total
    if total is None:
        raise MoneyError("the basket has no lines", code="money.empty_basket")
    return total


def vat_breakdown(lines: Iterable[OrderLine]) -> dict[Decimal, Money]:
    """Return the VAT per rate (percent), summing each line's rounded VAT.

    Keys are the rates normalized so that ``Decimal("24")`` and ``Decimal("24.0")`` share
    one entry; they are ordered from the highest rate to the lowest.
    """
    by_rate: dict[Decimal, Money] = {}
    for line in lines:
        key = _rate_key(line.vat_rate)
        by_rate[key] = by_rate[key] + line.vat if key in by_rate else line.vat
    return dict(sorted(by_rate.items(), key=lambda item: item[0], reverse=True))


def _rate_key(rate: Decimal) -> Decimal:
    normalized = rate.normalize()
    exponent = normalized.as_tuple().exponent
    # normalize() turns 10 into 1E+1; put it back to a plain integer.
    if isinstance(exponent, int) and exponent > 0:
        return normalized.quantize(Decimal(1))
    return normalized


def parse_major(text: str, currency: str) -> int | None:
    """An amount typed in major units (``12``, ``12,5``, ``1 234,50`` or ``12.50``) as minor
    units of ``currency``; None when it is not a plain non-negative amount with at most the
    currency's decimals. Never goes through a float."""
    raw = (text or "").strip().replace(" ", "").replace("\u00a0", "").replace(",", ".")
    decimals = minor_unit_exponent(currency)
    pattern = r"[0-9]{1,12}" + (rf"(\.[0-9]{{1,{decimals}}})?" if decimals else "")
    if not re.fullmatch(pattern, raw):
        return None
    return int(Decimal(raw).scaleb(decimals))
