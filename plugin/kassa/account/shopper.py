"""The shopper's own pages: every invoice with this merchant, and what they can do about
them (more time, a payment plan, a dispute, contact details and channels, secure messages,
a callback), plus the survey after a contact.

Access: the signed link in every invoice message (``/open/<token>``, or from the invoice
page), or an invoice number with its postcode or e-mail address and then a one-time code.
The session lives in the host app's signed cookie under ``kassa_shopper`` and ends after
``KASSA_ACCOUNT_IDLE_MINUTES`` of inactivity. Every query is scoped to the shopper's own
customer records (:func:`kassa.services.customer_service.customer_scope`); another
shopper's invoice, request, message or file is "not found".
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from flask import (
    Response,
    abort,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_wtf import FlaskForm
from sqlalchemy import select

from ..checkout.identity_provider import IdentificationError
from ..core.errors import KassaError
from ..core.identity import parse_personal_id
from ..core.money import parse_major
from ..core.withdrawal import withdrawal_last_day
from ..db.models import Agreement, Customer, Invoice, InvoiceEvent
from ..db.service_models import Attachment, MessageThread, ServiceRequest, Survey
from ..errors import KassaHTTPError
from ..i18n import document_filename, format_day, normalize_locale, pgettext
from ..i18n import gettext as _
from ..invoicing.notices import NoticeFacts, notice_pdf
from ..notify.outbox import deliver_code_now, deliver_now
from ..pages import attachment_download
from ..services import conversations, customer_service
from ..services.credit_plan import agreed_on, withdrawal_of
from ..services.customer_service import DISPUTE_REASONS, MAX_PLAN_MONTHS, ServiceError
from ..services.links import invoice_token, read_invoice_token, read_pages_token
from ..services.withdrawal import withdraw, withdrawal_applies
from ..state import get_state, request_session, transaction
from .trail import shopper_trail, status_text

SESSION_KEY = "kassa_shopper"
_PENDING_KEY = "kassa_shopper_code"


class CsrfForm(FlaskForm):  # type: ignore[misc]
    """Every form of these pages: the CSRF token; the fields are read and checked by the
    services."""


def _now() -> tuple[datetime, date]:
    now = datetime.now(UTC)
    return now, now.date()


# -- session -----------------------------------------------------------------------------------


def _start_session(customer_id: int, *, email_shown: bool) -> None:
    """Sign the shopper in as ``customer_id``. Only when the way in went through the
    customer's e-mail address (a link or code sent there) do their other records with that
    address open too: an address typed at a checkout proves nothing by itself."""
    session.pop(_PENDING_KEY, None)
    session.pop(_IDENTIFY_KEY, None)
    session[SESSION_KEY] = {"c": customer_id, "e": email_shown, "t": int(time.time())}


def current_scope() -> list[int] | None:
    """The shopper's customer ids, or None when nobody is signed in (or the session idled
    out)."""
    data = session.get(SESSION_KEY)
    if not isinstance(data, dict) or not isinstance(data.get("c"), int):
        return None
    idle = get_state().config.account_idle_minutes * 60
    if int(time.time()) - int(data.get("t", 0)) > idle:
        session.pop(SESSION_KEY, None)
        g.kassa_session_ended = True
        return None
    data["t"] = int(time.time())
    session[SESSION_KEY] = data
    if not data.get("e"):
        found = request_session().get(Customer, data["c"])
        return [found.id] if found is not None else None
    scope = customer_service.customer_scope(request_session(), data["c"])
    return scope or None


def signed_in(view: Callable[..., Any]) -> Callable[..., Any]:
    """The view needs a shopper: else the sign-in page, which comes back here after."""
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        scope = current_scope()
        if scope is None:
            return redirect(url_for("kassa_account.sign_in", next=request.path,
                                    ended=1 if g.get("kassa_session_ended") else None))
        g.kassa_scope = scope
        customer = request_session().get(Customer, scope[0])
        if not normalize_locale(request.args.get("lang")) and customer is not None:
            g.kassa_locale = normalize_locale(customer.locale) or g.kassa_locale
        g.kassa_customer = customer
        return view(*args, **kwargs)
    return wrapped


def _safe_next(target: str | None) -> str:
    prefix = url_for("kassa_account.overview")
    if target and target.startswith(prefix) and "//" not in target and "\\" not in target:
        return target
    return prefix


# -- errors ------------------------------------------------------------------------------------


def error_text(error: ServiceError) -> str:
    """A shopper's words for why an action could not be done."""
    params = getattr(error, "params", {}) or {}
    code = error.code
    texts = {
        "service.not_found": _("We could not find that invoice among yours."),
        "service.not_open": _("This invoice is already paid or closed, so nothing needs to "
                              "be done."),
        "service.on_hold": _("This invoice is already paused while we look after an earlier "
                             "request."),
        "service.days": _("Please choose from 1 to 60 days."),
        "service.consent": _("Please tick the box to agree to the plan."),
        "service.plan_invoices": _("Please choose at least one open invoice, all in the same "
                                   "currency."),
        "service.plan_months": _("A payment plan has from 2 to 12 monthly payments."),
        "service.plan_too_small": _("What is left to pay is too little to split into this "
                                    "many payments. Please choose fewer months."),
        "service.plan_caps": _("A plan this long would cost more than the law or our terms "
                               "allow. Please choose fewer months."),
        "service.reason": _("Please choose a reason."),
        "service.slot": _("That time is no longer free. Please choose another."),
        "service.phone": _("Please give a phone number we can call."),
        "service.address": _("Please fill in the street address, postcode and city."),
        "service.channel": _("Please choose one of the options shown."),
        "service.no_phone": _("Please add your phone number first, then choose text "
                              "messages."),
        "service.code_wrong": _("That code is not right. Please check it and try again."),
        "service.code_expired": _("That code has expired. Please ask for a new one."),
        "service.message_empty": _("Please write a subject and a message."),
        "service.too_long": _("Please shorten your text to %(limit)s characters.",
                              limit=params.get("limit", "")),
        "service.characters": _("Please remove the special characters from your text."),
        "service.file_count": _("Please attach at most %(limit)s files.",
                                limit=params.get("limit", "")),
        "service.file_empty": _("The file %(name)s is empty.", name=params.get("name", "")),
        "service.file_size": _("The file %(name)s is too large. Files can be up to %(size)s MB.",
                               name=params.get("name", ""),
                               size=round(int(params.get("limit", 0)) / 1_000_000)),
        "service.file_type": _("The file %(name)s is not a PDF, JPEG, PNG or text file.",
                               name=params.get("name", "")),
        "service.file_virus": _("The file %(name)s did not pass our security check.",
                                name=params.get("name", "")),
        "service.survey_answered": _("You have already answered. Thank you!"),
        "service.survey_expired": _("This survey has closed. Thank you all the same!"),
        "service.survey_scale": _("Please choose a number from 0 to 10 for each question."),
        "service.decided": _("This has already been decided."),
        "service.identify": _("A payment plan is credit, so please identify yourself "
                              "first."),
    }
    return texts.get(code, _("Sorry, that did not work. Please check the details and try "
                             "again."))


def _submit_key() -> str:
    return secrets.token_urlsafe(16)


def _form_key() -> str:
    key = (request.form.get("submit_key") or "").strip()
    return key[:64] if key else _submit_key()


# -- access ------------------------------------------------------------------------------------


def open_pages(token: str) -> Any:
    """The link in a message: opens the shopper's pages."""
    opened = read_pages_token(token)
    if opened is None or request_session().get(Customer, opened[0]) is None:
        return redirect(url_for("kassa_account.sign_in", expired=1))
    _start_session(opened[0], email_shown=opened[1])
    return redirect(url_for("kassa_account.overview", lang=request.args.get("lang")))


def open_from_invoice(token: str) -> Any:
    """From an invoice's page (its signed link): all of the shopper's invoices."""
    link = read_invoice_token(token)
    invoice = request_session().get(Invoice, link.invoice_id) if link else None
    if invoice is None:
        return redirect(url_for("kassa_account.sign_in", expired=1))
    from ..pages import invoice_for_link  # the link's own rules: expiry and revocation

    if invoice_for_link(token) is None:
        return redirect(url_for("kassa_account.sign_in", expired=1))
    # The invoice's link reached the shopper by the invoice's channel.
    _start_session(invoice.customer_id, email_shown=invoice.channel == "email")
    return redirect(url_for("kassa_account.overview", lang=request.args.get("lang")))


def sign_in() -> Any:
    """Invoice number and postcode or e-mail, then a one-time code to the invoice's e-mail
    (or phone, for an invoice sent by SMS)."""
    form = CsrfForm()
    error = None
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        db = request_session()
        invoice = customer_service.invoice_for_sign_in(
            db, request.form.get("number", ""), request.form.get("proof", ""))
        if invoice is None:
            error = _("We could not find an invoice with those details. Please check the "
                      "invoice number and the postcode or e-mail address on it.")
        else:
            now, _today = _now()
            billed = invoice.billed
            by_sms = invoice.channel == "sms" and billed.get("phone") and \
                get_state().config.sms_url
            channel, to = ("sms", billed["phone"]) if by_sms else ("email", billed["email"])
            with transaction() as tx:
                code = customer_service.send_code(
                    tx, get_state(), tx.get_one(Customer, invoice.customer_id),
                    purpose="sign_in", channel=channel, sent_to=to, locale=g.kassa_locale,
                    now=now)
                code_id = code.id
            deliver_code_now(get_state(), now=now, recipient=to)
            session[_PENDING_KEY] = {"id": code_id, "to": _mask(to, channel), "by": channel,
                                     "next": _safe_next(request.args.get("next"))}
            return redirect(url_for("kassa_account.enter_code"))
    return render_template("kassa/account/sign_in.html", form=form, error=error,
                           ended=request.args.get("ended"), expired=request.args.get("expired"))


def enter_code() -> Any:
    pending = session.get(_PENDING_KEY)
    if not isinstance(pending, dict):
        return redirect(url_for("kassa_account.sign_in"))
    form = CsrfForm()
    error = None
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        now, _today = _now()
        try:
            with transaction() as tx:
                code = customer_service.check_code(tx, get_state(), int(pending["id"]),
                                                   request.form.get("code", ""), now)
                if code.purpose != "sign_in":
                    raise ServiceError("wrong purpose", code="service.code_expired")
                customer_id = code.customer_id
        except ServiceError as exc:
            error = error_text(exc)
        else:
            target = pending.get("next")
            _start_session(customer_id, email_shown=pending.get("by") == "email")
            return redirect(_safe_next(target))
    return render_template("kassa/account/enter_code.html", form=form, error=error,
                           pending=pending)


def sign_out() -> Any:
    if not CsrfForm().validate_on_submit():
        abort(400)
    session.pop(SESSION_KEY, None)
    return render_template("kassa/account/signed_out.html")


def _mask(to: str, channel: str) -> str:
    """Enough of an address or number to recognise one's own: ``m***@example.fi``, or a
    phone number's last three digits."""
    if channel == "sms":
        return to[-3:]
    name, _at, domain = to.partition("@")
    return f"{name[:1]}***@{domain}"


# -- strong identification -------------------------------------------------------------------

_IDENTIFY_KEY = "kassa_shopper_identify"


def needs_strong_auth(country: str) -> bool:
    """Whether credit on these pages (a payment plan) needs bank identification in
    ``country``: where the checkout asks for it, and a broker is set up."""
    from ..checkout.views import configured_identity_provider

    return country in get_state().config.strong_auth_countries and \
        configured_identity_provider() is not None


def strongly_identified() -> bool:
    data = session.get(SESSION_KEY)
    return isinstance(data, dict) and bool(data.get("strong"))


@signed_in
def identify() -> Any:
    """Send the shopper to the identity broker (a CSRF-checked POST), then back to ``next``."""
    from ..checkout.views import configured_identity_provider

    if not CsrfForm().validate_on_submit():
        abort(400)
    provider = configured_identity_provider()
    target = _safe_next(request.form.get("next"))
    if provider is None:
        return redirect(target)
    pending = {"state": secrets.token_urlsafe(32), "nonce": secrets.token_urlsafe(32),
               "next": target}
    try:
        url = provider.authorization_url(pending["state"], pending["nonce"],
                                         url_for("kassa_account.identified", _external=True),
                                         g.kassa_locale)
    except IdentificationError:
        return redirect(target)
    session[_IDENTIFY_KEY] = pending
    return redirect(url)


@signed_in
def identified() -> Any:
    """The broker's answer: the verified number must be the one of the shopper's own
    records (the number given at checkout); then the session may do what needs it."""
    from ..checkout.views import configured_identity_provider

    pending = session.pop(_IDENTIFY_KEY, None)
    provider = configured_identity_provider()
    if not isinstance(pending, dict) or provider is None:
        return redirect(url_for("kassa_account.overview"))
    target = _safe_next(pending.get("next"))
    try:
        identity = provider.verified_identity(
            request.args.to_dict(), state=pending["state"], nonce=pending["nonce"],
            redirect_uri=url_for("kassa_account.identified", _external=True))
    except IdentificationError:
        return redirect(_with_query(target, identification="failed"))
    state = get_state()
    customers = request_session().scalars(select(Customer).where(
        Customer.id.in_(g.kassa_scope))).all()
    matches = False
    for customer in customers:
        try:
            person = parse_personal_id(customer.country, identity.personal_id)
        except KassaError:
            continue
        if customer.personal_id_digest in state.vault.digests(person):
            matches = True
            break
    if not matches:
        return redirect(_with_query(target, identification="other"))
    data = dict(session.get(SESSION_KEY) or {})
    data["strong"] = True
    session[SESSION_KEY] = data
    return redirect(target)


def _with_query(target: str, **values: str) -> str:
    """``target`` with ``values`` added to its query, which it may already have."""
    return f"{target}{'&' if '?' in target else '?'}{urlencode(values)}"


# -- overview and invoices ---------------------------------------------------------------------


@signed_in
def overview() -> Any:
    db = request_session()
    scope = g.kassa_scope
    _now_, today = _now()
    invoices = customer_service.scoped_invoices(db, scope)
    open_ = [i for i in invoices if i.status in ("open", "partly_paid", "overdue", "disputed",
                                                 "on_hold", "collection") and
             i.balance_minor > 0]
    closed = [i for i in invoices if i not in open_]
    balances: dict[str, int] = {}
    for invoice in open_:
        balances[invoice.currency] = balances.get(invoice.currency, 0) + invoice.balance_minor
    next_due = min((i.due_date for i in open_ if i.due_date >= today), default=None)
    requests = db.scalars(select(ServiceRequest).where(
        ServiceRequest.customer_id.in_(scope)).order_by(ServiceRequest.id.desc()).limit(20)).all()
    threads = db.scalars(select(MessageThread).where(
        MessageThread.customer_id.in_(scope)).order_by(MessageThread.id.desc()).limit(10)).all()
    return render_template("kassa/account/overview.html", open_invoices=open_,
                           closed_invoices=closed, balances=balances, next_due=next_due,
                           requests=requests, threads=threads, today=today,
                           status_text=invoice_status_text, request_text=request_text,
                           form=CsrfForm())


def invoice_status_text(invoice: Invoice, today: date) -> str:
    on_plan = any(h.reason == "plan" and (h.ends_on is None or h.ends_on > today)
                  for h in invoice.holds)
    if on_plan and invoice.balance_minor > 0:
        return _("On a payment plan")
    return status_text(invoice, today)


def request_text(item: ServiceRequest) -> str:
    kinds = {"extension": _("More time"), "plan": _("Payment plan"),
             "dispute": _("Invoice being checked"), "callback": _("Call back")}
    statuses = {"granted": pgettext("request status", "agreed"),
                "pending": pgettext("request status", "with our team"),
                "refused": pgettext("request status", "not agreed"),
                "done": pgettext("request status", "done"),
                "cancelled": pgettext("request status", "cancelled")}
    return _("%(request)s: %(status)s", request=kinds.get(item.kind, item.kind),
             status=statuses.get(item.status, item.status))


def _own(number: str) -> Invoice:
    try:
        return customer_service.own_invoice(request_session(), g.kassa_scope, number)
    except ServiceError:
        abort(404)


@signed_in
def invoice_detail(number: str) -> Any:
    invoice = _own(number)
    _now_, today = _now()
    documents = [event for event in invoice.events
                 if isinstance((event.data or {}).get("document"), dict)]
    requests = request_session().scalars(select(ServiceRequest).where(
        ServiceRequest.customer_id.in_(g.kassa_scope),
        ServiceRequest.invoice_id == invoice.id).order_by(ServiceRequest.id)).all()
    open_ = invoice.status in customer_service.OPEN_STATUSES and invoice.balance_minor > 0
    return render_template("kassa/account/invoice_detail.html", invoice=invoice,
                           token=invoice_token(invoice.id), documents=documents,
                           trail=shopper_trail(invoice.events, invoice.currency),
                           status_text=invoice_status_text(invoice, today), open=open_,
                           requests=requests, request_text=request_text,
                           notice_title=_notice_title,
                           withdraw_until=_withdraw_until(invoice.agreement, today))


def _withdraw_until(agreement: Agreement, today: date) -> date | None:
    last = withdrawal_last_day_of(agreement)
    return last if last is not None and today <= last else None


def _notice_title(kind: str) -> str:
    from ..invoicing.notices import notice_title

    return notice_title(kind, g.kassa_locale)


@signed_in
def notice_document(number: str, event_id: int) -> Any:
    invoice = _own(number)
    event = request_session().get(InvoiceEvent, event_id)
    if event is None or event.invoice_id != invoice.id or not isinstance(
            (event.data or {}).get("document"), dict):
        abort(404)
    facts = NoticeFacts.from_json(event.data["document"])
    data = notice_pdf(invoice, facts, get_state().config, g.kassa_locale,
                      created_at=event.occurred_at)
    name = document_filename(facts.kind, invoice.number, g.kassa_locale)
    return Response(data, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{name}"'})


# -- withdrawal from a credit agreement -------------------------------------------------------


def withdrawal_last_day_of(agreement: Agreement) -> date | None:
    """The last day the shopper may withdraw from ``agreement`` (a consumer credit plan), or
    None when there is no right to withdraw here or it was used."""
    if not withdrawal_applies(agreement):
        return None
    if withdrawal_of(request_session(), agreement.id) is not None:
        return None
    agreed = agreed_on(agreement)
    days = get_state().config.rulebook.find(agreement.order.country, "credit_withdrawal_days",
                                            agreed)
    return None if days is None else withdrawal_last_day(agreed, None, int(days.value))


@signed_in
def withdraw_page(agreement_id: int) -> Any:
    """Withdraw from a credit agreement within the legal period, without giving a reason:
    what happens is explained first; the answer shows what is left to pay, or to refund."""
    db = request_session()
    agreement = db.get(Agreement, agreement_id)
    if agreement is None or agreement.customer_id not in g.kassa_scope:
        abort(404)
    state = get_state()
    now, today = _now()
    form = CsrfForm()
    error = None
    result = None
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        if request.form.get("confirm") != "y":
            error = _("Please tick the box to confirm that you want to withdraw.")
        else:
            try:
                with transaction() as tx:
                    done = withdraw(tx, state, tx.get_one(Agreement, agreement.id),
                                    notice_on=today, today=today,
                                    base_url=state.config.public_url)
                    result = {"figures": done.figures, "invoice": done.invoice.number
                              if done.invoice is not None else None}
            except KassaHTTPError as exc:
                error = (_("The time to withdraw has passed. You can still repay the credit "
                           "early at any time; write to us and we will help.")
                         if exc.code == "withdrawal.too_late" else
                         _("You have already withdrawn from this agreement.")
                         if exc.code == "withdrawal.done" else error_text(
                             ServiceError("", code="service.invalid")))
            else:
                deliver_now(state, now=now, invoice_ids=[])
    return render_template("kassa/account/withdraw.html", agreement=agreement, form=form,
                           error=error, result=result, currency=agreement.order.currency,
                           last_day=withdrawal_last_day_of(agreement) if result is None
                           else None)


# -- more time ---------------------------------------------------------------------------------


@signed_in
def more_time(number: str) -> Any:
    invoice = _own(number)
    state = get_state()
    now, today = _now()
    form = CsrfForm()
    error = None
    policy = state.config.self_service[invoice.country]
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        try:
            days = int(request.form.get("days", policy.extension_days))
        except ValueError:
            days = 0
        try:
            with transaction() as db:
                item = customer_service.ask_for_more_time(
                    db, state, g.kassa_scope, number, days=days,
                    note=request.form.get("note", ""), submit_key=_form_key(),
                    source="pages", now=now, today=today)
                item_id = item.id
        except ServiceError as exc:
            error = error_text(exc)
        else:
            deliver_now(state, now=now, invoice_ids=[invoice.id])
            return redirect(url_for("kassa_account.request_done", request_id=item_id))
    option = None
    try:
        option = customer_service.extension_option(state.config, invoice, today)
    except ServiceError as exc:
        error = error or error_text(exc)
    return render_template("kassa/account/more_time.html", invoice=invoice, option=option,
                           policy=policy, form=form, error=error, submit_key=_submit_key())


@signed_in
def request_done(request_id: int) -> Any:
    item = request_session().get(ServiceRequest, request_id)
    if item is None or item.customer_id not in g.kassa_scope:
        abort(404)
    invoice = request_session().get(Invoice, item.invoice_id) if item.invoice_id else None
    customer = request_session().get(Customer, item.customer_id)
    zone = get_state().config.support_hours[customer.country if customer else "FI"].zone
    return render_template("kassa/account/request_done.html", item=item, invoice=invoice,
                           request_text=request_text,
                           day=lambda text: format_day(date.fromisoformat(text)),
                           slot=lambda text: slot_text(datetime.fromisoformat(text)
                                                       .astimezone(zone)))


# -- payment plan ------------------------------------------------------------------------------


def _money_field(name: str, currency: str) -> int:
    amount = parse_major(request.form.get(name) or "0", currency)
    if amount is None or amount >= 10 ** 11:
        raise ServiceError("not a number", code="service.budget")
    return amount


@signed_in
def plan() -> Any:
    """Choose invoices, (optionally) fill in the budget helper, see the plan's figures,
    consent."""
    db = request_session()
    state = get_state()
    now, today = _now()
    form = CsrfForm()
    error = None
    invoices = [i for i in customer_service.scoped_invoices(db, g.kassa_scope)
                if i.status in customer_service.OPEN_STATUSES and i.balance_minor > 0]
    chosen = request.values.getlist("invoice") or ([invoices[0].number] if len(invoices) == 1
                                                   else [])
    chosen_invoices = [i for i in invoices if i.number in chosen]
    budget: dict[str, int] | None = None
    suggestion = None
    quote = None
    months: int | None = None
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        try:
            if request.form.get("income"):
                currency = invoices[0].currency if invoices else "EUR"
                budget = {name: _money_field(name, currency) for name in
                          ("income", "rent", "electricity", "food", "other_debts")}
                suggestion = customer_service.budget_suggestion(**budget)
            months = int(request.form.get("months") or 0) or None
            if months is None and chosen_invoices:
                policy = state.config.self_service[chosen_invoices[0].country]
                total = sum(i.balance_minor for i in chosen_invoices)
                months = min(max(2, customer_service.months_for(
                    total, suggestion or 0, policy.plan_max_months)), MAX_PLAN_MONTHS) \
                    if suggestion is not None else policy.plan_max_months
            if not chosen_invoices:
                raise ServiceError("no invoices", code="service.plan_invoices")
            quote = customer_service.quote_plan(state.config, chosen_invoices, months or 0,
                                                today)
            if request.form.get("step") == "agree":
                if needs_strong_auth(chosen_invoices[0].country) and \
                        not strongly_identified():
                    raise ServiceError("identify first", code="service.identify")
                with transaction() as tx:
                    item = customer_service.agree_plan(
                        tx, state, g.kassa_scope, chosen, months=months or 0, budget=budget,
                        consent=request.form.get("consent") == "y", submit_key=_form_key(),
                        source="pages", now=now, today=today)
                    item_id = item.id
                deliver_now(state, now=now, invoice_ids=[i.id for i in chosen_invoices])
                return redirect(url_for("kassa_account.request_done", request_id=item_id))
        except ServiceError as exc:
            error = error_text(exc) if exc.code != "service.budget" else _(
                "Please write the amounts as numbers, for example 1200 or 1200,50.")
        except ValueError:
            error = _("Please choose from 2 to 12 months.")
    policy = state.config.self_service.get(chosen_invoices[0].country) if chosen_invoices \
        else None
    identification = request.args.get("identification")
    if identification in ("failed", "other") and error is None:
        error = (_("The identification did not match the details of your purchases, so we "
                   "cannot agree a plan this way. Please contact us.")
                 if identification == "other" else
                 _("The identification was not completed. Please try again."))
    must_identify = bool(chosen_invoices) and needs_strong_auth(
        chosen_invoices[0].country) and not strongly_identified()
    return render_template("kassa/account/plan.html", invoices=invoices, chosen=chosen,
                           must_identify=must_identify,
                           budget=budget, suggestion=suggestion, quote=quote, months=months,
                           policy=policy, form=form, error=error, submit_key=_submit_key(),
                           currency=chosen_invoices[0].currency if chosen_invoices else None,
                           chosen_country=chosen_invoices[0].country if chosen_invoices
                           else "")


# -- dispute -----------------------------------------------------------------------------------


def _uploads() -> list[conversations.Upload]:
    return conversations.uploads_from(request.files.getlist("files"),
                                      get_state().config.upload_max_bytes)


@signed_in
def dispute(number: str) -> Any:
    invoice = _own(number)
    state = get_state()
    now, today = _now()
    form = CsrfForm()
    error = None
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        try:
            uploads = _uploads()
            checked = conversations.check_uploads(state, uploads)
            with transaction() as db:
                item = customer_service.open_dispute(
                    db, state, g.kassa_scope, number, reason=request.form.get("reason", ""),
                    text=request.form.get("text", ""), submit_key=_form_key(),
                    source="pages", now=now, today=today)
                if not item.id or not db.scalars(select(Attachment.id).where(
                        Attachment.request_id == item.id)).first():
                    conversations.store_uploads(db, state, item.customer_id, checked,
                                                request=item)
                item_id = item.id
        except ServiceError as exc:
            error = error_text(exc)
        else:
            return redirect(url_for("kassa_account.request_done", request_id=item_id))
    return render_template("kassa/account/dispute.html", invoice=invoice, form=form,
                           error=error, reasons=dispute_reasons(), submit_key=_submit_key(),
                           max_mb=round(state.config.upload_max_bytes / 1_000_000))


def dispute_reasons() -> list[tuple[str, str]]:
    texts = {"not_received": _("I have not received the goods"),
             "returned": _("I returned the goods"),
             "wrong_amount": _("The amount is not right"),
             "already_paid": _("I have already paid"),
             "damaged": _("The goods were faulty or damaged"),
             "not_ordered": _("I did not order this"),
             "other": _("Something else")}
    return [(key, texts[key]) for key in DISPUTE_REASONS]


# -- contact details and channels --------------------------------------------------------------


@signed_in
def details() -> Any:
    state = get_state()
    db = request_session()
    customer: Customer = g.kassa_customer
    form = CsrfForm()
    error = notice = None
    now, _today = _now()
    action = request.form.get("action") if request.method == "POST" else None
    sent_to = None
    if action:
        if not form.validate_on_submit():
            abort(400)
        try:
            with transaction() as tx:
                if action == "address":
                    customer_service.change_address(
                        tx, g.kassa_scope, street=request.form.get("street", ""),
                        postal_code=request.form.get("postal_code", ""),
                        city=request.form.get("city", ""), now=now)
                    notice = _("Thank you. Your address is updated.")
                elif action in ("email", "phone"):
                    typed = request.form.get(action) or ""
                    value = customer_service.clean_email(typed) if action == "email" else \
                        customer_service.clean_phone(typed)
                    if action == "phone" and not state.config.sms_url:
                        raise ServiceError("no sms", code="service.channel")
                    code = customer_service.send_code(
                        tx, state, tx.get_one(Customer, customer.id),
                        purpose=f"confirm_{action}", channel="email" if action == "email"
                        else "sms", sent_to=value, locale=g.kassa_locale, now=now)
                    session[_PENDING_KEY + "_contact"] = {"id": code.id,
                                                          "to": _mask(value, "sms" if action ==
                                                                      "phone" else "email"),
                                                          "by": "sms" if action == "phone"
                                                          else "email"}
                    sent_to = value
                elif action == "confirm":
                    pending = session.get(_PENDING_KEY + "_contact") or {}
                    customer_service.confirm_contact(tx, state, g.kassa_scope,
                                                     int(pending.get("id", 0)),
                                                     request.form.get("code", ""), now)
                    session.pop(_PENDING_KEY + "_contact", None)
                    notice = _("Thank you. Your contact details are updated.")
                elif action == "channels":
                    customer_service.set_channels(
                        tx, state, g.kassa_scope,
                        delivery=request.form.get("delivery", ""),
                        reminders=request.form.get("reminders", ""), now=now)
                    notice = _("Thank you. We will contact you the way you chose.")
                else:
                    abort(400)
        except ServiceError as exc:
            error = _("Please check the e-mail address.") if exc.code == "service.email" \
                else error_text(exc)
        if sent_to:
            deliver_code_now(state, now=now, recipient=sent_to)
        db.expire_all()
    customer = db.get_one(Customer, customer.id)
    channels = [c for c in ("email", "sms", "letter", "einvoice", "digital_mailbox")
                if c == "email" or c in state.config.channels]
    open_invoices = [i for i in customer_service.scoped_invoices(db, g.kassa_scope)
                     if i.status in customer_service.OPEN_STATUSES]
    delivery = open_invoices[0].channel if open_invoices else "email"
    return render_template("kassa/account/details.html", customer=customer, form=form,
                           error=error, notice=notice, channels=channels, delivery=delivery,
                           reminders=customer.reminder_channel or delivery,
                           pending=session.get(_PENDING_KEY + "_contact"),
                           channel_name=channel_name)


def channel_name(channel: str) -> str:
    return {"email": _("E-mail"), "sms": _("Text message (SMS)"), "letter": _("Letter"),
            "einvoice": _("E-invoice to your online bank"),
            "digital_mailbox": _("Digital mailbox")}.get(channel, channel)


# -- messages ----------------------------------------------------------------------------------


@signed_in
def messages() -> Any:
    threads = request_session().scalars(select(MessageThread).where(
        MessageThread.customer_id.in_(g.kassa_scope)).order_by(MessageThread.id.desc())).all()
    return render_template("kassa/account/messages.html", threads=threads,
                           thread_status=thread_status)


def thread_status(thread: MessageThread) -> str:
    return {"open": _("Waiting for our reply"), "answered": _("We have replied"),
            "resolved": _("Resolved")}.get(thread.status, thread.status)


@signed_in
def new_message() -> Any:
    state = get_state()
    db = request_session()
    form = CsrfForm()
    error = None
    invoices = customer_service.scoped_invoices(db, g.kassa_scope)
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        now, _today = _now()
        number = request.form.get("invoice") or ""
        try:
            invoice = customer_service.own_invoice(db, g.kassa_scope, number) if number \
                else None
            with transaction() as tx:
                thread = conversations.start_thread(
                    tx, state, tx.get_one(Customer, g.kassa_scope[0]),
                    subject=request.form.get("subject", ""), body=request.form.get("body", ""),
                    invoice=invoice, uploads=_uploads(), submit_key=_form_key(), now=now)
                thread_id = thread.id
        except ServiceError as exc:
            error = error_text(exc)
        else:
            return redirect(url_for("kassa_account.thread", thread_id=thread_id, sent=1))
    return render_template("kassa/account/new_message.html", form=form, error=error,
                           invoices=invoices, submit_key=_submit_key(),
                           chosen=request.values.get("invoice", ""),
                           max_mb=round(state.config.upload_max_bytes / 1_000_000))


def _own_thread(thread_id: int) -> MessageThread:
    thread = request_session().get(MessageThread, thread_id)
    if thread is None or thread.customer_id not in g.kassa_scope:
        abort(404)
    return thread


@signed_in
def thread(thread_id: int) -> Any:
    state = get_state()
    found = _own_thread(thread_id)
    form = CsrfForm()
    error = None
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        now, _today = _now()
        try:
            with transaction() as tx:
                conversations.add_message(tx, state, tx.get_one(MessageThread, found.id),
                                          author="shopper", body=request.form.get("body", ""),
                                          uploads=_uploads(), submit_key=_form_key(), now=now)
        except ServiceError as exc:
            error = error_text(exc)
        else:
            return redirect(url_for("kassa_account.thread", thread_id=found.id, sent=1))
        request_session().expire_all()
        found = _own_thread(thread_id)
    return render_template("kassa/account/thread.html", thread=found, form=form, error=error,
                           submit_key=_submit_key(), sent=request.args.get("sent"),
                           thread_status=thread_status,
                           max_mb=round(state.config.upload_max_bytes / 1_000_000))


@signed_in
def attachment(attachment_id: int) -> Any:
    found = request_session().get(Attachment, attachment_id)
    if found is None or found.customer_id not in g.kassa_scope:
        abort(404)
    return attachment_download(found)


# -- callback ----------------------------------------------------------------------------------


@signed_in
def callback() -> Any:
    state = get_state()
    customer: Customer = g.kassa_customer
    now, _today = _now()
    form = CsrfForm()
    error = None
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        try:
            with transaction() as tx:
                item = customer_service.ask_for_callback(
                    tx, state, g.kassa_scope, slot=request.form.get("slot", ""),
                    phone=request.form.get("phone", ""), topic=request.form.get("topic", ""),
                    number=request.form.get("invoice") or None, submit_key=_form_key(),
                    source="pages", now=now)
                item_id = item.id
        except ServiceError as exc:
            error = error_text(exc)
        else:
            return redirect(url_for("kassa_account.request_done", request_id=item_id))
    slots = customer_service.callback_slots(state.config, customer.country, now)
    invoices = customer_service.scoped_invoices(request_session(), g.kassa_scope)
    return render_template("kassa/account/callback.html", form=form, error=error, slots=slots,
                           customer=customer, invoices=invoices, submit_key=_submit_key(),
                           slot_text=slot_text, wait=_expected_wait(customer.country, now))


def slot_text(moment: datetime) -> str:
    local = moment
    return f"{format_day(local.date())} {local.strftime('%H:%M')}"


def _expected_wait(country: str, now: datetime) -> str:
    hours = get_state().config.support_hours[country]
    if hours.is_open(now):
        return _("We are open now. We usually call back within the hour you choose.")
    nxt = hours.next_open(now)
    if nxt is None:
        return _("We are closed for now.")
    local = nxt.astimezone(hours.zone)
    return _("We are closed now and open again on %(day)s at %(time)s.",
             day=format_day(local.date()), time=local.strftime("%H:%M"))


# -- survey ------------------------------------------------------------------------------------


def survey(token: str) -> Any:
    """The four questions; no sign-in, the signed link is the key."""
    state = get_state()
    survey_id = conversations.read_survey_token(state.app.secret_key or "", token)
    db = request_session()
    found = db.get(Survey, survey_id) if survey_id is not None else None
    if found is None:
        return render_template("kassa/account/not_found.html"), 404
    if not normalize_locale(request.args.get("lang")):
        g.kassa_locale = normalize_locale(found.locale) or g.kassa_locale
    form = CsrfForm()
    error = None
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        now, _today = _now()
        try:
            def number(name: str) -> int:
                raw = request.form.get(name, "")
                if not (raw.isascii() and raw.isdigit() and len(raw) <= 2):
                    raise ServiceError("scale", code="service.survey_scale")
                return int(raw)

            resolved = request.form.get("resolved")
            if resolved not in ("yes", "no"):
                raise ServiceError("scale", code="service.survey_scale")
            with transaction() as tx:
                conversations.answer_survey(
                    tx, tx.get_one(Survey, found.id), resolved=resolved == "yes",
                    recommend=number("recommend"), advisor=number("advisor"),
                    overall=number("overall"), comment=request.form.get("comment", ""),
                    now=now)
        except ServiceError as exc:
            error = error_text(exc)
        else:
            return render_template("kassa/account/survey_thanks.html")
    elif found.answered_at is not None:
        error = error_text(ServiceError("answered", code="service.survey_answered"))
    return render_template("kassa/account/survey.html", form=form, error=error, survey=found,
                           scale=range(11))


def register(blueprint: Any) -> None:
    """Add these pages to the account blueprint."""
    rules: list[tuple[str, Callable[..., Any], tuple[str, ...]]] = [
        ("/", overview, ("GET",)),
        ("/open/<token>", open_pages, ("GET",)),
        ("/invoice/<token>/mine", open_from_invoice, ("GET",)),
        ("/sign-in", sign_in, ("GET", "POST")),
        ("/sign-in/code", enter_code, ("GET", "POST")),
        ("/sign-out", sign_out, ("POST",)),
        ("/invoices/<number>", invoice_detail, ("GET",)),
        ("/invoices/<number>/documents/<kassa_id:event_id>", notice_document, ("GET",)),
        ("/invoices/<number>/more-time", more_time, ("GET", "POST")),
        ("/invoices/<number>/dispute", dispute, ("GET", "POST")),
        ("/requests/<kassa_id:request_id>", request_done, ("GET",)),
        ("/agreements/<kassa_id:agreement_id>/withdraw", withdraw_page, ("GET", "POST")),
        ("/plan", plan, ("GET", "POST")),
        ("/identify", identify, ("POST",)),
        ("/identified", identified, ("GET",)),
        ("/details", details, ("GET", "POST")),
        ("/messages", messages, ("GET",)),
        ("/messages/new", new_message, ("GET", "POST")),
        ("/messages/<kassa_id:thread_id>", thread, ("GET", "POST")),
        ("/attachments/<kassa_id:attachment_id>", attachment, ("GET",)),
        ("/callback", callback, ("GET", "POST")),
        ("/survey/<token>", survey, ("GET", "POST")),
    ]
    for rule, view, methods in rules:
        blueprint.add_url_rule(rule, view_func=view, methods=list(methods))
