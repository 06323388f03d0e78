"""The merchant team's side of the API: the support queue and pausing reminders.

Mounted on the storefront API blueprint by :mod:`kassa.api.views`; behind the same API keys.
The console screens (a later issue) read the same records.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from flask import Response, jsonify, request
from sqlalchemy import select

from ..db.models import Agreement, Invoice, Order, SupportTask, as_utc
from ..errors import KassaHTTPError
from ..services.holds import MAX_INSTALMENT_MINOR, HoldError, end_holds, place_hold
from ..services.order_input import refuse_control_characters
from ..services.representation import invoice_json
from ..state import request_session, transaction
from . import clock
from .auth import current_caller, key_required

TASK_STATUSES = ("open", "done", "all")
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@key_required("support:read")
def support_tasks() -> Response:
    """The support queue: overdue invoices handed to the team, oldest deadline first."""
    status = request.args.get("status", "open")
    if status not in TASK_STATUSES:
        raise KassaHTTPError("request.field", f"status must be one of {', '.join(TASK_STATUSES)}",
                             status=400, field="status")
    query = select(SupportTask).order_by(SupportTask.due_at, SupportTask.id).limit(500)
    if status != "all":
        query = query.where(SupportTask.status == status)
    storefront = current_caller().storefront
    if storefront is not None:  # a storefront sees the tasks about its own orders only
        query = query.join(Invoice, SupportTask.invoice_id == Invoice.id).join(
            Agreement, Invoice.agreement_id == Agreement.id).join(
            Order, Agreement.order_id == Order.id).where(Order.storefront == storefront)
    tasks = request_session().scalars(query).all()
    response = jsonify(tasks=[_task_json(task) for task in tasks])
    response.headers["Cache-Control"] = "no-store"
    return response


def _task_json(task: SupportTask) -> dict[str, Any]:
    return {"id": task.id, "kind": task.kind, "status": task.status, "segment": task.segment,
            "due_at": as_utc(task.due_at).isoformat(), "created_at":
            as_utc(task.created_at).isoformat(),
            "case": {**task.payload, "task_id": str(task.id)}}


@key_required("support:write")
def hold_invoice(number: str) -> Response:
    """Pause the reminders: ``{"reason": "disputed" | "plan" | "extended" | "paused",
    "until"?, "due_date"?}`` (``paused`` needs ``until``)."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise KassaHTTPError("request.json", "the body must be a JSON object", status=400)
    reason = data.get("reason", "")
    refuse_control_characters(reason, "reason")
    until, due_date = _day(data, "until"), _day(data, "due_date")
    instalments = _instalments(data)
    _now, today = clock.now()
    with transaction() as db:
        invoice = _own_invoice(number)
        try:
            place_hold(db, invoice, str(reason), today=today, until=until,
                       new_due_date=due_date, instalments=instalments)
        except HoldError as exc:
            raise KassaHTTPError(exc.code, exc.message, **exc.params) from None
        body = invoice_json(invoice)
    return jsonify(body)


@key_required("support:write")
def end_invoice_holds(number: str) -> Response:
    """End the holds in force; reminders resume from the next run."""
    _now, today = clock.now()
    with transaction() as db:
        invoice = _own_invoice(number)
        ended = end_holds(db, invoice, today=today)
        body = invoice_json(invoice)
    return jsonify(dict(body, holds_ended=ended))


def _own_invoice(number: str) -> Invoice:
    invoice = request_session().scalar(select(Invoice).where(Invoice.number == number))
    storefront = current_caller().storefront
    if invoice is None or storefront not in (None, invoice.agreement.order.storefront):
        raise KassaHTTPError("invoice.not_found", f"no invoice {number!r}", status=404)
    return invoice


def _instalments(data: dict[str, Any]) -> list[tuple[date, int]] | None:
    """A plan's instalments, ``[{"due_date": "YYYY-MM-DD", "amount": <minor units>}, ...]``."""
    raw = data.get("instalments")
    if raw is None:
        return None
    if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
        raise KassaHTTPError("request.field", "instalments must be a list of objects with "
                             "due_date and amount", status=400, field="instalments")
    plan = []
    for item in raw:
        amount = item.get("amount")
        if isinstance(amount, bool) or not isinstance(amount, int) or not (
                1 <= amount <= MAX_INSTALMENT_MINOR):
            raise KassaHTTPError("request.field", "each instalment's amount must be a whole "
                                 f"number of minor units from 1 to {MAX_INSTALMENT_MINOR}",
                                 status=400, field="instalments")
        day = _day(item, "due_date")
        if day is None:
            raise KassaHTTPError("request.field", "each instalment needs a due_date",
                                 status=400, field="instalments")
        plan.append((day, amount))
    return plan


def _day(data: dict[str, Any], name: str) -> date | None:
    value = data.get(name)
    if value in (None, ""):
        return None
    refuse_control_characters(value, name)
    try:
        if not isinstance(value, str) or not _ISO_DAY.fullmatch(value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise KassaHTTPError("request.field", f"{name} must be a date (YYYY-MM-DD)", status=400,
                             field=name) from None
