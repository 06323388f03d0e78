"""The queue and the customer view: filters, service-level clocks, and every action with
its audit entry; two agents on one task leave one result."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from kassa import get_state
from kassa.db import (
    AuditEntry,
    Invoice,
    InvoiceEvent,
    Message,
    MessageThread,
    OutboxMessage,
    ServiceRequest,
    SupportTask,
    Survey,
)

from .conftest import Records, add_staff, csrf, sign_in

CONSOLE = "/kassa/console"


def agent(app: Flask, role: str = "agent") -> tuple[FlaskClient, str]:
    client = app.test_client()
    sign_in(client, role)
    return client, csrf(client, CONSOLE + "/")


def count(app: Flask, query) -> int:  # type: ignore[no-untyped-def]
    with get_state(app).db.session() as session:
        return int(session.scalar(query) or 0)


def test_queue_lists_every_open_task_with_filters(console_app: Flask, records: Records) -> None:
    client, token = agent(console_app)
    page = client.get(CONSOLE + "/").get_data(as_text=True)
    for task_id in (records.thread_task, records.request_task, records.contact_task):
        assert f"#{task_id}<" in page
    assert 'src="/kassa/static/console.js"' in page and "cdn" not in page.lower()
    only_calls = client.get(CONSOLE + "/?channel=phone").get_data(as_text=True)
    assert f"#{records.contact_task}<" in only_calls
    assert f"#{records.thread_task}<" not in only_calls
    messages = client.get(CONSOLE + "/?type=message").get_data(as_text=True)
    assert f"#{records.thread_task}<" in messages and f"#{records.contact_task}<" not in messages
    assert f"#{records.contact_task}<" in client.get(
        CONSOLE + "/?segment=first_time_late").get_data(as_text=True)
    assert "Nothing is waiting" in client.get(CONSOLE + "/?country=SE").get_data(as_text=True)
    assert "Nothing is waiting" in client.get(CONSOLE + "/?language=sv").get_data(as_text=True)
    assert f"#{records.thread_task}<" in client.get(CONSOLE + "/?language=fi&country=FI") \
        .get_data(as_text=True)
    assert "Nothing is waiting" in client.get(CONSOLE + "/?mine=1").get_data(as_text=True)
    client.post(f"{CONSOLE}/tasks/{records.contact_task}/assign", data={"csrf_token": token})
    mine = client.get(CONSOLE + "/?mine=1").get_data(as_text=True)
    assert f"#{records.contact_task}<" in mine and "Agent Person" in mine
    with get_state(console_app).db.session() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "task.assign")).one()
        assert entry.before == {"assignee_id": None}
        assert entry.after == {"assignee_id": records.staff["agent"]}


def test_snooze_and_waiting_on_the_customer(console_app: Flask, records: Records) -> None:
    client, token = agent(console_app)
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    task = records.contact_task
    far = client.post(f"{CONSOLE}/tasks/{task}/snooze", data={"csrf_token": token,
                                                             "until": "2099-01-01"})
    assert "up to 14 days" in client.get(far.headers["Location"]).get_data(as_text=True)
    client.post(f"{CONSOLE}/tasks/{task}/snooze", data={"csrf_token": token, "until": tomorrow})
    assert f"#{task}<" not in client.get(CONSOLE + "/").get_data(as_text=True)
    assert f"#{task}<" in client.get(CONSOLE + "/?all=1").get_data(as_text=True)
    # Before the first answer the clock cannot be paused.
    early = client.post(f"{CONSOLE}/tasks/{records.thread_task}/wait",
                        data={"csrf_token": token})
    assert "Please answer the customer first" in client.get(
        early.headers["Location"]).get_data(as_text=True)
    assert "Waiting on customer" not in client.get(CONSOLE + "/").get_data(as_text=True)
    client.post(f"{CONSOLE}/tasks/{records.thread_task}/threads/{records.thread_id}/reply",
                data={"csrf_token": token, "body": "Could you send the tracking number?"})
    client.post(f"{CONSOLE}/tasks/{records.thread_task}/wait", data={"csrf_token": token})
    assert "Waiting on customer" in client.get(CONSOLE + "/").get_data(as_text=True)
    client.post(f"{CONSOLE}/tasks/{records.thread_task}/resume", data={"csrf_token": token})
    assert "Waiting on customer" not in client.get(CONSOLE + "/").get_data(as_text=True)


def test_breach_and_warning_are_shown(console_app: Flask, records: Records) -> None:
    with get_state(console_app).db.session() as session:
        old = session.get_one(SupportTask, records.request_task)
        old.created_at = datetime.now(UTC) - timedelta(days=10)
    client, _token = agent(console_app)
    page = client.get(CONSOLE + "/").get_data(as_text=True)
    assert "kassa-clock-breached" in page and "Overdue" in page


def test_customer_view_and_the_call_script(console_app: Flask, records: Records) -> None:
    client, _token = agent(console_app)
    page = client.get(f"{CONSOLE}/tasks/{records.contact_task}").get_data(as_text=True)
    assert "Maija Meikäläinen" in page and "shopper@example.test" in page
    assert "My parcel has not arrived." in page and "Called: mark done" in page
    assert f"/kassa/console/tasks/{records.contact_task}/call-script" in page
    assert "Late for the first time" in page
    assert 'data-event="issued">Invoice issued<' in page  # the invoice's trail
    script = client.get(f"{CONSOLE}/tasks/{records.contact_task}/call-script").get_data(
        as_text=True)
    with get_state(console_app).db.session() as session:
        number = session.get_one(Invoice, records.invoice_id).number
    # Who to call and about what, the customer's group with its tone, then the script.
    assert "<dd>Maija</dd>" in script and f'data-invoice="{number}"' in script
    assert "€129.90" in script and 'data-segment="first_time_late"' in script
    assert "Greet and introduce yourself." in script


def test_reply_resolve_and_the_survey(console_app: Flask, records: Records) -> None:
    client, token = agent(console_app)
    base = f"{CONSOLE}/tasks/{records.thread_task}/threads/{records.thread_id}"
    empty = client.post(base + "/reply", data={"csrf_token": token, "body": "  "})
    assert "Please write a message" in client.get(empty.headers["Location"]).get_data(
        as_text=True)
    client.post(base + "/reply", data={"csrf_token": token, "body": "It is on its way.",
                                       "submit_key": "r1"})
    client.post(base + "/reply", data={"csrf_token": token, "body": "It is on its way.",
                                       "submit_key": "r1"})  # a double submit
    with get_state(console_app).db.session() as session:
        staff_messages = session.scalars(select(Message).where(Message.author == "staff")).all()
        assert [(m.body, m.author_name) for m in staff_messages] == [
            ("It is on its way.", "Agent")]
        assert session.get_one(MessageThread, records.thread_id).status == "answered"
    client.post(base + "/resolve", data={"csrf_token": token})
    with get_state(console_app).db.session() as session:
        survey = session.scalars(select(Survey)).one()
        assert (survey.contact_kind, survey.agent) == ("thread", "Agent")
        assert session.scalars(select(OutboxMessage).where(
            OutboxMessage.kind == "survey")).one()
        assert session.get_one(SupportTask, records.thread_task).status == "done"


def test_two_agents_decide_and_close_once(console_app: Flask, records: Records) -> None:
    add_staff(console_app, "agent", "second@shop.test", name="Sanna Second")
    first, token1 = agent(console_app)
    second = console_app.test_client()
    sign_in(second, "agent", "second@shop.test")
    token2 = csrf(second, CONSOLE + "/")
    path = f"{CONSOLE}/tasks/{records.request_task}/requests/{records.request_id}/decide"
    first.post(path, data={"csrf_token": token1, "decision": "grant", "note": "Called at 10."})
    late = second.post(path, data={"csrf_token": token2, "decision": "refuse"})
    assert "already handled" in second.get(late.headers["Location"]).get_data(as_text=True)
    with get_state(console_app).db.session() as session:
        request = session.get_one(ServiceRequest, records.request_id)
        assert request.status == "done" and request.decision["by"] == "Agent"
    assert count(console_app, select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action.like("request.%"))) == 1
    close = f"{CONSOLE}/tasks/{records.contact_task}/close"
    assert "is closed" in first.get(first.post(close, data={"csrf_token": token1})
                                    .headers["Location"]).get_data(as_text=True)
    again = second.post(close, data={"csrf_token": token2})
    assert "already closed" in second.get(again.headers["Location"]).get_data(as_text=True)
    assert count(console_app, select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "task.close")) == 1


def test_a_decision_read_before_another_agents_is_not_taken_twice(
        console_app: Flask, records: Records) -> None:
    """The page loaded the request while it was pending; another agent decided meanwhile.
    The lock reads the request afresh, so the second decision is refused, not applied."""
    from kassa.db import StaffUser
    from kassa.services import console as service
    from kassa.services.customer_service import ServiceError

    state = get_state(console_app)
    now = datetime.now(UTC)
    with state.db.session() as stale:
        stale.get_one(ServiceRequest, records.request_id)  # the page's copy: pending
        with state.db.session() as other:
            service.decide(other, state, other.get_one(StaffUser, records.staff["agent"]),
                           records.request_id, [records.customer_id], True, "", now,
                           now.date())
        try:
            service.decide(stale, state, stale.get_one(StaffUser, records.staff["agent"]),
                           records.request_id, [records.customer_id], False, "", now,
                           now.date())
        except ServiceError as error:
            assert error.code == "service.decided"
        else:
            raise AssertionError("the request was decided twice")


def test_agents_do_not_take_each_others_tasks_or_act_on_closed_ones(
        console_app: Flask, records: Records) -> None:
    add_staff(console_app, "agent", "second@shop.test", name="Sanna Second")
    first, token1 = agent(console_app)
    second = console_app.test_client()
    sign_in(second, "agent", "second@shop.test")
    token2 = csrf(second, CONSOLE + "/")
    task = f"{CONSOLE}/tasks/{records.contact_task}"
    first.post(f"{task}/assign", data={"csrf_token": token1})
    for act in ("assign", "unassign"):
        taken = second.post(f"{task}/{act}", data={"csrf_token": token2})
        assert "Agent Person is working on this task" in second.get(
            taken.headers["Location"]).get_data(as_text=True)
    with get_state(console_app).db.session() as session:
        assert session.get_one(SupportTask, records.contact_task).assignee_id == \
            records.staff["agent"]
    boss, boss_token = agent(console_app, "supervisor")
    boss.post(f"{task}/unassign", data={"csrf_token": boss_token})
    first.post(f"{task}/close", data={"csrf_token": token1, "survey": "0"})
    before = count(console_app, select(func.count()).select_from(AuditEntry))
    for act, data in (("assign", {}), ("wait", {}), ("snooze", {"until": (
            date.today() + timedelta(days=2)).isoformat()})):
        late = second.post(f"{task}/{act}", data={"csrf_token": token2, **data})
        assert "already handled" in second.get(late.headers["Location"]).get_data(
            as_text=True), act
    assert count(console_app, select(func.count()).select_from(AuditEntry)) == before
    # A decision with no choice made is refused, not taken as a refusal.
    path = f"{CONSOLE}/tasks/{records.request_task}/requests/{records.request_id}/decide"
    blank = first.post(path, data={"csrf_token": token1, "note": "x"})
    assert "grant or refuse" in first.get(blank.headers["Location"]).get_data(as_text=True)
    with get_state(console_app).db.session() as session:
        assert session.get_one(ServiceRequest, records.request_id).status == "pending"


def test_a_call_with_a_promise_to_pay_goes_to_the_trail(console_app: Flask,
                                                        records: Records) -> None:
    client, token = agent(console_app)
    path = f"{CONSOLE}/tasks/{records.contact_task}/call"
    promised = (date.today() + timedelta(days=7)).isoformat()
    bad = client.post(path, data={"csrf_token": token, "outcome": "promise"})
    assert "promised to pay" in client.get(bad.headers["Location"]).get_data(as_text=True)
    assert count(console_app, select(func.count()).select_from(InvoiceEvent).where(
        InvoiceEvent.kind == "call_logged")) == 0
    client.post(path, data={"csrf_token": token, "outcome": "promise",
                            "promise_date": promised, "note": "Pays on Friday"})
    with get_state(console_app).db.session() as session:
        event = session.scalars(select(InvoiceEvent).where(
            InvoiceEvent.kind == "call_logged")).one()
        assert event.data["outcome"] == "promise" and event.data["promise_date"] == promised
        # No formal reminder before the promised day: the reminders wait until it is over.
        [hold] = session.get_one(Invoice, records.invoice_id).holds
        assert (hold.reason, hold.ends_on) == (
            "paused", date.fromisoformat(promised) + timedelta(days=1))
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "call.logged")).one()
        assert entry.target_id == records.invoice_id
    page = client.get(f"{CONSOLE}/tasks/{records.contact_task}").get_data(as_text=True)
    assert "Promised to pay" in page and "Pays on Friday" in page


def test_only_a_supervisor_gives_a_task_to_someone_else(console_app: Flask,
                                                       records: Records) -> None:
    path = f"{CONSOLE}/tasks/{records.contact_task}/assign"
    client, token = agent(console_app)
    other = str(records.staff["supervisor"])
    assert client.post(path, data={"csrf_token": token, "staff_id": other}).status_code == 403
    boss, boss_token = agent(console_app, "supervisor")
    to_agent = str(records.staff["agent"])
    done = boss.post(path, data={"csrf_token": boss_token, "staff_id": to_agent})
    assert "given to Agent Person" in boss.get(done.headers["Location"]).get_data(as_text=True)
    with get_state(console_app).db.session() as session:
        assert session.get_one(SupportTask, records.contact_task).assignee_id == \
            records.staff["agent"]


def test_granting_a_plan_beyond_the_policy(console_app: Flask, records: Records) -> None:
    """A shopper asks for 12 months (the policy allows 6): the agent grants it in the
    console, the invoice goes on the plan and the shopper is told."""
    from kassa.services import customer_service

    state = get_state(console_app)
    now = datetime.now(UTC)
    with console_app.app_context(), state.db.session() as session:
        invoice = session.get_one(Invoice, records.invoice_id)
        invoice.amount_minor = 300000  # 3 000 EUR: twelve instalments stay above the minimum
        request = customer_service.agree_plan(
            session, state, [records.customer_id], [invoice.number], months=12, budget=None,
            consent=True, submit_key="plan-1", source="pages", now=now, today=now.date())
        assert request.status == "pending"
        request_id, task_id = request.id, request.support_task_id
    client, token = agent(console_app)
    answer = client.post(f"{CONSOLE}/tasks/{task_id}/requests/{request_id}/decide",
                         data={"csrf_token": token, "decision": "grant"})
    assert "decision was saved" in client.get(answer.headers["Location"]).get_data(as_text=True)
    with state.db.session() as session:
        assert session.get_one(ServiceRequest, request_id).status == "granted"
        assert session.get_one(SupportTask, task_id).status == "done"
        kinds = set(session.scalars(select(InvoiceEvent.kind).where(
            InvoiceEvent.invoice_id == records.invoice_id)))
        assert "plan_decided" in kinds
        assert session.scalars(select(OutboxMessage).where(
            OutboxMessage.kind == "request_decided")).first() is not None


def test_closing_a_friendly_contact_sends_the_survey_once(console_app: Flask,
                                                         records: Records) -> None:
    """The call reached the customer: closing ends the contact and the shopper gets the four
    questions by their channel; the task keeps its first answer and whether it was in time."""
    client, token = agent(console_app)
    promised = (date.today() + timedelta(days=5)).isoformat()
    client.post(f"{CONSOLE}/tasks/{records.contact_task}/call", data={
        "csrf_token": token, "outcome": "promise", "promise_date": promised})
    page = client.get(f"{CONSOLE}/tasks/{records.contact_task}").get_data(as_text=True)
    assert 'id="close-survey" name="survey" value="1" checked' in page
    client.post(f"{CONSOLE}/tasks/{records.contact_task}/close",
                data={"csrf_token": token, "survey": "1"})
    client.post(f"{CONSOLE}/tasks/{records.contact_task}/close",
                data={"csrf_token": token, "survey": "1"})  # a double submit
    with get_state(console_app).db.session() as session:
        survey = session.scalars(select(Survey)).one()
        assert (survey.contact_kind, survey.contact_id) == ("task", records.contact_task)
        assert (survey.channel, survey.agent) == ("phone", "Agent")
        assert len(session.scalars(select(OutboxMessage).where(
            OutboxMessage.kind == "survey")).all()) == 1
        task = session.get_one(SupportTask, records.contact_task)
        assert task.status == "done" and task.first_response_at is not None
        # Answered by the call, two hours before the due instant the run gave it.
        assert task.sla_met is True and task.channel == "phone"
        assert task.closed_by_id == records.staff["agent"]


def test_no_survey_when_nobody_was_reached(console_app: Flask, records: Records) -> None:
    client, token = agent(console_app)
    client.post(f"{CONSOLE}/tasks/{records.contact_task}/call", data={
        "csrf_token": token, "outcome": "no_answer"})
    page = client.get(f"{CONSOLE}/tasks/{records.contact_task}").get_data(as_text=True)
    assert 'id="close-survey" name="survey" value="1">' in page  # offered, not ticked
    client.post(f"{CONSOLE}/tasks/{records.contact_task}/close", data={"csrf_token": token})
    assert count(console_app, select(func.count()).select_from(Survey)) == 0
    assert count(console_app, select(func.count()).select_from(SupportTask).where(
        SupportTask.id == records.contact_task, SupportTask.status == "done")) == 1


def test_a_task_with_an_undecided_request_stays_open(console_app: Flask,
                                                    records: Records) -> None:
    client, token = agent(console_app)
    answer = client.post(f"{CONSOLE}/tasks/{records.request_task}/close",
                         data={"csrf_token": token, "survey": "1"})
    assert "grant or refuse the request first" in client.get(
        answer.headers["Location"]).get_data(as_text=True)
    with get_state(console_app).db.session() as session:
        assert session.get_one(SupportTask, records.request_task).status == "open"
        assert session.get_one(ServiceRequest, records.request_id).status == "pending"
        assert session.scalars(select(Survey)).first() is None


def test_closing_a_conversation_task_resolves_it_with_its_survey(console_app: Flask,
                                                                records: Records) -> None:
    client, token = agent(console_app)
    client.post(f"{CONSOLE}/tasks/{records.thread_task}/close",
                data={"csrf_token": token, "survey": "1"})
    with get_state(console_app).db.session() as session:
        assert session.get_one(MessageThread, records.thread_id).status == "resolved"
        survey = session.scalars(select(Survey)).one()
        assert (survey.contact_kind, survey.contact_id) == ("thread", records.thread_id)
        task = session.get_one(SupportTask, records.thread_task)
        assert task.channel == "message" and task.closed_by_id == records.staff["agent"]


def invoice_number(app: Flask, invoice_id: int) -> str:
    with get_state(app).db.session() as session:
        return session.get_one(Invoice, invoice_id).number


def test_resend_by_a_chosen_channel(make_app: Any, db_url: str) -> None:
    from .conftest import seed

    console_app = make_app(db_url, KASSA_CHANNELS=["email", "sms", "letter"],
                           KASSA_SMS_URL="http://127.0.0.1:9/sms")
    records = seed(console_app)
    client, token = agent(console_app)
    # Fax is no channel; the letter channel is on, e-invoicing is not.
    for channel in ("pigeon", "einvoice"):
        refused = client.post(f"{CONSOLE}/tasks/{records.contact_task}/invoices/"
                              f"{invoice_number(console_app, records.invoice_id)}/resend",
                              data={"csrf_token": token, "channel": channel})
        assert "not in use" in client.get(refused.headers["Location"]).get_data(as_text=True)
    number = invoice_number(console_app, records.invoice_id)
    path = f"{CONSOLE}/tasks/{records.contact_task}/invoices/{number}/resend"
    assert count(console_app, select(func.count()).select_from(InvoiceEvent).where(
        InvoiceEvent.kind == "resend_queued")) == 0
    client.post(path, data={"csrf_token": token, "channel": "sms"})
    with get_state(console_app).db.session() as session:
        sent = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc())).first()
        assert sent is not None
        assert (sent.channel, sent.kind, sent.recipient) == ("sms", "invoice", "+358401234567")
        event = session.scalars(select(InvoiceEvent).where(
            InvoiceEvent.kind == "resend_queued")).one()
        assert event.data["channel"] == "sms" and event.data["outbox_id"] == sent.id
        assert session.scalars(select(AuditEntry).where(
            AuditEntry.action == "invoice.resend")).one().target_id == records.invoice_id
    # Another customer's invoice is not reached through this task.
    from tests.factories import make_invoice
    other = make_invoice(console_app, country="SE", sequence=4242, email="other@example.test")
    answer = client.post(f"{CONSOLE}/tasks/{records.contact_task}/invoices/"
                         f"{invoice_number(console_app, other)}/resend",
                         data={"csrf_token": token, "channel": "email"})
    assert answer.status_code == 404


def test_the_agent_updates_the_customers_details(console_app: Flask, records: Records) -> None:
    from kassa.db import Customer

    client, token = agent(console_app)
    path = f"{CONSOLE}/tasks/{records.contact_task}/details"
    with get_state(console_app).db.session() as session:
        customer = session.get_one(Customer, records.customer_id)
        form = {"csrf_token": token, "email": customer.email, "phone": customer.phone or "",
                "street": customer.street, "postal_code": customer.postal_code,
                "city": customer.city, "delivery": "email", "reminders": "email"}
    bad = client.post(path, data={**form, "email": "maija at example"})
    assert "check the e-mail address" in client.get(bad.headers["Location"]).get_data(
        as_text=True)
    client.post(path, data={**form, "email": "maija.new@example.test",
                            "phone": "+358 40 765 4321", "reminders": "sms"})
    with get_state(console_app).db.session() as session:
        customer = session.get_one(Customer, records.customer_id)
        assert (customer.email, customer.phone, customer.reminder_channel) == (
            "maija.new@example.test", "+358407654321", "sms")
        invoice = session.get_one(Invoice, records.invoice_id)
        assert invoice.billed["email"] == "maija.new@example.test"
        entry = session.scalars(select(AuditEntry).where(
            AuditEntry.action == "customer.details")).one()
        assert entry.before == {"email": "shopper@example.test", "phone": "+358401234567",
                                "reminders": "email"}
        assert entry.after["reminders"] == "sms"
    # Taking the number away while reminders go by SMS is refused, and changes nothing.
    gone = client.post(path, data={**form, "email": "maija.new@example.test", "phone": "",
                                   "reminders": "sms"})
    assert "need a phone number" in client.get(gone.headers["Location"]).get_data(
        as_text=True)
    with get_state(console_app).db.session() as session:
        assert session.get_one(Customer, records.customer_id).phone == "+358407654321"


def test_pause_and_resume_the_reminders(console_app: Flask, records: Records) -> None:
    from kassa.db import InvoiceHold

    client, token = agent(console_app)
    number = invoice_number(console_app, records.invoice_id)
    base = f"{CONSOLE}/tasks/{records.contact_task}/invoices/{number}"
    too_far = (date.today() + timedelta(days=61)).isoformat()
    refused = client.post(base + "/pause", data={"csrf_token": token, "until": too_far})
    assert "up to 60 days" in client.get(refused.headers["Location"]).get_data(as_text=True)
    until = date.today() + timedelta(days=10)
    client.post(base + "/pause", data={"csrf_token": token, "until": until.isoformat(),
                                       "note": "Promised to pay on the 10th"})
    with get_state(console_app).db.session() as session:
        hold = session.scalars(select(InvoiceHold)).one()
        assert (hold.reason, hold.ends_on) == ("paused", until)
        assert session.get_one(Invoice, records.invoice_id).next_action_on == \
            until + timedelta(days=1)
    page = client.get(f"{CONSOLE}/tasks/{records.contact_task}").get_data(as_text=True)
    assert "/resume" in page
    client.post(base + "/resume", data={"csrf_token": token})
    with get_state(console_app).db.session() as session:
        hold = session.scalars(select(InvoiceHold)).one()
        assert hold.ends_on == date.today()
        actions = session.scalars(select(AuditEntry.action).where(
            AuditEntry.action.like("invoice.%"))).all()
        assert sorted(actions) == ["invoice.pause", "invoice.resume"]


def test_an_unresolved_or_low_answer_becomes_a_follow_up(console_app: Flask,
                                                        records: Records) -> None:
    from kassa.services import conversations

    client, token = agent(console_app)
    client.post(f"{CONSOLE}/tasks/{records.contact_task}/close",
                data={"csrf_token": token, "survey": "1"})
    now = datetime.now(UTC)
    with console_app.app_context(), get_state(console_app).db.session() as session:
        survey = session.scalars(select(Survey)).one()
        conversations.answer_survey(session, survey, resolved=False, recommend=3, advisor=7,
                                    overall=4, comment="Soitto katkesi kesken", now=now)
    with get_state(console_app).db.session() as session:
        follow_up = session.scalars(select(SupportTask).where(
            SupportTask.kind == "survey_followup")).one()
        assert follow_up.payload["survey_id"] == survey.id and follow_up.status == "open"
    page = client.get(f"{CONSOLE}/tasks/{follow_up.id}").get_data(as_text=True)
    assert f'data-followup="{survey.id}"' in page and "Soitto katkesi kesken" in page
    assert f"#{follow_up.id}<" in client.get(CONSOLE + "/?type=survey_followup").get_data(
        as_text=True)


def test_a_happy_answer_makes_no_follow_up(console_app: Flask, records: Records) -> None:
    from kassa.services import conversations

    client, token = agent(console_app)
    client.post(f"{CONSOLE}/tasks/{records.contact_task}/close",
                data={"csrf_token": token, "survey": "1"})
    with console_app.app_context(), get_state(console_app).db.session() as session:
        survey = session.scalars(select(Survey)).one()
        conversations.answer_survey(session, survey, resolved=True, recommend=9, advisor=10,
                                    overall=7, comment="", now=datetime.now(UTC))
    assert count(console_app, select(func.count()).select_from(SupportTask).where(
        SupportTask.kind == "survey_followup")) == 0


def test_files_both_ways(console_app: Flask, records: Records) -> None:
    """The agent opens the shopper's file as a download and answers with a file of their
    own; a file that is HTML dressed as a PDF is refused and nothing is sent."""
    import io

    from kassa.db import Attachment
    from kassa.services import conversations
    from tests.factories import make_invoice

    client, token = agent(console_app)
    page = client.get(f"{CONSOLE}/tasks/{records.thread_task}").get_data(as_text=True)
    assert f'data-attachment="{records.attachment_id}"' in page and "receipt.txt" in page
    download = client.get(f"{CONSOLE}/tasks/{records.thread_task}/attachments/"
                          f"{records.attachment_id}")
    assert download.status_code == 200
    assert download.data == b"Order 1001, paid by invoice.\n"
    assert download.headers["Content-Disposition"].startswith("attachment;")

    # Another customer's file is not reached through this customer's task.
    other = make_invoice(console_app, country="SE", sequence=4343, email="other@example.test")
    state = get_state(console_app)
    with console_app.app_context(), state.db.session() as session:
        invoice = session.get_one(Invoice, other)
        thread = conversations.start_thread(
            session, state, invoice.customer, subject="Hej", body="Hej!", invoice=invoice,
            submit_key="o1", now=datetime.now(UTC),
            uploads=[conversations.Upload("other.txt", b"private\n")])
        foreign = session.scalars(select(Attachment).where(
            Attachment.message_id == thread.messages[0].id)).one().id
    assert client.get(f"{CONSOLE}/tasks/{records.thread_task}/attachments/{foreign}"
                      ).status_code == 404

    base = f"{CONSOLE}/tasks/{records.thread_task}/threads/{records.thread_id}/reply"
    fake = client.post(base, content_type="multipart/form-data", data={
        "csrf_token": token, "body": "Here is the label.", "submit_key": "f1",
        "files": (io.BytesIO(b"<html><script>x</script></html>"), "label.pdf")})
    assert "is not a PDF, JPEG, PNG or text file" in client.get(
        fake.headers["Location"]).get_data(as_text=True)
    assert count(console_app, select(func.count()).select_from(Message).where(
        Message.author == "staff")) == 0
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    client.post(base, content_type="multipart/form-data", data={
        "csrf_token": token, "body": "Here is the label.", "submit_key": "f2",
        "files": (io.BytesIO(png), "label.png")})
    with get_state(console_app).db.session() as session:
        message = session.scalars(select(Message).where(Message.author == "staff")).one()
        assert [(a.filename, a.content_type) for a in message.attachments] == [
            ("label.png", "image/png")]


def test_a_customer_writing_again_restarts_the_clock_and_keeps_the_first_verdict(
        console_app: Flask, records: Records) -> None:
    """Maija writes on Wednesday at 10 (Helsinki), Aino answers at 11: in time. Maija writes
    again on Friday at 15, after the day's cut-off: the conversation is back in the queue, due
    at Monday's close, not two days overdue; the first answer's verdict stays."""
    from kassa.db import Customer
    from kassa.services import conversations, tasks

    state = get_state(console_app)
    wednesday = datetime(2026, 11, 11, 8, 0, tzinfo=UTC)  # 10:00 in Helsinki
    with state.db.session() as db:
        customer = db.get_one(Customer, records.customer_id)
        thread = conversations.start_thread(
            db, state, customer, subject="Toimitus", body="Missä pakettini on?", invoice=None,
            uploads=[], submit_key="w1", now=wednesday)
        conversations.add_message(db, state, thread, author="staff", author_name="Aino",
                                  body="Se on matkalla.", uploads=[], submit_key="w2",
                                  now=wednesday + timedelta(hours=1))
        task_id = thread.support_task_id
        assert task_id is not None
    friday = datetime(2026, 11, 13, 13, 0, tzinfo=UTC)  # 15:00 in Helsinki
    monday_close = datetime(2026, 11, 16, 14, 0, tzinfo=UTC)  # 16:00 in Helsinki
    with state.db.session() as db:
        thread = db.get_one(MessageThread, thread.id)
        conversations.add_message(db, state, thread, author="shopper", body="Ei ole tullut.",
                                  uploads=[], submit_key="w3", now=friday)
        task = db.get_one(SupportTask, task_id)
        assert (task.status, task.sla_met) == ("open", True)
        assert tasks.sla_due(state, task, "FI") == monday_close
        # Another message before the answer leaves the clock where it was.
        conversations.add_message(db, state, thread, author="shopper", body="Onko tietoa?",
                                  uploads=[], submit_key="w4", now=friday + timedelta(days=3))
        assert tasks.sla_due(state, task, "FI") == monday_close
        # Aino answers on Monday at 17, an hour past the clock: a later answer, late.
        conversations.add_message(db, state, thread, author="staff", author_name="Aino",
                                  body="Selvitämme asian.", uploads=[], submit_key="w5",
                                  now=monday_close + timedelta(hours=1))
        assert (task.replies, task.replies_met, task.reply_seconds) == (
            1, 0, int((monday_close + timedelta(hours=1) - friday).total_seconds()))
        tasks.finish(db, state, task, monday_close + timedelta(hours=2))
        assert (task.sla_met, task.replies) == (True, 1)
    client, _token = agent(console_app)
    assert f"#{task_id}<" not in client.get(CONSOLE + "/").get_data(as_text=True)
    boss, _token = agent(console_app, "supervisor")
    rows = list(csv.DictReader(io.StringIO(boss.get(
        CONSOLE + "/dashboard.csv?view=service&weeks=104").get_data(as_text=True))))
    everyone = next(r for r in rows if r["group"] == "all")
    assert (everyone["replies"], everyone["replies_met_share"]) == ("1", "0.0")
