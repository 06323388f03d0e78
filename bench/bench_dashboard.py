"""The help console's dashboard figures over N contacts, against a plain count of the same rows
in the same run.

Run from the project root::

    .venv/bin/python bench/bench_dashboard.py [--contacts 100000,1000000]
        [--databases sqlite,postgresql] [--repeat 3]

Per database (SQLite in a temporary file; PostgreSQL in a database ``kassa_bench_dashboard``
created and dropped on the server of ``KASSA_TEST_DATABASE_URL``) and per size N, in a fresh
migrated database, the bench seeds N / 10 invoices (:mod:`bench.seed`, so N / 100 customers),
ten staff users, and N contacts: N closed support tasks with their kept figures (first answer,
service level met or not, channel, who closed it) and N surveys (about half answered), spread
over the last 84 days, plus one open task per 100 contacts. Then it measures, best of
``--repeat``:

(a) Kassa: what the dashboard page computes for its default 12 weeks, the survey figures by
    all / week / agent / country / channel, the service levels by all / day / channel /
    country / agent, the backlog, the outcomes after friendly contacts and the receivables
    (:mod:`kassa.services.console_figures`). The first load ("first s") reads every day from
    the contacts in one grouped query per table and keeps the settled days' figures
    (``kassa_figure_days``); the loads after it ("kassa s", best of ``--repeat``) add those up
    and read only the recent days (15 for surveys, 1 for tasks) from the contacts;
(b) baseline: ``SELECT count(*)`` of the same surveys and of the same closed tasks in the same
    window: the least any figure over those rows can cost.

Prints seconds of each and the ratio of the later loads to the baseline. Nothing here asserts
on time.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, event, func, insert, select  # noqa: E402

from bench.seed import _fast_sqlite, bench_app, scratch_database, seed_invoices  # noqa: E402
from kassa import get_state  # noqa: E402
from kassa.db.models import StaffUser, SupportTask  # noqa: E402
from kassa.db.service_models import Survey  # noqa: E402
from kassa.services import console_figures as figures  # noqa: E402

CHUNK = 20_000
DAYS = 84
CHANNELS = ("phone", "sms", "email", "message", "self_service")
KINDS = ("overdue_contact", "message", "plan_request", "extension_request", "callback_request")


def seed_contacts(url: str, contacts: int, customers: int, now: datetime) -> float:
    """N closed tasks and N surveys (and one open task per 100), in chunks; seconds taken."""
    started = time.perf_counter()
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _fast_sqlite)
    rng = random.Random(7)
    try:
        with engine.connect() as connection:
            connection.execute(insert(StaffUser.__table__), [
                {"email": f"agent{n}@bench.test", "name": f"Agent {n}", "role": "agent",
                 "password_hash": "-", "active": True, "failed_logins": 0}
                for n in range(1, 11)])
            for first in range(0, contacts, CHUNK):
                tasks, surveys = [], []
                for n in range(first, min(first + CHUNK, contacts)):
                    created = now - timedelta(days=DAYS * rng.random())
                    answered = created + timedelta(minutes=rng.randint(1, 600))
                    channel = CHANNELS[n % len(CHANNELS)]
                    customer = n % customers + 1
                    tasks.append({
                        "customer_id": customer, "kind": KINDS[n % len(KINDS)],
                        "status": "done", "payload": {}, "due_at": created + timedelta(hours=4),
                        "created_at": created, "closed_at": answered, "paused_seconds": 0,
                        "first_response_at": answered, "sla_met": rng.random() < 0.8,
                        "channel": channel, "closed_by_id": n % 10 + 1})
                    done = rng.random() < 0.5
                    surveys.append({
                        "customer_id": customer, "contact_kind": "task", "contact_id": n + 1,
                        "country": ("FI", "SE", "NO")[n % 3], "locale": "fi",
                        "channel": channel, "agent": f"Agent {n % 10 + 1}", "sent_at": answered,
                        "answered_at": answered + timedelta(hours=2) if done else None,
                        "resolved": (rng.random() < 0.85) if done else None,
                        "recommend": rng.randint(0, 10) if done else None,
                        "advisor": rng.randint(0, 10) if done else None,
                        "overall": rng.randint(0, 10) if done else None})
                    if n % 100 == 0:
                        tasks.append({**tasks[-1], "status": "open", "closed_at": None,
                                      "first_response_at": None, "sla_met": None,
                                      "channel": None, "closed_by_id": None})
                connection.execute(insert(SupportTask.__table__), tasks)
                connection.execute(insert(Survey.__table__), surveys)
                connection.commit()
            if engine.dialect.name == "postgresql":
                connection.commit()
                connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                    "VACUUM ANALYZE")
            else:
                connection.exec_driver_sql("ANALYZE")
                connection.commit()
    finally:
        engine.dispose()
    return time.perf_counter() - started


def dashboard(db: Any, now: datetime) -> int:
    """Everything the dashboard page computes; the number of groups, so nothing is lazy."""
    start = now - timedelta(weeks=12)
    survey = figures.survey_figures(db, start)
    levels = figures.service_levels(db, start)
    figures.backlog(db, now)
    figures.outcomes(db, start.date())
    figures.receivables(db, now.date())
    return sum(len(v) for v in survey.values()) + sum(len(v) for v in levels.values())


def baseline(db: Any, now: datetime) -> int:
    start = now - timedelta(weeks=12)
    surveys = db.scalar(select(func.count()).select_from(Survey).where(Survey.sent_at >= start))
    tasks = db.scalar(select(func.count()).select_from(SupportTask).where(
        SupportTask.closed_at >= start))
    return int(surveys) + int(tasks)


def best(call: Any, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return min(times)


def bench_one(kind: str, contacts: int, repeat: int) -> dict[str, Any]:
    now = datetime.now(UTC)
    with scratch_database(kind, "kassa_bench_dashboard") as url:
        app = bench_app(url)
        get_state(app).db.dispose()
        invoices = max(contacts // 10, 100)
        seed = seed_invoices(url, invoices, due_date=now.date() - timedelta(days=20))
        seconds = seed_contacts(url, contacts, seed.customers, now)
        print(f"  {kind} {contacts:,}: seeded {invoices:,} invoices and {contacts:,} contacts "
              f"in {seed.seconds + seconds:.0f} s", flush=True)
        state = get_state(app)
        with app.app_context(), state.db.session() as db:
            started = time.perf_counter()
            groups = dashboard(db, now)  # the first load keeps the settled days' figures
            db.commit()
            cold = time.perf_counter() - started
            rows = baseline(db, now)
            kassa_s = best(lambda: dashboard(db, now), repeat)
            base_s = best(lambda: baseline(db, now), repeat)
        state.db.dispose()
    return {"database": kind, "contacts": contacts, "groups": groups, "rows": rows,
            "cold": cold, "kassa": kassa_s, "baseline": base_s}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", default="100000,1000000")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--repeat", type=int, default=3)
    options, _unknown = parser.parse_known_args(argv)
    sizes = [int(size) for size in options.contacts.split(",") if size.strip()]
    kinds = [kind.strip() for kind in options.databases.split(",") if kind.strip()]
    print(f"dashboard: {', '.join(f'{s:,}' for s in sizes)} contacts per database, best of "
          f"{options.repeat}", flush=True)
    results = [bench_one(kind, size, options.repeat) for kind in kinds for size in sizes]
    print()
    header = (f"{'database':<10} {'contacts':>10} {'groups':>7} {'first s':>8} {'kassa s':>8} "
              f"{'count(*) s':>11} {'ratio':>7}")
    print(header)
    print("-" * len(header))
    for row in results:
        print(f"{row['database']:<10} {row['contacts']:>10,} {row['groups']:>7} "
              f"{row['cold']:>8.3f} {row['kassa']:>8.3f} {row['baseline']:>11.3f} "
              f"{row['kassa'] / row['baseline']:>7.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
