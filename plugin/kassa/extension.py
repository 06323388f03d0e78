"""The Flask extension: ``Kassa(app)`` or ``Kassa().init_app(app)``.

All per-app state lives in ``app.extensions["kassa"]`` as a frozen
:class:`~kassa.state.KassaState`; the extension object itself keeps only the integrator's
callables, so one ``Kassa`` can serve several apps with different settings that never see each
other. ``init_app`` is the one place where Kassa joins an app: it registers the blueprints, the
``flask kassa`` commands and the outbox senders; importing a Kassa module registers nothing.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

import stripe
from flask import Blueprint, Flask
from sqlalchemy.exc import OperationalError

from .account.views import account
from .api.views import api
from .checkout.views import checkout
from .cli import kassa_cli
from .config import KassaConfig, load_config
from .console import console, install_staff_login
from .core.rules import missing_half_year_rows
from .db.database import Database
from .db.personal_ids import PersonalIdVault, check_encryption_key
from .errors import ConfigurationError
from .notify.lifecycle import default_senders
from .pages import RecordIdConverter, brand_stylesheet, secure_responses
from .payments.views import payments
from .ratelimits import rate_limiter
from .services.credit_registers import registers_from_config
from .services.reminder_policy import check_reminder_policies
from .state import EXTENSION_KEY, KassaState, close_request_session

_HERE = os.path.dirname(__file__)
logger = logging.getLogger("kassa")

#: Each page and API blueprint with the path it is mounted at under ``KASSA_URL_PREFIX``.
BLUEPRINTS = ((checkout, "/checkout"), (api, "/api/v1"), (account, "/account"),
              (payments, "/pay"), (console, "/console"))


class Kassa:
    """Adds pay by invoice and instalments to a Flask app.

    :param app: the app to initialize now; or call :meth:`init_app` later.
    :param credit_decider: a callable that decides eligibility (default: Kassa's rules).
    :param credit_registers: credit register adapters by country code, in place of those of
        ``KASSA_CREDIT_REGISTERS`` (:class:`~kassa.core.credit_register.CreditRegister`).
    :param scan_upload: the virus scanner of files shoppers and staff attach: called with the
        bytes and the file name, it returns True for a clean file; a file it refuses is not
        stored and the shopper is told (e.g. a call to clamd). None: files are checked by
        type and size only.
    """

    def __init__(self, app: Flask | None = None, *,
                 credit_decider: Callable[..., Any] | None = None,
                 credit_registers: Mapping[str, Any] | None = None,
                 scan_upload: Callable[[bytes, str], bool] | None = None) -> None:
        self.credit_decider = credit_decider
        self.credit_registers = dict(credit_registers or {})
        self.scan_upload = scan_upload
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Read and check the ``KASSA_*`` settings, open the database, mount the blueprints
        with their rate limits, add the ``flask kassa`` commands and give the app Kassa's
        outbox senders.

        Raises :class:`~kassa.errors.ConfigurationError` for a bad setting and RuntimeError if
        Kassa is already registered on ``app``.
        """
        if EXTENSION_KEY in app.extensions:
            raise RuntimeError(
                "Kassa is already registered on this app. Create one Kassa() and call "
                "init_app(app) once per app."
            )
        _check_secret_key(app)
        config = load_config(app.config)
        today = date.today()
        check_reminder_policies(config, today)
        # A half-yearly rate not yet entered is a warning, not a stop: the older row applies.
        for gap in missing_half_year_rows(config.rulebook, config.countries, today):
            app.logger.warning("Kassa: %s See `flask kassa rules`.", gap.message)
        url = config.database_url or _default_sqlite_url(app)
        state = KassaState(
            app=app,
            config=config,
            db=Database(url),
            vault=PersonalIdVault(config.encryption_key),
            credit_decider=self.credit_decider,
            stripe=_stripe_client(config),
            senders=default_senders(),
            limiter=rate_limiter(app, config),
            credit_registers=registers_from_config(config, self.credit_registers),
        )
        _check_encryption_key(state)
        app.extensions[EXTENSION_KEY] = state
        if self.scan_upload is not None:
            app.extensions["kassa_scan_upload"] = self.scan_upload
        _register_blueprints(app, config)
        install_staff_login(app)
        app.cli.add_command(kassa_cli)
        app.teardown_appcontext(close_request_session)


#: Shortest SECRET_KEY Kassa accepts; ``secrets.token_urlsafe(32)`` gives 43 characters.
SECRET_KEY_MIN_LENGTH = 32


def _check_secret_key(app: Flask) -> None:
    """Shopper links, CSRF tokens and the session are signed with the app's ``SECRET_KEY``:
    refuse to start without a long, random one."""
    key = app.config.get("SECRET_KEY")
    raw = key.encode() if isinstance(key, str) else key if isinstance(key, bytes) else b""
    if len(raw) < SECRET_KEY_MIN_LENGTH or len(set(raw)) < 16:
        raise ConfigurationError(
            "SECRET_KEY", f"Kassa signs shopper links and forms with the app's SECRET_KEY; set "
            f"a random one of at least {SECRET_KEY_MIN_LENGTH} characters, e.g. the output of "
            "python -c 'import secrets; print(secrets.token_urlsafe(32))'")


def _check_encryption_key(state: KassaState) -> None:
    """Stop start-up if the database's numbers were encrypted with another key."""
    try:
        with state.db.session() as session:
            matches = check_encryption_key(session, state.vault)
    except OperationalError as exc:  # the database is not reachable now: checked on next start
        logger.warning("Kassa could not check KASSA_ENCRYPTION_KEY against the database: %s",
                       exc.orig)
        return
    if matches is False:
        state.db.dispose()
        raise ConfigurationError(
            "KASSA_ENCRYPTION_KEY", "is not the key this database's identity numbers were "
            "encrypted with. Set the key in use (to change it, list the new key first and the "
            "old one after it, then run flask kassa rotate-key; see docs/security.md)")


def _register_blueprints(app: Flask, config: KassaConfig) -> None:
    """Mount every Kassa blueprint, its templates (overridable by the host), static files and
    the brand stylesheet; each blueprint adds Kassa's security headers to its own answers."""
    # A record's id in a page address (``<kassa_id:task_id>``): a whole number a database
    # column holds; a longer one is "not found" rather than an overflow.
    app.url_map.converters["kassa_id"] = RecordIdConverter
    assets = Blueprint("kassa_assets", __name__, template_folder="templates",
                       static_folder=os.path.join(_HERE, "static", "kassa"),
                       static_url_path="/static")
    assets.add_url_rule("/brand.css", view_func=brand_stylesheet)
    secure_responses(assets, private=False, secret_urls=False)
    app.register_blueprint(assets, url_prefix=config.url_prefix)
    for blueprint, path in BLUEPRINTS:
        app.register_blueprint(blueprint, url_prefix=config.url_prefix + path)


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
