"""The demo shop: products, a cart and a checkout that goes through Kassa's storefront API.

The shop talks to Kassa only over HTTP with an API key (``KassaClient``), exactly as a
WooCommerce or Shopify store would through an adapter; Kassa is mounted in the same app
under ``/kassa`` only so that one command runs everything.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from datetime import date
from typing import Any

from flask import Flask, abort, redirect, render_template, request, session, url_for
from flask_wtf.csrf import CSRFError, generate_csrf, validate_csrf

from kassa import Kassa
from kassa.i18n import format_day, format_money

from .catalog import CURRENCIES, PRODUCTS, VAT_RATES, product
from .kassa_client import KassaApiError, KassaClient
from .text import COUNTRY_LOCALE, DEMO_CUSTOMERS, shop_text, template_words

DEMO_API_KEY = "demo-storefront-key-0123456789abcdef"


def kept_secret(instance: str, name: str, make: Callable[[], str]) -> str:
    """A secret the demo generates on its first run and keeps in its instance folder."""
    os.makedirs(instance, exist_ok=True)
    path = os.path.join(instance, name)
    if not os.path.exists(path):
        with open(path, "w") as handle:
            handle.write(make())
        os.chmod(path, 0o600)
    with open(path) as handle:
        return handle.read().strip()


def create_app(instance_path: str | None = None, **config: Any) -> Flask:
    """The demo shop with Kassa; ``config`` overrides the defaults (e.g. the database URL)."""
    app = Flask(__name__, instance_path=instance_path or os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "instance"))
    app.config.update(
        SECRET_KEY=os.environ.get("DEMO_SECRET_KEY") or kept_secret(
            app.instance_path, "secret.key", lambda: secrets.token_urlsafe(32)),
        KASSA_SHOP_NAME="Nordic Home & Outdoors",
        KASSA_BRAND_COLOUR="#0f766e",
        KASSA_API_KEYS={"demo": DEMO_API_KEY},
        KASSA_MERCHANT_ADDRESS="Nordic Home & Outdoors Oy, Esimerkkikatu 1, 00100 Helsinki",
    )
    app.config.update(config)
    Kassa(app)
    app.jinja_env.globals.update(format_price=format_money, csrf_token=generate_csrf,
                                 format_date=lambda iso, locale: format_day(
                                     date.fromisoformat(iso), locale))

    def client() -> KassaClient:
        prefix = app.extensions["kassa"].config.url_prefix
        return KassaClient(request.host_url.rstrip("/") + prefix, DEMO_API_KEY)

    def country() -> str:
        chosen = request.args.get("country") or session.get("country") or "FI"
        chosen = chosen.upper() if chosen.upper() in CURRENCIES else "FI"
        if session.get("country") != chosen:
            session["country"], session["cart"] = chosen, {}
        return chosen

    def page(template: str, **values: Any) -> str:
        code = country()
        locale = COUNTRY_LOCALE[code]
        return render_template(template, country=code, currency=CURRENCIES[code],
                               locale=locale, **template_words(locale),
                               demo_customer=DEMO_CUSTOMERS[code],
                               url_map_endpoints=app.view_functions,
                               kassa_prefix=app.extensions["kassa"].config.url_prefix, **values)

    def cart_lines(code: str) -> list[dict[str, Any]]:
        lines = []
        for sku, quantity in session.get("cart", {}).items():
            item = product(sku)
            if item is not None and quantity > 0:
                price = item.prices[CURRENCIES[code]]
                lines.append({"sku": sku, "name": item.name, "quantity": quantity,
                              "unit_price": price, "total": price * quantity})
        return lines

    @app.errorhandler(CSRFError)
    def csrf_failed(_error: CSRFError) -> tuple[str, int]:
        _ = shop_text(COUNTRY_LOCALE[country()])
        return page("message.html", message=_("The page expired. Please try again.")), 400

    def check_form() -> None:
        try:
            validate_csrf(request.form.get("csrf_token"))
        except Exception as exc:  # wtforms.ValidationError: missing or expired token
            raise CSRFError(str(exc)) from None

    @app.get("/")
    def home() -> str:
        return page("home.html", products=PRODUCTS)

    @app.post("/cart/add")
    def add_to_cart() -> Any:
        check_form()
        item = product(request.form.get("sku", ""))
        if item is None:
            abort(404)
        cart = dict(session.get("cart", {}))
        cart[item.sku] = min(cart.get(item.sku, 0) + 1, 9)
        session["cart"] = cart
        return redirect(url_for("cart"))

    @app.post("/cart/remove")
    def remove_from_cart() -> Any:
        check_form()
        cart = dict(session.get("cart", {}))
        cart.pop(request.form.get("sku", ""), None)
        session["cart"] = cart
        return redirect(url_for("cart"))

    @app.get("/cart")
    def cart() -> str:
        lines = cart_lines(country())
        return page("cart.html", lines=lines, total=sum(line["total"] for line in lines))

    @app.post("/checkout")
    def checkout() -> Any:
        check_form()
        code = country()
        lines = cart_lines(code)
        if not lines:
            return redirect(url_for("cart"))
        _ = shop_text(COUNTRY_LOCALE[code])
        form = request.form
        payload = {
            "order": {
                "reference": f"DEMO-{secrets.token_hex(4).upper()}",
                "currency": CURRENCIES[code], "country": code,
                "total": sum(line["total"] for line in lines),
                # The invoice names the products in the shopper's language.
                "lines": [{"description": _(line["name"]), "quantity": line["quantity"],
                           "unit_price": line["unit_price"], "vat_rate": str(VAT_RATES[code])}
                          for line in lines],
            },
            "customer": {key: form.get(key, "").strip() for key in
                         ("name", "email", "phone", "street", "postal_code", "city")},
            "locale": COUNTRY_LOCALE[code],
            "return_url": url_for("thanks", _external=True),
            "cancel_url": url_for("cart", _external=True),
        }
        try:
            created = client().create_checkout_session(payload)
        except KassaApiError as exc:
            return page("cart.html", lines=lines, total=payload["order"]["total"],
                        error=exc.message), 422
        session["checkout_session"] = created["id"]
        return redirect(created["url"])

    @app.get("/thanks")
    def thanks() -> str:
        session_id = request.args.get("kassa_session") or session.get("checkout_session")
        if not session_id:
            return redirect(url_for("home"))  # type: ignore[return-value]
        state = client().checkout_session(session_id)
        if state["status"] == "completed":
            session["cart"] = {}
        invoices = [client().invoice(number) for number in state.get("invoices", [])]
        return page("thanks.html", state=state, invoices=invoices)

    return app
