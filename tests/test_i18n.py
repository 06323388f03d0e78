"""Translations: fi, sv and nb are complete, `no` means nb, money is formatted per locale."""

from __future__ import annotations

import pathlib
import subprocess
import sys

import pytest
from babel.messages.pofile import read_po

from kassa.i18n import format_money, format_percent, normalize_locale

ROOT = pathlib.Path(__file__).resolve().parents[1]
LOCALES = ("fi", "sv", "nb")


def catalog(locale: str):  # type: ignore[no-untyped-def]
    with open(ROOT / "translations" / locale / "LC_MESSAGES" / "kassa.po", "rb") as handle:
        return read_po(handle)


@pytest.fixture(scope="module")
def source_messages(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """Every message id in Kassa's code and templates, extracted afresh."""
    pot = tmp_path_factory.mktemp("pot") / "kassa.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract",
         "-F", "translations/babel.cfg", "-k", "lazy_gettext", "-k", "_l", "-o", str(pot), "."],
        cwd=ROOT, check=True,
    )
    with open(pot, "rb") as handle:
        return {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}


@pytest.mark.parametrize("locale", LOCALES)
def test_catalog_translates_every_string_in_the_code(locale: str,
                                                     source_messages: set[str]) -> None:
    messages = {m.id if isinstance(m.id, str) else m.id[0]: m for m in catalog(locale) if m.id}
    missing = sorted(source_messages - set(messages))
    assert not missing, f"{locale}: not in the catalog, run make translations-update: {missing[:5]}"
    untranslated = [key for key, m in messages.items()
                    if key in source_messages and (m.fuzzy or not all(
                        m.string if isinstance(m.string, tuple) else (m.string,)))]
    assert not untranslated, f"{locale}: untranslated or fuzzy: {untranslated[:5]}"


@pytest.mark.parametrize("locale", LOCALES)
def test_placeholders_survive_translation(locale: str) -> None:
    import re

    pattern = re.compile(r"%\(\w+\)[sd]")
    for message in catalog(locale):
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
