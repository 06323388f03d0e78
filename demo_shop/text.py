"""The demo shop's own words, from its own catalog: the ``demo`` translation domain in
``demo_shop/translations/<fi|sv|nb>/LC_MESSAGES/demo.po`` (English is the source), kept apart
from Kassa's ``kassa`` catalog as a real storefront keeps its own. ``make translations``
compiles it; ``demo_shop/babel.cfg`` says where its messages are.
"""

from __future__ import annotations

import os
from functools import cache
from typing import Any

from babel.support import NullTranslations, Translations

COUNTRY_LOCALE = {"FI": "fi", "SE": "sv", "NO": "nb"}
#: The demo's translation domain and where its catalogs live.
DOMAIN = "demo"
TRANSLATIONS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "translations")


def N_(message: str) -> str:
    """Mark ``message`` for the ``demo`` catalog where it is defined (a product name, a
    status); it is translated where it is shown."""
    return message


#: An invoice's status as the shop's thank-you page names it.
STATUS_LABELS = {
    "open": N_("Waiting for payment"),
    "paid": N_("Paid"),
    "partly_paid": N_("Partly paid"),
    "overdue": N_("Overdue"),
}


@cache
def _catalog(locale: str) -> NullTranslations:
    if locale not in COUNTRY_LOCALE.values():
        return NullTranslations()
    return Translations.load(TRANSLATIONS_DIR, [locale], domain=DOMAIN)


class ShopText:
    """``gettext`` and ``ngettext`` of the ``demo`` domain in one locale."""

    def __init__(self, locale: str) -> None:
        self.locale = locale
        self._messages = _catalog(locale)

    def __call__(self, message: str, **variables: Any) -> str:
        text = self._messages.ugettext(message)
        return text % variables if variables else text

    def ngettext(self, singular: str, plural: str, num: int, **variables: Any) -> str:
        """The plural form for ``num``; ``%(num)d`` is always available."""
        return self._messages.ungettext(singular, plural, num) % dict(variables, num=num)


def shop_text(locale: str) -> ShopText:
    """The shop's words in ``locale`` (English if unknown): ``shop_text("fi")("Cart")``."""
    return ShopText(locale)


def template_words(locale: str) -> dict[str, Any]:
    """What the demo's templates translate with: ``_``, ``gettext``, ``ngettext`` and the
    status labels, in ``locale``."""
    words = shop_text(locale)
    return {"_": words, "gettext": words, "ngettext": words.ngettext,
            "status_labels": STATUS_LABELS}


#: Example customers so a newcomer can click through the demo without typing.
DEMO_CUSTOMERS = {
    "FI": {
        "name": "Maija Meikäläinen",
        "email": "maija@example.fi",
        "phone": "+358401234567",
        "street": "Esimerkkikatu 2",
        "postal_code": "00100",
        "city": "Helsinki",
    },
    "SE": {
        "name": "Sven Svensson",
        "email": "sven@example.se",
        "phone": "+46701234567",
        "street": "Storgatan 1",
        "postal_code": "11122",
        "city": "Stockholm",
    },
    "NO": {
        "name": "Kari Nordmann",
        "email": "kari@example.no",
        "phone": "+4791234567",
        "street": "Storgata 1",
        "postal_code": "0155",
        "city": "Oslo",
    },
}
