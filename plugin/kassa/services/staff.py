"""Staff sign-in for the help console: passwords, one-time codes, lockout, the audit log.

Passwords are werkzeug hashes (as ``flask kassa create-staff`` makes them). One-time codes are
RFC 6238 TOTP (pyotp, 30-second steps, one step of clock drift either way); a code is
accepted once. ``KASSA_STAFF_LOCKOUT_ATTEMPTS`` wrong passwords or codes in a row lock the
account for ``KASSA_STAFF_LOCKOUT_MINUTES``. Every outcome is written to the audit log.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

import pyotp
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from ..config import STAFF_ROLES
from ..db.console_models import AuditEntry
from ..db.models import StaffUser, as_utc
from ..state import KassaState

#: The issuer shown in the authenticator app beside the user's e-mail address.
TOTP_ISSUER = "Kassa"


@cache
def _dummy_hash() -> str:
    """A hash to check against when the e-mail address is unknown, so that the answer takes
    as long as for a known one (no telling which addresses exist by timing)."""
    return generate_password_hash(secrets.token_hex(16))


def role_rank(role: str | None) -> int:
    """0 for agent, 1 supervisor, 2 admin; -1 for anything else (denied everywhere)."""
    return STAFF_ROLES.index(role) if role in STAFF_ROLES else -1


def audit(db: Session, staff: StaffUser | None, action: str, *, email: str | None = None,
          target: tuple[str, int | None] | None = None, before: dict[str, Any] | None = None,
          after: dict[str, Any] | None = None, now: datetime) -> None:
    """Append one entry to the audit log (in the caller's transaction)."""
    db.add(AuditEntry(staff_id=staff.id if staff else None,
                      staff_email=(staff.email if staff else email or "")[:320], action=action,
                      target_kind=target[0] if target else None,
                      target_id=target[1] if target else None, before=before, after=after,
                      created_at=now))


@dataclass(frozen=True)
class PasswordCheck:
    """What a sign-in with e-mail and password led to: ``ok``, ``wrong`` or ``locked``;
    with ``ok``, whether a one-time code is still needed (``code``) or must first be set up
    (``setup``)."""

    outcome: str
    staff: StaffUser | None = None
    needs: str | None = None
    locked_until: datetime | None = None


def needs_code(state: KassaState, staff: StaffUser) -> str | None:
    """``code`` if ``staff`` signs in with a one-time code, ``setup`` if their role requires
    one not yet set up, None if the password is enough."""
    if staff.totp_secret:
        return "code"
    return "setup" if staff.role in state.config.staff_totp_roles else None


def _locked(staff: StaffUser, now: datetime) -> bool:
    return staff.locked_until is not None and as_utc(staff.locked_until) > now


def _fail(db: Session, state: KassaState, staff: StaffUser, action: str, now: datetime) -> None:
    staff.failed_logins = (staff.failed_logins or 0) + 1
    if staff.failed_logins >= state.config.staff_lockout_attempts:
        staff.locked_until = now + timedelta(minutes=state.config.staff_lockout_minutes)
        staff.failed_logins = 0
        audit(db, staff, "sign_in.locked", target=("staff", staff.id), now=now,
              after={"locked_until": staff.locked_until.isoformat()})
    audit(db, staff, action, target=("staff", staff.id), now=now)


def check_password(db: Session, state: KassaState, email: str, password: str,
                   now: datetime) -> PasswordCheck:
    """Check e-mail and password, counting failures towards the lockout."""
    address = (email or "").strip().lower()[:320]
    staff = db.scalars(select(StaffUser).where(func.lower(StaffUser.email) == address)
                       .with_for_update()).first() if address else None
    if staff is None or not staff.active:
        check_password_hash(_dummy_hash(), password or "")
        audit(db, None, "sign_in.failed", email=address, now=now)
        return PasswordCheck("wrong")
    if _locked(staff, now):
        audit(db, staff, "sign_in.refused_locked", target=("staff", staff.id), now=now)
        return PasswordCheck("locked", locked_until=as_utc(staff.locked_until))  # type: ignore[arg-type]
    if not check_password_hash(staff.password_hash, password or ""):
        _fail(db, state, staff, "sign_in.failed", now)
        return PasswordCheck("locked" if _locked(staff, now) else "wrong",
                             locked_until=staff.locked_until)
    needs = needs_code(state, staff)
    if needs is None:
        signed_in(db, staff, now)
    return PasswordCheck("ok", staff, needs)


def signed_in(db: Session, staff: StaffUser, now: datetime) -> None:
    staff.failed_logins, staff.locked_until, staff.last_seen = 0, None, now
    audit(db, staff, "sign_in", target=("staff", staff.id), now=now)


def single_sign_on(db: Session, email: str, now: datetime) -> StaffUser | None:
    """The active, unlocked staff user with ``email`` (as the merchant's provider vouched
    for it), signed in; None otherwise, with the attempt in the audit log."""
    address = (email or "").strip().lower()[:320]
    staff = db.scalars(select(StaffUser).where(func.lower(StaffUser.email) == address)
                       .with_for_update()).first() if address else None
    if staff is None or not staff.active or _locked(staff, now):
        audit(db, staff, "sign_in.sso_refused", email=address,
              target=("staff", staff.id) if staff else None, now=now)
        return None
    staff.failed_logins, staff.locked_until, staff.last_seen = 0, None, now
    audit(db, staff, "sign_in.sso", target=("staff", staff.id), now=now)
    return staff


def new_totp_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str) -> str:
    """The ``otpauth://`` URI the QR code carries."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=TOTP_ISSUER)


def _matching_step(secret: str, code: str, now: datetime) -> int | None:
    code = (code or "").strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    step = int(now.timestamp()) // totp.interval
    for candidate in (step, step - 1, step + 1):
        if pyotp.utils.strings_equal(totp.generate_otp(candidate), code):
            return candidate
    return None


def check_code(db: Session, state: KassaState, staff: StaffUser, code: str,
               now: datetime) -> str:
    """``ok`` (signed in), ``wrong`` or ``locked``, for the code of a set-up user."""
    if _locked(staff, now):
        return "locked"
    secret = state.vault.unseal_secret(staff.totp_secret or "")
    step = _matching_step(secret, code, now)
    if step is None or (staff.totp_last_step is not None and step <= staff.totp_last_step):
        _fail(db, state, staff, "sign_in.code_failed", now)
        return "locked" if _locked(staff, now) else "wrong"
    staff.totp_last_step = step
    signed_in(db, staff, now)
    return "ok"


def finish_setup(db: Session, state: KassaState, staff: StaffUser, sealed_secret: str,
                 code: str, now: datetime) -> bool:
    """Keep the new secret if ``code`` comes from it (the app was set up right); sign in."""
    step = _matching_step(state.vault.unseal_secret(sealed_secret), code, now)
    if step is None:
        _fail(db, state, staff, "totp.setup_failed", now)
        return False
    had = staff.totp_secret is not None
    staff.totp_secret, staff.totp_last_step = sealed_secret, step
    audit(db, staff, "totp.set_up", target=("staff", staff.id), now=now,
          before={"totp": had}, after={"totp": True})
    signed_in(db, staff, now)
    return True
