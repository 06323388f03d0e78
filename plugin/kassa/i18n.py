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


def lazy_gettext(message: str, **variables: Any) -> LazyProxy:
    """A translation resolved when it is rendered, for module-level strings such as forms."""
    return LazyProxy(gettext, message, enable_cache=False, **variables)


_ = gettext


def N_(message: str) -> str:
    """Mark ``message`` for extraction into the ``kassa`` catalog where it is defined (a label
    in a table); translate it where it is shown, with :func:`gettext` or :func:`translator`."""
    return message


def translator(locale: str | None) -> Callable[..., str]:
    """A ``gettext`` of the ``kassa`` domain fixed to ``locale``, usable without a request.

    The one way to translate outside a request (the outbox worker, the reminder run, the
    CLI), where :func:`gettext` answers in English. Call it as
    ``_ = translator("fi")`` then ``_("Invoice %(number)s", number=...)``; the extraction
    tools find these calls like any other ``_()``. An unknown locale gives the English source.
    """
    messages = catalog(normalize_locale(locale) or "en")

    def translate(message: str, **variables: Any) -> str:
        text = messages.ugettext(message)
        return text % variables if variables else text

    return translate


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
