"""The demo shop's client for Kassa's storefront API, over HTTP like any storefront."""

from __future__ import annotations

from typing import Any

import requests


class KassaApiError(Exception):
    """Kassa refused a request; ``code`` is its stable error code."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message


class KassaClient:
    """Calls ``{base_url}/api/v1/...`` with the storefront's API key."""

    def __init__(self, base_url: str, api_key: str, *, timeout: float = 10) -> None:
        self.base_url = base_url.rstrip("/") + "/api/v1"
        self.timeout = timeout
        self._http = requests.Session()
        self._http.headers["Authorization"] = f"Bearer {api_key}"

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        response = self._http.request(method, f"{self.base_url}/{path}", timeout=self.timeout,
                                      **kwargs)
        body = response.json() if response.content else {}
        if response.status_code >= 400:
            raise KassaApiError(response.status_code, body.get("code", "unknown"),
                                body.get("message", response.text[:200]))
        return body

    def offers(self, amount: int, currency: str, country: str) -> dict[str, Any]:
        """Every payment option for ``amount`` minor units."""
        return self._call("GET", "offers", params={"amount": amount, "currency": currency,
                                                   "country": country})

    def create_checkout_session(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Open a checkout session; the answer has the hosted page's ``url``."""
        return self._call("POST", "checkout-sessions", json=payload)

    def checkout_session(self, session_id: str) -> dict[str, Any]:
        """A session's status and what it produced."""
        return self._call("GET", f"checkout-sessions/{session_id}")

    def invoice(self, number: str) -> dict[str, Any]:
        """An invoice with its event trail."""
        return self._call("GET", f"invoices/{number}")
