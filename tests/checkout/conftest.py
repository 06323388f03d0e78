"""A real OpenID Connect provider on loopback, and an app that identifies Finns through it."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask

from tests.oidc_server import OidcProvider

CLIENT_ID = "kassa-test"
CLIENT_SECRET = "kassa-test-secret"


@pytest.fixture
def oidc() -> Iterator[OidcProvider]:
    """oidc-provider-mock on 127.0.0.1, with Maija's bank-ID claims stored."""
    with OidcProvider() as provider:
        provider.set_user("maija", personal_identity_number="131052-308T", name="Maija Meikäläinen")
        yield provider


@pytest.fixture
def fi_app(make_app: Callable[..., Flask], db_url: str, oidc: OidcProvider) -> Flask:
    """An app where Finnish shoppers identify through ``oidc`` (the default strong-auth
    country is FI)."""
    return make_app(
        db_url,
        KASSA_OIDC_ISSUER=oidc.issuer,
        KASSA_OIDC_CLIENT_ID=CLIENT_ID,
        KASSA_OIDC_CLIENT_SECRET=CLIENT_SECRET,
    )
