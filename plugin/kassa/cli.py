"""The ``flask kassa`` command group: database, keys, staff users and settings."""

from __future__ import annotations

import csv
import json
import time
from datetime import UTC, date, datetime
from typing import Any

import click
from cryptography.fernet import Fernet
from flask.cli import AppGroup
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.security import generate_password_hash

from .config import COUNTRY_CURRENCY, STAFF_ROLES, KassaConfig, settings_table
from .core.camt import StatementError
from .core.credit import InvoiceProduct
from .core.money import Money
from .core.rules import RULE_KEYS, Rule, missing_half_year_rows
from .db import migrate
from .db.models import GoneEndpoint, Invoice, InvoiceEvent, StaffUser
from .notify.lifecycle import collection_case
from .notify.outbox import deliver_pending, resend
from .services.credit_reporting import run_credit_reporting
from .services.offers import lowest_offered_amount, product_credit_scope
from .services.reminders import RunReport, run_reminders
from .services.staff import audit
from .services.statements import import_statement
from .state import get_state

#: ``flask kassa``: an AppGroup, so every command runs inside the app's context.
kassa_cli = AppGroup("kassa", help="Kassa: pay by invoice and instalments.")


@kassa_cli.group("db", help="Kassa's database schema.")
def db_cli() -> None:
    """Database commands."""


@db_cli.command("upgrade", help="Apply Kassa's migrations (safe to run again).")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    database = get_state().db
    before = migrate.current_revision(database)
    migrate.upgrade(database, revision)
    after = migrate.current_revision(database)
    click.echo(f"Kassa database at {after} (was {before or 'empty'}).")


@db_cli.command("current", help="Show the schema revision of Kassa's database.")
def db_current() -> None:
    click.echo(migrate.current_revision(get_state().db) or "empty")


@kassa_cli.command("generate-key", help="Print a new KASSA_ENCRYPTION_KEY.", with_appcontext=False)
def generate_key() -> None:
    click.echo(Fernet.generate_key().decode())


@kassa_cli.command("rotate-key", help="Re-encrypt the stored identity numbers with the first "
                   "key of KASSA_ENCRYPTION_KEY; put the new key in front of the old one first.")
def rotate_key() -> None:
    state = get_state()
    if len(state.config.encryption_key) < 2:
        raise click.ClickException(
            "KASSA_ENCRYPTION_KEY lists one key. Generate a new one (flask kassa generate-key), "
            "set KASSA_ENCRYPTION_KEY to 'NEW,OLD', restart, then run this command.")
    with state.db.session(lock=True) as session:
        done = state.vault.rotate(session)
    click.echo(f"Re-encrypted {done.customers} identity numbers and {done.sealed} checkout "
               "identities with the first key. Remove the old key from KASSA_ENCRYPTION_KEY "
               "and restart.")


@kassa_cli.command("revoke-links", help="Stop every link sent so far from opening an invoice "
                   "(e.g. one that reached the wrong person); a fresh link can be asked for.")
@click.argument("number")
def revoke_links(number: str) -> None:
    now = datetime.now(UTC)
    with get_state().db.session() as session:
        invoice = session.scalars(select(Invoice).where(Invoice.number == number)).first()
        if invoice is None:
            raise click.ClickException(f"there is no invoice {number}")
        invoice.links_revoked_at = now
        session.add(InvoiceEvent(invoice_id=invoice.id, kind="links_revoked", occurred_at=now))
    click.echo(f"Links to invoice {number} made before {now:%Y-%m-%d %H:%M:%S} UTC no longer "
               "open it.")


@kassa_cli.command("create-staff", help="Add a support staff user to the help console.")
@click.argument("email")
@click.option("--name", required=True)
@click.option("--role", type=click.Choice(STAFF_ROLES), default="agent", show_default=True)
@click.option("--team", default=None, help="The team the user works in (figures by team).")
@click.password_option()
def create_staff(email: str, name: str, role: str, team: str | None, password: str) -> None:
    email = email.strip().lower()
    with get_state().db.session() as session:
        if session.scalar(select(StaffUser).where(StaffUser.email == email)):
            raise click.ClickException(f"a staff user {email} exists already")
        session.add(StaffUser(email=email, name=name, role=role, team=_team(team),
                              password_hash=generate_password_hash(password)))
    click.echo(f"Staff user {email} ({role}) created.")


@kassa_cli.command("update-staff", help="Change a help-console user: name, role, team, "
                   "whether they may sign in, or a new one-time code set-up.")
@click.argument("email")
@click.option("--name", default=None)
@click.option("--role", type=click.Choice(STAFF_ROLES), default=None)
@click.option("--team", default=None, help="The team the user works in; '' for none.")
@click.option("--active/--inactive", default=None,
              help="--inactive: the user can no longer sign in; their history stays.")
@click.option("--new-code", is_flag=True,
              help="Forget the user's authenticator: a new one is set up at the next sign-in.")
def update_staff(email: str, name: str | None, role: str | None, team: str | None,
                 active: bool | None, new_code: bool) -> None:
    email = email.strip().lower()
    with get_state().db.session() as session:
        user = session.scalar(select(StaffUser).where(StaffUser.email == email))
        if user is None:
            raise click.ClickException(f"there is no staff user {email}")
        before = {"name": user.name, "role": user.role, "team": user.team,
                  "active": user.active, "code": user.totp_secret is not None}
        if name is not None and name.strip():
            user.name = name.strip()
        user.role = role or user.role
        user.team = _team(team) if team is not None else user.team
        user.active = user.active if active is None else active
        if new_code:
            user.totp_secret = user.totp_last_step = None
            user.failed_logins, user.locked_until = 0, None
        after = {"name": user.name, "role": user.role, "team": user.team,
                 "active": user.active, "code": user.totp_secret is not None}
        audit(session, None, "staff.update", email="flask kassa update-staff",
              target=("staff", user.id), before=before, after=after, now=datetime.now(UTC))
    changed = ", ".join(f"{key} {before[key]!r} -> {after[key]!r}" for key in after
                        if before[key] != after[key])
    click.echo(f"Staff user {email}: {changed or 'nothing changed'}.")


def _team(value: str | None) -> str | None:
    team = " ".join((value or "").split())[:100]
    return team or None


@kassa_cli.command("config", help="Show every KASSA_* setting in force (secrets hidden).")
def show_config() -> None:
    config = get_state().config
    for key, _default, secret, _doc in settings_table():
        value = "<set>" if secret else getattr(config, key.removeprefix("KASSA_").lower())
        click.echo(f"{key} = {value!r}" if not secret else f"{key} = {value}")


@kassa_cli.command("rules", help="Show the legal rules in force for each served country (value, "
                   "since when, status, source) and warn where a half-yearly rate has no row "
                   "for the current half-year.")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="As if it were this day (YYYY-MM-DD); default: today.")
def show_rules(today: datetime | None) -> None:
    day = today.date() if today else date.today()
    config = get_state().config
    book = config.rulebook
    for country in config.countries:
        click.echo(f"{country}: rules in force on {day.isoformat()} "
                   "(status C confirmed, S secondary source, U unconfirmed)")
        for key in RULE_KEYS:
            rule = book.find(country, key, day)
            if rule is not None:
                click.echo(f"  {key:<36} {_rule_value(rule, country):>12}  since "
                           f"{rule.effective_from.isoformat()}  {rule.status}  {rule.source}")
        _show_products(config, country, day)
    for gap in missing_half_year_rows(book, config.countries, day):
        click.echo(f"WARNING {gap.message}")


def _show_products(config: KassaConfig, country: str, day: date) -> None:
    """Each product of ``country``: whether its offers are consumer credit, and why; for a
    plan, the amount it is offered from under KASSA_MAX_OFFER_APR."""
    products = config.products.get(country)
    if products is None:
        return
    ceiling = config.max_offer_apr.get(country)
    click.echo(f"  offers on {day.isoformat()} (KASSA_MERCHANT_SIZE {config.merchant_size}, "
               f"KASSA_MAX_OFFER_APR {f'{ceiling:f} %' if ceiling is not None else 'none'}):")
    for product in ([products.invoice] if products.invoice else []) + list(products.installments):
        scope = product_credit_scope(config, country, product, day)
        answer = "consumer credit" if scope.consumer_credit else "not consumer credit"
        if isinstance(product, InvoiceProduct):
            terms = f"invoice, {product.days_to_pay} days"
            offered = ""
        else:
            terms = f"{product.months} months"
            lowest = lowest_offered_amount(config, country, product, day)
            offered = ("  never offered: the APR is above the ceiling at every amount"
                       if lowest is None else
                       f"  offered from {Money(lowest, products.currency)}")
        click.echo(f"    {product.id:<20} {terms:<18} {answer} ({scope.reason}){offered}")


def _rule_value(rule: Rule, country: str) -> str:
    """A rule's value in the unit its key names: ``2.5 %``, ``5.00 EUR``, ``14 days``."""
    value = rule.value
    if rule.key.endswith("_pct"):
        return f"{value:f} %"
    if rule.key.endswith("_minor"):
        return str(Money(int(value), COUNTRY_CURRENCY[country]))
    if rule.key.endswith("_days") or "_days_" in rule.key:  # also ..._min_days_to_pay
        return f"{int(value)} days"
    if rule.key.endswith("_flag"):
        return "yes" if value else "no"
    return f"{value:f}"


@kassa_cli.command("deliver", help="Send the queued messages that are due (invoices by e-mail); "
                   "failures are retried later with growing pauses.")
@click.option("--loop", is_flag=True, help="Keep running; check the queue every --interval s.")
@click.option("--interval", default=30, show_default=True, type=click.IntRange(1),
              help="Seconds between checks with --loop.")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1),
              help="Messages handled per batch.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 16),
              help="Threads sending at once; each message is still sent by one of them.")
def deliver(loop: bool, interval: int, limit: int, workers: int) -> None:
    state = get_state()
    try:
        while True:
            report = deliver_pending(state, now=datetime.now(UTC), limit=limit,
                                     workers=workers)
            if report.total or not loop:
                click.echo(f"Outbox: {report.sent} sent, {report.failed} to retry later, "
                           f"{report.dead} given up.")
            if report.total >= limit:
                continue  # a full batch: there may be more waiting
            if not loop:
                break
            time.sleep(interval)
    except KeyboardInterrupt:
        click.echo("Stopped.")


@kassa_cli.group("endpoints", help="Receivers that answered 410 Gone and get nothing more.")
def endpoints_cli() -> None:
    """Commands for switched-off receivers."""


@endpoints_cli.command("list", help="The receivers switched off after a 410 Gone.")
def endpoints_list() -> None:
    with get_state().db.session() as session:
        gone = session.scalars(select(GoneEndpoint).order_by(GoneEndpoint.id)).all()
    if not gone:
        click.echo("No receiver is switched off.")
    for endpoint in gone:
        click.echo(f"{endpoint.id}  {endpoint.recipient} ({endpoint.channel}), since "
                   f"{endpoint.gone_at:%Y-%m-%d %H:%M} UTC: {endpoint.error}")


@endpoints_cli.command("enable", help="Send to a switched-off receiver again (its messages "
                       "that died meanwhile can be sent with `flask kassa resend`).")
@click.argument("endpoint_id", type=int)
def endpoints_enable(endpoint_id: int) -> None:
    with get_state().db.session() as session:
        endpoint = session.get(GoneEndpoint, endpoint_id)
        if endpoint is None:
            raise click.ClickException(f"No switched-off receiver has the id {endpoint_id}.")
        recipient = endpoint.recipient
        session.delete(endpoint)
    click.echo(f"{recipient} is switched on again.")


@kassa_cli.command("run-reminders", help="Take today's reminder steps: friendly contacts, "
                   "formal reminders, hand-offs to collection; and queue today's reports to "
                   "the credit registers (KASSA_CREDIT_REPORTING). Safe to run again.")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Run as if it were this day (YYYY-MM-DD); default: today.")
@click.option("--batch-size", default=500, show_default=True, type=click.IntRange(1))
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 16),
              help="Workers sharing the run (threads). Faster on PostgreSQL, where rows "
                   "are claimed with SKIP LOCKED; SQLite has one writer at a time.")
def run_reminders_command(today: datetime | None, batch_size: int, workers: int) -> None:
    day = today.date() if today else date.today()

    def progress(report: RunReport) -> None:
        click.echo(f"\r  {report.examined} invoices looked at, {report.total_steps} steps",
                   nl=False)

    report = run_reminders(get_state(), today=day, batch_size=batch_size, progress=progress,
                           workers=workers)
    click.echo(f"\nReminder run for {day.isoformat()}: {report.examined} invoices looked at; "
               f"{report.steps['friendly']} friendly contacts, {report.steps['reminder']} "
               f"reminders, {report.steps['collection']} handed to collection.")
    state = get_state()
    if state.config.credit_reporting:
        credit = run_credit_reporting(state, today=day)
        queued = credit.queued
        click.echo(f"Credit registers: {queued['credit.changed']} changes, "
                   f"{queued['credit.delayed_60']} payment delays and {queued['credit.repaid']} "
                   "repaid credits queued for reporting.")
        if credit.overdue:
            click.echo(f"WARNING {credit.overdue} credit reports have passed their legal "
                       "deadline undelivered: see `flask kassa deliver` and the outbox.")


@kassa_cli.command("export-collection", help="Write the invoices handed to collection as "
                   "JSON or CSV (for the collection partner).")
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json",
              show_default=True)
@click.option("--output", type=click.File("w"), default="-", show_default=True)
def export_collection(fmt: str, output: Any) -> None:
    with get_state().db.session() as session:
        invoices = session.scalars(
            select(Invoice).where(Invoice.status == "collection").order_by(Invoice.id)
            .options(selectinload(Invoice.steps), selectinload(Invoice.customer))).all()
        cases = [collection_case(invoice) for invoice in invoices]
    if fmt == "json":
        json.dump({"invoices": cases}, output, indent=2, ensure_ascii=False)
        output.write("\n")
        return
    columns = ["number", "reference", "currency", "amount", "fees", "interest", "paid",
               "balance", "issue_date", "due_date", "country"]
    people = ["name", "email", "phone", "street", "postal_code", "city"]
    writer = csv.writer(output)
    writer.writerow(columns + [f"customer_{c}" for c in people] + ["notices"])
    for case in cases:
        writer.writerow([case[c] for c in columns] + [case["customer"][c] for c in people]
                        + [len(case["notices"])])


@kassa_cli.command("import-payments", help="Import a bank statement (ISO 20022 camt.053 or "
                   "camt.054): book the payments whose reference matches an invoice, put the "
                   "rest on the review list. Importing a file again changes nothing.")
@click.argument("statement_file", metavar="FILE",
                type=click.Path(exists=True, dir_okay=False, readable=True))
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Import as if it were this day (YYYY-MM-DD); default: today.")
def import_payments_command(statement_file: str, today: datetime | None) -> None:
    with open(statement_file, "rb") as stream:
        data = stream.read()
    try:
        report = import_statement(get_state(), data, today=today.date() if today else date.today())
    except StatementError as error:
        raise click.ClickException(
            f"{statement_file} was not imported, nothing changed: {error.message}") from None
    click.echo(f"Statement {report.message_id} ({report.kind}): {report.summary()}.")
    for item in report.review:
        reference = f"reference {item.reference}" if item.reference else "no reference"
        click.echo(f"  to review: {Money(item.amount, item.currency)}, {reference} "
                   f"({item.reason})")


@kassa_cli.command("resend", help="Send an outbox message again (a dead one is retried; a sent "
                   "one is copied into a new message).")
@click.argument("outbox_id", type=int)
def resend_command(outbox_id: int) -> None:
    queued = resend(get_state(), outbox_id)
    if queued is None:
        raise click.ClickException(f"there is no outbox message {outbox_id}")
    click.echo(f"Message {outbox_id} queued again as {queued}; `flask kassa deliver` sends it.")
