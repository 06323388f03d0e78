"""Messages of the customer-service side: one-time codes, a reply from the team, a decided
request and the survey, by e-mail or SMS in the shopper's language.

A one-time code travels in its outbox message only until it is sent: the sender blanks it.
"""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid

from sqlalchemy.orm import Session

from ..db.models import Customer, OutboxMessage
from ..db.service_models import ServiceRequest
from ..i18n import normalize_locale, translator
from ..services.conversations import survey_token
from ..services.links import pages_token
from ..state import KassaState
from .email import send_email
from .http import DeliveryResult
from .outbox import PermanentDeliveryError, Sender
from .sms import sms_provider_from_config


def _base(state: KassaState) -> str:
    return f"{state.config.public_url.rstrip('/')}{state.config.url_prefix}/account"


def _texts(db: Session, state: KassaState, message: OutboxMessage) -> tuple[str, str]:
    """``(subject, body)`` of ``message`` in its locale."""
    payload = message.payload or {}
    locale = normalize_locale(payload.get("locale")) or state.config.default_locale
    _ = translator(locale)
    shop = state.config.shop_name
    if message.kind == "shopper_code":
        code = payload.get("code")
        if not code:
            raise PermanentDeliveryError("the code was sent already")
        return (_("Your code for %(shop)s", shop=shop),
                _("Your one-time code is %(code)s. It is valid for 10 minutes. If you did not "
                  "ask for it, you can ignore this message.", code=code))
    customer = db.get(Customer, payload.get("customer_id"))
    if customer is None:
        raise PermanentDeliveryError("the customer does not exist")
    token = pages_token(customer.id, by_email=message.channel == "email")
    pages = f"{_base(state)}/open/{token}?lang={locale}"
    if message.kind == "message_reply":
        return (_("%(shop)s replied to your message", shop=shop),
                _("Hello, our customer service has replied to your message. You can read it "
                  "on your own pages: %(url)s", url=pages))
    if message.kind == "request_decided":
        request = db.get(ServiceRequest, payload.get("request_id"))
        granted = bool(request and (request.decision or {}).get("granted"))
        text = (_("Good news: we have agreed to your request. The details are on your own "
                  "pages: %(url)s", url=pages) if granted else
                _("We have looked into your request. You can read our answer on your own "
                  "pages: %(url)s", url=pages))
        return _("About your request to %(shop)s", shop=shop), text
    if message.kind == "survey":
        token = survey_token(state.app.secret_key or "", int(payload.get("survey_id") or 0))
        url = f"{_base(state)}/survey/{token}?lang={locale}"
        return (_("How did we do? Four quick questions from %(shop)s", shop=shop),
                _("Thank you for contacting us. Would you tell us how it went? Four quick "
                  "questions, under a minute: %(url)s", url=url))
    raise PermanentDeliveryError(f"unknown kind {message.kind!r}")


def send_service_email(db: Session, state: KassaState, message: OutboxMessage,
                       now: datetime) -> DeliveryResult | None:
    subject, body = _texts(db, state, message)
    config = state.config
    mail = EmailMessage()
    mail["Subject"] = subject
    mail["From"] = formataddr((config.shop_name, config.mail_from))
    mail["To"] = message.recipient
    mail["Date"] = format_datetime(now)
    mail["Message-ID"] = make_msgid("kassa", domain=config.mail_from.rpartition("@")[2]
                                    or "localhost")
    mail["Content-Language"] = normalize_locale((message.payload or {}).get("locale")) or "en"
    mail.set_content(body)
    send_email(mail, config)
    _forget_code(message)
    return None


def send_service_sms(db: Session, state: KassaState, message: OutboxMessage,
                     now: datetime) -> DeliveryResult | None:
    subject, body = _texts(db, state, message)
    text = body if message.kind == "shopper_code" else f"{state.config.shop_name}: {body}"
    result = sms_provider_from_config(state.config).send(message.recipient, text,
                                                         message_id=f"kassa-{message.id}")
    if result is None or result.ok:
        _forget_code(message)
    return result


def _forget_code(message: OutboxMessage) -> None:
    if message.kind == "shopper_code":
        message.payload = {**(message.payload or {}), "code": None}


def senders() -> dict[tuple[str, str], Sender]:
    table: dict[tuple[str, str], Sender] = {}
    for kind in ("shopper_code", "message_reply", "request_decided", "survey"):
        table[(kind, "email")] = send_service_email
        table[(kind, "sms")] = send_service_sms
    return table
