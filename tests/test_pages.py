"""Security headers on Kassa's own pages and files, and on none of the host shop's pages."""

from __future__ import annotations

import pathlib
from collections.abc import Callable

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from kassa.services.links import invoice_token
from tests.checkout.support import SE_ID, csrf_token, open_session
from tests.factories import make_invoice
from tests.page_policy import PageParts, assert_obeys_its_policy, policy_of

TEMPLATES = pathlib.Path(__file__).resolve().parents[1] / "plugin" / "kassa" / "templates"
SHOP = "https://shop.example"
OPTIONS_PAGE = "/kassa/checkout/options?amount=12990&country=FI"
#: Headers Kassa adds to its own answers; the host's pages must not get any of them.
KASSA_HEADERS = ("Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options",
                 "Referrer-Policy", "Strict-Transport-Security", "X-Robots-Tag",
                 "Cache-Control")


def completed_checkout(app: Flask) -> str:
    """A Swedish checkout confirmed on the hosted page by invoice; returns its id."""
    session_id = open_session(app)
    client = app.test_client()
    page = client.get(f"/kassa/checkout/{session_id}").get_data(as_text=True)
    form = {"csrf_token": csrf_token(page), "offer": "se-invoice-14", "channel": "email",
            "personal_id": SE_ID, "consent": "y"}
    assert client.post(f"/kassa/checkout/{session_id}", data=form).status_code == 303
    return session_id


def invoice_page(app: Flask) -> str:
    invoice_id = make_invoice(app)
    with app.test_request_context():
        return f"/kassa/account/invoice/{invoice_token(invoice_id)}"


def assert_private_page(response: TestResponse) -> None:
    """Not framable, not sniffed, not cached, its URL in no referrer."""
    assert policy_of(response)["frame-ancestors"] == ["'none'"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response.headers["Cache-Control"]
    assert "Strict-Transport-Security" not in response.headers  # plain http


def test_the_hosted_checkout_page_is_private_and_runs_only_kassas_own_code(app: Flask) -> None:
    response = app.test_client().get(f"/kassa/checkout/{open_session(app)}")
    assert response.status_code == 200
    assert_private_page(response)
    page = assert_obeys_its_policy(response)
    assert policy_of(response)["script-src"] == ["'self'"]
    assert page.stylesheets  # kassa.css and the brand colour, both from Kassa


def test_the_thank_you_page_is_private(app: Flask) -> None:
    session_id = completed_checkout(app)
    response = app.test_client().get(f"/kassa/checkout/{session_id}/done")
    assert response.status_code == 200
    assert_private_page(response)
    assert_obeys_its_policy(response)


def test_the_shoppers_invoice_page_is_private_and_never_framed(
    make_app: Callable[..., Flask], db_url: str
) -> None:
    # Even for a shop that embeds the checkout: the invoice page is opened from an e-mail.
    app = make_app(db_url, KASSA_FRAME_ANCESTORS=[SHOP])
    response = app.test_client().get(invoice_page(app))
    assert response.status_code == 200
    assert_private_page(response)
    assert_obeys_its_policy(response)
    assert response.headers["X-Robots-Tag"] == "noindex"


def test_the_pay_page_without_stripe_is_private_and_loads_no_stripe(app: Flask) -> None:
    path = invoice_page(app).replace("/account/invoice/", "/pay/")
    response = app.test_client().get(path)
    assert response.status_code == 503  # no Stripe configured: the kind message
    assert_private_page(response)
    assert_obeys_its_policy(response)
    assert policy_of(response)["script-src"] == ["'self'"]


def test_the_public_options_page_sends_only_its_origin_as_referrer(
    make_app: Callable[..., Flask],
) -> None:
    response = make_app().test_client().get(OPTIONS_PAGE)
    assert response.status_code == 200
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert policy_of(response)["frame-ancestors"] == ["'none'"]
    assert_obeys_its_policy(response)


def test_shops_in_frame_ancestors_may_embed_checkout_pages_only(
    make_app: Callable[..., Flask], db_url: str
) -> None:
    app = make_app(db_url, KASSA_FRAME_ANCESTORS=[SHOP, "https://www.shop.example"])
    client = app.test_client()
    for path in (f"/kassa/checkout/{open_session(app)}", OPTIONS_PAGE):
        response = client.get(path)
        assert policy_of(response)["frame-ancestors"] == [SHOP, "https://www.shop.example"]
        assert "X-Frame-Options" not in response.headers  # DENY would overrule the list
    api = client.get("/kassa/api/v1/openapi.json")
    assert policy_of(api)["frame-ancestors"] == ["'none'"]


def test_hsts_only_when_the_request_came_over_https(make_app: Callable[..., Flask]) -> None:
    client = make_app().test_client()
    assert client.get(OPTIONS_PAGE, base_url="https://localhost").headers[
        "Strict-Transport-Security"] == "max-age=31536000"
    assert "Strict-Transport-Security" not in client.get(OPTIONS_PAGE).headers


@pytest.mark.parametrize(("name", "mimetype"), [("kassa.css", "text/css"),
                                                ("widget.js", "text/javascript"),
                                                ("pay.js", "text/javascript")])
def test_static_files_are_not_sniffed_and_run_nothing_on_their_own(
    make_app: Callable[..., Flask], name: str, mimetype: str
) -> None:
    response = make_app().test_client().get(f"/kassa/static/{name}")
    assert response.status_code == 200
    assert response.mimetype == mimetype
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert policy_of(response) == {"default-src": ["'none'"], "frame-ancestors": ["'none'"]}


def test_the_brand_colour_arrives_as_a_stylesheet_not_inline(
    make_app: Callable[..., Flask],
) -> None:
    client = make_app(KASSA_BRAND_COLOUR="#0f766e").test_client()
    page = PageParts(client.get(OPTIONS_PAGE).get_data(as_text=True))
    assert "/kassa/brand.css" in page.stylesheets
    brand = client.get("/kassa/brand.css")
    assert brand.mimetype == "text/css"
    assert "--kassa-brand: #0f766e;" in brand.get_data(as_text=True)
    assert brand.headers["X-Content-Type-Options"] == "nosniff"


def test_a_logo_from_the_shops_cdn_is_allowed_and_nothing_else(
    make_app: Callable[..., Flask],
) -> None:
    logo = "https://cdn.shop.example/logo.svg"
    response = make_app(KASSA_LOGO_URL=logo).test_client().get(OPTIONS_PAGE)
    assert PageParts(response.get_data(as_text=True)).images == [logo]
    assert policy_of(response)["img-src"] == ["'self'", "https://cdn.shop.example"]
    assert_obeys_its_policy(response)


def test_the_host_shops_pages_get_none_of_kassas_headers(make_app: Callable[..., Flask]) -> None:
    app = make_app()

    @app.get("/cart")
    def cart() -> str:
        return "<p>The shop's own cart</p>"

    client = app.test_client()
    for path in ("/cart", "/no-such-page"):
        response = client.get(path, base_url="https://localhost")
        assert [h for h in KASSA_HEADERS if h in response.headers] == [], path


@pytest.mark.parametrize("template", sorted(
    p.relative_to(TEMPLATES).as_posix() for p in TEMPLATES.rglob("*.html")
    if "email" not in p.parts))
def test_no_page_template_has_inline_script_or_style(template: str) -> None:
    # An overriding or new template with inline code would be refused by the browser.
    assert PageParts((TEMPLATES / template).read_text()).inline == []
