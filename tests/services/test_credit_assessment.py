"""The creditworthiness assessment: the register is asked over HTTP before credit is granted,
a credit ban or too much debt declines, every decision is recorded with what it was based on
(never the identity number), a register that does not answer declines safely, and a declined
shopper can ask a person to review the decision once."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from demo_shop.credit_register import FakeCreditRegister
from kassa import get_state
from kassa.core.credit_register import RegisterReport, RegisterUnavailable
from kassa.core.identity import parse_personal_id
from kassa.db import CheckoutSession, CreditDecisionRecord, CreditReview, Order, SupportTask
from kassa.errors import ConfigurationError, KassaHTTPError
from kassa.services.checkout import confirm_checkout, create_checkout_session, session_offers
from kassa.services.credit_assessment import request_review
from kassa.services.credit_decision import CreditApplication, CreditDecision, assess
from kassa.services.credit_registers import HttpCreditRegister
from tests.http_receiver import HttpReceiver, Reply

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
TODAY = NOW.date()
CURRENCY = {"FI": "EUR", "SE": "SEK", "NO": "NOK"}

#: The fake register's people (demo_shop/credit_register.py).
FI_CLEAN, FI_BANNED, FI_INDEBTED = "131052-308T", "150385-212V", "240790-346H"
SE_CLEAN, SE_DEFAULTS, SE_INDEBTED = "19811218-9876", "19850315-2343", "19900724-3455"
NO_CLEAN, NO_BANNED = "01010750160", "15038510190"


@pytest.fixture
def register() -> Iterator[FakeCreditRegister]:
    with FakeCreditRegister() as running:
        yield running


@pytest.fixture
def assessed_app(make_app: Callable[..., Flask], db_url: str,
                 register: FakeCreditRegister) -> Flask:
    """Registers for all three countries; Finns type their number (no bank ID here)."""
    return make_app(db_url, KASSA_STRONG_AUTH_COUNTRIES=[], **register.settings())


def open_session(app: Flask, country: str = "SE", total: int = 499000,
                 reference: str = "A-100") -> str:
    state = get_state(app)
    data = {
        "order": {"reference": reference, "currency": CURRENCY[country], "country": country,
                  "total": total, "lines": [{"description": "Wool blanket", "quantity": 1,
                                             "unit_price": total, "vat_rate": "25"}]},
        "customer": {"name": "Alex Example", "email": "alex@example.test"},
        "locale": {"FI": "fi", "SE": "sv", "NO": "nb"}[country],
        "return_url": "http://127.0.0.1/shop/done", "cancel_url": "http://127.0.0.1/shop/cart",
    }
    with state.db.session() as db:
        cs, _secret = create_checkout_session(db, state.config, "demo", data, NOW)
        return cs.id


def plan_of(app: Flask, session_id: str) -> str:
    """The first instalment plan offered for the session (instalments are credit)."""
    state = get_state(app)
    with state.db.session() as db:
        offers = session_offers(state.config, db.get(CheckoutSession, session_id), TODAY)
    return next(o.id for o in offers if o.method != "invoice")


def confirm(app: Flask, session_id: str, personal_id: str, offer_id: str | None = None
            ) -> Order:
    state = get_state(app)
    offer_id = offer_id or plan_of(app, session_id)
    with state.db.session() as db:
        cs = db.get(CheckoutSession, session_id)
        result = confirm_checkout(db, state, cs, offer_id=offer_id, channel="email",
                                  personal_id=personal_id, consent=True, today=TODAY, now=NOW,
                                  base_url="http://127.0.0.1")
        return result.order


def refusal(app: Flask, session_id: str, personal_id: str,
            offer_id: str | None = None) -> KassaHTTPError:
    with pytest.raises(KassaHTTPError) as caught:
        confirm(app, session_id, personal_id, offer_id)
    return caught.value


def decisions(app: Flask) -> list[CreditDecisionRecord]:
    with get_state(app).db.session() as db:
        return list(db.scalars(select(CreditDecisionRecord).order_by(CreditDecisionRecord.id)))


def count(app: Flask, model: type) -> int:
    with get_state(app).db.session() as db:
        return int(db.scalar(select(func.count()).select_from(model)) or 0)


def checks_of(record: CreditDecisionRecord) -> dict[str, str]:
    return {check["rule"]: check["outcome"] for check in record.rules["checks"]}


# -- a credit ban: no credit, in each country whose register reports one ---------------------


@pytest.mark.parametrize(("country", "banned", "total"),
                         [("FI", FI_BANNED, 124990), ("NO", NO_BANNED, 499000)])
def test_a_credit_ban_in_the_register_declines_credit_and_is_recorded(
        assessed_app: Flask, register: FakeCreditRegister, country: str, banned: str,
        total: int) -> None:
    session_id = open_session(assessed_app, country, total)
    refused = refusal(assessed_app, session_id, banned)
    assert refused.code == "checkout.declined" and refused.params["reason"] == "credit_ban"
    assert count(assessed_app, Order) == 0
    # The register was asked about this person, with the shop's token.
    assert register.requests[-1]["personal_id"] == parse_personal_id(country, banned).compact
    [record] = decisions(assessed_app)
    assert record.public_id == refused.params["decision_id"]
    assert (record.result, record.reason, record.automated) == ("declined", "credit_ban", True)
    assert record.register_status == "checked" and record.inputs["register"]["credit_ban"]
    assert checks_of(record)["credit_ban"] == "failed"


def test_a_credit_ban_declines_even_when_the_merchants_decider_approves(
        assessed_app: Flask) -> None:
    object.__setattr__(get_state(assessed_app), "credit_decider",
                       lambda application: CreditDecision(True))
    session_id = open_session(assessed_app, "NO")
    refused = refusal(assessed_app, session_id, NO_BANNED)
    assert refused.code == "checkout.declined" and refused.params["reason"] == "credit_ban"
    [record] = decisions(assessed_app)
    assert record.rules["decider"] == "merchant" and record.reason == "credit_ban"
    # The clean Norwegian buys with the same decider: only the ban declined.
    assert confirm(assessed_app, open_session(assessed_app, "NO", reference="B-1"), NO_CLEAN)


def test_a_register_without_bans_records_no_data_for_the_ban_and_grants_credit(
        assessed_app: Flask) -> None:
    # Swedish credit bureaus report no voluntary credit ban: "not reported" is not "none".
    confirm(assessed_app, open_session(assessed_app, "SE"), SE_CLEAN)
    [record] = decisions(assessed_app)
    assert record.result == "approved"
    assert record.inputs["register"]["credit_ban"] is None
    assert checks_of(record)["credit_ban"] == "no_data"


# -- debt and defaults -----------------------------------------------------------------------


@pytest.mark.parametrize(("country", "person", "total", "reason"), [
    # 240 000 kr of unsecured debt against the 150 000 kr default cap.
    ("SE", SE_INDEBTED, 499000, "unsecured_debt"),
    # 24 000 EUR against 15 000 EUR.
    ("FI", FI_INDEBTED, 124990, "unsecured_debt"),
    # Two payment remarks; the default tolerates none.
    ("SE", SE_DEFAULTS, 499000, "payment_defaults"),
])
def test_high_debt_or_payment_defaults_in_the_register_decline_credit(
        assessed_app: Flask, country: str, person: str, total: int, reason: str) -> None:
    refused = refusal(assessed_app, open_session(assessed_app, country, total), person)
    assert (refused.code, refused.params["reason"]) == ("checkout.declined", reason)
    [record] = decisions(assessed_app)
    assert checks_of(record)[reason] == "failed"


def test_debt_above_half_the_registered_income_declines(
        make_app: Callable[..., Flask], db_url: str) -> None:
    # 1 000 EUR of debt and 30 000 EUR income: 14 000 EUR more is above 50 % (15 000 EUR
    # would be exactly half). The cap on debt alone is lifted so that only the ratio decides.
    people = {("FI", FI_CLEAN): {"unsecured_debt": 100_000, "annual_income": 3_000_000}}
    with FakeCreditRegister(people) as register:
        app = make_app(db_url, KASSA_COUNTRIES=["FI"], KASSA_STRONG_AUTH_COUNTRIES=[],
                       KASSA_CREDIT_MAX_UNSECURED_DEBT={},
                       KASSA_OPEN_BALANCE_CAP={"FI": "100000.00"},
                       KASSA_MAX_ORDER_AMOUNT={"FI": "100000.00"},
                       KASSA_PRODUCTS=_big_fi_plan(), **register.settings())
        refused = refusal(app, open_session(app, "FI", 1_400_001), FI_CLEAN)
        assert refused.params["reason"] == "debt_to_income"
        confirm(app, open_session(app, "FI", 1_400_000, reference="B-1"), FI_CLEAN)


def _big_fi_plan() -> dict[str, Any]:
    return {"FI": {"invoice": {"id": "fi-invoice-14", "days_to_pay": 14, "fee": "0.00",
                               "min_amount": "10.00", "max_amount": "5000.00"},
                   "installments": [{"id": "fi-big-12", "months": 12, "nominal_rate": "5",
                                     "setup_fee": "0.00", "monthly_fee": "0.00",
                                     "min_amount": "100.00", "max_amount": "50000.00"}]}}


# -- approval and its record -----------------------------------------------------------------


def test_a_clean_shopper_is_approved_and_the_record_keeps_the_inputs_not_the_number(
        assessed_app: Flask, register: FakeCreditRegister) -> None:
    order = confirm(assessed_app, open_session(assessed_app, "SE"), SE_CLEAN)
    [record] = decisions(assessed_app)
    assert (record.result, record.reason, record.automated) == ("approved", None, True)
    assert record.customer_id == order.customer_id and record.agreement_id is not None
    assert record.credit_offer and record.register_status == "checked"
    register_answer = record.inputs["register"]
    assert register_answer["register"] == "demo-register-se"
    assert register_answer["unsecured_debt"] == 1_500_000
    assert register_answer["annual_income"] == 42_000_000
    assert register_answer["reference"] == "demo-se-1"
    assert record.inputs["open_balance"] == 0 and record.inputs["earlier_invoices"] == 0
    assert record.inputs["max_unsecured_debt"] == 15_000_000
    assert all(outcome == "passed" for rule, outcome in checks_of(record).items()
               if rule != "credit_ban")
    assert record.personal_id_masked == "19811218-****"
    stored = json.dumps([record.inputs, record.rules, record.personal_id_digest])
    assert "198112189876" not in stored and SE_CLEAN not in stored
    assert register.requests[-1]["amount"] == 499000
    assert register.requests[-1]["currency"] == "SEK"


def test_a_second_purchase_counts_the_first_in_the_shops_own_history(
        assessed_app: Flask) -> None:
    confirm(assessed_app, open_session(assessed_app, "SE"), SE_CLEAN)
    confirm(assessed_app, open_session(assessed_app, "SE", reference="B-1"), SE_CLEAN)
    first, second = decisions(assessed_app)
    assert second.inputs["open_balance"] > 0
    assert second.inputs["earlier_invoices"] > first.inputs["earlier_invoices"] == 0


def test_an_invoice_that_is_not_credit_is_decided_without_asking_the_register(
        assessed_app: Flask, register: FakeCreditRegister) -> None:
    # A Swedish SME's free 14-day invoice is not consumer credit (kassa.core.credit_scope).
    confirm(assessed_app, open_session(assessed_app, "SE"), SE_INDEBTED, "se-invoice-14")
    [record] = decisions(assessed_app)
    assert (record.result, record.credit_offer) == ("approved", False)
    assert record.register_status == "not_needed" and register.requests == []


def test_an_invoice_that_is_credit_asks_the_register_too(assessed_app: Flask) -> None:
    # Norway exempts no deferral: its invoice is consumer credit, so the ban applies to it.
    refused = refusal(assessed_app, open_session(assessed_app, "NO"), NO_BANNED,
                      "no-invoice-14")
    assert refused.params["reason"] == "credit_ban"
    [record] = decisions(assessed_app)
    assert record.credit_offer and record.register_status == "checked"


def test_without_a_register_the_shops_own_history_decides(
        make_app: Callable[..., Flask], db_url: str) -> None:
    app = make_app(db_url)
    confirm(app, open_session(app, "SE"), SE_INDEBTED)
    [record] = decisions(app)
    assert (record.result, record.register_status) == ("approved", "not_configured")
    assert checks_of(record)["unsecured_debt"] == "no_data"


# -- a register that does not answer ---------------------------------------------------------


def test_an_unreachable_register_declines_credit_for_now_and_writes_only_the_record(
        assessed_app: Flask, register: FakeCreditRegister) -> None:
    session_id = open_session(assessed_app, "SE")
    with register.down(503):
        refused = refusal(assessed_app, session_id, SE_CLEAN)
    assert (refused.code, refused.status) == ("checkout.register_unavailable", 503)
    assert count(assessed_app, Order) == 0
    [record] = decisions(assessed_app)
    assert (record.result, record.reason) == ("unavailable", "register_unavailable")
    assert record.inputs["register_error"] == "credit register 'demo-register-se' (SE): HTTP 503"
    # The session stays open: once the register answers, the same purchase goes through.
    confirm(assessed_app, session_id, SE_CLEAN)


def test_a_register_that_is_gone_can_fall_back_to_the_shops_history_by_setting(
        make_app: Callable[..., Flask], db_url: str) -> None:
    with FakeCreditRegister() as register:
        settings = register.settings()
    # The register has stopped: nothing listens at its address any more.
    app = make_app(db_url, KASSA_CREDIT_REGISTER_UNAVAILABLE="merchant_history", **settings)
    confirm(app, open_session(app, "SE"), SE_CLEAN)
    [record] = decisions(app)
    assert (record.result, record.register_status) == ("approved", "unavailable")
    assert record.inputs["register_error"].endswith("request failed (ConnectionError)")


# -- a person's review -----------------------------------------------------------------------


def test_a_declined_shopper_gets_one_review_task_however_often_they_ask(
        assessed_app: Flask) -> None:
    session_id = open_session(assessed_app, "NO")
    decision_id = refusal(assessed_app, session_id, NO_BANNED).params["decision_id"]
    state = get_state(assessed_app)
    with state.db.session() as db:
        cs = db.get(CheckoutSession, session_id)
        task = request_review(db, cs, decision_id, now=NOW, via="api", note="I lifted the ban.")
        again = request_review(db, cs, decision_id, now=NOW, via="hosted_page")
        assert again.id == task.id
        assert task.kind == "credit_review" and task.status == "open" and task.invoice_id is None
        assert task.payload["decision"]["id"] == decision_id
        assert task.payload["decision"]["reason"] == "credit_ban"
        assert task.payload["shopper_note"] == "I lifted the ban."
        assert task.payload["customer"]["email"] == "alex@example.test"
        assert task.payload["customer"]["personal_id_masked"] == "150385*****"
    assert count(assessed_app, SupportTask) == 1 and count(assessed_app, CreditReview) == 1


def test_only_this_sessions_declined_decisions_can_be_reviewed(assessed_app: Flask) -> None:
    approved_session = open_session(assessed_app, "SE")
    confirm(assessed_app, approved_session, SE_CLEAN)
    [approved] = decisions(assessed_app)
    declined_session = open_session(assessed_app, "NO", reference="B-1")
    declined_id = refusal(assessed_app, declined_session, NO_BANNED).params["decision_id"]
    state = get_state(assessed_app)
    with state.db.session() as db:
        for session_id, decision_id in ((approved_session, approved.public_id),
                                        (approved_session, declined_id),
                                        (declined_session, "cd_unknown")):
            with pytest.raises(KassaHTTPError) as caught:
                request_review(db, db.get(CheckoutSession, session_id), decision_id, now=NOW,
                               via="api")
            assert caught.value.code == "credit_review.not_found"
    assert count(assessed_app, SupportTask) == 0


# -- the rules on their own ------------------------------------------------------------------


def application(**changes: Any) -> CreditApplication:
    values: dict[str, Any] = {
        "country": "FI", "currency": "EUR", "method": "installments", "offer_id": "fi-12",
        "amount": 100_000, "age": 30, "open_balance": 0, "overdue_invoices": 0,
        "open_balance_cap": 500_000, "max_payment_defaults": 0,
        "max_unsecured_debt": 1_500_000, "max_debt_to_income_pct": Decimal("50")}
    values.update(changes)
    return CreditApplication(**values)


def report(**changes: Any) -> RegisterReport:
    values: dict[str, Any] = {"register": "fi", "currency": "EUR", "credit_ban": False,
                              "unsecured_debt": 0, "payment_defaults": 0,
                              "annual_income": None}
    values.update(changes)
    return RegisterReport(**values)


def outcome(rule: str, app: CreditApplication) -> str:
    return {check.rule: check.outcome for check in assess(app)}[rule]


@pytest.mark.parametrize(("debt", "expected"), [(1_400_000, "passed"), (1_400_001, "failed")])
def test_the_debt_cap_counts_this_purchase_too(debt: int, expected: str) -> None:
    # 14 000,00 + 1 000,00 = exactly the 15 000,00 cap; one cent more is above it.
    assert outcome("unsecured_debt", application(register=report(unsecured_debt=debt))) \
        == expected


@pytest.mark.parametrize(("income", "expected"),
                         [(400_000, "passed"), (399_999, "failed"), (0, "failed"),
                          (None, "no_data")])
def test_debt_to_income_is_exact_at_the_limit(income: int | None, expected: str) -> None:
    # 1 000,00 of debt + 1 000,00 purchase = 2 000,00: half of 4 000,00 income exactly.
    app = application(register=report(unsecured_debt=100_000, annual_income=income))
    assert outcome("debt_to_income", app) == expected


@pytest.mark.parametrize(("late", "earlier", "expected"),
                         [(0, 0, "passed"), (1, 1, "passed"), (2, 4, "failed"),
                          (2, 5, "passed")])
def test_the_shops_own_history_declines_a_habit_not_a_slip(late: int, earlier: int,
                                                           expected: str) -> None:
    app = application(late_invoices=late, earlier_invoices=earlier)
    assert outcome("often_late", app) == expected


# -- the HTTP adapter and its setting --------------------------------------------------------


@pytest.mark.parametrize("body", [
    {"credit_ban": "no", "unsecured_debt": 0},
    {"credit_ban": False, "unsecured_debt": -1},
    {"credit_ban": False, "unsecured_debt": 1.5},
    {"credit_ban": False, "currency": "SEK"},
    [1, 2],
])
def test_an_answer_that_breaks_the_protocol_is_not_trusted(body: Any) -> None:
    with HttpReceiver([Reply(200, body)]) as receiver:
        adapter = HttpCreditRegister(_setting(receiver.url("/fi")))
        with pytest.raises(RegisterUnavailable):
            adapter.report(parse_personal_id("FI", FI_CLEAN), amount=100, currency="EUR")


def test_the_adapter_sends_the_number_and_the_token_and_reads_the_answer() -> None:
    answer = {"credit_ban": None, "unsecured_debt": 5, "payment_defaults": None,
              "annual_income": 7, "reference": "r-1"}
    with HttpReceiver([Reply(200, answer)]) as receiver:
        adapter = HttpCreditRegister(_setting(receiver.url("/fi"), token="t0ken"))
        got = adapter.report(parse_personal_id("FI", FI_CLEAN), amount=12990, currency="EUR")
        sent = receiver.requests[0]
    assert got == RegisterReport("fi-register", "EUR", None, 5, None, 7, "r-1")
    assert sent.headers["Authorization"] == "Bearer t0ken"
    assert sent.json() == {"country": "FI", "personal_id": FI_CLEAN,
                           "purpose": "credit_application", "amount": 12990,
                           "currency": "EUR"}


def _setting(url: str, token: str | None = None):  # type: ignore[no-untyped-def]
    from kassa.config import CreditRegisterSetting

    return CreditRegisterSetting(country="FI", name="fi-register", url=url, token=token,
                                 timeout_seconds=5)


@pytest.mark.parametrize("value", [
    {"FI": {"url": "http://register.example/fi"}},   # plain HTTP off this machine
    {"DK": {"url": "https://register.example/dk"}},
    {"FI": {"url": "https://register.example/fi", "timeout": 5}},
    {"FI": {"url": "https://register.example/fi", "timeout_seconds": 60}},
])
def test_a_register_setting_that_cannot_work_stops_start_up(
        make_app: Callable[..., Flask], value: Any) -> None:
    with pytest.raises(ConfigurationError) as caught:
        make_app(upgrade=False, KASSA_CREDIT_REGISTERS=value)
    assert caught.value.key == "KASSA_CREDIT_REGISTERS"
    assert "register.example" not in str(caught.value)



# -- an integrator's own adapter -------------------------------------------------------------


class _InProcessRegister:
    """An integrator's adapter: answers from memory, or fails as a broken one would."""

    name = "in-process"

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.asked: list[str] = []

    def report(self, person: Any, *, amount: int, currency: str) -> RegisterReport:
        self.asked.append(person.masked)
        if self.fail:
            raise RuntimeError("the adapter's own bug")
        return RegisterReport(self.name, currency, credit_ban=True, unsecured_debt=0,
                              payment_defaults=0, annual_income=None)


def _app_with(db_url: str, tmp_path: Any, register: _InProcessRegister) -> Flask:
    from kassa import Kassa
    from kassa.db import migrate
    from tests.conftest import base_config

    app = Flask("kassa_adapter_test", instance_path=str(tmp_path / "adapter"))
    app.config.update(base_config(db_url))
    Kassa(app, credit_registers={"se": register})
    migrate.upgrade(get_state(app).db)
    return app


def test_an_integrators_own_adapter_is_asked_in_place_of_the_setting(
        db_url: str, tmp_path: Any) -> None:
    adapter = _InProcessRegister()
    app = _app_with(db_url, tmp_path, adapter)
    try:
        refused = refusal(app, open_session(app, "SE"), SE_CLEAN)
        assert refused.params["reason"] == "credit_ban"
        assert adapter.asked == ["19811218-****"]
        assert decisions(app)[0].inputs["register"]["register"] == "in-process"
    finally:
        get_state(app).db.dispose()


def test_an_adapter_that_breaks_counts_as_a_register_that_does_not_answer(
        db_url: str, tmp_path: Any) -> None:
    app = _app_with(db_url, tmp_path, _InProcessRegister(fail=True))
    try:
        refused = refusal(app, open_session(app, "SE"), SE_CLEAN)
        assert (refused.code, refused.status) == ("checkout.register_unavailable", 503)
        assert decisions(app)[0].inputs["register_error"] == "adapter failed (RuntimeError)"
    finally:
        get_state(app).db.dispose()
