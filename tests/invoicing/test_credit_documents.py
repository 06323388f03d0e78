"""The credit documents as PDFs: the pre-contract information (SECCI) and the credit agreement
state the offer's own figures in the reader's language, with the key facts on the first page."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pypdf
import pytest

from kassa.config import load_config
from kassa.core.credit import InstallmentProduct, build_installment_offer
from kassa.i18n import catalog, format_money, format_numeric_day, format_percent
from kassa.invoicing.credit_documents import (
    CreditDocumentFacts,
    agreement_pdf,
    daily_interest,
    precontract_pdf,
)
from kassa.services.representation import offer_json
from tests.conftest import base_config
from tests.documents import pdf_text

CONFIG = load_config(base_config(KASSA_SUPPORT_PHONE="+358 9 123 4567"))
PURCHASED = date(2026, 12, 2)
#: The published example (nordic-rules.md §4): 600 € in 6 monthly instalments of 100 € plus a
#: 3,95 € monthly fee at 0 % interest has an APR of 14.3 %.
SIX_MONTHS = InstallmentProduct(id="fi-6", months=6, nominal_rate=Decimal(0), setup_fee=0,
                                monthly_fee=395, min_amount=100, max_amount=500000,
                                currency="EUR")
LATE = {"currency": "EUR", "reminder_fee": 500, "late_interest_rate": "9.5",
        "reminder_fee_needs_agreement": False}


def facts(**changes: object) -> CreditDocumentFacts:
    offer = offer_json(build_installment_offer(SIX_MONTHS, 60000, PURCHASED))
    values: dict[str, object] = dict(
        offer=offer, late_payment=LATE, country="FI",
        goods=(("Villasukat", 2, 20000), ("Kalevala", 1, 40000)), cash_price=60000,
        withdrawal_days=14, withdrawal_repay_days=30,
        valid_until=datetime(2026, 12, 2, 18, 0, tzinfo=UTC))
    values.update(changes)
    return CreditDocumentFacts(**values)  # type: ignore[arg-type]


def first_page(data: bytes) -> str:
    return " ".join(pypdf.PdfReader(io.BytesIO(data)).pages[0].extract_text().split())


def plain(text: str) -> str:
    return " ".join(text.replace("\u00a0", " ").replace("\u202f", " ").split())


@pytest.mark.parametrize("locale", ["fi", "sv", "nb", "en"])
def test_precontract_information_states_the_offers_figures_first(locale: str) -> None:
    data = precontract_pdf(facts(), CONFIG, locale)
    overview, text = plain(first_page(data)), plain(pdf_text(data))
    # The published example's APR and figures computed by hand: 6 × (100,00 + 3,95).
    for figure in (format_percent(Decimal("14.3"), locale), format_money(62370, "EUR", locale),
                   format_money(60000, "EUR", locale), format_money(10395, "EUR", locale)):
        assert plain(figure) in overview, (locale, figure)
    title = catalog(locale).ugettext("Standard European Consumer Credit Information")
    assert plain(title) in overview
    # The schedule: six monthly due dates, the first a month after the purchase.
    for month in range(1, 7):
        due = date(2027, month, 2) if month > 1 else date(2027, 1, 2)
        assert format_numeric_day(due, locale) in text
    assert text.count(plain(format_money(395, "EUR", locale))) >= 6
    assert "14" in overview and format_numeric_day(PURCHASED, locale) in overview  # validity


def test_each_country_names_its_own_complaints_body_and_supervisor() -> None:
    finnish = pdf_text(precontract_pdf(facts(), CONFIG, "fi"))
    assert "kuluttajariitalautakunnan" in finnish and "Kilpailu- ja kuluttajavirasto" in finnish
    swedish = pdf_text(precontract_pdf(facts(country="SE"), CONFIG, "sv"))
    assert "Allmänna reklamationsnämnden" in swedish and "Konsumentverket" in swedish
    norwegian = pdf_text(precontract_pdf(facts(country="NO"), CONFIG, "nb"))
    assert "Forbrukerklageutvalget" in norwegian and "Forbrukertilsynet" in norwegian


def test_the_agreement_names_the_parties_and_how_to_withdraw() -> None:
    signed = facts(consumer={"name": "Maija Meikäläinen", "street": "Kotikatu 2",
                             "postal_code": "00100", "city": "Helsinki",
                             "email": "maija@example.fi"},
                   consumer_id_masked="131052-****", reference="A-100",
                   concluded_at=datetime(2026, 12, 2, 10, 30, tzinfo=UTC))
    text = plain(pdf_text(agreement_pdf(signed, CONFIG, "fi")))
    assert "Luottosopimus" in text
    for expected in ("Maija Meikäläinen", "131052-****", "Kotikatu 2", "A-100", "1234567-1",
                     "+358 9 123 4567", "14 kalenteripäivän", "30 päivän"):
        assert expected in text, expected
    assert "12.30" in text or "12:30" in text  # accepted at 10:30 UTC = 12:30 in Helsinki
    assert plain(format_money(62370, "EUR", "fi")) in text


def test_an_agreement_with_interest_states_the_interest_of_a_day() -> None:
    twelve = InstallmentProduct(id="fi-12", months=12, nominal_rate=Decimal("18"), setup_fee=0,
                                monthly_fee=0, min_amount=100, max_amount=500000,
                                currency="EUR")
    offer = offer_json(build_installment_offer(twelve, 100000, PURCHASED))
    text = plain(pdf_text(agreement_pdf(facts(offer=offer, cash_price=100000), CONFIG, "en")))
    # 1 000 € at 18 % a year for one day of 365: 0.4931... → 0.49 €.
    assert "Interest per day €0.49" in text


def test_daily_interest_rounds_half_up_on_exact_fractions() -> None:
    assert daily_interest(100000, Decimal("18")) == 49
    assert daily_interest(1825, Decimal("10")) == 1  # exactly 0.5 minor units
    assert daily_interest(36500, Decimal("9.9")) == 10  # 9.9 exactly
    assert daily_interest(50000, Decimal(0)) == 0
