"""One small HTTP sender for every outbound hook, SMS and hand-over request.

:func:`post` sends one request and classifies the answer into a :class:`DeliveryResult` that
the outbox acts on, following the sender rules of the Standard Webhooks specification
(https://www.standardwebhooks.com/):

=========================  ======  =========  ===========  ==================================
answer                     ok      retry      disable      note
=========================  ======  =========  ===========  ==================================
2xx                        yes     no         no
410 Gone                   no      no         yes          the receiver asks us to stop
408, 429, 5xx              no      yes        no           ``retry_after`` from Retry-After
other 4xx                  no      no         no           permanent: request or credentials
3xx                        no      no         no           redirects are never followed
timeout, connection error  no      yes        no
=========================  ======  =========  ===========  ==================================

Error texts never contain the URL: a Slack webhook URL is itself a credential, and the text
ends up in ``OutboxMessage.last_error``.

A URL that answered 410 is not called again: the outbox records it
(:class:`~kassa.db.models.GoneEndpoint`, by :func:`endpoint_digest`) and, while a sender
runs, names the gone ones through :func:`refusing`; :func:`post` then answers for them
without sending anything.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import requests

__all__ = [
    "DEFAULT_TIMEOUT",
    "DeliveryResult",
    "classify",
    "endpoint_digest",
    "id_from_json",
    "parse_retry_after",
    "post",
    "refusing",
]

#: Seconds to wait for a receiver (connect and read each); the spec asks for 15 to 30 s.
DEFAULT_TIMEOUT = 15.0
#: Statuses worth trying again later besides 5xx: request timeout and rate limiting.
_RETRY_STATUSES = frozenset({408, 429})
_USER_AGENT = "Kassa-notify/1"


@dataclass(frozen=True)
class DeliveryResult:
    """What became of one delivery attempt.

    ``ok`` delivered; otherwise ``retry`` says whether trying again later can help and
    ``disable`` that the receiver asked never to be called again (410). ``status`` is the
    HTTP status (None when no answer came), ``error`` an English, URL-free description,
    ``retry_after`` the seconds the receiver asked us to wait, ``external_id`` the
    receiver's id of what it created (an SMS provider's message id), where it gives one, and
    ``endpoint`` the :func:`endpoint_digest` of the URL that asked to be disabled.
    """

    ok: bool
    retry: bool
    disable: bool
    status: int | None
    error: str | None
    retry_after: int | None
    external_id: str | None = None
    endpoint: str | None = None

    @classmethod
    def failed(cls, error: str, *, retry: bool = False) -> DeliveryResult:
        """A failure found before any request was sent (bad input, missing settings)."""
        return cls(ok=False, retry=retry, disable=False, status=None, error=error, retry_after=None)


#: The gone endpoints while a sender runs: digest -> the error to report instead of sending.
_GONE: ContextVar[Mapping[str, str] | None] = ContextVar("kassa_gone_endpoints", default=None)


def endpoint_digest(url: str) -> str:
    """How a receiver URL is kept once it is gone: SHA-256, hexadecimal."""
    return hashlib.sha256(url.encode()).hexdigest()


@contextmanager
def refusing(gone: Mapping[str, str]) -> Iterator[None]:
    """While the block runs, :func:`post` sends nothing to the endpoints in ``gone`` (by
    :func:`endpoint_digest`) and fails with the error given for each instead."""
    token = _GONE.set(gone)
    try:
        yield
    finally:
        _GONE.reset(token)


def parse_retry_after(value: str | None, now: datetime | None = None) -> int | None:
    """Seconds from a ``Retry-After`` header: delta-seconds or an HTTP date; None if absent."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return int(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0, int((when - (now or datetime.now(UTC))).total_seconds()))


def classify(status: int, headers: Mapping[str, str], body: bytes = b"") -> DeliveryResult:
    """The :class:`DeliveryResult` of an HTTP answer (see the module's table)."""
    if 200 <= status < 300:
        return DeliveryResult(
            ok=True, retry=False, disable=False, status=status, error=None, retry_after=None
        )
    snippet = body[:200].decode("utf-8", "replace").strip()
    detail = f": {snippet}" if snippet else ""
    if status == 410:
        return DeliveryResult(
            ok=False,
            retry=False,
            disable=True,
            status=status,
            error=f"HTTP 410 Gone: the receiver asks to be disabled{detail}",
            retry_after=None,
        )
    if 300 <= status < 400:
        return DeliveryResult(
            ok=False,
            retry=False,
            disable=False,
            status=status,
            error=f"HTTP {status}: redirects are not followed; configure the final URL",
            retry_after=None,
        )
    retry = status in _RETRY_STATUSES or status >= 500
    return DeliveryResult(
        ok=False,
        retry=retry,
        disable=False,
        status=status,
        error=f"HTTP {status}{detail}",
        retry_after=parse_retry_after(headers.get("Retry-After")) if retry else None,
    )


def id_from_json(answer: Any) -> str | None:
    """The ``"id"`` of a JSON object answer such as ``{"id": "msg_123"}``, else None."""
    found = answer.get("id") if isinstance(answer, dict) else None
    return None if found in (None, "") else str(found)


def post(
    url: str,
    *,
    body: bytes,
    headers: Mapping[str, str],
    timeout: float = DEFAULT_TIMEOUT,
    auth: tuple[str, str] | None = None,
    external_id: Callable[[Any], str | None] | None = None,
) -> DeliveryResult:
    """POST ``body`` to ``url`` once and classify the answer; never raises for HTTP trouble.

    ``timeout`` is in seconds. Redirects are not followed (a 3xx is a failure). ``auth`` is
    sent as HTTP Basic. ``external_id``, given the decoded JSON of a 2xx answer, returns the
    receiver's id for :attr:`DeliveryResult.external_id`.
    """
    digest = endpoint_digest(url)
    gone = (_GONE.get() or {}).get(digest)
    if gone is not None:
        return DeliveryResult.failed(gone)
    sent_headers = {"User-Agent": _USER_AGENT, **headers}
    try:
        response = requests.post(
            url, data=body, headers=sent_headers, auth=auth, timeout=timeout, allow_redirects=False
        )
    except requests.Timeout:
        return DeliveryResult.failed(f"no answer within {timeout:g} s", retry=True)
    except requests.ConnectionError as exc:
        # str(exc) names the URL, which may be a secret (Slack): only the kind is kept.
        return DeliveryResult.failed(f"connection failed ({type(exc).__name__})", retry=True)
    except requests.RequestException as exc:
        return DeliveryResult.failed(f"request failed ({type(exc).__name__})")
    with response:
        result = classify(response.status_code, response.headers, response.content)
        if result.disable:
            return dataclasses.replace(result, endpoint=digest)
        if not result.ok or external_id is None:
            return result
        try:
            found = external_id(response.json())
        except (ValueError, LookupError, TypeError, AttributeError):
            found = None  # delivered all the same; only the receiver's id is unknown
    return DeliveryResult(
        ok=True,
        retry=False,
        disable=False,
        status=result.status,
        error=None,
        retry_after=None,
        external_id=found,
    )
