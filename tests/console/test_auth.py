"""Staff sign-in: password, one-time codes set up from a QR code, lockout, idle timeout,
sign-out, and the audit log that records it all and that nobody can edit."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pyotp
import pytest
from flask import Flask
from sqlalchemy import select

from kassa import get_state
from kassa.db import AuditEntry, StaffUser

from .conftest import PASSWORD, Records, add_staff, csrf, sign_in

SIGN_IN = "/kassa/console/sign-in"


def post_password(client, email: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    return client.post(SIGN_IN, data={"csrf_token": csrf(client), "email": email,
                                      "password": password})


def audit_actions(app: Flask) -> list[str]:
    with get_state(app).db.session() as session:
        return list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def test_admin_sets_up_a_one_time_code_from_a_qr_code(console_app: Flask) -> None:
    add_staff(console_app, "admin", "new.admin@shop.test")
    client = console_app.test_client()
    answer = post_password(client, "New.Admin@shop.test ")
    assert answer.headers["Location"].endswith("/sign-in/set-up-code")
    # Not in yet: the queue sends back to the sign-in page.
    assert "/sign-in" in client.get("/kassa/console/").headers["Location"]
    page = client.get("/kassa/console/sign-in/set-up-code").get_data(as_text=True)
    assert "<svg" in page and "scan" in page.lower()
    secret = re.search(r'<code class="kassa-code">([A-Z2-7 ]+)</code>', page).group(1)  # type: ignore[union-attr]
    secret = secret.replace(" ", "")
    token = csrf(client, "/kassa/console/sign-in/set-up-code")  # the same secret stays
    wrong = client.post("/kassa/console/sign-in/set-up-code",
                        data={"csrf_token": token, "code": "000000"})
    assert wrong.status_code == 401 and "did not match" in wrong.get_data(as_text=True)
    right = client.post("/kassa/console/sign-in/set-up-code", data={
        "csrf_token": token, "code": pyotp.TOTP(secret).now()})
    assert right.status_code == 302 and right.headers["Location"].endswith("/console/")
    assert client.get("/kassa/console/").status_code == 200
    with get_state(console_app).db.session() as session:
        row = session.scalars(select(StaffUser).where(
            StaffUser.email == "new.admin@shop.test")).one()
        assert row.totp_secret and secret not in row.totp_secret  # stored encrypted
        assert get_state(console_app).vault.unseal_secret(row.totp_secret) == secret
    assert "totp.set_up" in audit_actions(console_app)
    # From now on the password alone is not enough, and cannot set up a new code.
    other = console_app.test_client()
    assert post_password(other, "new.admin@shop.test").headers["Location"].endswith(
        "/sign-in/code")
    assert other.get("/kassa/console/sign-in/set-up-code").headers["Location"].endswith(
        "/sign-in")


def test_a_one_time_code_works_once(console_app: Flask, records: Records) -> None:
    moment = datetime.now(UTC)
    sign_in(console_app.test_client(), "admin", when=moment)
    client = console_app.test_client()
    post_password(client, "admin@shop.test")
    code = pyotp.TOTP("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP").at(moment)
    again = client.post("/kassa/console/sign-in/code", data={
        "csrf_token": csrf(client, "/kassa/console/sign-in/code"), "code": code})
    assert again.status_code == 401 and "did not work" in again.get_data(as_text=True)


def test_agents_need_a_code_only_when_configured(make_app, db_url: str) -> None:  # type: ignore[no-untyped-def]
    app = make_app(db_url, KASSA_STAFF_TOTP_ROLES=["agent", "supervisor", "admin"])
    add_staff(app, "agent")
    client = app.test_client()
    assert post_password(client, "agent@shop.test").headers["Location"].endswith(
        "/sign-in/set-up-code")


def test_five_failures_lock_the_account_for_fifteen_minutes(console_app: Flask) -> None:
    add_staff(console_app, "agent")
    client = console_app.test_client()
    for _ in range(4):
        answer = post_password(client, "agent@shop.test", "wrong")
        assert answer.status_code == 401 and "not right" in answer.get_data(as_text=True)
    fifth = post_password(client, "agent@shop.test", "wrong")
    assert "locked for 15 minutes" in fifth.get_data(as_text=True)
    refused = post_password(client, "agent@shop.test")  # even the right password
    assert refused.status_code == 401 and "locked" in refused.get_data(as_text=True)
    with get_state(console_app).db.session() as session:
        row = session.scalars(select(StaffUser)).one()
        until = row.locked_until if row.locked_until.tzinfo else row.locked_until.replace(
            tzinfo=UTC)
        assert timedelta(minutes=14) < until - datetime.now(UTC) <= timedelta(minutes=15)
        row.locked_until = datetime.now(UTC) - timedelta(seconds=1)
    assert post_password(client, "agent@shop.test").status_code == 302
    actions = audit_actions(console_app)
    assert actions.count("sign_in.failed") == 5 and "sign_in.locked" in actions
    assert actions[-1] == "sign_in"


def test_an_unknown_address_gets_the_same_answer(console_app: Flask) -> None:
    answer = post_password(console_app.test_client(), "nobody@shop.test")
    assert answer.status_code == 401 and "not right" in answer.get_data(as_text=True)


def test_idle_session_ends_and_sign_out_ends_it_too(console_app: Flask,
                                                     records: Records) -> None:
    client = console_app.test_client()
    sign_in(client, "agent")
    assert client.get("/kassa/console/").status_code == 200
    with client.session_transaction() as session:
        session["kassa_staff_seen"] = int(time.time()) - 31 * 60
    ended = client.get("/kassa/console/")
    assert ended.status_code == 302 and "ended=1" in ended.headers["Location"]
    assert "without activity" in client.get(ended.headers["Location"]).get_data(as_text=True)
    assert client.get("/kassa/console/").status_code == 302
    sign_in(client, "agent")
    token = csrf(client, "/kassa/console/")
    out = client.post("/kassa/console/sign-out", data={"csrf_token": token})
    assert out.status_code == 302 and "/sign-in" in out.headers["Location"]
    assert client.get("/kassa/console/").status_code == 302
    assert "sign_out" in audit_actions(console_app)


def test_the_audit_log_cannot_be_edited(console_app: Flask, records: Records) -> None:
    sign_in(console_app.test_client(), "agent")
    with pytest.raises(ValueError, match="append-only"):
        with get_state(console_app).db.session() as session:
            entry = session.scalars(select(AuditEntry)).first()
            assert entry is not None
            entry.action = "nothing happened"
    with pytest.raises(ValueError, match="append-only"):
        with get_state(console_app).db.session() as session:
            session.delete(session.scalars(select(AuditEntry)).first())
    # The admin reads it; no console route writes anything but new entries.
    client = console_app.test_client()
    sign_in(client, "admin")
    page = client.get("/kassa/console/audit").get_data(as_text=True)
    assert "agent@shop.test" in page and "sign_in" in page


def test_the_agents_language_is_kept(console_app: Flask, records: Records) -> None:
    client = console_app.test_client()
    sign_in(client, "agent")
    assert '<html lang="sv">' in client.get("/kassa/console/?lang=sv").get_data(as_text=True)
    assert '<html lang="sv">' in client.get("/kassa/console/").get_data(as_text=True)
    assert '<html lang="nb">' in client.get("/kassa/console/?lang=nb").get_data(as_text=True)


def test_staff_of_one_shop_never_reach_another_shops_console(
        make_app: Any, tmp_path: Any) -> None:
    """Kassa keeps one merchant configuration's data in its own database: the staff users of
    one shop do not exist in the other's, so they cannot sign in there, and neither queue
    shows the other's tasks."""
    from .conftest import seed

    shop_a = make_app(f"sqlite:///{tmp_path / 'a.sqlite3'}")
    shop_b = make_app(f"sqlite:///{tmp_path / 'b.sqlite3'}")
    records_a = seed(shop_a)
    add_staff(shop_b, "agent", "bea@shop-b.test")
    client = shop_b.test_client()
    refused = client.post("/kassa/console/sign-in", data={
        "csrf_token": csrf(client), "email": "agent@shop.test", "password": PASSWORD})
    assert refused.status_code == 401
    sign_in(client, "agent", "bea@shop-b.test")
    assert client.get(f"/kassa/console/tasks/{records_a.contact_task}").status_code == 404
    assert "Nothing is waiting" in client.get("/kassa/console/").get_data(as_text=True)
