"""Money in minor units: exact parsing, arithmetic, splitting, percentages and VAT."""

from __future__ import annotations

from decimal import (
    ROUND_05UP,
    ROUND_CEILING,
    ROUND_DOWN,
    ROUND_FLOOR,
    ROUND_HALF_DOWN,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    ROUND_UP,
    Context,
    Decimal,
    localcontext,
)

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kassa.core.errors import MoneyError
from kassa.core.money import (
    Money,
    OrderLine,
    basket_total,
    minor_unit_exponent,
    percent_of,
    round_ratio,
    vat_breakdown,
    vat_from_gross,
)

ALL_ROUNDINGS = [
    ROUND_05UP,
    ROUND_CEILING,
    ROUND_DOWN,
    ROUND_FLOOR,
    ROUND_HALF_DOWN,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    ROUND_UP,
]


def eur(text: str) -> Money:
    return Money.parse(text, "EUR")


# --- currencies -------------------------------------------------------------------------


@pytest.mark.parametrize(("currency", "exponent"), [("EUR", 2), ("SEK", 2), ("NOK", 2), ("JPY", 0)])
def test_minor_unit_exponent_comes_from_cldr(currency: str, exponent: int) -> None:
    assert minor_unit_exponent(currency) == exponent


@pytest.mark.parametrize("currency", ["eur", "EURO", "QQQ", "", "E1R", 978])
def test_unknown_or_malformed_currency_is_refused(currency: object) -> None:
    with pytest.raises(MoneyError) as caught:
        minor_unit_exponent(currency)
    assert caught.value.code == "money.currency"


def test_money_validates_its_fields() -> None:
    with pytest.raises(TypeError):
        Money(True, "EUR")
    with pytest.raises(TypeError):
        Money(Decimal("1"), "EUR")  # type: ignore[arg-type]
    with pytest.raises(MoneyError) as caught:
        Money(1, "XYZ")
    assert caught.value.code == "money.currency"


# --- parsing ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "minor"),
    [
        ("12", 1200),
        ("12.3", 1230),
        ("12.34", 1234),
        ("-5.00", -500),
        ("+0.07", 7),
        (" 7.5 ", 750),
        ("12.340", 1234),
        ("0", 0),
        ("-0.00", 0),
        (Decimal("12.34"), 1234),
        (Decimal("1E+2"), 10000),
        (Decimal("-0.10"), -10),
        (12, 1200),
        ("123456789012345678.99", 12345678901234567899),
    ],
)
def test_parse_reads_major_units_exactly(text: str | Decimal | int, minor: int) -> None:
    assert Money.parse(text, "EUR") == Money(minor, "EUR")


def test_parse_uses_the_currency_precision() -> None:
    assert Money.parse("1250", "JPY") == Money(1250, "JPY")
    with pytest.raises(MoneyError) as caught:
        Money.parse("12.5", "JPY")
    assert caught.value.code == "money.precision"


@pytest.mark.parametrize("text", ["12.345", "0.001", Decimal("12.345"), Decimal("1E-3")])
def test_parse_refuses_extra_precision_instead_of_rounding(text: str | Decimal) -> None:
    with pytest.raises(MoneyError) as caught:
        Money.parse(text, "EUR")
    assert caught.value.code == "money.precision"
    assert caught.value.params == {"amount": str(text), "currency": "EUR"}


@pytest.mark.parametrize(
    "text",
    [
        "abc",
        "",
        " ",
        "1,50",
        "12.",
        ".5",
        "1e3",
        "NaN",
        "Infinity",
        "--1",
        "1 000",
        "\u0661\u0662",
        Decimal("NaN"),
        Decimal("Infinity"),
        Decimal("-Infinity"),
        Decimal("sNaN"),
        Decimal("1E+100"),
        True,
    ],
)
def test_parse_refuses_what_is_not_a_plain_amount(text: object) -> None:
    with pytest.raises(MoneyError) as caught:
        Money.parse(text, "EUR")  # type: ignore[arg-type]
    assert caught.value.code == "money.format"


@pytest.mark.parametrize("value", [12.34, 0.1, float("nan")])
def test_parse_refuses_floats(value: float) -> None:
    with pytest.raises(MoneyError) as caught:
        Money.parse(value, "EUR")  # type: ignore[arg-type]
    assert caught.value.code == "money.float"


def test_parse_refuses_an_unknown_currency() -> None:
    with pytest.raises(MoneyError) as caught:
        Money.parse("1.00", "EURO")
    assert caught.value.code == "money.currency"


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_parse_of_str_round_trips(minor: int) -> None:
    money = Money(minor, "SEK")
    assert Money.parse(str(money.to_decimal()), "SEK") == money
    assert Money.parse(str(money).removesuffix(" SEK"), "SEK") == money


# --- display and arithmetic -------------------------------------------------------------


def test_str_and_to_decimal() -> None:
    assert str(Money(1234, "EUR")) == "12.34 EUR"
    assert str(Money(-5, "EUR")) == "-0.05 EUR"
    assert str(Money(0, "NOK")) == "0.00 NOK"
    assert str(Money(1200, "JPY")) == "1200 JPY"
    assert Money(1234, "EUR").to_decimal() == Decimal("12.34")
    assert Money(1200, "EUR").to_decimal().as_tuple().exponent == -2
    assert Money.zero("SEK") == Money(0, "SEK")


def test_arithmetic_within_one_currency() -> None:
    assert eur("10.00") + eur("2.50") == eur("12.50")
    assert eur("10.00") - eur("12.50") == eur("-2.50")
    assert -eur("1.99") == eur("-1.99")
    assert eur("1.99") * 3 == eur("5.97")
    assert 3 * eur("1.99") == eur("5.97")
    assert eur("1.00") < eur("1.01") <= eur("1.01")
    assert eur("2.00") > eur("1.99") >= eur("1.99")


def test_multiplying_by_anything_but_an_int_fails() -> None:
    for factor in (Decimal("1.5"), 1.5, True, "2"):
        with pytest.raises(TypeError):
            eur("1.00") * factor


@pytest.mark.parametrize(
    "combine",
    [
        lambda a, b: a + b,
        lambda a, b: a - b,
        lambda a, b: a < b,
        lambda a, b: a <= b,
        lambda a, b: a > b,
        lambda a, b: a >= b,
    ],
)
def test_mixing_currencies_is_refused(combine: object) -> None:
    with pytest.raises(MoneyError) as caught:
        combine(Money(100, "EUR"), Money(100, "SEK"))  # type: ignore[operator]
    assert caught.value.code == "money.currency_mismatch"
    assert Money(100, "EUR") != Money(100, "SEK")


# --- splitting --------------------------------------------------------------------------


def test_split_gives_the_remainder_to_the_first_parts() -> None:
    assert eur("1.00").split(3) == (Money(34, "EUR"), Money(33, "EUR"), Money(33, "EUR"))
    assert eur("-1.00").split(3) == (Money(-34, "EUR"), Money(-33, "EUR"), Money(-33, "EUR"))
    assert eur("0.02").split(4) == (
        Money(1, "EUR"),
        Money(1, "EUR"),
        Money(0, "EUR"),
        Money(0, "EUR"),
    )
    for parts in (0, -1, True):
        with pytest.raises(ValueError):
            eur("1.00").split(parts)


@given(st.integers(min_value=-(10**12), max_value=10**12), st.integers(1, 500))
def test_split_sums_exactly_and_is_even(minor: int, parts: int) -> None:
    shares = Money(minor, "EUR").split(parts)
    assert len(shares) == parts
    assert sum(share.minor for share in shares) == minor
    sizes = [abs(share.minor) for share in shares]
    assert max(sizes) - min(sizes) <= 1
    assert sizes == sorted(sizes, reverse=True)


# --- rounding, percentages --------------------------------------------------------------


@given(
    st.integers(-(10**12), 10**12),
    st.integers(-(10**6), 10**6).filter(bool),
    st.sampled_from(ALL_ROUNDINGS),
)
def test_round_ratio_matches_decimal_rounding(
    numerator: int, denominator: int, rounding: str
) -> None:
    with localcontext(Context(prec=100)):
        expected = (Decimal(numerator) / Decimal(denominator)).quantize(Decimal(1), rounding)
    assert round_ratio(numerator, denominator, rounding) == int(expected)


def test_round_ratio_needs_a_named_rounding_mode() -> None:
    with pytest.raises(MoneyError) as caught:
        round_ratio(1, 2, "up")
    assert caught.value.code == "money.rounding"


def test_percent_of_rounds_with_the_named_mode() -> None:
    assert percent_of(eur("1000.00"), Decimal("2.5")) == eur("25.00")
    # 25 % of 0.10 is 2.5 cents: the mode decides.
    assert percent_of(eur("0.10"), Decimal("25")) == Money(3, "EUR")
    assert percent_of(eur("0.10"), Decimal("25"), ROUND_HALF_EVEN) == Money(2, "EUR")
    assert percent_of(eur("-0.10"), Decimal("25")) == Money(-3, "EUR")
    assert percent_of(eur("0.10"), Decimal("25"), ROUND_DOWN) == Money(2, "EUR")
    with pytest.raises(TypeError):
        percent_of(eur("1.00"), 2.5)  # type: ignore[arg-type]


# --- VAT --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("gross", "rate", "vat"),
    [
        ("100.00", "25.5", "20.32"),
        ("124.00", "24", "24.00"),
        ("125.50", "25.5", "25.50"),
        ("114.00", "14", "14.00"),
        ("110.00", "10", "10.00"),
        ("100.00", "0", "0.00"),
        ("1249.90", "25.5", "253.96"),
        ("-100.00", "25.5", "-20.32"),
    ],
)
def test_vat_from_gross(gross: str, rate: str, vat: str) -> None:
    assert vat_from_gross(eur(gross), Decimal(rate)) == eur(vat)


def test_vat_rounding_is_named() -> None:
    # At 20 % a VAT-inclusive price holds 1/6 of itself as VAT: 3, 9 and 15 cents hold
    # exactly 0.5, 1.5 and 2.5 cents, so the mode decides.
    twenty = Decimal(20)
    assert [vat_from_gross(Money(gross, "EUR"), twenty).minor for gross in (3, 9, 15)] == [1, 2, 3]
    assert [
        vat_from_gross(Money(gross, "EUR"), twenty, ROUND_HALF_EVEN).minor for gross in (3, 9, 15)
    ] == [0, 2, 2]
    assert vat_from_gross(Money(5, "EUR"), Decimal(40)) == Money(1, "EUR")  # 1.43 cents
    assert vat_from_gross(Money(5, "EUR"), Decimal(40), ROUND_CEILING) == Money(2, "EUR")
    line = OrderLine("tie", 3, Money(1, "EUR"), twenty, vat_rounding=ROUND_HALF_EVEN)
    assert line.vat == Money(0, "EUR")


@pytest.mark.parametrize("rate", [Decimal(100), Decimal(-1), Decimal("NaN")])
def test_vat_rate_must_be_below_100_percent(rate: Decimal) -> None:
    with pytest.raises(MoneyError) as caught:
        vat_from_gross(eur("1.00"), rate)
    assert caught.value.code in ("money.vat_rate", "money.format")


@given(st.integers(0, 10**10), st.integers(0, 9999))
def test_vat_is_the_exact_share_rounded_half_up(gross: int, rate_hundredths: int) -> None:
    rate = Decimal(rate_hundredths) / 100
    vat = vat_from_gross(Money(gross, "EUR"), rate).minor
    exact_times_denominator = gross * rate  # VAT * (100 + rate)
    assert abs(vat * (100 + rate) - exact_times_denominator) <= (100 + rate) / 2
    assert 0 <= vat <= gross


BASKET = [
    OrderLine("Trail shoes", 1, eur("899.90"), Decimal("25.5")),
    OrderLine("Wool socks", 3, eur("50.00"), Decimal("25.5")),
    OrderLine("Trail guide book", 2, eur("100.00"), Decimal("10")),
]


def test_order_line_total_and_vat() -> None:
    socks = BASKET[1]
    assert socks.total == eur("150.00")
    assert socks.vat == eur("30.48")  # 150 * 25.5 / 125.5 = 30.478...
    assert BASKET[0].vat == eur("182.85")  # 899.90 * 25.5 / 125.5 = 182.849...


def test_basket_total_and_vat_breakdown() -> None:
    assert basket_total(BASKET) == eur("1249.90")
    breakdown = vat_breakdown(BASKET)
    assert breakdown == {Decimal("25.5"): eur("213.33"), Decimal("10"): eur("18.18")}
    assert list(breakdown) == [Decimal("25.5"), Decimal("10")]


def test_vat_breakdown_merges_equal_rates_written_differently() -> None:
    lines = [
        OrderLine("a", 1, eur("12.40"), Decimal("24")),
        OrderLine("b", 1, eur("12.40"), Decimal("24.0")),
    ]
    assert vat_breakdown(lines) == {Decimal("24"): eur("4.80")}


def test_order_line_validation() -> None:
    for quantity in (0, -1):
        with pytest.raises(MoneyError) as caught:
            OrderLine("x", quantity, eur("1.00"), Decimal("24"))
        assert caught.value.code == "money.quantity"
    with pytest.raises(TypeError):
        OrderLine("x", True, eur("1.00"), Decimal("24"))
    with pytest.raises(TypeError):
        OrderLine("x", 1, eur("1.00"), 24.0)  # type: ignore[arg-type]
    with pytest.raises(MoneyError) as caught:
        OrderLine("x", 1, eur("1.00"), Decimal("100"))
    assert caught.value.code == "money.vat_rate"


def test_basket_needs_lines_in_one_currency() -> None:
    with pytest.raises(MoneyError) as caught:
        basket_total([])
    assert caught.value.code == "money.empty_basket"
    mixed = [BASKET[0], OrderLine("x", 1, Money(100, "SEK"), Decimal("25"))]
    with pytest.raises(MoneyError) as caught:
        basket_total(mixed)
    assert caught.value.code == "money.currency_mismatch"


def test_parse_major_reads_typed_amounts_without_floats() -> None:
    from kassa.core.money import parse_major

    assert parse_major("12,50", "EUR") == 1250
    assert parse_major("1 234,5", "SEK") == 123450
    assert parse_major("0.07", "NOK") == 7
    assert parse_major("129,90", "EUR") == 12990  # 129.9 * 100 would be 12989.999... as float
    for typed in ("", "-5", "1,234", "12e3", "abc", "1.2.3", "٣"):
        assert parse_major(typed, "EUR") is None, typed
