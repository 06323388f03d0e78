"""Strong electronic identification of shoppers through an OpenID Connect identity broker.

Where the law or the merchant asks for strong identification (``KASSA_STRONG_AUTH_COUNTRIES``,
Finland by default), the shopper's identity number is never typed: it comes only from an ID
token that the broker (FTN, BankID, a commercial broker) signed, checked here against the
broker's published keys. :class:`IdentityProvider` is the small interface the checkout pages
use; :class:`OidcIdentityProvider` implements it with Authlib's OAuth 2 client and its OpenID
Connect ID-token claims (signature checked with joserfc, which Authlib 1.6+ uses for JOSE).

A host app can put its own provider (anything with the two methods) at
``app.extensions["kassa_identity_provider"]``; otherwise Kassa builds an
:class:`OidcIdentityProvider` from the ``KASSA_OIDC_*`` settings.
"""

from __future__ import annotations

import hmac
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.requests_client import OAuth2Session
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import BadSignatureError, InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry

from ..core.errors import KassaError

__all__ = [
    "IdentificationError",
    "IdentityProvider",
    "OidcIdentityProvider",
    "VerifiedIdentity",
]

#: Seconds of clock difference tolerated between Kassa and the broker when checking ``exp``.
CLOCK_LEEWAY_SECONDS = 60


class IdentificationError(KassaError):
    """Identification did not give a verified identity. ``code`` is one of
    ``identification.denied`` (the shopper cancelled), ``identification.state`` (the answer
    does not belong to this browser's request), ``identification.token`` (the ID token failed
    a check), ``identification.claim`` (the token lacks the identity number) or
    ``identification.failed`` (the broker could not be reached or answered with an error)."""

    code = "identification.failed"


@dataclass(frozen=True)
class VerifiedIdentity:
    """What a broker vouched for: the identity number (as the broker wrote it) and the name."""

    #: The national identity number from the signed ID token. Sensitive: left out of repr.
    personal_id: str = field(repr=False)
    name: str


class IdentityProvider(Protocol):
    """The two steps of a redirect-based identification."""

    def authorization_url(self, state: str, nonce: str, redirect_uri: str, locale: str, *,
                          login_hint: str | None = None) -> str:
        """Where to send the shopper's browser to identify; the broker comes back to
        ``redirect_uri`` with ``state``. ``locale`` is a hint for the broker's pages;
        ``login_hint``, when set, tells the broker what the shopper signs in for."""
        ...

    def verified_identity(
        self, args: Mapping[str, str], *, state: str, nonce: str, redirect_uri: str
    ) -> VerifiedIdentity:
        """Check the broker's answer (the callback's query ``args``) against the ``state`` and
        ``nonce`` Kassa sent, and return the verified identity.

        Raises :class:`IdentificationError`.
        """
        ...


_cache_lock = threading.Lock()
#: Discovery documents and key sets per issuer, shared by every app in the process: they are
#: public and change rarely (a key set is fetched again when a token names an unknown key).
_discovery: dict[str, dict[str, Any]] = {}
_key_sets: dict[str, dict[str, Any]] = {}


class OidcIdentityProvider:
    """An OpenID Connect broker used with the authorization code flow.

    :param issuer: the broker's issuer URL; its discovery document is read from
        ``{issuer}/.well-known/openid-configuration`` once per process and must name the
        same issuer.
    :param personal_id_claim: the ID-token claim that holds the identity number.
    :param timeout: seconds to wait for each request to the broker.
    :param scope: the scopes asked for (``openid email profile`` for staff sign-on by the
        ``email`` claim).
    """

    def __init__(
        self,
        issuer: str,
        client_id: str,
        client_secret: str | None,
        personal_id_claim: str,
        *,
        timeout: float = 10.0,
        scope: str = "openid profile",
    ) -> None:
        self.scope = scope
        self.issuer = issuer.rstrip("/")
        self.client_id = client_id
        self._client_secret = client_secret
        self.personal_id_claim = personal_id_claim
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"<OidcIdentityProvider {self.issuer} client={self.client_id}>"

    # -- the interface ------------------------------------------------------------------------

    def authorization_url(self, state: str, nonce: str, redirect_uri: str, locale: str, *,
                          login_hint: str | None = None) -> str:
        """The broker's authorization endpoint with this request's parameters."""
        metadata = self._metadata()
        extra = {"login_hint": login_hint} if login_hint else {}
        with self._client(redirect_uri) as client:
            url, _state = client.create_authorization_url(
                metadata["authorization_endpoint"], state=state, nonce=nonce, ui_locales=locale,
                **extra,
            )
        return str(url)

    def verified_identity(
        self, args: Mapping[str, str], *, state: str, nonce: str, redirect_uri: str
    ) -> VerifiedIdentity:
        """Exchange the code for tokens and read the identity from the checked ID token."""
        # An error answer grants nothing, so it is reported even without a matching state
        # (some brokers leave the state out when the shopper cancels).
        if args.get("error"):
            code = (
                "identification.denied"
                if args["error"] == "access_denied"
                else "identification.failed"
            )
            raise IdentificationError(
                f"the broker answered {args['error']!r}", code=code, error=str(args["error"])
            )
        if not hmac.compare_digest(str(args.get("state", "")), state):
            raise IdentificationError(
                "the answer's state does not match the request", code="identification.state"
            )
        if not args.get("code"):
            raise IdentificationError("the broker's answer has no authorization code")
        metadata = self._metadata()
        try:
            with self._client(redirect_uri) as client:
                token = client.fetch_token(
                    metadata["token_endpoint"],
                    grant_type="authorization_code",
                    code=args["code"],
                    redirect_uri=redirect_uri,
                    timeout=self.timeout,
                )
        except (AuthlibBaseError, requests.RequestException, ValueError) as exc:
            raise IdentificationError(f"the token request failed: {exc}") from None
        if not token.get("id_token"):
            raise IdentificationError("the broker sent no ID token", code="identification.token")
        claims = self._checked_claims(token, nonce, metadata)
        personal_id = claims.get(self.personal_id_claim)
        if not isinstance(personal_id, str) or not personal_id.strip():
            raise IdentificationError(
                f"the ID token has no {self.personal_id_claim!r} claim",
                code="identification.claim",
                claim=self.personal_id_claim,
            )
        return VerifiedIdentity(personal_id=personal_id.strip(), name=_name(claims))

    # -- the parts ----------------------------------------------------------------------------

    def _client(self, redirect_uri: str) -> OAuth2Session:
        return OAuth2Session(
            self.client_id,
            self._client_secret,
            scope=self.scope,
            redirect_uri=redirect_uri,
            token_endpoint_auth_method="client_secret_basic",
        )

    def _checked_claims(
        self, token: Mapping[str, Any], nonce: str, metadata: Mapping[str, Any]
    ) -> CodeIDToken:
        registry = JWSRegistry(
            algorithms=list(metadata.get("id_token_signing_alg_values_supported") or ["RS256"]),
            strict_check_header=False,
        )
        try:
            try:
                decoded = jwt.decode(token["id_token"], self._key_set(), registry=registry)
            except (InvalidKeyIdError, BadSignatureError):
                # The broker rotated its keys since they were fetched (a broker that names no
                # key id shows this only as a bad signature): fetch them once more and retry.
                decoded = jwt.decode(
                    token["id_token"], self._key_set(refresh=True), registry=registry
                )
            claims = CodeIDToken(
                decoded.claims,
                decoded.header,
                {
                    "iss": {"essential": True, "value": self.issuer},
                    "aud": {"essential": True, "value": self.client_id},
                },
                {
                    "nonce": nonce,
                    "client_id": self.client_id,
                    "access_token": token.get("access_token"),
                },
            )
            claims.validate(leeway=CLOCK_LEEWAY_SECONDS)
        except (JoseError, ValueError) as exc:
            raise IdentificationError(
                f"the ID token failed a check: {exc}", code="identification.token"
            ) from None
        return claims

    def _metadata(self) -> dict[str, Any]:
        with _cache_lock:
            cached = _discovery.get(self.issuer)
        if cached is not None:
            return cached
        document = self._get_json(f"{self.issuer}/.well-known/openid-configuration")
        if str(document.get("issuer", "")).rstrip("/") != self.issuer:
            raise IdentificationError(
                f"the discovery document names issuer "
                f"{document.get('issuer')!r}, not {self.issuer!r}"
            )
        for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            if not isinstance(document.get(key), str):
                raise IdentificationError(f"the discovery document has no {key}")
        with _cache_lock:
            _discovery[self.issuer] = document
        return document

    def _key_set(self, *, refresh: bool = False) -> KeySet:
        with _cache_lock:
            cached = None if refresh else _key_sets.get(self.issuer)
        if cached is None:
            cached = self._get_json(self._metadata()["jwks_uri"])
            with _cache_lock:
                _key_sets[self.issuer] = cached
        return KeySet.import_key_set(cached)  # type: ignore[arg-type]

    def _get_json(self, url: str) -> dict[str, Any]:
        try:
            response = requests.get(url, timeout=self.timeout)
            response.raise_for_status()
            document = response.json()
        except (requests.RequestException, ValueError) as exc:
            raise IdentificationError(f"cannot read {url}: {exc}") from None
        if not isinstance(document, dict):
            raise IdentificationError(f"{url} did not answer with a JSON object")
        return document


def _name(claims: Mapping[str, Any]) -> str:
    """The verified full name: ``name``, else ``given_name`` + ``family_name``."""
    name = claims.get("name")
    if isinstance(name, str) and name.strip():
        return name.strip()
    parts = [claims.get("given_name"), claims.get("family_name")]
    return " ".join(p.strip() for p in parts if isinstance(p, str) and p.strip())


def forget_discovery(issuer: str | None = None) -> None:
    """Drop cached discovery documents and key sets (of one issuer, or all)."""
    with _cache_lock:
        if issuer is None:
            _discovery.clear()
            _key_sets.clear()
        else:
            _discovery.pop(issuer.rstrip("/"), None)
            _key_sets.pop(issuer.rstrip("/"), None)
