"""The names of the Nordic public holidays in the reader's language, for the contact page.

:mod:`kassa.core.calendar` names the bank-closing days in English (as the ``holidays``
package does, plus the eves it adds); the contact page lists the coming ones in the page's
language, so each name is a catalog entry with the context ``holiday``.
"""

from __future__ import annotations

from functools import cache

from ..i18n import Translator, current_locale


def holiday_name(english: str, locale: str | None = None) -> str:
    """``english`` (a name from :meth:`BusinessCalendar.holiday_name`) in ``locale`` (default:
    the page's). Two holidays on one day come joined with ``"; "`` and are translated one by
    one; a name Kassa does not know stays in English."""
    names = _names(locale or current_locale())
    return "; ".join(names.get(part, part) for part in english.split("; "))


@cache
def _names(locale: str) -> dict[str, str]:
    # Written out call by call, so that the extraction tools find each context and message.
    t = Translator(locale)
    return {
        "New Year's Day": t.pgettext("holiday", "New Year's Day"),
        "Epiphany": t.pgettext("holiday", "Epiphany"),
        "Maundy Thursday": t.pgettext("holiday", "Maundy Thursday"),
        "Good Friday": t.pgettext("holiday", "Good Friday"),
        "Easter Sunday": t.pgettext("holiday", "Easter Sunday"),
        "Easter Monday": t.pgettext("holiday", "Easter Monday"),
        "May Day": t.pgettext("holiday", "May Day"),
        "Labor Day": t.pgettext("holiday", "Labor Day"),
        "Constitution Day": t.pgettext("holiday", "Constitution Day"),
        "Ascension Day": t.pgettext("holiday", "Ascension Day"),
        "Pentecost": t.pgettext("holiday", "Pentecost"),
        "Pentecost Monday": t.pgettext("holiday", "Pentecost Monday"),
        "National Day": t.pgettext("holiday", "National Day"),
        "Midsummer Eve": t.pgettext("holiday", "Midsummer Eve"),
        "Midsummer Day": t.pgettext("holiday", "Midsummer Day"),
        "All Saints' Day": t.pgettext("holiday", "All Saints' Day"),
        "Independence Day": t.pgettext("holiday", "Independence Day"),
        "Christmas Eve": t.pgettext("holiday", "Christmas Eve"),
        "Christmas Day": t.pgettext("holiday", "Christmas Day"),
        "Second Day of Christmas": t.pgettext("holiday", "Second Day of Christmas"),
        "New Year's Eve": t.pgettext("holiday", "New Year's Eve"),
    }
