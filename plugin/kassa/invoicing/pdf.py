"""The invoice as a PDF, in the shopper's language (fpdf2).

:func:`invoice_pdf` is a pure function of the invoice, the settings and the locale: the same
inputs give the same document except for its creation date. It needs no Flask app or
request: labels come from :func:`kassa.i18n.translator`, money and dates are formatted
by Babel in the locale given.

Text is set in Lato, a Unicode TrueType font shipped by the ``font-lato`` package, so that
``ä``, ``ö``, ``å``, ``ø`` and ``€`` print anywhere the wheel is installed. Without it, the
DejaVu fonts of the operating system are used, and as a last resort PDF's built-in
Helvetica (Windows-1252: enough for the Nordic letters and the euro sign).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any

from babel.numbers import format_decimal
from fpdf import FPDF, FontFace
from fpdf.enums import XPos, YPos

from ..config import KassaConfig
from ..db.models import Invoice, OrderLine
from ..i18n import format_day, format_money, format_percent, translator
from . import PaymentDetails, payment_details
from .qr import epc_qr_png

__all__ = ["invoice_pdf"]

_FAMILY = "kassa"
_FALLBACK_FONTS = (  # Debian/Ubuntu (fonts-dejavu-core), Fedora, Arch
    ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
     "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
    ("/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf",
     "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans-Bold.ttf"),
    ("/usr/share/fonts/TTF/DejaVuSans.ttf", "/usr/share/fonts/TTF/DejaVuSans-Bold.ttf"),
)
_MARGIN = 18.0  # mm
_QR_SIZE = 36.0  # mm: scannable from paper and from a screen
_GREY = (90, 90, 90)


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
class _Writer:
    """Text in the document's locale and the font's character set."""

    locale: str
    currency: str
    unicode_font: bool
    gettext: Callable[..., str]

    def text(self, value: str) -> str:
        # Babel may use a narrow no-break space (U+202F); Lato has no glyph for it.
        value = value.replace("\u202f", "\u00a0")
        if not self.unicode_font:
            value = value.encode("windows-1252", "replace").decode("windows-1252")
        return value

    def money(self, minor: int) -> str:
        return self.text(format_money(minor, self.currency, self.locale))

    def day(self, value: date) -> str:
        return self.text(format_day(value, self.locale))

    def percent(self, rate: Decimal) -> str:
        return self.text(format_decimal(rate, format="#,##0.##", locale=self.locale) + "\u00a0%")


def invoice_pdf(invoice: Invoice, config: KassaConfig, locale: str, *,
                created_at: datetime | None = None) -> bytes:
    """The invoice as a PDF (A4) with labels in ``locale`` (``fi``, ``sv``, ``nb``, ``en``).

    Shows the merchant and the customer, number, dates, the order lines with VAT per rate,
    for an instalment its number and the plan's schedule, the amount still to pay
    (the balance, in minor units formatted in ``locale``), the bank details with the printed
    reference, an EPC QR code for euro invoices and the Finnish virtual bar code.
    The invoice's agreement, order, lines and customer are read (lazy loads need its
    session to be open). ``created_at`` (timezone-aware) fixes the PDF's creation date,
    which is otherwise the current time: with it the output is byte for byte reproducible.
    """
    _ = translator(locale)
    files = _font_files()
    writer = _Writer(locale, invoice.currency, files is not None, _)
    details = payment_details(invoice, config)

    pdf = FPDF(format="A4", unit="mm")
    pdf.set_margins(_MARGIN, _MARGIN, _MARGIN)
    pdf.set_auto_page_break(True, margin=_MARGIN)
    if files is not None:
        pdf.add_font(_FAMILY, "", files[0])
        pdf.add_font(_FAMILY, "B", files[1])
        family = _FAMILY
    else:
        pdf.core_fonts_encoding = "windows-1252"
        family = "helvetica"
    pdf.set_title(writer.text(_("Invoice %(number)s", number=invoice.number)))
    pdf.set_author(writer.text(config.shop_name))
    pdf.set_creator("Kassa")
    pdf.set_lang(locale)
    if created_at is not None:
        pdf.set_creation_date(created_at)
    pdf.add_page()

    _header(pdf, family, writer, invoice, config)
    _parties(pdf, family, writer, invoice, details)
    _order_lines(pdf, family, writer, invoice)
    _schedule(pdf, family, writer, invoice)
    _amounts(pdf, family, writer, invoice)
    _payment(pdf, family, writer, details)
    return bytes(pdf.output())


def _header(pdf: FPDF, family: str, w: _Writer, invoice: Invoice, config: KassaConfig) -> None:
    _ = w.gettext
    top = pdf.get_y()
    pdf.set_font(family, "B", 16)
    pdf.cell(110, 8, w.text(config.shop_name), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(family, "", 9)
    pdf.set_text_color(*_GREY)
    pdf.multi_cell(110, 4.5, w.text(config.merchant_address), new_x=XPos.LMARGIN,
                   new_y=YPos.NEXT)
    pdf.set_text_color(0)
    below = pdf.get_y()
    pdf.set_xy(pdf.w - _MARGIN - 60, top)
    pdf.set_font(family, "B", 20)
    pdf.cell(60, 10, w.text(_("Invoice")), align="R")
    pdf.set_y(max(below, top + 12) + 6)


def _parties(pdf: FPDF, family: str, w: _Writer, invoice: Invoice,
             details: PaymentDetails) -> None:
    _ = w.gettext
    billed = invoice.billed
    top = pdf.get_y()
    pdf.set_font(family, "B", 9)
    pdf.set_text_color(*_GREY)
    pdf.cell(80, 5, w.text(_("Bill to")), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0)
    pdf.set_font(family, "", 10)
    city = " ".join(p for p in (billed.get("postal_code"), billed.get("city")) if p)
    for line in (billed.get("name"), billed.get("street"), city):
        if line:
            pdf.cell(80, 5, w.text(line), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    left_bottom = pdf.get_y()

    rows: list[tuple[str, str]] = [
        (_("Invoice number"), invoice.number),
        (_("Invoice date"), w.day(invoice.issue_date)),
        (_("Due date"), w.day(invoice.due_date)),
        (_("Reference"), details.reference_display),
    ]
    count = _instalment_count(invoice)
    if invoice.instalment_number is not None:
        rows.append((_("Instalment"), _("%(number)s of %(count)s",
                                        number=invoice.instalment_number,
                                        count=count or invoice.instalment_number)))
    x = pdf.w - _MARGIN - 80
    pdf.set_y(top)
    for label, value in rows:
        pdf.set_x(x)
        pdf.set_font(family, "", 9)
        pdf.set_text_color(*_GREY)
        pdf.cell(35, 5, w.text(label))
        pdf.set_text_color(0)
        pdf.set_font(family, "B", 10)
        pdf.cell(45, 5, w.text(value), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_y(max(left_bottom, pdf.get_y()) + 8)


def _order_lines(pdf: FPDF, family: str, w: _Writer, invoice: Invoice) -> None:
    _ = w.gettext
    order = invoice.agreement.order
    lines: Sequence[OrderLine] = order.lines
    _heading(pdf, family, w, _("Your order"))
    if lines:
        pdf.set_font(family, "", 9)
        with pdf.table(col_widths=(70, 14, 30, 20, 40), text_align=("LEFT", "RIGHT", "RIGHT",
                       "RIGHT", "RIGHT"), borders_layout="HORIZONTAL_LINES",
                       headings_style=FontFace(emphasis="BOLD"), line_height=5.5,
                       width=pdf.epw) as table:
            table.row([w.text(_("Description")), w.text(_("Qty")), w.text(_("Unit price")),
                       w.text(_("VAT")), w.text(_("Total"))])
            for line in lines:
                table.row([w.text(line.description), str(line.quantity),
                           w.money(line.unit_price_minor), w.percent(line.vat_rate),
                           w.money(line.total_minor)])
        pdf.ln(3)
        by_rate: dict[Decimal, list[int]] = {}
        for line in lines:
            totals = by_rate.setdefault(Decimal(line.vat_rate).normalize(), [0, 0])
            totals[0] += line.total_minor
            totals[1] += line.vat_minor
        pdf.set_font(family, "", 9)
        with pdf.table(col_widths=(34, 50, 40, 50), text_align=("LEFT", "RIGHT", "RIGHT",
                       "RIGHT"), borders_layout="NONE", line_height=5,
                       headings_style=FontFace(emphasis="BOLD", color=_GREY),
                       width=pdf.epw) as table:
            table.row([w.text(_("VAT rate")), w.text(_("Excluding VAT")), w.text(_("VAT")),
                       w.text(_("Including VAT"))])
            for rate in sorted(by_rate):
                gross, vat = by_rate[rate]
                table.row([w.percent(rate), w.money(gross - vat), w.money(vat), w.money(gross)])
    _label_value(pdf, family, w, _("Order total"), w.money(order.total_minor), bold=True)


def _schedule(pdf: FPDF, family: str, w: _Writer, invoice: Invoice) -> None:
    schedule = _schedule_items(invoice)
    if invoice.instalment_number is None or not schedule:
        return
    _ = w.gettext
    _heading(pdf, family, w, _("Your payment plan"))
    pdf.set_font(family, "", 9)
    with pdf.table(col_widths=(30, 60, 50), text_align=("LEFT", "LEFT", "RIGHT"),
                   borders_layout="HORIZONTAL_LINES", line_height=5, width=120,
                   align="LEFT", headings_style=FontFace(emphasis="BOLD")) as table:
        table.row([w.text(_("Instalment")), w.text(_("Due date")), w.text(_("Amount"))])
        for item in schedule:
            number = int(item.get("number", 0))
            current = number == invoice.instalment_number
            style = FontFace(emphasis="BOLD") if current else None
            row = table.row()
            label = _("%(number)s (this invoice)", number=number) if current else str(number)
            row.cell(w.text(label), style=style)
            row.cell(w.day(date.fromisoformat(item["due_date"])), style=style)
            row.cell(w.money(int(item["amount"])), style=style)
    pdf.ln(2)
    _credit_terms(pdf, family, w, invoice)


def _credit_terms(pdf: FPDF, family: str, w: _Writer, invoice: Invoice) -> None:
    """The plan's rates and totals as the shopper saw them at checkout (the terms snapshot)."""
    offer = (invoice.agreement.terms or {}).get("offer") or {}
    if not all(key in offer for key in ("nominal_rate", "apr", "total_cost", "total_payable")):
        return
    _ = w.gettext
    for label, value in (
        (_("Nominal interest rate"), w.text(format_percent(Decimal(offer["nominal_rate"]),
                                                           w.locale))),
        (_("Annual percentage rate (APR)"), w.text(format_percent(Decimal(offer["apr"]),
                                                                  w.locale))),
        (_("Total cost of credit"), w.money(int(offer["total_cost"]))),
        (_("Total amount payable"), w.money(int(offer["total_payable"]))),
    ):
        _label_value(pdf, family, w, label, value, size=9)
    pdf.ln(2)


def _amounts(pdf: FPDF, family: str, w: _Writer, invoice: Invoice) -> None:
    _ = w.gettext
    pdf.ln(2)
    if invoice.fees_minor or invoice.interest_minor or invoice.paid_minor:
        _label_value(pdf, family, w, _("Invoice amount"), w.money(invoice.amount_minor))
        if invoice.fees_minor:
            _label_value(pdf, family, w, _("Reminder fees"), w.money(invoice.fees_minor))
        if invoice.interest_minor:
            _label_value(pdf, family, w, _("Late-payment interest"),
                         w.money(invoice.interest_minor))
        if invoice.paid_minor:
            _label_value(pdf, family, w, _("Already paid"), w.money(-invoice.paid_minor))
    _label_value(pdf, family, w, _("Amount to pay"), w.money(invoice.balance_minor), bold=True,
                 size=12)


def _payment(pdf: FPDF, family: str, w: _Writer, details: PaymentDetails) -> None:
    _ = w.gettext
    qr_png = epc_qr_png(details)
    needed = 62.0 if details.virtual_barcode else 50.0
    if pdf.get_y() + needed > pdf.h - _MARGIN:
        pdf.add_page()
    _heading(pdf, family, w, _("How to pay"))
    top = pdf.get_y()
    rows = [(_("Payee"), details.payee)]
    if details.iban_display:
        rows.append((_("IBAN"), details.iban_display))
    if details.bic:
        rows.append((_("BIC"), details.bic))
    rows += [
        (_("Reference"), details.reference_display),
        (_("Due date"), w.day(details.due_date)),
        (_("Amount"), w.money(details.amount_minor)),
    ]
    for label, value in rows:
        pdf.set_font(family, "", 9)
        pdf.set_text_color(*_GREY)
        pdf.cell(32, 5.5, w.text(label))
        pdf.set_text_color(0)
        pdf.set_font(family, "B", 10)
        pdf.cell(80, 5.5, w.text(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    pdf.set_font(family, "", 9)
    pdf.multi_cell(112, 4.5, w.text(_("Please always use the reference when you pay, so that "
                                      "your payment finds this invoice.")),
                   new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    bottom = pdf.get_y()
    if qr_png is not None:
        x = pdf.w - _MARGIN - _QR_SIZE
        pdf.image(qr_png, x=x, y=top, w=_QR_SIZE, h=_QR_SIZE,
                  alt_text=w.text(_("QR code for paying this invoice in a banking app")))
        pdf.set_xy(x - 10, top + _QR_SIZE + 1)
        pdf.set_font(family, "", 8)
        pdf.multi_cell(_QR_SIZE + 10, 3.8, w.text(_("Scan with your banking app")),
                       align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        bottom = max(bottom, pdf.get_y())
    pdf.set_y(bottom + 4)
    if details.virtual_barcode:
        pdf.set_font(family, "", 9)
        pdf.set_text_color(*_GREY)
        pdf.cell(0, 5, w.text(_("Virtual bar code")), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_text_color(0)
        pdf.set_font(family, "B", 10)
        pdf.cell(0, 6, details.virtual_barcode, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _heading(pdf: FPDF, family: str, w: _Writer, text: str) -> None:
    pdf.ln(2)
    pdf.set_font(family, "B", 11)
    pdf.cell(0, 7, w.text(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _label_value(pdf: FPDF, family: str, w: _Writer, label: str, value: str, *,
                 bold: bool = False, size: float = 10) -> None:
    pdf.set_font(family, "B" if bold else "", size)
    pdf.cell(pdf.epw - 45, 6, w.text(label), align="R")
    pdf.cell(45, 6, value, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _schedule_items(invoice: Invoice) -> list[dict[str, Any]]:
    offer = (invoice.agreement.terms or {}).get("offer") or {}
    schedule = offer.get("schedule") or []
    return [item for item in schedule if isinstance(item, dict) and "due_date" in item
            and "amount" in item]


def _instalment_count(invoice: Invoice) -> int | None:
    schedule = _schedule_items(invoice)
    return len(schedule) or None
