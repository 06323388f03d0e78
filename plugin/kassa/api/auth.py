"""Who is calling the storefront API: a storefront by its API key, the merchant's back office
by a back-office key with scopes, a shopper by a session's client secret.

Both arrive as ``Authorization: Bearer <token>``. API keys are compared in constant time
against every configured key, without stopping at the first match, so that neither the
position of a key in the configuration nor a matching prefix shows in the response time.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

from flask import g, request

from ..config import BACKOFFICE_SCOPES
from ..errors import KassaHTTPError
from ..state import get_state

F = TypeVar("F", bound=Callable[..., Any])


def bearer_token() -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, or None."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def owner_of_key(keys: Mapping[str, str], token: str | None) -> str | None:
    """The name whose key in ``keys`` is ``token``, or None.

    Every configured key is compared, in constant time, whatever the outcome of the others.
    """
    offered = (token or "").encode("utf-8", "surrogateescape")
    found = None
    for name, key in keys.items():
        if hmac.compare_digest(offered, key.encode("utf-8")) and found is None:
            found = name
    return found


def request_storefront() -> str | None:
    """The storefront whose API key this request carries, or None; looked up once per
    request (the rate limits and the view both ask)."""
    # Kept in the request's own environ: ``g`` may outlive one request (a test's app context).
    if _STOREFRONT_KEY not in request.environ:
        request.environ[_STOREFRONT_KEY] = owner_of_key(get_state().config.api_keys,
                                                        bearer_token())
    return request.environ[_STOREFRONT_KEY]  # type: ignore[no-any-return]


_STOREFRONT_KEY = "kassa.key_storefront"


@dataclass(frozen=True)
class Caller:
    """Who is calling with an API key: a storefront (its own data only, every scope) or a
    merchant back-office key (``storefront`` None: every storefront, its scopes only)."""

    storefront: str | None
    scopes: frozenset[str]


def request_caller() -> Caller | None:
    """The caller whose storefront or back-office key this request carries, or None; every
    key is compared in constant time."""
    storefront = request_storefront()
    office_keys = get_state().config.backoffice_keys
    office = owner_of_key({name: entry.key for name, entry in office_keys.items()},
                          bearer_token())
    if storefront is not None:
        return Caller(storefront, frozenset(BACKOFFICE_SCOPES))
    if office is not None:
        return Caller(None, office_keys[office].scopes)
    return None


def current_caller() -> Caller:
    """The caller authenticated by :func:`key_required` for this request."""
    return g.kassa_caller  # type: ignore[no-any-return]


def key_required(scope: str) -> Callable[[F], F]:
    """Let the view run for a storefront key, or a back-office key given ``scope``.

    Raises :class:`~kassa.errors.KassaHTTPError` ``auth.invalid_key`` (401) without a valid
    key and ``auth.scope`` (403) for a back-office key without the scope. The view limits a
    storefront caller to its own storefront's data (:func:`current_caller`).
    """

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            caller = request_caller()
            if caller is None:
                raise KassaHTTPError("auth.invalid_key", "a valid API key is required as "
                                     "'Authorization: Bearer <key>'", status=401)
            if scope not in caller.scopes:
                raise KassaHTTPError("auth.scope", f"this key is not given the scope {scope!r}",
                                     status=403, scope=scope)
            g.kassa_caller = caller
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def current_storefront() -> str:
    """The storefront authenticated by :func:`storefront_required` for this request."""
    return g.kassa_storefront  # type: ignore[no-any-return]


def storefront_required(view: F) -> F:
    """Let the view run only for a request with a configured storefront API key.

    Raises :class:`~kassa.errors.KassaHTTPError` ``auth.invalid_key`` (401) otherwise.
    """

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        storefront = request_storefront()
        if storefront is None:
            raise KassaHTTPError("auth.invalid_key", "a valid storefront API key is required "
                                 "as 'Authorization: Bearer <key>'", status=401)
        g.kassa_storefront = storefront
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def client_secret(body: Mapping[str, Any] | None) -> str | None:
    """A checkout session's client secret: the Bearer token, else the body's ``client_secret``."""
    token = bearer_token()
    if token:
        return token
    value = (body or {}).get("client_secret")
    return value if isinstance(value, str) else None
