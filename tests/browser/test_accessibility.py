"""Kassa's shopper pages pass axe-core's accessibility checks (no serious or critical
violation), in the system Chromium, in Finnish, Swedish, Norwegian and English, on a phone
(360 px) and on a desktop (1280 px), on SQLite and PostgreSQL.

The pages are served by the demo shop (its shop name, brand colour and bank-ID broker), run
once per database for the whole module. To check another page, add a line to :data:`PAGES`:
a name and a function that, given the :class:`Shop` and the page's language, makes the data
the page needs and returns its path (the test adds ``?lang=``). For example::

    ("payment plan", lambda shop, lang: shop.invoice_path(shop.invoice(COUNTRY[lang])) + "/plan"),

A page that answers other than 200 on purpose gets its status in :data:`STATUS`. Data of a new
kind gets a method on :class:`Shop` that makes it once (``shop.once``), with invoice numbers
from ``shop.sequence()``. A page of the shopper's own pages (``/kassa/account/...`` behind the
sign-in) goes in :data:`SIGNED_IN`: the tab first opens the pages from the invoice's link as
the shopper of the language's country. A page shown after a step (a form sent) gets that step
in :data:`STEPS`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask

from demo_shop.app import create_app
from demo_shop.identity_broker import broker_settings, start_identity_broker
from demo_shop.receiver import demo_settings
from kassa import get_state
from kassa.db import Customer, Invoice, migrate
from kassa.services import conversations
from kassa.services.links import invoice_token
from tests.browser.axe import (
    accessibility_report,
    assert_accessible,
    axe_source,
    axe_violations,
    install_axe,
)
from tests.browser.serving import database_url, free_port, serving
from tests.checkout.support import open_session
from tests.conftest import TEST_KEY
from tests.factories import make_invoice

pytestmark = pytest.mark.browser

LANGS = ("fi", "sv", "nb", "en")
#: The country whose checkout, invoice and call script a page in that language shows.
COUNTRY = {"fi": "FI", "sv": "SE", "nb": "NO", "en": "FI"}
#: A phone's width and a desktop's (the height matters little: axe reads the whole page).
WIDTHS = {"360px": {"width": 360, "height": 740}, "1280px": {"width": 1280, "height": 800}}


@dataclass
class Shop:
    """The demo shop on a live loopback server, with helpers that make the pages' data once
    and reuse it (each in the app's database)."""

    app: Flask
    base: str
    _made: dict[tuple[str, ...], Any] = field(default_factory=dict)
    _sequence: int = 5000

    def once(self, key: tuple[str, ...], make: Callable[[], Any]) -> Any:
        """``make()`` the first time ``key`` is asked for; the same value after that."""
        if key not in self._made:
            self._made[key] = make()
        return self._made[key]

    def sequence(self) -> int:
        """A new invoice sequence number (for ``make_invoice``)."""
        self._sequence += 1
        return self._sequence

    def checkout_session(self, country: str) -> str:
        """An open checkout session of ``country`` (FI, SE or NO); its id."""
        return str(self.once(("checkout", country), lambda: open_session(
            self.app, country=country, reference=f"A11Y-{country}",
            return_url=f"{self.base}/thanks",
            cancel_url=f"{self.base}/cart")))

    def invoice(self, country: str) -> int:
        """An open invoice of ``country`` (a customer of that country); its id."""
        return int(self.once(("invoice", country), lambda: make_invoice(
            self.app, country=country, sequence=self.sequence())))

    def expired_invoice(self, country: str) -> int:
        """An invoice paid and closed long ago, whose old links have expired; its id."""

        def make() -> int:
            invoice_id = make_invoice(self.app, country=country, sequence=self.sequence())
            with get_state(self.app).db.session() as db:
                invoice = db.get_one(Invoice, invoice_id)
                invoice.paid_minor, invoice.status = invoice.amount_minor, "paid"
                invoice.closed_at = datetime.now(UTC) - timedelta(days=400)
            return invoice_id

        return int(self.once(("expired", country), make))

    def invoice_path(self, invoice_id: int, made: datetime | None = None) -> str:
        """The path of the invoice's signed page (``made``: when the link was made)."""
        with self.app.app_context():
            return f"/kassa/account/invoice/{invoice_token(invoice_id, made)}"

    def number(self, country: str) -> str:
        """The number of the open invoice of ``country``."""
        with get_state(self.app).db.session() as db:
            return db.get_one(Invoice, self.invoice(country)).number

    def thread(self, country: str) -> int:
        """A conversation of the shopper of ``country`` about their invoice, with the
        shopper's question and the team's answer; its id."""

        def make() -> int:
            state, now = get_state(self.app), datetime.now(UTC)
            with self.app.app_context(), state.db.session() as db:
                invoice = db.get_one(Invoice, self.invoice(country))
                thread = conversations.start_thread(
                    db, state, db.get_one(Customer, invoice.customer_id),
                    subject=f"Invoice {invoice.number}", body="When is this due?",
                    invoice=invoice, uploads=[], submit_key=f"a11y-{country}", now=now)
                conversations.add_message(db, state, thread, author="staff",
                                          body="On the due date on the invoice.", uploads=[],
                                          submit_key=f"a11y-staff-{country}", now=now,
                                          author_name="Aino")
                return thread.id

        return int(self.once(("thread", country), make))

    def messages_path(self, country: str) -> str:
        """The path of the shopper's messages, with their conversation in the list."""
        self.thread(country)
        return "/kassa/account/messages"

    def survey_path(self, country: str) -> str:
        """The path of the survey after the shopper's conversation."""

        def make() -> str:
            state, now = get_state(self.app), datetime.now(UTC)
            with self.app.app_context(), state.db.session() as db:
                customer = db.get_one(Customer, db.get_one(
                    Invoice, self.invoice(country)).customer_id)
                survey = conversations.send_survey(db, customer, "thread", self.thread(country),
                                                   channel="message", agent="Aino", now=now)
                assert survey is not None
                token = conversations.survey_token(self.app.secret_key or "", survey.id)
            return f"/kassa/account/survey/{token}"

        return str(self.once(("survey", country), make))


LONG_AGO = datetime.now(UTC) - timedelta(days=400)

#: The shopper pages to check: (name, path for the shop and the page's language).
PAGES: list[tuple[str, Callable[[Shop, str], str]]] = [
    ("checkout", lambda shop, lang: f"/kassa/checkout/{shop.checkout_session(COUNTRY[lang])}"),
    ("invoice", lambda shop, lang: shop.invoice_path(shop.invoice(COUNTRY[lang]))),
    ("expired link", lambda shop, lang: shop.invoice_path(
        shop.expired_invoice(COUNTRY[lang]), LONG_AGO)),
    ("unknown link", lambda shop, lang: "/kassa/account/invoice/no-such-link"),
    ("call script", lambda shop, lang: f"/kassa/account/call-script/{COUNTRY[lang].lower()}"),
    # Customer service: the shopper's own pages, the survey after a contact, help and contact.
    ("sign-in", lambda shop, lang: "/kassa/account/sign-in"),
    ("overview", lambda shop, lang: "/kassa/account/"),
    ("invoice detail", lambda shop, lang: f"/kassa/account/invoices/{shop.number(COUNTRY[lang])}"),
    ("more time", lambda shop, lang:
        f"/kassa/account/invoices/{shop.number(COUNTRY[lang])}/more-time"),
    ("plan quote", lambda shop, lang: f"/kassa/account/plan?invoice={shop.number(COUNTRY[lang])}"),
    ("dispute", lambda shop, lang: f"/kassa/account/invoices/{shop.number(COUNTRY[lang])}/dispute"),
    ("details", lambda shop, lang: "/kassa/account/details"),
    ("messages", lambda shop, lang: shop.messages_path(COUNTRY[lang])),
    ("thread", lambda shop, lang: f"/kassa/account/messages/{shop.thread(COUNTRY[lang])}"),
    ("new message", lambda shop, lang: "/kassa/account/messages/new"),
    ("callback", lambda shop, lang: "/kassa/account/callback"),
    ("survey", lambda shop, lang: shop.survey_path(COUNTRY[lang])),
    ("help FI", lambda shop, lang: "/kassa/account/help/FI"),
    ("contact", lambda shop, lang: "/kassa/account/contact"),
]
#: The pages that answer other than 200 on purpose.
STATUS = {"expired link": 410, "unknown link": 404}
#: The pages behind the shopper's sign-in.
SIGNED_IN = {"overview", "invoice detail", "more time", "plan quote", "dispute", "details",
             "messages", "thread", "new message", "callback"}
#: What the shopper does on the page before it is checked (the page it leads to is checked).
STEPS: dict[str, Callable[[Any], None]] = {
    # The plan's figures, schedule and consent, shown after "Show the plan".
    "plan quote": lambda tab: (tab.click("button[name=step][value=quote]"),
                               tab.wait_for_selector("#kassa-quote-heading")),
}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def shop(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[Shop]:
    """The demo shop, once on SQLite and once on PostgreSQL, for every page of the module."""
    folder = tmp_path_factory.mktemp(f"a11y-{request.param}")
    db_url = database_url(request.param, folder)
    axe_source()  # skip (or fail in CI) before starting anything without axe-core
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    broker = start_identity_broker()
    # Stripe's keys only put "pay now" on the invoice page: no test here opens Stripe.
    app = create_app(str(folder), KASSA_ENCRYPTION_KEY=TEST_KEY, KASSA_DATABASE_URL=db_url,
                     KASSA_PUBLIC_URL=base, KASSA_STRIPE_SECRET_KEY="sk_test_kassa",
                     KASSA_STRIPE_PUBLISHABLE_KEY="pk_test_kassa",
                     **demo_settings(base), **broker_settings(broker))
    migrate.upgrade(get_state(app).db)
    try:
        with serving(app, port, "kassa-a11y-server"):
            yield Shop(app, base)
    finally:
        broker.shutdown()
        get_state(app).db.dispose()


@pytest.fixture(scope="module")
def tab(chromium: Any) -> Iterator[Any]:
    """One page for the module, with axe-core loaded into every document it opens."""
    context = chromium.new_context()
    install_axe(context)
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        yield page
    finally:
        context.close()


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize(("name", "path"), PAGES, ids=[name for name, _path in PAGES])
def test_shopper_page_is_accessible(shop: Shop, tab: Any, name: str,
                                    path: Callable[[Shop, str], str], lang: str) -> None:
    """The page, loaded at a phone's width and then widened to a desktop's, has no serious
    or critical violation at either."""
    url = shop.base + path(shop, lang)
    tab.set_viewport_size(next(iter(WIDTHS.values())))
    if name in SIGNED_IN:  # the pages of the shopper of this language's country
        tab.goto(shop.base + shop.invoice_path(shop.invoice(COUNTRY[lang])) + "/mine")
    response = tab.goto(url + ("&" if "?" in url else "?") + f"lang={lang}")
    assert response is not None and response.status == STATUS.get(name, 200), name
    if name in STEPS:
        STEPS[name](tab)
    assert tab.get_attribute("html", "lang") == lang
    reports = []
    for width, viewport in WIDTHS.items():
        tab.set_viewport_size(viewport)
        reports.append(accessibility_report(tab, f"{name} [{lang}, {width}]"))
    problems = [report for report in reports if report]
    if problems:
        pytest.fail("\n\n".join(problems), pytrace=False)


def test_the_check_finds_what_it_should(chromium: Any) -> None:
    """axe-core really runs: a page with an unlabelled field and an image without a text
    fails, listing both rules."""
    axe_source()
    context = chromium.new_context()
    try:
        page = context.new_page()
        page.set_content('<!doctype html><html lang="en"><title>Bad</title><main>'
                         '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'
                         '<input type="text"></main></html>')
        found = {v["id"] for v in axe_violations(page)}
        assert {"image-alt", "label"} <= found
        with pytest.raises(pytest.fail.Exception, match="image-alt"):
            assert_accessible(page, "bad page")
    finally:
        context.close()
