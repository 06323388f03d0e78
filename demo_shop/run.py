"""``make demo`` and its companions: the demo shop with Kassa on SQLite.

``python -m demo_shop.run`` (``make demo``) migrates the database, creates a staff user, starts
the demo mailbox (a real SMTP server on loopback), the identity broker (a real OpenID Connect
provider on loopback) and localstripe (the fake Stripe from PyPI, on loopback, for "pay now"),
and serves the shop on 127.0.0.1 with the outbox delivering in the background, as
``flask kassa deliver --loop`` would.

``python -m demo_shop.run remind`` (``make demo-remind``) runs the daily reminder run for each
day from tomorrow until the friendly contact is due: the friendly SMS and the support team's
hook go out through the running demo. ``--until reminder`` (``make demo-remind
STEP=reminder``) goes on to the first formal reminder, ``--days N`` (``DAYS=N``) runs N days.

``python -m demo_shop.run statement`` (``make demo-statement``) writes a camt.053 bank
statement that pays every open invoice and imports it, as the bank's file would be.

Everything lives in ``demo_shop/instance/`` (the database and a generated key; ``--instance``
names another folder), so each run continues where the last one left off.
"""

from __future__ import annotations

import argparse
import os
import threading
import time
from datetime import UTC, date, datetime, timedelta

from cryptography.fernet import Fernet
from flask import Flask, url_for
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from kassa import get_state
from kassa.db import CreditReport, DunningStep, Invoice, StaffUser, migrate
from kassa.i18n import format_money

from .app import create_app, kept_secret
from .receiver import Receiver, demo_settings, register_receiver

#: The secret localstripe signs its webhooks with, and Kassa checks them with.
STRIPE_WEBHOOK_SECRET = "whsec_kassa_demo"
STAFF_EMAIL = "staff@demo.kassa.test"
STAFF_PASSWORD = "kassa-demo"
INSTANCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "instance")


def demo_key(instance: str) -> str:
    """The demo's encryption key, generated on the first run and kept in the instance folder."""
    return kept_secret(instance, "encryption.key", lambda: Fernet.generate_key().decode())


def demo_app(port: int, instance: str = INSTANCE, **config: object) -> Flask:
    """The demo shop configured as ``make demo`` serves it on ``port``."""
    base_url = f"http://127.0.0.1:{port}"
    return create_app(instance, KASSA_ENCRYPTION_KEY=demo_key(instance),
                      KASSA_PUBLIC_URL=base_url, **demo_settings(base_url), **config)


def seed(app: Flask) -> None:
    """Create the demo staff user once."""
    with get_state(app).db.session() as session:
        if session.scalar(select(StaffUser).where(StaffUser.email == STAFF_EMAIL)) is None:
            session.add(StaffUser(email=STAFF_EMAIL, name="Demo Agent", role="admin",
                                  password_hash=generate_password_hash(STAFF_PASSWORD)))


def deliver_in_background(app: Flask, interval: float = 2.0) -> None:
    """Deliver the outbox every ``interval`` seconds while the demo runs."""
    from kassa.notify.outbox import deliver_pending

    def loop() -> None:
        while True:
            with app.app_context():
                deliver_pending(get_state(app), now=datetime.now(UTC))
            time.sleep(interval)

    threading.Thread(target=loop, name="kassa-outbox", daemon=True).start()


def serve(port: int, instance: str) -> None:
    from .credit_register import DEMO_REGISTER_GUIDE, FakeCreditRegister
    from .identity_broker import broker_settings, start_identity_broker
    from .local_stripe import start_localstripe
    from .mailbox import register_mailbox, start_mailbox

    mailbox = start_mailbox()
    broker = start_identity_broker()
    stripe = start_localstripe()
    register = FakeCreditRegister().start()
    app = demo_app(port, instance, KASSA_SMTP_HOST="127.0.0.1", KASSA_SMTP_PORT=mailbox.port,
                   **broker_settings(broker), **register.settings(),
                   **stripe.config(KASSA_STRIPE_WEBHOOK_SECRET=STRIPE_WEBHOOK_SECRET))
    with app.test_request_context(base_url=f"http://127.0.0.1:{port}"):
        stripe.register_webhook(url_for("kassa_payments.stripe_webhook", _external=True),
                                STRIPE_WEBHOOK_SECRET)
    migrate.upgrade(get_state(app).db)
    seed(app)
    register_mailbox(app, mailbox)
    register_receiver(app, Receiver())
    deliver_in_background(app)
    url = f"http://127.0.0.1:{port}/"
    print(f"\n  Demo shop:      {url}\n  Mailbox:        {url}mailbox"
          f"\n  SMS, hooks, credit registers: {url}demo/receiver"
          f"\n  Help console:   {url}{get_state(app).config.url_prefix.strip('/')}/console/"
          " (set up a one-time code at the first sign-in)"
          f"\n  Staff login:    {STAFF_EMAIL} / {STAFF_PASSWORD}"
          "\n  Bank ID (demo): sign in as maija (FI), sven (SE) or kari (NO)"
          f"\n  Credit register (demo): {DEMO_REGISTER_GUIDE}"
          "\n  Pay now (demo): card 4242 4242 4242 4242, any future date and CVC\n")
    try:
        app.run(host="127.0.0.1", port=port, debug=False, threaded=True)
    finally:
        stripe.stop()
        register.stop()
        mailbox.stop()
        broker.shutdown()


#: The furthest ahead ``remind --until`` looks for the step it waits for.
REMIND_HORIZON_DAYS = 120
#: The file in the instance folder that keeps the last day the demo's reminder run saw.
LAST_RUN_FILE = "last-reminder-run"


def remind(port: int, instance: str, *, days: int | None = None, until: str | None = None,
           today: date | None = None) -> None:
    """Move time on as a daily scheduler would have: one reminder run for every day from
    the day after the last run (or from tomorrow) up to ``days`` days from today, or until a
    run takes a step of kind ``until`` (``friendly``, ``reminder`` or ``collection``). Day by
    day, so a step whose day falls on a weekend or a holiday is taken when its day comes,
    whatever weekday the demo is tried on. Prints each step with its day, then when the next
    one falls due. ``today`` (default: the real today) is where time starts, for tests."""
    from kassa.services.credit_reporting import run_credit_reporting
    from kassa.services.reminders import run_reminders

    app = demo_app(port, instance)
    state = get_state(app)
    migrate.upgrade(state.db)
    start = today or date.today()
    marker = os.path.join(instance, LAST_RUN_FILE)
    last_run = _last_run(marker)
    first = max(start, last_run or start) + timedelta(days=1)
    end = start + timedelta(days=days) if days is not None else first + timedelta(
        days=REMIND_HORIZON_DAYS - 1)
    taken = {"friendly": 0, "reminder": 0, "collection": 0}
    day = first - timedelta(days=1)
    found = until is None
    reported = _last_credit_report(app)
    with app.app_context():
        while day < end and not (until is not None and found):
            day += timedelta(days=1)
            report = run_reminders(state, today=day)
            for line in _steps_taken(app, day):
                print(line)
            run_credit_reporting(state, today=day)  # the registers hear of delays and ends
            lines, reported = _credit_reports_queued(app, day, reported)
            for line in lines:
                print(line)
            for kind, count in report.steps.items():
                taken[kind] += count
            found = found or bool(until and report.steps[until])
    if day >= first:
        with open(marker, "w", encoding="utf-8") as out:
            out.write(day.isoformat())
    if not found:
        print(f"No {until} step was due by {end:%a %Y-%m-%d}: is there an open invoice? Buy "
              "something on invoice first.")
        return
    if day < first:
        print(f"The reminder run has already seen every day up to {last_run:%a %Y-%m-%d}.")
    else:
        print(f"Reminder runs from {first:%a %Y-%m-%d} to {day:%a %Y-%m-%d}: "
              f"{taken['friendly']} friendly contacts, {taken['reminder']} reminders, "
              f"{taken['collection']} handed to collection. The running demo delivers them "
              "within seconds.")
    print(_next_due(app))


def _last_run(marker: str) -> date | None:
    try:
        with open(marker, encoding="utf-8") as source:
            return date.fromisoformat(source.read().strip())
    except (OSError, ValueError):
        return None


def _steps_taken(app: Flask, day: date) -> list[str]:
    """One line for each step the run of ``day`` took."""
    from kassa.core.dunning import notice_kind
    from kassa.services.reminder_policy import policy_for

    config = get_state(app).config
    lines = []
    with get_state(app).db.session() as db:
        rows = db.execute(select(DunningStep, Invoice).join(
            Invoice, DunningStep.invoice_id == Invoice.id).where(
            DunningStep.taken_on == day).order_by(DunningStep.id)).all()
        for step, invoice in rows:
            what = {"friendly": "friendly contact, no fee",
                    "collection": "handed to collection"}.get(step.kind, "")
            if step.kind == "reminder":
                most = policy_for(config, invoice.country, day, fee_agreed=True).max_fee_notices
                kind = notice_kind(invoice.country, step.notice_number, most)
                name = "inkassovarsel" if kind == "inkassovarsel" else (
                    f"payment reminder {step.notice_number}")
                fee = format_money(step.fee_minor, invoice.currency, "en")
                what = f"{name}, fee {fee}, pay by {step.deadline:%a %Y-%m-%d}"
            lines.append(f"  {day:%a %Y-%m-%d}  invoice {invoice.number} ({invoice.country}): "
                         f"{what}")
    return lines


def _last_credit_report(app: Flask) -> int:
    with get_state(app).db.session() as db:
        return int(db.scalar(select(func.max(CreditReport.id))) or 0)


def _credit_reports_queued(app: Flask, day: date, after: int) -> tuple[list[str], int]:
    """One line for each report to a credit register queued since report ``after``, and the
    id of the last one."""
    with get_state(app).db.session() as db:
        rows = db.scalars(select(CreditReport).where(CreditReport.id > after)
                          .order_by(CreditReport.id)).all()
        lines = [f"  {day:%a %Y-%m-%d}  credit register {r.country}: {r.event} (agreement "
                 f"{r.agreement_id}), to be reported by {r.due_by:%a %Y-%m-%d}" for r in rows]
        return lines, (rows[-1].id if rows else after)


def _next_due(app: Flask) -> str:
    """When the reminder run next has something to do, and for which invoice."""
    with get_state(app).db.session() as db:
        row = db.execute(select(Invoice.next_action_on, Invoice.number).where(
            Invoice.next_action_on.is_not(None)).order_by(
            Invoice.next_action_on, Invoice.id).limit(1)).first()
    if row is None:
        return ("Nothing is planned: no open invoice waits for a reminder step (each is paid, on "
                "hold or with the collection agency, or none was bought on invoice yet).")
    return (f"The next step falls due on {row[0]:%a %Y-%m-%d} (invoice {row[1]}); "
            "`make demo-remind DAYS=N` runs the days up to N days from today.")


def statement(port: int, instance: str) -> None:
    from .statement import pay_open_invoices

    app = demo_app(port, instance)
    migrate.upgrade(get_state(app).db)
    path, report = pay_open_invoices(app, instance)
    print(f"Wrote {path} and imported it: {report}")


def main() -> None:
    parser = argparse.ArgumentParser(description="The Kassa demo shop on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument("--instance", default=INSTANCE,
                        help="folder of the demo's database and key (default demo_shop/instance)")
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("serve", help="serve the demo shop (default)")
    later = commands.add_parser("remind", help="run the daily reminders as if days had passed")
    chosen = later.add_mutually_exclusive_group()
    chosen.add_argument("--days", type=int, help="one run for each of the next DAYS days")
    chosen.add_argument("--until", choices=("friendly", "reminder", "collection"),
                        default=None, help="one run a day until a step of this kind is "
                        "taken (default: friendly)")
    commands.add_parser("statement", help="import a bank statement paying the open invoices")
    args = parser.parse_args()
    if args.command == "remind":
        until = None if args.days is not None else (args.until or "friendly")
        remind(args.port, args.instance, days=args.days, until=until)
    elif args.command == "statement":
        statement(args.port, args.instance)
    else:
        serve(args.port, args.instance)


if __name__ == "__main__":
    main()
