"""The console in the system Chromium at a desktop's 1280 px and a tablet's 768 px: signed in,
the queue and the customer view fit the width, pass axe-core (no serious or critical
violation) under the pages' real Content-Security-Policy, and j / Enter open a task."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests.browser.axe import assert_accessible
from tests.browser.conftest import ARTIFACTS

from .conftest import PASSWORD, seed

pytestmark = pytest.mark.browser

WIDTHS = {"1280px": {"width": 1280, "height": 800}, "768px": {"width": 768, "height": 1024}}


@pytest.fixture
def served(make_app: Any, tmp_path: Any) -> Iterator[tuple[str, Flask]]:
    app = make_app(f"sqlite:///{tmp_path / 'browser.sqlite3'}")
    seed(app)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", app
    finally:
        server.shutdown()


@pytest.mark.parametrize("width", WIDTHS)
def test_console_pages_at_desktop_and_tablet_width(chromium: Any, served: Any,
                                                    width: str) -> None:
    base, _app = served
    context = chromium.new_context(viewport=WIDTHS[width])
    page = context.new_page()
    blocked: list[str] = []
    page.on("console", lambda m: blocked.append(m.text) if "Content Security" in m.text
            else None)
    page.goto(base + "/kassa/console/?lang=fi")
    page.fill("#email", "agent@shop.test")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/kassa/console/")
    assert page.locator("html").get_attribute("lang") == "fi"
    for label in ("queue", "task"):
        assert page.evaluate("() => document.documentElement.scrollWidth") <= \
            WIDTHS[width]["width"], f"{label} is wider than {width}"
        assert_accessible(page, f"console {label} at {width}")
        page.screenshot(path=str(ARTIFACTS / f"console-{label}-{width}.png"), full_page=True)
        if label == "queue":
            page.keyboard.press("j")
            assert page.locator("tr[aria-selected=true]").count() == 1
            page.keyboard.press("Enter")
            page.wait_for_url("**/kassa/console/tasks/*")
    assert blocked == []
    context.close()
