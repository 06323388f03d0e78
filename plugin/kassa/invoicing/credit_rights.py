"""What a consumer credit's documents tell the shopper about their rights: the warning about
missed payments, withdrawal, early repayment, the database check, and where to complain and
who supervises the creditor in each country (with the status of each in
``docs/consumer-credit.md``). Shared by the pre-contract information and the agreement
(:mod:`kassa.invoicing.credit_documents`).
"""

from __future__ import annotations

from ..config import KassaConfig
from ..i18n import Translator
from .layout import Page

__all__ = ["complaints", "country_texts", "missed_payment_warning", "rights"]


def missed_payment_warning(page: Page) -> None:
    """The warning every credit document carries: what missed payments lead to, and that
    talking to us early helps."""
    _ = page.gettext
    page.pdf.ln(2)
    page.font(10, bold=True)
    page.pdf.multi_cell(0, 5, page.text(_(
        "Missed payments can have serious consequences for you: fees, late-payment interest "
        "and collection costs may be added, and it may become harder for you to get credit. "
        "If paying becomes difficult, please contact us early: together we can agree on "
        "more time or a new plan.")), new_x="LMARGIN", new_y="NEXT")
    page.pdf.ln(1)


def rights(page: Page, config: KassaConfig, *, withdrawal_days: int, repay_days: int,
           credit_amount: int) -> None:
    """Withdrawal (when, how, and what to pay back: ``credit_amount`` minor units with
    interest), early repayment and the database check, one paragraph each."""
    _ = page.gettext
    contact = config.support_email or config.mail_from
    paragraphs = [
        _("Right of withdrawal: you may withdraw from the credit agreement within %(days)s "
          "calendar days without giving a reason. The period starts on the day the agreement "
          "is made, or on the day you receive the agreement and this information, if that is "
          "later.", days=withdrawal_days),
        _("To withdraw, tell us by e-mail at %(email)s or by letter to %(address)s. Then pay "
          "back the total amount of credit, %(amount)s, with interest at the borrowing rate "
          "for the days you had the credit, within %(days)s days of telling us. Your purchase "
          "itself stays valid.", email=contact, address=config.merchant_address,
          amount=page.money(credit_amount), days=repay_days),
        _("Early repayment: you may repay the credit at any time, in full or in part. The "
          "total cost of the credit is then reduced by the interest and costs of the "
          "remaining time, and we charge no fee for repaying early."),
        _("Database consultation: to assess your ability to pay, we use your purchases and "
          "payments with us and may consult a credit database (in Finland, the positive "
          "credit register). If we decline an application on the basis of a database "
          "consultation, we tell you at once and free of charge, and which database it was."),
    ]
    for text in paragraphs:
        page.paragraph(text)
        page.pdf.ln(1)


def complaints(page: Page) -> None:
    """Where to complain and who supervises, for the document's country."""
    for text in country_texts(page.gettext, page.country):
        page.paragraph(text)
        page.pdf.ln(1)


def country_texts(t: Translator, country: str) -> list[str]:
    """Where to complain and who supervises, for a creditor selling in ``country``
    (statuses in docs/consumer-credit.md)."""
    if country == "SE":
        return [t.pgettext("SE", "If you are not satisfied, please contact us first. You can "
                                 "then turn to the National Board for Consumer Disputes "
                                 "(Allmänna reklamationsnämnden, ARN), arn.se, free of "
                                 "charge."),
                t.pgettext("SE", "Supervisory authority: the Swedish Consumer Agency "
                                 "(Konsumentverket), konsumentverket.se.")]
    if country == "NO":
        return [t.pgettext("NO", "If you are not satisfied, please contact us first. You can "
                                 "then turn to the Norwegian Consumer Authority "
                                 "(Forbrukertilsynet), which mediates and can bring the case "
                                 "to the Consumer Complaints Committee "
                                 "(Forbrukerklageutvalget), free of charge."),
                t.pgettext("NO", "Supervisory authority: the Norwegian Consumer Authority "
                                 "(Forbrukertilsynet), forbrukertilsynet.no.")]
    return [t.pgettext("FI", "If you are not satisfied, please contact us first. You can also "
                             "ask the consumer advisory service (Kuluttajaneuvonta) for help "
                             "and take the matter to the Consumer Disputes Board "
                             "(Kuluttajariitalautakunta), free of charge."),
            t.pgettext("FI", "Supervisory authority: the Finnish Competition and Consumer "
                             "Authority (KKV), kkv.fi.")]
