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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date
from decimal import Decimal
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit

from limits import parse_many
from stdnum import bic, iban, luhn
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError
from stdnum.fi import ytunnus
from stdnum.no import mva as no_vat
from stdnum.no import orgnr as no_orgnr
from stdnum.se import orgnr as se_orgnr

from .core.errors import KassaError
from .core.money import Money
from .core.rules import DEFAULT_RULES, Rule, RuleBook, parse_rule
from .errors import ConfigurationError
from .products import CountryProducts, parse_products, validate_products_against_law
from .service_settings import (
    DEFAULT_SUPPORT_HOURS,
    OpeningHours,
    SelfServicePolicy,
    parse_contact_ranking,
    parse_self_service,
    parse_support_hours,
)

PREFIX = "KASSA_"
#: KASSA_PUBLIC_URL of an app in debug or testing mode that sets none.
DEVELOPMENT_PUBLIC_URL = "http://127.0.0.1:5000"

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


def _purchase_hint(value: Any) -> str | None:
    text = _optional_text(value)
    if text is not None and "{text}" not in text and "{text_base64}" not in text:
        raise _Invalid("must contain {text} or {text_base64}, where the merchant and the amount "
                       "go")
    if text is not None:
        try:
            text.format(text="", text_base64="")
        except (KeyError, IndexError, ValueError) as exc:
            raise _Invalid(f"may use only {{text}} and {{text_base64}}: {exc}") from None
    return text


def _public_url(value: Any) -> str | None:
    text = _optional_text(value)
    if text is None:
        return None
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise _Invalid(f"must be the absolute http(s) URL of the shop's root, got {value!r}")
    return text.rstrip("/")


def _colour(value: Any) -> str:
    text = _text(value)
    if len(text) not in (4, 7) or not text.startswith("#") or any(
        c not in "0123456789abcdefABCDEF" for c in text[1:]
    ):
        raise _Invalid(f"must be a CSS hex colour such as '#1d4ed8', got {value!r}")
    return text


def _fernet_keys(value: Any) -> tuple[bytes, ...]:
    """One Fernet key, or several (a list, or text separated by commas): the first encrypts,
    every one decrypts, while ``flask kassa rotate-key`` moves the data to the first."""
    items = value.split(",") if isinstance(value, str) else _sequence(value)
    keys = []
    for item in items:
        text = _text(item)
        try:
            raw = base64.urlsafe_b64decode(text.encode("ascii"))
        except (binascii.Error, UnicodeEncodeError) as exc:
            raise _Invalid("must be a url-safe base64 key (flask kassa generate-key)") from exc
        if len(raw) != 32:
            raise _Invalid("must encode exactly 32 bytes (flask kassa generate-key makes one)")
        keys.append(text.encode("ascii"))
    if not keys:
        raise _Invalid("needs at least one key (flask kassa generate-key makes one)")
    return tuple(keys)


def _countries(value: Any) -> tuple[str, ...]:
    items = tuple(str(v).upper() for v in _sequence(value))
    for country in items:
        if country not in COUNTRY_CURRENCY:
            raise _Invalid(f"unknown country {country!r}; Kassa supports FI, SE and NO")
    if not items:
        raise _Invalid("must name at least one country")
    return items


#: The help console's roles, least to most trusted: a role may do all a lower one may.
STAFF_ROLES: tuple[str, ...] = ("agent", "supervisor", "admin")


def _staff_roles(value: Any) -> tuple[str, ...]:
    items = tuple(str(v).lower() for v in _sequence(value))
    for role in items:
        if role not in STAFF_ROLES:
            raise _Invalid(f"unknown role {role!r}; the roles are {', '.join(STAFF_ROLES)}")
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


#: What a merchant back-office key may be given (docs/security.md).
BACKOFFICE_SCOPES = ("support:read", "support:write", "payments:read")


@dataclass(frozen=True)
class BackofficeKey:
    """A merchant back-office API key and the scopes it is given."""

    key: str
    scopes: frozenset[str]


def _backoffice_keys(value: Any) -> dict[str, BackofficeKey]:
    if not isinstance(value, Mapping):
        raise _Invalid("must be a mapping of a name to {'key': ..., 'scopes': [...]}")
    result = {}
    for name, entry in value.items():
        if not isinstance(name, str) or not name.isidentifier():
            raise _Invalid(f"key name {name!r} must be a short identifier")
        if not isinstance(entry, Mapping) or set(entry) - {"key", "scopes"}:
            raise _Invalid(f"{name!r} must be a mapping with 'key' and 'scopes'")
        key, scopes = entry.get("key"), entry.get("scopes")
        if not isinstance(key, str) or len(key) < 24:
            raise _Invalid(f"the key of {name!r} must be a string of at least 24 characters")
        if isinstance(scopes, str) or not isinstance(scopes, Sequence) or not scopes:
            raise _Invalid(f"the scopes of {name!r} must be a list of "
                           f"{', '.join(BACKOFFICE_SCOPES)}")
        unknown = [s for s in scopes if s not in BACKOFFICE_SCOPES]
        if unknown:
            raise _Invalid(f"unknown scope {unknown[0]!r} for {name!r}; use "
                           f"{', '.join(BACKOFFICE_SCOPES)}")
        result[name] = BackofficeKey(key, frozenset(scopes))
    return result


def _parsed(parse: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A parser of :mod:`kassa.service_settings`, its ValueError made a config error."""
    def wrapped(value: Any) -> Any:
        try:
            return parse(value)
        except ValueError as exc:
            raise _Invalid(str(exc)) from None
    return wrapped


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


def _business_id(value: Any) -> str | None:
    text = _optional_text(value)
    if text is None:
        return None
    for module in (ytunnus, se_orgnr, no_orgnr):
        if module.is_valid(text):
            return str(module.format(text))
    raise _Invalid(f"{value!r} is not a valid Finnish Y-tunnus, Swedish organisationsnummer or "
                   "Norwegian organisasjonsnummer")


def _vat_number(value: Any) -> str | None:
    text = _optional_text(value)
    if text is None:
        return None
    if eu_vat.is_valid(text):
        return str(eu_vat.compact(text))
    if no_vat.is_valid(text):
        return str(no_vat.format(text))
    raise _Invalid(f"{value!r} is not a valid EU VAT number (FI12345671, SE556036079301) or "
                   "Norwegian MVA number (NO 923 609 016 MVA)")


def _giro(low: int, high: int, name: str) -> Callable[[Any], str | None]:
    def parse(value: Any) -> str | None:
        text = _optional_text(value)
        if text is None:
            return None
        digits = "".join(text.replace("-", "").split())
        if not digits.isdigit() or not low <= len(digits) <= high or not luhn.is_valid(digits):
            raise _Invalid(f"{value!r} is not a {name} number ({low} to {high} digits whose "
                           "last is a mod-10 check digit)")
        return digits

    return parse


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


#: The highest KASSA_MAX_ORDER_AMOUNT a merchant may set, in minor units (a billion in the
#: country's currency): far below what a 64-bit column or an instalment plan could overflow.
ORDER_AMOUNT_CEILING = 100_000_000_000


def _order_amount_limits(value: Any) -> dict[str, int]:
    limits = _minor_per_country(value)
    for country, minor in limits.items():
        if not 0 < minor <= ORDER_AMOUNT_CEILING:
            raise _Invalid(f"{country}: must be above zero and at most "
                           f"{ORDER_AMOUNT_CEILING // 100} {COUNTRY_CURRENCY[country]}")
    return limits


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


#: A host name as browsers send it in ``Origin``: lower-case letters, digits, dots, hyphens.
#: Anything else (``*``, ``;``, spaces, quotes) could widen a Content-Security-Policy or CORS
#: answer that the origin is written into.
_HOST_NAME = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*")
_DEFAULT_PORTS = {"https": 443, "http": 80}


def web_origin(url: str) -> str | None:
    """The origin of ``url`` as a browser writes it (``https://shop.example``: lower case, no
    default port, no path), or None if ``url`` is not an absolute http(s) URL."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    host = parts.hostname or ""
    if parts.scheme not in _DEFAULT_PORTS or not _HOST_NAME.fullmatch(host) or parts.username \
            or parts.password is not None:
        return None
    shown_port = f":{port}" if port is not None and port != _DEFAULT_PORTS[parts.scheme] else ""
    return f"{parts.scheme}://{host}{shown_port}"


def _origins(value: Any) -> tuple[str, ...]:
    # Each origin is written into response headers: refuse what a browser would not send.
    found: list[str] = []
    for item in _sequence(value):
        text = _text(item).strip()
        if "*" in text:
            raise _Invalid(f"{text!r}: wildcards are not allowed; list each origin")
        origin = web_origin(text)
        parts = urlsplit(text) if origin else None
        if parts is None or parts.path not in ("", "/") or parts.query or parts.fragment:
            raise _Invalid(f"{text!r} is not an origin such as 'https://shop.example' "
                           "(scheme, host and optional port, no path)")
        if origin.startswith("http://") and parts.hostname not in ("127.0.0.1", "localhost"):
            raise _Invalid(f"{text!r} must use https:// (http:// only for localhost and "
                           "127.0.0.1)")
        if origin not in found:
            found.append(origin)
    return tuple(found)


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


#: Countries whose credit registers Kassa reports consumer credit to (docs/credit-reporting.md).
CREDIT_REPORTING_COUNTRIES: tuple[str, ...] = ("FI", "NO")
_CREDIT_REPORTING_KEYS = ("url", "token", "secret", "creditor_id")


@dataclass(frozen=True)
class CreditReportingTarget:
    """Where one country's credit reports go (KASSA_CREDIT_REPORTING): the register's
    endpoint, or a client the app plugs in (``url`` None; see
    :func:`kassa.notify.credit_reports.use_register_client`). Credentials stay out of
    ``repr``."""

    country: str
    url: str | None = field(default=None, repr=False)
    #: Sent as ``Authorization: Bearer``.
    token: str | None = field(default=None, repr=False)
    #: Optional Standard Webhooks signing secret (``whsec_`` + base64): the body is signed too.
    secret: str | None = field(default=None, repr=False)
    #: The creditor as the register knows it; None: KASSA_MERCHANT_BUSINESS_ID.
    creditor_id: str | None = None


def _credit_reporting(value: Any) -> dict[str, CreditReportingTarget]:
    # The URL and token are never echoed: they are credentials.
    if not isinstance(value, Mapping):
        raise _Invalid("must be a mapping of country code to {'url': ..., 'token': ...}")
    result = {}
    for country, entry in value.items():
        country = str(country).upper()
        if country == "SE":
            raise _Invalid("SE: Sweden has no credit register that creditors must report to "
                           "(credit bureaus such as UC are not fed by law); Kassa reports to "
                           f"{' and '.join(CREDIT_REPORTING_COUNTRIES)}")
        if country not in CREDIT_REPORTING_COUNTRIES:
            raise _Invalid(f"unknown country {country!r}; Kassa reports to "
                           f"{' and '.join(CREDIT_REPORTING_COUNTRIES)}")
        if not isinstance(entry, Mapping):
            raise _Invalid(f"{country}: must be a mapping with 'url' and 'token'")
        unknown = sorted(set(entry) - set(_CREDIT_REPORTING_KEYS))
        if unknown:
            raise _Invalid(f"{country}: unknown key {unknown[0]!r} (keys: "
                           f"{', '.join(_CREDIT_REPORTING_KEYS)})")
        url, token, secret = entry.get("url"), entry.get("token"), entry.get("secret")
        try:
            url = None if url in (None, "") else _outbound_url(url)
            if secret not in (None, ""):
                secret = _webhook_secret(_text(secret))
        except _Invalid as exc:
            raise _Invalid(f"{country}: {exc}") from None
        if url is not None and (not isinstance(token, str) or len(token.strip()) < 16):
            raise _Invalid(f"{country}: token must be a string of at least 16 characters "
                           "(the register's Bearer token)")
        if url is None and (token or secret):
            raise _Invalid(f"{country}: a token or secret needs a url")
        creditor = entry.get("creditor_id")
        if creditor is not None and (not isinstance(creditor, str) or not creditor.strip()
                                     or len(creditor) > 40):
            raise _Invalid(f"{country}: creditor_id must be a short text (the creditor's id "
                           "at the register)")
        result[country] = CreditReportingTarget(
            country=country, url=url,
            token=token.strip() if url and isinstance(token, str) else None,
            secret=secret or None, creditor_id=creditor.strip() if creditor else None)
    return result


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


#: Kassa's rate limits by name, with their defaults (what each counts: docs/security.md).
DEFAULT_RATE_LIMITS: Mapping[str, str] = {
    "identity_per_session": "10 per hour",
    "client_secret_per_session": "10 per hour",
    "client_secret_per_ip": "30 per hour",
    "token_pages_per_ip": "120 per minute",
    "api_per_storefront": "600 per minute",
    "account_sign_in_per_ip": "20 per hour",
    "account_code_per_invoice": "5 per hour",
}
#: Storage schemes of the rate limits: one process's memory, or a Redis all processes share.
RATE_LIMIT_STORAGE_SCHEMES: tuple[str, ...] = (
    "memory", "redis", "rediss", "redis+unix", "redis+sentinel", "redis+cluster")


def _rate_limits(value: Any) -> dict[str, str]:
    """The merchant's limits over the defaults: a name left out keeps its default."""
    if not isinstance(value, Mapping):
        raise _Invalid("must be a mapping of limit name to a limit such as '10 per minute'")
    result = dict(DEFAULT_RATE_LIMITS)
    for name, limit in value.items():
        if name not in DEFAULT_RATE_LIMITS:
            close = difflib.get_close_matches(str(name), list(DEFAULT_RATE_LIMITS), n=1)
            hint = f"; did you mean {close[0]}?" if close else ""
            raise _Invalid(f"unknown limit {name!r}{hint} (the limits are "
                           f"{', '.join(DEFAULT_RATE_LIMITS)})")
        try:
            items = parse_many(limit) if isinstance(limit, str) else []
        except ValueError:
            items = []
        if not items or any(item.amount < 1 for item in items):
            raise _Invalid(f"{name}: {limit!r} is not a limit such as '10 per minute' (several "
                           "separated by ';', each allowing at least one request)")
        result[name] = limit
    return result


def _rate_limit_storage(value: Any) -> str:
    # A Redis URL may carry a password: the message names the scheme, never the URL.
    text = _text(value).strip()
    scheme = text.partition("://")[0].lower() if "://" in text else ""
    if scheme not in RATE_LIMIT_STORAGE_SCHEMES:
        raise _Invalid("must be memory:// or a Redis URL such as redis://127.0.0.1:6379/0 "
                       f"(schemes: {', '.join(RATE_LIMIT_STORAGE_SCHEMES)})")
    return text


_KEY_PREFIX = re.compile(r"[A-Za-z0-9_.:-]{1,64}")


def _key_prefix(value: Any) -> str:
    text = _text(value)
    if not _KEY_PREFIX.fullmatch(text):
        raise _Invalid(f"must be 1 to 64 letters, digits or _.:- characters, got {value!r}")
    return text


@dataclass(frozen=True)
class CreditRegisterSetting:
    """Where a country's credit register is asked (KASSA_CREDIT_REGISTERS): an HTTP endpoint
    that speaks the protocol of docs/consumer-credit.md. The URL and token stay out of
    ``repr``: a URL may carry credentials."""

    country: str
    name: str
    url: str = field(repr=False)
    token: str | None = field(default=None, repr=False)
    #: Seconds to wait for the register's answer (connect and read each).
    timeout_seconds: int = 10


_CREDIT_REGISTER_KEYS = ("name", "url", "token", "timeout_seconds")


def _credit_registers(value: Any) -> dict[str, CreditRegisterSetting]:
    # The URL is never echoed in a message: it may hold credentials.
    if not isinstance(value, Mapping):
        raise _Invalid("must be a mapping of country code to {'url': ..., 'token'?, 'name'?, "
                       "'timeout_seconds'?}")
    result = {}
    for country, entry in value.items():
        country = str(country).upper()
        if country not in COUNTRY_CURRENCY:
            raise _Invalid(f"unknown country {country!r}")
        if not isinstance(entry, Mapping):
            raise _Invalid(f"{country}: must be a mapping with at least 'url'")
        unknown = sorted(set(entry) - set(_CREDIT_REGISTER_KEYS))
        if unknown:
            raise _Invalid(f"{country}: unknown key {unknown[0]!r} (keys: "
                           f"{', '.join(_CREDIT_REGISTER_KEYS)})")
        try:
            url = _outbound_url(entry.get("url"))
        except _Invalid as exc:
            raise _Invalid(f"{country}: {exc}") from None
        name = entry.get("name") or f"{country.lower()}-credit-register"
        if not isinstance(name, str) or not _KEY_PREFIX.fullmatch(name):
            raise _Invalid(f"{country}: name must be 1 to 64 letters, digits or _.:- "
                           "characters")
        token = entry.get("token")
        if token is not None and (not isinstance(token, str) or not token.strip()):
            raise _Invalid(f"{country}: token must be a non-empty string")
        timeout = entry.get("timeout_seconds", 10)
        if isinstance(timeout, bool) or not isinstance(timeout, int) or not 1 <= timeout <= 30:
            raise _Invalid(f"{country}: timeout_seconds must be a whole number from 1 to 30")
        result[country] = CreditRegisterSetting(country=country, name=name, url=url,
                                                token=token, timeout_seconds=timeout)
    return result


def _optional_percent(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        percent = Decimal(str(value))
    except ArithmeticError:
        percent = Decimal("NaN")
    if isinstance(value, bool | float) or not percent.is_finite() or not 0 < percent <= 1000:
        raise _Invalid(f"must be a percent above 0 and at most 1000 as a string such as "
                       f"'50', or empty to turn the rule off; got {value!r}")
    return percent


# -- the settings ----------------------------------------------------------------------------

# Each plan starts where its APR is within the default ceiling (KASSA_MAX_OFFER_APR, 20 %):
# a fixed fee on a small amount costs more a year than any interest the law allows, so no
# plan is offered there (docs/consumer-credit.md, "Which offers are credit"). Swedish and
# Norwegian plans are priced by interest (and a Swedish set-up fee), not by monthly fees.
_DEFAULT_PRODUCTS = {
    "FI": {
        "invoice": {"id": "fi-invoice-14", "days_to_pay": 14, "fee": "0.00",
                    "min_amount": "10.00", "max_amount": "5000.00"},
        "installments": [
            {"id": "fi-3", "months": 3, "nominal_rate": "0", "setup_fee": "0.00",
             "monthly_fee": "2.95", "min_amount": "300.00", "max_amount": "5000.00"},
            {"id": "fi-12", "months": 12, "nominal_rate": "9.9", "setup_fee": "0.00",
             "monthly_fee": "2.95", "min_amount": "750.00", "max_amount": "5000.00"},
            {"id": "fi-24", "months": 24, "nominal_rate": "12.9", "setup_fee": "0.00",
             "monthly_fee": "2.95", "min_amount": "1200.00", "max_amount": "5000.00"},
        ],
    },
    "SE": {
        "invoice": {"id": "se-invoice-14", "days_to_pay": 14, "fee": "0.00",
                    "min_amount": "100.00", "max_amount": "50000.00"},
        "installments": [
            {"id": "se-3", "months": 3, "nominal_rate": "0", "setup_fee": "0.00",
             "monthly_fee": "29.00", "min_amount": "3000.00", "max_amount": "50000.00"},
            {"id": "se-12", "months": 12, "nominal_rate": "9.9", "setup_fee": "195.00",
             "monthly_fee": "0.00", "min_amount": "4500.00", "max_amount": "50000.00"},
            {"id": "se-24", "months": 24, "nominal_rate": "14.9", "setup_fee": "195.00",
             "monthly_fee": "0.00", "min_amount": "6000.00", "max_amount": "50000.00"},
        ],
    },
    "NO": {
        "invoice": {"id": "no-invoice-14", "days_to_pay": 14, "fee": "0.00",
                    "min_amount": "100.00", "max_amount": "50000.00"},
        "installments": [
            {"id": "no-12", "months": 12, "nominal_rate": "14.9", "setup_fee": "0.00",
             "monthly_fee": "0.00", "min_amount": "2000.00", "max_amount": "50000.00"},
            {"id": "no-24", "months": 24, "nominal_rate": "16.9", "setup_fee": "0.00",
             "monthly_fee": "0.00", "min_amount": "5000.00", "max_amount": "50000.00"},
        ],
    },
}

#: The default ceiling on a plan's APR, percent, per country (KASSA_MAX_OFFER_APR): Finland's
#: absolute ceiling on the nominal rate of consumer credit is 20 %, and Sweden's cap
#: (referensränta + 20 pp) is about as high; an APR above it comes from fees, not interest.
DEFAULT_MAX_OFFER_APR: Mapping[str, str] = {"FI": "20", "SE": "20", "NO": "20"}


def _apr_ceilings(value: Any) -> dict[str, Decimal | None]:
    """The merchant's ceilings over the defaults: a country left out keeps its default, and
    None or an empty string turns that country's ceiling off."""
    if not isinstance(value, Mapping):
        raise _Invalid("must be a mapping of country code to a percent such as '20'")
    raw = {**DEFAULT_MAX_OFFER_APR, **{str(k).upper(): v for k, v in value.items()}}
    result: dict[str, Decimal | None] = {}
    for country, percent in raw.items():
        if country not in COUNTRY_CURRENCY:
            raise _Invalid(f"unknown country {country!r}")
        if percent in (None, ""):
            result[country] = None
            continue
        try:
            ceiling = Decimal(str(percent))
        except ArithmeticError:
            ceiling = Decimal("NaN")
        if isinstance(percent, bool | float) or not ceiling.is_finite() \
                or not 0 < ceiling <= 1000:
            raise _Invalid(f"{country}: must be a percent above 0 and at most 1000 as a string "
                           f"such as '20', or None for no ceiling; got {percent!r}")
        result[country] = ceiling
    return result


@dataclass(frozen=True)
class KassaConfig:
    """One app's Kassa settings, parsed and validated. Attribute ``x`` is key ``KASSA_X``."""

    url_prefix: str = setting("/kassa", _url_prefix, "URL prefix all Kassa pages and APIs are "
                              "mounted under.")
    database_url: str | None = setting(None, _optional_text, "SQLAlchemy URL of Kassa's database. "
                                       "Empty: a SQLite file `kassa.sqlite3` in the app's instance "
                                       "folder (WAL mode). PostgreSQL: "
                                       "`postgresql+psycopg://user@host/db`.")
    encryption_key: tuple[bytes, ...] = setting(
        _SECRET, _fernet_keys, "Key that encrypts personal identity numbers at rest (Fernet, 32 "
        "bytes url-safe base64; `flask kassa generate-key`). To rotate, list the new key first "
        "and the old after it (comma-separated), then run `flask kassa rotate-key`. Start-up "
        "stops if none of the keys is the one the database was encrypted with.", secret=True)
    countries: tuple[str, ...] = setting(["FI", "SE", "NO"], _countries, "Countries the shop "
                                         "sells to on invoice and instalments.")
    default_locale: str = setting("en", _locale, "Language when neither the URL nor the browser "
                                  "names one of fi, sv, nb, en (`no` means nb).")
    shop_name: str = setting("Kassa demo shop", _text, "The merchant's name, shown on every "
                             "shopper page, invoice and message.")
    logo_url: str | None = setting(None, _optional_text, "URL of the merchant's logo for "
                                   "shopper pages; empty shows the shop name.")
    brand_colour: str = setting("#1d4ed8", _colour, "Main colour of shopper pages (CSS hex).")
    frame_ancestors: tuple[str, ...] = setting(
        [], _origins, "Origins (`https://shop.example`; `http://` only for localhost and "
        "127.0.0.1) that may show the checkout and pay pages in a frame; empty: no site may "
        "frame them (`frame-ancestors 'none'`, `X-Frame-Options: DENY`). See docs/security.md.")
    channels: tuple[str, ...] = setting(["email"], _channels, "Invoice delivery channels the "
                                        "shopper may choose from: email, sms, letter, einvoice, "
                                        "digital_mailbox.")
    public_url: str = setting(
        None, _public_url, "Absolute URL of the shop's root where Kassa is mounted "
        "(`https://shop.example`). Every link Kassa sends or shows outside its own pages (e-mails, "
        "SMS, the hosted checkout URL, hooks, identification) is built on it, never on the "
        "request's Host header. Required unless the app runs in debug or testing mode, where "
        f"it defaults to `{DEVELOPMENT_PUBLIC_URL}`.")
    reminder_fees: dict[str, int] = setting(
        {"FI": "5.00", "SE": "60.00", "NO": "35.00"}, _minor_per_country, "The shop's fee for "
        "a formal payment reminder, per country; refused at start-up above the country's cap "
        "in force.")
    link_days_after_close: int = setting(
        90, _whole_number(1, 3650), "Days an invoice's links (e-mail, SMS, PDF) keep opening it "
        "after it is paid; a later link counts from when it was sent. An expired link offers to "
        "send a fresh one to the invoice's e-mail address.")
    friendly_after_days: int = setting(1, _whole_number(1, 30), "Days after the due date of "
                                       "the friendly, fee-free contact (SMS or e-mail and a "
                                       "task for the support team).")
    fee_grace_days: int = setting(7, _whole_number(0, 30), "Full days after the friendly "
                                  "contact in which paying costs no reminder fee.")
    friendly_contact_keeps_spacing: tuple[str, ...] = setting(
        ["FI"], lambda v: _countries(v) if v else (), "Countries where the first fee-bearing "
        "reminder keeps the legal spacing (`reminder_spacing_days`, FI 14 full days) after the "
        "friendly contact too, as if it were a collection action: lawful whether or not it "
        "counts as one (unconfirmed for Finland; see docs/lifecycle.md). Empty: the friendly "
        "contact starts no legal clock, only KASSA_FEE_GRACE_DAYS.")
    collection_after_days: int = setting(14, _whole_number(1, 90), "Days after the last "
                                         "reminder's deadline before the hand-off to "
                                         "collection.")
    friendly_channel: str = setting("auto", _choice("auto", "sms", "email"), "Channel of the "
                                    "friendly contact: `auto` sends an SMS when the customer "
                                    "has a phone number and SMS is configured, else e-mail. "
                                    "A customer who chose e-mail or SMS for reminders on their "
                                    "pages gets it that way when it can reach them.")
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
        _DEFAULT_PRODUCTS, _products, "Invoice and instalment terms per country (amounts as "
        "decimal strings in the country's currency, rates in percent); checked against the "
        "country's caps at start-up, the invoice's fee and days to pay included. The "
        "default plans start where their APR is within KASSA_MAX_OFFER_APR "
        "(docs/consumer-credit.md).")
    max_offer_apr: dict[str, Decimal | None] = setting(
        dict(DEFAULT_MAX_OFFER_APR), _apr_ceilings, "Highest APR, percent, at which an "
        "instalment plan is offered, per country: a plan whose APR for the amount is above it "
        "is left out of the offers, the widget and the checkout (fixed fees on a small amount "
        "make an APR no interest cap would allow). A country left out keeps its default; None "
        "turns its ceiling off. Default 20 in each country: Finland's absolute ceiling on the "
        "nominal rate (docs/consumer-credit.md).")
    merchant_size: str = setting(
        "sme", _choice("sme", "large"), "`sme` if the merchant is a micro, small or "
        "medium-sized enterprise (fewer than 250 persons, and turnover at most EUR 50 million "
        "or balance sheet at most EUR 43 million; Recommendation 2003/361/EC), else `large`. "
        "It decides how long a free deferral (an invoice without interest or fees) may run "
        "without being consumer credit: 50 days for an SME, 14 for others (Directive (EU) "
        "2023/2225 Art. 2(2), where the country's rules have such a row; see `flask kassa "
        "rules`).")
    rules: tuple[Rule, ...] = setting([], _rules, "Extra dated legal rows (country, key, value, "
                                      "effective_from, source, status) that extend the shipped "
                                      "table, e.g. a new half-year reference rate; a row of the "
                                      "same day replaces the shipped one. See `flask kassa "
                                      "rules` and the example below.")

    api_keys: dict[str, str] = setting({}, _api_keys, "Storefront name to API key for the "
                                       "storefront API (Bearer token, 24+ characters); empty "
                                       "turns the API off. A storefront key sees its own "
                                       "storefront's orders, invoices and support tasks only.",
                                       secret=True)
    backoffice_keys: dict[str, BackofficeKey] = setting(
        {}, _backoffice_keys, "Merchant back-office API keys: a name to `{\"key\": ..., "
        "\"scopes\": [...]}` (24+ characters; scopes `support:read`, `support:write`, "
        "`payments:read`). A back-office key sees the whole merchant's data within its scopes "
        "(every storefront's support tasks and holds, the unmatched bank payments). See "
        "docs/security.md.", secret=True)
    allowed_origins: tuple[str, ...] = setting(
        [], _origins, "Origins of the shop's own pages (`https://shop.example`; `http://` only "
        "for localhost and 127.0.0.1) whose browser scripts may confirm a checkout session "
        "(`POST .../checkout-sessions/<id>/confirm`) across origins; empty: none. See "
        "docs/security.md.")
    rate_limits: dict[str, str] = setting(
        dict(DEFAULT_RATE_LIMITS), _rate_limits, "Rate limits by name, each a limit such as "
        "`'10 per hour'` (several separated by `;`); a name left out keeps its default. "
        "`identity_per_session`: typed identity numbers and bank-ID starts per checkout "
        f"session ({DEFAULT_RATE_LIMITS['identity_per_session']}); "
        "`client_secret_per_session` and `client_secret_per_ip`: confirmations refused for a "
        f"wrong client secret ({DEFAULT_RATE_LIMITS['client_secret_per_session']}; "
        f"{DEFAULT_RATE_LIMITS['client_secret_per_ip']}); `token_pages_per_ip`: invoice and "
        "pay pages opened by a link's token, per client IP "
        f"({DEFAULT_RATE_LIMITS['token_pages_per_ip']}); `api_per_storefront`: storefront "
        f"API calls per storefront key ({DEFAULT_RATE_LIMITS['api_per_storefront']}); "
        "`account_sign_in_per_ip`: sign-in attempts and one-time codes typed on the "
        f"customer-service pages ({DEFAULT_RATE_LIMITS['account_sign_in_per_ip']}); "
        "`account_code_per_invoice`: one-time codes sent for one invoice "
        f"({DEFAULT_RATE_LIMITS['account_code_per_invoice']}). Over a limit "
        "Kassa answers 429 with `Retry-After`. See docs/security.md.")
    ratelimit_storage_url: str = setting(
        "memory://", _rate_limit_storage, "Where the rate limits are counted: `memory://` "
        "counts in each process; when several processes or hosts serve the shop, a Redis they "
        "share (`redis://127.0.0.1:6379/0`; needs `pip install 'kassa[redis]'`). While Redis "
        "cannot be reached, each process counts in its own memory.")
    ratelimit_key_prefix: str = setting(
        "kassa", _key_prefix, "Prefix of Kassa's rate-limit keys in Redis, so that several "
        "shops or environments can share one Redis database.")
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
    merchant_business_id: str | None = setting(
        "1234567-1", _business_id, "The merchant's business ID (Finnish Y-tunnus, Swedish "
        "organisationsnummer or Norwegian organisasjonsnummer, checked), printed on every invoice "
        "and reminder. The default is an example.")
    merchant_vat_number: str | None = setting(
        "FI12345671", _vat_number, "The merchant's VAT number (EU VAT or Norwegian MVA number, "
        "checked), printed on every invoice and reminder. The default is an example.")
    support_email: str | None = setting(None, _optional_text, "Where shoppers reach the "
                                        "merchant's customer service by e-mail, printed on "
                                        "invoices and reminders; empty: KASSA_MAIL_FROM.")
    support_phone: str | None = setting(None, _optional_text, "Customer service phone number "
                                        "printed on invoices and reminders; empty: none.")
    bankgiro: str | None = setting(None, _giro(7, 8, "Bankgiro"), "The merchant's Bankgiro "
                                   "number, printed on Swedish invoices and reminders beside the "
                                   "account; empty: none.")
    plusgiro: str | None = setting(None, _giro(2, 8, "Plusgiro"), "The merchant's Plusgiro "
                                   "number, printed on Swedish invoices and reminders; empty: "
                                   "none.")
    open_balance_cap: dict[str, int] = setting(
        {"FI": "5000.00", "SE": "50000.00", "NO": "50000.00"}, _minor_per_country,
        "Highest open balance a customer may have with the shop, per country, new purchase "
        "included; the default credit decision declines above it.")
    credit_registers: dict[str, CreditRegisterSetting] = setting(
        {}, _credit_registers, "Each country's credit register, asked before every credit "
        "offer is granted: a mapping of country code to `url` (https://, http:// only for "
        "localhost), optional `token` (sent as a Bearer token), `name` (kept with each "
        "decision) and `timeout_seconds` (1 to 30, default 10). The HTTP protocol is in "
        "docs/consumer-credit.md; a country without one is assessed on the shop's own history "
        "only.", secret=True)
    credit_register_unavailable: str = setting(
        "decline", _choice("decline", "merchant_history"), "What a credit offer gets when the "
        "country's register does not answer: `decline` (the shopper is told that invoice and "
        "instalments are not available right now) or `merchant_history` (decide on the shop's "
        "own history alone, and record that the register was not reached).")
    credit_max_payment_defaults: int = setting(
        0, _whole_number(0, 100), "Payment defaults or delays a register may report before a "
        "credit offer is declined (0: any declines it).")
    credit_max_unsecured_debt: dict[str, int] = setting(
        {"FI": "15000.00", "SE": "150000.00", "NO": "150000.00"}, _minor_per_country,
        "Highest unsecured consumer debt a register may report, this purchase included, per "
        "country; above it a credit offer is declined. A country left out has no such cap.")
    credit_max_debt_to_income_pct: Decimal | None = setting(
        "50", _optional_percent, "Highest unsecured debt, this purchase included, in percent of "
        "the gross annual income a register reports (where it reports one); above it a credit "
        "offer is declined. Empty turns the rule off.")
    max_order_amount: dict[str, int] = setting(
        {"FI": "100000.00", "SE": "1000000.00", "NO": "1000000.00"}, _order_amount_limits,
        "Largest order total, and so unit price, a checkout session or the offers endpoint "
        "accepts, per country in its currency (at most 1000000000.00); a larger amount is "
        "refused as input (`checkout.amount_limit`, `offers.amount_limit`). Every country of "
        "KASSA_COUNTRIES needs one.")
    strong_auth_countries: tuple[str, ...] = setting(
        ["FI"], lambda v: _countries(v) if v else (), "Countries where the shopper must identify "
        "with strong electronic identification (OIDC) before invoice or instalments.")
    oidc_issuer: str | None = setting(None, _optional_text, "Issuer URL of the OpenID Connect "
                                      "identity broker (FTN, BankID); discovery is read from "
                                      "it. Required when strong identification is on.")
    oidc_client_id: str | None = setting(None, _optional_text, "Kassa's client id at the "
                                         "identity broker.")
    oidc_client_secret: str | None = setting(None, _optional_secret, "Kassa's client secret at "
                                             "the identity broker.", secret=True)
    oidc_personal_id_claim: str = setting("personal_identity_number", _text, "ID-token claim "
                                          "that carries the national identity number.")
    oidc_purchase_hint: str | None = setting(
        None, _purchase_hint, "Where the broker can show the shopper what they sign in for: a "
        "`login_hint` value with `{text}` or `{text_base64}` standing for the merchant and the "
        "amount (`Nordic Home & Outdoors: 1 249,90 €`), e.g. `message:{text_base64}` for "
        "brokers that show it in the BankID app. Empty: no hint is sent (OpenID Connect has no "
        "standard field for it).")
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
    credit_reporting: dict[str, CreditReportingTarget] = setting(
        {}, _credit_reporting, "Where consumer credit is reported, per country (FI: the "
        "positive credit register; NO: the debt information companies): `url` (https://, "
        "http:// only for localhost) and `token` (Bearer, 16+ characters), optional `secret` "
        "(`whsec_...`: the body is signed as a Standard Webhook) and `creditor_id` (default "
        "KASSA_MERCHANT_BUSINESS_ID). A country with neither url nor token reports through a "
        "client the app plugs in. New credit, changes, the end of a credit and delays over the "
        "legal limit are queued in the outbox with the deadline the law sets; empty: nothing "
        "is reported. See docs/credit-reporting.md.", secret=True)

    support_hours: dict[str, OpeningHours] = setting(
        {k: dict(v) for k, v in DEFAULT_SUPPORT_HOURS.items()}, _parsed(parse_support_hours),
        "When the customer-service team answers, per country in its own time: weekdays "
        "(`mon`..`sun`) to windows such as `'09:00-11:30'`, and `closed`: the merchant's own "
        "closed days (`['2026-12-24']`); closed on the country's public holidays too. Shown on "
        "the contact page; callbacks are booked and service-level clocks count inside it. "
        "Default: "
        "Mon-Fri 09:00-16:00 in each country.")
    contact_ranking: dict[str, dict[str, tuple[str, ...]]] = setting(
        {}, _parsed(parse_contact_ranking), "The contact page's channels, best first, per "
        "country and topic (`balance`, `dispute`, `overdue`, `more_time`, `plan`; channels "
        "`self_service`, `phone`, `callback`, `message`, `email`); what is left out keeps the "
        "default from the Ropo end-customer survey 2024 (docs/customer-service.md).")
    self_service: dict[str, SelfServicePolicy] = setting(
        {}, _parsed(parse_self_service), "What shoppers may do alone on the customer-service "
        "pages, per country: `extension_days` (14), `extensions_per_invoice` (1), "
        "`extension_fee` ('0.00'), `plan_max_months` (6), `plan_min_instalment` ('20.00' "
        "EUR, '200.00' SEK and NOK), `plan_monthly_fee` ('0.00'), `plan_nominal_rate` ('0'). "
        "Beyond it a request goes to the team. Fees above the country's cap stop start-up.")
    upload_dir: str | None = setting(None, _optional_text, "Folder for files shoppers and "
                                     "staff attach to messages and disputes, outside the web "
                                     "root; empty: `kassa-uploads` in the app's instance "
                                     "folder.")
    upload_max_bytes: int = setting(5_000_000, _whole_number(10_000, 50_000_000), "Largest "
                                    "attachment, bytes (PDF, JPEG, PNG or plain text, checked "
                                    "by content).")
    account_idle_minutes: int = setting(20, _whole_number(5, 240), "Minutes of inactivity "
                                        "after which a shopper's customer-service session "
                                        "ends.")
    staff_totp_roles: tuple[str, ...] = setting(
        ["admin"], _staff_roles, "Help-console roles (`agent`, `supervisor`, `admin`) that must "
        "sign in with a one-time code from an authenticator app as well as the password; the "
        "user sets the app up from a QR code at the first sign-in.")
    staff_oidc_issuer: str | None = setting(None, _optional_text, "Issuer URL of the "
                                            "merchant's OpenID Connect provider for staff "
                                            "single sign-on; empty: passwords only.")
    staff_oidc_client_id: str | None = setting(None, _optional_text, "The help console's "
                                               "client id at the staff sign-on provider.")
    staff_oidc_client_secret: str | None = setting(None, _optional_secret, "The help "
                                                   "console's client secret at the staff "
                                                   "sign-on provider.", secret=True)
    staff_idle_minutes: int = setting(30, _whole_number(5, 480), "Minutes of inactivity after "
                                      "which a staff member's help-console session ends.")
    staff_lockout_attempts: int = setting(5, _whole_number(3, 20), "Wrong passwords or codes "
                                          "in a row after which a staff account is locked for "
                                          "KASSA_STAFF_LOCKOUT_MINUTES.")
    staff_lockout_minutes: int = setting(15, _whole_number(1, 1440), "Minutes a staff account "
                                         "stays locked after too many failed sign-ins.")

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
    ``DEBUG`` and ``TESTING`` in ``app_config`` let ``KASSA_PUBLIC_URL`` default.
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
    if values["public_url"] is None:
        if not (app_config.get("DEBUG") or app_config.get("TESTING")):
            raise ConfigurationError(PREFIX + "PUBLIC_URL", "is required: the absolute URL of the "
                                     "shop (https://shop.example) that links are built on")
        values["public_url"] = DEVELOPMENT_PUBLIC_URL
    config = KassaConfig(**values)
    for country in config.countries:
        if country not in config.products:
            raise ConfigurationError(PREFIX + "PRODUCTS", f"has no terms for {country}, which "
                                     "KASSA_COUNTRIES enables")
    for country in config.countries:
        if country not in config.max_order_amount:
            raise ConfigurationError(PREFIX + "MAX_ORDER_AMOUNT", f"has no limit for {country}, "
                                     "which KASSA_COUNTRIES enables")
    problem = validate_products_against_law(config.products, config.rulebook,
                                            today or date.today())
    if problem:
        raise ConfigurationError(PREFIX + "PRODUCTS", problem)
    problem = _self_service_against_law(config, today or date.today())
    if problem:
        raise ConfigurationError(PREFIX + "SELF_SERVICE", problem)
    return config


def _self_service_against_law(config: KassaConfig, today: date) -> str | None:
    """Why the self-service fees break a country's cap in force ``today``, or None."""
    for country, policy in config.self_service.items():
        fees = (("extension_fee", "extension_fee_cap_minor", policy.extension_fee_minor, ""),
                ("plan_monthly_fee", "plan_fee_cap_minor",
                 policy.plan_monthly_fee_minor * policy.plan_max_months,
                 f" over {policy.plan_max_months} months"))
        for name, key, minor, span in fees:
            cap = config.rulebook.find(country, key, today)
            if cap is not None and minor > cap.value:
                return (f"{country} {name}: {minor / 100:.2f}{span} is above the legal cap "
                        f"{cap.value / 100:.2f} ({cap.source})")
    return None


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
        "against them at start-up: a nominal rate, a fee or a total cost above the country's cap,",
        "or an invoice's days to pay below the minimum, stops start-up.",
        "",
        "A reference rate is set for each half-year (1 January, 1 July). When the rate in force",
        "today was not set for today's half-year, start-up logs a warning and",
        "`flask kassa rules` prints it; the older rate goes on applying until a row is added:",
        "",
        "```python",
        "KASSA_RULES = [",
        '    # value: the rate as published, in percent (a string, e.g. "2.5")',
        '    {"country": "SE", "key": "reference_rate_pct", "value": "X.X",',
        '     "effective_from": "2026-07-01",',
        '     "source": "Riksbanken, referensränta 1.7.-31.12.2026", "status": "C"},',
        "]",
        "```",
        "",
        "`status` is `C` (confirmed in law or an authority's publication), `S` (secondary source)",
        "or `U` (unconfirmed); a row of the same day as a shipped row replaces it.",
        "`flask kassa rules [--today YYYY-MM-DD]` lists, per served country, every row in force",
        "with its value, start, source and status.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover - documentation generator
    sys.stdout.write(render_docs())
