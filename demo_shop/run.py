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
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from kassa import get_state
from kassa.db import StaffUser, migrate

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
    from .identity_broker import broker_settings, start_identity_broker
    from .local_stripe import start_localstripe
    from .mailbox import register_mailbox, start_mailbox

    mailbox = start_mailbox()
    broker = start_identity_broker()
    stripe = start_localstripe()
    app = demo_app(port, instance, KASSA_SMTP_HOST="127.0.0.1", KASSA_SMTP_PORT=mailbox.port,
                   **broker_settings(broker),
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
          f"\n  SMS and hooks:  {url}demo/receiver"
          f"\n  Staff login:    {STAFF_EMAIL} / {STAFF_PASSWORD}"
          "\n  Bank ID (demo): sign in as maija (FI), sven (SE) or kari (NO)"
          "\n  Pay now (demo): card 4242 4242 4242 4242, any future date and CVC\n")
    try:
        app.run(host="127.0.0.1", port=port, debug=False, threaded=True)
    finally:
        stripe.stop()
        mailbox.stop()
        broker.shutdown()


#: The furthest ahead ``remind --until`` looks for the step it waits for.
REMIND_HORIZON_DAYS = 120


def remind(port: int, instance: str, *, days: int | None = None, until: str | None = None,
           today: date | None = None) -> None:
    """Move time on as the daily reminder run would see it: one run per day, from tomorrow
    up to ``days`` from now, or until a run takes a step of kind ``until`` (``friendly``,
    ``reminder`` or ``collection``). Day by day, so that a step whose day falls on a weekend
    or a holiday is taken when its day comes, whatever weekday the demo is tried on.
    ``today`` (default: the real today) is where time starts, for tests."""
    from kassa.services.reminders import run_reminders

    app = demo_app(port, instance)
    migrate.upgrade(get_state(app).db)
    last = days if days is not None else REMIND_HORIZON_DAYS
    taken = {"friendly": 0, "reminder": 0, "collection": 0}
    start = today or date.today()
    day = start
    with app.app_context():
        for ahead in range(1, last + 1):
            day = start + timedelta(days=ahead)
            report = run_reminders(get_state(app), today=day)
            for kind, count in report.steps.items():
                taken[kind] += count
            if until is not None and report.steps[until]:
                break
        else:
            if until is not None:
                print(f"No {until} step was due in the next {last} days: is there an open "
                      "invoice? Buy something on invoice first.")
                return
    print(f"Reminder runs up to {day.isoformat()} ({(day - start).days} days from now): "
          f"{taken['friendly']} friendly contacts, {taken['reminder']} reminders, "
          f"{taken['collection']} handed to collection. The running demo delivers them within "
          "seconds.")


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
