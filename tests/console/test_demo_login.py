"""``make demo`` prints a staff login: it opens the console (the admin then sets up a code)."""

from __future__ import annotations

from typing import Any

from demo_shop.run import STAFF_EMAIL, STAFF_PASSWORD, demo_app, seed
from kassa import get_state
from kassa.db import migrate

from .conftest import csrf


def test_the_printed_staff_login_signs_in(tmp_path: Any) -> None:
    app = demo_app(5999, str(tmp_path))
    try:
        migrate.upgrade(get_state(app).db)
        seed(app)
        seed(app)  # a second start finds the user and adds nobody
        client = app.test_client()
        answer = client.post("/kassa/console/sign-in", data={
            "csrf_token": csrf(client), "email": STAFF_EMAIL, "password": STAFF_PASSWORD})
        assert answer.status_code == 302
        assert answer.headers["Location"].endswith("/kassa/console/sign-in/set-up-code")
        assert "<svg" in client.get(answer.headers["Location"]).get_data(as_text=True)
    finally:
        get_state(app).db.dispose()
