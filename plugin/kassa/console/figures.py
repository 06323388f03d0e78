"""The console's figures (supervisors and admins) and the audit log (admins; read only)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import Response, abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from ..db.console_models import AuditEntry
from ..i18n import N_
from ..i18n import gettext as _
from ..services import console as console_service
from ..services.console_figures import (
    AGE_BANDS,
    MIN_ANSWERS,
    OVERDUE_BANDS,
    SERVICE_LEVEL_TARGET,
    TARGETS,
    backlog,
    csv_rows,
    latest_answers,
    outcomes,
    receivables,
    service_level_csv_rows,
    service_levels,
    survey_figures,
)
from ..services.customer_service import ServiceError
from ..services.statements import unmatched_payments
from ..state import request_session, transaction
from . import charts
from .access import requires
from .blueprint import console, service_error_text
from .labels import CHANNEL_NAMES

AGE_NAMES = {"under_1": N_("under a day"), "1_3": N_("1–3 days"), "3_7": N_("3–7 days"),
             "over_7": N_("over a week")}
OVERDUE_NAMES = {"1_30": N_("1–30 days"), "31_60": N_("31–60 days"),
                 "61_90": N_("61–90 days"), "over_90": N_("over 90 days")}

#: Weeks the dashboard covers unless ``?weeks=`` says otherwise (1 to 104).
DEFAULT_WEEKS = 12
#: Audit entries per page.
AUDIT_PAGE = 100


def _since() -> tuple[datetime, int]:
    try:
        weeks = int(request.args.get("weeks", DEFAULT_WEEKS))
    except ValueError:
        weeks = DEFAULT_WEEKS
    weeks = min(max(weeks, 1), 104)
    return datetime.now(UTC) - timedelta(weeks=weeks), weeks


@console.route("/dashboard")
@requires("supervisor")
def dashboard() -> Any:
    start, weeks = _since()
    now = datetime.now(UTC)
    # A transaction: the figures of settled days computed here are kept for the next view.
    with transaction() as db:
        figures, levels = survey_figures(db, start), service_levels(db, start)
    db = request_session()
    return render_template(
        "kassa/console/dashboard.html", figures=figures,
        answers=latest_answers(db), levels=levels,
        backlog=backlog(db, now), outcomes=outcomes(db, start.date()),
        receivables=receivables(db, now.date()), targets=TARGETS,
        level_target=SERVICE_LEVEL_TARGET, min_answers=MIN_ANSWERS, weeks=weeks,
        age_bands=[(key, _(AGE_NAMES[key])) for key, _y, _o in AGE_BANDS],
        overdue_bands=[(key, _(OVERDUE_NAMES[key])) for key, _f, _l in OVERDUE_BANDS],
        channel_names=CHANNEL_NAMES)


@console.route("/dashboard/<any(survey, service, ageing):name>.svg")
@requires("supervisor")
def dashboard_chart(name: str) -> Response:
    start, _weeks = _since()
    with transaction() as db:
        if name == "survey":
            svg = charts.survey_trend(survey_figures(db, start)["week"])
        elif name == "service":
            svg = charts.service_trend(service_levels(db, start)["day"])
        else:
            svg = charts.ageing(receivables(db, datetime.now(UTC).date()),
                                {key: _(text) for key, text in OVERDUE_NAMES.items()})
    return Response(svg, mimetype="image/svg+xml")


@console.route("/dashboard.csv")
@requires("supervisor")
def dashboard_csv() -> Response:
    start, weeks = _since()
    view = request.args.get("view", "survey")
    if view not in ("survey", "service"):
        abort(404)
    with transaction() as db:
        rows = csv_rows(survey_figures(db, start)) if view == "survey" else \
            service_level_csv_rows(service_levels(db, start))
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return Response(out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="kassa-{view}-{weeks}w.csv"'})


@console.route("/audit")
@requires("admin")
def audit_log() -> Any:
    try:
        before = int(request.args.get("before", "0"))
    except ValueError:
        before = 0
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(AUDIT_PAGE)
    if before > 0:
        query = query.where(AuditEntry.id < before)
    entries = list(request_session().scalars(query))
    return render_template("kassa/console/audit.html", entries=entries,
                           older=entries[-1].id if len(entries) == AUDIT_PAGE else None)




@console.route("/payments", methods=["GET", "POST"])
@requires("supervisor")
def payments() -> Any:
    """Bank payments whose reference found no invoice, oldest first; a supervisor books one
    on the invoice the customer meant."""
    if request.method == "POST":
        payment_id = request.form.get("payment", "")
        try:
            with transaction() as db:
                invoice = console_service.match_payment(
                    db, g.kassa_staff, int(payment_id) if payment_id.isdigit() else 0,
                    request.form.get("invoice", ""), datetime.now(UTC))
                flash(_("The payment is booked on invoice %(number)s.", number=invoice.number),
                      "ok")
        except ServiceError as error:
            flash(service_error_text(error), "error")
        return redirect(url_for("kassa_console.payments"))
    rows = [dict(row, received_on=date.fromisoformat(row["received_on"]))
            for row in unmatched_payments(request_session())]
    reasons = {"reference": _("The reference fits no invoice"),
               "currency": _("The invoice is in another currency"),
               "reversal": _("Money taken back by the bank")}
    return render_template("kassa/console/payments.html", rows=rows, reasons=reasons)
