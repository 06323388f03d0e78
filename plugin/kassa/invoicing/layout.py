"""What every Kassa document shares: fonts, the seller's letterhead, the recipient, the
payment slip and the footer with the seller's details (fpdf2, A4).

The invoice (:mod:`kassa.invoicing.pdf`) and the notices after it (:mod:`kassa.invoicing.
notices`: reminders, Norway's inkassovarsel, confirmations of more time) are built from these
parts, so a reminder pays exactly as an invoice does: the same account, reference, EPC QR
code and Finnish bar code, for the amount and deadline of that document.

Text is set in Lato, a Unicode TrueType font shipped by the ``font-lato`` package, so that
``ä``, ``ö``, ``å``, ``ø`` and ``€`` print anywhere the wheel is installed. Without it, the
DejaVu fonts of the operating system are used, and as a last resort PDF's built-in
Helvetica (Windows-1252: enough for the Nordic letters and the euro sign). Dates are printed
in the numeric form each language uses on paper (:func:`kassa.i18n.format_numeric_day`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any

from babel.numbers import format_decimal
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from ..config import KassaConfig
from ..i18n import Translator, country_word, format_money, format_numeric_day, translator
from . import PaymentDetails
from .code128 import draw_code128
from .qr import epc_qr_png

_FAMILY = "kassa"
_FALLBACK_FONTS = (  # Debian/Ubuntu (fonts-dejavu-core), Fedora, Arch
    ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
     "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
    ("/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf",
     "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans-Bold.ttf"),
    ("/usr/share/fonts/TTF/DejaVuSans.ttf", "/usr/share/fonts/TTF/DejaVuSans-Bold.ttf"),
)
MARGIN = 18.0  # mm
_QR_SIZE = 36.0  # mm: scannable from paper and from a screen
_BARCODE_HEIGHT = 13.0  # mm
GREY = (90, 90, 90)


@cache
def _font_files() -> tuple[str, str] | None:
    """Regular and bold TrueType files, or None to use the built-in Helvetica."""
    try:
        import font_lato  # type: ignore[import-untyped]

        regular, bold = font_lato.font_files["Lato"], font_lato.font_files["LatoBold"]
        if os.path.exists(regular) and os.path.exists(bold):
            return regular, bold
    except (ImportError, KeyError, AttributeError):
        pass
    for regular, bold in _FALLBACK_FONTS:
        if os.path.exists(regular) and os.path.exists(bold):
            return regular, bold
    return None


@dataclass(frozen=True)
class Page:
    """One document being written: the PDF, its font family and its language."""

    pdf: FPDF
    family: str
    locale: str
    currency: str
    country: str
    unicode_font: bool
    gettext: Translator

    def text(self, value: str) -> str:
        """``value`` in the font's character set."""
        # Babel may use a narrow no-break space (U+202F); Lato has no glyph for it.
        value = value.replace("\u202f", "\u00a0")
        if not self.unicode_font:
            value = value.encode("windows-1252", "replace").decode("windows-1252")
        return value

    def money(self, minor: int) -> str:
        return self.text(format_money(minor, self.currency, self.locale))

    def day(self, value: date) -> str:
        return self.text(format_numeric_day(value, self.locale))

    def percent(self, rate: Decimal) -> str:
        return self.text(format_decimal(rate, format="#,##0.##", locale=self.locale) + "\u00a0%")

    def word(self, word: str) -> str:
        """A term that depends on the document's country (``reference``: viitenumero,
        OCR-nummer, KID), in its language."""
        return self.text(country_word(self.locale, self.country, word))

    def font(self, size: float, *, bold: bool = False) -> None:
        self.pdf.set_font(self.family, "B" if bold else "", size)

    def heading(self, text: str) -> None:
        self.pdf.ln(2)
        self.font(11, bold=True)
        self.pdf.cell(0, 7, self.text(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def paragraph(self, text: str, *, size: float = 9.5, width: float = 0) -> None:
        self.font(size)
        self.pdf.multi_cell(width, 4.8, self.text(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def label_value(self, label: str, value: str, *, bold: bool = False,
                    size: float = 10) -> None:
        """A right-aligned line of a sum: label, then the amount."""
        self.font(size, bold=bold)
        self.pdf.cell(self.pdf.epw - 45, 6, self.text(label), align="R")
        self.pdf.cell(45, 6, self.text(value), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def new_page(config: KassaConfig, *, locale: str, currency: str, country: str, title: str,
             created_at: datetime | None = None) -> Page:
    """An A4 document with its metadata set and its first page added. ``created_at`` fixes
    the creation date (otherwise now): with it the output is byte for byte reproducible."""
    files = _font_files()
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(True, margin=MARGIN + 8)
    if files is not None:
        pdf.add_font(_FAMILY, "", files[0])
        pdf.add_font(_FAMILY, "B", files[1])
        family = _FAMILY
    else:
        pdf.core_fonts_encoding = "windows-1252"
        family = "helvetica"
    page = Page(pdf, family, locale, currency, country, files is not None, translator(locale))
    pdf.set_title(page.text(title))
    pdf.set_author(page.text(config.shop_name))
    pdf.set_creator("Kassa")
    pdf.set_lang(locale)
    if created_at is not None:
        pdf.set_creation_date(created_at)
    footer = _footer_lines(page, config)
    pdf.footer = lambda: _footer(page, footer)  # type: ignore[method-assign]
    pdf.add_page()
    return page


def letterhead(page: Page, config: KassaConfig, title: str) -> None:
    """The seller's name and address on the left, the document's title on the right."""
    pdf = page.pdf
    top = pdf.get_y()
    page.font(16, bold=True)
    pdf.cell(110, 8, page.text(config.shop_name), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    page.font(9)
    pdf.set_text_color(*GREY)
    pdf.multi_cell(110, 4.5, page.text(config.merchant_address), new_x=XPos.LMARGIN,
                   new_y=YPos.NEXT)
    pdf.set_text_color(0)
    below = pdf.get_y()
    pdf.set_xy(pdf.w - MARGIN - 80, top)
    page.font(18, bold=True)
    pdf.multi_cell(80, 9, page.text(title), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_y(max(below, pdf.get_y(), top + 12) + 6)


def parties(page: Page, billed: dict[str, Any], rows: list[tuple[str, str]]) -> None:
    """Who is billed on the left; the document's key facts (label, value) on the right."""
    _ = page.gettext
    pdf = page.pdf
    top = pdf.get_y()
    page.font(9, bold=True)
    pdf.set_text_color(*GREY)
    pdf.cell(80, 5, page.text(_("Bill to")), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0)
    page.font(10)
    city = " ".join(p for p in (billed.get("postal_code"), billed.get("city")) if p)
    for line in (billed.get("name"), billed.get("street"), city):
        if line:
            pdf.cell(80, 5, page.text(line), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    left_bottom = pdf.get_y()
    x = pdf.w - MARGIN - 86
    pdf.set_y(top)
    for label, value in rows:
        pdf.set_x(x)
        page.font(9)
        pdf.set_text_color(*GREY)
        pdf.cell(41, 5, page.text(label))
        pdf.set_text_color(0)
        page.font(10, bold=True)
        pdf.cell(45, 5, page.text(value), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_y(max(left_bottom, pdf.get_y()) + 8)


def payment_slip(page: Page, details: PaymentDetails) -> None:
    """How to pay: payee, account (and Bankgiro, Plusgiro or the Norwegian account number),
    reference, due date and amount; the EPC QR code for euros and the Finnish bar code, both
    for the amount and the due date of ``details``."""
    _ = page.gettext
    pdf = page.pdf
    qr_png = epc_qr_png(details)
    needed = 80.0 if details.virtual_barcode else 54.0
    if pdf.get_y() + needed > pdf.page_break_trigger:
        pdf.add_page()
    page.heading(_("How to pay"))
    top = pdf.get_y()
    rows = [(_("Payee"), details.payee)]
    if details.bankgiro:
        rows.append((_("Bankgiro"), details.bankgiro))
    if details.plusgiro:
        rows.append((_("Plusgiro"), details.plusgiro))
    if details.domestic_account:
        rows.append((_("Account number"), details.domestic_account))
    if details.iban_display:
        rows.append((_("IBAN"), details.iban_display))
    if details.bic:
        rows.append((_("BIC"), details.bic))
    rows += [
        (country_word(page.locale, page.country, "reference"), details.reference_display),
        (_("Due date"), page.day(details.due_date)),
        (_("Amount"), page.money(details.amount_minor)),
    ]
    for label, value in rows:
        page.font(9)
        pdf.set_text_color(*GREY)
        pdf.cell(36, 5.5, page.text(label))
        pdf.set_text_color(0)
        page.font(10, bold=True)
        pdf.cell(76, 5.5, page.text(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    page.paragraph(_reference_advice(page), size=9, width=112)
    bottom = pdf.get_y()
    if qr_png is not None:
        x = pdf.w - MARGIN - _QR_SIZE
        pdf.image(qr_png, x=x, y=top, w=_QR_SIZE, h=_QR_SIZE,
                  alt_text=page.text(_("QR code for paying this invoice in a banking app")))
        pdf.set_xy(x - 10, top + _QR_SIZE + 1)
        page.font(8)
        pdf.multi_cell(_QR_SIZE + 10, 3.8, page.text(_("Scan with your banking app")),
                       align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        bottom = max(bottom, pdf.get_y())
    pdf.set_y(bottom + 4)
    if details.virtual_barcode:
        page.font(9)
        pdf.set_text_color(*GREY)
        pdf.cell(0, 5, page.text(_("Virtual bar code")), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_text_color(0)
        page.font(10, bold=True)
        pdf.cell(0, 6, details.virtual_barcode, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(1)
        draw_code128(pdf, details.virtual_barcode, MARGIN, pdf.get_y(),
                     height=_BARCODE_HEIGHT)
        pdf.set_y(pdf.get_y() + _BARCODE_HEIGHT + 3)


def _reference_advice(page: Page) -> str:
    """Why the reference matters, naming the country's reference (viitenumero, OCR, KID)."""
    t = page.gettext
    if page.country == "SE":
        return t.pgettext("SE", "Please always use the OCR number when you pay, so that your "
                                "payment finds this invoice.")
    if page.country == "NO":
        return t.pgettext("NO", "Please always use the KID number when you pay, so that your "
                                "payment finds this invoice.")
    return t.pgettext("FI", "Please always use the reference number when you pay, so that "
                            "your payment finds this invoice.")


def _footer_lines(page: Page, config: KassaConfig) -> list[str]:
    """The seller's identity and how to reach customer service, one line each."""
    _ = page.gettext
    seller = [config.shop_name]
    if config.merchant_business_id:
        seller.append(_("Business ID %(id)s", id=config.merchant_business_id))
    if config.merchant_vat_number:
        seller.append(_("VAT number %(number)s", number=config.merchant_vat_number))
    email = config.support_email or config.mail_from
    if config.support_phone:
        contact = _("Customer service: %(email)s, tel. %(phone)s", email=email,
                    phone=config.support_phone)
    else:
        contact = _("Customer service: %(email)s", email=email)
    return [" · ".join(seller), contact]


def _footer(page: Page, lines: list[str]) -> None:
    pdf = page.pdf
    pdf.set_y(-MARGIN - 4)
    page.font(7.5)
    pdf.set_text_color(*GREY)
    for line in lines:
        pdf.cell(0, 3.6, page.text(line), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0)
