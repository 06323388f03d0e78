"""Fixtures of the help console: an app with one staff member per role and one open task of
each kind the console shows (a message thread, a callback request, a friendly contact)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from kassa import get_state
from kassa.db import Attachment, Customer, Invoice, ServiceRequest, StaffUser, SupportTask
from kassa.services import conversations
from tests.browser.conftest import chromium  # noqa: F401  (the browser test's fixture)
from tests.factories import make_invoice

PASSWORD = "correct horse battery"
#: Known one-time-code secrets, so that a test can make the codes an app would show.
SECRETS = {"agent": None, "supervisor": None, "admin": "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
# A cheap hash keeps the suite fast; the console checks whatever werkzeug hash it finds.
FAST_HASH = "pbkdf2:sha256:1000"


@dataclass
class Records:
    staff: dict[str, int]
    invoice_id: int
    customer_id: int
    thread_id: int
    thread_task: int
    request_id: int
    request_task: int
    contact_task: int
    attachment_id: int


def add_staff(app: Flask, role: str, email: str | None = None, *, secret: str | None = None,
              name: str | None = None) -> int:
    state = get_state(app)
    with state.db.session() as session:
        row = StaffUser(email=email or f"{role}@shop.test", name=name or f"{role.title()} Person",
                        role=role, password_hash=generate_password_hash(PASSWORD, FAST_HASH),
                        totp_secret=state.vault.seal_secret(secret) if secret else None)
        session.add(row)
        session.flush()
        return row.id


def seed(app: Flask) -> Records:
    staff = {role: add_staff(app, role, secret=SECRETS[role]) for role in SECRETS}
    invoice_id = make_invoice(app)
    state = get_state(app)
    now = datetime.now(UTC)
    with app.app_context(), state.db.session() as session:
        invoice = session.get_one(Invoice, invoice_id)
        customer = session.get_one(Customer, invoice.customer_id)
        thread = conversations.start_thread(
            session, state, customer, subject="Parcel", body="My parcel has not arrived.",
            invoice=invoice, submit_key="k1", now=now,
            uploads=[conversations.Upload("receipt.txt", b"Order 1001, paid by invoice.\n")])
        request_task = SupportTask(invoice_id=invoice.id, customer_id=customer.id,
                                   kind="callback_request", status="open", payload={},
                                   due_at=now + timedelta(hours=4), created_at=now)
        session.add(request_task)
        session.flush()
        request = ServiceRequest(customer_id=customer.id, invoice_id=invoice.id, kind="callback",
                                 status="pending", details={"slot": now.isoformat(),
                                                            "phone": "+358401234567",
                                                            "topic": "plan"},
                                 submit_key="k2", source="pages",
                                 support_task_id=request_task.id, created_at=now)
        contact = SupportTask(invoice_id=invoice.id, customer_id=customer.id,
                              kind="overdue_contact", status="open", segment="first_time_late",
                              payload={"recommended": {"channel": "phone", "tone": "friendly"}},
                              due_at=now + timedelta(hours=2), created_at=now)
        session.add_all([request, contact])
        session.flush()
        attachment = session.scalars(select(Attachment)).one()
        return Records(staff, invoice_id, customer.id, thread.id, thread.support_task_id or 0,
                       request.id, request_task.id, contact.id, attachment.id)


@pytest.fixture
def console_app(make_app: Callable[..., Flask], db_url: str) -> Flask:
    """A migrated app on SQLite and PostgreSQL. Not pytest-flask's ``app``: that one pushes
    a request context for the whole test, so every request would share one ``g`` (and one
    database session), which a real server never does."""
    return make_app(db_url)


@pytest.fixture
def records(console_app: Flask) -> Records:
    return seed(console_app)


def csrf(client: FlaskClient, path: str = "/kassa/console/sign-in") -> str:
    page = client.get(path).get_data(as_text=True)
    match = CSRF.search(page)
    assert match, page[:500]
    return match.group(1)


def sign_in(client: FlaskClient, role: str, email: str | None = None,
            when: datetime | None = None) -> None:
    """Sign in with the password, and the one-time code where the role has one."""
    answer = client.post("/kassa/console/sign-in", data={
        "csrf_token": csrf(client), "email": email or f"{role}@shop.test",
        "password": PASSWORD})
    assert answer.status_code == 302, answer.get_data(as_text=True)[:400]
    if SECRETS[role]:
        assert answer.headers["Location"].endswith("/sign-in/code")
        code = pyotp.TOTP(SECRETS[role]).at(when or datetime.now(UTC))
        answer = client.post("/kassa/console/sign-in/code", data={
            "csrf_token": csrf(client, "/kassa/console/sign-in/code"), "code": code})
        assert answer.status_code == 302
    assert answer.headers["Location"].endswith("/kassa/console/")
