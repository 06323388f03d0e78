"""Messages per second of the outbox worker delivering support-team webhooks, against plain
``requests.post`` calls to the same local receiver in the same run.

Run from the project root::

    .venv/bin/python bench/bench_outbox.py [--messages 1000] [--databases sqlite,postgresql]
        [--limit 100] [--workers 1]

Per database (SQLite in a temporary file; PostgreSQL in a database ``kassa_bench_outbox``
created and dropped on the server of ``KASSA_TEST_DATABASE_URL``) the bench configures one
generic Standard Webhooks hook, ``KASSA_REMINDER_HOOKS=[{"type": "webhook", "url": <receiver>,
"secret": "whsec_" + base64(32 random bytes)}]``, seeds as many invoices as messages
(:mod:`bench.seed`) and queues one ``OutboxMessage(channel="hook", kind="overdue",
payload={"target": 0, "body": <invoice.overdue payload>})`` per invoice, as the reminder run
does. Then it measures:

(a) Kassa: ``deliver_pending(state, now=..., limit=--limit, workers=--workers)`` called
    until nothing is left: claims of up to ``CLAIM_BATCH`` messages (``FOR UPDATE SKIP
    LOCKED`` on PostgreSQL and a conditional update, one transaction each), then per message
    the signed POST through :func:`kassa.notify.hooks.send_hook` and the outcome with its
    ``sent`` event on the invoice's trail, in a transaction of its own; with ``--workers N``
    in N threads at once (``flask kassa deliver --workers N``);
(b) baseline: as many plain ``requests.post`` calls with the same JSON bodies to the same
    receiver, one after the other, measured before and after (a), averaged. With more than
    one worker the ratio can pass 1: the baseline stays sequential.

The sender for ``("overdue", "hook")`` is the one Kassa registers
(``kassa.notify.lifecycle.send_team_hook``); should none be registered, the bench registers
its own that calls ``send_hook`` with the target from the configuration, and says so.

The receiver is ``tests/http_receiver.HttpReceiver`` (werkzeug, threaded) in a separate
process on 127.0.0.1, so that it does not share the interpreter lock with the client; it
checks every hook request's Standard Webhooks signature after the timing. Prints messages/s
of both and the ratio Kassa/baseline. Nothing here asserts on time.
"""

from __future__ import annotations

import argparse
import base64
import json
import secrets
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
from sqlalchemy import func, insert, select  # noqa: E402

from bench.seed import bench_app, scratch_database, seed_invoices  # noqa: E402
from kassa import get_state  # noqa: E402
from kassa.db.models import OutboxMessage  # noqa: E402
from kassa.notify import outbox  # noqa: E402
from kassa.notify.hooks import send_hook  # noqa: E402
from kassa.notify.http import DeliveryResult  # noqa: E402
from kassa.services.overdue import OverdueCase, overdue_hook_payload  # noqa: E402

DUE = date(2026, 3, 2)
TODAY = DUE + timedelta(days=1)
WARM_UP = 20


# -- the receiver, in its own process ----------------------------------------------------------


def serve_receiver(secret: str) -> int:
    """Child side: answer 200 to everything until stdin closes; then print what came."""
    from kassa.notify.hooks import verify_standard_webhook
    from tests.http_receiver import HttpReceiver

    with HttpReceiver() as receiver:
        print(receiver.port, flush=True)
        sys.stdin.read()  # until the parent closes the pipe
        requests_seen = list(receiver.requests)
    hooks = [r for r in requests_seen if r.path == "/hook"]
    valid = sum(
        verify_standard_webhook(
            secret, r.headers, r.body, now=int(r.headers.get("webhook-timestamp", "0") or 0)
        )
        for r in hooks
    )
    print(
        json.dumps(
            {
                "hook": len(hooks),
                "valid": valid,
                "unique_ids": len({r.headers.get("webhook-id") for r in hooks}),
                "baseline": sum(r.path == "/baseline" for r in requests_seen),
            }
        ),
        flush=True,
    )
    return 0


class Receiver:
    """The parent side of the receiver process."""

    def __init__(self, secret: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--receiver", secret],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        self.port = int(self.process.stdout.readline())

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self) -> dict[str, int]:
        """Stop the receiver; what it received."""
        out, _err = self.process.communicate(timeout=120)
        return dict(json.loads(out.strip().splitlines()[-1]))


# -- the bench ---------------------------------------------------------------------------------


def _bench_sender(db: Any, state: Any, message: OutboxMessage, now: datetime) -> DeliveryResult:
    """Used only if Kassa registers no sender for ("overdue", "hook"): the configured target's
    ``send_hook``, as the reminder engine's hook messages need."""
    payload = message.payload or {}
    target = state.config.reminder_hooks[payload["target"]]
    return send_hook(target, payload.get("body") or {}, message_id=f"kassa-{message.id}", now=now)


def overdue_bodies(count: int) -> list[dict[str, Any]]:
    """One ``invoice.overdue`` hook body per seeded invoice (ids 1..count)."""
    bodies = []
    for number in range(1, count + 1):
        case = OverdueCase(
            invoice_number=f"B{number:09d}",
            amount_minor=12_990,
            balance_minor=12_990,
            currency="EUR",
            due_date=DUE,
            reference=str(number),
            customer_name=f"Bench Customer {number}",
            customer_email=f"customer{number}@example.test",
            customer_phone="+358401234567",
            customer_locale="fi",
            country="FI",
            invoices_before=0,
            late_invoices_before=0,
            call_script_url="http://127.0.0.1:5000/kassa/account/call-script/fi",
            task_id=number,
        )
        bodies.append(overdue_hook_payload(case, TODAY))
    return bodies


def queue_messages(url: str, bodies: list[dict[str, Any]], when: datetime) -> None:
    """One pending hook message per invoice, due at ``when`` (Core executemany)."""
    app_state = get_state(bench_app(url, upgrade=False))
    rows = [
        {
            "channel": "hook",
            "kind": "overdue",
            "invoice_id": number,
            "recipient": "webhook:0",
            "payload": {"target": 0, "body": body},
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": when,
            "last_error": None,
            "created_at": when,
            "sent_at": None,
        }
        for number, body in enumerate(bodies, start=1)
    ]
    with app_state.db.engine.begin() as connection:
        connection.execute(insert(OutboxMessage.__table__), rows)
    app_state.db.dispose()


def baseline_rate(url: str, bodies: list[bytes]) -> float:
    """Plain ``requests.post`` calls per second with ``bodies``."""
    headers = {"Content-Type": "application/json"}
    for body in bodies[:WARM_UP]:
        requests.post(url, data=body, headers=headers, timeout=15).raise_for_status()
    started = time.perf_counter()
    for body in bodies:
        response = requests.post(url, data=body, headers=headers, timeout=15)
        response.raise_for_status()
    return len(bodies) / (time.perf_counter() - started)


def bench_one(kind: str, count: int, limit: int, workers: int = 1) -> dict[str, Any]:
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    receiver = Receiver(secret)
    try:
        with scratch_database(kind, "kassa_bench_outbox") as url:
            hooks = [{"type": "webhook", "url": receiver.url("/hook"), "secret": secret}]
            app = bench_app(url, KASSA_REMINDER_HOOKS=hooks)
            state = get_state(app)
            state.db.dispose()
            registered = outbox.sender_for(state, "overdue", "hook")
            if registered is None:
                outbox.register_sender(state, "overdue", "hook", _bench_sender)
                sender = "the bench's own (none registered by Kassa)"
            else:
                sender = f"{registered.__module__}.{registered.__qualname__}"
            seed_invoices(url, count + WARM_UP, due_date=DUE)
            bodies = overdue_bodies(count + WARM_UP)
            now = datetime.now(UTC)
            queue_messages(url, bodies, now - timedelta(minutes=1))
            raw_bodies = [json.dumps(body).encode() for body in bodies[WARM_UP:]]

            before = baseline_rate(receiver.url("/baseline"), raw_bodies)
            with app.app_context():
                warm = outbox.deliver_pending(state, now=now, limit=WARM_UP)
                sent = failed = dead = 0
                started = time.perf_counter()
                while True:
                    report = outbox.deliver_pending(state, now=now, limit=limit,
                                                    workers=workers)
                    if report.total == 0:
                        break
                    sent, failed, dead = (
                        sent + report.sent,
                        failed + report.failed,
                        dead + report.dead,
                    )
                seconds = time.perf_counter() - started
            after = baseline_rate(receiver.url("/baseline"), raw_bodies)
            with state.db.session() as session:
                marked_sent = session.scalar(
                    select(func.count())
                    .select_from(OutboxMessage)
                    .where(OutboxMessage.status == "sent")
                )
            state.db.dispose()
    finally:
        received = receiver.stop()
    return {
        "database": kind,
        "messages": count,
        "sender": sender,
        "kassa_rate": sent / seconds if seconds else 0.0,
        "baseline_before": before,
        "baseline_after": after,
        "sent": sent,
        "failed": failed,
        "dead": dead,
        "warm_up_sent": warm.sent,
        "marked_sent": marked_sent,
        "received": received,
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1000, help="messages (default 1000)")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--limit", type=int, default=100, help="deliver_pending limit a call")
    parser.add_argument("--workers", type=int, default=1, help="deliver_pending workers")
    parser.add_argument("--receiver", help=argparse.SUPPRESS)  # child: the receiver process
    options, _unknown = parser.parse_known_args(argv)
    if options.receiver:
        return serve_receiver(options.receiver)

    kinds = [kind.strip() for kind in options.databases.split(",") if kind.strip()]
    print(
        f"outbox: {options.messages:,} Standard Webhooks hook messages per database "
        f"(+{WARM_UP} warm-up), deliver_pending limit {options.limit}, "
        f"{options.workers} worker(s)",
        flush=True,
    )
    results = []
    for kind in kinds:
        row = bench_one(kind, options.messages, options.limit, options.workers)
        results.append(row)
        got = row["received"]
        print(
            f"  {kind}: sender {row['sender']}; sent {row['sent']:,}, failed {row['failed']}, "
            f"dead {row['dead']}; receiver got {got['hook']:,} hook requests "
            f"({got['valid']:,} with a valid signature, {got['unique_ids']:,} webhook ids) and "
            f"{got['baseline']:,} baseline requests",
            flush=True,
        )
        if (
            row["marked_sent"] != options.messages + row["warm_up_sent"]
            or got["valid"] != got["hook"]
        ):
            print("  WARNING: not every message was delivered and signed", flush=True)
    print()
    header = (
        f"{'database':<10} {'messages':>9} {'kassa msgs/s':>13} {'baseline msgs/s':>16}"
        f" {'(before/after)':>16} {'ratio':>6}"
    )
    print(header)
    print("-" * len(header))
    for row in results:
        baseline = (row["baseline_before"] + row["baseline_after"]) / 2
        print(
            f"{row['database']:<10} {row['messages']:>9,} {row['kassa_rate']:>13.0f}"
            f" {baseline:>16.0f} {row['baseline_before']:>7.0f}/{row['baseline_after']:<8.0f}"
            f" {row['kassa_rate'] / baseline:>6.2f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
