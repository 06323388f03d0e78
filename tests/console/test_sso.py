"""Staff single sign-on through the merchant's OpenID Connect provider (oidc-provider-mock on
loopback): a staff user whose e-mail address the signed ID token names gets in; anyone else,
a forged answer and a cancelled sign-in do not."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from joserfc.jwk import KeySet, RSAKey
from sqlalchemy import select

from kassa import get_state
from kassa.checkout import identity_provider
from kassa.checkout.identity_provider import forget_discovery
from kassa.db import AuditEntry
from tests.oidc_server import OidcProvider

from .conftest import add_staff, csrf


@pytest.fixture
def provider() -> Iterator[OidcProvider]:
    with OidcProvider() as running:
        yield running
    forget_discovery(running.issuer)


@pytest.fixture
def sso_app(make_app: Callable[..., Flask], db_url: str, provider: OidcProvider) -> Flask:
    app = make_app(db_url, KASSA_STAFF_OIDC_ISSUER=provider.issuer,
                   KASSA_STAFF_OIDC_CLIENT_ID="kassa-console",
                   KASSA_STAFF_OIDC_CLIENT_SECRET="console-secret-0123456789")
    add_staff(app, "admin", "aino@shop.test", name="Aino Admin",
              secret="JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    return app


def start(client: FlaskClient) -> str:
    page = client.get("/kassa/console/sign-in").get_data(as_text=True)
    assert "/kassa/console/sign-in/sso" in page
    answer = client.post("/kassa/console/sign-in/sso", data={"csrf_token": csrf(client)})
    assert answer.status_code == 302
    return str(answer.headers["Location"])


def back(client: FlaskClient, url: str) -> tuple[int, str, str]:
    parts = urlsplit(url)
    answer = client.get(f"{parts.path}?{parts.query}")
    return answer.status_code, answer.headers.get("Location", ""), answer.get_data(as_text=True)


def test_a_staff_user_signs_in_with_the_company_account(sso_app: Flask,
                                                        provider: OidcProvider) -> None:
    provider.set_user("aino-corp", email="Aino@Shop.test", name="Aino Admin")
    client = sso_app.test_client()
    authorize = start(client)
    assert authorize.startswith(provider.issuer) and "scope=openid+email+profile" in authorize
    status, where, _page = back(client, provider.sign_in(authorize, "aino-corp"))
    # The provider vouched for the user: no one-time code is asked here.
    assert (status, where) == (302, "/kassa/console/")
    assert client.get("/kassa/console/").status_code == 200
    with get_state(sso_app).db.session() as db:
        assert db.scalars(select(AuditEntry.action).where(
            AuditEntry.action.like("sign_in%"))).all() == ["sign_in.sso"]


def test_no_way_in_for_an_unknown_address_a_replay_or_a_cancel(sso_app: Flask,
                                                               provider: OidcProvider) -> None:
    provider.set_user("stranger", email="someone@else.test")
    client = sso_app.test_client()
    status, _where, page = back(client, provider.sign_in(start(client), "stranger"))
    assert status == 403 and "no active help-console user" in page
    assert client.get("/kassa/console/").status_code == 302  # still signed out

    provider.set_user("aino-corp", email="aino@shop.test")
    answer = provider.sign_in(start(client), "aino-corp")
    other = sso_app.test_client()  # another browser cannot use this answer
    status, _where, page = back(other, answer)
    assert status == 400 and "try again" in page
    assert other.get("/kassa/console/").status_code == 302

    status, _where, page = back(client, provider.deny(start(client)))
    assert status == 401 and "cancelled" in page
    with get_state(sso_app).db.session() as db:
        assert "sign_in.sso" not in db.scalars(select(AuditEntry.action)).all()


def test_without_a_provider_there_is_no_company_sign_in(make_app: Callable[..., Flask],
                                                        db_url: str) -> None:
    client = make_app(db_url).test_client()
    assert "/sign-in/sso" not in client.get("/kassa/console/sign-in").get_data(as_text=True)
    assert client.get("/kassa/console/sign-in/sso/return?code=x&state=y").status_code == 404


def test_a_provider_that_changed_its_keys_is_still_believed(sso_app: Flask,
                                                            provider: OidcProvider) -> None:
    """Keys fetched before the provider rotated them (its tokens name no key id) are fetched
    again once, instead of turning every staff user away."""
    client = sso_app.test_client()
    authorize = start(client)  # reads the discovery document
    stale = KeySet([RSAKey.generate_key(2048)]).as_dict()
    identity_provider._key_sets[provider.issuer] = stale
    provider.set_user("aino-corp", email="aino@shop.test")
    status, where, _page = back(client, provider.sign_in(authorize, "aino-corp"))
    assert (status, where) == (302, "/kassa/console/")
    assert identity_provider._key_sets[provider.issuer] != stale
