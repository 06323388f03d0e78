"""Translations: fi, sv and nb are complete (Kassa's catalog and the demo shop's own), `no`
means nb, money and dates are written per locale, and the country of an invoice, not the
language, chooses its words."""

from __future__ import annotations

import pathlib
import subprocess
import sys

import pytest
from babel.messages.pofile import read_po

from kassa.i18n import (
    country_word,
    document_filename,
    format_money,
    format_numeric_day,
    format_percent,
    normalize_locale,
    translator,
)

ROOT = pathlib.Path(__file__).resolve().parents[1]
LOCALES = ("fi", "sv", "nb")
#: Kassa's own catalog and the demo shop's: (domain, folder of the catalogs, extraction map).
DOMAINS = {"kassa": ("translations", "translations/babel.cfg"),
           "demo": ("demo_shop/translations", "demo_shop/babel.cfg")}

#: A message as gettext finds it: its context (None for most) and its id.
MessageKey = tuple[str | None, str]


def catalog(locale: str, domain: str = "kassa"):  # type: ignore[no-untyped-def]
    folder = DOMAINS[domain][0]
    with open(ROOT / folder / locale / "LC_MESSAGES" / f"{domain}.po", "rb") as handle:
        return read_po(handle)


def _key(message) -> MessageKey:  # type: ignore[no-untyped-def]
    return message.context, message.id if isinstance(message.id, str) else message.id[0]


@pytest.fixture(scope="module")
def source_messages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, set[MessageKey]]:
    """Every message (with its context) in each domain's code and templates, extracted
    afresh."""
    found = {}
    for domain, (_folder, mapping) in DOMAINS.items():
        pot = tmp_path_factory.mktemp("pot") / f"{domain}.pot"
        subprocess.run(
            [sys.executable, "-m", "babel.messages.frontend", "extract",
             "-F", mapping, "-k", "lazy_gettext", "-k", "_l", "-o", str(pot), "."],
            cwd=ROOT, check=True,
        )
        with open(pot, "rb") as handle:
            found[domain] = {_key(m) for m in read_po(handle) if m.id}
    return found


@pytest.mark.parametrize("domain", DOMAINS)
@pytest.mark.parametrize("locale", LOCALES)
def test_catalog_translates_every_string_in_the_code(
        locale: str, domain: str, source_messages: dict[str, set[MessageKey]]) -> None:
    wanted = source_messages[domain]
    messages = {_key(m): m for m in catalog(locale, domain) if m.id}
    missing = sorted(wanted - set(messages), key=str)
    assert not missing, f"{locale}: not in the catalog, run make translations-update: {missing[:5]}"
    untranslated = [key for key, m in messages.items()
                    if key in wanted and (m.fuzzy or not all(
                        m.string if isinstance(m.string, tuple) else (m.string,)))]
    assert not untranslated, f"{locale}: untranslated or fuzzy: {untranslated[:5]}"


def test_country_messages_are_extracted_with_their_context(
        source_messages: dict[str, set[MessageKey]]) -> None:
    # A context lost on the way (a variable instead of "SE") would merge the countries.
    assert ("SE", "OCR number") in source_messages["kassa"]
    assert ("NO", "Please enter your national identity number.") in source_messages["kassa"]
    assert ("FI", "Identify with your online banking codes") in source_messages["kassa"]


@pytest.mark.parametrize("domain", DOMAINS)
@pytest.mark.parametrize("locale", LOCALES)
def test_placeholders_survive_translation(locale: str, domain: str) -> None:
    import re

    pattern = re.compile(r"%\(\w+\)[sd]")
    for message in catalog(locale, domain):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(pattern.findall(ids[-1]))
        for text in strings:
            assert set(pattern.findall(text)) <= wanted | set(pattern.findall(ids[0])), (
                locale, message.id)
            assert wanted - {"%(num)d"} <= set(pattern.findall(text)), (locale, message.id)


@pytest.mark.parametrize(
    ("tag", "locale"),
    [("no", "nb"), ("nn-NO", "nb"), ("nb", "nb"), ("sv-SE", "sv"), ("fi_FI", "fi"),
     ("en-GB", "en"), ("de", None), ("", None)],
)
def test_language_tags_map_to_kassa_locales(tag: str, locale: str | None) -> None:
    assert normalize_locale(tag) == locale


def test_money_is_written_as_each_locale_writes_it() -> None:
    nbsp = "\u00a0"
    assert format_money(123450, "EUR", "fi") == f"1{nbsp}234,50{nbsp}€"
    assert format_money(123450, "SEK", "sv") == f"1{nbsp}234,50{nbsp}kr"
    assert format_money(123450, "NOK", "nb").replace(nbsp, " ") in ("1 234,50 kr", "kr 1 234,50")
    assert format_money(-5, "EUR", "en") == "-€0.05"
    from decimal import Decimal

    assert format_percent(Decimal("12.4"), "fi") == f"12,4{nbsp}%"


def test_page_follows_accept_language_and_lang_parameter(make_app) -> None:  # type: ignore[no-untyped-def]
    client = make_app(None, upgrade=False).test_client()
    finnish = client.get("/kassa/checkout/options?amount=12990&country=FI",
                         headers={"Accept-Language": "fi-FI,fi;q=0.9"})
    assert finnish.status_code == 200
    assert 'lang="fi"' in finnish.text and "Maksa laskulla" in finnish.text
    norwegian = client.get("/kassa/checkout/options?amount=250000&country=NO&lang=no")
    assert 'lang="nb"' in norwegian.text and "Betal med faktura" in norwegian.text
    assert "2\u00a0500,00\u00a0kr" in norwegian.text


def test_documents_write_dates_as_each_language_does_on_paper() -> None:
    from datetime import date

    day = date(2026, 12, 2)
    assert [format_numeric_day(day, locale) for locale in ("fi", "sv", "nb", "en")] == [
        "2.12.2026", "2026-12-02", "02.12.2026", "2026-12-02"]
    assert format_numeric_day(date(2027, 1, 9), "fi") == "9.1.2027"
    assert format_numeric_day(date(2027, 1, 9), "no") == "09.01.2027"  # no means nb


@pytest.mark.parametrize(
    ("locale", "words"),
    [
        # FI, SE, NO: the invoice's country chooses the term, the language how it is written.
        ("fi", ("Viitenumero", "OCR-viite", "KID-viite")),
        ("sv", ("Referensnummer", "OCR-nummer", "KID-nummer")),
        ("nb", ("Referansenummer", "OCR-nummer", "KID-nummer")),
        ("en", ("Reference number", "OCR number", "KID number")),
    ],
)
def test_the_reference_is_named_by_the_invoice_country(locale: str,
                                                       words: tuple[str, str, str]) -> None:
    assert tuple(country_word(locale, country, "reference")
                 for country in ("FI", "SE", "NO")) == words
    # A translator fixed to the locale names it the same way.
    assert country_word(translator(locale), "SE", "reference") == words[1]


def test_identity_number_and_bank_id_follow_the_country() -> None:
    assert country_word("sv", "FI", "personal_id") == "Personbeteckning"
    assert country_word("sv", "SE", "personal_id") == "Personnummer"
    assert country_word("fi", "NO", "personal_id").startswith("Henkilötunnus")
    assert country_word("nb", "NO", "personal_id") == "Fødselsnummer"
    assert country_word("sv", "FI", "bank_id") == "Bankkoder"
    assert country_word("fi", "FI", "bank_id") == "Pankkitunnukset"
    assert country_word("fi", "SE", "bank_id") == country_word("nb", "NO", "bank_id") == "BankID"
    with pytest.raises(ValueError):
        country_word("fi", "FI", "iban")


def test_translator_knows_contexts_and_plural_forms() -> None:
    swedish = translator("sv")
    assert swedish.pgettext("SE", "Please enter your personal identity number.") == (
        "Ange ditt personnummer.")
    assert swedish.pgettext("FI", "Please enter your personal identity code.") == (
        "Ange din personbeteckning.")
    one, three = (swedish.ngettext("Pay in %(num)d month", "Pay in %(num)d months", n)
                  for n in (1, 3))
    assert (one, three) == ("Dela upp på 1 månad", "Dela upp på 3 månader")


@pytest.mark.parametrize(
    ("kind", "locale", "name"),
    [
        ("invoice", "fi", "lasku-2026-0012.pdf"),
        ("invoice", "sv", "faktura-2026-0012.pdf"),
        ("reminder", "fi", "maksumuistutus-2026-0012.pdf"),
        ("reminder", "sv", "betalningspaminnelse-2026-0012.pdf"),
        ("reminder", "nb", "purring-2026-0012.pdf"),
        ("inkassovarsel", "nb", "inkassovarsel-2026-0012.pdf"),
        ("plan", "fi", "maksusuunnitelma-2026-0012.pdf"),
        ("extension", "fi", "lisaaika-2026-0012.pdf"),
        ("invoice", "en", "invoice-2026-0012.pdf"),
        ("reminder", "de", "reminder-2026-0012.pdf"),  # unknown language: English
        ("agreement", "fi", "luottosopimus-2026-0012.pdf"),
        ("agreement", "sv", "kreditavtal-2026-0012.pdf"),
        ("agreement", "nb", "kredittavtale-2026-0012.pdf"),
        ("precontract", "sv", "konsumentkreditinformation-2026-0012.pdf"),
        ("precontract", "en", "credit-information-2026-0012.pdf"),
    ],
)
def test_attachment_names_follow_the_language(kind: str, locale: str, name: str) -> None:
    assert document_filename(kind, "2026-0012", locale) == name


def test_attachment_names_are_plain_ascii_whatever_the_number() -> None:
    for kind in ("invoice", "reminder", "inkassovarsel", "plan", "extension", "precontract",
                 "agreement"):
        for locale in ("fi", "sv", "nb", "en"):
            name = document_filename(kind, 'Ä/12 "3"\\x', locale)
            assert name.isascii() and name.endswith("-123x.pdf"), name
            assert not set(name) & set(' /\\"\'')
    with pytest.raises(ValueError):
        document_filename("receipt", "1", "fi")
