"""Rate limits on Kassa's own blueprints: one Flask-Limiter ``Limiter`` per app.

:func:`rate_limiter` is called by ``init_app``. It counts, with the limits of
``KASSA_RATE_LIMITS`` (docs/security.md, "Rate limits"):

- identity attempts per checkout session: a typed identity number in the hosted form or in
  ``POST .../checkout-sessions/<id>/confirm``, and every start of bank-ID identification
  (``/checkout/<id>/identify``), all in one count;
- confirmations refused for a wrong client secret, per session and per client IP;
- the pages opened by a link's token (the invoice page, its PDF and QR code, the pay pages),
  per client IP;
- storefront API calls per API key.

Only requests routed to these blueprints are looked at: the host shop's own routes are never
counted or refused, whatever Flask-Limiter settings (``RATELIMIT_DEFAULT``...) the host app has.
Over a limit the request is refused before its view runs, with 429 and ``Retry-After``:
the JSON ``{"code": "request.rate_limited", "message"}`` under the API, a friendly page
elsewhere (:func:`kassa.pages.rate_limited_page`).

The counts live in ``KASSA_RATELIMIT_STORAGE_URL``: each process's memory, or a Redis that all
processes share. While Redis cannot be reached, each process counts in its own memory (the
limits still hold, per process) and goes back to Redis once it answers again.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging

from flask import Flask, Response, request
from flask_limiter import Limiter, RequestLimit
from flask_limiter.constants import ExemptionScope
from limits.errors import ConfigurationError as StorageError

from .account.views import account
from .api.auth import request_storefront
from .api.views import api
from .checkout.views import checkout
from .config import KassaConfig
from .errors import ConfigurationError
from .payments.views import payments

logger = logging.getLogger("kassa")

#: The blueprints whose requests are counted; no other route of the app is.
LIMITED_BLUEPRINTS = (checkout, api, account, payments)
_LIMITED_NAMES = frozenset(blueprint.name for blueprint in LIMITED_BLUEPRINTS)
#: Public, free of personal data, and the busiest: the widget's offers and the documents.
_PUBLIC_ENDPOINTS = frozenset({"kassa_api.offers", "kassa_api.openapi_json",
                               "kassa_checkout.payment_options"})
#: A client over a limit waits until its oldest counted request leaves the window (no burst of
#: twice the limit across a window's edge, as a fixed window would allow).
STRATEGY = "moving-window"
#: Seconds Kassa waits for Redis to connect or answer before it counts in memory instead.
STORAGE_TIMEOUT_SECONDS = 2
#: The largest confirmation body read to see whether it carries an identity number (a real one
#: is well under 1 KiB). A larger body, or one of unknown length, is counted without being read.
_PEEK_BYTES = 16 * 1024
#: Views whose URL carries a link token but that tell nothing about it: the e-mail's tracking
#: pixel is the same image for any token, and mail providers fetch it for many people from
#: one address.
_TOKEN_VIEWS_NOT_COUNTED = frozenset({"kassa_account.opened_pixel"})


def rate_limiter(app: Flask, config: KassaConfig) -> Limiter:
    """Kassa's limiter for ``app``: the limits of ``config`` on Kassa's blueprints, counted in
    ``KASSA_RATELIMIT_STORAGE_URL``.

    Raises :class:`~kassa.errors.ConfigurationError` if the storage cannot be used (a Redis URL
    without the ``redis`` package).
    """
    limiter = Limiter(
        client_address,
        default_limits=[],
        application_limits=[],
        storage_uri=config.ratelimit_storage_url,
        storage_options=_storage_options(config),
        strategy=STRATEGY,
        headers_enabled=False,
        swallow_errors=False,
        in_memory_fallback_enabled=_counts_in_redis(config),
        on_breach=_note_breach,
    )
    limiter.request_filter(_not_limited)
    limits = config.rate_limits
    # The hosted form, the API and the bank-ID start share one count per checkout session.
    for blueprint in (checkout, api):
        limiter.shared_limit(limits["identity_per_session"], "identity_per_session",
                             key_func=_checkout_session,
                             exempt_when=_not_identity_attempt)(blueprint)
    # Only refusals for a wrong secret are counted, after the view answered; once the count
    # is full every confirmation is refused, the right secret too, so guessing stops.
    limiter.shared_limit(limits["client_secret_per_session"], "client_secret_per_session",
                         key_func=_checkout_session, exempt_when=_not_confirmation,
                         deduct_when=_secret_refused)(api)
    limiter.shared_limit(limits["client_secret_per_ip"], "client_secret_per_ip",
                         key_func=client_address, exempt_when=_not_confirmation,
                         deduct_when=_secret_refused)(api)
    for blueprint in (account, payments):
        limiter.shared_limit(limits["token_pages_per_ip"], "token_pages_per_ip",
                             key_func=client_address, exempt_when=_not_token_page)(blueprint)
    # The customer-service pages: every sign-in, code and contact-confirmation attempt per
    # client address, and the codes sent for one invoice number, whoever asks.
    limiter.shared_limit(limits["account_sign_in_per_ip"], "account_sign_in_per_ip",
                         key_func=client_address, exempt_when=_not_sign_in_attempt)(account)
    limiter.shared_limit(limits["account_code_per_invoice"], "account_code_per_invoice",
                         key_func=_typed_invoice, exempt_when=_not_code_request)(account)
    limiter.shared_limit(limits["api_per_storefront"], "api_per_storefront",
                         key_func=_storefront, exempt_when=_not_storefront_call)(api)
    for blueprint in LIMITED_BLUEPRINTS:
        # Default and application-wide limits a host app may configure for Flask-Limiter
        # (RATELIMIT_DEFAULT, RATELIMIT_APPLICATION) are the host's, not Kassa's.
        limiter.exempt(blueprint, flags=ExemptionScope.DEFAULT | ExemptionScope.APPLICATION)
    try:
        limiter.init_app(app)
    except StorageError as exc:  # the URL may carry a password: never in the message
        detail = str(exc).replace(config.ratelimit_storage_url, "<url>")
        raise ConfigurationError("KASSA_RATELIMIT_STORAGE_URL", f"cannot be used ({detail}); "
                                 "a Redis URL needs pip install 'kassa[redis]'") from None
    return limiter


def client_address() -> str:
    """The client's address as the rate limits count it: an IPv4 address, or the /64 network
    of an IPv6 address (one household or phone gets a whole /64).

    This is ``request.remote_addr``: behind a proxy or load balancer, the host app must apply
    werkzeug's ``ProxyFix`` so that it is the client's address, not the proxy's.
    """
    address = request.remote_addr or ""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address or "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


# -- what is counted, and per what -----------------------------------------------------------
#
# Flask-Limiter calls these before the view, from the app's before_request. None may raise:
# an error there would be taken for a storage failure.


def _not_limited() -> bool:
    """Requests no limit counts, skipped before Flask-Limiter looks at any limit (the limits'
    own ``exempt_when`` decide the rest): other blueprints and the host's routes, preflights
    (no credentials, no work), the public documents and the checkout's pages read with GET."""
    return (request.blueprint not in _LIMITED_NAMES or request.method == "OPTIONS"
            or request.endpoint in _PUBLIC_ENDPOINTS
            or (request.blueprint == checkout.name and request.method != "POST"))


def _checkout_session() -> str:
    """The checkout session of the URL, digested: the id is a key to the hosted page and stays
    out of the limit storage and Flask-Limiter's log."""
    session_id = str((request.view_args or {}).get("session_id", ""))
    return hashlib.sha256(session_id.encode()).hexdigest()[:32] if session_id else ""


def _not_identity_attempt() -> bool:
    try:
        return not _identity_attempt()
    except Exception:  # a body werkzeug refuses to parse: count it, the view refuses it
        return False


def _identity_attempt() -> bool:
    """A bank-ID start (the hosted form's POST; a GET only shows the page), or a confirmation
    carrying a typed identity number."""
    endpoint = request.endpoint
    if request.method != "POST":
        return False
    if endpoint == "kassa_checkout.identify":
        return True
    if endpoint == "kassa_checkout.hosted":
        return bool(request.form.get("personal_id", "").strip())
    if endpoint == "kassa_api.confirm_session":
        size = request.content_length
        if size is None or size > _PEEK_BYTES:
            return True
        body = request.get_json(force=True, silent=True)
        return isinstance(body, dict) and body.get("personal_id") not in (None, "")
    return False


def _not_confirmation() -> bool:
    # The review request of a declined confirmation takes the same client secret.
    return request.endpoint not in ("kassa_api.confirm_session",
                                    "kassa_api.request_credit_review") or request.method != "POST"


def _secret_refused(response: Response) -> bool:
    # 403 is the confirmation's one answer to a client secret that does not match.
    return response.status_code == 403


def _not_token_page() -> bool:
    return ("token" not in (request.view_args or {})
            or request.endpoint in _TOKEN_VIEWS_NOT_COUNTED)


#: The customer-service views whose POSTs try a secret: a sign-in, a code, a new contact.
_SIGN_IN_VIEWS = frozenset({"kassa_account.sign_in", "kassa_account.enter_code",
                            "kassa_account.details"})


def _not_sign_in_attempt() -> bool:
    if request.method != "POST" or request.endpoint not in _SIGN_IN_VIEWS:
        return True
    if request.endpoint == "kassa_account.details":
        try:
            return request.form.get("action") not in ("email", "phone", "confirm")
        except Exception:  # a body werkzeug refuses: count it
            return False
    return False


def _not_code_request() -> bool:
    return request.method != "POST" or request.endpoint != "kassa_account.sign_in"


def _typed_invoice() -> str:
    """The invoice number typed on the sign-in form, digested."""
    try:
        number = request.form.get("number", "").strip()[:40]
    except Exception:
        number = ""
    return hashlib.sha256(number.encode()).hexdigest()[:32]


def _storefront() -> str:
    """The storefront whose API key the request carries, or ``""``."""
    return request_storefront() or ""


def _not_storefront_call() -> bool:
    # Without a valid key the API answers 401 and does nothing; the confirmation's Bearer
    # token is a client secret, never a storefront key.
    return not _storefront()


def _note_breach(limit: RequestLimit) -> None:
    logger.info("Kassa: rate limit %s reached at %s", limit.limit, request.endpoint)


def _counts_in_redis(config: KassaConfig) -> bool:
    return not config.ratelimit_storage_url.startswith("memory:")


def _storage_options(config: KassaConfig) -> dict[str, str | int]:
    if not _counts_in_redis(config):
        return {}
    return {"key_prefix": config.ratelimit_key_prefix,
            "socket_connect_timeout": STORAGE_TIMEOUT_SECONDS,
            "socket_timeout": STORAGE_TIMEOUT_SECONDS}
