"""Confirming on the hosted page sends this order's invoice e-mail at once, and nothing else:
hooks, SMS and hand-overs wait for the outbox worker, so a receiver that never answers
cannot keep the shopper waiting for the next page."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask

from tests.notify import conftest as notify_fixtures
from tests.notify.backlog import assert_untouched, queue_backlog, silent_targets
from tests.notify.conftest import SmtpServer
from tests.silent_receiver import SilentReceiver, finishes_without_contacting

from .support import PREFIX, RETURN_URL, SE_ID, csrf_token, open_session

# the local SMTP server (see tests/notify/conftest.py), for every test in this module
smtp_server = notify_fixtures.smtp_server


@pytest.fixture
def silent() -> Iterator[SilentReceiver]:
    with SilentReceiver() as receiver:
        yield receiver


def test_confirming_sends_the_invoice_email_and_leaves_the_rest_to_the_worker(
        make_app: Callable[..., Flask], db_url: str, smtp_server: SmtpServer,
        silent: SilentReceiver) -> None:
    app = make_app(db_url, KASSA_SMTP_PORT=smtp_server.port, KASSA_MAIL_FROM="laskut@shop.test",
                   **silent_targets(silent))
    backlog = queue_backlog(app)
    session_id = open_session(app)
    client = app.test_client()
    page = client.get(f"{PREFIX}/{session_id}").get_data(as_text=True)
    form = {"csrf_token": csrf_token(page), "offer": "se-invoice-14", "channel": "email",
            "personal_id": SE_ID, "consent": "y"}

    response = finishes_without_contacting(
        silent, lambda: client.post(f"{PREFIX}/{session_id}", data=form))

    assert response.status_code == 303  # back to the shop
    assert response.headers["Location"].startswith(RETURN_URL)
    # the shopper's invoice e-mail is in the mail server before the page came back
    [mail] = smtp_server.messages()
    assert mail["To"] == "sven@example.se"
    assert [part.get_content_type() for part in mail.iter_attachments()] == ["application/pdf"]
    assert_untouched(app, backlog)
