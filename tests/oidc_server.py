"""A real OpenID Connect provider on loopback for tests: oidc-provider-mock in a thread.

oidc-provider-mock is a Flask app built on Authlib's authorization server. It signs real
RS256 ID tokens, publishes its keys at ``/jwks`` and its discovery document at
``/.well-known/openid-configuration``; its issuer is the URL it is reached at, here
``http://127.0.0.1:<free port>``. Any client id and secret are accepted
(``require_client_registration=False``); a nonce is required, as Kassa always sends one.

Who signs in is chosen at the authorization step: the provider's page has a form with a
``sub`` field, and the ID token carries the claims stored for that subject. Tests store
them first with :meth:`OidcProvider.set_user` (``PUT /users/<sub>``), then either let the
browser fill in the form or call :meth:`OidcProvider.sign_in` with the authorization URL.

    with OidcProvider() as provider:
        provider.set_user("maija", personal_identity_number="131052-308T",
                          name="Maija Meikäläinen")
        callback_url = provider.sign_in(authorization_url, "maija")
"""

from __future__ import annotations

import threading
import warnings
from types import TracebackType
from typing import Any

import authlib.deprecate  # noqa: F401  (installs Authlib's own warning filter first)
import pytest
import requests
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from kassa.checkout.identity_provider import forget_discovery

# oidc-provider-mock 0.3 still uses Authlib's deprecated JOSE and JWT-config APIs; those
# warnings are about the test provider, not about Kassa, so they are kept out of the report.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from oidc_provider_mock import app as provider_app

#: Mark for tests that run the provider: its Authlib deprecation warnings are not Kassa's.
ignore_provider_warnings = pytest.mark.filterwarnings("ignore:get_jwt_config:DeprecationWarning")

HOST = "127.0.0.1"


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


class OidcProvider:
    """Runs one provider per ``with`` block; each block has its own users, keys and port."""

    def __init__(self) -> None:
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def issuer(self) -> str:
        """``http://127.0.0.1:<port>``: the issuer the provider puts in its tokens."""
        assert self._server is not None, "the provider is not running"
        return f"http://{HOST}:{self._server.server_port}"

    def __enter__(self) -> OidcProvider:
        self._server = make_server(
            HOST, 0, provider_app(require_nonce=True), threaded=True, request_handler=_QuietHandler
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            daemon=True,
            name="oidc-provider-mock",
        )
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        assert self._server is not None and self._thread is not None
        # A later provider may get this port again, with other keys under the same issuer.
        forget_discovery(self.issuer)
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def set_user(self, sub: str, **claims: Any) -> None:
        """Store the claims the ID token of subject ``sub`` carries (e.g. the identity number
        claim and ``name``)."""
        response = requests.put(f"{self.issuer}/users/{sub}", json=claims, timeout=5)
        assert response.status_code == 204, response.text

    def sign_in(self, authorization_url: str, sub: str) -> str:
        """Complete the provider's authorization page as ``sub``; return the URL the provider
        sends the browser back to (the client's redirect URI with ``code`` and ``state``)."""
        return self._submit(authorization_url, {"sub": sub})

    def deny(self, authorization_url: str) -> str:
        """Press "Deny" on the authorization page; return the redirect with ``error``."""
        return self._submit(authorization_url, {"action": "deny"})

    def _submit(self, authorization_url: str, form: dict[str, str]) -> str:
        assert authorization_url.startswith(self.issuer + "/"), authorization_url
        response = requests.post(authorization_url, data=form, allow_redirects=False, timeout=5)
        assert response.status_code in (302, 303), (response.status_code, response.text[:500])
        return str(response.headers["Location"])
