"""A shopper asks a person to review an automated credit decision, through the storefront.

``POST /checkout-sessions/<id>/credit-decisions/<decision_id>/review`` is authenticated, as
the confirmation is, by the session's client secret; the decision id comes from the
``checkout.declined`` answer (``decision_id``, with ``review_url``, the same request as a page
the shopper can open). Mounted on the storefront API blueprint by :mod:`kassa.api.views`.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask import Response, jsonify, request

from ..errors import KassaHTTPError
from ..services.checkout import check_client_secret, find_checkout_session
from ..services.credit_assessment import MAX_REVIEW_NOTE_LENGTH, request_review
from ..services.order_input import refuse_control_characters
from ..state import request_session, transaction
from . import clock
from .auth import client_secret


def request_credit_review(session_id: str, decision_id: str) -> tuple[Response, int]:
    """Ask for the review: ``{"note"?}`` (at most 1000 characters, for the person who looks
    at it). Answers 202 with ``{"decision_id", "status": "review_requested"}``; asking again
    changes nothing and answers the same."""
    cs = find_checkout_session(request_session(), session_id)
    if cs is None:
        raise KassaHTTPError("checkout.not_found", f"no checkout session {session_id!r}",
                             status=404)
    raw = request.get_json(force=True, silent=True)
    body = raw if isinstance(raw, Mapping) else None
    if not check_client_secret(cs, client_secret(body)):
        raise KassaHTTPError("checkout.secret", "the client secret does not match the session",
                             status=403)
    if raw is not None and body is None:
        raise KassaHTTPError("request.json", "the body must be a JSON object", status=400)
    note = (body or {}).get("note")
    refuse_control_characters(note, "note")
    if note is not None and (not isinstance(note, str) or len(note) > MAX_REVIEW_NOTE_LENGTH):
        raise KassaHTTPError("request.field", f"note must be text of at most "
                             f"{MAX_REVIEW_NOTE_LENGTH} characters", status=400, field="note")
    now, _today = clock.now()
    with transaction() as db:
        request_review(db, cs, decision_id, now=now, via="api", note=note)
    response = jsonify(decision_id=decision_id, status="review_requested")
    response.headers["Cache-Control"] = "no-store"
    return response, 202
