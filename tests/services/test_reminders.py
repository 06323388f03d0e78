"""The reminder run: day by day per country, once per step, paused by holds, two workers."""

from __future__ import annotations

import dataclasses
import json
import signal
import subprocess
import sys
import threading
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, func, insert, select
from sqlalchemy.exc import IntegrityError

from kassa import get_state
from kassa.core.dunning import DunningState
from kassa.db import DunningStep, Invoice, InvoiceHold, OutboxMessage, SupportTask
from kassa.services import due_invoices, reminders
from kassa.services.payments import record_payment
from kassa.services.reminders import run_reminders
from tests.conftest import base_config
from tests.factories import make_invoice

ISSUED = date(2026, 2, 16)  # due Mon 2.3.2026, the date of nordic-rules.md's example


def walk(app: Flask, start: date, days: int) -> dict[date, list[str]]:
    """Run the engine every day; which steps were taken on which day."""
    taken: dict[date, list[str]] = {}
    with app.app_context():
        for offset in range(days):
            day = start + timedelta(days=offset)
            report = run_reminders(get_state(app), today=day)
            kinds = [k for k, n in report.steps.items() for _ in range(n)]
            if kinds:
                taken[day] = kinds
    return taken


def steps(app: Flask, invoice_id: int) -> list[tuple[str, int, date, int, date | None]]:
    with get_state(app).db.session() as db:
        rows = db.scalars(select(DunningStep).where(DunningStep.invoice_id == invoice_id)
                          .order_by(DunningStep.id)).all()
        return [(s.kind, s.notice_number, s.taken_on, s.fee_minor, s.deadline) for s in rows]


def test_finnish_invoice_walked_day_by_day(app: Flask) -> None:
    invoice_id = make_invoice(app, country="FI", issued=ISSUED)
    walk(app, date(2026, 3, 1), 75)
    history = steps(app, invoice_id)
    assert history[0][:3] == ("friendly", 0, date(2026, 3, 3))
    first, second = history[1], history[2]
    # Day 15 after the due date is Tue 17.3, but the first reminder also keeps 14 full days
    # after the friendly contact of Tue 3.3 (KASSA_FRIENDLY_CONTACT_KEEPS_SPACING, FI by
    # default): Wed 18.3. 5.00 EUR, the cap.
    assert first[:4] == ("reminder", 1, date(2026, 3, 18), 500)
    assert first[4] >= first[2] + timedelta(days=10)  # e-mail: received the same day
    assert second[0:2] == ("reminder", 2)
    assert second[2] >= max(first[2] + timedelta(days=15), first[4] + timedelta(days=1))
    assert history[3][0] == "collection"
    with get_state(app).db.session() as db:
        invoice = db.get(Invoice, invoice_id)
        assert invoice.fees_minor == 1000
        assert invoice.status == "collection"
        assert invoice.interest_minor > 0
        kinds = [e.kind for e in invoice.events]
        assert kinds.count("reminded") == 2 and "handed_to_collection" in kinds
        assert db.scalar(select(func.count()).select_from(SupportTask)) == 1


@pytest.mark.parametrize(("keeps_spacing", "first_reminder"),
                         [(["FI"], date(2026, 3, 18)), ([], date(2026, 3, 17))],
                         ids=["default", "off"])
def test_finnish_first_reminder_and_the_friendly_contact(
        make_app, db_url: str, keeps_spacing: list[str], first_reminder: date) -> None:  # type: ignore[no-untyped-def]
    app = make_app(db_url, KASSA_FRIENDLY_CONTACT_KEEPS_SPACING=keeps_spacing)
    invoice_id = make_invoice(app, country="FI", issued=ISSUED)
    taken = walk(app, date(2026, 3, 1), 30)
    friendly = steps(app, invoice_id)[0]
    assert friendly[:3] == ("friendly", 0, date(2026, 3, 3))
    assert [day for day, kinds in taken.items() if "reminder" in kinds][0] == first_reminder
    if keeps_spacing:  # not before the friendly contact + 15 days
        assert first_reminder == friendly[2] + timedelta(days=15)


def test_part_payment_does_not_lower_the_interest_already_accrued(app: Flask) -> None:
    invoice_id = make_invoice(app, country="FI", issued=ISSUED)  # 129.90 EUR due Mon 2.3
    walk(app, date(2026, 3, 1), 18)  # through the first reminder on Wed 18.3
    with get_state(app).db.session() as db:
        invoice = db.get(Invoice, invoice_id)
        # 12 990 c at 9.5 % for 3.3-18.3, 16 days: 12 990 * 9.5 * 16 / 36 500 = 54.09 -> 54.
        assert (invoice.interest_minor, invoice.interest_through) == (54, date(2026, 3, 18))
        record_payment(db, invoice, source="bank", external_id="part-1", amount=10_000,
                       currency="EUR", received_on=date(2026, 3, 19))
    walk(app, date(2026, 3, 19), 15)  # through the second reminder on Thu 2.4
    with get_state(app).db.session() as db:
        invoice = db.get(Invoice, invoice_id)
        # 3.3-19.3: 17 days on 12 990; 20.3-2.4: 14 days on 2 990 left of the principal:
        # (12 990 * 9.5 * 17 + 2 990 * 9.5 * 14) / 36 500 = 2 495 555 / 36 500 = 68.37 -> 68.
        # Counted from the due date on the 29.90 EUR left, it would be 24 c: less than the
        # 54 c already accrued before the payment.
        assert (invoice.interest_minor, invoice.interest_through) == (68, date(2026, 4, 2))


def test_swedish_fee_only_if_agreed(app: Flask) -> None:
    agreed = make_invoice(app, country="SE", issued=ISSUED, sequence=2001)
    not_agreed = make_invoice(app, country="SE", issued=ISSUED, sequence=2002, fee_agreed=False)
    walk(app, date(2026, 3, 1), 30)
    fees = {i: [s[3] for s in steps(app, i) if s[0] == "reminder"] for i in (agreed, not_agreed)}
    assert fees[agreed] == [6000]
    assert fees[not_agreed] == [0]


def test_norwegian_reminder_not_before_fourteen_days(app: Flask) -> None:
    invoice_id = make_invoice(app, country="NO", issued=ISSUED, sequence=3001)
    walk(app, date(2026, 3, 1), 30)
    reminder = next(s for s in steps(app, invoice_id) if s[0] == "reminder")
    assert reminder[2] >= date(2026, 3, 17)
    assert reminder[3] == 3500  # the shop's fee, below the 2026 cap of 37.50 NOK
    assert reminder[4] >= reminder[2] + timedelta(days=14)


def test_running_twice_a_day_changes_nothing(app: Flask) -> None:
    invoice_id = make_invoice(app, country="FI", issued=ISSUED)
    with app.app_context():
        first = run_reminders(get_state(app), today=date(2026, 3, 3))
        second = run_reminders(get_state(app), today=date(2026, 3, 3))
    assert first.total_steps == 1 and second.total_steps == 0
    assert len(steps(app, invoice_id)) == 1
    with get_state(app).db.session() as db:
        messages = db.scalars(select(OutboxMessage.kind)).all()
    assert messages == ["friendly_reminder"]


@pytest.mark.parametrize("paid_on", [date(2026, 3, 2), date(2026, 3, 10), date(2026, 3, 20)])
def test_paid_invoice_gets_no_further_steps(app: Flask, paid_on: date) -> None:
    invoice_id = make_invoice(app, country="FI", issued=ISSUED)
    walk(app, date(2026, 3, 1), (paid_on - date(2026, 3, 1)).days)
    before = steps(app, invoice_id)
    with get_state(app).db.session() as db:
        invoice = db.get(Invoice, invoice_id)
        invoice.paid_minor = invoice.balance_minor
        invoice.status = "paid"
    walk(app, paid_on, 60)
    assert steps(app, invoice_id) == before


@pytest.mark.parametrize("hold_from", [date(2026, 3, 2), date(2026, 3, 16)])
def test_dispute_pauses_and_resumes(app: Flask, hold_from: date) -> None:
    invoice_id = make_invoice(app, country="FI", issued=ISSUED)
    walk(app, date(2026, 3, 1), (hold_from - date(2026, 3, 1)).days)
    with get_state(app).db.session() as db:
        db.add(InvoiceHold(invoice_id=invoice_id, reason="disputed", starts_on=hold_from,
                           ends_on=date(2026, 4, 20)))
    walk(app, hold_from, 80)
    during = [s for s in steps(app, invoice_id)
              if hold_from <= s[2] < date(2026, 4, 20)]
    assert during == []
    after = [s for s in steps(app, invoice_id) if s[2] >= date(2026, 4, 20)]
    assert after, "the reminders resume after the hold"
    assert all(s[2] > date(2026, 4, 20) for s in after)


def test_two_workers_take_every_step_exactly_once(make_app, db_url: str) -> None:  # type: ignore[no-untyped-def]
    app = make_app(db_url)
    ids = [make_invoice(app, country="FI", issued=ISSUED, sequence=5000 + n,
                        email=f"s{n}@example.test") for n in range(40)]
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            with app.app_context():
                run_reminders(get_state(app), today=date(2026, 3, 3), batch_size=7)
        except BaseException as exc:  # collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    with get_state(app).db.session() as db:
        counted = db.execute(select(DunningStep.invoice_id, func.count())
                             .group_by(DunningStep.invoice_id)).all()
    assert sorted(i for i, _ in counted) == sorted(ids)
    assert all(n == 1 for _, n in counted)


def test_a_run_killed_midway_finishes_on_the_next_run_without_duplicates(app: Flask) -> None:
    ids = [make_invoice(app, country="FI", issued=ISSUED, sequence=6000 + n,
                        email=f"k{n}@example.test") for n in range(12)]

    class Killed(Exception):
        pass

    def kill_after_first_batch(report: object) -> None:
        raise Killed  # the process dies between two batches

    with app.app_context(), pytest.raises(Killed):
        run_reminders(get_state(app), today=date(2026, 3, 3), batch_size=5,
                      progress=kill_after_first_batch)
    with get_state(app).db.session() as db:
        assert db.scalar(select(func.count()).select_from(DunningStep)) == 5
    with app.app_context():
        rest = run_reminders(get_state(app), today=date(2026, 3, 3), batch_size=5)
    assert rest.total_steps == 7
    with get_state(app).db.session() as db:
        counted = dict(db.execute(select(DunningStep.invoice_id, func.count())
                                  .group_by(DunningStep.invoice_id)).all())
    assert sorted(counted) == sorted(ids) and set(counted.values()) == {1}



#: Run in a child process: the reminder run, killed (SIGKILL) in its second batch after the
#: steps and the support tasks are written and before the batch commits.
_KILLED_MID_BATCH = """
import json, os, signal, sys
from datetime import date
from flask import Flask
from kassa import Kassa, get_state
from kassa.services import reminders

app = Flask("kassa_killed")
app.config.update(json.loads(sys.argv[1]))
Kassa(app)
real_insert, written = reminders.insert_rows, []

def insert_then_die(db, table, rows):
    real_insert(db, table, rows)
    written.append(table.name)
    if written.count("kassa_support_tasks") == 2:
        os.kill(os.getpid(), signal.SIGKILL)

reminders.insert_rows = insert_then_die
with app.app_context():
    reminders.run_reminders(get_state(app), today=date(2026, 3, 3), batch_size=5)
"""


def test_a_process_killed_inside_a_batch_leaves_no_half_batch_behind(app: Flask) -> None:
    ids = [make_invoice(app, country="FI", issued=ISSUED, sequence=6100 + n,
                        email=f"p{n}@example.test") for n in range(12)]
    config = {key: app.config[key] for key in base_config(app.config["KASSA_DATABASE_URL"])}
    child = subprocess.run([sys.executable, "-c", _KILLED_MID_BATCH, json.dumps(config)],
                           capture_output=True, text=True, timeout=120)
    assert child.returncode == -signal.SIGKILL, child.stderr
    state = get_state(app)
    with state.db.session() as db:  # the first batch only
        assert db.scalar(select(func.count()).select_from(DunningStep)) == 5
        assert db.scalar(select(func.count()).select_from(SupportTask)) == 5
    with app.app_context():
        rest = run_reminders(state, today=date(2026, 3, 3), batch_size=5)
    assert rest.total_steps == 7
    with state.db.session() as db:
        counted = dict(db.execute(select(DunningStep.invoice_id, func.count())
                                  .group_by(DunningStep.invoice_id)).all())
        assert db.scalar(select(func.count()).select_from(SupportTask)) == 12
        assert db.scalar(select(func.count()).select_from(OutboxMessage)) == 12
    assert sorted(counted) == sorted(ids) and set(counted.values()) == {1}

def test_a_step_that_always_conflicts_stops_the_run_instead_of_looping(
        app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """A unique-key error that no other worker explains (here a history reader that forgets
    the friendly contact already made) must surface, not be retried for ever."""
    invoice_id = make_invoice(app, country="FI", issued=ISSUED)
    with app.app_context():
        run_reminders(get_state(app), today=date(2026, 3, 3))
    forgetful = reminders.dunning_state

    def forget_the_friendly_contact(invoice: Invoice, today: date,
                                    channel: str | None = None) -> DunningState:
        return dataclasses.replace(forgetful(invoice, today, channel), friendly_sent_on=None)

    monkeypatch.setattr(reminders, "dunning_state", forget_the_friendly_contact)
    with get_state(app).db.session() as db:
        db.get(Invoice, invoice_id).next_action_on = date(2026, 3, 3)
    with app.app_context(), pytest.raises(IntegrityError):
        run_reminders(get_state(app), today=date(2026, 3, 3))
    with get_state(app).db.session() as db:
        assert db.scalar(select(func.count()).select_from(SupportTask)) == 1
        assert db.scalar(select(func.count()).select_from(DunningStep)) == 1


def test_a_run_after_missed_days_takes_every_due_invoice_once_across_batches(
        app: Flask) -> None:
    """Invoices whose day came on different days (the run did not run for a while) are read
    in (day, id) order batch by batch: none is skipped, none is read twice."""
    ids = [make_invoice(app, country="FI", issued=ISSUED, sequence=7000 + n,
                        email=f"m{n}@example.test") for n in range(23)]
    with get_state(app).db.session() as db:
        for n, invoice_id in enumerate(ids):  # days in a mixed order against the ids
            db.get(Invoice, invoice_id).next_action_on = date(2026, 3, 3) + timedelta(
                days=(n * 7) % 5)
        db.get(Invoice, ids[0]).next_action_on = date(2026, 3, 20)  # not due yet
    seen: list[int] = []
    with app.app_context():
        report = run_reminders(get_state(app), today=date(2026, 3, 9), batch_size=4,
                               progress=lambda r: seen.append(r.examined))
    assert report.examined == 22 and report.total_steps == 22
    assert seen == [4, 8, 12, 16, 20, 22]
    with get_state(app).db.session() as db:
        counted = dict(db.execute(select(DunningStep.invoice_id, func.count())
                                  .group_by(DunningStep.invoice_id)).all())
    assert sorted(counted) == sorted(ids[1:]) and set(counted.values()) == {1}


def test_each_batch_reads_the_first_rows_of_the_next_look_index(app: Flask) -> None:
    """Read any other way, every batch reads every due invoice (and on SQLite, which has no
    statistics, through the status index: the whole book) and sorts them."""
    template_id = make_invoice(app, country="FI", issued=ISSUED)
    state = get_state(app)
    table = Invoice.__table__
    with state.db.session() as db:  # a book of 3 000 open invoices, 2 % due on 3.3.
        template = dict(db.execute(select(table).where(table.c.id == template_id)).one()._mapping)
        del template["id"]
        later = template["next_action_on"] + timedelta(days=30)
        db.execute(insert(table), [
            {**template, "number": f"B{n:06d}", "reference": f"9{n:06d}",
             "instalment_number": n,  # one agreement, one invoice per instalment
             "next_action_on": template["next_action_on"] if n % 50 == 0 else later}
            for n in range(1, 3001)])
    engine = state.db.engine
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE kassa_invoices")
    claims: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "kassa_invoices.next_action_on <=" in statement:
            claims.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    with app.app_context():
        report = run_reminders(state, today=date(2026, 3, 3), batch_size=10)
    event.remove(engine, "before_cursor_execute", capture)
    assert report.steps["friendly"] == 61
    assert len(claims) == 8  # the first batch, six more after a key, and the empty last one
    explain = "EXPLAIN" if engine.dialect.name == "postgresql" else "EXPLAIN QUERY PLAN"
    with engine.connect() as connection:
        for statement, parameters in claims:
            plan = " ".join(str(row[-1]) for row in connection.exec_driver_sql(
                f"{explain} {statement}", parameters))
            assert "ix_kassa_invoices_next_look" in plan, plan
            assert "TEMP B-TREE" not in plan and "Sort" not in plan, plan  # no sorting


def test_the_command_with_several_workers_takes_every_step_once_and_counts_them_all(
        app: Flask) -> None:
    ids = [make_invoice(app, country="FI", issued=ISSUED, sequence=8000 + n,
                        email=f"w{n}@example.test") for n in range(30)]
    result = app.test_cli_runner().invoke(args=[
        "kassa", "run-reminders", "--today", "2026-03-03", "--workers", "3",
        "--batch-size", "4"])
    assert result.exit_code == 0, result.output
    assert "30 invoices looked at; 30 friendly contacts" in result.output
    with get_state(app).db.session() as db:
        counted = dict(db.execute(select(DunningStep.invoice_id, func.count())
                                  .group_by(DunningStep.invoice_id)).all())
        tasks = db.scalar(select(func.count()).select_from(SupportTask))
    assert sorted(counted) == sorted(ids) and set(counted.values()) == {1}
    assert tasks == 30


def test_a_worker_that_finishes_during_another_workers_batch_is_not_undone(
        app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """Worker B runs to the end while worker A is between reading its batch and writing it.
    A must then neither take B's step again nor write its older reading of the invoice back
    over B's (the status would fall back from overdue to open)."""
    invoice_id = make_invoice(app, country="FI", issued=ISSUED)
    state = get_state(app)
    reports: list[reminders.RunReport] = []
    other = threading.Thread(target=lambda: reports.append(_run_in_context(app)))
    real_among = due_invoices.among

    def among_while_the_other_worker_runs(*args: Any) -> Any:
        if not other.is_alive() and not reports:
            other.start()
            other.join(timeout=2)  # blocked by this batch where the database locks it
        return real_among(*args)

    monkeypatch.setattr(due_invoices, "among", among_while_the_other_worker_runs)
    with app.app_context():
        first = run_reminders(state, today=date(2026, 3, 3))
    other.join(timeout=30)
    assert not other.is_alive()
    with state.db.session() as db:
        invoice = db.get(Invoice, invoice_id)
        assert invoice.status == "overdue" and invoice.next_action_on > date(2026, 3, 3)
        assert db.scalar(select(func.count()).select_from(DunningStep)) == 1
        assert db.scalar(select(func.count()).select_from(SupportTask)) == 1
    assert first.examined + reports[0].examined == 1


def _run_in_context(app: Flask) -> reminders.RunReport:
    with app.app_context():
        return run_reminders(get_state(app), today=date(2026, 3, 3))


@pytest.mark.parametrize(("chosen", "friendly", "formal"), [
    ("sms", "sms", "sms"),      # chosen on the pages, with a phone and SMS set up
    (None, "email", "email"),   # not chosen: the merchant's and the invoice's channels
])
def test_reminders_follow_the_channel_the_customer_chose(
        make_app, db_url: str, chosen: str | None, friendly: str, formal: str) -> None:  # type: ignore[no-untyped-def]
    from kassa.db import Customer

    app = make_app(db_url, KASSA_SMS_URL="https://sms.example/v1/messages",
                   KASSA_SMS_API_KEY="k" * 20, KASSA_FRIENDLY_CHANNEL="email")
    invoice_id = make_invoice(app, country="FI", issued=ISSUED)  # an e-mailed invoice
    with get_state(app).db.session() as db:
        invoice = db.get_one(Invoice, invoice_id)
        db.get_one(Customer, invoice.customer_id).reminder_channel = chosen
    walk(app, date(2026, 3, 1), 20)
    with get_state(app).db.session() as db:
        sent = {m.kind: (m.channel, m.recipient) for m in db.scalars(select(OutboxMessage))}
    phone, email = "+358401234567", "shopper@example.test"
    assert sent["friendly_reminder"] == (friendly, phone if friendly == "sms" else email)
    assert sent["reminder"] == (formal, phone if formal == "sms" else email)


def test_a_reminder_by_the_letter_the_customer_chose_gives_the_letters_time(
        make_app, db_url: str) -> None:  # type: ignore[no-untyped-def]
    """An e-mailed invoice whose customer chose letters for reminders: the notice's deadline
    counts from the day a letter is received at the latest, not from an e-mail's."""
    from kassa.db import Customer

    app = make_app(db_url, KASSA_PRINT_SERVICE_URL="https://print.example/v1",
                   KASSA_HANDOVER_TOKEN="t" * 24, KASSA_CHANNELS=["email", "letter"],
                   KASSA_LETTER_LAG_BUSINESS_DAYS={"FI": 4})
    invoice_id = make_invoice(app, country="FI", issued=ISSUED)
    with get_state(app).db.session() as db:
        invoice = db.get_one(Invoice, invoice_id)
        db.get_one(Customer, invoice.customer_id).reminder_channel = "letter"
    walk(app, date(2026, 3, 1), 20)
    [(_kind, _n, sent, _fee, deadline)] = [s for s in steps(app, invoice_id) if s[0] == "reminder"]
    with get_state(app).db.session() as db:
        [notice] = db.scalars(select(OutboxMessage).where(
            OutboxMessage.invoice_id == invoice_id, OutboxMessage.kind == "reminder")).all()
        assert notice.channel == "letter"
    # Sent Wed 18.3: received by Tue 24.3 at the latest (4 business days); + 10 days is Good
    # Friday 3.4, so the next business day after Easter Monday. By e-mail it would be 30.3.
    assert (sent, deadline) == (date(2026, 3, 18), date(2026, 4, 7))


def test_invoices_of_a_country_no_longer_served_are_still_reminded(
        make_app, db_url: str) -> None:  # type: ignore[no-untyped-def]
    """The shop stopped selling to Norway; its open Norwegian invoice still follows Norway's
    rules, and the run does not stop for it."""
    app = make_app(db_url)
    norwegian = make_invoice(app, country="NO", issued=ISSUED)
    finnish = make_invoice(app, country="FI", issued=ISSUED, sequence=1002)
    later = make_app(db_url, upgrade=False, KASSA_COUNTRIES=["FI"])
    walk(later, date(2026, 3, 1), 20)
    assert steps(later, norwegian) and steps(later, finnish)
