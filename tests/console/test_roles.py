"""Deny by default: every console route, walked from the app's URL map, with no login and
with each role."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from werkzeug.routing import Rule

from kassa import get_state
from kassa.db import Invoice
from kassa.services.staff import role_rank

from .conftest import Records, csrf, sign_in

#: The sign-in steps; every other console route needs a role.
PUBLIC = {"kassa_console.sign_in", "kassa_console.enter_code", "kassa_console.setup_code",
          "kassa_console.sso_start", "kassa_console.sso_return"}
#: Not found while single sign-on is not set up (test_sso.py walks them when it is).
OFF_UNLESS_SET_UP = {"kassa_console.sso_start", "kassa_console.sso_return"}
#: The role each console route needs; a new route must be added here to pass.
NEEDS = {
    "kassa_console.sign_out": "agent", "kassa_console.queue": "agent",
    "kassa_console.task": "agent", "kassa_console.task_action": "agent",
    "kassa_console.reply": "agent", "kassa_console.resolve": "agent",
    "kassa_console.decide": "agent", "kassa_console.log_call": "agent",
    "kassa_console.invoice_action": "agent", "kassa_console.details": "agent",
    "kassa_console.refund": "supervisor", "kassa_console.credit": "supervisor",
    "kassa_console.payments": "supervisor", "kassa_console.call_script": "agent",
    "kassa_console.attachment": "agent",
    "kassa_console.dashboard": "supervisor", "kassa_console.dashboard_csv": "supervisor",
    "kassa_console.dashboard_chart": "supervisor",
    "kassa_console.audit_log": "admin",
}


def console_requests(app: Flask, records: Records) -> list[tuple[str, str, str]]:
    """``(endpoint, method, path)`` for every console route and method, every choice of an
    ``any(...)`` part included."""
    with get_state(app).db.session() as session:
        number = session.get_one(Invoice, records.invoice_id).number
    values = {"task_id": records.thread_task, "thread_id": records.thread_id,
              "request_id": records.request_id, "number": number,
              "attachment_id": records.attachment_id}
    found = []
    rule: Rule
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("kassa_console."):
            continue
        choices: list[dict[str, Any]] = [{}]
        for name, converter in rule._converters.items():
            if name in values:
                choices = [{**c, name: values[name]} for c in choices]
            else:  # an any(...) converter
                options = re.findall(r"\w+", converter.regex)
                choices = [{**c, name: option} for c in choices for option in options]
        for args in choices:
            path = rule.build({**args})[1]  # type: ignore[index]
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                found.append((rule.endpoint, method, path))
    return found


def test_every_console_route_has_a_declared_role(console_app: Flask, records: Records) -> None:
    endpoints = {endpoint for endpoint, _m, _p in console_requests(console_app, records)}
    assert endpoints == PUBLIC | set(NEEDS)


@pytest.mark.parametrize("role", [None, "agent", "supervisor", "admin"])
def test_role_matrix(console_app: Flask, records: Records, role: str | None) -> None:
    client = console_app.test_client()
    if role:
        sign_in(client, role)
    token = csrf(client, "/kassa/console/sign-in")
    checked = 0
    for endpoint, method, path in console_requests(console_app, records):
        if endpoint == "kassa_console.sign_out":
            continue  # would end the session the walk needs; covered in test_auth
        data = {"csrf_token": token, "until": "2099-01-01", "body": "Hello",
                "outcome": "no_answer", "channel": "email"}
        answer = client.open(path, method=method, data=data if method == "POST" else None)
        where = answer.headers.get("Location", "")
        if endpoint in PUBLIC:
            allowed = (404,) if endpoint in OFF_UNLESS_SET_UP else (200, 302, 401)
            assert answer.status_code in allowed, (path, answer.status_code)
            continue
        need = NEEDS[endpoint]
        if role is None:
            assert answer.status_code == 302 and "/console/sign-in" in where, (method, path)
        elif role_rank(role) < role_rank(need):
            assert answer.status_code == 403, (role, method, path, answer.status_code)
        else:
            assert answer.status_code in (200, 302), (role, method, path, answer.status_code)
            assert "/sign-in" not in where, (role, method, path)
        checked += 1
    assert checked >= len(NEEDS) - 1 + 5  # each any(...) choice of task_action counted


def test_a_post_without_the_csrf_token_changes_nothing(console_app: Flask,
                                                       records: Records) -> None:
    client = console_app.test_client()
    sign_in(client, "agent")
    answer = client.post(f"/kassa/console/tasks/{records.contact_task}/close")
    assert answer.status_code == 400
    assert "expired" in answer.get_data(as_text=True)
    assert client.get(f"/kassa/console/tasks/{records.contact_task}").status_code == 200
    page = client.get("/kassa/console/").get_data(as_text=True)
    assert f"#{records.contact_task}" in page


def test_an_unmarked_view_is_not_found(console_app: Flask) -> None:
    from kassa.console.blueprint import console
    assert console  # the blueprint is registered; a view without requires() is refused
    console_app.view_functions["kassa_console.queue"].__dict__.pop("kassa_console_role")
    try:
        assert console_app.test_client().get("/kassa/console/").status_code == 404
    finally:
        console_app.view_functions["kassa_console.queue"].kassa_console_role = "agent"
