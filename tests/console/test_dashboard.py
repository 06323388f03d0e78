"""The survey figures against the reference's worked definitions (support-metrics.md §2)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from flask import Flask

from kassa import get_state
from kassa.db import Survey

from .conftest import Records, csrf, sign_in


def add_surveys(app: Flask, customer_id: int) -> None:
    """40 surveys sent this week, 20 answered by "Aino" (recommend: 11 promoters, 5 passives,
    4 detractors; resolved 15 yes, 5 no; advisor 9-10 in 17; overall 9-10 in 14), and
    5 answered by "Bo" last week (too few to show)."""
    now = datetime.now(UTC)
    recommend = [10] * 6 + [9] * 5 + [8] * 3 + [7] * 2 + [3] * 4
    with get_state(app).db.session() as session:
        for index in range(40):
            answered = index < 20
            session.add(Survey(
                customer_id=customer_id, contact_kind="thread", contact_id=index + 1,
                country="FI", locale="fi", channel="message", agent="Aino", sent_at=now,
                answered_at=now if answered else None,
                resolved=(index < 15) if answered else None,
                recommend=recommend[index] if answered else None,
                advisor=(10 if index < 17 else 5) if answered else None,
                overall=(9 if index < 14 else 8) if answered else None))
        for index in range(5):
            session.add(Survey(
                customer_id=customer_id, contact_kind="request", contact_id=index + 1,
                country="FI", locale="fi", channel="phone", agent="Bo",
                sent_at=now - timedelta(days=7), answered_at=now - timedelta(days=7),
                resolved=True, recommend=10, advisor=10, overall=10))


def test_dashboard_figures_and_csv(console_app: Flask, records: Records) -> None:
    add_surveys(console_app, records.customer_id)
    client = console_app.test_client()
    sign_in(client, "supervisor")
    csrf(client, "/kassa/console/")
    page = client.get("/kassa/console/dashboard").get_data(as_text=True)
    assert "target 85 %" in page and "too few answers" in page
    rows = list(csv.DictReader(io.StringIO(
        client.get("/kassa/console/dashboard.csv").get_data(as_text=True))))
    aino = next(r for r in rows if r["group"] == "agent" and r["key"] == "Aino")
    # Response rate 20/40; FCR 15/(15+5); NPS 55 % - 20 % = +35; top-box 11/20, 17/20, 14/20.
    assert (aino["sent"], aino["answered"], aino["response_rate"]) == ("40", "20", "50.0")
    assert (aino["fcr"], aino["nps"], aino["recommend_top"]) == ("75.0", "35", "55.0")
    assert (aino["advisor_top"], aino["overall_top"]) == ("85.0", "70.0")
    bo = next(r for r in rows if r["group"] == "agent" and r["key"] == "Bo")
    assert bo["answered"] == "5" and bo["fcr"] == "" and bo["nps"] == ""
    everyone = next(r for r in rows if r["group"] == "all")
    # 25 answers: 20 resolved of 25 -> 80 %; promoters 16, detractors 4 -> 64 - 16 = +48.
    assert (everyone["fcr"], everyone["nps"]) == ("80.0", "48")
    weeks = [r for r in rows if r["group"] == "week"]
    assert len(weeks) == 2 and {w["answered"] for w in weeks} == {"20", "5"}
    monday = datetime.now(UTC).date() - timedelta(days=datetime.now(UTC).weekday())
    assert weeks[0]["key"] == monday.isoformat()


def close_task(app: Flask, customer_id: int, *, created: timedelta, answered: timedelta,
               due: timedelta, kind: str = "overdue_contact", channel: str = "phone") -> None:
    """A task created, first answered and due at those offsets from now, closed now."""
    from kassa.db import SupportTask
    from kassa.services import tasks

    now = datetime.now(UTC)
    state = get_state(app)
    with state.db.session() as session:
        task = SupportTask(customer_id=customer_id, kind=kind, status="open",
                           payload={"recommended": {"channel": channel}},
                           created_at=now + created, due_at=now + due)
        session.add(task)
        session.flush()
        tasks.mark_answered(task, now + answered)
        tasks.finish(session, state, task, now)


def test_service_levels_backlog_answers_and_charts(console_app: Flask,
                                                   records: Records) -> None:
    # Answered after an hour, an hour before its due: in time. Answered after five hours,
    # three hours past its due: missed. Mean wait (3 600 + 18 000) / 2 = 10 800 s.
    close_task(console_app, records.customer_id, created=-timedelta(hours=2),
               answered=-timedelta(hours=1), due=timedelta(0))
    close_task(console_app, records.customer_id, created=-timedelta(hours=5),
               answered=timedelta(0), due=-timedelta(hours=3), channel="sms")
    with get_state(console_app).db.session() as session:
        session.add(Survey(customer_id=records.customer_id, contact_kind="task", contact_id=1,
                           country="FI", locale="fi", channel="phone", agent="Aino",
                           sent_at=datetime.now(UTC), answered_at=datetime.now(UTC),
                           resolved=True, recommend=9, advisor=10, overall=8,
                           comment="Kiitos ystävällisestä palvelusta"))
    client = console_app.test_client()
    sign_in(client, "supervisor")
    rows = list(csv.DictReader(io.StringIO(client.get(
        "/kassa/console/dashboard.csv?view=service").get_data(as_text=True))))
    everyone = next(r for r in rows if r["group"] == "all")
    assert (everyone["closed"], everyone["met"], everyone["met_share"]) == ("2", "1", "50.0")
    assert everyone["answer_seconds"] == "10800"
    # Half were answered within an hour, nine in ten within eight hours (5 h is over 4 h).
    assert (everyone["median_within_seconds"], everyone["p90_within_seconds"]) == (
        "3600", "28800")
    channels = {r["key"]: r["met_share"] for r in rows if r["group"] == "channel"}
    assert channels == {"phone": "100.0", "sms": "0.0"}
    page = client.get("/kassa/console/dashboard").get_data(as_text=True)
    # The seeded thread, callback and friendly contact are open.
    assert 'data-figure="open">3<' in page
    assert "Kiitos ystävällisestä palvelusta" in page and "3 h 0 min" in page
    assert "<td>1 h</td><td>8 h</td>" in page
    for name in ("survey", "service", "ageing"):
        chart = client.get(f"/kassa/console/dashboard/{name}.svg")
        assert chart.status_code == 200 and chart.mimetype == "image/svg+xml"
        svg = chart.get_data(as_text=True)
        assert svg.startswith("<svg") and "<script" not in svg
        assert "script-src" not in chart.headers["Content-Security-Policy"]
    assert client.get("/kassa/console/dashboard.csv?view=secret").status_code == 404


def test_after_friendly_contacts_and_receivables(console_app: Flask) -> None:
    """Four invoices with a friendly contact: one paid without a reminder, one on a plan,
    one disputed, one that got a reminder and is still open. DSO and ageing per country."""
    from kassa.db import DunningStep, Invoice, InvoiceHold
    from kassa.services.console_figures import outcomes, receivables
    from tests.factories import make_invoice

    today = datetime.now(UTC).date()
    issued = today - timedelta(days=50)  # due 36 days ago
    ids = [make_invoice(console_app, amount=10000, sequence=3000 + n, issued=issued)
           for n in range(4)]
    with get_state(console_app).db.session() as session:
        for invoice_id in ids:
            session.add(DunningStep(invoice_id=invoice_id, kind="friendly", notice_number=0,
                                    taken_on=today - timedelta(days=30), channel="phone"))
        paid = session.get_one(Invoice, ids[0])
        paid.status, paid.paid_minor = "paid", 10000
        session.add(InvoiceHold(invoice_id=ids[1], reason="plan", starts_on=today))
        session.add(InvoiceHold(invoice_id=ids[2], reason="disputed", starts_on=today))
        session.add(DunningStep(invoice_id=ids[3], kind="reminder", notice_number=1,
                                taken_on=today - timedelta(days=10), channel="email"))
    with get_state(console_app).db.session() as session:
        friendly, reminder = outcomes(session, today - timedelta(weeks=12))
        assert (friendly.invoices, friendly.paid_without_reminder, friendly.plan,
                friendly.dispute) == (4, 1, 1, 1)
        assert str(friendly.share("paid_without_reminder")) == "25.0"
        assert (reminder.invoices, reminder.paid_without_reminder) == (1, 0)
        (finland,) = receivables(session, today)
        # Three unpaid 100,00 € invoices, 36 days past due; 400,00 € invoiced in 90 days.
        assert (finland.outstanding, finland.sales) == (30000, 40000)
        assert finland.overdue == {"1_30": 0, "31_60": 30000, "61_90": 0, "over_90": 0}
        assert str(finland.dso) == "67.5"


def test_settled_days_are_kept_and_read_back_the_same(console_app: Flask,
                                                     records: Records) -> None:
    """Surveys of a month ago can no longer change: the first dashboard keeps their day's
    figures (and a row of zeros for each empty day), the next reads them back."""
    from sqlalchemy import func, select

    from kassa.db import FigureDay
    from kassa.services.console_figures import survey_figures

    now = datetime.now(UTC)
    with get_state(console_app).db.session() as session:
        for index in range(15):
            sent = now - timedelta(days=30) if index < 12 else now
            session.add(Survey(customer_id=records.customer_id, contact_kind="task",
                               contact_id=100 + index, country="SE", locale="sv",
                               channel="phone", agent="Aino", sent_at=sent, answered_at=sent,
                               resolved=index != 0, recommend=10, advisor=9, overall=9))
    start = now - timedelta(weeks=12)
    with get_state(console_app).db.session() as session:
        first = survey_figures(session, start)
    with get_state(console_app).db.session() as session:
        kept = session.scalars(select(FigureDay).where(FigureDay.source == "survey",
                                                       FigureDay.sent > 0)).all()
        assert [(row.day, row.sent, row.resolved_yes) for row in kept] == [
            ((now - timedelta(days=30)).date(), 12, 11)]
        empty_days = session.scalar(select(func.count()).select_from(FigureDay).where(
            FigureDay.source == "survey", FigureDay.sent == 0))
        assert empty_days == (now.date() - timedelta(days=15) - start.date()).days - 1
        second = survey_figures(session, start)
    assert first == second
    everyone = second["all"][0]
    assert (everyone.sent, everyone.answered, everyone.fcr) == (15, 15, Decimal("93.3"))


def test_figures_by_team_follow_the_team_each_agent_is_in(console_app: Flask,
                                                           records: Records) -> None:
    """Aino works in Helsinki, Bo in Tukholma (set with ``flask kassa update-staff``); the
    surveys (which name the agent's first name) and the closed contacts add up by team."""
    from kassa.db import StaffUser, SupportTask
    from kassa.services import tasks

    from .conftest import add_staff

    aino = add_staff(console_app, "agent", "aino@shop.test", name="Aino Virtanen")
    add_staff(console_app, "agent", "bo@shop.test", name="Bo Berg")
    runner = console_app.test_cli_runner()
    for email, team in (("aino@shop.test", "Helsinki"), ("bo@shop.test", " Tukholma ")):
        result = runner.invoke(args=["kassa", "update-staff", email, "--team", team])
        assert result.exit_code == 0 and "team None ->" in result.output, result.output
    assert runner.invoke(args=["kassa", "update-staff", "nobody@shop.test",
                               "--team", "X"]).exit_code != 0
    add_surveys(console_app, records.customer_id)
    now = datetime.now(UTC)
    state = get_state(console_app)
    with state.db.session() as session:
        assert session.get_one(StaffUser, aino).team == "Helsinki"
        task = SupportTask(customer_id=records.customer_id, kind="overdue_contact",
                           status="open", payload={}, created_at=now - timedelta(minutes=5),
                           due_at=now + timedelta(hours=1))
        session.add(task)
        session.flush()
        tasks.finish(session, state, task, now, closed_by=session.get_one(StaffUser, aino))
    client = console_app.test_client()
    sign_in(client, "supervisor")
    surveys = list(csv.DictReader(io.StringIO(
        client.get("/kassa/console/dashboard.csv").get_data(as_text=True))))
    teams = {r["key"]: r["answered"] for r in surveys if r["group"] == "team"}
    assert teams == {"Helsinki": "20", "Tukholma": "5"}
    levels = list(csv.DictReader(io.StringIO(
        client.get("/kassa/console/dashboard.csv?view=service").get_data(as_text=True))))
    assert [(r["key"], r["closed"], r["met"]) for r in levels if r["group"] == "team"] == [
        ("Helsinki", "1", "1")]
    page = client.get("/kassa/console/dashboard").get_data(as_text=True)
    assert page.count("By team") == 2 and "Tukholma" in page


def test_the_dashboard_page_keeps_the_settled_days_it_computed(console_app: Flask,
                                                               records: Records) -> None:
    """The figures of settled days are written by the first dashboard a supervisor opens,
    and are still there for the next view (not only inside that request)."""
    from sqlalchemy import func, select

    from kassa.db import FigureDay

    long_ago = datetime.now(UTC) - timedelta(days=30)
    with get_state(console_app).db.session() as session:
        session.add(Survey(customer_id=records.customer_id, contact_kind="task", contact_id=1,
                           country="FI", locale="fi", channel="phone", agent="Aino",
                           sent_at=long_ago, answered_at=long_ago, resolved=True,
                           recommend=10, advisor=10, overall=10))
    client = console_app.test_client()
    sign_in(client, "supervisor")
    first = client.get("/kassa/console/dashboard.csv").get_data(as_text=True)
    with get_state(console_app).db.session() as session:
        assert session.scalar(select(func.sum(FigureDay.sent))) == 1
    assert client.get("/kassa/console/dashboard.csv").get_data(as_text=True) == first
    assert client.get("/kassa/console/dashboard").status_code == 200
