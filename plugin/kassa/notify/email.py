"""Invoices by e-mail: the message in the shopper's language, and sending it over SMTP.

:func:`build_invoice_email` needs the Flask app context (the shopper's link is signed with
the app's ``SECRET_KEY`` and the HTML part is a template the host app may override at
``kassa/email/invoice.html``); it needs no request. :func:`send_email` talks to the SMTP
server of ``KASSA_SMTP_*`` and raises on any failure, which the outbox turns into a retry.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid

from flask import render_template

from ..config import KassaConfig
from ..db.models import Invoice
from ..i18n import Translator, country_word, document_filename, format_day, format_money, translator
from ..invoicing import PaymentDetails, payment_details
from ..invoicing.pdf import invoice_pdf
from ..services.links import invoice_token, pages_token

__all__ = ["SMTP_TIMEOUT", "build_invoice_email", "invoice_page_url", "send_email"]

#: Seconds to wait for the SMTP server (connect and each command).
SMTP_TIMEOUT = 15.0


def invoice_page_url(invoice: Invoice, config: KassaConfig, base_url: str) -> str:
    """The shopper's invoice page: ``{base_url}{KASSA_URL_PREFIX}/account/invoice/<token>``.

    ``base_url`` is the shop's public origin (``https://shop.example``), without the prefix.
    """
    return f"{base_url.rstrip('/')}{config.url_prefix}/account/invoice/{invoice_token(invoice.id)}"


def pages_url(customer_id: int, config: KassaConfig, base_url: str) -> str:
    """The shopper's own pages (every invoice, more time, a plan, messages), opened by a
    signed link valid for :data:`~kassa.services.links.PAGES_LINK_DAYS` days; it travels by
    e-mail."""
    token = pages_token(customer_id, by_email=True)
    return f"{base_url.rstrip('/')}{config.url_prefix}/account/open/{token}"


@dataclass(frozen=True)
class _InvoiceMail:
    """What the text and HTML parts both say."""

    greeting: str
    paragraphs: list[str]
    facts: list[tuple[str, str]]
    link_intro: str
    link_label: str
    link: str
    help: str
    pages_label: str
    pages_link: str
    closing: str
    signature: str


def build_invoice_email(invoice: Invoice, config: KassaConfig, locale: str, base_url: str,
                        *, recipient: str | None = None,
                        now: datetime | None = None) -> EmailMessage:
    """The invoice e-mail in ``locale``: a plain-text body, an HTML alternative and the PDF
    (named in ``locale``: ``lasku-<number>.pdf``, ``faktura-<number>.pdf``, see
    :func:`~kassa.i18n.document_filename`).

    ``recipient`` defaults to the billed e-mail address; ``now`` (UTC) is the ``Date``
    header. Needs the app context (see the module).
    """
    _ = translator(locale)
    details = payment_details(invoice, config)
    page = invoice_page_url(invoice, config, base_url)
    mail = _compose(invoice, config, locale, details, f"{page}?via=email",
                    f"{pages_url(invoice.customer_id, config, base_url)}?lang={locale}")

    message = EmailMessage()
    message["Subject"] = _("Invoice %(number)s from %(shop)s", number=invoice.number,
                           shop=config.shop_name)
    message["From"] = formataddr((config.shop_name, config.mail_from))
    message["To"] = recipient or invoice.billed["email"]
    message["Date"] = format_datetime(now or datetime.now(UTC))
    message["Message-ID"] = make_msgid("kassa", domain=_domain(config.mail_from))
    message.set_content(_plain_text(mail))
    message.add_alternative(render_template("kassa/email/invoice.html", mail=mail,
                                            locale=locale, subject=message["Subject"],
                                            shop_name=config.shop_name,
                                            brand_colour=config.brand_colour,
                                            pixel=f"{page}/seen.gif"),
                            subtype="html")
    message.add_attachment(invoice_pdf(invoice, config, locale), maintype="application",
                           subtype="pdf",
                           filename=document_filename("invoice", invoice.number, locale))
    message["Content-Language"] = locale  # last: building the parts moves Content-* headers
    return message


def _compose(invoice: Invoice, config: KassaConfig, locale: str, details: PaymentDetails,
             link: str, pages: str) -> _InvoiceMail:
    _ = translator(locale)
    amount = format_money(details.amount_minor, invoice.currency, locale)
    due = format_day(invoice.due_date, locale)
    paragraphs = [_("Thank you for shopping at %(shop)s. Here is your invoice %(number)s; "
                    "you will find it as a PDF attached to this message.",
                    shop=config.shop_name, number=invoice.number)]
    if invoice.instalment_number is not None:
        paragraphs.append(_("This is instalment %(number)s of your payment plan. We will send "
                            "each of the next ones in good time before it is due.",
                            number=invoice.instalment_number))
    paragraphs.append(_("Please pay %(amount)s by %(date)s.", amount=amount, date=due))
    facts = [(_("Amount to pay"), amount), (_("Due date"), due)]
    if details.iban_display:
        facts.append((_("IBAN"), details.iban_display))
    if details.bic:
        facts.append((_("BIC"), details.bic))
    facts.append((country_word(_, invoice.country, "reference"), details.reference_display))
    if details.virtual_barcode:
        facts.append((_("Virtual bar code"), details.virtual_barcode))
    return _InvoiceMail(
        greeting=_("Hello %(name)s,", name=invoice.billed["name"]),
        paragraphs=paragraphs,
        facts=facts,
        link_intro=_("On your invoice page you can see the invoice and its status at any "
                     "time, and pay it:"),
        link_label=_("Open your invoice"),
        link=link,
        help=_use_reference(_, invoice.country),
        pages_label=_("Your pages: all your invoices, more time, a payment plan, messages"),
        pages_link=pages,
        closing=_("Kind regards,"),
        signature=config.shop_name,
    )


def _use_reference(_: Translator, country: str) -> str:
    """Why to use the reference, naming the country's own (viitenumero, OCR, KID)."""
    if country == "FI":
        return _.pgettext("FI", "Please use the reference number when you pay, so that your "
                          "payment finds its invoice. If anything is unclear, or you need more "
                          "time to pay, you can arrange it on your own pages or write to us "
                          "there: we are happy to help.")
    if country == "SE":
        return _.pgettext("SE", "Please use the OCR number when you pay, so that your payment "
                          "finds its invoice. If anything is unclear, or you need more time to "
                          "pay, you can arrange it on your own pages or write to us there: we "
                          "are happy to help.")
    if country == "NO":
        return _.pgettext("NO", "Please use the KID number when you pay, so that your payment "
                          "finds its invoice. If anything is unclear, or you need more time to "
                          "pay, you can arrange it on your own pages or write to us there: we "
                          "are happy to help.")
    return _("Please use the reference when you pay, so that your payment finds its "
             "invoice. If anything is unclear, or you need more time to pay, you can arrange "
             "it on your own pages or write to us there: we are happy to help.")


def _plain_text(mail: _InvoiceMail) -> str:
    width = max(len(label) for label, _value in mail.facts)
    facts = "\n".join(f"{label + ':':<{width + 1}} {value}" for label, value in mail.facts)
    parts = [mail.greeting, *mail.paragraphs, facts, f"{mail.link_intro}\n{mail.link}",
             mail.help, f"{mail.pages_label}:\n{mail.pages_link}",
             f"{mail.closing}\n{mail.signature}"]
    return "\n\n".join(parts) + "\n"


def _domain(address: str) -> str:
    return address.rpartition("@")[2] or "localhost"


def send_email(message: EmailMessage, config: KassaConfig) -> None:
    """Send ``message`` through ``KASSA_SMTP_HOST``/``PORT``, with STARTTLS and login when
    configured, waiting at most :data:`SMTP_TIMEOUT` seconds for each step.

    Raises :class:`smtplib.SMTPException` or :class:`OSError` when the server cannot be
    reached or refuses the message (also when it refuses any one recipient).
    """
    with smtplib.SMTP(config.smtp_host, config.smtp_port, timeout=SMTP_TIMEOUT) as smtp:
        if config.smtp_starttls:
            smtp.starttls(context=ssl.create_default_context())
        if config.smtp_username:
            smtp.login(config.smtp_username, config.smtp_password or "")
        refused = smtp.send_message(message, from_addr=config.mail_from)
        if refused:
            raise smtplib.SMTPRecipientsRefused(refused)
