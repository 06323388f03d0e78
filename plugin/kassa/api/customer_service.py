"""Customer service through the storefront API: a shop shows its signed-in shopper's invoices
on its own pages and acts for them (more time, a payment plan, a dispute, secure messages, a
callback, contact details and channels), and the merchant's help console works the team's
side (requests to decide, conversations to answer and resolve, callbacks made, survey
answers).

The views are thin: JSON in, a call to :mod:`kassa.services.customer_service` or
:mod:`kassa.services.conversations`, JSON out. :mod:`kassa.api.views` mounts them on the
storefront API blueprint, behind the same keys as :mod:`kassa.api.support`.

**Whom a shop acts for.** The shopper's e-mail address, in the :data:`SHOPPER_HEADER` header
of every ``/shopper/...`` call (a header, not the URL: addresses stay out of access logs). A
storefront key reaches a shopper only if they bought from that storefront, and then only
what belongs to its own orders: the invoices of its orders, the requests about them (and the
callbacks it booked), the conversations about them; a contact change reaches the customer
records of its orders and the open invoices of its orders. Anything else is "not found",
exactly as if it did not exist. A back-office key (``support:read`` to read,
``support:write`` to act) reaches every record of the address. The team's calls are scoped
the same way: a storefront key sees the requests, conversations and surveys of its own
orders only.

**Retries.** A POST sent again with the same ``Idempotency-Key`` gets the first answer back
(:mod:`kassa.api.idempotency`). The key, digested with the request and its credential, is
also the service's submit key, so that a retry after the key's 24 hours still finds the
request it made instead of making a second one.

**Refusals.** A :class:`~kassa.services.customer_service.ServiceError` is answered with its
own code (:func:`refused`): 404 for an invoice outside the scope, 409 for a state that does
not allow the action (already decided, paid, paused), 422 for the rest. Malformed input is
400 ``request.field`` naming the field, before anything is written.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import secrets
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from flask import Response, jsonify, request
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from ..db.models import Agreement, Customer, Invoice, Order, as_utc
from ..db.service_models import Attachment, Message, MessageThread, ServiceRequest, Survey
from ..errors import KassaHTTPError
from ..pages import attachment_download
from ..services import conversations, customer_service
from ..services.customer_service import (
    MAX_TEXT,
    OPEN_STATUSES,
    ServiceError,
)
from ..services.holds import MAX_INSTALMENT_MINOR, HoldError, active_holds
from ..services.order_input import CONTROL_CHARACTERS, refuse_control_characters
from ..services.representation import offer_json
from ..state import get_state, request_session, transaction
from . import clock, idempotency
from .auth import Caller, current_caller, key_required
from .errors import error_response

#: The header that names the shopper a shop acts for: the e-mail address it knows them by.
SHOPPER_HEADER = "Kassa-Shopper-Email"
MAX_EMAIL_LENGTH = 320
#: Most rows one list answers with.
MAX_LIST = 500
#: Longest texts of the single-line fields (the multi-line ones are the services' own).
MAX_SUBJECT_LENGTH = 200
MAX_NOTE_LENGTH = 1000
MAX_TOPIC_LENGTH = 500
MAX_NAME_LENGTH = 100
MAX_FILENAME_LENGTH = 255
MAX_NUMBER_LENGTH = 100
MAX_PHONE_LENGTH = 40
MAX_SLOT_LENGTH = 40
MAX_STREET_LENGTH = 200
MAX_POSTAL_CODE_LENGTH = 20
MAX_CITY_LENGTH = 100
#: Most invoices one payment plan may cover.
MAX_PLAN_INVOICES = 50
#: The budget helper's fields (minor units a month).
BUDGET_FIELDS = ("income", "rent", "electricity", "food", "other_debts")
#: Invoices whose balance is still to pay (the shopper's pages count the same).
UNPAID_STATUSES = (*OPEN_STATUSES, "disputed", "on_hold", "collection")
REQUEST_STATUSES = ("pending", "granted", "refused", "done", "cancelled", "all")
REQUEST_KINDS = ("extension", "plan", "dispute", "callback")
THREAD_STATUSES = ("open", "answered", "resolved", "all")
SURVEY_STATES = ("answered", "unanswered", "all")
#: Service codes answered 404 and 409; every other ServiceError is 422.
_NOT_FOUND = frozenset({"service.not_found"})
_CONFLICTS = frozenset({"service.decided", "service.conflict", "service.on_hold",
                        "service.not_open"})
_ID = re.compile(r"[0-9]{1,18}")
_LARGEST_ID = 2**31 - 1
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_EMAIL = re.compile(r"[^\s@]+@[^\s@]+")
_LINE_BREAKS = {ord("\t"): None, ord("\n"): None, ord("\r"): None}


# -- refusals ----------------------------------------------------------------------------------


def refused(exc: ServiceError) -> tuple[Response, int]:
    """A :class:`ServiceError` as ``{"code", "message"}``: 404 for an invoice outside the
    scope, 409 for a state that does not allow the action, 422 otherwise. Registered on the
    API blueprint by :mod:`kassa.api.views`."""
    status = 404 if exc.code in _NOT_FOUND else 409 if exc.code in _CONFLICTS else 422
    params = dict(exc.params)
    if exc.code == "service.file_size" and isinstance(params.get("limit"), int):
        params["size"] = f"{params['limit'] / 1_000_000:g}"
    return error_response(exc.code, status, exc.message, params)


@contextmanager
def _holds_refused() -> Iterator[None]:
    """A hold the decision or action cannot place (the invoice was paid meanwhile, a plan
    longer than a hold may last): 422 with the hold's code, nothing written."""
    try:
        yield
    except HoldError as exc:
        raise KassaHTTPError(exc.code, exc.message, **exc.params) from None


# -- whom the call is for ----------------------------------------------------------------------


@dataclass(frozen=True)
class Shopper:
    """The shopper a call acts for: their customer records (the newest first) and the
    storefront whose orders bound what the call reaches (None for a back-office key)."""

    customers: list[int]
    storefront: str | None
    source: str


def request_source(caller: Caller) -> str:
    """``ServiceRequest.source`` of a request made through the API (at most 40 characters)."""
    return f"api:{caller.storefront}"[:40] if caller.storefront else "api"


def _shopper_email() -> str:
    raw = request.headers.get(SHOPPER_HEADER)
    if raw is None:
        raise KassaHTTPError("request.field", f"the {SHOPPER_HEADER} header names the shopper",
                             status=400, field=SHOPPER_HEADER)
    try:  # HTTP headers arrive as Latin-1; an address may have been sent as UTF-8
        raw = raw.encode("latin-1").decode("utf-8")
    except UnicodeError:
        pass
    email = raw.strip().lower()
    if len(email) > MAX_EMAIL_LENGTH or CONTROL_CHARACTERS.search(email) or \
            not _EMAIL.fullmatch(email):
        raise KassaHTTPError("request.field", f"{SHOPPER_HEADER} must be an e-mail address of "
                             f"at most {MAX_EMAIL_LENGTH} characters", status=400,
                             field=SHOPPER_HEADER)
    return email


def current_shopper() -> Shopper:
    """The shopper named by :data:`SHOPPER_HEADER`, as the caller may reach them; 404
    ``shopper.not_found`` when a storefront key names someone who never bought from it (or
    anyone names an address Kassa does not know)."""
    email = _shopper_email()
    caller = current_caller()
    query = select(Customer.id).where(func.lower(Customer.email) == email)
    if caller.storefront is not None:
        query = query.join(Order, Order.customer_id == Customer.id).where(
            Order.storefront == caller.storefront)
    found = list(dict.fromkeys(request_session().scalars(query.order_by(Customer.id.desc()))))
    if not found:
        raise KassaHTTPError("shopper.not_found", "no shopper with this e-mail address",
                             status=404)
    return Shopper(found, caller.storefront, request_source(caller))


def _storefront_of(invoice: Invoice) -> str:
    return invoice.agreement.order.storefront


def _own_invoice(db: Session, shopper: Shopper, number: str) -> Invoice:
    """The shopper's invoice ``number`` of the caller's storefront; ``service.not_found``
    for anything else, the same answer as for an invoice that does not exist."""
    invoice = customer_service.own_invoice(db, shopper.customers, number)
    if shopper.storefront not in (None, _storefront_of(invoice)):
        raise ServiceError(f"no invoice {number!r}", code="service.not_found")
    return invoice


def _all_of_storefront(db: Session, numbers: Sequence[str], storefront: str) -> bool:
    found = db.scalar(select(func.count(Invoice.id)).join(
        Agreement, Invoice.agreement_id == Agreement.id).join(
        Order, Agreement.order_id == Order.id).where(
        Invoice.number.in_(numbers), Order.storefront == storefront))
    return found == len(set(numbers))


def _request_visible(db: Session, item: ServiceRequest, storefront: str | None,
                     source: str) -> bool:
    """Whether a storefront may see the request: every invoice it is about is of the
    storefront's orders; a request about no invoice, if the storefront made it."""
    if storefront is None:
        return True
    if item.invoice_id is None:
        return item.source == source
    numbers = [number for number in (item.details or {}).get("invoices", ())
               if isinstance(number, str)]
    invoice = db.get(Invoice, item.invoice_id)
    if invoice is None or _storefront_of(invoice) != storefront:
        return False
    return not numbers or _all_of_storefront(db, numbers, storefront)


def _thread_visible(db: Session, thread: MessageThread, storefront: str | None) -> bool:
    """Whether a storefront may see the conversation: it is about one of its invoices."""
    if storefront is None:
        return True
    invoice = db.get(Invoice, thread.invoice_id) if thread.invoice_id is not None else None
    return invoice is not None and _storefront_of(invoice) == storefront


def _storefront_invoice_ids(storefront: str) -> Any:
    return select(Invoice.id).join(Agreement, Invoice.agreement_id == Agreement.id).join(
        Order, Agreement.order_id == Order.id).where(Order.storefront == storefront)


def _record_id(value: str) -> int | None:
    if not (value.isascii() and _ID.fullmatch(value)):
        return None
    number = int(value)
    return number if number <= _LARGEST_ID else None


def _shopper_thread(db: Session, shopper: Shopper, thread_id: str) -> MessageThread:
    found_id = _record_id(thread_id)
    thread = db.get(MessageThread, found_id) if found_id is not None else None
    if thread is None or thread.customer_id not in shopper.customers or not \
            _thread_visible(db, thread, shopper.storefront):
        raise KassaHTTPError("thread.not_found", f"no conversation {thread_id!r}", status=404)
    return thread


def _team_thread(db: Session, thread_id: str) -> MessageThread:
    found_id = _record_id(thread_id)
    thread = db.get(MessageThread, found_id) if found_id is not None else None
    if thread is None or not _thread_visible(db, thread, current_caller().storefront):
        raise KassaHTTPError("thread.not_found", f"no conversation {thread_id!r}", status=404)
    return thread


def _team_request(db: Session, request_id: str) -> ServiceRequest:
    found_id = _record_id(request_id)
    item = db.get(ServiceRequest, found_id) if found_id is not None else None
    caller = current_caller()
    if item is None or not _request_visible(db, item, caller.storefront,
                                            request_source(caller)):
        raise KassaHTTPError("service_request.not_found", f"no request {request_id!r}",
                             status=404)
    return item


# -- what the caller sends ---------------------------------------------------------------------


def _body(*, required: bool = True) -> dict[str, Any]:
    if not required and not request.get_data(cache=True).strip():
        return {}
    data = request.get_json(force=True, silent=True)
    if not isinstance(data, dict):
        raise KassaHTTPError("request.json", "the body must be a JSON object", status=400)
    return data


def _text(data: Mapping[str, Any], name: str, limit: int, *, multiline: bool = False,
          required: bool = False, field: str | None = None) -> str:
    """``data[name]`` as text of at most ``limit`` characters ("" when absent), without
    control characters (a multi-line text may have line breaks and tabs); ``required``: not
    blank. The services trim it and refuse what they refuse with their own codes."""
    field = field or name
    value = data.get(name)
    if value is None and not required:
        return ""
    if isinstance(value, str) and CONTROL_CHARACTERS.search(
            value.translate(_LINE_BREAKS) if multiline else value):
        raise KassaHTTPError("request.field", f"{field} must not contain control characters"
                             + (" other than line breaks and tabs" if multiline else ""),
                             status=400, field=field)
    if not isinstance(value, str) or len(value) > limit or (required and not value.strip()):
        raise KassaHTTPError("request.field", f"{field} must be text of "
                             f"{'1' if required else '0'} to {limit} characters", status=400,
                             field=field)
    return value


def _flag(data: Mapping[str, Any], name: str, default: bool | None = None) -> bool:
    value = data.get(name, default)
    if not isinstance(value, bool):
        raise KassaHTTPError("request.field", f"{name} must be true or false", status=400,
                             field=name)
    return value


def _whole(data: Mapping[str, Any], name: str, *, largest: int = MAX_INSTALMENT_MINOR,
           field: str | None = None) -> int | None:
    """A whole number (None when absent); its range is the service's to judge, up to
    ``largest`` in size."""
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or abs(value) > largest:
        raise KassaHTTPError("request.field", f"{field or name} must be a whole number",
                             status=400, field=field or name)
    return value


def _numbers(data: Mapping[str, Any]) -> list[str]:
    value = data.get("invoices")
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_PLAN_INVOICES or not all(
            isinstance(number, str) and 1 <= len(number) <= MAX_NUMBER_LENGTH
            for number in value):
        raise KassaHTTPError("request.field", "invoices must list 1 to "
                             f"{MAX_PLAN_INVOICES} invoice numbers", status=400,
                             field="invoices")
    for index, number in enumerate(value):
        refuse_control_characters(number, f"invoices[{index}]")
    return list(value)


def _budget(data: Mapping[str, Any]) -> dict[str, int] | None:
    value = data.get("budget")
    if value is None:
        return None
    if not isinstance(value, dict):
        raise KassaHTTPError("request.field", "budget must be an object", status=400,
                             field="budget")
    budget = {}
    for name in BUDGET_FIELDS:
        amount = value.get(name, 0)
        if isinstance(amount, bool) or not isinstance(amount, int) or not (
                0 <= amount <= MAX_INSTALMENT_MINOR):
            raise KassaHTTPError("request.field", f"budget.{name} must be a whole number of "
                                 f"minor units from 0 to {MAX_INSTALMENT_MINOR}", status=400,
                                 field=f"budget.{name}")
        budget[name] = amount
    return budget


def base64_length(size: int) -> int:
    """Characters of ``size`` bytes in base64, with padding."""
    return 4 * -(-size // 3)


def _uploads(data: Mapping[str, Any]) -> list[conversations.Upload]:
    """The files of ``attachments``: ``[{"filename", "content_base64"}, ...]``, decoded; their
    content is checked by :func:`kassa.services.conversations.check_uploads`."""
    value = data.get("attachments")
    if value is None:
        return []
    if not isinstance(value, list):
        raise KassaHTTPError("request.field", "attachments must be a list of files",
                             status=400, field="attachments")
    if len(value) > conversations.MAX_FILES:
        raise ServiceError(f"at most {conversations.MAX_FILES} files",
                           code="service.file_count", limit=conversations.MAX_FILES)
    uploads = []
    for index, item in enumerate(value):
        where = f"attachments[{index}]"
        if not isinstance(item, dict):
            raise KassaHTTPError("request.field", f"{where} must be an object with filename "
                                 "and content_base64", status=400, field=where)
        filename = _text(item, "filename", MAX_FILENAME_LENGTH, required=True,
                         field=f"{where}.filename")
        content = item.get("content_base64")
        largest = get_state().config.upload_max_bytes
        if isinstance(content, str) and len(content) > base64_length(largest):
            raise ServiceError(f"{filename} is too large", code="service.file_size",
                               name=filename.strip(), limit=largest)
        try:
            if not isinstance(content, str) or not content.isascii():
                raise ValueError(content)
            data_bytes = base64.b64decode(content, validate=True)
        except (ValueError, binascii.Error):
            raise KassaHTTPError("request.field", f"{where}.content_base64 must be the file "
                                 "in base64", status=400,
                                 field=f"{where}.content_base64") from None
        uploads.append(conversations.Upload(filename.strip(), data_bytes))
    return uploads


def _query_choice(name: str, choices: Sequence[str], default: str | None) -> str | None:
    value = request.args.get(name, default)
    if value is not None and value not in choices:
        raise KassaHTTPError("request.field", f"{name} must be one of {', '.join(choices)}",
                             status=400, field=name)
    return value


def _query_day(name: str) -> date | None:
    value = request.args.get(name)
    if value is None:
        return None
    try:
        if not _ISO_DAY.fullmatch(value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise KassaHTTPError("request.field", f"{name} must be a date (YYYY-MM-DD)",
                             status=400, field=name) from None


def _submit_key() -> str:
    """The services' submit key: from the ``Idempotency-Key`` digested with the credential
    and the request (a key used again for something else is a new request), else random."""
    key = request.headers.get(idempotency.HEADER)
    if key is None:
        return secrets.token_hex(16)
    digest = hashlib.sha256()
    for part in (key, request.headers.get("Authorization", ""), request.method, request.path,
                 request.query_string.decode("latin-1"), request.headers.get(SHOPPER_HEADER,
                                                                             "")):
        digest.update(part.encode("utf-8", "surrogateescape") + b"\0")
    digest.update(request.get_data(cache=True))
    return "api-" + digest.hexdigest()[:60]


def _answer(body: dict[str, Any], status: int = 200) -> tuple[Response, int]:
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response, status


# -- what the caller gets ----------------------------------------------------------------------


def _moment(value: datetime | None) -> str | None:
    return as_utc(value).isoformat() if value is not None else None


def invoice_summary(invoice: Invoice, today: date) -> dict[str, Any]:
    """An invoice as the shopper's list shows it: amounts, balance, what pauses it, and what
    more time would do today (when it can be asked for)."""
    holds = active_holds(invoice, today)
    is_open = invoice.status in OPEN_STATUSES and invoice.balance_minor > 0
    more_time = None
    if is_open and not holds:
        option = customer_service.extension_option(get_state().config, invoice, today)
        more_time = {"days": option.days, "new_due_date": option.new_due_date.isoformat(),
                     "fee": option.fee, "within_policy": option.within_policy}
    return {"number": invoice.number, "status": invoice.status, "country": invoice.country,
            "currency": invoice.currency, "amount": invoice.amount_minor,
            "fees": invoice.fees_minor, "interest": invoice.interest_minor,
            "paid": invoice.paid_minor, "balance": invoice.balance_minor,
            "issue_date": invoice.issue_date.isoformat(),
            "due_date": invoice.due_date.isoformat(), "channel": invoice.channel,
            "instalment_number": invoice.instalment_number, "open": is_open,
            "holds": sorted({hold.reason for hold in holds}), "more_time": more_time}


def _attachment_json(attachment: Attachment) -> dict[str, Any]:
    return {"id": attachment.id, "filename": attachment.filename,
            "content_type": attachment.content_type, "size": attachment.size,
            "sha256": attachment.sha256, "scan": attachment.scan,
            "created_at": _moment(attachment.created_at)}


def _customer_json(customer: Customer | None) -> dict[str, Any] | None:
    if customer is None:
        return None
    return {"id": customer.id, "name": customer.name, "email": customer.email,
            "phone": customer.phone, "country": customer.country, "locale": customer.locale}


def _plan_json(item: ServiceRequest, currency: str | None) -> dict[str, Any]:
    """A plan's figures (EU CCD Annex I) as agreed or asked for."""
    details = item.details or {}
    return {"invoices": list(details.get("invoices", ())), "currency": currency,
            "months": details.get("months"), "credit_amount": details.get("credit_amount"),
            "apr": details.get("apr"), "total_cost": details.get("total_cost"),
            "total_payable": details.get("total_payable"),
            "monthly_amount": details.get("monthly_amount"),
            "schedule": [{"number": number, **row} for number, row in
                         enumerate(details.get("schedule", ()), start=1)]}


def request_json(db: Session, item: ServiceRequest, *, team: bool = False) -> dict[str, Any]:
    """A service request; the team's view adds the customer and the support task."""
    invoice = db.get(Invoice, item.invoice_id) if item.invoice_id is not None else None
    files = db.scalars(select(Attachment).where(Attachment.request_id == item.id)
                       .order_by(Attachment.id)).all()
    body: dict[str, Any] = {
        "id": item.id, "kind": item.kind, "status": item.status,
        "invoice": invoice.number if invoice else None, "details": item.details or {},
        "decision": item.decision, "source": item.source,
        "created_at": _moment(item.created_at), "decided_at": _moment(item.decided_at),
        "attachments": [_attachment_json(a) for a in files]}
    if item.kind == "plan":
        body["plan"] = _plan_json(item, invoice.currency if invoice else None)
    if team:
        body["customer"] = _customer_json(db.get(Customer, item.customer_id))
        body["support_task_id"] = item.support_task_id
    return body


def _message_json(message: Message) -> dict[str, Any]:
    return {"id": message.id, "author": message.author, "author_name": message.author_name,
            "body": message.body, "created_at": _moment(message.created_at),
            "attachments": [_attachment_json(a) for a in message.attachments]}


def thread_json(db: Session, thread: MessageThread, *, messages: bool = True,
                team: bool = False) -> dict[str, Any]:
    """A conversation, with its messages and their files' metadata unless ``messages`` is
    False (a list); the team's view adds the customer."""
    invoice = db.get(Invoice, thread.invoice_id) if thread.invoice_id is not None else None
    body: dict[str, Any] = {
        "id": thread.id, "subject": thread.subject, "status": thread.status,
        "invoice": invoice.number if invoice else None,
        "created_at": _moment(thread.created_at), "resolved_at": _moment(thread.resolved_at),
        "message_count": len(thread.messages),
        "last_message_at": _moment(thread.messages[-1].created_at) if thread.messages
        else None}
    if messages:
        body["messages"] = [_message_json(m) for m in thread.messages]
    if team:
        body["customer"] = _customer_json(db.get(Customer, thread.customer_id))
        body["support_task_id"] = thread.support_task_id
    return body


def survey_json(survey: Survey) -> dict[str, Any]:
    return {"id": survey.id, "contact_kind": survey.contact_kind,
            "contact_id": survey.contact_id, "country": survey.country,
            "locale": survey.locale, "channel": survey.channel, "agent": survey.agent,
            "sent_at": _moment(survey.sent_at), "answered_at": _moment(survey.answered_at),
            "resolved": survey.resolved, "recommend": survey.recommend,
            "advisor": survey.advisor, "overall": survey.overall, "comment": survey.comment}


# -- the shop, for its shopper -----------------------------------------------------------------


@key_required("support:read")
def shopper_invoices() -> tuple[Response, int]:
    """The shopper's invoices with their balances, and their requests waiting for the team."""
    shopper = current_shopper()
    db = request_session()
    _now, today = clock.now()
    invoices = customer_service.scoped_invoices(db, shopper.customers, shopper.storefront)
    balances: dict[str, int] = {}
    for invoice in invoices:
        if invoice.status in UNPAID_STATUSES and invoice.balance_minor > 0:
            balances[invoice.currency] = balances.get(invoice.currency, 0) + \
                invoice.balance_minor
    pending = db.scalars(select(ServiceRequest).where(
        ServiceRequest.customer_id.in_(shopper.customers), ServiceRequest.status == "pending")
        .order_by(ServiceRequest.id)).all()
    requests = [request_json(db, item) for item in pending
                if _request_visible(db, item, shopper.storefront, shopper.source)]
    return _answer({"invoices": [invoice_summary(i, today) for i in invoices[:MAX_LIST]],
                    "balances": balances, "requests": requests})


@key_required("support:write")
def shopper_more_time(number: str) -> tuple[Response, int]:
    """More time on an invoice: at once within the policy, else a request to the team."""
    data = _body(required=False)
    days = _whole(data, "days", largest=10_000)
    note = _text(data, "note", MAX_NOTE_LENGTH, multiline=True)
    shopper = current_shopper()
    state = get_state()
    now, today = clock.now()
    with _holds_refused(), transaction() as db:
        _own_invoice(db, shopper, number)
        item = customer_service.ask_for_more_time(
            db, state, shopper.customers, number, days=days, note=note,
            submit_key=_submit_key(), source=shopper.source, now=now, today=today)
        body = request_json(db, item)
    return _answer(body, 201)


def _plan_invoices(db: Session, shopper: Shopper, numbers: Sequence[str], *,
                   open_only: bool) -> list[Invoice]:
    invoices = [_own_invoice(db, shopper, number) for number in dict.fromkeys(numbers)]
    for invoice in invoices if open_only else ():
        if invoice.status not in OPEN_STATUSES or invoice.balance_minor <= 0:
            raise ServiceError(f"invoice {invoice.number} is {invoice.status}",
                               code="service.not_open")
    return invoices


@key_required("support:read")
def shopper_plan_quote() -> tuple[Response, int]:
    """What a payment plan over the shopper's open invoices would be: the credit's figures
    (APR, total cost, schedule), how each month is split over the invoices, whether the
    team must agree; with a budget, the affordable monthly payment and the months it
    takes. Nothing is written."""
    data = _body()
    numbers = _numbers(data)
    months = _whole(data, "months", largest=10_000)
    budget = _budget(data)
    shopper = current_shopper()
    config = get_state().config
    _now, today = clock.now()
    db = request_session()
    invoices = _plan_invoices(db, shopper, numbers, open_only=True)
    suggestion = None
    policy = config.self_service[invoices[0].country]
    if budget is not None:
        suggestion = customer_service.budget_suggestion(**budget)
    if months is None:
        total = sum(i.balance_minor for i in invoices)
        months = policy.plan_max_months if suggestion is None else min(max(
            2, customer_service.months_for(total, suggestion, policy.plan_max_months)), 12)
    quote = customer_service.quote_plan(config, invoices, months, today)
    return _answer({"invoices": list(quote.invoices), "currency": invoices[0].currency,
                    "months": months, "within_policy": quote.within_policy,
                    "beyond": list(quote.beyond), "offer": offer_json(quote.offer),
                    "split": [dict(month) for month in quote.split],
                    "budget_suggestion": suggestion,
                    "policy_max_months": policy.plan_max_months})


def _needs_bank_identification(country: str) -> bool:
    """Whether a plan in ``country`` needs the shopper's own bank identification (where the
    checkout asks for it and a broker is set up), which only Kassa's pages can take."""
    from ..checkout.views import configured_identity_provider

    return country in get_state().config.strong_auth_countries and \
        configured_identity_provider() is not None


@key_required("support:write")
def shopper_plan() -> tuple[Response, int]:
    """The shopper agrees to a payment plan (``consent`` true): at once within the policy,
    else a request to the team; the answer carries the plan's figures."""
    data = _body()
    numbers = _numbers(data)
    months = _whole(data, "months", largest=10_000)
    budget = _budget(data)
    consent = data.get("consent") is True
    shopper = current_shopper()
    state = get_state()
    now, today = clock.now()
    if months is None:
        raise KassaHTTPError("request.field", "months must be a whole number", status=400,
                             field="months")
    with _holds_refused(), transaction() as db:
        chosen = _plan_invoices(db, shopper, numbers, open_only=False)
        if chosen and _needs_bank_identification(chosen[0].country):
            raise KassaHTTPError(
                "service.identification", "in this country a payment plan is credit that the "
                "shopper agrees to after identifying with their bank codes, on Kassa's pages",
                status=403)
        item = customer_service.agree_plan(
            db, state, shopper.customers, numbers, months=months, budget=budget,
            consent=consent, submit_key=_submit_key(), source=shopper.source, now=now,
            today=today)
        body = request_json(db, item)
    return _answer(body, 201)


@key_required("support:write")
def shopper_dispute(number: str) -> tuple[Response, int]:
    """The shopper disputes an invoice, with files if any: collection pauses and the team
    gets a task."""
    data = _body()
    reason = _text(data, "reason", MAX_NAME_LENGTH, required=True)
    text = _text(data, "text", MAX_TEXT, multiline=True)
    uploads = _uploads(data)
    shopper = current_shopper()
    state = get_state()
    now, today = clock.now()
    with _holds_refused(), transaction() as db:
        _own_invoice(db, shopper, number)
        checked = conversations.check_uploads(state, uploads)
        item = customer_service.open_dispute(
            db, state, shopper.customers, number, reason=reason, text=text,
            submit_key=_submit_key(), source=shopper.source, now=now, today=today)
        if checked and not db.scalars(select(Attachment.id).where(
                Attachment.request_id == item.id)).first():
            conversations.store_uploads(db, state, item.customer_id, checked, request=item)
        body = request_json(db, item)
    return _answer(body, 201)


@key_required("support:read")
def shopper_threads() -> tuple[Response, int]:
    """The shopper's conversations, newest first, without their messages."""
    shopper = current_shopper()
    db = request_session()
    query = select(MessageThread).where(MessageThread.customer_id.in_(shopper.customers))
    if shopper.storefront is not None:
        query = query.where(MessageThread.invoice_id.in_(
            _storefront_invoice_ids(shopper.storefront)))
    threads = db.scalars(query.order_by(MessageThread.id.desc()).limit(MAX_LIST)).all()
    return _answer({"threads": [thread_json(db, t, messages=False) for t in threads]})


@key_required("support:write")
def shopper_start_thread() -> tuple[Response, int]:
    """A new conversation with the team: subject, message, files; about an invoice (a
    storefront key: one of its own invoices, which it must name)."""
    data = _body()
    subject = _text(data, "subject", MAX_SUBJECT_LENGTH)
    text = _text(data, "body", MAX_TEXT, multiline=True)
    number = _text(data, "invoice", MAX_NUMBER_LENGTH) or None
    uploads = _uploads(data)
    shopper = current_shopper()
    if number is None and shopper.storefront is not None:
        raise KassaHTTPError("request.field", "invoice: a storefront's conversation is about "
                             "one of its invoices", status=400, field="invoice")
    state = get_state()
    now, _today = clock.now()
    with transaction() as db:
        invoice = _own_invoice(db, shopper, number) if number else None
        customer = db.get_one(Customer, invoice.customer_id if invoice else
                              shopper.customers[0])
        thread = conversations.start_thread(
            db, state, customer, subject=subject, body=text, invoice=invoice,
            uploads=uploads, submit_key=_submit_key(), now=now)
        body = thread_json(db, thread)
    return _answer(body, 201)


@key_required("support:read")
def shopper_thread(thread_id: str) -> tuple[Response, int]:
    """One of the shopper's conversations with its messages and their files' metadata."""
    shopper = current_shopper()
    db = request_session()
    return _answer(thread_json(db, _shopper_thread(db, shopper, thread_id)))


def _thread_file(db: Session, thread: MessageThread, attachment_id: str) -> Attachment:
    found_id = _record_id(attachment_id)
    found = db.get(Attachment, found_id) if found_id is not None else None
    message = db.get(Message, found.message_id) if found and found.message_id else None
    if found is None or message is None or message.thread_id != thread.id:
        raise KassaHTTPError("attachment.not_found", f"no file {attachment_id!r}", status=404)
    return found


@key_required("support:read")
def shopper_thread_file(thread_id: str, attachment_id: str) -> Response:
    """A file of one of the shopper's messages (theirs or the team's), as a download."""
    db = request_session()
    thread = _shopper_thread(db, current_shopper(), thread_id)
    return attachment_download(_thread_file(db, thread, attachment_id))


@key_required("support:write")
def shopper_add_message(thread_id: str) -> tuple[Response, int]:
    """The shopper writes in a conversation (reopening it for the team)."""
    data = _body()
    text = _text(data, "body", MAX_TEXT, multiline=True)
    uploads = _uploads(data)
    shopper = current_shopper()
    state = get_state()
    now, _today = clock.now()
    with transaction() as db:
        thread = _shopper_thread(db, shopper, thread_id)
        message = conversations.add_message(db, state, thread, author="shopper", body=text,
                                            uploads=uploads, submit_key=_submit_key(),
                                            now=now)
        body = _message_json(message)
    return _answer(body, 201)


def _callback_country(db: Session, shopper: Shopper, number: str | None) -> str:
    if number:
        return _own_invoice(db, shopper, number).country
    return db.get_one(Customer, shopper.customers[0]).country


@key_required("support:read")
def shopper_callback_slots() -> tuple[Response, int]:
    """The times the team can call, in its opening hours (``?invoice=`` for a call about an
    invoice: that country's team)."""
    number = request.args.get("invoice")
    if number is not None:
        refuse_control_characters(number, "invoice")
        if not 1 <= len(number) <= MAX_NUMBER_LENGTH:
            raise KassaHTTPError("request.field", "invoice must be an invoice number",
                                 status=400, field="invoice")
    shopper = current_shopper()
    db = request_session()
    now, _today = clock.now()
    country = _callback_country(db, shopper, number)
    slots = customer_service.callback_slots(get_state().config, country, now)
    return _answer({"country": country, "slots": [slot.isoformat() for slot in slots]})


@key_required("support:write")
def shopper_callback() -> tuple[Response, int]:
    """Book a call from the team at one of the offered times."""
    data = _body()
    slot = _text(data, "slot", MAX_SLOT_LENGTH)
    phone = _text(data, "phone", MAX_PHONE_LENGTH)
    topic = _text(data, "topic", MAX_TOPIC_LENGTH, multiline=True)
    number = _text(data, "invoice", MAX_NUMBER_LENGTH) or None
    shopper = current_shopper()
    state = get_state()
    now, _today = clock.now()
    with transaction() as db:
        if number:
            _own_invoice(db, shopper, number)
        item = customer_service.ask_for_callback(
            db, state, shopper.customers, slot=slot, phone=phone, topic=topic, number=number,
            submit_key=_submit_key(), source=shopper.source, now=now)
        body = request_json(db, item)
    return _answer(body, 201)


@key_required("support:write")
def shopper_address() -> tuple[Response, int]:
    """A new postal address, for the letters still to come."""
    data = _body()
    street = _text(data, "street", MAX_STREET_LENGTH)
    postal_code = _text(data, "postal_code", MAX_POSTAL_CODE_LENGTH)
    city = _text(data, "city", MAX_CITY_LENGTH)
    shopper = current_shopper()
    now, _today = clock.now()
    with transaction() as db:
        customer_service.change_address(db, shopper.customers, street=street,
                                        postal_code=postal_code, city=city, now=now,
                                        storefront=shopper.storefront)
        customer = db.get_one(Customer, shopper.customers[0])
        body = {"street": customer.street, "postal_code": customer.postal_code,
                "city": customer.city}
    return _answer(body)


@key_required("support:write")
def shopper_channels() -> tuple[Response, int]:
    """The channel for invoices still to be sent, and for reminders."""
    data = _body()
    delivery = _text(data, "delivery", MAX_NAME_LENGTH, required=True)
    reminders = _text(data, "reminders", MAX_NAME_LENGTH, required=True)
    shopper = current_shopper()
    state = get_state()
    now, _today = clock.now()
    with transaction() as db:
        customer_service.set_channels(db, state, shopper.customers, delivery=delivery,
                                      reminders=reminders, now=now,
                                      storefront=shopper.storefront)
    return _answer({"delivery": delivery, "reminders": reminders})


# -- the team ----------------------------------------------------------------------------------


@key_required("support:read")
def service_requests() -> tuple[Response, int]:
    """The shoppers' requests, oldest first: ``?status=pending`` (default) and ``?kind=``."""
    status = _query_choice("status", REQUEST_STATUSES, "pending")
    kind = _query_choice("kind", REQUEST_KINDS, None)
    caller = current_caller()
    db = request_session()
    query = select(ServiceRequest)
    if status != "all":
        query = query.where(ServiceRequest.status == status)
    if kind is not None:
        query = query.where(ServiceRequest.kind == kind)
    if caller.storefront is not None:
        query = query.where(or_(
            ServiceRequest.invoice_id.in_(_storefront_invoice_ids(caller.storefront)),
            and_(ServiceRequest.invoice_id.is_(None),
                 ServiceRequest.source == request_source(caller))))
    items = db.scalars(query.order_by(ServiceRequest.created_at, ServiceRequest.id)
                       .limit(MAX_LIST)).all()
    source = request_source(caller)
    return _answer({"requests": [request_json(db, item, team=True) for item in items
                                 if _request_visible(db, item, caller.storefront, source)]})


def _decide(request_id: str, *, grant: bool | None, callback_only: bool) -> tuple[Response, int]:
    data = _body()
    if grant is None:
        grant = _flag(data, "grant")
    note = _text(data, "note", MAX_TEXT, multiline=True)
    by = _text(data, "by", MAX_NAME_LENGTH, required=True)
    survey = _flag(data, "survey", True)
    state = get_state()
    now, today = clock.now()
    with _holds_refused(), transaction() as db:
        item = _team_request(db, request_id)
        if callback_only and item.kind != "callback":
            raise KassaHTTPError("service_request.kind", f"request {item.id} is not a callback",
                                 status=409)
        sent = conversations.decide_request(db, state, item, grant=grant, note=note,
                                            by=by.strip(), now=now, today=today,
                                            survey=survey)
        body = {"request": request_json(db, item, team=True),
                "survey_id": sent.id if sent is not None else None}
    return _answer(body)


@key_required("support:write")
def decide_service_request(request_id: str) -> tuple[Response, int]:
    """The team's decision on a pending request, told to the shopper, then the survey."""
    return _decide(request_id, grant=None, callback_only=False)


@key_required("support:write")
def callback_done(request_id: str) -> tuple[Response, int]:
    """The team made the call the shopper booked."""
    return _decide(request_id, grant=True, callback_only=True)


@key_required("support:read")
def message_threads() -> tuple[Response, int]:
    """The conversations, ``?status=open`` (default: waiting for the team), oldest first."""
    status = _query_choice("status", THREAD_STATUSES, "open")
    storefront = current_caller().storefront
    db = request_session()
    query = select(MessageThread)
    if status != "all":
        query = query.where(MessageThread.status == status)
    if storefront is not None:
        query = query.where(MessageThread.invoice_id.in_(_storefront_invoice_ids(storefront)))
    threads = db.scalars(query.order_by(MessageThread.created_at, MessageThread.id)
                         .limit(MAX_LIST)).all()
    return _answer({"threads": [thread_json(db, t, messages=False, team=True)
                                for t in threads]})


@key_required("support:read")
def message_thread(thread_id: str) -> tuple[Response, int]:
    """A conversation with its messages and their files' metadata."""
    db = request_session()
    return _answer(thread_json(db, _team_thread(db, thread_id), team=True))


@key_required("support:read")
def message_thread_file(thread_id: str, attachment_id: str) -> Response:
    """A file of a message in the conversation, as a download."""
    db = request_session()
    return attachment_download(_thread_file(db, _team_thread(db, thread_id), attachment_id))


@key_required("support:read")
def service_request_file(request_id: str, attachment_id: str) -> Response:
    """A file the shopper sent with a request (a dispute's photo or receipt), as a
    download."""
    db = request_session()
    item = _team_request(db, request_id)
    found_id = _record_id(attachment_id)
    found = db.get(Attachment, found_id) if found_id is not None else None
    if found is None or found.request_id != item.id:
        raise KassaHTTPError("attachment.not_found", f"no file {attachment_id!r}", status=404)
    return attachment_download(found)


@key_required("support:write")
def reply_to_thread(thread_id: str) -> tuple[Response, int]:
    """The team's answer, signed with the agent's name the shopper sees; the shopper is told
    by their channel."""
    data = _body()
    text = _text(data, "body", MAX_TEXT, multiline=True)
    author_name = _text(data, "author_name", MAX_NAME_LENGTH, required=True)
    uploads = _uploads(data)
    state = get_state()
    now, _today = clock.now()
    with transaction() as db:
        thread = _team_thread(db, thread_id)
        message = conversations.add_message(db, state, thread, author="staff", body=text,
                                            uploads=uploads, submit_key=_submit_key(),
                                            now=now, author_name=author_name.strip())
        body = _message_json(message)
    return _answer(body, 201)


@key_required("support:write")
def resolve_message_thread(thread_id: str) -> tuple[Response, int]:
    """Close a conversation; the shopper gets the survey unless ``survey`` is false."""
    data = _body(required=False)
    agent = _text(data, "agent", MAX_NAME_LENGTH).strip() or None
    survey = _flag(data, "survey", True)
    state = get_state()
    now, _today = clock.now()
    with transaction() as db:
        thread = _team_thread(db, thread_id)
        sent = conversations.resolve_thread(db, state, thread, agent=agent, now=now,
                                            survey=survey)
        body = {**thread_json(db, thread, team=True),
                "survey_id": sent.id if sent is not None else None}
    return _answer(body)


@key_required("support:read")
def survey_answers() -> tuple[Response, int]:
    """The surveys sent after contacts, newest first: ``?answered=answered`` (default),
    ``unanswered`` or ``all``, and ``?since=YYYY-MM-DD`` (sent that day or later)."""
    answered = _query_choice("answered", SURVEY_STATES, "answered")
    since = _query_day("since")
    caller = current_caller()
    db = request_session()
    query = select(Survey)
    if answered == "answered":
        query = query.where(Survey.answered_at.is_not(None))
    elif answered == "unanswered":
        query = query.where(Survey.answered_at.is_(None))
    if since is not None:
        query = query.where(Survey.sent_at >= datetime.combine(since, time(0), tzinfo=UTC))
    if caller.storefront is not None:
        mine = _storefront_invoice_ids(caller.storefront)
        threads = select(MessageThread.id).where(MessageThread.invoice_id.in_(mine))
        requests = select(ServiceRequest.id).where(or_(
            ServiceRequest.invoice_id.in_(mine),
            and_(ServiceRequest.invoice_id.is_(None),
                 ServiceRequest.source == request_source(caller))))
        query = query.where(or_(
            and_(Survey.contact_kind == "thread", Survey.contact_id.in_(threads)),
            and_(Survey.contact_kind.in_(("request", "callback")),
                 Survey.contact_id.in_(requests))))
    surveys = db.scalars(query.order_by(Survey.sent_at.desc(), Survey.id.desc())
                         .limit(MAX_LIST)).all()
    return _answer({"surveys": [survey_json(s) for s in surveys]})
