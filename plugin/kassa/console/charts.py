"""The dashboard's charts: server-rendered SVG (pygal), shown as images beside the tables
that carry the same figures, so they need no JavaScript and are readable without the picture.

pygal writes a configuration script into every chart; it is removed here, and the charts are
served with a policy that allows their own styles and nothing else.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal

import pygal
from pygal.style import Style

from ..i18n import gettext as _
from ..services.console_figures import (
    OVERDUE_BANDS,
    TARGETS,
    Receivables,
    ServiceLevel,
    SurveyFigures,
)

_SCRIPT = re.compile(r"<script\b.*?</script>", re.DOTALL)
#: Kassa's colours; each series also has its own dash pattern or position, never colour alone.
_STYLE = Style(background="#ffffff", plot_background="#ffffff", foreground="#1f2933",
               foreground_strong="#1f2933", foreground_subtle="#52606d",
               colors=("#0b5cad", "#b44d12", "#2f7d32", "#6b3fa0"), font_family="sans-serif",
               label_font_size=13, major_label_font_size=13, legend_font_size=13,
               title_font_size=15, value_font_size=12)
_SIZE = {"width": 720, "height": 300}


def _options() -> dict[str, object]:
    return {"style": _STYLE, "js": [], "disable_xml_declaration": True,
            "no_data_text": _("No figures yet"), **_SIZE}


def _render(chart: pygal.graph.graph.Graph) -> str:
    return _SCRIPT.sub("", chart.render(is_unicode=True))


def _percent(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def survey_trend(weeks: Sequence[SurveyFigures]) -> str:
    """Weekly shares (oldest first): solved at first contact, recommend 9–10, overall 9–10."""
    ordered = list(reversed(weeks))
    chart = pygal.Line(range=(0, 100),
                       title=_("Survey answers by week (%)"), x_label_rotation=30,
                       allow_interruptions=True, legend_at_bottom=True, **_options())
    chart.x_labels = [item.key for item in ordered]
    for name, label in (("fcr", _("Solved at first contact")),
                        ("recommend_top", _("Would recommend 9–10")),
                        ("overall_top", _("Overall 9–10"))):
        chart.add(f"{label} ({_('target %(t)s %%', t=TARGETS[name])})",
                  [_percent(getattr(item, name)) for item in ordered])
    return _render(chart)


def service_trend(days: Sequence[ServiceLevel]) -> str:
    """Per day (oldest first): the share of contacts first answered within the service level."""
    ordered = list(reversed(days))
    chart = pygal.Bar(range=(0, 100),
                      title=_("Answered within the service level by day (%)"),
                      x_label_rotation=30, show_legend=False, **_options())
    chart.x_labels = [item.key for item in ordered]
    chart.add(_("Within the service level"), [_percent(item.met_share) for item in ordered])
    return _render(chart)


def ageing(countries: Sequence[Receivables], band_names: dict[str, str]) -> str:
    """Each country's overdue balance by days past due, as a share of what is outstanding
    (the currencies differ, the shares compare)."""
    title = _("Overdue by days past due, share of the balance outstanding (%)")
    chart = pygal.StackedBar(title=title, legend_at_bottom=True, **_options())
    chart.x_labels = [item.country for item in countries]
    for key, _first, _last in OVERDUE_BANDS:
        chart.add(band_names[key], [
            round(100 * item.overdue[key] / item.outstanding, 1) if item.outstanding else 0
            for item in countries])
    return _render(chart)
