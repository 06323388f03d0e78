"""A fake credit register on loopback that speaks Kassa's register protocol, for the demo and
the tests.

One server answers for the three countries, each at its own path (``/fi``, ``/se``, ``/no``),
as three registers would: ``POST {"country", "personal_id", "purpose", "amount", "currency"}``
answers ``{"credit_ban", "unsecured_debt", "payment_defaults", "annual_income", "currency",
"reference"}`` (docs/consumer-credit.md, "The register protocol"). The people it knows are
:data:`DEMO_REGISTER_PEOPLE`; anyone else has no debt and no defaults. The Swedish path
reports no credit ban (``null``): Swedish credit bureaus have no statutory voluntary ban.

    with FakeCreditRegister() as register:
        app = make_app(..., **register.settings())
        register.fail_with = 503          # the register is down
        register.requests[-1]["personal_id"]

A real register is never called from here: the numbers below are made-up test numbers.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from types import TracebackType
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from kassa.core.identity import parse_personal_id

#: Which countries' registers report a voluntary credit ban (docs/consumer-credit.md).
REPORTS_BAN = {"FI": True, "SE": False, "NO": True}

#: What the demo register says about some people (identity number as typed -> answer).
#: Amounts in cents / öre / øre. Maija, Sven and Kari are the demo's usual shoppers.
DEMO_REGISTER_PEOPLE: dict[tuple[str, str], dict[str, Any]] = {
    # Finland: the positive credit register reports credits, income and the credit ban.
    ("FI", "131052-308T"): {"unsecured_debt": 120_000, "annual_income": 3_800_000},
    ("FI", "150385-212V"): {"credit_ban": True, "unsecured_debt": 0,
                            "annual_income": 3_100_000},
    ("FI", "240790-346H"): {"unsecured_debt": 2_400_000, "annual_income": 4_400_000},
    # Sweden: a credit bureau reports debts, payment remarks and taxed income, no ban.
    ("SE", "19811218-9876"): {"unsecured_debt": 1_500_000, "annual_income": 42_000_000},
    ("SE", "19850315-2343"): {"unsecured_debt": 300_000, "payment_defaults": 2,
                              "annual_income": 31_000_000},
    ("SE", "19900724-3455"): {"unsecured_debt": 24_000_000, "annual_income": 45_000_000},
    # Norway: debt information (unsecured debt) and the credit bureaus' kredittsperre.
    ("NO", "01010750160"): {"unsecured_debt": 1_000_000},
    ("NO", "15038510190"): {"credit_ban": True, "unsecured_debt": 0},
    ("NO", "24079010045"): {"unsecured_debt": 26_000_000},
}

#: Who to type (or sign in as) in the demo to see each answer.
DEMO_REGISTER_GUIDE = (
    "credit ban: FI bank ID liisa, NO 15038510190 · high debt: FI bank ID pekka, "
    "SE 19900724-3455, NO 24079010045 · payment remarks: SE 19850315-2343"
)

_CURRENCY = {"FI": "EUR", "SE": "SEK", "NO": "NOK"}


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args: object, **kwargs: object) -> None:
        pass


class FakeCreditRegister:
    """The fake register as a threaded WSGI server on ``127.0.0.1`` and a free port."""

    def __init__(self, people: Mapping[tuple[str, str], Mapping[str, Any]] | None = None, *,
                 token: str | None = "demo-register-token") -> None:
        #: The answers by ``(country, compact identity number)``.
        self.people = {_key(country, number): dict(answer) for (country, number), answer
                       in (DEMO_REGISTER_PEOPLE if people is None else people).items()}
        #: The Bearer token the register expects; None takes any request.
        self.token = token
        #: Every request body received, in order.
        self.requests: list[dict[str, Any]] = []
        #: An HTTP status to answer every request with instead (e.g. 503: the register is down).
        self.fail_with: int | None = None
        self._server: BaseWSGIServer | None = None

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> FakeCreditRegister:
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True,
                                   request_handler=_Quiet)
        threading.Thread(target=self._server.serve_forever, daemon=True,
                         name="fake-credit-register").start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeCreditRegister:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start the register first"
        return f"http://127.0.0.1:{self._server.server_port}"

    def settings(self, countries: tuple[str, ...] = ("FI", "SE", "NO")) -> dict[str, Any]:
        """``KASSA_CREDIT_REGISTERS`` pointing each country at this register."""
        registers: dict[str, Any] = {}
        for country in countries:
            entry: dict[str, Any] = {"url": f"{self.base_url}/{country.lower()}",
                                     "name": f"demo-register-{country.lower()}",
                                     "timeout_seconds": 5}
            if self.token:
                entry["token"] = self.token
            registers[country] = entry
        return {"KASSA_CREDIT_REGISTERS": registers}

    @contextmanager
    def down(self, status: int = 503) -> Iterator[None]:
        """While the block runs, the register answers ``status`` to everything."""
        self.fail_with = status
        try:
            yield
        finally:
            self.fail_with = None

    # -- the protocol -----------------------------------------------------------------------

    def _app(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        return self._answer(request)(environ, start_response)

    def _answer(self, request: Request) -> Response:
        country = request.path.strip("/").upper()
        if request.method != "POST" or country not in _CURRENCY:
            return _json({"error": "not found"}, 404)
        if self.token and request.headers.get("Authorization") != f"Bearer {self.token}":
            return _json({"error": "unauthorized"}, 401)
        try:
            body = json.loads(request.get_data())
        except ValueError:
            return _json({"error": "the body must be JSON"}, 400)
        self.requests.append(body)
        if self.fail_with is not None:
            return _json({"error": "the register is not available"}, self.fail_with)
        if not isinstance(body, dict) or body.get("country") != country:
            return _json({"error": "country does not match the register"}, 400)
        try:
            key = _key(country, str(body.get("personal_id", "")))
        except ValueError:
            return _json({"error": "not a valid identity number"}, 400)
        answer = {"credit_ban": False if REPORTS_BAN[country] else None,
                  "unsecured_debt": 0, "payment_defaults": 0, "annual_income": None,
                  **self.people.get(key, {})}
        if not REPORTS_BAN[country]:
            answer["credit_ban"] = None
        answer["currency"] = _CURRENCY[country]
        answer["reference"] = f"demo-{country.lower()}-{len(self.requests)}"
        return _json(answer, 200)


def _key(country: str, number: str) -> tuple[str, str]:
    try:
        return country, parse_personal_id(country, number).compact
    except Exception as exc:  # the IdentityError of a malformed number
        raise ValueError(str(exc)) from None


def _json(body: Any, status: int) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")
