"""The call script the support team's tasks and hooks link to: how to make the friendly
contact about an overdue invoice (listen first, agree on a plan together, never shame).

Staff-facing, in the team's language (``?lang=``, else ``KASSA_DEFAULT_LOCALE``), with the
recommended channel and tone per payment-behaviour segment from :mod:`kassa.services.overdue`.
"""

from __future__ import annotations

from typing import Any

from flask import g, render_template, request

from ..config import COUNTRY_CURRENCY, OVERDUE_SEGMENTS
from ..i18n import gettext as _
from ..i18n import normalize_locale
from ..services.overdue import CHANNEL_LABELS, SEGMENT_LABELS, TONE_LABELS, recommendation
from ..state import get_state


def call_script(country: str) -> Any:
    """The friendly-contact script for ``country`` (fi, se or no)."""
    code = country.upper()
    if code not in COUNTRY_CURRENCY:
        return render_template("kassa/account/not_found.html"), 404
    if not normalize_locale(request.args.get("lang")):
        g.kassa_locale = get_state().config.default_locale
    return render_template("kassa/account/call_script.html", country=code,
                           segments=script_segments(code))


def script_segments(country: str) -> list[dict[str, str]]:
    """The table of channel and tone by customer group for ``country``, translated."""
    segments = []
    for segment in OVERDUE_SEGMENTS:
        channel, tone = recommendation(segment, country)
        segments.append({"segment": segment, "label": _(SEGMENT_LABELS[segment]),
                         "channel": _(CHANNEL_LABELS[channel]), "tone": tone,
                         "tone_label": _(TONE_LABELS[tone])})
    return segments
