"""The demo's receiver: the SMS provider, the support team's webhook, the collection partner
and the credit registers (Finland's positive credit register, a Norwegian debt register), all
played by this one page, so a newcomer can watch Kassa's messages arrive.

Kassa reaches it over HTTP exactly as it would reach the real services (the SMS provider's
JSON API with a Bearer key, a Standard Webhooks signed hook); the receiver checks the
signature and keeps what arrived in memory.
"""

from __future__ import annotations

import base64
import json
import os
import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from flask import Flask, abort, jsonify, render_template, request, session

from kassa import get_state
from kassa.core.credit_reporting import reported_delay_days
from kassa.notify.hooks import verify_standard_webhook

from .text import COUNTRY_LOCALE, N_, template_words

SMS_KEY = "demo-sms-key-0123456789"
HOOK_SECRET = "whsec_" + base64.b64encode(b"kassa-demo-hook-secret-32-bytes!").decode()
REGISTER_TOKEN = "demo-register-token-0123456789"
KINDS = {"sms": N_("SMS"), "team": N_("Support team hook"),
         "collection": N_("Collection partner"),
         "register-fi": N_("Finnish positive credit register"),
         "register-no": N_("Norwegian debt register")}


@dataclass(frozen=True)
class Received:
    """One request that arrived."""

    kind: str
    at: datetime
    verified: bool
    body: dict[str, Any]

    @property
    def pretty(self) -> str:
        return json.dumps(self.body, indent=2, ensure_ascii=False)


class Receiver:
    """What arrived, newest first; safe across the dev server's threads."""

    def __init__(self) -> None:
        self._items: list[Received] = []
        self._lock = threading.Lock()

    def add(self, item: Received) -> None:
        with self._lock:
            self._items.insert(0, item)

    def items(self) -> list[Received]:
        with self._lock:
            return list(self._items)


def demo_settings(base_url: str) -> dict[str, Any]:
    """The Kassa settings that point SMS, the team's hook and collection at this receiver."""
    return {
        "KASSA_SMS_URL": f"{base_url}/demo/receiver/sms",
        "KASSA_SMS_API_KEY": SMS_KEY,
        "KASSA_SMS_SENDER": "NordicHome",
        "KASSA_REMINDER_HOOKS": [{"type": "webhook", "url": f"{base_url}/demo/receiver/team",
                                  "secret": HOOK_SECRET}],
        "KASSA_COLLECTION_PARTNER": [{"type": "webhook",
                                      "url": f"{base_url}/demo/receiver/collection",
                                      "secret": HOOK_SECRET}],
        # The fake registers: Finland's positive credit register and a Norwegian debt
        # information company, reached as the real ones would be (docs/credit-reporting.md).
        "KASSA_CREDIT_REPORTING": {
            country: {"url": f"{base_url}/demo/receiver/register-{country.lower()}",
                      "token": REGISTER_TOKEN, "secret": HOOK_SECRET}
            for country in ("FI", "NO")},
    }


def register_receiver(app: Flask, receiver: Receiver) -> None:
    """Add ``POST /demo/receiver/<kind>`` and the page ``GET /demo/receiver``."""

    @app.post("/demo/receiver/<kind>")
    def receive(kind: str) -> Any:
        if kind not in KINDS:
            abort(404)
        raw = request.get_data()
        if kind == "sms":
            verified = request.headers.get("Authorization") == f"Bearer {SMS_KEY}"
        elif kind.startswith("register-"):
            verified = (request.headers.get("Authorization") == f"Bearer {REGISTER_TOKEN}"
                        and verify_standard_webhook(HOOK_SECRET, dict(request.headers), raw,
                                                    datetime.now(UTC)))
        else:
            verified = verify_standard_webhook(HOOK_SECRET, dict(request.headers), raw,
                                               datetime.now(UTC))
        if not verified:
            return jsonify(error="not verified"), 401
        receiver.add(Received(kind, datetime.now(UTC), verified, json.loads(raw or b"{}")))
        return jsonify(id=f"demo-{os.urandom(4).hex()}")

    @app.get("/demo/receiver")
    def receiver_page() -> str:
        country = str(session.get("country") or "FI").upper()
        locale = COUNTRY_LOCALE.get(country, "fi")
        return render_template("receiver.html", items=receiver.items(), kinds=KINDS,
                               locale=locale, delay_days=_finnish_delay_days(),
                               **template_words(locale))


def _finnish_delay_days() -> int | None:
    """Days an instalment may be late before Finland's register hears of it, if Kassa reports
    there (the law's number, from Kassa's rules)."""
    config = get_state().config
    if "FI" not in config.credit_reporting:
        return None
    return reported_delay_days("FI", config.rulebook, date.today())
