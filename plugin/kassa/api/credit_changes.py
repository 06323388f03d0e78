"""The merchant's side of a credit agreement after the purchase: the shopper's withdrawal and
early repayment (:mod:`kassa.services.withdrawal`, :mod:`kassa.services.early_repayment`).

Mounted on the storefront API blueprint by :mod:`kassa.api.views`; behind the same keys as
the support calls: a storefront key (its own agreements) or a back-office key with the scope.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any, cast

from flask import Response, jsonify, request

from ..core.early_repayment import KEEP_CHOICES, Keep
from ..errors import KassaHTTPError
from ..services.credit_plan import find_agreement
from ..services.early_repayment import (
    MAX_EXTERNAL_ID_LENGTH,
    quote_early_repayment,
    register_early_repayment,
    repayment_json,
)
from ..services.holds import MAX_INSTALMENT_MINOR
from ..services.order_input import refuse_control_characters
from ..services.withdrawal import withdraw, withdrawal_json
from ..state import get_state, request_session, transaction
from . import clock
from .auth import current_caller, key_required

_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_WHOLE_NUMBER = re.compile(r"[0-9]{1,15}")


@key_required("support:write")
def withdraw_from_agreement(agreement_id: str) -> Response:
    """The shopper withdrew from the credit: ``{"notice_on"?, "terms_received_on"?}``, the
    notice's day (default today) and the day the terms reached them if later than the
    agreement."""
    data = _body(required=False)
    _now, today = clock.now()
    notice_on = _day(data, "notice_on") or today
    received_on = _day(data, "terms_received_on")
    state = get_state()
    with transaction() as db:
        agreement = find_agreement(db, agreement_id, current_caller().storefront)
        result = withdraw(db, state, agreement, notice_on=notice_on, today=today,
                          base_url=state.config.public_url, terms_received_on=received_on)
        body = withdrawal_json(result, agreement.order.currency)
    return jsonify(body)


@key_required("support:read")
def early_repayment_quote(agreement_id: str) -> Response:
    """What repaying early would take and do: ``?on=&amount=&keep=`` (default today,
    everything, keep the number of instalments)."""
    _now, today = clock.now()
    on = _day(request.args, "on") or today
    raw_amount = request.args.get("amount")
    amount = None if raw_amount is None else _amount(raw_amount, "amount")
    keep = _keep(request.args.get("keep"))
    db = request_session()
    agreement = find_agreement(db, agreement_id, current_caller().storefront)
    result = quote_early_repayment(db, agreement, on=on, today=today, amount=amount,
                                   keep=keep)
    return jsonify(repayment_json(result))


@key_required("support:write")
def register_repayment(agreement_id: str) -> Response:
    """Money received as an early repayment: ``{"amount", "external_id", "received_on"?,
    "keep"?}``."""
    data = _body(required=True)
    _now, today = clock.now()
    amount = _amount(data.get("amount"), "amount")
    external_id = data.get("external_id")
    refuse_control_characters(external_id, "external_id")
    if not isinstance(external_id, str) or not 1 <= len(external_id) <= MAX_EXTERNAL_ID_LENGTH:
        raise KassaHTTPError("request.field", "external_id must be the payment's own id, at "
                             f"most {MAX_EXTERNAL_ID_LENGTH} characters", status=400,
                             field="external_id")
    received_on = _day(data, "received_on") or today
    keep = _keep(data.get("keep"))
    state = get_state()
    with transaction() as db:
        agreement = find_agreement(db, agreement_id, current_caller().storefront)
        result = register_early_repayment(
            db, state, agreement, amount=amount, received_on=received_on,
            external_id=external_id, today=today, keep=keep,
            base_url=state.config.public_url)
        body = repayment_json(result)
    return jsonify(body)


def _body(*, required: bool) -> dict[str, Any]:
    raw = request.get_data(cache=True)
    if not raw.strip() and not required:
        return {}
    data = request.get_json(force=True, silent=True)
    if not isinstance(data, dict):
        raise KassaHTTPError("request.json", "the body must be a JSON object", status=400)
    return data


def _day(data: Mapping[str, Any], name: str) -> date | None:
    value = data.get(name)
    if value is None:
        return None
    refuse_control_characters(value, name)
    try:
        if not isinstance(value, str) or not _ISO_DAY.fullmatch(value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise KassaHTTPError("request.field", f"{name} must be a date (YYYY-MM-DD)",
                             status=400, field=name) from None


def _amount(value: Any, name: str) -> int:
    """A whole number of minor units from 1 to :data:`MAX_INSTALMENT_MINOR` (JSON number,
    or digits in a query string)."""
    if isinstance(value, str) and _WHOLE_NUMBER.fullmatch(value):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not (
            1 <= value <= MAX_INSTALMENT_MINOR):
        raise KassaHTTPError("request.field", f"{name} must be a whole number of minor units "
                             f"from 1 to {MAX_INSTALMENT_MINOR}", status=400, field=name)
    return value


def _keep(value: Any) -> Keep:
    if value is None:
        return "instalments"
    if value not in KEEP_CHOICES:
        raise KassaHTTPError("request.field", f"keep must be one of {', '.join(KEEP_CHOICES)}",
                             status=400, field="keep")
    return cast(Keep, value)
