"""What Kassa's blueprints share: the page's locale, the helpers every template gets, and the
security headers on every response of Kassa's own blueprints (pages, API, static files).

The headers are added by an ``after_request`` hook on each of Kassa's blueprints
(:func:`secure_responses`), never on the app: Flask-Talisman and similar extensions apply to the
whole app and would change the host shop's own pages, which are not Kassa's to decide.
"""

from __future__ import annotations

import math
import time
from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

from flask import (
    Blueprint,
    Response,
    g,
    has_request_context,
    jsonify,
    render_template,
    request,
    url_for,
)
from flask_wtf import FlaskForm
from flask_wtf.csrf import generate_csrf
from werkzeug.routing import IntegerConverter, Map

from .config import KassaConfig, web_origin
from .db.models import Invoice
from .db.service_models import Attachment
from .i18n import (
    country_word,
    format_day,
    format_money,
    format_percent,
    gettext,
    lazy_gettext,
    ngettext,
    normalize_locale,
    npgettext,
    pgettext,
    select_locale,
)
from .services.links import link_refusal, read_invoice_token
from .state import get_state, request_session

#: ``Strict-Transport-Security`` max-age in seconds (one year), sent on https only.
HSTS_MAX_AGE = 31_536_000
#: Where the real Stripe.js is served from; a stand-in (localstripe) has its own origin.
STRIPE_JS_ORIGIN = "https://js.stripe.com"
#: The policy of every answer that is not an HTML page (JSON, CSS, JS, SVG, PDF, images):
#: opened on its own, it may load and run nothing and be framed by no one.
NOT_A_PAGE_POLICY = "default-src 'none'; frame-ancestors 'none'"
#: A chart served as an SVG image: its own styles, nothing else (an image runs no script).
SVG_IMAGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"


def page_blueprint(
    name: str,
    import_name: str,
    *,
    framable: bool = False,
    public: Collection[str] = (),
) -> Blueprint:
    """A blueprint for Kassa's pages: the locale is chosen per request, templates get the
    translation and formatting helpers, and every response gets Kassa's security headers
    (:func:`secure_responses`; a page is private and its URL secret unless its view is named in
    ``public``)."""
    blueprint = Blueprint(name, import_name)
    blueprint.before_request(choose_locale)
    blueprint.context_processor(template_helpers)
    blueprint.register_error_handler(429, rate_limited_page)
    secure_responses(blueprint, framable=framable, public=public)
    return blueprint


def choose_locale() -> None:
    """Before each Kassa request: fix the page's locale for translations and formatting."""
    g.kassa_locale = select_locale(get_state().config.default_locale)


def template_helpers() -> dict[str, Any]:
    """What every Kassa template may call: translations (with message contexts, such as the
    invoice's country: ``pgettext("SE", ...)``), the country's own terms
    (``country_word(g.kassa_locale, "SE", "reference")``) and locale-aware formatting."""
    return {
        "_": gettext,
        "gettext": gettext,
        "ngettext": ngettext,
        "pgettext": pgettext,
        "npgettext": npgettext,
        "country_word": country_word,
        "format_money": format_money,
        "format_percent": format_percent,
        "format_day": format_day,
        "kassa_config": get_state().config,
        "lang_url": lang_url,
        "csrf_token": generate_csrf,
    }


def lang_url(code: str) -> str:
    """This page's URL in another language."""
    arguments = {**(request.view_args or {}), **request.args.to_dict(), "lang": code}
    return url_for(request.endpoint or "", **arguments)


def brand_stylesheet() -> Response:
    """``{prefix}/brand.css``: the merchant's colour (``KASSA_BRAND_COLOUR``, a checked hex
    colour) as the CSS variable ``--kassa-brand``. A file rather than an inline ``<style>``,
    so that the pages' Content-Security-Policy can refuse every inline style."""
    colour = get_state().config.brand_colour
    response = Response(f":root {{ --kassa-brand: {colour}; }}\n", mimetype="text/css")
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


# -- rate limits (kassa.ratelimits) ----------------------------------------------------------

#: What a client over a rate limit is told, in the request's language (pages and API).
RATE_LIMITED_MESSAGE = lazy_gettext(
    "There have been too many attempts in a short time. Please wait a moment and try again.")


def retry_after_seconds() -> int:
    """Whole seconds until the rate limit this request went over lets the client in again
    (at least 1): the value of ``Retry-After``."""
    limiter = get_state().limiter
    went_over = limiter.current_limit if limiter is not None else None
    if went_over is None:
        return 60
    reset_at, _remaining = went_over.window
    return max(1, math.ceil(reset_at - time.time()))


def rate_limited_page(_error: Exception) -> tuple[Any, int, dict[str, str]]:
    """A page blueprint's answer over a rate limit: 429 with ``Retry-After``, a friendly page
    in the request's language, or ``{"code", "message"}`` to a script that asked for JSON."""
    if g.get("kassa_locale") is None:  # refused before the blueprint chose the locale
        choose_locale()
    wait = retry_after_seconds()
    headers = {"Retry-After": str(wait), "Cache-Control": "no-store"}
    if request.accept_mimetypes.best_match(("text/html", "application/json")) \
            == "application/json":
        body = jsonify(code="request.rate_limited", message=str(RATE_LIMITED_MESSAGE))
        return body, 429, headers
    retry_url = request.full_path if request.method == "GET" else request.path
    return render_template("kassa/rate_limited.html", minutes=math.ceil(wait / 60),
                           retry_url=retry_url.rstrip("?")), 429, headers


# -- security headers ------------------------------------------------------------------------


def load_stripe_js() -> None:
    """Say that the page of this request loads Stripe.js: its Content-Security-Policy then
    allows what Stripe.js needs, and no other page's does."""
    g.kassa_loads_stripe_js = True


def secure_responses(
    blueprint: Blueprint,
    *,
    framable: bool = False,
    private: bool = True,
    secret_urls: bool = True,
    public: Collection[str] = (),
) -> None:
    """Add Kassa's security headers to every response of ``blueprint``.

    :param framable: its HTML pages may be framed by the origins in ``KASSA_FRAME_ANCESTORS``
        (checkout and pay pages); otherwise, and while that list is empty, by no one.
    :param private: its answers carry personal data: ``Cache-Control: private, no-store``
        (unless the view already said ``no-store``).
    :param secret_urls: its URLs carry a secret (an invoice link token, a checkout session id,
        the identity broker's code): ``Referrer-Policy: no-referrer`` and
        ``X-Robots-Tag: noindex``; otherwise ``strict-origin-when-cross-origin``.
    :param public: views (by function name) without personal data or secrets in the URL:
        neither ``private`` nor ``secret_urls`` applies to them.

    A page's policy allows Stripe only if its view called :func:`load_stripe_js`.
    """
    public_endpoints = {f"{blueprint.name}.{view}" for view in public}

    def add_security_headers(response: Response) -> Response:
        shared = request.endpoint in public_endpoints
        _add_headers(
            response,
            framable=framable,
            private=private and not shared,
            secret_url=secret_urls and not shared,
            stripe=bool(g.get("kassa_loads_stripe_js")),
        )
        return response

    blueprint.after_request(add_security_headers)


def _add_headers(
    response: Response, *, framable: bool, private: bool, secret_url: bool, stripe: bool
) -> None:
    config = get_state().config
    # An OPTIONS answer is empty, whatever its Content-Type says.
    is_page = response.mimetype == "text/html" and request.method != "OPTIONS"
    ancestors = config.frame_ancestors if framable and is_page else ()
    response.headers["Content-Security-Policy"] = (
        page_policy(config, ancestors, stripe=stripe) if is_page
        else SVG_IMAGE_POLICY if response.mimetype == "image/svg+xml" else NOT_A_PAGE_POLICY
    )
    if not ancestors:  # for browsers that do not know frame-ancestors
        response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    if secret_url:
        # The URL is the key to the page: keep it out of referrers and search indexes.
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Robots-Tag"] = "noindex"
    else:
        response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
    if request.is_secure:
        # Browsers apply this to the whole host name, the shop's pages too, for a year; sent
        # only over https, it promises what the host already does. includeSubDomains and
        # preload are the host's decision.
        response.headers["Strict-Transport-Security"] = f"max-age={HSTS_MAX_AGE}"
    if private and not response.cache_control.no_store:
        response.headers["Cache-Control"] = "private, no-store"


def page_policy(config: KassaConfig, ancestors: Collection[str] = (), *,
                stripe: bool = False) -> str:
    """The Content-Security-Policy of a Kassa HTML page.

    Scripts, styles and requests only from Kassa itself, nothing inline; images from Kassa and
    the merchant's logo (``KASSA_LOGO_URL``); with ``stripe``, what Stripe.js needs; framed
    only by ``ancestors`` (``'none'`` when empty). ``form-action`` is left out on purpose:
    the bank-ID button posts to Kassa, which redirects to the identity broker, and browsers
    check that redirect against ``form-action`` too.
    """
    sources: dict[str, list[str]] = {
        "default-src": ["'none'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", *_logo_sources(config)],
        "connect-src": ["'self'"],
        "frame-src": [],
        "base-uri": ["'none'"],
        "frame-ancestors": list(ancestors) or ["'none'"],
    }
    if stripe:
        for directive, extra in _stripe_sources(config).items():
            sources[directive] += extra
    return "; ".join(f"{directive} {' '.join(values)}"
                     for directive, values in sources.items() if values)


def _logo_sources(config: KassaConfig) -> list[str]:
    """The logo's origin; a path on this host is covered by ``'self'``."""
    url = config.logo_url or ""
    if url.startswith("data:image/"):
        return ["data:"]
    origin = web_origin(url) if url else None
    return [origin] if origin else []


def _stripe_sources(config: KassaConfig) -> dict[str, list[str]]:
    """What Stripe.js needs on the pay page (Stripe's published CSP list): its script, the
    API it calls, and the frames of the card fields and of 3-D Secure. A stand-in Stripe.js
    (localstripe) is served, and calls its API, from its own origin."""
    js = web_origin(config.stripe_js_url)
    if js is None:
        return {}
    if js == STRIPE_JS_ORIGIN:
        return {
            "script-src": [js, "https://*.js.stripe.com"],
            "connect-src": ["https://api.stripe.com"],
            "frame-src": [js, "https://*.js.stripe.com", "https://hooks.stripe.com"],
        }
    return {"script-src": [js], "connect-src": [js], "frame-src": [js]}


class RecordIdConverter(IntegerConverter):
    """A positive whole number up to 2 147 483 647 (a 32-bit integer column); anything
    longer matches no route."""

    def __init__(self, url_map: Map) -> None:
        super().__init__(url_map, min=1, max=2_147_483_647)


#: Room in a page's form for everything but its files.
FORM_BYTES = 256_000


def limit_form_body() -> None:
    """A page's form is read only up to what it can lawfully hold: the text fields and at
    most :data:`~kassa.services.conversations.MAX_FILES` files of ``KASSA_UPLOAD_MAX_BYTES``;
    a larger body is refused (413) before it is buffered."""
    from .services.conversations import MAX_FILES

    request.max_content_length = FORM_BYTES + MAX_FILES * get_state().config.upload_max_bytes


def attachment_download(attachment: Attachment) -> Response:
    """A stored file (a dispute's photo, a message's attachment) as a download: never shown
    inline and never sniffed, whatever it claims to be, and not kept in caches."""
    from .services.conversations import read_attachment

    return Response(read_attachment(get_state(), attachment), mimetype=attachment.content_type,
                    headers={"Content-Disposition":
                             f'attachment; filename="{attachment.filename}"',
                             "X-Content-Type-Options": "nosniff",
                             "Cache-Control": "private, no-store"})


def public_url_for(endpoint: str, **values: Any) -> str:
    """The absolute URL of a Kassa page built on ``KASSA_PUBLIC_URL``, never on the request's
    Host header (which a client chooses)."""
    path = url_for(endpoint, **values)
    if has_request_context() and request.script_root and path.startswith(request.script_root):
        path = path[len(request.script_root):]
    return get_state().config.public_url + path


def invoice_for_link(token: str) -> Invoice | None:
    """The invoice a shopper's link opens now, with the page's locale set to the customer's
    own unless ``?lang=`` chose one.

    None for a forged token or an unknown invoice, and for a link that expired or was revoked;
    then :func:`closed_link_page` answers instead of "not found".
    """
    link = read_invoice_token(token)
    invoice = request_session().get(Invoice, link.invoice_id) if link is not None else None
    if invoice is None or link is None:
        return None
    if not normalize_locale(request.args.get("lang")):
        g.kassa_locale = normalize_locale(invoice.customer.locale) or g.kassa_locale
    refusal = link_refusal(invoice, link, datetime.now(UTC),
                           get_state().config.link_days_after_close)
    if refusal is not None:
        g.kassa_closed_link = (token, refusal)
        return None
    return invoice


def closed_link_page() -> tuple[str, int] | None:
    """The page for a link :func:`invoice_for_link` refused as expired or revoked: it offers
    to send a fresh link to the invoice's e-mail address. None for any other refusal."""
    closed = g.pop("kassa_closed_link", None)
    if closed is None:
        return None
    token, refusal = closed
    return render_template("kassa/account/link_closed.html", token=token, refusal=refusal,
                           form=NewLinkForm()), 410


class NewLinkForm(FlaskForm):  # type: ignore[misc]
    """"Send me a new link": nothing but the CSRF token."""
