"""Mounting Kassa's blueprints under ``KASSA_URL_PREFIX``."""

from __future__ import annotations

import os

from flask import Blueprint, Flask

from .config import KassaConfig
from .extension import choose_locale, template_helpers

_HERE = os.path.dirname(__file__)


def register_blueprints(app: Flask, config: KassaConfig) -> None:
    """Mount every Kassa blueprint, its templates (overridable by the host) and static files."""
    from .account.views import account
    from .api.views import api
    from .checkout.views import checkout
    from .payments.views import payments

    assets = Blueprint("kassa_assets", __name__, template_folder="templates",
                       static_folder=os.path.join(_HERE, "static", "kassa"),
                       static_url_path="/static")
    app.register_blueprint(assets, url_prefix=config.url_prefix)
    for blueprint, path in ((checkout, "/checkout"), (api, "/api/v1"), (account, "/account"),
                            (payments, "/pay"),):
        app.register_blueprint(blueprint, url_prefix=config.url_prefix + path)


def page_blueprint(name: str, import_name: str) -> Blueprint:
    """A blueprint for Kassa's pages: the locale is chosen per request and templates get the
    translation and formatting helpers."""
    blueprint = Blueprint(name, import_name)
    blueprint.before_request(choose_locale)
    blueprint.context_processor(template_helpers)
    return blueprint
