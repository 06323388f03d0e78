"""What a shopper sees and does on the hosted checkout, in the system Chromium.

Each test runs the Kassa app on a live loopback server (werkzeug in a thread, SQLite), drives
the page the way a shopper would (no JavaScript is needed by the page) and saves a screenshot
of the final page in ``test-artifacts/``. The Finnish flow identifies through a real OpenID
Connect provider on loopback (oidc-provider-mock).
"""

from __future__ import annotations

import re
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask, redirect, request, url_for
from sqlalchemy import select

from kassa import get_state
from kassa.db import CheckoutSession, Customer, Invoice, Order
from kassa.i18n import format_money, format_percent
from tests.browser.conftest import ARTIFACTS
from tests.browser.serving import serving
from tests.checkout.support import count, open_session
from tests.oidc_server import OidcProvider, ignore_provider_warnings

pytestmark = [pytest.mark.browser, ignore_provider_warnings]

SUBMIT = "form.kassa-checkout > button[type=submit]:not([formaction])"


@contextmanager
def live(app: Flask) -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1 in a thread; yields its base URL."""
    with serving(app, app.config.get("TEST_PORT", 0)) as base:
        yield base


def with_shop_pages(app: Flask) -> Flask:
    """The storefront's side of the test: its return page shows Kassa's thank-you page, and a
    product page embeds the offers widget."""

    @app.get("/shop/done")
    def shop_done() -> Any:
        return redirect(url_for("kassa_checkout.done", session_id=request.args["kassa_session"]))

    @app.get("/shop/cart")
    def shop_cart() -> str:
        return "<!doctype html><title>Cart</title><h1>Cart</h1>"

    @app.get("/shop/product")
    def shop_product() -> str:
        return (
            '<!doctype html><html lang="fi"><title>Villahuopa</title><h1>Villahuopa</h1>'
            '<div data-kassa-widget data-amount="124990" data-currency="EUR" '
            'data-country="FI" data-locale="fi"></div>'
            f'<script src="{url_for("kassa_assets.static", filename="widget.js")}" '
            'data-api="/kassa/api/v1"></script>'
        )

    return app


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    context = chromium.new_context(viewport={"width": 390, "height": 844})
    tab = context.new_page()
    tab.set_default_timeout(15000)
    yield tab
    context.close()


@pytest.fixture
def shop(make_app: Callable[..., Flask], tmp_path: Path) -> Callable[..., Flask]:
    """Build a Kassa app on SQLite with the shop's pages."""

    def build(**config: Any) -> Flask:
        # Kassa builds its links on KASSA_PUBLIC_URL: reserve the port the app will serve on.
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        return with_shop_pages(make_app(f"sqlite:///{tmp_path / 'kassa.sqlite3'}",
                                        TEST_PORT=port,
                                        KASSA_PUBLIC_URL=f"http://127.0.0.1:{port}", **config))

    return build


def session_for(app: Flask, base: str, **kwargs: Any) -> str:
    return open_session(
        app, return_url=f"{base}/shop/done", cancel_url=f"{base}/shop/cart", **kwargs
    )


def screenshot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def no_radio_is_checked(page: Any) -> bool:
    return bool(
        page.evaluate(
            "() => [...document.querySelectorAll('input[type=radio]')].every(r => !r.checked)"
        )
    )


def test_invoice_checkout_in_finnish_with_bank_id(shop: Callable[..., Flask], page: Any) -> None:
    with OidcProvider() as oidc:
        oidc.set_user("maija", personal_identity_number="131052-308T", name="Maija Meikäläinen")
        app = shop(
            KASSA_OIDC_ISSUER=oidc.issuer,
            KASSA_OIDC_CLIENT_ID="kassa-shop",
            KASSA_OIDC_CLIENT_SECRET="kassa-shop-secret",
        )
        with live(app) as base:
            session_id = session_for(app, base, country="FI", total=124990)
            page.goto(f"{base}/kassa/checkout/{session_id}")
            assert page.get_attribute("html", "lang") == "fi"
            assert no_radio_is_checked(page)
            assert page.locator("input[name=personal_id]").count() == 0

            page.check("#offer-fi-invoice-14")
            page.click("button[formaction$='/identify']")
            page.wait_for_url(re.compile(re.escape(oidc.issuer) + r"/oauth2/authorize"))
            page.fill("input[name=sub]", "maija")
            page.click("button:has-text('Authorize')")
            page.wait_for_url(re.compile(rf"{re.escape(base)}/kassa/checkout/{session_id}$"))

            verified = page.locator("[data-kassa-verified]")
            assert "Maija Meikäläinen" in verified.inner_text()
            assert "131052-****" in verified.inner_text()
            assert page.is_checked("#offer-fi-invoice-14")  # kept across the round trip
            page.check("#consent")
            page.click(SUBMIT)
            page.wait_for_url(re.compile(rf"/kassa/checkout/{session_id}/done"))
            screenshot(page, "checkout-fi-invoice.png")

            with get_state(app).db.session() as db:
                invoice = db.scalars(select(Invoice)).one()
                customer = db.scalars(select(Customer)).one()
                assert customer.personal_id_masked == "131052-****"
                assert db.get(CheckoutSession, session_id).offer_id == "fi-invoice-14"
            assert invoice.number in page.inner_text("main")


def test_twelve_month_installments_in_swedish(shop: Callable[..., Flask], page: Any) -> None:
    app = shop()
    with live(app) as base:
        session_id = session_for(app, base, country="SE", total=1249900)
        api = requests.get(
            f"{base}/kassa/api/v1/offers",
            params={"amount": 1249900, "currency": "SEK", "country": "SE"},
            timeout=10,
        ).json()
        twelve = next(o for o in api["offers"] if o["id"] == "se-12")

        page.goto(f"{base}/kassa/checkout/{session_id}")
        assert page.get_attribute("html", "lang") == "sv"
        assert no_radio_is_checked(page)
        offer = page.locator("li[data-offer='se-12']")
        assert offer.locator("dd[data-term=apr]").inner_text() == format_percent(
            Decimal(twelve["apr"]), "sv"
        )
        assert offer.locator("dd[data-term=total_payable]").inner_text() == format_money(
            twelve["total_payable"], "SEK", "sv"
        )
        assert offer.locator("dd[data-term=total_cost]").inner_text() == format_money(
            twelve["total_cost"], "SEK", "sv"
        )
        offer.locator("summary").click()
        assert offer.locator("details tbody tr").count() == 12

        page.check("#offer-se-12")
        page.fill("#personal_id", "19811218-9876")
        page.check("#consent")
        page.click(SUBMIT)
        page.wait_for_url(re.compile(rf"/kassa/checkout/{session_id}/done"))
        assert page.locator("tr[data-invoice]").count() == 12
        screenshot(page, "checkout-se-installments-12.png")
    with get_state(app).db.session() as db:
        amounts = db.scalars(select(Invoice.amount_minor)).all()
        assert sum(amounts) == twelve["total_payable"]


def test_decline_in_norwegian_points_to_other_payment_methods(
    shop: Callable[..., Flask], page: Any
) -> None:
    app = shop(KASSA_OPEN_BALANCE_CAP={"NO": "100.00"})  # every purchase is above the cap
    with live(app) as base:
        session_id = session_for(app, base, country="NO", total=499000)
        page.goto(f"{base}/kassa/checkout/{session_id}")
        assert page.get_attribute("html", "lang") == "nb"
        page.check("#offer-no-invoice-14")
        page.fill("#personal_id", "01010750160")
        page.check("#consent")
        page.click(SUBMIT)
        decline = page.locator("[data-kassa-decline]")
        decline.wait_for()
        assert page.get_attribute("html", "lang") == "nb"
        assert decline.get_attribute("role") == "alert"
        assert decline.locator(f"a[href='{base}/shop/cart']").is_visible()
        assert page.is_checked("#offer-no-invoice-14")  # the shopper's choices are kept
        screenshot(page, "checkout-no-declined.png")
    assert count(app, Order) == 0


def test_widget_summarises_the_offers_on_a_product_page(
    shop: Callable[..., Flask], page: Any
) -> None:
    app = shop()
    with live(app) as base:
        api = requests.get(
            f"{base}/kassa/api/v1/offers",
            params={"amount": 124990, "currency": "EUR", "country": "FI"},
            timeout=10,
        ).json()
        page.goto(f"{base}/shop/product")
        widget = page.locator("section.kassa-widget")
        widget.wait_for()
        assert widget.get_attribute("lang") == "fi"
        items = widget.locator("li[data-offer]")
        assert [items.nth(i).get_attribute("data-offer") for i in range(items.count())] == [
            o["id"] for o in api["offers"]
        ]
        lowest = min(o["monthly_amount"] for o in api["offers"] if o["method"] == "installments")
        summary = widget.locator(".kassa-widget-summary").inner_text()
        assert _spaces(format_money(lowest, "EUR", "fi")) in _spaces(summary)
        # Advertising credit: the warning, and each credit offer's representative example.
        assert widget.locator(".kassa-widget-warning").inner_text() == "Lainan ottaminen maksaa."
        credit = [o["id"] for o in api["offers"] if o["consumer_credit"]]
        examples = widget.locator(".kassa-widget-example")
        assert examples.count() == len(credit) == 3  # the plans; the free invoice is not credit
        assert examples.first.inner_text().startswith("Esimerkki: ")
        assert no_radio_is_checked(page)
        screenshot(page, "widget-fi.png")


def _spaces(text: str) -> str:
    return re.sub(r"[\s\u00a0\u202f]+", " ", text)


def test_the_payment_schedule_fits_a_360_px_phone(
    shop: Callable[..., Flask], chromium: Any
) -> None:
    app = shop()
    context = chromium.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        with live(app) as base:
            # Large amounts (4 000 kr a month) make the widest figures the schedule shows.
            session_id = session_for(app, base, country="SE", total=4999000)
            page.goto(f"{base}/kassa/checkout/{session_id}?lang=sv")
            offer = page.locator("li[data-offer='se-24']")
            offer.locator("summary").click()
            table = offer.locator("details table")
            table.wait_for()
            sizes = page.evaluate(
                """() => {
                  const region = document.querySelector(
                    "li[data-offer='se-24'] .kassa-table-scroll");
                  const cells = [...region.querySelectorAll('tbody tr:first-child td')];
                  return {page: document.documentElement.scrollWidth,
                          region: region.clientWidth, table: region.scrollWidth,
                          cells: cells.map(c => c.getBoundingClientRect().right)};
                }"""
            )
            assert sizes["page"] <= 360, sizes  # no sideways scrolling of the page
            assert sizes["table"] <= sizes["region"], sizes  # nor of the table itself
            assert all(right <= 360 for right in sizes["cells"]), sizes
            labels = page.evaluate(
                """() => [...document.querySelectorAll(
                    "li[data-offer='se-24'] tbody tr:first-child td")].map(
                    c => getComputedStyle(c, '::before').content)"""
            )
            assert '"Att betala"' in labels and '"Ränta"' in labels  # each figure labelled
            screenshot(page, "schedule-360px-sv.png")
    finally:
        context.close()
