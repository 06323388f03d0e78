"""A merchant plugs in its own register client; the setting refuses what cannot work."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from kassa import get_state
from kassa.config import load_config
from kassa.db import CreditReport, OutboxMessage
from kassa.errors import ConfigurationError
from kassa.notify.credit_reports import use_register_client
from kassa.notify.http import DeliveryResult
from kassa.notify.outbox import deliver_pending
from tests.conftest import base_config
from tests.services.credit_support import PRODUCTS, buy


class RecordingClient:
    """A register client of the merchant's own, e.g. for the register's SOAP API."""

    def __init__(self) -> None:
        self.documents: list[tuple[Mapping[str, Any], str]] = []

    def submit(self, document: Mapping[str, Any], *, idempotency_key: str,
               now: datetime) -> DeliveryResult | None:
        self.documents.append((document, idempotency_key))
        return None


@pytest.fixture
def app(make_app: Callable[..., Flask], db_url: str) -> Flask:
    # Finland reports through a plugged-in client: no url or token in the setting.
    return make_app(db_url, KASSA_COUNTRIES=["FI", "NO"], KASSA_PRODUCTS=PRODUCTS,
                    KASSA_STRONG_AUTH_COUNTRIES=[],
                    KASSA_CREDIT_REPORTING={"FI": {"creditor_id": "FI-CREDITOR-7"}})


def deliver(app: Flask) -> None:
    with app.app_context():
        deliver_pending(get_state(app), now=datetime.now(UTC))


def test_a_plugged_in_client_gets_the_document_with_the_person(app: Flask) -> None:
    client = RecordingClient()
    use_register_client(get_state(app), "FI", client)
    buy(app, "FI", 120000, "fi-12")
    deliver(app)
    [(document, key)] = client.documents
    assert document["type"] == "credit.new" and document["id"] == key
    assert document["creditor"]["id"] == "FI-CREDITOR-7"
    assert document["person"]["personal_id"] == "131052-308T"
    assert document["credit"]["amount"] == 120000
    with get_state(app).db.session() as db:
        assert db.scalars(select(CreditReport.reported_at)).one() is not None


def test_without_a_client_the_report_is_given_up_saying_what_is_missing(app: Flask) -> None:
    buy(app, "FI", 120000, "fi-12")
    deliver(app)
    with get_state(app).db.session() as db:
        message = db.scalars(select(OutboxMessage).where(
            OutboxMessage.kind == "credit_report")).one()
        assert message.status == "dead"
        assert "use_register_client" in (message.last_error or "")
        assert db.scalars(select(CreditReport.reported_at)).one() is None


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"SE": {"url": "https://uc.example/credits", "token": "t" * 20}},
         "Sweden has no credit register"),
        ({"DK": {}}, "unknown country 'DK'"),
        ({"FI": {"url": "http://register.example/credits", "token": "t" * 20}},
         "https:// URL"),
        ({"FI": {"url": "https://register.example/credits", "token": "short"}},
         "at least 16 characters"),
        ({"FI": {"url": "https://register.example/credits"}}, "at least 16 characters"),
        ({"FI": {"token": "t" * 20}}, "a token or secret needs a url"),
        ({"FI": {"url": "https://register.example/credits", "token": "t" * 20,
                 "secret": "plain"}}, "whsec_"),
        ({"FI": {"uri": "https://register.example/credits"}}, "unknown key 'uri'"),
    ],
)
def test_the_setting_refuses_what_cannot_work(value: Any, message: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        load_config(base_config(KASSA_CREDIT_REPORTING=value))
    assert caught.value.key == "KASSA_CREDIT_REPORTING"
    assert message in str(caught.value)
    assert "register.example" not in str(caught.value)  # a URL may carry credentials


def test_the_token_stays_out_of_the_settings_repr() -> None:
    config = load_config(base_config(KASSA_CREDIT_REPORTING={
        "FI": {"url": "https://register.example/credits", "token": "secret-token-0123456789"}}))
    assert "secret-token" not in repr(config.credit_reporting)
    assert "register.example" not in repr(config.credit_reporting)
