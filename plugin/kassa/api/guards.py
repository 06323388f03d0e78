"""What every storefront API request passes before a view: path parameters without control
characters, a bounded body and JSON nesting, and an answer for every address no route takes.

:mod:`kassa.api.views` registers these on the API blueprint.
"""

from __future__ import annotations

import re

from flask import Response, current_app, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

from ..errors import KassaHTTPError
from ..services.conversations import MAX_FILES
from ..services.order_input import refuse_control_characters
from ..state import get_state

#: Largest request body the API reads; an order with hundreds of lines stays far below it.
MAX_BODY_BYTES = 256 * 1024
#: Deepest nesting of arrays and objects a JSON body may have; an order needs four levels.
MAX_JSON_DEPTH = 20
#: Longest path parameter (a session id, an invoice number, an order reference).
MAX_PATH_PARAMETER = 100
#: The endpoint of :func:`unrouted` on the API blueprint.
UNROUTED = "kassa_api._unrouted"
#: Endpoints whose JSON body may carry files in base64 (kassa.api.customer_service).
FILE_ENDPOINTS = frozenset({"kassa_api.shopper_dispute", "kassa_api.shopper_start_thread",
                            "kassa_api.shopper_add_message", "kassa_api.reply_to_thread"})


def check_path_parameters() -> None:
    """Refuse a path parameter with control characters or longer than allowed."""
    # Before anything reads them: a NUL or a line break in an id is refused, not looked up.
    if request.endpoint == UNROUTED:
        return
    for name, value in (request.view_args or {}).items():
        refuse_control_characters(value, name)
        if isinstance(value, str) and len(value) > MAX_PATH_PARAMETER:
            raise KassaHTTPError("request.field", f"{name} must be at most "
                                 f"{MAX_PATH_PARAMETER} characters", status=400, field=name)


def limit_body() -> None:
    """Read at most :data:`MAX_BODY_BYTES` of a body; one that may carry files
    (:data:`FILE_ENDPOINTS`) has room for them besides."""
    limit = MAX_BODY_BYTES
    if request.endpoint in FILE_ENDPOINTS:
        limit += files_body_bytes(get_state().config.upload_max_bytes)
    request.max_content_length = limit


def files_body_bytes(largest_file: int) -> int:
    """Room in a body for :data:`~kassa.services.conversations.MAX_FILES` files of
    ``largest_file`` bytes each, in base64."""
    return MAX_FILES * 4 * -(-largest_file // 3)


def limit_json_depth() -> None:
    """Refuse a body that nests deeper than :data:`MAX_JSON_DEPTH`."""
    # Before anything parses the body: Python's parser recurses once per level, and a body of
    # 256 KiB of brackets would exhaust the stack (a 500) instead of being refused.
    if request.method in ("POST", "PUT", "PATCH") and json_depth_exceeds(
            request.get_data(cache=True), MAX_JSON_DEPTH):
        raise KassaHTTPError("request.json", f"the JSON body is nested deeper than "
                             f"{MAX_JSON_DEPTH} levels", status=400)


_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = bytes(range(256)).translate(None, b"[]{}")


def json_depth_exceeds(body: bytes, limit: int) -> bool:
    """Whether the arrays and objects of a JSON text nest deeper than ``limit`` levels.

    Reads the text without parsing it (strings are skipped, so brackets inside them do not
    count) and stops at the first level too deep; a malformed text is left to the parser.
    """
    depth = 0
    for byte in _JSON_STRING.sub(b"", body).translate(None, _BRACKETS):
        depth += 1 if byte in b"[{" else -1
        if depth > limit:
            return True
    return False


#: Methods a client may try on an API address; the answer names those the address takes.
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def unrouted(unknown: str) -> Response:
    """Every address under the API that no route takes, with any method.

    Routing errors happen before a blueprint is known, so Flask would answer them with the
    host app's HTML page; this route catches them inside the API and answers the documented
    JSON: ``request.method`` (405, with ``Allow``) where another method is taken,
    ``request.not_found`` (404) otherwise. A real route always wins over this one.
    """
    allowed = routed_methods()
    if allowed:
        raise MethodNotAllowed(valid_methods=allowed)
    raise NotFound()


def routed_methods() -> list[str]:
    """The methods a real route takes at this request's address (not :func:`unrouted`)."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    allowed = []
    for method in METHODS:
        try:
            endpoint, _arguments = adapter.match(method=method)
        except HTTPException:
            continue
        if endpoint != UNROUTED:
            allowed.append(method)
    return allowed


def options_name_real_routes(response: Response) -> Response:
    """Flask's automatic OPTIONS answer would also list the methods of :func:`unrouted`."""
    if request.method == "OPTIONS" and "Allow" in response.headers:
        response.headers["Allow"] = ", ".join(routed_methods())
    return response
