"""Hand-over to print, e-invoice and digital mailbox services: the documented JSON, the PDF,
the Bearer token and idempotency key, and clear failures for missing settings or data."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from fpdf import FPDF

from kassa.config import load_config
from kassa.notify.handover import (
    HandoverError,
    hand_over,
    handover_payload,
    handover_settings,
)
from tests.conftest import base_config
from tests.http_receiver import HttpReceiver, Reply

TOKEN = "ho_" + "x" * 30
ADDRESS = {
    "name": "Maija Meikäläinen",
    "street": "Mannerheimintie 1 A 2",
    "postal_code": "00100",
    "city": "Helsinki",
    "country": "fi",
}


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    with HttpReceiver() as running:
        yield running


@pytest.fixture(scope="module")
def pdf() -> bytes:
    document = FPDF()
    document.add_page()
    document.set_font("helvetica", size=12)
    document.cell(text="Invoice 1001")
    return bytes(document.output())


def invoice(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "number": "1001",
        "reference": "1 00013",
        "amount_minor": 12990,
        "currency": "EUR",
        "due_date": date(2026, 5, 15),
        "issue_date": "2026-05-01",
        "recipient": dict(ADDRESS),
    }
    data.update(changes)
    return data


def test_letter_payload_carries_address_and_the_pdf(pdf: bytes) -> None:
    payload = handover_payload(invoice(), pdf, "letter")
    assert payload["channel"] == "letter"
    assert payload["invoice"] == {
        "number": "1001",
        "reference": "1 00013",
        "amount": "129.90",
        "amount_minor": 12990,
        "currency": "EUR",
        "due_date": "2026-05-15",
        "issue_date": "2026-05-01",
        "recipient": {**ADDRESS, "country": "FI"},
    }
    assert base64.b64decode(payload["pdf_base64"]) == pdf
    assert payload["pdf_sha256"] == hashlib.sha256(pdf).hexdigest()
    assert payload["pdf_filename"] == "invoice-1001.pdf"


def test_einvoice_payload_carries_the_einvoice_address(pdf: bytes) -> None:
    recipient = {
        "name": "Maija Meikäläinen",
        "einvoice_address": "FI3715903000000776",
        "einvoice_operator": "NDEAFIHH",
    }
    payload = handover_payload(invoice(recipient=recipient, issue_date=None), pdf, "einvoice")
    assert payload["invoice"]["recipient"] == recipient
    assert "issue_date" not in payload["invoice"]


def test_identity_number_goes_only_to_a_digital_mailbox_and_only_when_given(pdf: bytes) -> None:
    with_id = invoice(recipient={**ADDRESS, "personal_id": "131052-308T"})
    mailbox = handover_payload(with_id, pdf, "digital_mailbox")
    assert mailbox["invoice"]["recipient"]["personal_id"] == "131052-308T"
    assert "131052-308T" not in str(handover_payload(with_id, pdf, "letter"))
    assert (
        "personal_id"
        not in handover_payload(invoice(), pdf, "digital_mailbox")["invoice"]["recipient"]
    )


@pytest.mark.parametrize(
    ("changes", "channel", "message"),
    [
        ({"recipient": {**ADDRESS, "street": ""}}, "letter", "recipient.street is required"),
        ({"recipient": {"name": "M"}}, "einvoice", "recipient.einvoice_address is required"),
        ({"recipient": None}, "letter", "recipient is required"),
        ({"amount_minor": "129.90"}, "letter", "minor units"),
        ({"due_date": "15.5.2026"}, "letter", "due_date must be a date"),
        ({}, "sms", "unknown hand-over channel 'sms'"),
    ],
)
def test_incomplete_data_is_refused_with_the_field_named(
    pdf: bytes, changes: dict[str, Any], channel: str, message: str
) -> None:
    with pytest.raises(HandoverError, match=message):
        handover_payload(invoice(**changes), pdf, channel)


def test_only_a_pdf_is_handed_over() -> None:
    with pytest.raises(HandoverError, match="not a PDF"):
        handover_payload(invoice(), b"<html>invoice</html>", "letter")


def test_service_receives_the_document_with_bearer_token_and_idempotency_key(
    receiver: HttpReceiver, pdf: bytes
) -> None:
    receiver.replies = [Reply(202, {"id": "print-77"})]
    payload = handover_payload(invoice(), pdf, "letter")
    result = hand_over(receiver.url("/v1/letters"), TOKEN, payload, "msg_31")
    assert result.ok and result.status == 202 and result.external_id == "print-77"
    request = receiver.requests[0]
    assert (request.method, request.path) == ("POST", "/v1/letters")
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.headers["Idempotency-Key"] == "msg_31"
    received = request.json()
    assert received == payload
    assert base64.b64decode(received["pdf_base64"]) == pdf


def test_a_failing_service_is_retried_with_the_same_key(receiver: HttpReceiver, pdf: bytes) -> None:
    receiver.replies = [503, 200]
    payload = handover_payload(invoice(), pdf, "letter")
    first = hand_over(receiver.url("/"), TOKEN, payload, "msg_31")
    second = hand_over(receiver.url("/"), TOKEN, payload, "msg_31")
    assert first.retry and not first.ok and second.ok
    assert [r.headers["Idempotency-Key"] for r in receiver.requests] == ["msg_31", "msg_31"]


def test_missing_settings_are_named_not_dropped(pdf: bytes) -> None:
    payload = handover_payload(invoice(), pdf, "letter")
    no_url = hand_over(None, TOKEN, payload, "m")
    assert not no_url.ok and not no_url.retry
    assert no_url.error == "KASSA_PRINT_SERVICE_URL is not set: no service takes this channel"
    no_token = hand_over("https://print.example/v1", None, payload, "m")
    assert not no_token.ok and no_token.error == "KASSA_HANDOVER_TOKEN is not set"


def test_each_channel_uses_its_own_service() -> None:
    config = load_config(
        base_config(
            KASSA_PRINT_SERVICE_URL="https://print.example/v1/letters",
            KASSA_EINVOICE_OPERATOR_URL="https://operator.example/einvoices",
            KASSA_HANDOVER_TOKEN=TOKEN,
        )
    )
    assert handover_settings(config, "letter") == ("https://print.example/v1/letters", TOKEN)
    assert handover_settings(config, "einvoice") == ("https://operator.example/einvoices", TOKEN)
    assert handover_settings(config, "digital_mailbox") == (None, TOKEN)
