"""Cross-origin calls to the storefront API: only the shopper's confirmation of a checkout
session, and only from the shop's own origins (``KASSA_ALLOWED_ORIGINS``).

A script on the shop's pages may confirm the session it holds the client secret of
(``POST {prefix}/api/v1/checkout-sessions/<id>/confirm``). The browser first asks with a
preflight ``OPTIONS``; a listed origin is answered with itself in
``Access-Control-Allow-Origin``, ``POST`` and the two request headers a caller may send. Any
other origin, and every other route, gets no CORS headers, so the browser keeps the answer
from the calling page. No credentials are allowed: the client secret travels in the body
(``client_secret``), since ``Authorization`` is not among the allowed headers.
``GET offers`` stays open to every origin (``*``): it is public and has no personal data.
"""

from __future__ import annotations

from flask import Response, request

from ..state import get_state

#: The one endpoint a script on the shop's own pages may call from another origin.
CROSS_ORIGIN_ENDPOINTS = frozenset({"kassa_api.confirm_session"})
#: What a preflight of that endpoint is allowed.
ALLOWED_METHODS = "POST"
ALLOWED_HEADERS = "Content-Type, Idempotency-Key"
#: Seconds a browser may reuse a preflight answer.
PREFLIGHT_MAX_AGE = 600


def allow_shop_origins(response: Response) -> Response:
    """After each API request: the CORS headers of a cross-origin confirmation from one of
    ``KASSA_ALLOWED_ORIGINS``; nothing for any other origin or route."""
    if request.endpoint not in CROSS_ORIGIN_ENDPOINTS:
        return response
    response.vary.add("Origin")  # the answer depends on who asks: caches must keep them apart
    origin = request.headers.get("Origin")
    if origin is None or origin not in get_state().config.allowed_origins:
        return response
    response.headers["Access-Control-Allow-Origin"] = origin
    # A refused confirmation may be a rate limit: the page's script should see when to retry.
    response.headers["Access-Control-Expose-Headers"] = "Retry-After"
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = ALLOWED_METHODS
        response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
        response.headers["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE)
    return response
