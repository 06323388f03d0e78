"""Strong identification over OpenID Connect, against a real provider on loopback: the identity
number comes only from the signed ID token, never from a typed field."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from kassa import get_state
from kassa.db import CheckoutSession, Customer, Order
from tests.oidc_server import OidcProvider, ignore_provider_warnings

from .conftest import CLIENT_ID, CLIENT_SECRET
from .support import FI_ID, PREFIX, Page, count, csrf_token, open_session
from .test_hosted_page import translated

pytestmark = ignore_provider_warnings


def fi_session(app: Flask) -> str:
    return open_session(app, country="FI", total=124990)


def start_identification(client: FlaskClient, session_id: str, query: str = "",
                         **choices: str) -> str:
    """Press "Identify with your bank ID" on the hosted page; return the broker's URL."""
    page = client.get(f"{PREFIX}/{session_id}{query}").get_data(as_text=True)
    response = client.post(
        f"{PREFIX}/{session_id}/identify{query}",
        data={"csrf_token": csrf_token(page), **choices},
    )
    assert response.status_code == 302
    return str(response.headers["Location"])


def test_round_trip_shows_the_verified_identity_and_confirms_with_it(
    fi_app: Flask, oidc: OidcProvider
) -> None:
    session_id = fi_session(fi_app)
    client = fi_app.test_client()
    page = client.get(f"{PREFIX}/{session_id}").get_data(as_text=True)
    assert Page(page).named("personal_id") == []  # no typed number where a bank ID is required
    assert f'formaction="{PREFIX}/{session_id}/identify"' in page

    broker_url = start_identification(client, session_id, offer="fi-12")
    assert broker_url.startswith(oidc.issuer + "/oauth2/authorize?")
    query = parse_qs(urlsplit(broker_url).query)
    assert query["client_id"] == [CLIENT_ID] and query["ui_locales"] == ["fi"]
    assert query["nonce"] and query["state"] and "openid" in query["scope"][0].split()

    back = client.get(oidc.sign_in(broker_url, "maija"))
    assert back.status_code == 302
    assert urlsplit(back.headers["Location"]).path == f"{PREFIX}/{session_id}"

    page = client.get(f"{PREFIX}/{session_id}").get_data(as_text=True)
    assert "Maija Meikäläinen" in page and "131052-****" in page
    assert FI_ID not in page
    assert Page(page).checked("offer") == ["fi-12"]  # the choice survived the round trip

    response = client.post(
        f"{PREFIX}/{session_id}",
        data={
            "csrf_token": csrf_token(page),
            "offer": "fi-12",
            "channel": "email",
            "consent": "y",
            "personal_id": "010101-0101",
        },
    )  # typed: must be ignored
    assert response.status_code == 303
    state = get_state(fi_app)
    with state.db.session() as db:
        customer = db.scalars(select(Customer)).one()
        assert customer.personal_id_masked == "131052-****"
        assert state.vault.reveal(customer) == FI_ID
        assert customer.name == "Maija Meikäläinen"
        assert db.get(CheckoutSession, session_id).status == "completed"


def test_confirming_without_identification_is_refused(fi_app: Flask) -> None:
    session_id = fi_session(fi_app)
    client = fi_app.test_client()
    page = client.get(f"{PREFIX}/{session_id}").get_data(as_text=True)
    response = client.post(
        f"{PREFIX}/{session_id}",
        data={
            "csrf_token": csrf_token(page),
            "offer": "fi-invoice-14",
            "channel": "email",
            "consent": "y",
            "personal_id": FI_ID,
        },
    )
    assert response.status_code == 422
    assert translated(
        "fi", "Please identify yourself with your bank ID first."
    ) in response.get_data(as_text=True)
    assert count(fi_app, Order) == 0


def test_a_cancelled_identification_is_explained_on_the_page(
    fi_app: Flask, oidc: OidcProvider
) -> None:
    session_id = fi_session(fi_app)
    client = fi_app.test_client()
    back = client.get(oidc.deny(start_identification(client, session_id)))
    assert back.headers["Location"].endswith("identification=denied")
    page = client.get(back.headers["Location"]).get_data(as_text=True)
    assert (
        translated(
            "fi",
            "The identification was cancelled. To pay by invoice or in "
            "instalments, please identify with your bank ID.",
        )
        in page
    )
    with get_state(fi_app).db.session() as db:
        assert db.get(CheckoutSession, session_id).verified_identity is None


def test_an_answer_for_another_request_is_not_accepted(fi_app: Flask, oidc: OidcProvider) -> None:
    session_id = fi_session(fi_app)
    client = fi_app.test_client()
    callback = oidc.sign_in(start_identification(client, session_id), "maija")
    forged = callback.replace("state=", "state=x")
    back = client.get(forged)
    assert back.headers["Location"].endswith("identification=failed")
    with get_state(fi_app).db.session() as db:
        assert db.get(CheckoutSession, session_id).verified_identity is None
    # the state is single-use: replaying the genuine answer afterwards does not work either
    assert client.get(callback).status_code == 400


def test_a_token_without_the_identity_claim_is_not_accepted(
    fi_app: Flask, oidc: OidcProvider
) -> None:
    oidc.set_user("nobody", name="No Number")
    session_id = fi_session(fi_app)
    client = fi_app.test_client()
    back = client.get(oidc.sign_in(start_identification(client, session_id), "nobody"))
    assert back.headers["Location"].endswith("identification=invalid")


def test_a_number_of_another_country_is_not_accepted(fi_app: Flask, oidc: OidcProvider) -> None:
    oidc.set_user("sven", personal_identity_number="19811218-9876", name="Sven Svensson")
    session_id = fi_session(fi_app)
    client = fi_app.test_client()
    back = client.get(oidc.sign_in(start_identification(client, session_id), "sven"))
    assert back.headers["Location"].endswith("identification=invalid")


def test_without_a_configured_broker_the_page_says_identification_is_unavailable(
    make_app: Callable[..., Flask], db_url: str
) -> None:
    app = make_app(db_url)
    session_id = fi_session(app)
    client = app.test_client()
    location = start_identification(client, session_id)
    assert location.endswith("identification=unavailable")


def test_the_chosen_language_survives_the_round_trip(fi_app: Flask, oidc: OidcProvider) -> None:
    session_id = fi_session(fi_app)
    client = fi_app.test_client()
    broker_url = start_identification(client, session_id, "?lang=en")
    assert parse_qs(urlsplit(broker_url).query)["ui_locales"] == ["en"]
    back = client.get(oidc.sign_in(broker_url, "maija"))
    assert parse_qs(urlsplit(back.headers["Location"]).query) == {"lang": ["en"]}
    page = client.get(back.headers["Location"]).get_data(as_text=True)
    assert '<html lang="en">' in page and "Identified as Maija Meikäläinen" in page


def test_identification_starts_only_from_the_hosted_forms_post(
    fi_app: Flask, oidc: OidcProvider
) -> None:
    session_id = fi_session(fi_app)
    client = fi_app.test_client()
    response = client.get(f"{PREFIX}/{session_id}/identify")  # e.g. a link someone sent
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == f"{PREFIX}/{session_id}"
    forged = client.post(f"{PREFIX}/{session_id}/identify", data={})  # no CSRF token
    assert not forged.headers.get("Location", "").startswith(oidc.issuer)


def test_a_sign_in_in_another_browser_does_not_count_in_this_one(
    fi_app: Flask, oidc: OidcProvider
) -> None:
    session_id = fi_session(fi_app)
    shopper, stranger = fi_app.test_client(), fi_app.test_client()
    shopper.get(f"{PREFIX}/{session_id}")
    # Someone else opens the same checkout address and signs in with their own bank ID.
    back = stranger.get(oidc.sign_in(start_identification(stranger, session_id), "maija"))
    assert back.status_code == 302
    assert "Maija Meikäläinen" in stranger.get(back.headers["Location"]).get_data(as_text=True)

    page = shopper.get(f"{PREFIX}/{session_id}").get_data(as_text=True)
    assert "Maija" not in page and "131052-****" not in page
    response = shopper.post(f"{PREFIX}/{session_id}", data={
        "csrf_token": csrf_token(page), "offer": "fi-invoice-14", "channel": "email",
        "consent": "y"})
    assert response.status_code == 422
    assert count(fi_app, Order) == 0


def test_a_broker_that_can_show_it_is_told_the_merchant_and_the_amount(
    make_app: Callable[..., Flask], db_url: str, oidc: OidcProvider
) -> None:
    import base64

    app = make_app(db_url, KASSA_OIDC_ISSUER=oidc.issuer, KASSA_OIDC_CLIENT_ID=CLIENT_ID,
                   KASSA_OIDC_CLIENT_SECRET=CLIENT_SECRET,
                   KASSA_SHOP_NAME="Nordic Home & Outdoors",
                   KASSA_OIDC_PURCHASE_HINT="message:{text_base64}")
    session_id = fi_session(app)
    client = app.test_client()
    broker_url = start_identification(client, session_id, "?lang=fi")
    [hint] = parse_qs(urlsplit(broker_url).query)["login_hint"]
    assert hint.startswith("message:")
    assert base64.b64decode(hint.removeprefix("message:")).decode() == (
        "Nordic Home & Outdoors: 1\u00a0249,90\u00a0€")
    back = client.get(oidc.sign_in(broker_url, "maija"))  # the broker still answers as usual
    assert back.status_code == 302 and "identification=" not in back.headers["Location"]


def test_without_a_hint_setting_no_login_hint_is_sent(fi_app: Flask) -> None:
    broker_url = start_identification(fi_app.test_client(), fi_session(fi_app))
    assert "login_hint" not in parse_qs(urlsplit(broker_url).query)


def test_a_purchase_hint_without_a_place_for_the_text_stops_start_up(
    make_app: Callable[..., Flask]
) -> None:
    import pytest

    from kassa.errors import ConfigurationError

    for hint in ("message:", "message:{amount}"):
        with pytest.raises(ConfigurationError, match="KASSA_OIDC_PURCHASE_HINT"):
            make_app(None, upgrade=False, KASSA_OIDC_PURCHASE_HINT=hint)
