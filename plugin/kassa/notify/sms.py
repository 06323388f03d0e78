"""SMS to shoppers: the provider protocol, one JSON-over-HTTP provider, the friendly reminder.

The concrete provider (``KASSA_SMS_URL``, ``KASSA_SMS_API_KEY``, ``KASSA_SMS_SENDER``) is a
plain JSON API, the shape most Nordic SMS gateways offer::

    POST {KASSA_SMS_URL}
    Authorization: Bearer {KASSA_SMS_API_KEY}
    Idempotency-Key: {outbox message id}
    Content-Type: application/json

    {"from": "MyShop", "to": "+358401234567", "text": "Hi! ..."}

    200 {"id": "provider-message-id"}

A shop without SMS settings gets a clear failure from :meth:`JsonHttpSmsProvider.send`
(``ok`` and ``retry`` false, the missing keys named), never a silently dropped message.
"""

from __future__ import annotations

import json
import re
from typing import Any, Protocol

from ..i18n import translator
from .http import DEFAULT_TIMEOUT, DeliveryResult, id_from_json, post

__all__ = [
    "JsonHttpSmsProvider",
    "SmsProvider",
    "friendly_sms_text",
    "normalize_e164",
    "sms_provider_from_config",
]

#: E.164: a plus, a country code that does not start with 0, at most 15 digits in all.
_E164_RE = re.compile(r"\+[1-9][0-9]{6,14}")
#: Two concatenated GSM-7 segments (153 characters each).
MAX_SMS_CHARS = 306


def normalize_e164(number: str) -> str:
    """``number`` in E.164 (``+358401234567``), spaces and hyphens removed.

    :raises ValueError: for anything else, such as a national number without the country
        code (``040 123 4567``).
    """
    compact = re.sub(r"[\s-]", "", number or "")
    if not _E164_RE.fullmatch(compact):
        raise ValueError(
            "the phone number must be in international E.164 form, such as +358401234567"
        )
    return compact


class SmsProvider(Protocol):
    """What the outbox needs of an SMS provider."""

    @property
    def configured(self) -> bool:
        """Whether the provider has the settings it needs to send."""
        ...

    def send(self, to: str, text: str, *, message_id: str) -> DeliveryResult:
        """Send ``text`` to ``to`` (E.164) once; ``message_id`` is the outbox message's id,
        stable across retries. :attr:`DeliveryResult.external_id` is the provider's id."""
        ...


class JsonHttpSmsProvider:
    """The JSON-over-HTTP provider described in this module's docstring."""

    def __init__(
        self,
        url: str | None,
        api_key: str | None,
        sender: str | None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.url = url
        self.sender = sender
        self._api_key = api_key
        #: Seconds to wait for the provider.
        self.timeout = timeout

    def __repr__(self) -> str:  # the API key stays out of logs
        return f"JsonHttpSmsProvider(configured={self.configured}, sender={self.sender!r})"

    @property
    def configured(self) -> bool:
        return bool(self.url and self._api_key and self.sender)

    def send(self, to: str, text: str, *, message_id: str) -> DeliveryResult:
        if not self.configured:
            missing = [
                key
                for key, value in (
                    ("KASSA_SMS_URL", self.url),
                    ("KASSA_SMS_API_KEY", self._api_key),
                    ("KASSA_SMS_SENDER", self.sender),
                )
                if not value
            ]
            return DeliveryResult.failed(f"SMS is not configured: set {', '.join(missing)}")
        try:
            number = normalize_e164(to)
        except ValueError as exc:
            return DeliveryResult.failed(str(exc))
        if not text.strip():
            return DeliveryResult.failed("the SMS text is empty")
        # Money is formatted with no-break spaces, which are outside the GSM 03.38 alphabet
        # and would force the costlier UCS-2 encoding; a plain space reads the same.
        text = text.replace("\u00a0", " ").replace("\u202f", " ")
        body = json.dumps(
            {"from": self.sender, "to": number, "text": text}, ensure_ascii=False
        ).encode("utf-8")
        assert self.url is not None
        return post(
            self.url,
            body=body,
            timeout=self.timeout,
            external_id=id_from_json,
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {self._api_key}",
                "Idempotency-Key": message_id,
            },
        )


def sms_provider_from_config(config: Any) -> JsonHttpSmsProvider:
    """The provider of a :class:`~kassa.config.KassaConfig` (unconfigured without a URL)."""
    return JsonHttpSmsProvider(config.sms_url, config.sms_api_key, config.sms_sender)


def friendly_sms_text(locale: str, shop_name: str, amount_text: str, pay_url: str) -> str:
    """The friendly due-date SMS in ``locale`` (fi, sv, nb, en), with the pay link.

    ``amount_text`` is already formatted for the locale (``129,90 €``). Translated through
    the ``kassa`` catalog without needing an app or request context. The English text stays
    within two SMS segments (306 characters) for a typical shop name and link.
    """
    _ = translator(locale)
    return _(
        "Hi! A friendly reminder from %(shop)s: your invoice of "
        "%(amount)s is past its due date. Pay easily here: %(url)s. If you have "
        "already paid, thank you and please ignore this message.",
        shop=shop_name,
        amount=amount_text,
        url=pay_url,
    )
