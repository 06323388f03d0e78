"""Requests per second of the storefront API's ``GET offers`` and of the hosted checkout page,
each against a bare Flask route of the same app, through the same harness (werkzeug's test
client in a loop), on a temporary SQLite file.

Run: ``.venv/bin/python bench/bench_api.py [--seconds 2]``. Prints, e.g.,
``offers, same amount: 3300 rps, bare: 4400 rps, ratio 0.75`` (and a line for new amounts).
"""

from __future__ import annotations

import argparse
import os
import pathlib
import secrets
import sys
import tempfile
import time
from urllib.parse import urlsplit

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from cryptography.fernet import Fernet  # noqa: E402
from flask import Flask, jsonify  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402

from kassa import Kassa  # noqa: E402
from kassa.db import migrate  # noqa: E402

API_KEY = "bench-" + "k" * 32
ORDER = {
    "order": {
        "reference": "BENCH-1",
        "currency": "EUR",
        "country": "FI",
        "total": 124990,
        "lines": [
            {"description": "Sauna stove", "quantity": 1, "unit_price": 124990, "vat_rate": "25.5"}
        ],
    },
    "customer": {"name": "Maija Meikäläinen", "email": "maija@example.fi"},
    "locale": "fi",
    "return_url": "http://127.0.0.1/done",
    "cancel_url": "http://127.0.0.1/cart",
}


def build_app(database: str) -> Flask:
    """A Kassa app on ``database`` with one storefront key and a bare JSON route."""
    app = Flask("kassa_bench")
    app.config.update(
        SECRET_KEY=secrets.token_urlsafe(32),
        KASSA_ENCRYPTION_KEY=Fernet.generate_key().decode(),
        KASSA_DATABASE_URL=f"sqlite:///{database}",
        KASSA_PUBLIC_URL="http://127.0.0.1:5000",
        KASSA_API_KEYS={"bench": API_KEY},
        # The bench sends one storefront's calls as fast as it can: the limit stays counted
        # (its cost is part of the figure) but high enough never to refuse one.
        KASSA_RATE_LIMITS={"api_per_storefront": "100000000 per minute"},
    )
    Kassa(app)
    migrate.upgrade(app.extensions["kassa"].db)

    @app.get("/bare")
    def bare():  # type: ignore[no-untyped-def]
        return jsonify(ok=True, amount=124990)

    return app


def requests_per_second(client: FlaskClient, url: str, seconds: float) -> float:
    """Send GET ``url`` in a loop for ``seconds``; every answer must be 200. A ``{n}`` in
    the URL becomes a new number each time (an amount no request asked for before)."""
    for n in range(20):  # warm caches, compile templates
        _get(client, url.format(n=10_000 + n))
    count, start = 0, time.perf_counter()
    deadline = start + seconds
    while time.perf_counter() < deadline:
        _get(client, url.format(n=20_000 + count))
        count += 1
    return count / (time.perf_counter() - start)


def _get(client: FlaskClient, url: str) -> None:
    response = client.get(url)
    if response.status_code != 200:
        raise SystemExit(f"GET {url} answered {response.status_code}: {response.data[:200]!r}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="time per measurement")
    options, _unknown = parser.parse_known_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        app = build_app(os.path.join(folder, "kassa.sqlite3"))
        client = app.test_client()
        created = client.post(
            "/kassa/api/v1/checkout-sessions",
            json=ORDER,
            headers={"Authorization": f"Bearer {API_KEY}"},
        )
        if created.status_code != 201:
            raise SystemExit(f"creating a session failed: {created.get_json()}")
        hosted = urlsplit(created.get_json()["url"]).path
        has_hosted_page = "kassa_checkout.hosted" in app.view_functions

        targets: list[tuple[str, str]] = [
            # The widget on a product page: every visitor asks for the same price.
            ("offers, same amount", "/kassa/api/v1/offers?amount=124990&currency=EUR&country=FI"),
            # A cart: every request a new amount, computed afresh (schedules and APR).
            ("offers, new amount each time",
             "/kassa/api/v1/offers?amount={n}&currency=EUR&country=FI"),
        ]
        if has_hosted_page:
            targets.append(("hosted checkout page", hosted))
        for name, url in targets:
            bare = requests_per_second(client, "/bare", options.seconds)
            rps = requests_per_second(client, url, options.seconds)
            print(
                f"{name}: {rps:.0f} rps, bare: {bare:.0f} rps, ratio {rps / bare:.2f}", flush=True
            )
        if not has_hosted_page:
            print("hosted checkout page: not measured, kassa_checkout.hosted is not registered")
        app.extensions["kassa"].db.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
