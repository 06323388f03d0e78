"""Delivering credit reports to the registers: the documented JSON over HTTPS, or a client the
app plugs in.

:func:`send_credit_report` is the outbox sender of kind ``credit_report`` on the channels
``register_fi`` and ``register_no`` (:func:`kassa.notify.lifecycle.default_senders`). It
reads the :class:`~kassa.db.models.CreditReport` the message names, adds the person (the
identity number decrypted from the customer's record at this moment, never stored with the
report or the message) and hands the document to the country's client:

- :class:`HttpRegisterClient` by default, built from ``KASSA_CREDIT_REPORTING``: ``POST``
  to ``url`` with ``Authorization: Bearer {token}``, ``Idempotency-Key`` (the report's id,
  the same on every retry) and, with a ``secret``, the Standard Webhooks signature headers.
  The answer is classified as every outbound request is (:mod:`kassa.notify.http`): 2xx
  delivered, 408/429/5xx and no answer retried with backoff, 410 switches the URL off.
- any :class:`CreditRegisterClient` the app plugs in with :func:`use_register_client`, e.g. a
  client of the register's own API. It receives the same document.

The document is described for the registers' and adapters' developers in
``docs/credit-reporting.md``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session

from ..config import CREDIT_REPORTING_COUNTRIES, CreditReportingTarget
from ..db.models import CreditReport, OutboxMessage
from ..services.credit_reporting import REPORT_KIND, register_channel
from ..state import KassaState
from .hooks import standard_webhook_headers
from .http import DEFAULT_TIMEOUT, DeliveryResult, id_from_json, post
from .outbox import PermanentDeliveryError, Sender, register_sender

__all__ = [
    "CreditRegisterClient",
    "HttpRegisterClient",
    "report_document",
    "send_credit_report",
    "senders",
    "use_register_client",
]


class CreditRegisterClient(Protocol):
    """What delivers a credit report to one country's register.

    :meth:`submit` gets the whole document (``docs/credit-reporting.md``), the person's
    identity number included, and ``idempotency_key`` (the same on every retry of this
    report: a register must record a report once however often it receives it). It returns
    None or a :class:`~kassa.notify.http.DeliveryResult` for success; a failed result, or an
    exception, is retried by the outbox with backoff; raise
    :class:`~kassa.notify.outbox.PermanentDeliveryError` for a report that can never go.
    """

    def submit(self, document: Mapping[str, Any], *, idempotency_key: str,
               now: datetime) -> DeliveryResult | None:
        """Deliver ``document`` once."""
        ...


@dataclass(frozen=True)
class HttpRegisterClient:
    """A register (or the merchant's gateway to it) that takes the document as JSON."""

    target: CreditReportingTarget
    #: Seconds to wait to connect and again for the answer.
    timeout: float = DEFAULT_TIMEOUT

    def submit(self, document: Mapping[str, Any], *, idempotency_key: str,
               now: datetime) -> DeliveryResult | None:
        """POST the document; the register's ``{"id": ...}`` answer becomes the receipt."""
        url, token = self.target.url, self.target.token
        if not url or not token:
            raise PermanentDeliveryError(
                f"KASSA_CREDIT_REPORTING[{self.target.country!r}] has no url and token, and no "
                "client is plugged in (kassa.notify.credit_reports.use_register_client)")
        body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}",
                   "Idempotency-Key": idempotency_key}
        if self.target.secret:
            headers.update(standard_webhook_headers(self.target.secret, idempotency_key,
                                                    int(now.timestamp()), body))
        return post(url, body=body, headers=headers, timeout=self.timeout,
                    external_id=id_from_json)


def report_document(db: Session, state: KassaState, report: CreditReport) -> dict[str, Any]:
    """The document a register receives for ``report``: the stored report, its ``id``
    (``kassa-credit-<report id>``, also the idempotency key) and the ``person``.

    :raises PermanentDeliveryError: the customer has no identity number on record.
    """
    customer = report.agreement.customer
    personal_id = state.vault.reveal(customer)
    if personal_id is None:
        raise PermanentDeliveryError(
            f"customer {customer.id} has no identity number: the register cannot be told "
            "whose credit it is")
    return {"id": report_key(report), **report.payload,
            "person": {"country": customer.country, "personal_id": personal_id,
                       "name": customer.name,
                       "birth_date": (customer.birth_date.isoformat()
                                      if customer.birth_date else None)}}


def report_key(report: CreditReport) -> str:
    """The report's id for the register, the same on every retry."""
    return f"kassa-credit-{report.id}"


def _report(db: Session, message: OutboxMessage) -> CreditReport:
    report_id = (message.payload or {}).get("report_id")
    report = db.get(CreditReport, report_id) if isinstance(report_id, int) else None
    if report is None:
        raise PermanentDeliveryError(f"credit report {report_id!r} does not exist")
    return report


def _deliver(db: Session, state: KassaState, message: OutboxMessage, now: datetime,
             client: CreditRegisterClient | None) -> DeliveryResult | None:
    report = _report(db, message)
    if client is None:
        target = state.config.credit_reporting.get(report.country)
        if target is None:
            raise PermanentDeliveryError(
                f"KASSA_CREDIT_REPORTING names no register for {report.country} any more")
        client = HttpRegisterClient(target)
    result = client.submit(report_document(db, state, report),
                           idempotency_key=report_key(report), now=now)
    if result is None or result.ok:
        report.reported_at = now
        report.receipt = (result.external_id if result is not None else None)
    return result


def send_credit_report(db: Session, state: KassaState, message: OutboxMessage,
                       now: datetime) -> DeliveryResult | None:
    """Deliver one credit report to the register configured for its country over HTTP, and
    record when the register took it."""
    return _deliver(db, state, message, now, None)


def use_register_client(state: KassaState, country: str, client: CreditRegisterClient) -> None:
    """Deliver this app's credit reports for ``country`` (FI or NO) through ``client``
    instead of the JSON endpoint. Reports are still queued only for the countries in
    ``KASSA_CREDIT_REPORTING`` (an entry with neither url nor token will do)."""
    code = country.upper()
    if code not in CREDIT_REPORTING_COUNTRIES:
        raise ValueError(f"Kassa reports credit in {', '.join(CREDIT_REPORTING_COUNTRIES)}, "
                         f"not {country!r}")

    def sender(db: Session, state: KassaState, message: OutboxMessage,
               now: datetime) -> DeliveryResult | None:
        return _deliver(db, state, message, now, client)

    register_sender(state, REPORT_KIND, register_channel(code), sender)


def senders() -> dict[tuple[str, str], Sender]:
    """The default senders of credit reports, one per register channel."""
    return {(REPORT_KIND, register_channel(country)): send_credit_report
            for country in CREDIT_REPORTING_COUNTRIES}
