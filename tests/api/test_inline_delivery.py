"""Confirming and fulfilling through the API send this order's invoice e-mail at once, and
nothing else: hooks, SMS and hand-overs wait for the outbox worker, so a receiver that never
answers cannot keep the shopper's (or the storefront's) request waiting."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask

from tests.notify import conftest as notify_fixtures
from tests.notify.backlog import assert_untouched, queue_backlog, silent_targets
from tests.notify.conftest import SmtpServer
from tests.silent_receiver import SilentReceiver, finishes_without_contacting

from .support import API, API_KEYS, KEY, bearer, confirm, create_session

# the local SMTP server (see tests/notify/conftest.py), for every test in this module
smtp_server = notify_fixtures.smtp_server


@pytest.fixture
def silent() -> Iterator[SilentReceiver]:
    with SilentReceiver() as receiver:
        yield receiver


def _app(make_app: Callable[..., Flask], db_url: str, smtp_server: SmtpServer,
         silent: SilentReceiver, **config: object) -> Flask:
    return make_app(db_url, KASSA_API_KEYS=API_KEYS, KASSA_SMTP_PORT=smtp_server.port,
                    KASSA_MAIL_FROM="laskut@shop.test", **silent_targets(silent), **config)


def test_confirming_sends_the_invoice_email_and_leaves_the_rest_to_the_worker(
        make_app: Callable[..., Flask], db_url: str, smtp_server: SmtpServer,
        silent: SilentReceiver) -> None:
    app = _app(make_app, db_url, smtp_server, silent)
    backlog = queue_backlog(app)
    client = app.test_client()
    created = create_session(client)

    response = finishes_without_contacting(silent, lambda: confirm(client, created))

    assert response.status_code == 200, response.get_json()
    [number] = response.get_json()["invoices"]
    # the shopper's invoice e-mail is in the mail server before the answer came back
    assert [to for _from, to, _raw in smtp_server.received] == [["sven@example.se"]]
    assert number in smtp_server.messages()[0].get_body(("plain",)).get_content()
    assert_untouched(app, backlog)


def test_fulfilling_sends_the_invoice_email_and_leaves_the_rest_to_the_worker(
        make_app: Callable[..., Flask], db_url: str, smtp_server: SmtpServer,
        silent: SilentReceiver) -> None:
    app = _app(make_app, db_url, smtp_server, silent, KASSA_ISSUE_INVOICE_ON="fulfilment")
    client = app.test_client()
    created = create_session(client, reference="SHIP-1")
    assert confirm(client, created).get_json()["invoices"] == []
    backlog = queue_backlog(app)

    response = finishes_without_contacting(
        silent, lambda: client.post(f"{API}/orders/SHIP-1/fulfil", headers=bearer(KEY)))

    assert response.status_code == 200, response.get_json()
    [invoice] = response.get_json()["invoices"]
    assert [to for _from, to, _raw in smtp_server.received] == [["sven@example.se"]]
    assert invoice["number"] in smtp_server.messages()[0].get_body(("plain",)).get_content()
    assert_untouched(app, backlog)
