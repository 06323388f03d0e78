"""pytest fixtures around localstripe on loopback (:mod:`demo_shop.local_stripe`).

Bind them in a ``conftest.py`` or a test module (an assignment, so that ruff sees no unused
import shadowed by the test's argument)::

    from tests import localstripe_server as stand_in

    localstripe_server = stand_in.localstripe_server
    localstripe = stand_in.localstripe

    def test_pay(localstripe, make_app, db_url):
        app = make_app(db_url, **localstripe.config(KASSA_STRIPE_WEBHOOK_SECRET="whsec_x"))
        localstripe.register_webhook(live_url + "/kassa/pay/stripe/webhook", "whsec_x")
        localstripe.api("GET", "/v1/payment_intents")  # the fake API, with the secret key

``localstripe_server`` (session scope) starts one process for the whole run and stops it by
its pid at the end; ``localstripe`` (function scope) hands out the same server after emptying
its data (``DELETE /_config/data``) and its webhooks, so each test starts clean.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from demo_shop.local_stripe import LocalStripe, start_localstripe

__all__ = ["LocalStripe", "localstripe", "localstripe_server"]


@pytest.fixture(scope="session")
def localstripe_server() -> Iterator[LocalStripe]:
    """One localstripe for the whole test run."""
    server = start_localstripe()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def localstripe(localstripe_server: LocalStripe) -> LocalStripe:
    """The run's localstripe, emptied of objects and webhooks for this test."""
    if localstripe_server.process.poll() is not None:
        raise RuntimeError(f"localstripe has exited:\n{localstripe_server.log()}")
    localstripe_server.reset()
    return localstripe_server
