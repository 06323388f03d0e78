"""Every ``KASSA_*`` setting, its default and its meaning, and the strict reader.

:class:`KassaConfig` is the one place a setting is declared: each field carries its default
(written as a merchant would write it in ``app.config``), the parser that checks it and a line
of documentation. ``docs/configuration.md`` is generated from these fields
(``python -m kassa.config > docs/configuration.md``) and a test keeps the two equal.

:func:`load_config` reads the keys once, in ``init_app``. An unknown ``KASSA_`` key, a missing
secret or an invalid value raises :class:`~kassa.errors.ConfigurationError` naming the key
(and the limit, where a legal cap was broken), so a misconfigured shop does not start.
"""

from __future__ import annotations

import base64
import binascii
import difflib
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import date
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit

from stdnum import bic, iban
from stdnum.exceptions import ValidationError

from .core.errors import KassaError
from .core.money import Money
from .core.rules import DEFAULT_RULES, Rule, RuleBook, parse_rule
from .errors import ConfigurationError
from .products import CountryProducts, parse_products, validate_products_against_law

PREFIX = "KASSA_"

#: The currency each supported country invoices in.
COUNTRY_CURRENCY: Mapping[str, str] = {"FI": "EUR", "SE": "SEK", "NO": "NOK"}
#: Locales Kassa ships catalogs for (English is the source language).
LOCALES: tuple[str, ...] = ("fi", "sv", "nb", "en")
#: Delivery channels an invoice can be sent by.
CHANNELS: tuple[str, ...] = ("email", "sms", "letter", "einvoice", "digital_mailbox")
#: Reference schemes per country.
REFERENCE_SCHEMES: Mapping[str, tuple[str, ...]] = {
    "FI": ("fi", "rf"),
    "SE": ("ocr", "ocr_length"),
    "NO": ("kid_mod10", "kid_mod11"),
}

#: Stripe payment method types Kassa can offer for "pay now".
STRIPE_METHODS: tuple[str, ...] = ("card", "mobilepay", "swish", "vipps", "klarna")


@dataclass(frozen=True)
class BankAccount:
    """The merchant's account that invoices are paid to (validated IBAN and BIC)."""

    iban: str
    bic: str


#: Overdue-customer segments a reminder hook can be limited to (see kassa.notify.hooks).
OVERDUE_SEGMENTS: tuple[str, ...] = ("first_time_late", "occasionally_late", "often_late")
#: Reminder hook types and the keys each one needs besides ``type``.
HOOK_TYPE_KEYS: Mapping[str, tuple[str, ...]] = {
    "webhook": ("url", "secret"),
    "slack": ("url",),
    "zendesk": ("url", "email", "api_token"),
    "freshdesk": ("url", "api_key"),
    "email": ("to",),
}


@dataclass(frozen=True)
class HookTarget:
    """One place overdue invoices are handed to the merchant's own team (KASSA_REMINDER_HOOKS).

    Empty ``countries`` or ``segments`` means every country or segment. The URL (a Slack
    webhook URL is itself the secret) and credentials are left out of ``repr``.
    """

    type: str
    url: str | None = field(default=None, repr=False)
    countries: tuple[str, ...] = ()
    segments: tuple[str, ...] = ()
    #: webhook: the Standard Webhooks signing secret, ``whsec_`` + base64.
    secret: str | None = field(default=None, repr=False)
    #: zendesk: the agent e-mail the API token belongs to.
    email: str | None = None
    #: zendesk: the API token.
    api_token: str | None = field(default=None, repr=False)
    #: freshdesk: the API key.
    api_key: str | None = field(default=None, repr=False)
    #: email: the team inbox.
    to: str | None = None


_SECRET = object()  # marks a setting that has no default and must be given


def setting(default: Any, parse: Callable[[Any], Any], doc: str, *, secret: bool = False) -> Any:
    """Declare one setting: the raw default, its parser and its documentation."""
    return field(default=None, metadata={"raw_default": default, "parse": parse, "doc": doc,
                                         "secret": secret})


class _Invalid(ValueError):
    """Raised by a parser; :func:`load_config` adds the key and raises ConfigurationError."""


# -- parsers ---------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise _Invalid(f"must be a string, not {type(value).__name__}")
    return value


def _url_prefix(value: Any) -> str:
    prefix = _text(value).rstrip("/")
    if prefix and not prefix.startswith("/"):
        raise _Invalid(f"must start with '/', got {value!r}")
    return prefix


def _optional_text(value: Any) -> str | None:
    return None if value in (None, "") else _text(value)


def _colour(value: Any) -> str:
    text = _text(value)
    if len(text) not in (4, 7) or not text.startswith("#") or any(
        c not in "0123456789abcdefABCDEF" for c in text[1:]
    ):
        raise _Invalid(f"must be a CSS hex colour such as '#1d4ed8', got {value!r}")
    return text


def _fernet_key(value: Any) -> bytes:
    text = _text(value)
    try:
        raw = base64.urlsafe_b64decode(text.encode("ascii"))
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise _Invalid("must be a url-safe base64 key (flask kassa generate-key)") from exc
    if len(raw) != 32:
        raise _Invalid("must encode exactly 32 bytes (flask kassa generate-key makes one)")
    return text.encode("ascii")


def _countries(value: Any) -> tuple[str, ...]:
    items = tuple(str(v).upper() for v in _sequence(value))
    for country in items:
        if country not in COUNTRY_CURRENCY:
            raise _Invalid(f"unknown country {country!r}; Kassa supports FI, SE and NO")
    if not items:
        raise _Invalid("must name at least one country")
    return items


def _locale(value: Any) -> str:
    text = _text(value).lower()
    text = "nb" if text in ("no", "nn") else text
    if text not in LOCALES:
        raise _Invalid(f"must be one of {', '.join(LOCALES)}, got {value!r}")
    return text


def _channels(value: Any) -> tuple[str, ...]:
    items = tuple(str(v) for v in _sequence(value))
    for channel in items:
        if channel not in CHANNELS:
            raise _Invalid(f"unknown channel {channel!r}; choose from {', '.join(CHANNELS)}")
    if not items:
        raise _Invalid("must enable at least one channel")
    return items


def _per_country_int(low: int, high: int) -> Callable[[Any], dict[str, int]]:
    def parse(value: Any) -> dict[str, int]:
        if not isinstance(value, Mapping):
            raise _Invalid("must be a mapping of country code to a whole number")
        result: dict[str, int] = {}
        for country, number in value.items():
            if str(country).upper() not in COUNTRY_CURRENCY:
                raise _Invalid(f"unknown country {country!r}")
            if isinstance(number, bool) or not isinstance(number, int) or not low <= number <= high:
                raise _Invalid(f"{country}: must be a whole number from {low} to {high}")
            result[str(country).upper()] = number
        return result

    return parse


def _reference_schemes(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise _Invalid("must be a mapping of country code to scheme")
    result = {}
    for country, scheme in value.items():
        allowed = REFERENCE_SCHEMES.get(str(country).upper())
        if allowed is None:
            raise _Invalid(f"unknown country {country!r}")
        if scheme not in allowed:
            raise _Invalid(f"{country}: scheme {scheme!r} is not one of {', '.join(allowed)}")
        result[str(country).upper()] = str(scheme)
    return result


def _rules(value: Any) -> tuple[Rule, ...]:
    try:
        return tuple(parse_rule(row) for row in _sequence(value))
    except KassaError as exc:
        raise _Invalid(exc.message) from exc


def _products(value: Any) -> dict[str, CountryProducts]:
    try:
        return parse_products(value, COUNTRY_CURRENCY)
    except KassaError as exc:
        raise _Invalid(exc.message) from exc


def _api_keys(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise _Invalid("must be a mapping of storefront name to API key")
    result = {}
    for name, key in value.items():
        if not isinstance(name, str) or not name.isidentifier():
            raise _Invalid(f"storefront name {name!r} must be a short identifier")
        if not isinstance(key, str) or len(key) < 24:
            raise _Invalid(f"the key of {name!r} must be a string of at least 24 characters")
        result[name] = key
    return result


def _choice(*allowed: str) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        if value not in allowed:
            raise _Invalid(f"must be one of {', '.join(allowed)}, got {value!r}")
        return str(value)

    return parse


def _whole_number(low: int, high: int) -> Callable[[Any], int]:
    def parse(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise _Invalid(f"must be a whole number from {low} to {high}, got {value!r}")
        return value

    return parse


def _bank_accounts(value: Any) -> dict[str, BankAccount]:
    if not isinstance(value, Mapping):
        raise _Invalid("must be a mapping of country code to {iban, bic}")
    result = {}
    for country, account in value.items():
        country = str(country).upper()
        if country not in COUNTRY_CURRENCY:
            raise _Invalid(f"unknown country {country!r}")
        if not isinstance(account, Mapping):
            raise _Invalid(f"{country}: must be a mapping with iban and bic")
        iban_text, bic_text = str(account.get("iban", "")), str(account.get("bic", ""))
        try:
            iban_compact = iban.validate(iban_text)
        except ValidationError as exc:
            raise _Invalid(f"{country}: IBAN {iban_text!r} fails its check ({exc})") from None
        try:
            bic_compact = bic.validate(bic_text)
        except ValidationError as exc:
            raise _Invalid(f"{country}: BIC {bic_text!r} is not valid ({exc})") from None
        if iban_compact[:2] != country:
            raise _Invalid(f"{country}: IBAN {iban_text!r} is not a {country} account")
        result[country] = BankAccount(iban=iban_compact, bic=bic_compact)
    return result


def _minor_per_country(value: Any) -> dict[str, int]:
    if not isinstance(value, Mapping):
        raise _Invalid("must be a mapping of country code to an amount such as '5000.00'")
    result = {}
    for country, amount in value.items():
        country = str(country).upper()
        if country not in COUNTRY_CURRENCY:
            raise _Invalid(f"unknown country {country!r}")
        try:
            result[country] = Money.parse(str(amount), COUNTRY_CURRENCY[country]).minor
        except KassaError as exc:
            raise _Invalid(f"{country}: {exc.message}") from None
    return result


def _payment_methods(value: Any) -> dict[str, tuple[str, ...]]:
    if not isinstance(value, Mapping):
        raise _Invalid("must be a mapping of country code to Stripe payment method types")
    result = {}
    for country, methods in value.items():
        country = str(country).upper()
        if country not in COUNTRY_CURRENCY:
            raise _Invalid(f"unknown country {country!r}")
        items = tuple(str(m) for m in _sequence(methods))
        for method in items:
            if method not in STRIPE_METHODS:
                raise _Invalid(f"{country}: unknown payment method {method!r}; "
                               f"choose from {', '.join(STRIPE_METHODS)}")
        result[country] = items
    return result


def _optional_secret(value: Any) -> str | None:
    return None if value in (None, "") else _text(value)


_LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def _outbound_url(value: Any) -> str:
    # Credentials travel with these requests: HTTPS only, plain HTTP only on this machine.
    # The URL itself is never echoed, since a Slack webhook URL is a secret.
    parts = urlsplit(_text(value).strip())
    if not parts.hostname or not (
        parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in _LOOPBACK_HOSTS)
    ):
        raise _Invalid("url must be an https:// URL (http:// only for localhost)")
    return parts.geturl()


def _optional_url(value: Any) -> str | None:
    return None if value in (None, "") else _outbound_url(value)


def _webhook_secret(value: str) -> str:
    try:
        raw = base64.b64decode(value.removeprefix("whsec_"), validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if not value.startswith("whsec_") or not 24 <= len(raw) <= 64:
        raise _Invalid("secret must be 'whsec_' + base64 of 24 to 64 random bytes")
    return value


def _reminder_hooks(value: Any) -> tuple[HookTarget, ...]:
    targets = []
    for number, item in enumerate(_sequence(value), 1):
        if not isinstance(item, Mapping) or item.get("type") not in HOOK_TYPE_KEYS:
            raise _Invalid(f"hook {number}: must be a mapping whose type is one of "
                           f"{', '.join(HOOK_TYPE_KEYS)}")
        kind, needed = item["type"], HOOK_TYPE_KEYS[item["type"]]
        unknown = sorted(set(item) - set(needed) - {"type", "countries", "segments"})
        if unknown:
            raise _Invalid(f"hook {number} ({kind}): unknown key {unknown[0]!r}")
        values: dict[str, Any] = {}
        for key in needed:
            if not isinstance(item.get(key), str) or not item[key].strip():
                raise _Invalid(f"hook {number} ({kind}): {key} is required")
            values[key] = item[key].strip()
        try:
            if "url" in values:
                values["url"] = _outbound_url(values["url"])
            if kind == "webhook":
                _webhook_secret(values["secret"])
            for key in ("email", "to"):
                if key in values and "@" not in values[key]:
                    raise _Invalid(f"{key} must be an e-mail address")
            countries = _countries(item["countries"]) if item.get("countries") else ()
            segments = tuple(str(s) for s in _sequence(item.get("segments") or []))
        except _Invalid as exc:
            raise _Invalid(f"hook {number} ({kind}): {exc}") from None
        for segment in segments:
            if segment not in OVERDUE_SEGMENTS:
                raise _Invalid(f"hook {number} ({kind}): unknown segment {segment!r}; choose "
                               f"from {', '.join(OVERDUE_SEGMENTS)}")
        targets.append(HookTarget(type=kind, countries=countries, segments=segments, **values))
    return tuple(targets)


_SMS_SENDER_RE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9 ]{0,9}[A-Za-z0-9])?")


def _sms_sender(value: Any) -> str | None:
    if value in (None, ""):
        return None
    text = _text(value)
    if not _SMS_SENDER_RE.fullmatch(text) or not any(c.isalpha() for c in text):
        raise _Invalid(f"must be an alphanumeric sender id of at most 11 letters and digits "
                       f"(with at least one letter), got {value!r}")
    return text


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _Invalid(f"must be True or False, got {value!r}")
    return value


def _sequence(value: Any) -> list[Any]:
    if isinstance(value, str) or not isinstance(value, list | tuple):
        raise _Invalid("must be a list")
    return list(value)


# -- the settings ----------------------------------------------------------------------------

_DEFAULT_PRODUCTS = {
    "FI": {
        "invoice": {"id": "fi-invoice-14", "days_to_pay": 14, "fee": "0.00",
                    "min_amount": "10.00", "max_amount": "5000.00"},
        "installments": [
            {"id": "fi-3", "months": 3, "nominal_rate": "0", "setup_fee": "0.00",
             "monthly_fee": "2.95", "min_amount": "50.00", "max_amount": "5000.00"},
            {"id": "fi-12", "months": 12, "nominal_rate": "9.9", "setup_fee": "0.00",
             "monthly_fee": "2.95", "min_amount": "200.00", "max_amount": "5000.00"},
            {"id": "fi-24", "months": 24, "nominal_rate": "12.9", "setup_fee": "0.00",
             "monthly_fee": "2.95", "min_amount": "500.00", "max_amount": "5000.00"},
        ],
    },
    "SE": {
        "invoice": {"id": "se-invoice-14", "days_to_pay": 14, "fee": "0.00",
                    "min_amount": "100.00", "max_amount": "50000.00"},
        "installments": [
            {"id": "se-3", "months": 3, "nominal_rate": "0", "setup_fee": "0.00",
             "monthly_fee": "29.00", "min_amount": "500.00", "max_amount": "50000.00"},
            {"id": "se-12", "months": 12, "nominal_rate": "9.9", "setup_fee": "195.00",
             "monthly_fee": "29.00", "min_amount": "2000.00", "max_amount": "50000.00"},
            {"id": "se-24", "months": 24, "nominal_rate": "14.9", "setup_fee": "195.00",
             "monthly_fee": "29.00", "min_amount": "5000.00", "max_amount": "50000.00"},
        ],
    },
    "NO": {
        "invoice": {"id": "no-invoice-14", "days_to_pay": 14, "fee": "0.00",
                    "min_amount": "100.00", "max_amount": "50000.00"},
        "installments": [
            {"id": "no-12", "months": 12, "nominal_rate": "14.9", "setup_fee": "0.00",
             "monthly_fee": "39.00", "min_amount": "2000.00", "max_amount": "50000.00"},
            {"id": "no-24", "months": 24, "nominal_rate": "16.9", "setup_fee": "0.00",
             "monthly_fee": "39.00", "min_amount": "5000.00", "max_amount": "50000.00"},
        ],
    },
}


@dataclass(frozen=True)
class KassaConfig:
    """One app's Kassa settings, parsed and validated. Attribute ``x`` is key ``KASSA_X``."""

    url_prefix: str = setting("/kassa", _url_prefix, "URL prefix all Kassa pages and APIs are "
                              "mounted under.")
    database_url: str | None = setting(None, _optional_text, "SQLAlchemy URL of Kassa's database. "
                                       "Empty: a SQLite file `kassa.sqlite3` in the app's instance "
                                       "folder (WAL mode). PostgreSQL: "
                                       "`postgresql+psycopg://user@host/db`.")
    encryption_key: bytes = setting(_SECRET, _fernet_key, "Key that encrypts personal identity "
                                    "numbers at rest (Fernet, 32 bytes url-safe base64; "
                                    "`flask kassa generate-key`).", secret=True)
    countries: tuple[str, ...] = setting(["FI", "SE", "NO"], _countries, "Countries the shop "
                                         "sells to on invoice and installments.")
    default_locale: str = setting("en", _locale, "Language when neither the URL nor the browser "
                                  "names one of fi, sv, nb, en (`no` means nb).")
    shop_name: str = setting("Kassa demo shop", _text, "The merchant's name, shown on every "
                             "shopper page, invoice and message.")
    logo_url: str | None = setting(None, _optional_text, "URL of the merchant's logo for "
                                   "shopper pages; empty shows the shop name.")
    brand_colour: str = setting("#1d4ed8", _colour, "Main colour of shopper pages (CSS hex).")
    channels: tuple[str, ...] = setting(["email"], _channels, "Invoice delivery channels the "
                                        "shopper may choose from: email, sms, letter, einvoice, "
                                        "digital_mailbox.")
    public_url: str = setting("http://127.0.0.1:5000", _text, "Absolute URL of the shop "
                              "where Kassa is mounted, for links in messages that background "
                              "jobs send (reminders, SMS, hooks).")
    reminder_fees: dict[str, int] = setting(
        {"FI": "5.00", "SE": "60.00", "NO": "35.00"}, _minor_per_country, "The shop's fee for "
        "a formal payment reminder, per country; refused at start-up above the country's cap "
        "in force.")
    friendly_after_days: int = setting(1, _whole_number(1, 30), "Days after the due date of "
                                       "the friendly, fee-free contact (SMS or e-mail and a "
                                       "task for the support team).")
    fee_grace_days: int = setting(7, _whole_number(0, 30), "Full days after the friendly "
                                  "contact in which paying costs no reminder fee.")
    collection_after_days: int = setting(14, _whole_number(1, 90), "Days after the last "
                                         "reminder's deadline before the hand-off to "
                                         "collection.")
    friendly_channel: str = setting("auto", _choice("auto", "sms", "email"), "Channel of the "
                                    "friendly contact: `auto` sends an SMS when the customer "
                                    "has a phone number and SMS is configured, else e-mail.")
    collection_partner: tuple[HookTarget, ...] = setting(
        [], _reminder_hooks, "Where invoices handed to collection are sent: targets in the "
        "format of KASSA_REMINDER_HOOKS (usually one `webhook`).", secret=True)
    letter_lag_business_days: dict[str, int] = setting(
        {"FI": 4, "SE": 3, "NO": 4}, _per_country_int(0, 10), "Business days a paper letter "
        "takes to arrive, per country; the receipt date and so the due date depend on it.")
    reference_schemes: dict[str, str] = setting(
        {"FI": "fi", "SE": "ocr_length", "NO": "kid_mod10"}, _reference_schemes,
        "Payment reference per country: FI `fi` or `rf`; SE `ocr` or `ocr_length`; "
        "NO `kid_mod10` or `kid_mod11` (as agreed with the bank).")
    products: dict[str, CountryProducts] = setting(
        _DEFAULT_PRODUCTS, _products, "Invoice and installment terms per country (amounts as "
        "decimal strings in the country's currency, rates in percent); checked against the "
        "country's credit caps at start-up.")
    rules: tuple[Rule, ...] = setting([], _rules, "Extra dated legal rows (country, key, value, "
                                      "effective_from, source, status) that extend the shipped "
                                      "table, e.g. a new half-year reference rate.")

    api_keys: dict[str, str] = setting({}, _api_keys, "Storefront name to API key for the "
                                       "storefront API (Bearer token, 24+ characters); empty "
                                       "turns the API off.", secret=True)
    session_ttl_minutes: int = setting(60, _whole_number(5, 24 * 60), "Minutes a checkout "
                                       "session stays open.")
    issue_invoice_on: str = setting("confirmation", _choice("confirmation", "fulfilment"),
                                    "When the invoice is issued: at `confirmation` of the "
                                    "checkout, or at `fulfilment` reported by the storefront.")
    bank_accounts: dict[str, BankAccount] = setting(
        {"FI": {"iban": "FI37 1590 3000 0007 76", "bic": "NDEAFIHH"},
         "SE": {"iban": "SE45 5000 0000 0583 9825 7466", "bic": "ESSESESS"},
         "NO": {"iban": "NO93 8601 1117 947", "bic": "DNBANOKK"}},
        _bank_accounts, "The merchant's account per country that invoices are paid to "
        "(IBAN and BIC, both checked). The defaults are example accounts.")
    merchant_address: str = setting("Esimerkkikatu 1, 00100 Helsinki", _text, "The merchant's "
                                    "postal address, printed on invoices.")
    open_balance_cap: dict[str, int] = setting(
        {"FI": "5000.00", "SE": "50000.00", "NO": "50000.00"}, _minor_per_country,
        "Highest open balance a customer may have with the shop, per country, new purchase "
        "included; the default credit decision declines above it.")
    strong_auth_countries: tuple[str, ...] = setting(
        ["FI"], lambda v: _countries(v) if v else (), "Countries where the shopper must identify "
        "with strong electronic identification (OIDC) before invoice or installments.")
    oidc_issuer: str | None = setting(None, _optional_text, "Issuer URL of the OpenID Connect "
                                      "identity broker (FTN, BankID); discovery is read from "
                                      "it. Required when strong identification is on.")
    oidc_client_id: str | None = setting(None, _optional_text, "Kassa's client id at the "
                                         "identity broker.")
    oidc_client_secret: str | None = setting(None, _optional_secret, "Kassa's client secret at "
                                             "the identity broker.", secret=True)
    oidc_personal_id_claim: str = setting("personal_identity_number", _text, "ID-token claim "
                                          "that carries the national identity number.")
    smtp_host: str = setting("127.0.0.1", _text, "SMTP server for e-mail to shoppers.")
    smtp_port: int = setting(25, _whole_number(1, 65535), "SMTP port.")
    smtp_username: str | None = setting(None, _optional_text, "SMTP user; empty: no login.")
    smtp_password: str | None = setting(None, _optional_secret, "SMTP password.", secret=True)
    smtp_starttls: bool = setting(False, _flag, "Upgrade the SMTP connection with STARTTLS.")
    mail_from: str = setting("kassa@localhost", _text, "Sender address of e-mail to shoppers.")
    outbox_max_attempts: int = setting(8, _whole_number(1, 100), "Delivery attempts of one "
                                       "outbox message (e-mail) before it is given up as dead.")
    outbox_backoff_seconds: int = setting(30, _whole_number(1, 24 * 3600), "Seconds before the "
                                          "first retry of a failed delivery; each further retry "
                                          "waits twice as long.")
    stripe_secret_key: str | None = setting(None, _optional_secret, "Stripe secret key; empty "
                                            "turns \"pay now\" off.", secret=True)
    stripe_publishable_key: str | None = setting(None, _optional_text, "Stripe publishable key "
                                                 "for Stripe.js.")
    stripe_webhook_secret: str | None = setting(None, _optional_secret, "Signing secret of the "
                                                "Stripe webhook endpoint (`whsec_...`).",
                                                secret=True)
    stripe_api_base: str | None = setting(None, _optional_text, "Base URL of the Stripe API; "
                                          "empty is Stripe itself (tests use localstripe).")
    stripe_js_url: str = setting("https://js.stripe.com/v3/", _text, "Where Stripe.js is "
                                 "loaded from.")
    stripe_payment_methods: dict[str, tuple[str, ...]] = setting(
        {"FI": ["card", "mobilepay"], "SE": ["card", "swish"], "NO": ["card"]},
        _payment_methods, "Stripe payment method types offered for \"pay now\", per "
        "country (Vipps only once Stripe enables it for the account).")
    reminder_hooks: tuple[HookTarget, ...] = setting(
        [], _reminder_hooks, "Where overdue invoices are handed to the merchant's own team: a "
        "list of mappings with `type` (`webhook` + `url` + `secret` `whsec_...`; `slack` + "
        "`url`; `zendesk` + `url` (`https://{sub}.zendesk.com/api/v2/tickets`) + `email` + "
        "`api_token`; `freshdesk` + `url` + `api_key`; `email` + `to`) and optional "
        "`countries` and `segments` (`first_time_late`, `occasionally_late`, `often_late`). "
        "See `plugin/kassa/notify/hooks.py`.", secret=True)
    sms_url: str | None = setting(None, _optional_url, "Endpoint of the JSON SMS provider "
                                  "(POST `{from, to, text}`, Bearer key); empty: no SMS.")
    sms_api_key: str | None = setting(None, _optional_secret, "API key of the SMS provider, "
                                      "sent as a Bearer token.", secret=True)
    sms_sender: str | None = setting(None, _sms_sender, "Alphanumeric SMS sender id (at most "
                                     "11 letters and digits), e.g. the shop's short name.")
    print_service_url: str | None = setting(None, _optional_url, "Print service that prints "
                                            "and posts letter invoices (docs/handover.md); "
                                            "empty: no letters.")
    einvoice_operator_url: str | None = setting(None, _optional_url, "E-invoice operator "
                                                "endpoint for e-invoices (docs/handover.md).")
    digital_mailbox_url: str | None = setting(None, _optional_url, "Digital mailbox operator "
                                              "endpoint (docs/handover.md).")
    handover_token: str | None = setting(None, _optional_secret, "Bearer token sent to the "
                                         "print, e-invoice and digital mailbox services.",
                                         secret=True)

    def field_key(self, name: str) -> str:
        """The config key of attribute ``name``."""
        return PREFIX + name.upper()

    @cached_property
    def offer_memo(self) -> dict[tuple[Any, ...], Any]:
        """Offers already computed under these settings, by amount, currency, country and
        day (kept and bounded by :mod:`kassa.services.offers`)."""
        return {}

    @cached_property
    def rulebook(self) -> RuleBook:
        """The shipped legal table plus the merchant's own rows."""
        return RuleBook(DEFAULT_RULES + self.rules)


def settings_table() -> list[tuple[str, str, Any, str]]:
    """``(key, default as written, secret?, doc)`` for every setting, in declaration order."""
    return [
        (PREFIX + f.name.upper(), _shown_default(f.metadata), f.metadata["secret"],
         f.metadata["doc"])
        for f in fields(KassaConfig)
    ]


def _shown_default(metadata: Mapping[str, Any]) -> str:
    raw = metadata["raw_default"]
    if raw is _SECRET:
        return "required secret"
    if metadata["secret"]:
        return "none (secret)" if raw in (None, "", [], {}) else "set (secret)"
    return repr(raw)


def load_config(app_config: Mapping[str, Any], *, today: date | None = None) -> KassaConfig:
    """Read and validate every ``KASSA_*`` key of a Flask app's config.

    Raises :class:`ConfigurationError` naming the first key that is unknown, missing or
    invalid, or a product whose terms break the country's caps in force on ``today``.
    """
    known = {PREFIX + f.name.upper(): f for f in fields(KassaConfig)}
    for key in app_config:
        if key.startswith(PREFIX) and key not in known:
            close = difflib.get_close_matches(key, known, n=1)
            hint = f"; did you mean {close[0]}?" if close else ""
            raise ConfigurationError(key, f"is not a Kassa setting{hint}")
    values: dict[str, Any] = {}
    for key, f in known.items():
        raw = app_config.get(key, f.metadata["raw_default"])
        if raw is _SECRET:
            raise ConfigurationError(key, "is required and has no default")
        try:
            values[f.name] = f.metadata["parse"](raw)
        except _Invalid as exc:
            raise ConfigurationError(key, str(exc)) from None
    config = KassaConfig(**values)
    for country in config.countries:
        if country not in config.products:
            raise ConfigurationError(PREFIX + "PRODUCTS", f"has no terms for {country}, which "
                                     "KASSA_COUNTRIES enables")
    problem = validate_products_against_law(config.products, config.rulebook,
                                            today or date.today())
    if problem:
        raise ConfigurationError(PREFIX + "PRODUCTS", problem)
    return config


def render_docs() -> str:
    """The Markdown of ``docs/configuration.md``."""
    lines = [
        "# Configuration",
        "",
        "Kassa reads these keys from the Flask app's config once, in `init_app`. A key that "
        "starts",
        "with `KASSA_` but is not listed here, a missing secret or an invalid value stops "
        "start-up",
        "with an error that names the key. This table is generated from "
        "`plugin/kassa/config.py` "
        "(`make docs`);",
        "a test keeps it equal to the code.",
        "",
        "| key | default | meaning |",
        "|---|---|---|",
    ]
    for key, default, _secret, doc in settings_table():
        if _secret or len(default) > 60:
            shown = default if _secret else "see `plugin/kassa/config.py`"
        else:
            shown = f"`{default}`"
        lines.append(f"| `{key}` | {shown} | {doc} |")
    lines += [
        "",
        "## Legal numbers",
        "",
        "Fee caps, intervals, interest margins and reference rates are dated rows shipped in",
        "`plugin/kassa/core/rules.py` (with source and status). Add newer rows through",
        "`KASSA_RULES`; the row in force on the relevant day applies. Products are checked",
        "against them at start-up: a nominal rate, a fee or a total cost above the country's cap",
        "stops start-up.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover - documentation generator
    sys.stdout.write(render_docs())
