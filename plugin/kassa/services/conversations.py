"""Secure messages between a shopper and the merchant's team, their attachments, and the
four-question survey after a contact.

An attachment is checked by its content, not its name: PDF, JPEG, PNG or plain UTF-8 text,
up to ``KASSA_UPLOAD_MAX_BYTES``; HTML dressed as a PDF is refused. The bytes are stored
under a random name in ``KASSA_UPLOAD_DIR``, outside the web root, and handed to the app's
virus scanner if one is plugged in (``Kassa(app, scan_upload=...)``).
"""

from __future__ import annotations

import hashlib
import os
import secrets
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..db.bulk import insert_or_ignore, lock_row
from ..db.models import Customer, Invoice, OutboxMessage, SupportTask
from ..db.service_models import Attachment, Message, MessageThread, ServiceRequest, Survey
from ..signals import message_posted, send_after_commit, survey_answered
from ..state import KassaState
from . import tasks
from .customer_service import MAX_TEXT, TASK_DUE, ServiceError, _app, _text, decide

#: Content types accepted, by the bytes a file starts with.
_SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
)
#: Most files one message or dispute may carry.
MAX_FILES = 5
#: What a survey answer is about, and how long its link is valid.
SURVEY_DAYS = 14
_SURVEY_SALT = "kassa-survey"

#: A scanner gets the bytes and the file name and returns True when the file is clean.
Scanner = Callable[[bytes, str], bool]


@dataclass(frozen=True)
class Upload:
    """A file as received: its name as the shopper's device called it, and its bytes."""

    filename: str
    data: bytes


def sniff(data: bytes) -> tuple[str, str] | None:
    """``(content type, extension)`` of ``data`` by its first bytes, or None if refused."""
    for magic, content_type, extension in _SIGNATURES:
        if data.startswith(magic):
            return content_type, extension
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    head = text.lstrip().lower()[:512]
    if "\x00" in text or head.startswith(("<!doctype", "<html", "<?xml", "<svg", "<script")) \
            or "<html" in head or "<script" in head:
        return None
    return "text/plain", ".txt"


def upload_dir(state: KassaState) -> Path:
    folder = state.config.upload_dir or os.path.join(state.app.instance_path, "kassa-uploads")
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def check_uploads(state: KassaState, uploads: Sequence[Upload]) -> list[tuple[Upload, str, str]]:
    """Each upload with its content type and extension; ``service.file_*`` for the first
    that is empty, too large, of a refused type or refused by the scanner."""
    if len(uploads) > MAX_FILES:
        raise ServiceError(f"at most {MAX_FILES} files", code="service.file_count",
                           limit=MAX_FILES)
    checked = []
    for upload in uploads:
        if not upload.data:
            raise ServiceError(f"{upload.filename} is empty", code="service.file_empty",
                               name=upload.filename)
        if len(upload.data) > state.config.upload_max_bytes:
            raise ServiceError(f"{upload.filename} is too large", code="service.file_size",
                               name=upload.filename, limit=state.config.upload_max_bytes)
        kind = sniff(upload.data)
        if kind is None:
            raise ServiceError(f"{upload.filename} is not a PDF, JPEG, PNG or text file",
                               code="service.file_type", name=upload.filename)
        scanner: Scanner | None = state.app.extensions.get("kassa_scan_upload")
        if scanner is not None and not scanner(upload.data, upload.filename):
            raise ServiceError(f"{upload.filename} did not pass the virus check",
                               code="service.file_virus", name=upload.filename)
        checked.append((upload, *kind))
    return checked


def _safe_name(filename: str, extension: str) -> str:
    name = unicodedata.normalize("NFC", os.path.basename(filename.replace("\\", "/")))
    stem = "".join(c for c in name.rsplit(".", 1)[0] if c.isalnum() or c in " -_")[:80]
    return (stem.strip() or "file") + extension


def store_uploads(db: Session, state: KassaState, customer_id: int,
                  checked: Sequence[tuple[Upload, str, str]], *, message: Message | None = None,
                  request: ServiceRequest | None = None) -> list[Attachment]:
    folder = upload_dir(state)
    stored = []
    for upload, content_type, extension in checked:
        name = secrets.token_hex(16)
        (folder / name).write_bytes(upload.data)
        attachment = Attachment(customer_id=customer_id, message_id=message.id if message else None,
                                request_id=request.id if request else None,
                                filename=_safe_name(upload.filename, extension),
                                content_type=content_type, size=len(upload.data),
                                sha256=hashlib.sha256(upload.data).hexdigest(), stored_as=name,
                                scan="clean")
        db.add(attachment)
        stored.append(attachment)
    db.flush()
    return stored


def uploads_from(files: Iterable[Any], max_bytes: int) -> list[Upload]:
    r"""The files of a form (werkzeug ``FileStorage``\ s) as :class:`Upload`\ s, each read to
    one byte past ``max_bytes`` at most, so a file too large is refused by its size without
    being read whole; empty file fields are skipped."""
    return [Upload(storage.filename, storage.read(max_bytes + 1)) for storage in files
            if storage and storage.filename]


def read_attachment(state: KassaState, attachment: Attachment) -> bytes:
    return (upload_dir(state) / attachment.stored_as).read_bytes()


# -- threads -----------------------------------------------------------------------------------


def start_thread(db: Session, state: KassaState, customer: Customer, *, subject: str,
                 body: str, invoice: Invoice | None, uploads: Sequence[Upload],
                 submit_key: str, now: datetime) -> MessageThread:
    """A new conversation with the team, and a task in the team's queue. The same form sent
    twice at once makes one: the customer's row is locked before looking for it."""
    lock_row(db, customer)
    existing = db.scalars(select(MessageThread).join(Message).where(
        MessageThread.customer_id == customer.id, Message.submit_key == submit_key)).first()
    if existing is not None:
        return existing
    subject, body = _text(subject, 200), _text(body, MAX_TEXT)
    if not subject or not body:
        raise ServiceError("a subject and a message, please", code="service.message_empty")
    checked = check_uploads(state, uploads)
    thread = MessageThread(customer_id=customer.id, invoice_id=invoice.id if invoice else None,
                           subject=subject, status="open", created_at=now)
    db.add(thread)
    db.flush()
    message = Message(thread_id=thread.id, author="shopper", body=body,
                      submit_key=submit_key[:64], created_at=now)
    db.add(message)
    db.flush()
    store_uploads(db, state, customer.id, checked, message=message)
    send_after_commit(db, message_posted, _app(), thread_id=thread.id, message_id=message.id,
                      author="shopper")
    task = SupportTask(invoice_id=thread.invoice_id, customer_id=customer.id, kind="message",
                       status="open", payload={"thread_id": thread.id, "subject": subject,
                                               "customer": {"name": customer.name,
                                                            "email": customer.email}},
                       due_at=now + TASK_DUE, created_at=now)
    db.add(task)
    db.flush()
    thread.support_task_id = task.id
    return thread


def add_message(db: Session, state: KassaState, thread: MessageThread, *, author: str,
                body: str, uploads: Sequence[Upload], submit_key: str, now: datetime,
                author_name: str | None = None) -> Message:
    """A message in ``thread``: the shopper's reopens it for the team; the team's is
    announced to the shopper by their channel."""
    existing = db.scalars(select(Message).where(Message.thread_id == thread.id,
                                                Message.submit_key == submit_key)).first()
    if existing is not None:
        return existing
    body = _text(body, MAX_TEXT)
    if not body:
        raise ServiceError("a message, please", code="service.message_empty")
    checked = check_uploads(state, uploads)
    message_id = db.execute(insert_or_ignore(db, Message).values(
        thread_id=thread.id, author=author, author_name=author_name, body=body,
        submit_key=submit_key[:64], created_at=now).returning(Message.id)).scalar_one_or_none()
    if message_id is None:
        found = db.scalars(select(Message).where(Message.thread_id == thread.id,
                                                 Message.submit_key == submit_key)).one()
        return found
    message = db.get_one(Message, message_id)
    store_uploads(db, state, thread.customer_id, checked, message=message)
    send_after_commit(db, message_posted, _app(), thread_id=thread.id, message_id=message_id,
                      author=author)
    task = db.get(SupportTask, thread.support_task_id) if thread.support_task_id else None
    if author == "shopper":
        # Writing again before the team answered leaves the clock as it runs.
        answered = thread.status != "open"
        thread.status, thread.resolved_at = "open", None
        if task is not None and answered:
            tasks.restart_clock(db, state, task, now)
    else:
        thread.status = "answered"
        tasks.record_reply(db, state, task, now)
        customer = db.get_one(Customer, thread.customer_id)
        notify_shopper(db, customer, "message_reply", {"thread_id": thread.id}, now)
    return message


def resolve_thread(db: Session, state: KassaState, thread: MessageThread, *, agent: str | None,
                   now: datetime, survey: bool = True) -> Survey | None:
    """Close a conversation; the shopper gets the survey unless the agent chose not to."""
    # Two agents (or an agent and the API) at once: the first to resolve it does.
    claimed = db.execute(update(MessageThread).where(MessageThread.id == thread.id,
                                                     MessageThread.status != "resolved")
                         .values(status="resolved", resolved_at=now)
                         .execution_options(synchronize_session=False))
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise ServiceError(f"thread {thread.id} is resolved", code="service.decided")
    thread.status, thread.resolved_at = "resolved", now
    if thread.support_task_id is not None:
        closed = db.execute(update(SupportTask).where(SupportTask.id == thread.support_task_id,
                                                      SupportTask.status == "open")
                            .values(status="done", closed_at=now)
                            .execution_options(synchronize_session=False))
        if closed.rowcount == 1:  # type: ignore[attr-defined]
            task = db.get_one(SupportTask, thread.support_task_id)
            db.refresh(task)
            tasks.finish(db, state, task, now)
    if not survey:
        return None
    customer = db.get_one(Customer, thread.customer_id)
    return send_survey(db, customer, "thread", thread.id, channel="message", agent=agent,
                       now=now)


def decide_request(db: Session, state: KassaState, request: ServiceRequest, *, grant: bool,
                   note: str, by: str, now: datetime, today: date,
                   survey: bool = True) -> Survey | None:
    """The team's decision (:func:`~kassa.services.customer_service.decide`), told to the
    shopper by their channel, then the survey for the contact."""
    decide(db, state, request, grant=grant, note=note, by=by, now=now, today=today)
    customer = db.get_one(Customer, request.customer_id)
    if request.kind != "callback":
        notify_shopper(db, customer, "request_decided", {"request_id": request.id}, now)
    if not survey:
        return None
    kind = "callback" if request.kind == "callback" else "request"
    return send_survey(db, customer, kind, request.id,
                       channel="phone" if kind == "callback" else "self_service", agent=by,
                       now=now)


# -- telling the shopper ----------------------------------------------------------------------


def shopper_channel(customer: Customer) -> tuple[str, str]:
    """``(channel, recipient)`` for news to the shopper: SMS when they chose it for reminders
    and have a phone, else e-mail."""
    if customer.reminder_channel == "sms" and customer.phone:
        return "sms", customer.phone
    return "email", customer.email


def notify_shopper(db: Session, customer: Customer, kind: str, payload: dict[str, object],
                   now: datetime) -> None:
    channel, recipient = shopper_channel(customer)
    db.add(OutboxMessage(channel=channel, kind=kind, recipient=recipient,
                         payload={"locale": customer.locale, "customer_id": customer.id,
                                  **payload}, created_at=now, next_attempt_at=now))


# -- the survey --------------------------------------------------------------------------------


def send_survey(db: Session, customer: Customer, contact_kind: str, contact_id: int, *,
                channel: str, agent: str | None, now: datetime) -> Survey | None:
    """The four questions for one closed contact (once per contact), by the shopper's
    channel; None if this contact had its survey already."""
    survey_id = db.execute(insert_or_ignore(db, Survey).values(
        customer_id=customer.id, contact_kind=contact_kind, contact_id=contact_id,
        country=customer.country, locale=customer.locale, channel=channel, agent=agent,
        sent_at=now).returning(Survey.id)).scalar_one_or_none()
    if survey_id is None:
        return None
    notify_shopper(db, customer, "survey", {"survey_id": survey_id}, now)
    return db.get(Survey, survey_id)


def survey_token(secret_key: str | bytes, survey_id: int) -> str:
    return URLSafeSerializer(secret_key, salt=_SURVEY_SALT).dumps(survey_id)


def read_survey_token(secret_key: str | bytes, token: str) -> int | None:
    try:
        value = URLSafeSerializer(secret_key, salt=_SURVEY_SALT).loads(token)
    except BadSignature:
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


#: An overall grade at or below this (a detractor's) puts a follow-up in the team's queue, as
#: does an answer that the matter was not resolved.
LOW_SCORE = 6


def answer_survey(db: Session, survey: Survey, *, resolved: bool, recommend: int,
                  advisor: int, overall: int, comment: str, now: datetime) -> Survey:
    """Store the one answer of a survey; ``service.survey_answered`` for a second, and
    ``service.survey_expired`` after :data:`SURVEY_DAYS` days. An unresolved matter or a low
    grade becomes a follow-up task for the team."""
    if survey.answered_at is not None:
        raise ServiceError("the survey was answered", code="service.survey_answered")
    sent = survey.sent_at if survey.sent_at.tzinfo else survey.sent_at.replace(tzinfo=now.tzinfo)
    if now > sent + timedelta(days=SURVEY_DAYS):
        raise ServiceError("the survey has closed", code="service.survey_expired")
    for value in (recommend, advisor, overall):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10:
            raise ServiceError("answers are from 0 to 10", code="service.survey_scale")
    # Two answers sent at once: the first to mark the survey answered keeps it.
    claimed = db.execute(update(Survey).where(Survey.id == survey.id,
                                              Survey.answered_at.is_(None))
                         .values(answered_at=now).execution_options(synchronize_session=False))
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise ServiceError("the survey was answered", code="service.survey_answered")
    survey.resolved, survey.recommend, survey.advisor, survey.overall = (
        bool(resolved), recommend, advisor, overall)
    survey.comment = _text(comment, 2000) or None
    survey.answered_at = now
    if not survey.resolved or overall <= LOW_SCORE:
        tasks.follow_up_survey(db, survey, now)
    send_after_commit(db, survey_answered, _app(), survey_id=survey.id, resolved=survey.resolved,
                      recommend=recommend, advisor=advisor, overall=overall)
    return survey
