"""Whatever a client sends, the API answers as its OpenAPI document says: never a 500, only
documented status codes, and bodies of the documented schemas.

Schemathesis reads the served ``openapi.json`` and calls the app in-process (WSGI) on SQLite:
every operation with schema-valid input (positive) and with input that breaks the schema
(negative), then sequences along the document's links (create a session, confirm it with its
client secret, read it, cancel it, look at and hold the invoices it issued). Generation is
derandomized and bounded, so a run is the same every time and takes seconds.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ensure_resource_availability,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import delete

from kassa import get_state
from kassa.db.models import Base

from .support import API, API_KEYS, KEY, SE_ID, order_payload

#: Examples per operation and generation mode, and sequences along the links.
MAX_EXAMPLES = 25
SEQUENCES = 50
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
HYPOTHESIS = settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None,
                      database=None, suppress_health_check=list(HealthCheck),
                      phases=[Phase.explicit, Phase.generate])
_AUTH = {"Authorization": f"Bearer {KEY}"}
_CONFIRM = "POST /checkout-sessions/{session_id}/confirm"
_CREATE = "POST /checkout-sessions"


@dataclass
class Tally:
    """What a run did: cases per operation and the failures found (operation, report)."""

    cases: dict[str, int] = field(default_factory=dict)
    failures: list[tuple[str, str]] = field(default_factory=list)
    #: Confirmations that carried the client secret of a session opened before them.
    linked: int = 0

    def count(self, label: str) -> None:
        self.cases[label] = self.cases.get(label, 0) + 1


@pytest.fixture
def api_app(make_app: Callable[..., Flask], tmp_path: Any) -> Flask:
    """An app on its own SQLite file with the test storefronts' keys."""
    return make_app(f"sqlite:///{tmp_path / 'schemathesis.sqlite3'}", KASSA_API_KEYS=API_KEYS,
                    KASSA_STRONG_AUTH_COUNTRIES=[])


@pytest.fixture
def api_schema(api_app: Flask) -> Any:
    config = schemathesis.Config.from_dict({"generation": {
        # A query parameter the API does not know is ignored, as HTTP APIs do; not a failure.
        "allow-extra-parameters": False,
        # Sequences send valid input (run_operations asks for each mode itself).
        "mode": "positive",
        "max-examples": MAX_EXAMPLES,
        "deterministic": True,
    }})
    return schemathesis.openapi.from_wsgi(f"{API}/openapi.json", api_app, config=config)


def well_formed_order(body: Any) -> Any:
    """A generated checkout-session body with a Swedish order whose total adds up, so that
    half the cases reach the code past the totals check; the reference stays generated."""
    if not isinstance(body, dict):
        return body
    order = body.get("order")
    reference = order.get("reference") if isinstance(order, dict) else None
    good = order_payload(country="SE", reference=reference if isinstance(reference, str)
                         and reference.strip() else "A-100")
    return {**good, **{k: v for k, v in body.items() if k not in good}}


def well_formed_confirmation(body: Any) -> Any:
    """A generated confirmation with an offer, identity and consent that can succeed."""
    if not isinstance(body, dict):
        return body
    return {**body, "offer_id": "se-invoice-14", "channel": "email", "personal_id": SE_ID,
            "consent": True}


def _heads(body: Any) -> bool:
    """A coin flip decided by the generated body: the same body always lands the same."""
    text = json.dumps(body, sort_keys=True, default=repr)
    return zlib.crc32(text.encode("utf-8", "surrogatepass")) % 2 == 0


def _drop_header(case: Any, name: str) -> None:
    for key in [k for k in (case.headers or {}) if k.lower() == name.lower()]:
        del case.headers[key]


def _report(exc: BaseException) -> str:
    return str(exc).strip()[:3000]


def run_operations(schema: Any, mode: Any, checks: list[Any]) -> Tally:
    """Every operation of the document with ``MAX_EXAMPLES`` generated cases in ``mode``."""
    tally = Tally()
    for result in schema.get_all_operations():
        operation = result.ok()

        @HYPOTHESIS
        @given(case=operation.as_strategy(mode), consistent=st.booleans())
        def call(case: Any, consistent: bool) -> None:
            label = case.operation.label
            tally.count(label)
            # A negative case stays as generated: the fix-up would make it valid.
            if consistent and label == _CREATE and mode == GenerationMode.POSITIVE:
                case.body = well_formed_order(case.body)
            case.call_and_validate(headers=_AUTH, checks=checks)

        try:
            call()
        except (Exception, BaseExceptionGroup) as exc:  # noqa: B036 - FailureGroup included
            tally.failures.append((operation.label, _report(exc)))
    return tally


def test_no_generated_request_breaks_an_operation(api_schema: Any) -> None:
    positive = run_operations(api_schema, GenerationMode.POSITIVE, CHECKS)
    negative = run_operations(api_schema, GenerationMode.NEGATIVE,
                              [*CHECKS, negative_data_rejection])
    _summary("positive", positive)
    _summary("negative", negative)
    assert len(positive.cases) == len(list(api_schema.get_all_operations()))
    assert sum(positive.cases.values()) >= 5 * len(positive.cases)
    assert not positive.failures, _failures(positive)
    assert not negative.failures, _failures(negative)


def test_no_sequence_along_the_links_breaks_the_api(api_app: Flask, api_schema: Any) -> None:
    tally = Tally()
    sessions: set[str] = set()
    secrets: dict[str, str] = {}

    # The operations the links join; the others are covered one by one above.
    linked = api_schema.include(path_regex="^/(checkout-sessions|orders|invoices)")

    class Sequences(linked.as_state_machine()):  # type: ignore[misc]
        """Steps along the links; half the sessions and confirmations are well formed."""

        def before_call(self, case: Any) -> None:
            label = case.operation.label
            tally.count(label)
            opened = secrets.get((case.path_parameters or {}).get("session_id", ""))
            # About half the sessions and the confirmations of sessions opened in this sequence
            # are made well formed, chosen by the generated body itself so that Hypothesis can
            # replay a sequence.
            if label == _CREATE and _heads(case.body):
                case.body = well_formed_order(case.body)
                _drop_header(case, "Idempotency-Key")
            elif label == _CONFIRM and opened:
                # The shopper's browser: the secret in the body, no Bearer token.
                _drop_header(case, "Authorization")
                tally.linked += 1
                if _heads(case.body):
                    case.body = {**well_formed_confirmation(case.body), "client_secret": opened}
                    _drop_header(case, "Idempotency-Key")

        def setup(self) -> None:
            # Each sequence starts from an empty database and fresh rate-limit counts, as a
            # replay of it must.
            secrets.clear()
            get_state(api_app).limiter.reset()
            with get_state(api_app).db.session() as db:
                for table in reversed(Base.metadata.sorted_tables):
                    if table.name != "kassa_alembic_version":
                        db.execute(delete(table))

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            # The shopper confirms with the session's secret, never the storefront's key; the
            # storefront calls everything else with its key.
            return {} if case.operation.label == _CONFIRM else {"headers": _AUTH}

        def after_call(self, response: Any, case: Any) -> None:
            if case.operation.label == _CREATE and response.status_code == 201:
                secrets[response.json()["id"]] = response.json()["client_secret"]
                sessions.add(response.json()["id"])

        def validate_response(self, response: Any, case: Any,
                              additional_checks: Any = None, **kwargs: Any) -> None:
            case.validate_response(response, checks=[*CHECKS, ensure_resource_availability],
                                   transport_kwargs=kwargs)

    try:
        Sequences.run(settings=settings(HYPOTHESIS, max_examples=SEQUENCES,
                                        stateful_step_count=6))
    except (Exception, BaseExceptionGroup) as exc:  # noqa: B036 - FailureGroup included
        tally.failures.append(("sequence", _report(exc)))
    _summary("stateful", tally)
    assert not tally.failures, _failures(tally)
    # The links were walked: sessions were opened, and confirmed with their secret.
    assert sessions and tally.linked > 0


def _summary(name: str, tally: Tally) -> None:
    print(f"\nschemathesis {name}: {len(tally.cases)} operations, "
          f"{sum(tally.cases.values())} cases, {len(tally.failures)} failures"
          + (f", {tally.linked} confirmations along a link" if tally.linked else ""))
    for label, number in sorted(tally.cases.items()):
        print(f"  {number:4d}  {label}")


def _failures(tally: Tally) -> str:
    return "\n\n".join(f"{label}:\n{report}" for label, report in tally.failures)
