"""Who may use the console: the staff session (Flask-Login), its idle timeout, the roles and
the gate every console request passes.

Deny by default: the blueprint's gate refuses every endpoint whose view was not marked with
:func:`requires` (a role) or :func:`public`, and a POST without a valid CSRF token. Roles are
ranked agent < supervisor < admin; a role may do all that a lower one may.

The staff member's id is kept in the session as ``kassa-staff:<id>``, so that it can never be
taken for a user of the host shop's own Flask-Login, nor the other way round.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask, abort, current_app, g, redirect, request, session, url_for
from flask_login import LoginManager, current_user, logout_user
from flask_wtf.csrf import CSRFError, validate_csrf
from wtforms import ValidationError

from ..db.models import StaffUser, as_utc
from ..i18n import normalize_locale
from ..services.staff import role_rank
from ..state import get_state, request_session

#: The view attribute that names the role a console view needs.
ROLE_ATTR = "kassa_console_role"
PUBLIC = "public"
ID_PREFIX = "kassa-staff:"
_SEEN_KEY = "kassa_staff_seen"
LANG_KEY = "kassa_console_lang"
#: How often, at most, a request writes the staff member's last-seen time.
_LAST_SEEN_EVERY = timedelta(minutes=1)


class StaffLogin:
    """A signed-in staff member as Flask-Login sees them; ``row`` is the database record."""

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def __init__(self, row: StaffUser) -> None:
        self.row = row

    def get_id(self) -> str:
        return f"{ID_PREFIX}{self.row.id}"


def _load(user_id: str) -> StaffLogin | None:
    if not user_id.startswith(ID_PREFIX) or not user_id[len(ID_PREFIX):].isdigit():
        return None
    row = request_session().get(StaffUser, int(user_id[len(ID_PREFIX):]))
    return StaffLogin(row) if row is not None and row.active else None


def install_staff_login(app: Flask) -> None:
    """Give the app a Flask-Login manager for the console, or chain onto the host's own: ids
    of the form ``kassa-staff:<id>`` are Kassa's, every other id goes to the host's loader."""
    manager: LoginManager | None = getattr(app, "login_manager", None)
    if manager is None:
        manager = LoginManager()
        manager.init_app(app)
        manager.user_loader(_load)
        return
    host = manager._user_callback

    def chained(user_id: str) -> Any:
        if str(user_id).startswith(ID_PREFIX):
            return _load(str(user_id))
        return host(user_id) if host is not None else None

    manager._user_callback = chained


def requires(role: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Mark a console view as open to ``role`` and the roles above it."""
    if role_rank(role) < 0:
        raise ValueError(f"unknown role {role!r}")

    def mark(view: Callable[..., Any]) -> Callable[..., Any]:
        setattr(view, ROLE_ATTR, role)
        return view
    return mark


def public(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a console view as open without a signed-in staff member (the sign-in steps)."""
    setattr(view, ROLE_ATTR, PUBLIC)
    return view


def current_staff() -> StaffUser | None:
    """The signed-in staff member, or None; ends a session idle for longer than
    ``KASSA_STAFF_IDLE_MINUTES``."""
    user = current_user._get_current_object()  # type: ignore[attr-defined]
    if not isinstance(user, StaffLogin):
        return None
    idle = get_state().config.staff_idle_minutes * 60
    now = int(time.time())
    if now - int(session.get(_SEEN_KEY, 0)) > idle:
        end_session()
        g.kassa_console_ended = True
        return None
    session[_SEEN_KEY] = now
    row = user.row
    moment = datetime.now(UTC)
    if row.last_seen is None or moment - as_utc(row.last_seen) > _LAST_SEEN_EVERY:
        row.last_seen = moment
        request_session().commit()
    return row


def mark_seen() -> None:
    session[_SEEN_KEY] = int(time.time())


def end_session() -> None:
    logout_user()
    lang = session.get(LANG_KEY)
    session.clear()
    if lang:
        session[LANG_KEY] = lang


def gate() -> Any:
    """Before every console request: the agent's language, CSRF on every POST, then the
    view's role (an unmarked view is not found)."""
    chosen = normalize_locale(request.args.get("lang"))
    if chosen:
        session[LANG_KEY] = chosen
    elif normalize_locale(session.get(LANG_KEY)):
        g.kassa_locale = session[LANG_KEY]
    view = current_app.view_functions.get(request.endpoint or "")
    need = getattr(view, ROLE_ATTR, None)
    if need is None:
        abort(404)
    if request.method == "POST":
        try:
            validate_csrf(request.form.get("csrf_token"))
        except ValidationError as exc:
            raise CSRFError(str(exc)) from None
    if need == PUBLIC:
        return None
    staff = current_staff()
    if staff is None:
        return redirect(url_for("kassa_console.sign_in",
                                ended=1 if g.get("kassa_console_ended") else None))
    if role_rank(staff.role) < role_rank(need):
        abort(403)
    g.kassa_staff = staff
    return None
