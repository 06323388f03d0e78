"""Start-up configuration: every mistake stops start-up with a message naming the key."""

from __future__ import annotations

import copy
import logging
import pathlib
from datetime import date
from typing import Any

import pytest
from flask import Flask

from kassa import ConfigurationError, Kassa, extension
from kassa.config import _DEFAULT_PRODUCTS, load_config, render_docs
from tests.conftest import base_config

ROOT = pathlib.Path(__file__).resolve().parents[1]


def start(**overrides: Any) -> Flask:
    app = Flask("kassa_config_test")
    app.config.update(base_config("sqlite://", **overrides))
    Kassa(app)
    return app


def test_defaults_need_only_the_encryption_key() -> None:
    config = load_config(base_config())
    assert config.url_prefix == "/kassa"
    assert config.database_url is None
    assert config.countries == ("FI", "SE", "NO")


def test_misspelled_key_is_caught_with_a_suggestion() -> None:
    with pytest.raises(ConfigurationError, match="KASSA_URL_PREFX: is not a Kassa setting; "
                                                 "did you mean KASSA_URL_PREFIX"):
        start(KASSA_URL_PREFX="/pay")


def test_missing_secret_is_named() -> None:
    config = base_config()
    del config["KASSA_ENCRYPTION_KEY"]
    with pytest.raises(ConfigurationError, match="KASSA_ENCRYPTION_KEY: is required"):
        load_config(config)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("KASSA_URL_PREFIX", "pay", "must start with '/'"),
        ("KASSA_ENCRYPTION_KEY", "short", "url-safe base64"),
        ("KASSA_ENCRYPTION_KEY", "c2hvcnQ=", "32 bytes"),
        ("KASSA_COUNTRIES", ["FI", "DK"], "unknown country 'DK'"),
        ("KASSA_DEFAULT_LOCALE", "de", "must be one of fi, sv, nb, en"),
        ("KASSA_CHANNELS", ["pigeon"], "unknown channel 'pigeon'"),
        ("KASSA_BRAND_COLOUR", "blue", "CSS hex colour"),
        ("KASSA_LETTER_LAG_BUSINESS_DAYS", {"FI": 40}, "from 0 to 10"),
        ("KASSA_REFERENCE_SCHEMES", {"SE": "kid_mod10"}, "is not one of ocr, ocr_length"),
        ("KASSA_FRAME_ANCESTORS", "https://shop.example", "must be a list"),
        ("KASSA_FRAME_ANCESTORS", ["http://shop.example"], "must use https://"),
        ("KASSA_FRAME_ANCESTORS", ["https://*.shop.example"], "wildcards are not allowed"),
        ("KASSA_ALLOWED_ORIGINS", ["*"], "wildcards are not allowed"),
        ("KASSA_ALLOWED_ORIGINS", ["https://shop.example/checkout"], "no path"),
        ("KASSA_ALLOWED_ORIGINS", ["shop.example"], "is not an origin"),
        # an origin is written into a header: no way to add a CSP directive through it
        ("KASSA_FRAME_ANCESTORS", ["https://shop.example;script-src"], "is not an origin"),
        ("KASSA_ALLOWED_ORIGINS", ["https://shop.example https://evil.example"],
         "is not an origin"),
        ("KASSA_RATE_LIMITS", {"token_pages": "60 per minute"},
         "unknown limit 'token_pages'; did you mean token_pages_per_ip?"),
        ("KASSA_RATE_LIMITS", {"api_per_storefront": "plenty"}, "'plenty' is not a limit"),
        ("KASSA_RATE_LIMITS", {"identity_per_session": "0 per hour"}, "is not a limit"),
        ("KASSA_RATE_LIMITS", ["10 per minute"], "must be a mapping"),
        ("KASSA_RATELIMIT_STORAGE_URL", "memcached://127.0.0.1:11211", "memory:// or a Redis"),
        ("KASSA_RATELIMIT_KEY_PREFIX", "shop one", "letters, digits"),
        ("KASSA_MAX_OFFER_APR", {"FI": 20.0}, "FI: must be a percent above 0"),
        ("KASSA_MAX_OFFER_APR", {"SE": "0"}, "SE: must be a percent above 0"),
        ("KASSA_MAX_OFFER_APR", {"DK": "20"}, "unknown country 'DK'"),
        ("KASSA_MAX_OFFER_APR", "20", "must be a mapping"),
        ("KASSA_MERCHANT_SIZE", "medium", "must be one of sme, large"),
    ],
)
def test_invalid_value_names_key_and_limit(key: str, value: Any, message: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        start(**{key: value})
    assert caught.value.key == key
    assert str(caught.value).startswith(key + ":")
    assert message in str(caught.value)


def test_origins_are_written_as_browsers_send_them() -> None:
    config = load_config(base_config(
        KASSA_ALLOWED_ORIGINS=["HTTPS://Shop.Example:443/", "http://localhost:5173",
                               "https://shop.example", "http://127.0.0.1:8000"],
        KASSA_FRAME_ANCESTORS=["https://shop.example:8443"]))
    assert config.allowed_origins == ("https://shop.example", "http://localhost:5173",
                                      "http://127.0.0.1:8000")
    assert config.frame_ancestors == ("https://shop.example:8443",)
    defaults = load_config(base_config())
    assert defaults.allowed_origins == defaults.frame_ancestors == ()


def products_with(country: str, index: int, **changes: Any) -> dict[str, Any]:
    products = copy.deepcopy(_DEFAULT_PRODUCTS)
    products[country]["installments"][index].update(changes)
    return products


def test_finnish_interest_above_the_cap_stops_start_up() -> None:
    with pytest.raises(ConfigurationError) as caught:
        start(KASSA_PRODUCTS=products_with("FI", 1, nominal_rate="19.9"))
    message = str(caught.value)
    assert message.startswith("KASSA_PRODUCTS:")
    assert "'fi-12'" in message and "17.5" in message


def test_finnish_yearly_costs_above_the_cap_stop_start_up() -> None:
    with pytest.raises(ConfigurationError, match="150"):
        start(KASSA_PRODUCTS=products_with("FI", 1, monthly_fee="14.00"))


def test_swedish_setup_fee_above_the_cap_stops_start_up() -> None:
    with pytest.raises(ConfigurationError, match="se-12"):
        start(KASSA_PRODUCTS=products_with("SE", 1, setup_fee="900.00"))


def test_amount_with_extra_precision_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="fi-3"):
        start(KASSA_PRODUCTS=products_with("FI", 0, monthly_fee="2.955"))


def test_enabled_country_without_products_is_refused() -> None:
    products = copy.deepcopy(_DEFAULT_PRODUCTS)
    del products["NO"]
    with pytest.raises(ConfigurationError, match="has no terms for NO"):
        start(KASSA_PRODUCTS=products)


def test_two_apps_keep_their_own_settings() -> None:
    first = start(KASSA_URL_PREFIX="/pay", KASSA_SHOP_NAME="First")
    second = start(KASSA_SHOP_NAME="Second", KASSA_COUNTRIES=["SE"])
    a, b = first.extensions["kassa"], second.extensions["kassa"]
    assert (a.config.shop_name, b.config.shop_name) == ("First", "Second")
    assert a.db is not b.db
    assert b.config.countries == ("SE",)
    assert {r.rule for r in first.url_map.iter_rules()} >= {"/pay/checkout/options"}
    assert "/kassa/checkout/options" in {r.rule for r in second.url_map.iter_rules()}


def test_second_registration_is_refused() -> None:
    app = start()
    with pytest.raises(RuntimeError, match="already registered"):
        Kassa(app)


def test_configuration_docs_match_the_code() -> None:
    written = (ROOT / "docs" / "configuration.md").read_text()
    assert written == render_docs(), "run `make docs` and commit docs/configuration.md"


def test_order_amount_limits_default_per_country_in_minor_units() -> None:
    config = load_config(base_config())
    assert config.max_order_amount == {"FI": 10_000_000, "SE": 100_000_000, "NO": 100_000_000}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"FI": "0.00", "SE": "1.00", "NO": "1.00"}, "FI: must be above zero"),
        ({"FI": "-5.00", "SE": "1.00", "NO": "1.00"}, "FI: must be above zero"),
        ({"FI": "1000000000.01", "SE": "1.00", "NO": "1.00"}, "at most 1000000000 EUR"),
        ({"FI": "100.001", "SE": "1.00", "NO": "1.00"}, "FI: "),
        ({"FI": "100.00", "SE": "1.00"}, "has no limit for NO"),
        ("100000.00", "must be a mapping"),
    ],
)
def test_order_amount_limit_is_checked_at_start_up(value: Any, message: str) -> None:
    with pytest.raises(ConfigurationError, match="KASSA_MAX_ORDER_AMOUNT") as caught:
        start(KASSA_MAX_ORDER_AMOUNT=value)
    assert message in str(caught.value)


# -- Invoice products and the caps -------------------------------------------------------------


def invoice_with(country: str, **changes: Any) -> dict[str, Any]:
    products = copy.deepcopy(_DEFAULT_PRODUCTS)
    products[country]["invoice"].update(changes)
    return products


def test_finnish_invoice_fee_above_the_yearly_costs_cap_stops_start_up() -> None:
    start(KASSA_PRODUCTS=invoice_with("FI", fee="150.00"))  # the cap itself is lawful
    with pytest.raises(ConfigurationError) as caught:
        start(KASSA_PRODUCTS=invoice_with("FI", fee="150.01"))
    assert str(caught.value).startswith("KASSA_PRODUCTS: FI product 'fi-invoice-14': fee "
                                        "150.01 EUR a year exceeds the cap of 150.00 EUR a year")


def test_swedish_invoice_fee_above_the_set_up_fee_cap_stops_start_up() -> None:
    # 1 % of the 2026 prisbasbelopp: 592 SEK.
    with pytest.raises(ConfigurationError, match="'se-invoice-14': fee 600.00 SEK exceeds the "
                                                 "cap of 592.00 SEK"):
        start(KASSA_PRODUCTS=invoice_with("SE", fee="600.00"))


def test_swedish_invoice_fee_above_the_smallest_purchase_stops_start_up() -> None:
    with pytest.raises(ConfigurationError, match="total_cost 120.00 SEK exceeds the cap of "
                                                 r"100.00 SEK \(100 % of a credit of 100.00"):
        start(KASSA_PRODUCTS=invoice_with("SE", fee="120.00"))


def test_invoice_days_to_pay_below_the_minimum_stops_start_up() -> None:
    with pytest.raises(ConfigurationError, match="'fi-invoice-14': days_to_pay 10 is below the "
                                                 "minimum of 14 days"):
        start(KASSA_PRODUCTS=invoice_with("FI", days_to_pay=10))


# -- Rates of the half-year ----------------------------------------------------------------------


class _Day(date):
    """``date`` whose today() is Wed 2.12.2026, in the second half of 2026."""

    @classmethod
    def today(cls) -> _Day:
        return cls(2026, 12, 2)


def test_start_up_warns_of_a_half_year_without_its_rate(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(extension, "date", _Day)
    with caplog.at_level(logging.WARNING):
        app = start()
    assert "kassa" in app.extensions  # a warning, not a stop
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert [m[:42] for m in warned if "reference_rate_pct" in m] == [
        "Kassa: SE: no reference_rate_pct row for t", "Kassa: NO: no reference_rate_pct row for t"]
    caplog.clear()
    rows = [{"country": country, "key": "reference_rate_pct", "value": value,
             "effective_from": "2026-07-01", "source": "test", "status": "C"}
            for country, value in (("SE", "1.0"), ("NO", "1.0"))]
    with caplog.at_level(logging.WARNING):
        start(KASSA_RULES=rows)
    assert not [r for r in caplog.records if "reference_rate_pct" in r.getMessage()]


def test_rules_command_lists_the_rules_in_force_and_warns() -> None:
    app = start(KASSA_COUNTRIES=["FI", "SE"])
    result = app.test_cli_runner().invoke(args=["kassa", "rules", "--today", "2026-12-02"])
    assert result.exit_code == 0, result.output
    lines = [" ".join(line.split()) for line in result.output.splitlines()]
    kkv = "since 2024-10-21 C KKV/378/14.08.01.05/2022"
    assert "reminder_fee_cap_minor 5.00 EUR since 2013-06-01 C Debt Collection Act 513/1999" \
        in lines
    assert f"reminder_first_after_days 14 days {kkv}" in lines
    assert f"reminder_min_days_to_pay 10 days {kkv}" in lines
    assert any(line.startswith("reference_rate_pct 2.5 % since 2026-07-01 U derived")
               for line in lines)
    assert any(line.startswith("reference_rate_pct 2.0 % since 2026-01-01 S") for line in lines)
    assert [line for line in lines if line.startswith("WARNING")] == [
        "WARNING SE: no reference_rate_pct row for the half-year 2026-07-01 - 2026-12-31; the "
        "row of 2026-01-01 (2.0 %) still applies. Add the new rate to KASSA_RULES (country "
        "'SE', key 'reference_rate_pct', effective_from '2026-07-01')."]
    assert not any(line.startswith("NO") for line in lines)  # not served
    earlier = app.test_cli_runner().invoke(args=["kassa", "rules", "--today", "2026-03-01"])
    assert earlier.exit_code == 0 and "WARNING" not in earlier.output


def test_rules_command_says_which_offers_are_credit_and_where_plans_start() -> None:
    app = start(KASSA_COUNTRIES=["FI", "NO"])
    result = app.test_cli_runner().invoke(args=["kassa", "rules", "--today", "2026-12-02"])
    assert result.exit_code == 0, result.output
    lines = [" ".join(line.split()) for line in result.output.splitlines()]
    assert "credit_scope_deferral_sme_days 50 days since 2026-11-20 S " + (
        "Directive (EU) 2023/2225 Art. 2(2): the supplier's own deferral free of interest "
        "and charges, paid within 50 days (SME) / 14 days (others); the article read in "
        "secondary sources (Loyens & Loeff, CMS), not in the OJ") in lines
    assert "offers on 2026-12-02 (KASSA_MERCHANT_SIZE sme, KASSA_MAX_OFFER_APR 20 %):" in lines
    assert "fi-invoice-14 invoice, 14 days not consumer credit (exempt_deferral)" in lines
    assert "fi-3 3 months consumer credit (credit_fees) offered from 300.00 EUR" in lines
    assert "no-invoice-14 invoice, 14 days consumer credit (credit_no_exemption)" in lines
    # Before CCD2, Finland left credit free of interest and charges out altogether.
    earlier = app.test_cli_runner().invoke(args=["kassa", "rules", "--today", "2026-03-01"])
    assert "fi-invoice-14 invoice, 14 days not consumer credit (exempt_free)" in [
        " ".join(line.split()) for line in earlier.output.splitlines()]
    # A ceiling that no amount meets says so rather than listing a plan that never shows.
    strict = start(KASSA_COUNTRIES=["FI"], KASSA_MAX_OFFER_APR={"FI": "1"})
    output = strict.test_cli_runner().invoke(args=["kassa", "rules"]).output
    assert "fi-3 3 months consumer credit (credit_fees) never offered" in " ".join(
        output.split())
