"""Signing in to the console: e-mail and password, then a one-time code (set up from a QR
code the first time, where the role requires it or the user chose it); signing out."""

from __future__ import annotations

import secrets
import time
from datetime import UTC, datetime
from typing import Any

import segno
from flask import abort, g, redirect, render_template, request, session, url_for
from flask_login import login_user
from flask_wtf import FlaskForm

from ..checkout.identity_provider import IdentificationError, OidcIdentityProvider
from ..db.models import StaffUser
from ..i18n import gettext as _
from ..services import staff as staff_service
from ..state import get_state, request_session, transaction
from . import figures, work  # noqa: F401  (registers the console's other views)
from .access import (
    StaffLogin,
    current_staff,
    end_session,
    install_staff_login,
    mark_seen,
    public,
    requires,
)
from .blueprint import console

__all__ = ["console", "install_staff_login"]

_PENDING_KEY = "kassa_staff_pending"
#: Seconds between a right password and the one-time code.
_PENDING_SECONDS = 300


class CsrfForm(FlaskForm):  # type: ignore[misc]
    """The CSRF token every console form carries; the gate checks it on every POST."""


def _now() -> datetime:
    return datetime.now(UTC)


def _pending() -> StaffUser | None:
    data = session.get(_PENDING_KEY)
    if not isinstance(data, dict) or int(time.time()) - int(data.get("t", 0)) > _PENDING_SECONDS:
        session.pop(_PENDING_KEY, None)
        return None
    row = request_session().get(StaffUser, int(data.get("id", 0)))
    return row if row is not None and row.active else None


def _enter(row: StaffUser) -> Any:
    """Start the staff session: a fresh session cookie (no fixation), then the queue."""
    end_session()
    g.pop("csrf_token", None)  # the token of the old session must not be handed out again
    login_user(StaffLogin(row))
    mark_seen()
    return redirect(url_for("kassa_console.queue"))


def _locked_text(until: datetime | None) -> str:
    minutes = get_state().config.staff_lockout_minutes
    return _("Too many attempts. For your security the account is locked for %(minutes)s "
             "minutes; then you can try again.", minutes=minutes)


@console.route("/sign-in", methods=["GET", "POST"])
@public
def sign_in() -> Any:
    error = None
    if request.method == "POST":
        with transaction() as db:
            check = staff_service.check_password(db, get_state(), request.form.get("email", ""),
                                                 request.form.get("password", ""), _now())
        if check.outcome == "ok" and check.staff is not None:
            if check.needs is None:
                return _enter(check.staff)
            session[_PENDING_KEY] = {"id": check.staff.id, "t": int(time.time())}
            return redirect(url_for("kassa_console.setup_code" if check.needs == "setup"
                                    else "kassa_console.enter_code"))
        error = _locked_text(check.locked_until) if check.outcome == "locked" else _(
            "The e-mail address or the password is not right. Please check them and try again.")
    ended = request.args.get("ended") == "1" or g.get("kassa_console_ended")
    status = 200 if error is None else 401
    return render_template("kassa/console/sign_in.html", form=CsrfForm(), error=error,
                           ended=ended, email=request.form.get("email", ""),
                           sso=staff_sign_on() is not None), status


@console.route("/sign-in/code", methods=["GET", "POST"])
@public
def enter_code() -> Any:
    row = _pending()
    if row is None or not row.totp_secret:
        return redirect(url_for("kassa_console.sign_in"))
    error = None
    if request.method == "POST":
        with transaction() as db:
            outcome = staff_service.check_code(db, get_state(), row,
                                               request.form.get("code", ""), _now())
        if outcome == "ok":
            return _enter(row)
        if outcome == "locked":
            session.pop(_PENDING_KEY, None)
            error = _locked_text(row.locked_until)
        else:
            error = _("That code did not work. Codes change every 30 seconds: please type the "
                      "one your app shows now.")
    return render_template("kassa/console/enter_code.html", form=CsrfForm(),
                           error=error), 200 if error is None else 401


@console.route("/sign-in/set-up-code", methods=["GET", "POST"])
@public
def setup_code() -> Any:
    """Set up the authenticator app: a new secret (kept sealed in the session until a code
    from it proves the app has it), shown as a QR code and as text."""
    row = _pending()
    if row is not None and row.totp_secret:
        row = None  # a password alone never replaces a code already set up
    row = row or current_staff()
    if row is None:
        return redirect(url_for("kassa_console.sign_in"))
    state = get_state()
    sealed = session.get("kassa_staff_totp_new")
    # Kept across reloads: the user may already have scanned it.
    if not isinstance(sealed, str):
        sealed = state.vault.seal_secret(staff_service.new_totp_secret())
        session["kassa_staff_totp_new"] = sealed
    error = None
    if request.method == "POST":
        with transaction() as db:
            done = staff_service.finish_setup(db, state, row, sealed,
                                              request.form.get("code", ""), _now())
        if done:
            session.pop("kassa_staff_totp_new", None)
            return _enter(row)
        error = _("That code did not match. Please scan the QR code again and type the code "
                  "your app shows now.")
        if row.locked_until is not None and row.failed_logins == 0:
            session.pop(_PENDING_KEY, None)
            error = _locked_text(row.locked_until)
    secret = state.vault.unseal_secret(sealed)
    uri = staff_service.provisioning_uri(secret, row.email)
    qr = segno.make(uri, error="m").svg_inline(scale=4, title=_("QR code for your "
                                                                 "authenticator app"))
    return render_template("kassa/console/setup_code.html", form=CsrfForm(), qr=qr,
                           secret=" ".join(secret[i:i + 4] for i in range(0, len(secret), 4)),
                           error=error), 200 if error is None else 401


@console.route("/sign-out", methods=["POST"])
@requires("agent")
def sign_out() -> Any:
    with transaction() as db:
        staff_service.audit(db, g.kassa_staff, "sign_out", target=("staff", g.kassa_staff.id),
                            now=_now())
    end_session()
    return redirect(url_for("kassa_console.sign_in", signed_out=1))


# -- single sign-on ------------------------------------------------------------------------------

_SSO_KEY = "kassa_staff_sso"


def staff_sign_on() -> OidcIdentityProvider | None:
    """The merchant's OpenID Connect provider for staff, from ``KASSA_STAFF_OIDC_*``."""
    config = get_state().config
    if not (config.staff_oidc_issuer and config.staff_oidc_client_id):
        return None
    return OidcIdentityProvider(config.staff_oidc_issuer, config.staff_oidc_client_id,
                                config.staff_oidc_client_secret, "email",
                                scope="openid email profile")


@console.route("/sign-in/sso", methods=["POST"])
@public
def sso_start() -> Any:
    """Off to the merchant's provider, with a fresh state and nonce kept in the session."""
    provider = staff_sign_on()
    if provider is None:
        abort(404)
    state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    session[_SSO_KEY] = {"state": state, "nonce": nonce, "t": int(time.time())}
    try:
        url = provider.authorization_url(state, nonce, _sso_return(), g.kassa_locale)
    except IdentificationError:
        return _sso_refused(_("Your company's sign-in service cannot be reached right now. "
                              "Please try again in a moment, or use your password."), 503)
    return redirect(url)


@console.route("/sign-in/sso/return")
@public
def sso_return() -> Any:
    """The provider's answer: a staff user whose e-mail address the signed ID token names is
    signed in. The provider has checked who they are (and their second factor, by its own
    rules), so no one-time code is asked here."""
    provider = staff_sign_on()
    pending = session.pop(_SSO_KEY, None)
    if provider is None:
        abort(404)
    if not isinstance(pending, dict) or int(time.time()) - int(pending.get("t", 0)) > \
            _PENDING_SECONDS:
        return _sso_refused(_("The sign-in took too long or was started elsewhere. Please "
                              "try again."), 400)
    try:
        identity = provider.verified_identity(request.args, state=str(pending["state"]),
                                              nonce=str(pending["nonce"]),
                                              redirect_uri=_sso_return())
    except IdentificationError as error:
        if error.code == "identification.denied":
            return _sso_refused(_("The sign-in was cancelled."), 401)
        return _sso_refused(_("Your company's sign-in service did not confirm who you are. "
                              "Please try again, or use your password."), 401)
    with transaction() as db:
        row = staff_service.single_sign_on(db, identity.personal_id, _now())
    if row is None:
        return _sso_refused(_("There is no active help-console user with the e-mail address "
                              "your company account has. Ask an administrator to add you."),
                            403)
    return _enter(row)


def _sso_return() -> str:
    return url_for("kassa_console.sso_return", _external=True)


def _sso_refused(text: str, status: int) -> Any:
    return render_template("kassa/console/sign_in.html", form=CsrfForm(), error=text,
                           ended=False, email="", sso=staff_sign_on() is not None), status
