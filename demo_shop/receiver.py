"""The demo's receiver: the SMS provider, the support team's webhook and the collection
partner, all played by this one page, so a newcomer can watch Kassa's messages arrive.

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
from datetime import UTC, datetime
from typing import Any

from flask import Flask, abort, jsonify, render_template, request

from kassa.notify.hooks import verify_standard_webhook

SMS_KEY = "demo-sms-key-0123456789"
HOOK_SECRET = "whsec_" + base64.b64encode(b"kassa-demo-hook-secret-32-bytes!").decode()
KINDS = {"sms": "SMS", "team": "Support team hook", "collection": "Collection partner"}


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
        else:
            verified = verify_standard_webhook(HOOK_SECRET, dict(request.headers), raw,
                                               datetime.now(UTC))
        if not verified:
            return jsonify(error="not verified"), 401
        receiver.add(Received(kind, datetime.now(UTC), verified, json.loads(raw or b"{}")))
        return jsonify(id=f"demo-{os.urandom(4).hex()}")

    @app.get("/demo/receiver")
    def receiver_page() -> str:
        return render_template("receiver.html", items=receiver.items(), kinds=KINDS)
