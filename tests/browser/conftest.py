"""The browser tests' Chromium: the system one (``/usr/bin/chromium``) through Playwright,
never a downloaded browser.

Without it the browser tests are skipped on a developer's machine, and fail in CI
(``CI=true``), where ``.ci/run`` installs it: a missing browser must not pass as green.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import IN_CI

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
#: Screenshots the browser tests save, for a person to look at.
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """One Chromium for the tests of a module (a new context per test is cheap)."""
    if not os.path.exists(CHROMIUM):
        if IN_CI:
            pytest.fail(f"the browser tests need the system Chromium at {CHROMIUM}")
        pytest.skip(f"no system Chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
