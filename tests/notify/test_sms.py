"""SMS: the JSON provider's request, E.164 numbers, missing settings, the friendly text."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest

from kassa.config import load_config
from kassa.errors import ConfigurationError
from kassa.notify.sms import (
    MAX_SMS_CHARS,
    JsonHttpSmsProvider,
    SmsProvider,
    friendly_sms_text,
    normalize_e164,
    sms_provider_from_config,
)
from tests.conftest import base_config
from tests.http_receiver import HttpReceiver, Reply

API_KEY = "sk_test_" + base64.b64encode(bytes(range(18))).decode()


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    with HttpReceiver() as running:
        yield running


def provider(receiver: HttpReceiver, **changes: Any) -> JsonHttpSmsProvider:
    settings: dict[str, Any] = {
        "url": receiver.url("/v1/sms"),
        "api_key": API_KEY,
        "sender": "Kauppa",
    }
    settings.update(changes)
    return JsonHttpSmsProvider(**settings)


def test_provider_gets_json_with_bearer_key_and_gives_its_id(receiver: HttpReceiver) -> None:
    receiver.replies = [Reply(200, {"id": "sms_8431"})]
    sms: SmsProvider = provider(receiver)
    result = sms.send("+358 40 123 4567", "Hei!", message_id="msg_5")
    assert result.ok and result.external_id == "sms_8431"
    request = receiver.requests[0]
    assert (request.method, request.path) == ("POST", "/v1/sms")
    assert request.headers["Authorization"] == f"Bearer {API_KEY}"
    assert request.headers["Idempotency-Key"] == "msg_5"
    assert request.headers["Content-Type"] == "application/json"
    assert request.json() == {"from": "Kauppa", "to": "+358401234567", "text": "Hei!"}


@pytest.mark.parametrize(
    ("number", "e164"),
    [
        ("+358401234567", "+358401234567"),
        ("+46 70-123 45 67", "+46701234567"),
        ("+4791234567", "+4791234567"),
    ],
)
def test_international_numbers_are_accepted(number: str, e164: str) -> None:
    assert normalize_e164(number) == e164


@pytest.mark.parametrize(
    "number",
    [
        "040 123 4567",
        "00358401234567",
        "+0401234567",
        "+358 40 123 4567 8901 2",
        "+35840abc",
        "+12345",
        "",
    ],
)
def test_numbers_not_in_e164_are_refused_before_any_request(
    receiver: HttpReceiver, number: str
) -> None:
    with pytest.raises(ValueError, match="E.164"):
        normalize_e164(number)
    result = provider(receiver).send(number, "Hei!", message_id="m")
    assert not result.ok and not result.retry and "E.164" in (result.error or "")
    assert receiver.requests == []


def test_without_settings_sending_fails_and_names_what_is_missing(receiver: HttpReceiver) -> None:
    sms = JsonHttpSmsProvider(None, None, "Kauppa")
    assert not sms.configured
    result = sms.send("+358401234567", "Hei!", message_id="m")
    assert not result.ok and not result.retry
    assert result.error == "SMS is not configured: set KASSA_SMS_URL, KASSA_SMS_API_KEY"
    assert provider(receiver).configured


def test_provider_answers_are_classified(receiver: HttpReceiver) -> None:
    receiver.replies = [401, Reply(429, headers={"Retry-After": "60"}), 200]
    sms = provider(receiver)
    refused = sms.send("+358401234567", "Hei!", message_id="m")
    throttled = sms.send("+358401234567", "Hei!", message_id="m")
    without_id = sms.send("+358401234567", "Hei!", message_id="m")
    assert (refused.ok, refused.retry, refused.status) == (False, False, 401)
    assert (throttled.retry, throttled.retry_after) == (True, 60)
    assert without_id.ok and without_id.external_id is None


def test_the_api_key_stays_out_of_repr(receiver: HttpReceiver) -> None:
    assert API_KEY not in repr(provider(receiver))


def test_provider_is_built_from_the_settings() -> None:
    config = load_config(
        base_config(
            KASSA_SMS_URL="https://sms.example/v1/messages",
            KASSA_SMS_API_KEY=API_KEY,
            KASSA_SMS_SENDER="MyShop",
        )
    )
    sms = sms_provider_from_config(config)
    assert sms.configured and sms.url == "https://sms.example/v1/messages"
    assert not sms_provider_from_config(load_config(base_config())).configured


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("KASSA_SMS_SENDER", "MyVeryLongShop", "at most 11"),
        ("KASSA_SMS_SENDER", "Shop!", "alphanumeric"),
        ("KASSA_SMS_SENDER", "12345", "at least one letter"),
        ("KASSA_SMS_URL", "http://sms.example/v1", "https://"),
    ],
)
def test_invalid_sms_settings_stop_start_up(key: str, value: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=key) as caught:
        load_config(base_config(**{key: value}))
    assert message in str(caught.value)


def test_friendly_text_fits_two_segments_in_english() -> None:
    text = friendly_sms_text(
        "en",
        "Nordic Outdoor Gear",
        "€1,234.50",
        "https://shop.example.com/kassa/pay/eyJpIjoxMDAxfQ.aBcDeFgHiJk",
    )
    assert text.startswith(
        "Hi! A friendly reminder from Nordic Outdoor Gear: your invoice of €1,234.50 is past "
        "its due date."
    )
    assert "https://shop.example.com/kassa/pay/eyJpIjoxMDAxfQ.aBcDeFgHiJk" in text
    assert len(text) <= MAX_SMS_CHARS == 306


def test_friendly_text_is_in_the_shoppers_locale_from_a_region_tag() -> None:
    text = friendly_sms_text("fi-FI", "Kauppa", "129,90 €", "https://k.example/p/1")
    assert text == ("Hei! Kauppa muistuttaa ystävällisesti: laskusi 129,90 € on nyt erääntynyt. "
                    "Maksa helposti täällä: https://k.example/p/1. Jos olet jo maksanut, kiitos! "
                    "Voit jättää tämän viestin huomiotta.")


def test_no_break_spaces_become_plain_spaces_for_the_gsm_alphabet() -> None:
    from kassa.notify.sms import JsonHttpSmsProvider as _Provider
    from tests.http_receiver import HttpReceiver as _Receiver

    with _Receiver() as receiver:
        provider = _Provider(receiver.url("/sms"), "k" * 20, "Shop")
        assert provider.send("+358401234567", "Summa 1\u00a0234,50\u00a0€",
                             message_id="m-1").ok
    assert receiver.requests[0].json()["text"] == "Summa 1 234,50 €"
