"""The invoice as a PDF, in the shopper's language (fpdf2).

:func:`invoice_pdf` is a pure function of the invoice, the settings and the locale: the same
inputs give the same document except for its creation date. It needs no Flask app or
request: labels come from :func:`kassa.i18n.translator`, money and dates are formatted
by Babel in the locale given. The parts every document shares (fonts, letterhead, payment
slip, the seller's footer) are in :mod:`kassa.invoicing.layout`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import has_app_context
from fpdf import FontFace
from sqlalchemy.orm import object_session

from ..config import KassaConfig
from ..db.models import Invoice, OrderLine
from ..i18n import format_percent, translator
from ..services.credit_plan import latest_revision, schedule_in_force
from ..services.links import invoice_token
from . import PaymentDetails, payment_details
from .layout import GREY, Page, letterhead, new_page, parties, payment_slip

__all__ = ["invoice_pdf", "late_payment_terms"]


def invoice_pdf(invoice: Invoice, config: KassaConfig, locale: str, *,
                created_at: datetime | None = None) -> bytes:
    """The invoice as a PDF (A4) with labels in ``locale`` (``fi``, ``sv``, ``nb``, ``en``).

    Shows the merchant and the customer, number, dates, the order lines with VAT per rate,
    for an instalment its number and the plan's schedule, the amount still to pay
    (the balance, in minor units formatted in ``locale``), the late-payment terms agreed at
    checkout, the bank details with the printed reference, an EPC QR code for euro invoices,
    the Finnish virtual bar code, and in the footer the seller's business ID, VAT number and
    customer service. The invoice's agreement, order, lines and customer are read (lazy loads
    need its session to be open). ``created_at`` (timezone-aware) fixes the PDF's creation
    date, which is otherwise the current time: with it the output is byte for byte
    reproducible.
    """
    _ = translator(locale)
    page = new_page(config, locale=locale, currency=invoice.currency, country=invoice.country,
                    title=_("Invoice %(number)s", number=invoice.number), created_at=created_at)
    details = payment_details(invoice, config)
    letterhead(page, config, _("Invoice"))
    parties(page, invoice.billed, _facts(page, invoice, details))
    _order_lines(page, invoice)
    _schedule(page, invoice)
    _plan_change(page, invoice)
    _amounts(page, invoice)
    _late_payment(page, invoice)
    _pages_link(page, invoice, config, created_at)
    payment_slip(page, details)
    return bytes(page.pdf.output())


def _pages_link(page: Page, invoice: Invoice, config: KassaConfig,
                created_at: datetime | None) -> None:
    """The signed link to the shopper's own pages (made at ``created_at``, so that the PDF
    stays reproducible), where they can take more time, agree a plan or write to us."""
    if not has_app_context():  # the link is signed with the app's secret key
        return
    token = invoice_token(invoice.id, created_at)
    url = f"{config.public_url.rstrip('/')}{config.url_prefix}/account/invoice/{token}/mine"
    page.paragraph(page.gettext("All your invoices, more time, a payment plan and messages "
                                "on your own pages: %(url)s", url=url), size=8.5)


def _facts(page: Page, invoice: Invoice, details: PaymentDetails) -> list[tuple[str, str]]:
    _ = page.gettext
    rows: list[tuple[str, str]] = [
        (_("Invoice number"), invoice.number),
        (_("Invoice date"), page.day(invoice.issue_date)),
        (_("Due date"), page.day(invoice.due_date)),
        (page.word("reference"), details.reference_display),
    ]
    count = _instalment_count(invoice)
    if invoice.instalment_number is not None:
        rows.append((_("Instalment"), _("%(number)s of %(count)s",
                                        number=invoice.instalment_number,
                                        count=count or invoice.instalment_number)))
    return rows


def _order_lines(page: Page, invoice: Invoice) -> None:
    _ = page.gettext
    pdf, t = page.pdf, page.text
    order = invoice.agreement.order
    lines: Sequence[OrderLine] = order.lines
    page.heading(_("Your order"))
    if lines:
        page.font(9)
        with pdf.table(col_widths=(70, 14, 30, 20, 40), text_align=("LEFT", "RIGHT", "RIGHT",
                       "RIGHT", "RIGHT"), borders_layout="HORIZONTAL_LINES",
                       headings_style=FontFace(emphasis="BOLD"), line_height=5.5,
                       width=pdf.epw) as table:
            table.row([t(_("Description")), t(_("Qty")), t(_("Unit price")), t(_("VAT")),
                       t(_("Total"))])
            for line in lines:
                table.row([t(line.description), str(line.quantity),
                           page.money(line.unit_price_minor), page.percent(line.vat_rate),
                           page.money(line.total_minor)])
        pdf.ln(3)
        by_rate: dict[Decimal, list[int]] = {}
        for line in lines:
            totals = by_rate.setdefault(Decimal(line.vat_rate).normalize(), [0, 0])
            totals[0] += line.total_minor
            totals[1] += line.vat_minor
        page.font(9)
        with pdf.table(col_widths=(34, 50, 40, 50), text_align=("LEFT", "RIGHT", "RIGHT",
                       "RIGHT"), borders_layout="NONE", line_height=5,
                       headings_style=FontFace(emphasis="BOLD", color=GREY),
                       width=pdf.epw) as table:
            table.row([t(_("VAT rate")), t(_("Excluding VAT")), t(_("VAT")),
                       t(_("Including VAT"))])
            for rate in sorted(by_rate):
                gross, vat = by_rate[rate]
                table.row([page.percent(rate), page.money(gross - vat), page.money(vat),
                           page.money(gross)])
    page.label_value(_("Order total"), page.money(order.total_minor), bold=True)


def _schedule(page: Page, invoice: Invoice) -> None:
    schedule = _schedule_items(invoice)
    if invoice.instalment_number is None or not schedule:
        return
    _ = page.gettext
    pdf, t = page.pdf, page.text
    page.heading(_("Your payment plan"))
    page.font(9)
    with pdf.table(col_widths=(30, 60, 50), text_align=("LEFT", "LEFT", "RIGHT"),
                   borders_layout="HORIZONTAL_LINES", line_height=5, width=120,
                   align="LEFT", headings_style=FontFace(emphasis="BOLD")) as table:
        table.row([t(_("Instalment")), t(_("Due date")), t(_("Amount"))])
        for item in schedule:
            number = int(item.get("number", 0))
            current = number == invoice.instalment_number
            style = FontFace(emphasis="BOLD") if current else None
            row = table.row()
            label = _("%(number)s (this invoice)", number=number) if current else str(number)
            row.cell(t(label), style=style)
            row.cell(page.day(date.fromisoformat(item["due_date"])), style=style)
            row.cell(page.money(int(item["amount"])), style=style)
    pdf.ln(2)
    _credit_terms(page, invoice)


def _plan_change(page: Page, invoice: Invoice) -> None:
    """What changed the plan since the purchase, in a sentence: the shopper's withdrawal from
    the credit, or an early repayment (the schedule above is then the new one)."""
    session = object_session(invoice)
    revision = latest_revision(session, invoice.agreement_id) if session is not None else None
    if revision is None or invoice.status == "cancelled":
        return
    _ = page.gettext
    facts = revision.figures
    if revision.reason == "withdrawal":
        text = _("You withdrew from the credit agreement on %(date)s. You pay back the "
                 "credit, %(principal)s, and interest for %(days)s days, %(interest)s, by "
                 "%(due)s. No fees are charged, and your purchase itself stays valid.",
                 date=page.day(revision.effective_on),
                 principal=page.money(int(facts["principal"])),
                 days=int(facts["interest_days"]), interest=page.money(int(facts["interest"])),
                 due=page.day(date.fromisoformat(facts["due_date"])))
    elif facts.get("full"):
        text = _("On %(date)s you repaid your whole payment plan early, %(amount)s. The "
                 "interest and fees of the remaining time were taken off.",
                 date=page.day(revision.effective_on), amount=page.money(int(facts["paid_now"])))
    else:
        text = _("On %(date)s you repaid %(amount)s of your payment plan early. The plan "
                 "above is your new one, and you pay less interest from now on.",
                 date=page.day(revision.effective_on),
                 amount=page.money(revision.amount_minor))
    page.paragraph(text, size=9)
    page.pdf.ln(2)


def _credit_terms(page: Page, invoice: Invoice) -> None:
    """The plan's rates and totals as the shopper saw them at checkout (the terms snapshot)."""
    offer = (invoice.agreement.terms or {}).get("offer") or {}
    if not all(key in offer for key in ("nominal_rate", "apr", "total_cost", "total_payable")):
        return
    _ = page.gettext
    for label, value in (
        (_("Nominal interest rate"), format_percent(Decimal(offer["nominal_rate"]),
                                                    page.locale)),
        (_("Annual percentage rate (APR)"), format_percent(Decimal(offer["apr"]), page.locale)),
        (_("Total cost of credit"), page.money(int(offer["total_cost"]))),
        (_("Total amount payable"), page.money(int(offer["total_payable"]))),
    ):
        page.label_value(label, value, size=9)
    page.pdf.ln(2)


def _amounts(page: Page, invoice: Invoice) -> None:
    _ = page.gettext
    page.pdf.ln(2)
    if invoice.fees_minor or invoice.interest_minor or invoice.paid_minor:
        page.label_value(_("Invoice amount"), page.money(invoice.amount_minor))
        if invoice.fees_minor:
            page.label_value(_("Fees and charges"), page.money(invoice.fees_minor))
        if invoice.interest_minor:
            page.label_value(_("Late-payment interest"), page.money(invoice.interest_minor))
        if invoice.paid_minor:
            page.label_value(_("Already paid"), page.money(-invoice.paid_minor))
    page.label_value(_("Amount to pay"), page.money(invoice.balance_minor), bold=True, size=12)


def late_payment_terms(page: Page, terms: dict[str, Any] | None) -> str | None:
    """What paying late costs, as agreed at checkout (``terms["late_payment"]``), in one
    sentence of the page's language; None when the agreement recorded no such terms."""
    late = (terms or {}).get("late_payment") or {}
    if "late_interest_rate" not in late:
        return None
    _ = page.gettext
    rate = format_percent(Decimal(str(late["late_interest_rate"])), page.locale)
    fee = int(late.get("reminder_fee") or 0)
    if fee:
        return _("If you pay late: a reminder fee of %(fee)s for each payment reminder and "
                 "late-payment interest of %(rate)s a year.", fee=page.money(fee), rate=rate)
    return _("If you pay late: late-payment interest of %(rate)s a year; no reminder fee.",
             rate=rate)


def _late_payment(page: Page, invoice: Invoice) -> None:
    text = late_payment_terms(page, invoice.agreement.terms)
    if text is not None:
        page.pdf.ln(2)
        page.paragraph(text, size=8.5)


def _schedule_items(invoice: Invoice) -> list[dict[str, Any]]:
    """The plan's schedule in force: the one agreed, or the latest after an early repayment
    or a withdrawal (kassa.services.credit_plan)."""
    session = object_session(invoice)
    if session is not None:
        schedule = schedule_in_force(session, invoice.agreement)
    else:
        schedule = ((invoice.agreement.terms or {}).get("offer") or {}).get("schedule") or []
    return [item for item in schedule if isinstance(item, dict) and "due_date" in item
            and "amount" in item]


def _instalment_count(invoice: Invoice) -> int | None:
    schedule = _schedule_items(invoice)
    return len(schedule) or None
