"""The documents that follow an invoice: payment reminders, Norway's inkassovarsel, the
confirmation of more time to pay or of a payment plan, and the credit note that corrects an
issued invoice, each a PDF of its own in the shopper's language.

A notice states what is owed on the day it is sent (principal, payments, fees, late-payment
interest with its rate and period), the new deadline, and how to pay exactly that: the
reference, the EPC QR code and the Finnish bar code carry the notice's amount and deadline,
never the original invoice's. Its figures are the :class:`NoticeFacts` recorded when the
step was taken (the reminder run stores them in the invoice's trail and in the message), so
a document printed again later shows what was sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from ..config import KassaConfig
from ..core.interest import late_interest_rate
from ..core.rules import RuleError
from ..db.models import Invoice
from ..i18n import translator
from . import PaymentDetails, payment_details
from .layout import Page, letterhead, new_page, parties, payment_slip

__all__ = ["NoticeFacts", "notice_pdf", "notice_title"]

DocumentKind = Literal["reminder", "inkassovarsel", "extension", "plan", "credit"]
_KINDS: tuple[DocumentKind, ...] = ("reminder", "inkassovarsel", "extension", "plan", "credit")


@dataclass(frozen=True)
class NoticeFacts:
    """What one notice says, in minor units of the invoice's currency."""

    kind: DocumentKind
    #: The day the notice was made.
    sent_on: date
    #: The day to pay by (a reminder's deadline, the extension's new due date).
    deadline: date
    #: The invoice's amount (principal).
    amount: int
    #: Paid so far (credit notes included, this one too).
    paid: int
    #: Every fee charged so far, this notice's included.
    fees: int
    #: Late-payment interest accrued up to :attr:`interest_through`.
    interest: int
    #: For a reminder: its number (1, 2); otherwise None.
    number: int | None = None
    #: This notice's own fee (part of :attr:`fees`).
    fee: int = 0
    #: Interest runs from the day after this day (the due date) ...
    interest_from: date | None = None
    #: ... up to and including this day.
    interest_through: date | None = None
    #: For a payment plan: its instalments (due day, minor units), adding up to the balance.
    schedule: tuple[tuple[date, int], ...] = ()
    #: For a credit note: its number, its amount (part of :attr:`paid`) and its reason.
    credit_number: str | None = None
    credit: int = 0
    reason: str | None = None

    @property
    def balance(self) -> int:
        """What is owed, all of it."""
        return self.amount + self.fees + self.interest - self.paid

    @property
    def pay_now(self) -> int:
        """What the notice asks to be paid by :attr:`deadline`: the balance, or a plan's
        first instalment."""
        return self.schedule[0][1] if self.schedule else self.balance

    def to_json(self) -> dict[str, Any]:
        """The facts as JSON (days ISO), for the trail and the outbox."""
        return {
            "kind": self.kind, "number": self.number, "sent_on": self.sent_on.isoformat(),
            "deadline": self.deadline.isoformat(), "amount": self.amount, "paid": self.paid,
            "fees": self.fees, "fee": self.fee, "interest": self.interest,
            "interest_from": self.interest_from.isoformat() if self.interest_from else None,
            "interest_through": (self.interest_through.isoformat()
                                 if self.interest_through else None),
            "schedule": [{"due_date": day.isoformat(), "amount": amount}
                         for day, amount in self.schedule],
            "credit_number": self.credit_number, "credit": self.credit, "reason": self.reason,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> NoticeFacts:
        """The facts stored by :meth:`to_json`; ValueError if they are not."""
        kind = data.get("kind")
        if kind not in _KINDS:
            raise ValueError(f"unknown notice kind {kind!r}")

        def day(key: str) -> date | None:
            value = data.get(key)
            return date.fromisoformat(value) if isinstance(value, str) else None

        sent_on, deadline = day("sent_on"), day("deadline")
        if sent_on is None or deadline is None:
            raise ValueError("a notice needs sent_on and deadline")
        number = data.get("number")
        return cls(kind=kind, sent_on=sent_on, deadline=deadline,
                   amount=int(data["amount"]), paid=int(data.get("paid") or 0),
                   fees=int(data.get("fees") or 0), interest=int(data.get("interest") or 0),
                   number=int(number) if number is not None else None,
                   fee=int(data.get("fee") or 0), interest_from=day("interest_from"),
                   interest_through=day("interest_through"),
                   schedule=tuple((date.fromisoformat(item["due_date"]), int(item["amount"]))
                                  for item in data.get("schedule") or ()),
                   credit_number=data.get("credit_number"), credit=int(data.get("credit") or 0),
                   reason=data.get("reason"))


def notice_title(kind: str, locale: str) -> str:
    """The heading of a notice (Maksumuistutus, Betalningspåminnelse, Purring,
    Inkassovarsel, ...) in ``locale``."""
    _ = translator(locale)
    if kind == "inkassovarsel":
        return _("Debt collection notice")
    if kind == "extension":
        return _("New due date confirmed")
    if kind == "plan":
        return _("Payment plan confirmed")
    if kind == "credit":
        return _("Credit note")
    return _("Payment reminder")


def notice_pdf(invoice: Invoice, facts: NoticeFacts, config: KassaConfig, locale: str, *,
               created_at: datetime | None = None) -> bytes:
    """The notice as a PDF (A4) in ``locale``: heading, the invoice it is about (number,
    date, due date), the message, what is owed now, and a payment slip for the notice's
    amount and deadline. ``created_at`` fixes the creation date (reproducible output)."""
    _ = translator(locale)
    title = notice_title(facts.kind, locale)
    page = new_page(config, locale=locale, currency=invoice.currency, country=invoice.country,
                    title=_("%(title)s: invoice %(number)s", title=title,
                            number=invoice.number), created_at=created_at)
    details = payment_details(invoice, config, amount_minor=facts.pay_now,
                              due_date=facts.deadline)
    letterhead(page, config, title)
    if facts.kind == "credit":
        _credit_note(page, invoice, facts, details)
        return bytes(page.pdf.output())
    parties(page, invoice.billed, [
        (_("Date"), page.day(facts.sent_on)),
        (_("Invoice number"), invoice.number),
        (_("Invoice date"), page.day(invoice.issue_date)),
        (_("New due date"), page.day(facts.deadline)) if facts.kind == "extension"
        else (_("Original due date"), page.day(invoice.due_date)),
        (page.word("reference"), details.reference_display),
        (_("Pay by"), page.day(facts.deadline)),
    ])
    _message(page, invoice, facts)
    _sums(page, facts, config)
    _schedule(page, facts)
    payment_slip(page, details)
    return bytes(page.pdf.output())


def _credit_note(page: Page, invoice: Invoice, facts: NoticeFacts,
                 details: PaymentDetails) -> None:
    """A credit note: which invoice it corrects, by how much and why, what is left to pay
    (with a payment slip) or what is paid back."""
    _ = page.gettext
    rows = [(_("Date"), page.day(facts.sent_on)),
            (_("Credit note number"), facts.credit_number or ""),
            (_("Invoice number"), invoice.number),
            (_("Invoice date"), page.day(invoice.issue_date))]
    if facts.balance > 0:
        rows += [(page.word("reference"), details.reference_display),
                 (_("Pay by"), page.day(facts.deadline))]
    parties(page, invoice.billed, rows)
    page.paragraph(_("We have corrected invoice %(number)s of %(date)s with this credit note: "
                     "%(amount)s less to pay.", number=invoice.number,
                     date=page.day(invoice.issue_date), amount=page.money(facts.credit)))
    page.pdf.ln(1.5)
    if facts.reason:
        page.paragraph(_("Reason: %(reason)s", reason=facts.reason))
        page.pdf.ln(1.5)
    page.heading(_("What is owed now"))
    page.label_value(_("Invoice amount"), page.money(facts.amount))
    if facts.fees:
        page.label_value(_("Fees and charges"), page.money(facts.fees))
    if facts.interest:
        page.label_value(_("Late-payment interest"), page.money(facts.interest))
    if facts.paid - facts.credit:
        page.label_value(_("Already paid"), page.money(-(facts.paid - facts.credit)))
    page.label_value(_("This credit note"), page.money(-facts.credit))
    if facts.balance > 0:
        page.label_value(_("Amount to pay"), page.money(facts.balance), bold=True, size=12)
        payment_slip(page, details)
    elif facts.balance < 0:
        page.label_value(_("To be paid back to you"), page.money(-facts.balance), bold=True,
                         size=12)
        page.pdf.ln(1.5)
        page.paragraph(_("You have paid more than is now owed. We will pay the difference "
                         "back to you and let you know when it is on its way."))
    else:
        page.label_value(_("Amount to pay"), page.money(0), bold=True, size=12)
        page.pdf.ln(1.5)
        page.paragraph(_("Nothing is left to pay on this invoice."))


def _message(page: Page, invoice: Invoice, facts: NoticeFacts) -> None:
    _ = page.gettext
    amount, deadline = page.money(facts.balance), page.day(facts.deadline)
    issued, due = page.day(invoice.issue_date), page.day(invoice.due_date)
    if facts.kind == "plan":
        paragraphs = [
            _("As agreed, you can pay invoice %(number)s of %(date)s in %(count)s instalments. "
              "We will not send reminders while the instalments are paid on time.",
              number=invoice.number, date=issued, count=len(facts.schedule)),
            _("Please pay the first instalment, %(amount)s, by %(deadline)s, and each of the "
              "others by its due date, always with the same reference.",
              amount=page.money(facts.pay_now), deadline=deadline),
        ]
        warning = None
    elif facts.kind == "extension":
        paragraphs = [
            _("As agreed, you have more time to pay invoice %(number)s of %(date)s. The new "
              "due date is %(deadline)s, and we will not send reminders before it.",
              number=invoice.number, date=issued, deadline=deadline),
            _("Please pay %(amount)s by %(deadline)s with the details below.", amount=amount,
              deadline=deadline),
        ]
        warning = None
    elif facts.kind == "inkassovarsel":
        paragraphs = [
            _("We have not received payment for invoice %(number)s of %(date)s, which was due "
              "on %(due)s.", number=invoice.number, date=issued, due=due),
        ]
        warning = _("If %(amount)s has not been paid by %(deadline)s, the claim will be sent "
                    "to debt collection. Collection costs may then be added, and you would "
                    "have to pay them.", amount=amount, deadline=deadline)
        paragraphs.append(_("If you think the claim is wrong, please tell us before "
                            "%(deadline)s.", deadline=deadline))
    else:
        paragraphs = [
            _("We have not yet received payment for invoice %(number)s of %(date)s, which was "
              "due on %(due)s. Please pay %(amount)s by %(deadline)s.",
              number=invoice.number, date=issued, due=due, amount=amount, deadline=deadline),
            _("If you have already paid, thank you, and please disregard this reminder. If "
              "the claim seems wrong, or paying by then is difficult, please contact us "
              "before %(deadline)s: we can agree on more time or a payment plan.",
              deadline=deadline),
        ]
        warning = None
    for text in paragraphs:
        page.paragraph(text)
        page.pdf.ln(1.5)
    if warning is not None:
        page.font(10, bold=True)
        page.pdf.multi_cell(0, 5, page.text(warning))
        page.pdf.ln(1.5)


def _sums(page: Page, facts: NoticeFacts, config: KassaConfig) -> None:
    _ = page.gettext
    page.heading(_("What is owed now"))
    page.label_value(_("Invoice amount"), page.money(facts.amount))
    if facts.paid:
        page.label_value(_("Already paid"), page.money(-facts.paid))
    if facts.fees:
        if facts.fee and facts.fee != facts.fees:
            page.label_value(_("Earlier fees and charges"), page.money(facts.fees - facts.fee))
        if facts.fee:
            page.label_value(_("Fee for this notice"), page.money(facts.fee))
        else:
            page.label_value(_("Fees and charges"), page.money(facts.fees))
    start, end = facts.interest_from, facts.interest_through
    if facts.interest and start is not None and end is not None and end > start:
        period = _("Late-payment interest %(start)s–%(end)s",
                   start=page.day(start + timedelta(days=1)), end=page.day(end))
        page.label_value(period, page.money(facts.interest))
        for rate, since in _rate_segments(page.country, config, start, end):
            page.font(8.5)
            page.pdf.cell(page.pdf.epw - 45, 4.5, page.text(
                _("interest rate %(rate)s a year from %(date)s", rate=page.percent(rate),
                  date=page.day(since))), align="R", new_x="LMARGIN", new_y="NEXT")
    total = _("Total of the plan") if facts.schedule else _("Amount to pay")
    page.label_value(total, page.money(facts.balance), bold=True, size=12)


def _schedule(page: Page, facts: NoticeFacts) -> None:
    if not facts.schedule:
        return
    _ = page.gettext
    page.heading(_("Your payment plan"))
    page.font(9.5)
    with page.pdf.table(col_widths=(30, 50, 50), text_align=("LEFT", "LEFT", "RIGHT"),
                        borders_layout="HORIZONTAL_LINES", line_height=5.5, width=110,
                        align="LEFT") as table:
        table.row([page.text(_("Instalment")), page.text(_("Due date")),
                   page.text(_("Amount"))])
        for number, (day, amount) in enumerate(facts.schedule, start=1):
            table.row([str(number), page.day(day), page.money(amount)])
    page.pdf.ln(2)


def _rate_segments(country: str, config: KassaConfig, start: date,
                   end: date) -> list[tuple[Decimal, date]]:
    """The late-payment rates in force after ``start`` up to ``end``: (rate, first day)."""
    segments: list[tuple[Decimal, date]] = []
    day = start + timedelta(days=1)
    while day <= end:
        try:
            rate = late_interest_rate(country, config.rulebook, day)
        except RuleError:
            return segments
        if not segments or segments[-1][0] != rate:
            segments.append((rate, day))
        day += timedelta(days=1)
    return segments
