"""Kassa's own ``kassa`` translation domain and locale-aware formatting.

Kassa does not touch the host app's translations or its Flask-Babel setup: it loads its own
catalogs from the package's ``translations`` folder and picks the language per request, for
its own pages only. English is the source language; ``no`` (and ``nn``) in a URL or an
``Accept-Language`` header means Norwegian Bokmål (``nb``). Money, dates and numbers are
formatted by Babel in that locale (``1 234,50 €`` in fi, ``1 234,50 kr`` in sv and nb).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from functools import cache, lru_cache
from typing import Any

from babel.dates import format_date as _babel_format_date
from babel.numbers import format_currency, format_decimal
from babel.support import LazyProxy, NullTranslations, Translations
from flask import g, has_request_context, request

from .config import LOCALES
from .core.money import minor_unit_exponent

DOMAIN = "kassa"


def translations_dir() -> str:
    """Where the compiled catalogs live: the ``translations`` package shipped with Kassa."""
    from . import translations as package

    return os.path.dirname(os.path.abspath(package.__file__))


@cache
def catalog(locale: str) -> NullTranslations:
    """The compiled catalog of ``locale``; English and unknown locales use the source text."""
    if locale == "en":
        return NullTranslations()
    return Translations.load(translations_dir(), [locale], domain=DOMAIN)


def normalize_locale(value: str | None) -> str | None:
    """``fi``, ``sv``, ``nb`` or ``en`` from a tag such as ``sv-SE`` or ``no``; else None."""
    if not value:
        return None
    primary = value.replace("_", "-").split("-")[0].strip().lower()
    primary = "nb" if primary in ("no", "nn") else primary
    return primary if primary in LOCALES else None


def select_locale(default: str) -> str:
    """The page's locale: ``?lang=``, then the request's chosen locale, then Accept-Language."""
    if not has_request_context():
        return default
    chosen = normalize_locale(request.args.get("lang")) or normalize_locale(
        getattr(g, "kassa_locale", None)
    )
    if chosen:
        return chosen
    for tag, _quality in request.accept_languages:
        found = normalize_locale(tag)
        if found:
            return found
    return default


def current_locale() -> str:
    """The locale of the current request (set by Kassa's blueprints), or English."""
    if has_request_context():
        return getattr(g, "kassa_locale", None) or "en"
    return "en"


def gettext(message: str, **variables: Any) -> str:
    """Translate ``message`` into the current locale and fill in ``%(name)s`` variables."""
    text = catalog(current_locale()).ugettext(message)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, num: int, **variables: Any) -> str:
    """Translate with the plural form for ``num``; ``%(num)d`` is always available."""
    text = catalog(current_locale()).ungettext(singular, plural, num)
    return text % dict(variables, num=num)


def pgettext(context: str, message: str, **variables: Any) -> str:
    """Translate ``message`` as written for ``context`` (the ``msgctxt``), e.g. a sentence
    whose words depend on the invoice's country (``pgettext("SE", ...)``)."""
    text = catalog(current_locale()).upgettext(context, message)
    return text % variables if variables else text


def npgettext(context: str, singular: str, plural: str, num: int, **variables: Any) -> str:
    """:func:`ngettext` for ``context``; ``%(num)d`` is always available."""
    text = catalog(current_locale()).unpgettext(context, singular, plural, num)
    return text % dict(variables, num=num)


def lazy_gettext(message: str, **variables: Any) -> LazyProxy:
    """A translation resolved when it is rendered, for module-level strings such as forms."""
    return LazyProxy(gettext, message, enable_cache=False, **variables)


_ = gettext


def N_(message: str) -> str:
    """Mark ``message`` for extraction into the ``kassa`` catalog where it is defined (a label
    in a table); translate it where it is shown, with :func:`gettext` or :func:`translator`."""
    return message


class Translator:
    """``gettext``, ``ngettext``, ``pgettext`` and ``npgettext`` of the ``kassa`` domain fixed
    to one locale, usable without a request: what :func:`translator` returns.

    Calling it is ``gettext``. ``%(name)s`` variables are filled in; ``%(num)d`` is always
    available to the plural forms.
    """

    def __init__(self, locale: str | None) -> None:
        #: ``fi``, ``sv``, ``nb`` or ``en`` (an unknown locale answers in English).
        self.locale = normalize_locale(locale) or "en"
        self._messages = catalog(self.locale)

    def __call__(self, message: str, **variables: Any) -> str:
        return self.gettext(message, **variables)

    def gettext(self, message: str, **variables: Any) -> str:
        """``message`` in this locale."""
        text = self._messages.ugettext(message)
        return text % variables if variables else text

    def ngettext(self, singular: str, plural: str, num: int, **variables: Any) -> str:
        """The plural form for ``num``."""
        return self._messages.ungettext(singular, plural, num) % dict(variables, num=num)

    def pgettext(self, context: str, message: str, **variables: Any) -> str:
        """``message`` as translated for ``context`` (``msgctxt``), e.g. a country code."""
        text = self._messages.upgettext(context, message)
        return text % variables if variables else text

    def npgettext(self, context: str, singular: str, plural: str, num: int,
                  **variables: Any) -> str:
        """The plural form for ``num`` as translated for ``context``."""
        text = self._messages.unpgettext(context, singular, plural, num)
        return text % dict(variables, num=num)


def translator(locale: str | None) -> Translator:
    """A ``gettext`` of the ``kassa`` domain fixed to ``locale``, usable without a request.

    The one way to translate outside a request (the outbox worker, the reminder run, the
    CLI), where :func:`gettext` answers in English. Call it as
    ``_ = translator("fi")`` then ``_("Invoice %(number)s", number=...)``, or
    ``_.pgettext("SE", ...)`` and ``_.ngettext(...)``; the extraction tools find these calls
    like any other ``_()``. An unknown locale gives the English source.
    """
    return Translator(locale)


def format_money(minor: int, currency: str, locale: str | None = None) -> str:
    """``minor`` units of ``currency`` as the locale writes money, e.g. ``1 234,50 €``."""
    return _money_text(minor, currency, locale or current_locale())


@lru_cache(maxsize=8192)
def _money_text(minor: int, currency: str, locale: str) -> str:
    # Babel takes ~40 µs per amount and a checkout page shows the same few amounts many
    # times (every instalment of a schedule): remember the text of recent amounts.
    amount = Decimal(minor).scaleb(-minor_unit_exponent(currency))
    return format_currency(amount, currency, locale=locale)


def format_percent(value: Decimal, locale: str | None = None) -> str:
    """A percent figure such as APR with one decimal, e.g. ``12,4 %`` in fi."""
    return _percent_text(value, locale or current_locale())


@lru_cache(maxsize=1024)
def _percent_text(value: Decimal, locale: str) -> str:
    number = format_decimal(value, format="#,##0.0", locale=locale)
    return f"{number}\u00a0%"


def format_day(day: date, locale: str | None = None) -> str:
    """A date as the locale writes it in running text (``22.11.2026`` in fi)."""
    return _day_text(day, locale or current_locale())


@lru_cache(maxsize=8192)
def _day_text(day: date, locale: str) -> str:
    return _babel_format_date(day, format="short" if locale == "en" else "medium",
                              locale=locale)


#: How each language writes a date on a document: fi 2.12.2026, sv 2026-12-02,
#: nb 02.12.2026, en 2026-12-02 (ISO, read the same everywhere).
_NUMERIC_DAY = {"fi": "{d.day}.{d.month}.{d.year}", "sv": "{d:%Y-%m-%d}",
                "nb": "{d:%d.%m.%Y}", "en": "{d:%Y-%m-%d}"}


def format_numeric_day(day: date, locale: str | None = None) -> str:
    """A date as documents print it in ``locale``: fi ``2.12.2026``, sv ``2026-12-02``,
    nb ``02.12.2026``, en ``2026-12-02``."""
    pattern = _NUMERIC_DAY.get(normalize_locale(locale or current_locale()) or "en",
                               _NUMERIC_DAY["en"])
    return pattern.format(d=day)


#: The country terms :func:`country_word` knows.
COUNTRY_WORDS = ("reference", "bank_id", "personal_id")


def country_word(language: str | Translator | Callable[..., str] | None, country: str,
                 word: str) -> str:
    """The name of a country's payment reference, bank identification or identity number,
    as a label (capitalised) in the reader's language: the country of the invoice or the
    checkout chooses the term, the language only how it is written.

    ``word`` is ``"reference"`` (FI viitenumero, SE OCR-nummer, NO KID), ``"bank_id"``
    (FI pankkitunnukset, SE and NO BankID) or ``"personal_id"`` (FI henkilötunnus,
    SE personnummer, NO fødselsnummer); ``country`` is ``FI``, ``SE`` or ``NO`` (another
    country gets the general term). So a Swedish text about a Finnish invoice says
    "Referensnummer", about a Swedish one "OCR-nummer".

    ``language`` is a locale (``"sv"``), a :class:`Translator` from :func:`translator`, or
    :func:`gettext` (or None) for the current request's locale. The terms are catalog
    entries with the country code as their context (``msgctxt "SE"``).

    :raises ValueError: for a ``word`` not in :data:`COUNTRY_WORDS`.
    """
    if word not in COUNTRY_WORDS:
        raise ValueError(f"unknown country word {word!r}; one of {', '.join(COUNTRY_WORDS)}")
    if isinstance(language, Translator):
        locale = language.locale
    elif isinstance(language, str):
        locale = normalize_locale(language) or "en"
    else:
        locale = current_locale()
    return _country_words(locale).get((country.upper(), word)) or _general_words(locale)[word]


@cache
def _country_words(locale: str) -> dict[tuple[str, str], str]:
    # Written out call by call, so that the extraction tools find each context and message.
    t = Translator(locale)
    return {
        ("FI", "reference"): t.pgettext("FI", "Reference number"),
        ("SE", "reference"): t.pgettext("SE", "OCR number"),
        ("NO", "reference"): t.pgettext("NO", "KID number"),
        ("FI", "bank_id"): t.pgettext("FI", "Online banking codes"),
        ("SE", "bank_id"): t.pgettext("SE", "BankID"),
        ("NO", "bank_id"): t.pgettext("NO", "BankID"),
        ("FI", "personal_id"): t.pgettext("FI", "Personal identity code"),
        ("SE", "personal_id"): t.pgettext("SE", "Personal identity number"),
        ("NO", "personal_id"): t.pgettext("NO", "National identity number"),
    }


@cache
def _general_words(locale: str) -> dict[str, str]:
    t = Translator(locale)
    return {"reference": t.gettext("Reference"), "bank_id": t.gettext("Bank ID"),
            "personal_id": t.gettext("Personal identity number")}


#: The start of a document's file name, by kind and language (ASCII, for every mail client).
_FILE_STEMS: dict[str, dict[str, str]] = {
    "invoice": {"fi": "lasku", "sv": "faktura", "nb": "faktura", "en": "invoice"},
    "reminder": {"fi": "maksumuistutus", "sv": "betalningspaminnelse", "nb": "purring",
                 "en": "reminder"},
    "inkassovarsel": {"fi": "perintavaroitus", "sv": "inkassovarning", "nb": "inkassovarsel",
                      "en": "collection-notice"},
    "extension": {"fi": "lisaaika", "sv": "ny-forfallodag", "nb": "ny-forfallsdato",
                  "en": "new-due-date"},
    "plan": {"fi": "maksusuunnitelma", "sv": "avbetalningsplan", "nb": "nedbetalingsplan",
             "en": "payment-plan"},
    "credit": {"fi": "hyvityslasku", "sv": "kreditnota", "nb": "kreditnota",
               "en": "credit-note"},
    "precontract": {"fi": "kuluttajaluottotiedot", "sv": "konsumentkreditinformation",
                    "nb": "kredittopplysninger", "en": "credit-information"},
    "agreement": {"fi": "luottosopimus", "sv": "kreditavtal", "nb": "kredittavtale",
                  "en": "credit-agreement"},
}


def document_filename(kind: str, number: str, locale: str | None) -> str:
    """The file name of a document in the reader's language, ASCII only so that every mail
    program and file system keeps it: ``lasku-2026000123.pdf``, ``purring-2026000123.pdf``.

    ``kind`` is ``invoice``, ``reminder``, ``inkassovarsel``, ``plan``, ``extension``,
    ``credit`` (a credit note), or for a consumer credit ``precontract`` (its pre-contract
    information) or ``agreement``; ``number`` is
    the invoice number, or for a credit document the order's reference (characters other
    than ASCII letters, digits, ``-`` and ``_`` are left out). An unknown locale gives the
    English name.

    :raises ValueError: for an unknown ``kind``.
    """
    stems = _FILE_STEMS.get(kind)
    if stems is None:
        raise ValueError(f"unknown document kind {kind!r}; one of {', '.join(_FILE_STEMS)}")
    stem = stems.get(normalize_locale(locale) or "en", stems["en"])
    safe = "".join(c for c in number if c.isascii() and (c.isalnum() or c in "-_"))
    return f"{stem}-{safe}.pdf"
