"""Kassa's outbox senders: the invoice by e-mail, SMS and hand-over, the friendly contact,
formal reminders, support-team hooks and collection.

:func:`default_senders` lists them; ``init_app`` gives each app that table. Each returns a
:class:`~kassa.notify.http.DeliveryResult` (or None for success), so retries, backoff and
the dead-letter state stay the outbox's business. Texts are written in the customer's
language with :func:`kassa.i18n.translator`, which needs no request.
"""

from __future__ import annotations

from datetime import date, datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from typing import Any

from sqlalchemy.orm import Session

from ..core.calendar import receipt_date
from ..db.models import Invoice, InvoiceEvent, OutboxMessage
from ..i18n import (
    country_word,
    document_filename,
    format_day,
    format_money,
    normalize_locale,
    translator,
)
from ..invoicing import payment_details
from ..invoicing.notices import NoticeFacts, notice_pdf
from ..invoicing.pdf import invoice_pdf
from ..services.links import invoice_token
from ..state import KassaState
from .credit_documents import send_credit_documents_email
from .credit_reports import senders as credit_report_senders
from .customer_service import senders as customer_service_senders
from .email import build_invoice_email, pages_url, send_email
from .handover import hand_over, handover_payload, handover_settings
from .hooks import send_hook
from .http import DeliveryResult
from .outbox import PermanentDeliveryError, Sender
from .sms import friendly_sms_text, sms_provider_from_config

HANDOVER_CHANNELS = ("letter", "einvoice", "digital_mailbox")


def _invoice(db: Session, message: OutboxMessage) -> Invoice:
    invoice = db.get(Invoice, message.invoice_id) if message.invoice_id else None
    if invoice is None:
        raise PermanentDeliveryError(f"invoice {message.invoice_id!r} does not exist")
    return invoice


def _locale(state: KassaState, message: OutboxMessage, invoice: Invoice) -> str:
    return (normalize_locale((message.payload or {}).get("locale"))
            or normalize_locale(invoice.customer.locale) or state.config.default_locale)


def _link(state: KassaState, message: OutboxMessage, invoice: Invoice, via: str) -> str:
    base = (message.payload or {}).get("base_url") or state.config.public_url
    return (f"{base.rstrip('/')}{state.config.url_prefix}/account/invoice/"
            f"{invoice_token(invoice.id)}?via={via}")


def _pages_link(state: KassaState, message: OutboxMessage, invoice: Invoice) -> str:
    base = (message.payload or {}).get("base_url") or state.config.public_url
    return pages_url(invoice.customer_id, state.config, base)


def _email(state: KassaState, recipient: str, subject: str, body: str, locale: str,
           attachment: tuple[bytes, str] | None = None) -> EmailMessage:
    config = state.config
    mail = EmailMessage()
    mail["Subject"] = subject
    mail["From"] = formataddr((config.shop_name, config.mail_from))
    mail["To"] = recipient
    mail["Date"] = format_datetime(datetime.now().astimezone())
    mail["Message-ID"] = make_msgid("kassa", domain=config.mail_from.rpartition("@")[2]
                                    or "localhost")
    mail.set_content(body)
    if attachment is not None:
        mail.add_attachment(attachment[0], maintype="application", subtype="pdf",
                            filename=attachment[1])
    mail["Content-Language"] = locale
    return mail


# -- invoices by SMS and by hand-over --------------------------------------------------------


def send_invoice_sms(db: Session, state: KassaState, message: OutboxMessage,
                     now: datetime) -> DeliveryResult | None:
    """A short SMS with the amount, due date and the invoice page link."""
    invoice = _invoice(db, message)
    locale = _locale(state, message, invoice)
    _ = translator(locale)
    text = _("%(shop)s: your invoice of %(amount)s is due on %(date)s. See and pay it here: "
             "%(url)s", shop=state.config.shop_name,
             amount=format_money(invoice.balance_minor, invoice.currency, locale),
             date=format_day(invoice.due_date, locale), url=_link(state, message, invoice, "sms"))
    return sms_provider_from_config(state.config).send(message.recipient, text,
                                                       message_id=f"kassa-{message.id}")


def send_handover(db: Session, state: KassaState, message: OutboxMessage,
                  now: datetime) -> DeliveryResult | None:
    """Hand the invoice (or a reminder of it) with its PDF to the print or operator service,
    and record when a letter is received at the latest."""
    invoice = _invoice(db, message)
    locale = _locale(state, message, invoice)
    url, token = handover_settings(state.config, message.channel)
    billed = invoice.billed
    payload = message.payload or {}
    data = {
        "number": invoice.number, "reference": invoice.reference, "currency": invoice.currency,
        "amount_minor": invoice.balance_minor, "due_date": invoice.due_date,
        "issue_date": invoice.issue_date,
        "recipient": {"name": billed["name"], "street": billed["street"],
                      "postal_code": billed["postal_code"], "city": billed["city"],
                      "country": invoice.country},
    }
    facts = _notice_facts(message, invoice) if message.kind != "invoice" else None
    if facts is not None:
        data["amount_minor"], data["due_date"] = facts.pay_now, facts.deadline
    try:
        pdf = (invoice_pdf(invoice, state.config, locale) if facts is None
               else notice_pdf(invoice, facts, state.config, locale))
        kind = facts.kind if facts is not None else "invoice"
        body = handover_payload(data, pdf, message.channel,
                                filename=document_filename(kind, invoice.number, locale))
    except Exception as exc:  # a payload that can never be valid (e.g. no postal address)
        raise PermanentDeliveryError(str(exc)) from exc
    # What kind of document it is: the invoice itself or a numbered payment reminder.
    body["document"] = {"kind": facts.kind if facts else message.kind,
                        "notice": payload.get("notice"), "fee_minor": payload.get("fee"),
                        "deadline": payload.get("deadline"), "locale": locale}
    result = hand_over(url or "", token or "", body, f"kassa-{message.id}")
    if result.ok:
        sent_on = now.date()
        event: dict[str, Any] = {"channel": message.channel, "message": message.kind}
        if message.channel == "letter":
            event["receipt_date"] = receipt_date(
                invoice.country, "letter", sent_on,
                letter_lag_business_days=state.config.letter_lag_business_days.get(
                    invoice.country, 0)).isoformat()
        db.add(InvoiceEvent(invoice_id=invoice.id, kind="handed_over", data=event,
                            occurred_at=now))
    return result


# -- the friendly contact and formal reminders -----------------------------------------------


def send_friendly_sms(db: Session, state: KassaState, message: OutboxMessage,
                      now: datetime) -> DeliveryResult | None:
    """The warm, fee-free SMS the day after the due date, with the pay link."""
    invoice = _invoice(db, message)
    locale = _locale(state, message, invoice)
    text = friendly_sms_text(locale, state.config.shop_name,
                             format_money(invoice.balance_minor, invoice.currency, locale),
                             _link(state, message, invoice, "sms"))
    return sms_provider_from_config(state.config).send(message.recipient, text,
                                                       message_id=f"kassa-{message.id}")


def send_friendly_email(db: Session, state: KassaState, message: OutboxMessage,
                        now: datetime) -> DeliveryResult | None:
    """The warm, fee-free e-mail the day after the due date, with the pay link."""
    invoice = _invoice(db, message)
    locale = _locale(state, message, invoice)
    _ = translator(locale)
    amount = format_money(invoice.balance_minor, invoice.currency, locale)
    body = "\n\n".join([
        _("Hello %(name)s,", name=invoice.billed["name"]),
        _("This is a friendly reminder: your invoice %(number)s of %(amount)s was due on "
          "%(date)s. It happens to all of us! No fee has been added.",
          number=invoice.number, amount=amount, date=format_day(invoice.due_date, locale)),
        _("You can see the invoice and pay it here:") + "\n"
        + _link(state, message, invoice, "email"),
        _("If you have already paid, thank you, and please ignore this message. If paying "
          "now is difficult, you can take more time or split the payment on your own "
          "pages, or write to us there:") + "\n" + _pages_link(state, message, invoice),
        _("Kind regards,") + "\n" + state.config.shop_name,
    ]) + "\n"
    send_email(_email(state, message.recipient, _("A friendly reminder about invoice "
                                                    "%(number)s", number=invoice.number),
                      body, locale), state.config)
    return None


def _notice_facts(message: OutboxMessage, invoice: Invoice) -> NoticeFacts:
    """The facts of the notice ``message`` carries. A message queued before notices kept
    their own facts is read as a reminder of the invoice as it stands."""
    payload = message.payload or {}
    try:
        return NoticeFacts.from_json(payload["document"])
    except (KeyError, TypeError, ValueError):
        deadline = payload.get("deadline")
        return NoticeFacts(
            kind="reminder", number=payload.get("notice"), sent_on=message.created_at.date(),
            deadline=date.fromisoformat(deadline) if deadline else invoice.due_date,
            amount=invoice.amount_minor, paid=invoice.paid_minor, fees=invoice.fees_minor,
            fee=int(payload.get("fee") or 0), interest=invoice.interest_minor,
            interest_from=invoice.due_date, interest_through=invoice.interest_through)


def send_notice_email(db: Session, state: KassaState, message: OutboxMessage,
                      now: datetime) -> DeliveryResult | None:
    """A payment reminder, Norway's inkassovarsel, the confirmation of more time or of a
    payment plan, or a credit note, with what is owed now, the deadline, and the notice's own
    PDF attached."""
    invoice = _invoice(db, message)
    locale = _locale(state, message, invoice)
    _ = translator(locale)
    facts = _notice_facts(message, invoice)
    amount = format_money(facts.balance, invoice.currency, locale)
    deadline = format_day(facts.deadline, locale)
    due = format_day(invoice.due_date, locale)
    reference = payment_details(invoice, state.config).reference_display
    contact = state.config.support_email or state.config.mail_from
    lines = [_("Hello %(name)s,", name=invoice.billed["name"])]
    if facts.kind == "plan":
        subject = _("Your payment plan for invoice %(number)s", number=invoice.number)
        lines += [
            _("As agreed, you can pay invoice %(number)s in %(count)s instalments. We will not "
              "send reminders while the instalments are paid on time.",
              number=invoice.number, count=len(facts.schedule)),
            _("Please pay the first instalment, %(amount)s, by %(deadline)s. The whole "
              "schedule is in the attached PDF.",
              amount=format_money(facts.pay_now, invoice.currency, locale), deadline=deadline),
        ]
    elif facts.kind == "extension":
        subject = _("New due date for invoice %(number)s", number=invoice.number)
        lines += [
            _("As agreed, you have more time to pay invoice %(number)s. The new due date is "
              "%(deadline)s, and we will not send reminders before it.",
              number=invoice.number, deadline=deadline),
            _("Please pay %(amount)s by %(deadline)s.", amount=amount, deadline=deadline),
        ]
    elif facts.kind == "credit":
        subject = _("Credit note %(credit)s for invoice %(number)s",
                    credit=facts.credit_number or "", number=invoice.number)
        lines.append(_("We have corrected invoice %(number)s with a credit note: %(amount)s "
                       "less to pay.", number=invoice.number,
                       amount=format_money(facts.credit, invoice.currency, locale)))
        if facts.reason:
            lines.append(_("Reason: %(reason)s", reason=facts.reason))
        if facts.balance > 0:
            lines.append(_("Please pay %(amount)s by %(deadline)s.", amount=amount,
                           deadline=deadline))
        elif facts.balance < 0:
            lines.append(_("You have paid %(amount)s more than is now owed. We will pay it "
                           "back to you and let you know when it is on its way.",
                           amount=format_money(-facts.balance, invoice.currency, locale)))
        else:
            lines.append(_("Nothing is left to pay on this invoice."))
    elif facts.kind == "inkassovarsel":
        subject = _("Debt collection notice: invoice %(number)s", number=invoice.number)
        lines += [
            _("We have not received payment for invoice %(number)s, which was due on "
              "%(due)s.", number=invoice.number, due=due),
            _("If %(amount)s has not been paid by %(deadline)s, the claim will be sent to debt "
              "collection. Collection costs may then be added, and you would have to pay "
              "them.", amount=amount, deadline=deadline),
        ]
    else:
        subject = _("Payment reminder: invoice %(number)s", number=invoice.number)
        lines.append(_("We have not yet received payment for invoice %(number)s, which was "
                       "due on %(due)s.", number=invoice.number, due=due))
        if facts.fee:
            lines.append(_("A reminder fee of %(fee)s has been added, as the law allows.",
                           fee=format_money(facts.fee, invoice.currency, locale)))
        lines.append(_("Please pay %(amount)s by %(deadline)s.", amount=amount,
                       deadline=deadline))
    if facts.balance > 0:
        lines.append(f"{country_word(locale, invoice.country, 'reference')}: {reference}")
    lines.append(_("The details are in the attached PDF. You can also see the invoice and pay "
                   "it here:") + "\n" + _link(state, message, invoice, "email"))
    if facts.kind == "inkassovarsel":
        lines.append(_("If you think the claim is wrong, please tell us before %(deadline)s: "
                       "%(contact)s", deadline=deadline, contact=contact))
    elif facts.kind == "reminder":
        lines.append(_("If you have already paid, thank you, and please disregard this "
                       "reminder. If the claim seems wrong, or paying by then is difficult, "
                       "please contact us before %(deadline)s at %(contact)s: we can agree on "
                       "more time or a payment plan.", deadline=deadline, contact=contact))
    lines.append(_("Kind regards,") + "\n" + state.config.shop_name)
    pdf = (notice_pdf(invoice, facts, state.config, locale),
           document_filename(facts.kind, invoice.number, locale))
    send_email(_email(state, message.recipient, subject, "\n\n".join(lines) + "\n", locale,
                      pdf), state.config)
    return None


def send_notice_sms(db: Session, state: KassaState, message: OutboxMessage,
                    now: datetime) -> DeliveryResult | None:
    """A reminder, inkassovarsel, new due date, plan or credit note by SMS: amount, deadline
    and the link to the invoice page."""
    invoice = _invoice(db, message)
    locale = _locale(state, message, invoice)
    _ = translator(locale)
    facts = _notice_facts(message, invoice)
    values = {"shop": state.config.shop_name, "number": invoice.number,
              "amount": format_money(facts.balance, invoice.currency, locale),
              "date": format_day(facts.deadline, locale),
              "url": _link(state, message, invoice, "sms")}
    if facts.kind == "plan":
        text = _("%(shop)s: your payment plan for invoice %(number)s is confirmed. First "
                 "instalment %(first)s by %(date)s. Schedule: %(url)s",
                 first=format_money(facts.pay_now, invoice.currency, locale), **values)
    elif facts.kind == "extension":
        text = _("%(shop)s: the new due date of invoice %(number)s is %(date)s. Amount "
                 "%(amount)s: %(url)s", **values)
    elif facts.kind == "credit":
        values["credit"] = format_money(facts.credit, invoice.currency, locale)
        text = (_("%(shop)s: invoice %(number)s is credited by %(credit)s. Left to pay "
                  "%(amount)s by %(date)s: %(url)s", **values) if facts.balance > 0 else
                _("%(shop)s: invoice %(number)s is credited by %(credit)s. Nothing is left to "
                  "pay. Details: %(url)s", **values))
    elif facts.kind == "inkassovarsel":
        text = _("%(shop)s: debt collection notice for invoice %(number)s. Unless %(amount)s "
                 "is paid by %(date)s, the claim will be sent to debt collection and costs may "
                 "be added. Details: %(url)s", **values)
    else:
        text = _("%(shop)s: payment reminder for invoice %(number)s. Please pay %(amount)s by "
                 "%(date)s: %(url)s", **values)
    if not message.recipient:
        raise PermanentDeliveryError("the customer has no phone number for an SMS")
    return sms_provider_from_config(state.config).send(message.recipient, text,
                                                       message_id=f"kassa-{message.id}")


# -- the merchant's team and the collection partner ------------------------------------------


def send_team_hook(db: Session, state: KassaState, message: OutboxMessage,
                   now: datetime) -> DeliveryResult | None:
    """The overdue case to one of the support team's targets (webhook, Slack, helpdesk, mail)."""
    payload = message.payload or {}
    targets = state.config.reminder_hooks
    index = payload.get("target")
    if not isinstance(index, int) or not 0 <= index < len(targets):
        raise PermanentDeliveryError(f"hook target {index!r} is not configured any more")
    return send_hook(targets[index], payload.get("body") or {}, message_id=f"kassa-{message.id}",
                     now=now, smtp_send=lambda mail: send_email(mail, state.config),
                     locale=state.config.default_locale, mail_from=state.config.mail_from)


def collection_case(invoice: Invoice) -> dict[str, Any]:
    """What the collection partner receives for one invoice (and what the export lists)."""
    customer = invoice.customer
    return {
        "type": "invoice.collection", "number": invoice.number, "reference": invoice.reference,
        "currency": invoice.currency, "amount": invoice.amount_minor, "fees": invoice.fees_minor,
        "interest": invoice.interest_minor, "paid": invoice.paid_minor,
        "balance": invoice.balance_minor, "issue_date": invoice.issue_date.isoformat(),
        "due_date": invoice.due_date.isoformat(), "country": invoice.country,
        "notices": [{"number": s.notice_number, "sent_on": s.taken_on.isoformat(),
                     "deadline": s.deadline.isoformat() if s.deadline else None,
                     "fee": s.fee_minor, "channel": s.channel}
                    for s in invoice.steps if s.kind == "reminder"],
        "customer": {"name": customer.name, "email": customer.email, "phone": customer.phone,
                     "street": customer.street, "postal_code": customer.postal_code,
                     "city": customer.city, "locale": customer.locale,
                     "personal_id_masked": customer.personal_id_masked},
    }


def send_collection(db: Session, state: KassaState, message: OutboxMessage,
                    now: datetime) -> DeliveryResult | None:
    """The invoice handed to the collection partner's webhook."""
    invoice = _invoice(db, message)
    targets = state.config.collection_partner
    index = (message.payload or {}).get("target")
    if not isinstance(index, int) or not 0 <= index < len(targets):
        raise PermanentDeliveryError(f"collection target {index!r} is not configured any more")
    return send_hook(targets[index], collection_case(invoice), message_id=f"kassa-{message.id}",
                     now=now, smtp_send=lambda mail: send_email(mail, state.config),
                     locale=state.config.default_locale, mail_from=state.config.mail_from)


def send_invoice_email(session: Session, state: KassaState, message: OutboxMessage,
                        now: datetime) -> DeliveryResult | None:
    """The invoice e-mail with its PDF, in the locale the checkout was in."""
    invoice = session.get(Invoice, message.invoice_id) if message.invoice_id else None
    if invoice is None:
        raise PermanentDeliveryError(f"invoice {message.invoice_id!r} does not exist")
    payload = message.payload or {}
    base_url = payload.get("base_url")
    if not isinstance(base_url, str) or not base_url:
        raise PermanentDeliveryError("the message has no base_url for the invoice link")
    locale = (normalize_locale(payload.get("locale")) or normalize_locale(invoice.customer.locale)
              or state.config.default_locale)
    email = build_invoice_email(invoice, state.config, locale, base_url,
                                recipient=message.recipient, now=now)
    send_email(email, state.config)
    return None


def default_senders() -> dict[tuple[str, str], Sender]:
    """Kassa's own outbox senders by ``(kind, channel)``; ``init_app`` gives each app these."""
    senders: dict[tuple[str, str], Sender] = {
        ("invoice", "email"): send_invoice_email,
        ("invoice", "sms"): send_invoice_sms,
        ("friendly_reminder", "sms"): send_friendly_sms,
        ("friendly_reminder", "email"): send_friendly_email,
        ("reminder", "email"): send_notice_email,
        ("reminder", "sms"): send_notice_sms,
        ("extension", "email"): send_notice_email,
        ("extension", "sms"): send_notice_sms,
        ("plan", "email"): send_notice_email,
        ("plan", "sms"): send_notice_sms,
        ("credit", "email"): send_notice_email,
        ("credit", "sms"): send_notice_sms,
        ("overdue", "hook"): send_team_hook,
        ("collection", "collection"): send_collection,
        ("credit_documents", "email"): send_credit_documents_email,
    }
    senders.update(credit_report_senders())  # to the credit registers
    senders.update(customer_service_senders())  # codes, replies, decisions, surveys
    for channel in HANDOVER_CHANNELS:
        senders[("invoice", channel)] = send_handover
        senders[("reminder", channel)] = send_handover
        senders[("extension", channel)] = send_handover
        senders[("plan", channel)] = send_handover
        senders[("credit", channel)] = send_handover
    return senders
