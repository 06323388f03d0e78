"""The documents of a consumer credit: the pre-contract information (the Standard European
Consumer Credit Information, SECCI) and the credit agreement, each a PDF in the shopper's
language, made from the offer's own figures.

Both are pure functions of :class:`CreditDocumentFacts`: the offer as ``offer_json`` writes it
(the same dictionary the agreement keeps in ``terms["offer"]``), the late-payment terms as the
checkout showed them, what is bought, and the legal periods in force. So the information shown
before consent, the agreement stored at confirmation and every copy sent later state the same
numbers. What each part says, and which article asks for it, is in ``docs/consumer-credit.md``.

The SECCI opens with its key information on the first page (CCD2 Art. 10 and Annex I, Part I);
the details follow. The agreement names the parties and states the contents of CCD2 Art. 21.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from fpdf import FontFace

from ..config import KassaConfig
from ..core.money import round_ratio
from ..i18n import format_percent, translator
from .credit_rights import complaints, missed_payment_warning, rights
from .layout import GREY, Page, letterhead, new_page
from .pdf import late_payment_terms

__all__ = ["CreditDocumentFacts", "agreement_pdf", "daily_interest", "precontract_pdf",
           "precontract_title", "agreement_title"]

#: Where each country's shoppers read the clock (the offer's validity is a local time).
_TIMEZONES = {"FI": "Europe/Helsinki", "SE": "Europe/Stockholm", "NO": "Europe/Oslo"}
_DAYS_A_YEAR = 365  # the daily interest of a withdrawal, on the agreed borrowing rate


@dataclass(frozen=True)
class CreditDocumentFacts:
    """What a credit document states. Amounts are minor units of the offer's currency."""

    #: The offer as :func:`kassa.services.representation.offer_json` gives it.
    offer: Mapping[str, Any]
    #: The late-payment terms shown beside the consent (``late_payment_json``), or None.
    late_payment: Mapping[str, Any] | None
    #: FI, SE or NO: chooses the complaints body, the supervisor and the local time.
    country: str
    #: What the credit pays for: (description, quantity, line total).
    goods: Sequence[tuple[str, int, int]]
    #: The purchase price paid in cash (the order total).
    cash_price: int
    #: Calendar days to withdraw, and to repay after withdrawing (the rule book's rows).
    withdrawal_days: int
    withdrawal_repay_days: int
    #: Pre-contract information: until when the offer holds (timezone-aware).
    valid_until: datetime | None = None
    #: The agreement: the consumer (name, street, postal_code, city, email, phone), the
    #: masked identity number, when the shopper accepted it and the order's reference.
    consumer: Mapping[str, Any] | None = None
    consumer_id_masked: str | None = None
    concluded_at: datetime | None = None
    reference: str | None = None

    @property
    def currency(self) -> str:
        return str(self.offer["currency"])

    @property
    def instalments(self) -> bool:
        """True for an instalment plan, False for one payment by invoice."""
        return int(self.offer.get("months") or 0) > 0


def daily_interest(credit_amount: int, nominal_rate: Decimal) -> int:
    """The interest of one day on ``credit_amount`` at ``nominal_rate`` percent a year
    (a year of 365 days), minor units rounded half up: what a withdrawing consumer owes for
    each day they had the credit."""
    numerator, denominator = (nominal_rate * credit_amount).as_integer_ratio()
    return round_ratio(numerator, denominator * 100 * _DAYS_A_YEAR, ROUND_HALF_UP)


def precontract_title(locale: str) -> str:
    """The SECCI's title in ``locale``."""
    _ = translator(locale)
    return _("Standard European Consumer Credit Information")


def agreement_title(locale: str) -> str:
    """The credit agreement's title in ``locale``."""
    _ = translator(locale)
    return _("Credit agreement")


def precontract_pdf(facts: CreditDocumentFacts, config: KassaConfig, locale: str, *,
                    created_at: datetime | None = None) -> bytes:
    """The pre-contract information as a PDF (A4) in ``locale``: the key information on the
    first page, then the creditor, the credit, its costs, the legal rights and where to
    complain. ``created_at`` fixes the creation date (reproducible output)."""
    _ = translator(locale)
    title = precontract_title(locale)
    page = new_page(config, locale=locale, currency=facts.currency, country=facts.country,
                    title=f"{title}: {config.shop_name}", created_at=created_at)
    # The form's name is too long for the letterhead's corner in every language: a line of
    # its own, the whole width.
    letterhead(page, config, "")
    page.font(15, bold=True)
    page.pdf.multi_cell(0, 7, page.text(title), new_x="LMARGIN", new_y="NEXT")
    page.pdf.ln(2)
    page.paragraph(_("Before you decide, please read this information about the credit "
                     "%(shop)s offers for your purchase. It is yours to keep.",
                     shop=config.shop_name))
    page.heading(_("Key information"))
    _table(page, _key_rows(page, facts, config))
    missed_payment_warning(page)
    page.pdf.add_page()
    page.heading(_("1. The creditor"))
    _table(page, _creditor_rows(page, config))
    page.heading(_("2. The credit"))
    _table(page, [(_("Type of credit"), _credit_type(page, facts)),
                  *_goods_rows(page, facts),
                  (_("Conditions governing the drawdown"), _drawdown(page, config))])
    _schedule(page, facts)
    page.heading(_("3. Costs of the credit"))
    _costs(page, facts)
    page.heading(_("4. Other important legal aspects"))
    rights(page, config, withdrawal_days=facts.withdrawal_days,
           repay_days=facts.withdrawal_repay_days,
           credit_amount=int(facts.offer["credit_amount"]))
    page.paragraph(_("On request, we will send you a copy of the draft credit agreement "
                     "free of charge."))
    if facts.valid_until is not None:
        page.paragraph(_("This information is valid until %(time)s.",
                         time=_local_time(page, facts.valid_until)))
    page.heading(_("5. Complaints and supervision"))
    complaints(page)
    return bytes(page.pdf.output())


def agreement_pdf(facts: CreditDocumentFacts, config: KassaConfig, locale: str, *,
                  created_at: datetime | None = None) -> bytes:
    """The credit agreement as a PDF (A4) in ``locale``: the parties, the credit, its costs
    and schedule, late payment, withdrawal, early repayment and where to complain, and when
    the consumer accepted it. ``created_at`` fixes the creation date."""
    _ = translator(locale)
    title = agreement_title(locale)
    page = new_page(config, locale=locale, currency=facts.currency, country=facts.country,
                    title=f"{title}: {config.shop_name}", created_at=created_at)
    letterhead(page, config, title)
    facts_rows = []
    if facts.concluded_at is not None:
        facts_rows.append((_("Agreement date"), page.day(_local(facts.concluded_at,
                                                                  facts.country).date())))
    if facts.reference:
        facts_rows.append((_("Order"), facts.reference))
    if facts_rows:
        _table(page, facts_rows)
    page.heading(_("1. The parties"))
    _table(page, [(_("Creditor"), _creditor_text(page, config)),
                  (_("Consumer"), _consumer_text(page, facts))])
    page.heading(_("2. The credit"))
    _table(page, [(_("Type of credit"), _credit_type(page, facts)),
                  *_goods_rows(page, facts),
                  (_("Total amount of credit"), page.money(int(facts.offer["credit_amount"]))),
                  (_("Conditions governing the drawdown"), _drawdown(page, config)),
                  (_("Duration of the credit agreement"), _duration(page, facts))])
    page.heading(_("3. Costs and payments"))
    _costs(page, facts)
    _schedule(page, facts)
    page.heading(_("4. Late payment"))
    _late(page, facts)
    missed_payment_warning(page)
    page.heading(_("5. Right of withdrawal and early repayment"))
    rights(page, config, withdrawal_days=facts.withdrawal_days,
           repay_days=facts.withdrawal_repay_days,
           credit_amount=int(facts.offer["credit_amount"]))
    page.heading(_("6. Complaints and supervision"))
    complaints(page)
    if facts.concluded_at is not None:
        page.pdf.ln(3)
        page.paragraph(_("You accepted this credit agreement electronically at the checkout "
                         "of %(shop)s on %(time)s.", shop=config.shop_name,
                         time=_local_time(page, facts.concluded_at)), size=9)
    return bytes(page.pdf.output())


# -- the parts -------------------------------------------------------------------------------


def _key_rows(page: Page, facts: CreditDocumentFacts,
              config: KassaConfig) -> list[tuple[str, str]]:
    """Part I of the SECCI: the overview every offer states on its first page."""
    _ = page.gettext
    offer = facts.offer
    rows = [
        (_("Creditor"), f"{config.shop_name}, {config.merchant_address}"),
        (_("Type of credit"), _credit_type(page, facts)),
        (_("Total amount of credit"), page.money(int(offer["credit_amount"]))),
        (_("Duration of the credit agreement"), _duration(page, facts)),
        (_("Instalments"), _instalments(page, facts)),
        (_("Borrowing rate"), _("%(rate)s a year, fixed",
                                rate=format_percent(Decimal(offer["nominal_rate"]),
                                                    page.locale))),
        (_("Annual percentage rate (APR)"), format_percent(Decimal(offer["apr"]),
                                                           page.locale)),
        (_("Total amount payable"), page.money(int(offer["total_payable"]))),
        *_goods_rows(page, facts),
        (_("Costs in the case of late payments"), _late_text(page, facts)),
        (_("Right of withdrawal"), _("Yes, within %(days)s days",
                                     days=facts.withdrawal_days)),
        (_("Early repayment"), _("Yes, at any time, in full or in part, without a fee")),
    ]
    if facts.valid_until is not None:
        rows.append((_("This offer is valid until"), _local_time(page, facts.valid_until)))
    return rows


def _credit_type(page: Page, facts: CreditDocumentFacts) -> str:
    _ = page.gettext
    if facts.instalments:
        return _.ngettext("Instalment plan: your purchase paid in %(num)d monthly instalment",
                          "Instalment plan: your purchase paid in %(num)d monthly instalments",
                          int(facts.offer["months"]))
    return _("Payment by invoice: your purchase paid later, in one payment")


def _duration(page: Page, facts: CreditDocumentFacts) -> str:
    _ = page.gettext
    last = page.day(_schedule_days(facts)[-1])
    if facts.instalments:
        return _.ngettext("%(num)d month, up to %(date)s", "%(num)d months, up to %(date)s",
                          int(facts.offer["months"]), date=last)
    return _("Up to %(date)s", date=last)


def _instalments(page: Page, facts: CreditDocumentFacts) -> str:
    """Number, amount and frequency of the payments, and when the first is due."""
    _ = page.gettext
    schedule = facts.offer["schedule"]
    first_day = page.day(_schedule_days(facts)[0])
    first, regular = int(schedule[0]["amount"]), int(facts.offer["monthly_amount"])
    if not facts.instalments:
        return _("One payment of %(amount)s on %(date)s", amount=page.money(first),
                 date=first_day)
    count = len(schedule)
    if first != regular:
        return _.ngettext(
            "%(num)d monthly instalment: the first %(first)s on %(date)s, then %(amount)s",
            "%(num)d monthly instalments: the first %(first)s on %(date)s, then %(amount)s",
            count, first=page.money(first), date=first_day, amount=page.money(regular))
    return _.ngettext("%(num)d monthly instalment of %(amount)s, the first on %(date)s",
                      "%(num)d monthly instalments of %(amount)s, the first on %(date)s",
                      count, amount=page.money(regular), date=first_day)


def _goods_rows(page: Page, facts: CreditDocumentFacts) -> list[tuple[str, str]]:
    _ = page.gettext
    goods = "; ".join(f"{quantity} × {description}" if quantity != 1 else description
                      for description, quantity, _total in facts.goods)
    return [(_("Goods"), goods), (_("Cash price"), page.money(facts.cash_price))]


def _drawdown(page: Page, config: KassaConfig) -> str:
    return page.gettext("The credit pays for your purchase at %(shop)s: no money is paid out "
                        "to you. The credit starts when your order is confirmed.",
                        shop=config.shop_name)


def _late_text(page: Page, facts: CreditDocumentFacts) -> str:
    text = late_payment_terms(page, {"late_payment": facts.late_payment})
    return text or page.gettext("Late-payment interest as the law allows.")


def _costs(page: Page, facts: CreditDocumentFacts) -> None:
    _ = page.gettext
    offer = facts.offer
    rate = Decimal(offer["nominal_rate"])
    rows = [
        (_("Borrowing rate"), _("%(rate)s a year, fixed for the whole duration of the credit",
                                rate=format_percent(rate, page.locale))),
        (_("Annual percentage rate (APR)"), format_percent(Decimal(offer["apr"]),
                                                           page.locale)),
        (_("Set-up fee"), page.money(int(offer["setup_fee"]))),
        (_("Monthly fee"), page.money(int(offer["monthly_fee"]))),
        (_("Total cost of credit"), page.money(int(offer["total_cost"]))),
        (_("Total amount payable"), page.money(int(offer["total_payable"]))),
    ]
    if rate:
        rows.append((_("Interest per day"), page.money(
            daily_interest(int(offer["credit_amount"]), rate))))
    _table(page, rows)
    page.paragraph(_("The APR is the total cost of the credit as a yearly percentage of the "
                     "total amount of credit; it helps you compare offers. It assumes that "
                     "the credit runs for the agreed time and that every instalment is paid "
                     "on its due date. The fees do not change during the agreement."), size=9)
    if facts.instalments:
        months = int(offer["months"])
        page.paragraph(_.ngettext(
            "Example: a purchase of %(amount)s over %(num)d month at %(rate)s nominal "
            "interest, with a set-up fee of %(setup_fee)s and a monthly fee of "
            "%(monthly_fee)s, has an APR of %(apr)s and a total of %(total)s to pay.",
            "Example: a purchase of %(amount)s over %(num)d months at %(rate)s nominal "
            "interest, with a set-up fee of %(setup_fee)s and a monthly fee of "
            "%(monthly_fee)s, has an APR of %(apr)s and a total of %(total)s to pay.",
            months, amount=page.money(int(offer["credit_amount"])),
            rate=format_percent(rate, page.locale),
            setup_fee=page.money(int(offer["setup_fee"])),
            monthly_fee=page.money(int(offer["monthly_fee"])),
            apr=format_percent(Decimal(offer["apr"]), page.locale),
            total=page.money(int(offer["total_payable"]))), size=9)


def _late(page: Page, facts: CreditDocumentFacts) -> None:
    page.paragraph(_late_text(page, facts))
    page.paragraph(page.gettext("The late-payment interest rate follows the rate the law sets "
                                "each half-year."), size=9)


def _creditor_rows(page: Page, config: KassaConfig) -> list[tuple[str, str]]:
    _ = page.gettext
    rows = [(_("Name"), config.shop_name), (_("Address"), config.merchant_address)]
    if config.merchant_business_id:
        rows.append((_("Business ID"), config.merchant_business_id))
    rows.append((_("E-mail"), config.support_email or config.mail_from))
    if config.support_phone:
        rows.append((_("Telephone"), config.support_phone))
    return rows


def _creditor_text(page: Page, config: KassaConfig) -> str:
    _ = page.gettext
    lines: list[str | None] = [config.shop_name, config.merchant_address]
    if config.merchant_business_id:
        lines.append(_("Business ID %(id)s", id=config.merchant_business_id))
    lines += [config.support_email or config.mail_from, config.support_phone]
    return "\n".join(line for line in lines if line)


def _consumer_text(page: Page, facts: CreditDocumentFacts) -> str:
    person = facts.consumer or {}
    city = " ".join(p for p in (person.get("postal_code"), person.get("city")) if p)
    lines = [person.get("name"), facts.consumer_id_masked, person.get("street"), city,
             person.get("email"), person.get("phone")]
    return "\n".join(str(line) for line in lines if line)


def _schedule(page: Page, facts: CreditDocumentFacts) -> None:
    """Every payment: due date, principal, interest, fees and the amount."""
    _ = page.gettext
    page.heading(_("Payment schedule"))
    page.font(9)
    with page.pdf.table(col_widths=(12, 30, 32, 28, 28, 34), text_align=(
            "LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT"),
            borders_layout="HORIZONTAL_LINES", line_height=5, width=164, align="LEFT",
            headings_style=FontFace(emphasis="BOLD")) as table:
        table.row([page.text(label) for label in (_("No."), _("Due date"), _("Principal"),
                                                  _("Interest"), _("Fees"), _("To pay"))])
        for item, day in zip(facts.offer["schedule"], _schedule_days(facts), strict=True):
            table.row([str(item["number"]), page.day(day), page.money(int(item["principal"])),
                       page.money(int(item["interest"])), page.money(int(item["fee"])),
                       page.money(int(item["amount"]))])
    page.pdf.ln(2)


def _table(page: Page, rows: Sequence[tuple[str, str]]) -> None:
    """Label and value rows, the label in bold."""
    page.font(9.5)
    with page.pdf.table(col_widths=(62, 112), text_align=("LEFT", "LEFT"),
                        borders_layout="HORIZONTAL_LINES", line_height=5,
                        width=page.pdf.epw, first_row_as_headings=False) as table:
        for label, value in rows:
            row = table.row()
            row.cell(page.text(label), style=FontFace(emphasis="BOLD", color=GREY))
            row.cell(page.text(value))
    page.pdf.ln(2)


def _schedule_days(facts: CreditDocumentFacts) -> list[date]:
    return [date.fromisoformat(item["due_date"]) for item in facts.offer["schedule"]]


def _local(moment: datetime, country: str) -> datetime:
    return moment.astimezone(ZoneInfo(_TIMEZONES.get(country, "UTC")))


def _local_time(page: Page, moment: datetime) -> str:
    """A moment as the shopper's clock shows it: the date as documents print it, and the
    hour (``2.12.2026 20:15``)."""
    local = _local(moment, page.country)
    return f"{page.day(local.date())} {local:%H:%M}"
