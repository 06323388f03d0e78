"""The daily reminder run over many invoices, against a plain SQL scan of the same rows.

Run from the project root::

    .venv/bin/python bench/bench_reminders.py [--sizes 20000,100000]
        [--databases sqlite,postgresql] [--due-share 1.0] [--batch-size 500]
        [--repeat 3] [--runs 1] [--workers 1] [--traced] [--profile] [--profile-size 5000]

For each database (SQLite in a temporary file; PostgreSQL in a database ``kassa_bench``
created and dropped on the server of ``KASSA_TEST_DATABASE_URL``) and each size N, the bench
migrates an empty database, seeds N open invoices due on Monday 2.3.2026 (one customer per 10
invoices, one order and agreement each; :mod:`bench.seed`) and measures, each in a fresh
process:

(a) baseline: one plain SQL scan of the rows the run reads (``SELECT id, due_date,
    amount_minor, paid_minor, status, next_action_on, customer_id FROM kassa_invoices WHERE
    status IN ('open', 'partly_paid', 'overdue') AND next_action_on <= :today``; on SQLite
    ``status || ''``, which keeps it on the next-look index, as in the run), through the
    raw DBAPI cursor, consumed with ``fetchmany(batch size)``; on PostgreSQL a named
    (server-side) cursor, so that the baseline streams as the run does;
(a') a second baseline, the book: the same scan without the ``next_action_on`` condition, so
    every one of the N open invoices is read once (the size of the ledger the run is over;
    with ``--due-share 1.0`` it reads what (a) reads);
Each baseline is measured ``--repeat`` times (default 3) and the fastest kept: a baseline
that is slow by accident (another process on the machine) would flatter the ratio. With
``--runs N`` the run too is measured N times, each over a fresh copy of the seeded database
(``kassa_bench_run`` on PostgreSQL), and the fastest kept. ``--workers N`` runs the
PostgreSQL run with N workers (``run_reminders(workers=N)``); SQLite always with one.

(b) ``run_reminders(state, today=3.3.2026)`` inside the app context: the friendly step for
    every due invoice, with its real writes (step, support task, e-mail outbox message,
    events). No hooks and no SMS are configured.

``--due-share`` makes only that share of the invoices due (the realistic case); the others
have their next look 30 days later and are not read by the run. The default 1.0 is the
worst case, every row taking a step.

Memory, in two ways: *py MB* is the tracemalloc peak of Python allocations during the
measurement; *RSS MB* is the process's resident high-water mark, which only ever grows,
hence one process per measurement, and *+grew* how far it rose above the RSS just before the
measurement. On Linux the mark is ``VmHWM``, reset through ``/proc/self/clear_refs`` once the
app is built, so that it covers the measurement and not the start-up; not ``ru_maxrss``,
which in a child process starts at the parent's high-water mark (the kernel carries it
across fork and exec: a child of a 300 MB parent reports 300 MB at its first line). Where
``/proc`` is missing, ``ru_maxrss``.
tracemalloc slows the run down about fourfold, so the times always come from untraced
processes and the tracemalloc peaks from second, traced ones: the scan is simply run again
(always: it is cheap); the run only with ``--traced``, on a copy of the seeded database taken
before anything ran (a file copy on SQLite, ``CREATE DATABASE ... TEMPLATE`` on PostgreSQL as
``kassa_bench_traced``). Without ``--traced`` the run's *py MB* is "-" and the memory
comparison uses the RSS.

``--profile`` adds, per database, a run over ``--profile-size`` freshly seeded invoices under
cProfile with a count of SQL statements by kind, and prints the top entries.

Prints a table (database, N, due rows, scan s, book s, run s, the ratios run/scan and
run/book, invoices/s, memory, steps) and, per database, the run's peak memory at the largest
size against the smallest: memory must not grow with N. Nothing here asserts on time.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flask import Flask  # noqa: E402
from sqlalchemy import event  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench.seed import (  # noqa: E402
    bench_app,
    create_postgres_database,
    drop_postgres_database,
    scratch_database,
    seed_invoices,
)
from kassa import get_state  # noqa: E402
from kassa.services.due_invoices import DUNNING_STATUSES  # noqa: E402
from kassa.services.reminders import run_reminders  # noqa: E402

#: A Monday; the day after is a business day in every Nordic country.
DUE = date(2026, 3, 2)
TODAY = DUE + timedelta(days=1)
TRACED_COPY = "kassa_bench_traced"
RUN_COPY = "kassa_bench_run"
MB = 1024 * 1024


# -- one measurement, in its own process -------------------------------------------------------


def _proc_status_mb(field: str) -> float | None:
    """A ``kB`` field of ``/proc/self/status`` (Linux) in MB; None where unavailable."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return None


def _reset_rss_peak() -> bool:
    """Start the resident high-water mark afresh (Linux: ``/proc/self/clear_refs``), so that
    it covers the measurement, not the imports and app set-up before it."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _rss_peak_mb() -> float:
    """This process's resident high-water mark.

    ``VmHWM`` where Linux has it: ``ru_maxrss`` of a freshly started child begins at its
    *parent's* high-water mark (the kernel carries the mark across fork and exec), which here
    is the seeding process's, and ``clear_refs`` does not reset that part. Elsewhere
    ``ru_maxrss``.
    """
    hwm = _proc_status_mb("VmHWM")
    if hwm is not None:
        return hwm
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / MB if sys.platform == "darwin" else peak / 1024  # bytes on macOS, KiB else


def _scan(app: Flask, batch_size: int, *, due_only: bool = True) -> dict[str, Any]:
    """The baseline: the due rows (``due_only``) or every open invoice, read once."""
    engine = get_state(app).db.engine
    statuses = ", ".join(f"'{status}'" for status in DUNNING_STATUSES)
    # The due rows through the next-look index, as the run reads them (``status || ''`` on
    # SQLite: without it SQLite reads them through the status index, i.e. the whole book).
    status = "status || ''" if engine.dialect.name == "sqlite" else "status"
    where = (f"{status} IN ({statuses}) AND next_action_on <= {{}}" if due_only
             else f"status IN ({statuses})")
    sql = ("SELECT id, due_date, amount_minor, paid_minor, status, next_action_on, customer_id "
           f"FROM kassa_invoices WHERE {where}")
    rows = total = 0
    raw = engine.raw_connection()
    try:
        started = time.perf_counter()
        if engine.dialect.name == "postgresql":
            cursor = raw.driver_connection.cursor(name="kassa_bench_scan")  # server-side
            cursor.execute(sql.format("%s"), (TODAY,) if due_only else ())
        else:
            cursor = raw.cursor()
            cursor.execute(sql.format("?"), (TODAY.isoformat(),) if due_only else ())
        while batch := cursor.fetchmany(batch_size):
            rows += len(batch)
            total += sum(row[2] - row[3] for row in batch)  # touch every row
        cursor.close()
        seconds = time.perf_counter() - started
        raw.rollback()
    finally:
        raw.close()
        engine.dispose()
    return {"seconds": seconds, "rows": rows, "steps": 0}


def _run(app: Flask, batch_size: int, profile: bool, workers: int = 1) -> dict[str, Any]:
    state = get_state(app)
    statements: Counter[str] = Counter()
    if profile:

        @event.listens_for(state.db.engine, "before_cursor_execute")
        def _count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            words = statement.split()
            verb = words[0].upper()
            table = next((w for w in words if w.lower().startswith("kassa_")), "?")
            statements[f"{verb} {table}"] += 1

    profiler = cProfile.Profile() if profile else None
    with app.app_context():
        started = time.perf_counter()
        if profiler:
            profiler.enable()
        report = run_reminders(state, today=TODAY, batch_size=batch_size, workers=workers)
        if profiler:
            profiler.disable()
        seconds = time.perf_counter() - started
    state.db.dispose()
    if profiler:
        _print_profile(profiler, statements, report.examined, seconds)
    return {"seconds": seconds, "rows": report.examined, "steps": report.total_steps}


def _print_profile(
    profiler: cProfile.Profile, statements: Counter[str], examined: int, seconds: float
) -> None:
    per = max(examined, 1)
    print(
        f"  run_reminders over {examined} invoices under cProfile: {seconds:.1f} s, "
        f"{seconds / per * 1000:.2f} ms an invoice"
    )
    print(
        f"  SQL statements: {sum(statements.values())} "
        f"({sum(statements.values()) / per:.1f} an invoice)"
    )
    for kind, count in statements.most_common():
        print(f"    {count:>8}  {count / per:6.2f}/invoice  {kind}")
    for order in ("cumulative", "tottime"):
        print(f"  top entries by {order} time:")
        stats = pstats.Stats(profiler, stream=sys.stdout)
        stats.sort_stats(order).print_stats(22)
    sys.stdout.flush()


def measure(options: argparse.Namespace) -> int:
    """The child side: one measurement, its result as JSON in ``options.result``."""
    # The same app (and so the same imports) for both; memory is counted from here on.
    app = bench_app(options.url, upgrade=False, KASSA_REMINDER_HOOKS=[])
    reset = _reset_rss_peak()
    before = _proc_status_mb("VmRSS") or 0.0
    if options.child_traced:
        tracemalloc.start()
    if options.measure == "scan":
        result = _scan(app, options.batch_size)
    elif options.measure == "book":
        result = _scan(app, options.batch_size, due_only=False)
    else:
        result = _run(app, options.batch_size, options.profile_child, options.workers)
    result["rss_before_mb"] = before
    result["rss_peak_mb"] = _rss_peak_mb()
    result["rss_peak_reset"] = reset
    result["ru_maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if options.child_traced:
        result["traced_peak_mb"] = tracemalloc.get_traced_memory()[1] / MB
        tracemalloc.stop()
    Path(options.result).write_text(json.dumps(result))
    return 0


def child(
    kind: str, url: str, batch_size: int, *, traced: bool = False, profile: bool = False,
    workers: int = 1,
) -> dict[str, Any]:
    """Run one measurement in a fresh interpreter and return its result."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        result = Path(handle.name)
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--measure",
        kind,
        "--url",
        url,
        "--result",
        str(result),
        "--batch-size",
        str(batch_size),
        "--workers",
        str(workers),
    ]
    if traced:
        command.append("--child-traced")
    if profile:
        command.append("--profile-child")
    try:
        subprocess.run(command, cwd=ROOT, check=True)
        return dict(json.loads(result.read_text()))
    finally:
        result.unlink(missing_ok=True)


# -- the bench ---------------------------------------------------------------------------------


def _copy_database(kind: str, url: str, name: str = TRACED_COPY) -> str:
    """A copy ``name`` of the seeded database, taken before anything ran; its URL."""
    if kind == "sqlite":
        source = Path(make_url(url).database or "")
        target = source.with_name(f"{name}.sqlite3")
        shutil.copyfile(source, target)  # checkpointed by the seeding: no -wal to copy
        return f"sqlite:///{target}"
    create_postgres_database(name, template=make_url(url).database)
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def _drop_copy(kind: str, url: str) -> None:
    if kind == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{make_url(url).database}{suffix}").unlink(missing_ok=True)
    else:
        drop_postgres_database(make_url(url).database or "")


def _run_on_copy(kind: str, url: str, batch: int, workers: int) -> dict[str, Any]:
    """One run over a fresh copy of the seeded database (which stays as it was)."""
    copy = _copy_database(kind, url, RUN_COPY)
    try:
        return child("run", copy, batch, workers=workers)
    finally:
        _drop_copy(kind, copy)


def prepare(kind: str, url: str, size: int, due_share: float) -> int:
    """Migrate and seed the empty database at ``url``; the number of due invoices."""
    bench_app(url, KASSA_REMINDER_HOOKS=[]).extensions["kassa"].db.dispose()

    def progress(done: int) -> None:
        if done % 100_000 == 0 and done < size:
            print(f"    seeded {done:,}", flush=True)

    report = seed_invoices(url, size, due_date=DUE, due_share=due_share, progress=progress)
    print(
        f"  {kind} N={size:,}: seeded {report.invoices:,} invoices ({report.due:,} due, "
        f"{report.customers:,} customers) in {report.seconds:.1f} s",
        flush=True,
    )
    return report.due


def _fastest(results: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The fastest of several measurements, with every time in ``all_seconds``."""
    runs = list(results)
    best = dict(min(runs, key=lambda result: result["seconds"]))
    best["all_seconds"] = [result["seconds"] for result in runs]
    return best


def bench_one(kind: str, size: int, options: argparse.Namespace) -> dict[str, Any]:
    """Seed, then measure the scan and the run (and their traced twins) for one size."""
    batch = options.batch_size
    with scratch_database(kind) as url:
        due = prepare(kind, url, size, options.due_share)
        copy = _copy_database(kind, url) if options.traced else None
        try:
            # Both scans first: the run moves every invoice's next look past today. Each is
            # the fastest of --repeat: a baseline should not be slow by accident.
            scan = _fastest(child("scan", url, batch) for _ in range(options.repeat))
            traced_scan = child("scan", url, batch, traced=True)
            scan["traced_peak_mb"] = traced_scan["traced_peak_mb"]
            book = _fastest(child("book", url, batch) for _ in range(options.repeat))
            print(
                f"    scan: {scan['seconds']:.2f} s, {scan['rows']:,} rows; traced peak "
                f"{scan['traced_peak_mb']:.2f} MB ({traced_scan['rows']:,} rows); book: "
                f"{book['seconds']:.2f} s, {book['rows']:,} rows",
                flush=True,
            )
            # --runs: the fastest of that many runs, each but the last over a fresh copy.
            workers = options.workers if kind == "postgresql" else 1
            runs = [_run_on_copy(kind, url, batch, workers) for _ in range(options.runs - 1)]
            run = _fastest([*runs, child("run", url, batch, workers=workers)])
            print(f"    run:  {run['seconds']:.2f} s, {run['steps']:,} steps", flush=True)
            if copy:
                traced = child("run", copy, batch, traced=True)
                run["traced_peak_mb"] = traced["traced_peak_mb"]
                run["traced_seconds"] = traced["seconds"]
                print(
                    f"    traced run: peak {run['traced_peak_mb']:.2f} MB "
                    f"({traced['steps']:,} steps in {traced['seconds']:.1f} s traced)",
                    flush=True,
                )
        finally:
            if copy:
                _drop_copy(kind, copy)
    if scan["rows"] != due or run["rows"] != due or run["steps"] != due:
        print(
            f"    WARNING: {due} due invoices, but the scan read {scan['rows']}, the run "
            f"examined {run['rows']} and took {run['steps']} steps",
            flush=True,
        )
    return {"database": kind, "size": size, "due": due, "scan": scan, "book": book, "run": run}


def _mb(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def print_table(results: list[dict[str, Any]]) -> None:
    header = (
        f"{'database':<10} {'N':>9} {'due':>9} {'scan s':>8} {'book s':>7} {'run s':>9}"
        f" {'run/scan':>9} {'run/book':>8}"
        f" {'inv/s':>7} {'scan py MB':>10} {'run py MB':>9} {'scan RSS MB (+grew)':>19}"
        f" {'run RSS MB (+grew)':>18} {'steps':>9}"
    )
    print()
    print(header)
    print("-" * len(header))
    for row in results:
        scan, book, run = row["scan"], row["book"], row["run"]
        ratio = run["seconds"] / scan["seconds"] if scan["seconds"] else float("inf")
        book_ratio = run["seconds"] / book["seconds"] if book["seconds"] else float("inf")
        rate = run["rows"] / run["seconds"] if run["seconds"] else 0.0
        grew = run["rss_peak_mb"] - run["rss_before_mb"]
        scan_grew = scan["rss_peak_mb"] - scan["rss_before_mb"]
        print(
            f"{row['database']:<10} {row['size']:>9,} {row['due']:>9,} {scan['seconds']:>8.2f}"
            f" {book['seconds']:>7.2f} {run['seconds']:>9.2f} {ratio:>9.0f} {book_ratio:>8.1f}"
            f" {rate:>7.0f}"
            f" {_mb(scan.get('traced_peak_mb')):>10} {_mb(run.get('traced_peak_mb')):>9}"
            f" {scan['rss_peak_mb']:>11.1f} {f'(+{scan_grew:.1f})':>7}"
            f" {run['rss_peak_mb']:>10.1f} {f'(+{grew:.1f})':>7}"
            f" {run['steps']:>9,}"
        )
    if not all(row[part]["rss_peak_reset"] for row in results for part in ("scan", "run")):
        print("(the RSS high-water mark could not be reset: RSS MB includes the start-up)")
    print()
    for kind in dict.fromkeys(row["database"] for row in results):
        rows = sorted((r for r in results if r["database"] == kind), key=lambda r: r["size"])
        if len(rows) < 2:
            continue
        small, large = rows[0], rows[-1]
        parts = [f"{kind}: run peak memory at N={large['size']:,} vs N={small['size']:,}:"]
        if "traced_peak_mb" in small["run"] and "traced_peak_mb" in large["run"]:
            growth = large["run"]["traced_peak_mb"] / small["run"]["traced_peak_mb"]
            parts.append(f"tracemalloc x{growth:.2f}")
        parts.append(f"RSS x{large['run']['rss_peak_mb'] / small['run']['rss_peak_mb']:.2f}")
        grew_small = small["run"]["rss_peak_mb"] - small["run"]["rss_before_mb"]
        grew_large = large["run"]["rss_peak_mb"] - large["run"]["rss_before_mb"]
        parts.append(f"(RSS grew {grew_small:.1f} -> {grew_large:.1f} MB during the run)")
        print(" ".join(parts))


def profile(kind: str, options: argparse.Namespace) -> None:
    size = options.profile_size
    print(f"\n== profile: {kind}, {size:,} invoices, all due", flush=True)
    with scratch_database(kind) as url:
        prepare(kind, url, size, 1.0)
        child("run", url, options.batch_size, profile=True)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        default="20000,100000",
        help='invoices to seed, comma-separated (default 20000,100000; "" for none)',
    )
    parser.add_argument(
        "--databases", default="sqlite,postgresql", help="sqlite, postgresql or both (default both)"
    )
    parser.add_argument(
        "--due-share",
        type=float,
        default=1.0,
        help="share of the invoices due today, 0..1 (default 1.0: all)",
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        default=500,
        help="run_reminders batch size, also the scan's fetchmany size",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="measure each baseline this many times and keep the fastest (default 3)",
    )
    parser.add_argument(
        "--runs",
        type=int,
        default=1,
        help="measure the run this many times, each on a fresh copy of the seeded database, "
        "and keep the fastest (default 1)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="reminder-run workers on PostgreSQL (run_reminders(workers=...); default 1)",
    )
    parser.add_argument(
        "--traced",
        action="store_true",
        help="also run the reminder run under tracemalloc (a second run; ~4x its time)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also profile one run per database (cProfile, SQL counts)",
    )
    parser.add_argument("--profile-size", type=int, default=5000)
    # The child side (one measurement in a fresh process).
    parser.add_argument("--measure", choices=("scan", "book", "run"), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    parser.add_argument("--child-traced", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--profile-child", action="store_true", help=argparse.SUPPRESS)
    options, _unknown = parser.parse_known_args(argv)
    if options.measure:
        return measure(options)

    sizes = [int(size) for size in options.sizes.split(",") if size.strip()]
    kinds = [kind.strip() for kind in options.databases.split(",") if kind.strip()]
    started = time.perf_counter()
    print(
        f"reminder run for {TODAY.isoformat()} over invoices due {DUE.isoformat()}; sizes "
        f"{', '.join(f'{s:,}' for s in sizes)}; due share {options.due_share:g}; batch "
        f"{options.batch_size}; databases {', '.join(kinds)}",
        flush=True,
    )
    results = [bench_one(kind, size, options) for kind in kinds for size in sizes]
    if results:  # --sizes "" --profile: only the profile
        print_table(results)
    if options.profile:
        for kind in kinds:
            profile(kind, options)
    print(f"\ntotal bench time {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
