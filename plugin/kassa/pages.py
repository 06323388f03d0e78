"""What Kassa's page blueprints share: the page's locale and the helpers every template gets."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, request, url_for

from .i18n import format_day, format_money, format_percent, gettext, ngettext, select_locale
from .state import get_state


def page_blueprint(name: str, import_name: str) -> Blueprint:
    """A blueprint for Kassa's pages: the locale is chosen per request and templates get the
    translation and formatting helpers."""
    blueprint = Blueprint(name, import_name)
    blueprint.before_request(choose_locale)
    blueprint.context_processor(template_helpers)
    return blueprint


def choose_locale() -> None:
    """Before each Kassa request: fix the page's locale for translations and formatting."""
    g.kassa_locale = select_locale(get_state().config.default_locale)


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
        "lang_url": lang_url,
    }


def lang_url(code: str) -> str:
    """This page's URL in another language."""
    arguments = {**(request.view_args or {}), **request.args.to_dict(), "lang": code}
    return url_for(request.endpoint or "", **arguments)
