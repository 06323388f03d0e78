"""``Idempotency-Key`` on every POST of the storefront API, as Stripe does it.

A storefront that lost an answer (a timeout, a crash) sends the same POST again with the same
``Idempotency-Key`` header and gets the first answer back, with ``Idempotent-Replayed: true``,
and nothing is done twice. The same key with a different request (method, path, query or
body) is refused with 409 ``request.idempotency_key``; while the first request still runs,
409 ``request.in_progress``. A key belongs to the credential it came with (the API key or the
client secret) and is kept for :data:`KEPT_FOR`.

Answers that say the request did not run are not kept, so the key can be used again: an
authentication failure (401, 403), a rate limit (429) and server errors (5xx).
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta

from flask import Response, g, request
from sqlalchemy import delete, select

from ..db.bulk import insert_or_ignore
from ..db.models import IdempotencyKey, as_utc
from ..errors import KassaHTTPError
from ..state import get_state

HEADER = "Idempotency-Key"
#: How long a key and its answer are kept.
KEPT_FOR = timedelta(hours=24)
#: A first request still unanswered after this long is taken as lost (its process died).
ABANDONED_AFTER = timedelta(minutes=2)
_KEY = re.compile(r"[\x21-\x7e]{1,255}")
#: Headers that say what a request means besides its address and body: the shopper a shop
#: acts for (kassa.api.customer_service). The same key for another shopper is another request.
MEANINGFUL_HEADERS = ("Kassa-Shopper-Email",)
_NOT_KEPT = {401, 403, 429}


def start() -> Response | None:
    """Before a POST: claim the key, or answer with the first answer or a refusal."""
    key = request.headers.get(HEADER)
    if request.method != "POST" or key is None:
        return None
    if not _KEY.fullmatch(key):
        raise KassaHTTPError("request.field", "Idempotency-Key must be 1 to 255 printable "
                             "ASCII characters", status=400, field=HEADER)
    principal = hashlib.sha256(request.headers.get("Authorization", "").encode()).hexdigest()
    digest = _request_digest()
    now = datetime.now(UTC)
    with get_state().db.session() as db:
        claimed = db.execute(insert_or_ignore(db, IdempotencyKey).values(
            principal=principal, key=key, request_digest=digest, created_at=now,
        ).returning(IdempotencyKey.id)).scalar_one_or_none()
        if claimed is None:
            row = db.scalars(select(IdempotencyKey).where(
                IdempotencyKey.principal == principal, IdempotencyKey.key == key,
            ).with_for_update()).one()
            age = now - as_utc(row.created_at)
            if age > KEPT_FOR or (row.status is None and age > ABANDONED_AFTER):
                row.request_digest, row.created_at = digest, now
                row.status = row.body = row.location = None
                claimed = row.id
            elif row.request_digest != digest:
                raise KassaHTTPError("request.idempotency_key", "this Idempotency-Key was used "
                                     "with a different request", status=409)
            elif row.status is None:
                raise KassaHTTPError("request.in_progress", "the first request with this "
                                     "Idempotency-Key is still running", status=409)
            else:
                return _replay(row)
    g.kassa_idempotency_id = claimed
    return None


def finish(response: Response) -> Response:
    """After a POST that claimed a key: keep its answer, or free the key if it did not run."""
    claimed = g.pop("kassa_idempotency_id", None)
    if claimed is None:
        return response
    with get_state().db.session() as db:
        if response.status_code >= 500 or response.status_code in _NOT_KEPT:
            db.execute(delete(IdempotencyKey).where(IdempotencyKey.id == claimed))
        else:
            row = db.get(IdempotencyKey, claimed)
            if row is not None:
                row.status = response.status_code
                row.body = response.get_data(as_text=True)
                row.location = response.headers.get("Location")
    return response


def _request_digest() -> str:
    digest = hashlib.sha256()
    for part in (request.method, request.path, request.query_string.decode("latin-1")):
        digest.update(part.encode() + b"\0")
    digest.update(request.get_data(cache=True))
    for name in MEANINGFUL_HEADERS:  # only when sent: other requests digest as before
        value = request.headers.get(name)
        if value is not None:
            digest.update(b"\0" + name.lower().encode() + b":" +
                          value.encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def _replay(row: IdempotencyKey) -> Response:
    response = Response(row.body or "", status=row.status or 200, mimetype="application/json")
    if row.location:
        response.headers["Location"] = row.location
    response.headers["Idempotent-Replayed"] = "true"
    response.headers["Cache-Control"] = "no-store"
    return response
