"""The Flask extension: ``Kassa(app)`` or ``Kassa().init_app(app)``.

All per-app state lives in ``app.extensions["kassa"]`` as a frozen
:class:`~kassa.state.KassaState`; the extension object itself keeps only the integrator's
callables, so one ``Kassa`` can serve several apps with different settings that never see each
other. ``init_app`` is the one place where Kassa joins an app: it registers the blueprints, the
``flask kassa`` commands and the outbox senders; importing a Kassa module registers nothing.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date
from typing import Any

import stripe
from flask import Blueprint, Flask

from .account.views import account
from .api.views import api
from .checkout.views import checkout
from .cli import kassa_cli
from .config import KassaConfig, load_config
from .db.database import Database
from .db.personal_ids import PersonalIdVault
from .notify.lifecycle import default_senders
from .payments.views import payments
from .services.reminder_policy import check_reminder_policies
from .state import EXTENSION_KEY, KassaState, close_request_session

_HERE = os.path.dirname(__file__)

#: Each page and API blueprint with the path it is mounted at under ``KASSA_URL_PREFIX``.
BLUEPRINTS = ((checkout, "/checkout"), (api, "/api/v1"), (account, "/account"),
              (payments, "/pay"))


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
        """Read and check the ``KASSA_*`` settings, open the database, mount the blueprints,
        add the ``flask kassa`` commands and give the app Kassa's outbox senders.

        Raises :class:`~kassa.errors.ConfigurationError` for a bad setting and RuntimeError if
        Kassa is already registered on ``app``.
        """
        if EXTENSION_KEY in app.extensions:
            raise RuntimeError(
                "Kassa is already registered on this app. Create one Kassa() and call "
                "init_app(app) once per app."
            )
        config = load_config(app.config)
        check_reminder_policies(config, date.today())
        url = config.database_url or _default_sqlite_url(app)
        app.extensions[EXTENSION_KEY] = KassaState(
            app=app,
            config=config,
            db=Database(url),
            vault=PersonalIdVault(config.encryption_key),
            credit_decider=self.credit_decider,
            stripe=_stripe_client(config),
            senders=default_senders(),
        )
        _register_blueprints(app, config)
        app.cli.add_command(kassa_cli)
        app.teardown_appcontext(close_request_session)


def _register_blueprints(app: Flask, config: KassaConfig) -> None:
    """Mount every Kassa blueprint, its templates (overridable by the host) and static files."""
    assets = Blueprint("kassa_assets", __name__, template_folder="templates",
                       static_folder=os.path.join(_HERE, "static", "kassa"),
                       static_url_path="/static")
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
