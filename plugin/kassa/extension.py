"""The Flask extension: ``Kassa(app)`` or ``Kassa().init_app(app)``.

All per-app state lives in ``app.extensions["kassa"]`` as a frozen :class:`KassaState`; the
extension object itself keeps only the integrator's callables, so one ``Kassa`` can serve
several apps with different settings that never see each other.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import stripe
from flask import Flask, current_app, g, request, url_for
from sqlalchemy.orm import Session

from .config import KassaConfig, load_config
from .db.database import Database
from .db.personal_ids import PersonalIdVault
from .i18n import format_day, format_money, format_percent, gettext, ngettext, select_locale

EXTENSION_KEY = "kassa"


@dataclass(frozen=True)
class KassaState:
    """What one app's Kassa needs at run time."""

    #: The parsed ``KASSA_*`` settings.
    config: KassaConfig
    #: Kassa's own database (engine and sessions).
    db: Database
    #: Encrypts and digests personal identity numbers.
    vault: PersonalIdVault
    #: Decides whether a shopper may buy on credit; None uses the default rules.
    credit_decider: Callable[..., Any] | None
    #: The one Stripe client of this app, or None when "pay now" is off.
    stripe: stripe.StripeClient | None


class Kassa:
    """Adds pay by invoice and installments to a Flask app.

    :param app: the app to initialize now; or call :meth:`init_app` later.
    :param credit_decider: a callable that decides eligibility (default: Kassa's rules).
    """

    def __init__(self, app: Flask | None = None, *,
                 credit_decider: Callable[..., Any] | None = None) -> None:
        self.credit_decider = credit_decider
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Read and check the ``KASSA_*`` settings, open the database, mount the blueprints.

        Raises :class:`~kassa.errors.ConfigurationError` for a bad setting and RuntimeError if
        Kassa is already registered on ``app``.
        """
        if EXTENSION_KEY in app.extensions:
            raise RuntimeError(
                "Kassa is already registered on this app. Create one Kassa() and call "
                "init_app(app) once per app."
            )
        config = load_config(app.config)
        url = config.database_url or _default_sqlite_url(app)
        state = KassaState(
            config=config,
            db=Database(url),
            vault=PersonalIdVault(config.encryption_key),
            credit_decider=self.credit_decider,
            stripe=_stripe_client(config),
        )
        app.extensions[EXTENSION_KEY] = state

        from .cli import kassa_cli
        from .notify import lifecycle  # noqa: F401  (registers the outbox senders)
        from .web import register_blueprints

        register_blueprints(app, config)
        app.cli.add_command(kassa_cli)
        app.teardown_appcontext(_close_request_session)


def get_state(app: Flask | None = None) -> KassaState:
    """The Kassa state of ``app`` (default: the current app)."""
    app = app or current_app
    try:
        return app.extensions[EXTENSION_KEY]  # type: ignore[no-any-return]
    except KeyError:
        raise RuntimeError("Kassa is not initialized on this app: call Kassa(app)") from None


def request_session() -> Session:
    """The SQLAlchemy session of the current app context, closed when the context ends."""
    session: Session | None = g.get("_kassa_session")
    if session is None:
        session = get_state().db.sessionmaker()
        g._kassa_session = session
    return session


@contextmanager
def transaction() -> Iterator[Session]:
    """The request session inside a transaction: commit at the end, roll back on error."""
    session = request_session()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise


def _close_request_session(_exc: BaseException | None) -> None:
    session: Session | None = g.pop("_kassa_session", None)
    if session is not None:
        session.close()


def _stripe_client(config: KassaConfig) -> stripe.StripeClient | None:
    if not config.stripe_secret_key:
        return None
    base = {"api": config.stripe_api_base} if config.stripe_api_base else {}
    # A slow Stripe must not hang the shopper's page for Stripe's default 80 seconds.
    return stripe.StripeClient(config.stripe_secret_key, base_addresses=base,  # type: ignore[arg-type]
                               max_network_retries=0 if base else 2,
                               http_client=stripe.RequestsClient(timeout=15))


def _default_sqlite_url(app: Flask) -> str:
    os.makedirs(app.instance_path, exist_ok=True)
    return "sqlite:///" + os.path.join(app.instance_path, "kassa.sqlite3")


def template_helpers() -> dict[str, Any]:
    """What every Kassa template may call: translations and locale-aware formatting."""
    return {
        "_": gettext,
        "gettext": gettext,
        "ngettext": ngettext,
        "format_money": format_money,
        "format_percent": format_percent,
        "format_day": format_day,
        "kassa_config": get_state().config,
        "lang_url": _lang_url,
    }


def _lang_url(code: str) -> str:
    """This page's URL in another language."""
    arguments = {**(request.view_args or {}), **request.args.to_dict(), "lang": code}
    return url_for(request.endpoint or "", **arguments)


def choose_locale() -> None:
    """Before each Kassa request: fix the page's locale for translations and formatting."""
    g.kassa_locale = select_locale(get_state().config.default_locale)
