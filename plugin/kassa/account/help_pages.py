"""The public help and contact pages of the customer-service side.

- ``/help`` lists the countries the shop serves (``KASSA_COUNTRIES``);
- ``/help/<country>`` is one country's help page in the page's language: the content template
  ``kassa/help/<COUNTRY>/<lang>.html``, which a merchant overrides like any Kassa template,
  filled with :class:`HelpFacts`: the legal numbers in force today, read from the rule book
  (``KASSA_RULES``), and the shop's own fees and self-service policy, so that no number in
  the text goes stale;
- ``/contact`` ranks the ways to reach the team per topic (``KASSA_CONTACT_RANKING``), and
  shows the opening hours (``KASSA_SUPPORT_HOURS``), the coming public holidays and whether
  the team is open right now.

The pages carry no personal data and work without JavaScript. They read the clock only
through :func:`now`, so that a test can freeze it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_time, get_day_names
from babel.numbers import format_decimal
from flask import g, render_template, request, url_for
from werkzeug.routing import BuildError

from ..config import COUNTRY_CURRENCY, KassaConfig
from ..core.calendar import business_calendar
from ..core.interest import late_interest_rate
from ..core.rules import RuleError
from ..i18n import N_, current_locale, format_day, format_money
from ..i18n import gettext as _
from ..invoicing import format_bankgiro, format_plusgiro
from ..service_settings import CONTACT_TOPICS, COUNTRY_ZONES, OpeningHours
from ..state import get_state
from .holiday_names import holiday_name

#: Where the shopper's own pages, the message centre and the call-back booking live (built
#: defensively: a page that is not there yet gets no link).
OWN_PAGES_ENDPOINT = "kassa_account.overview"
MESSAGES_ENDPOINT = "kassa_account.messages"
CALLBACK_ENDPOINT = "kassa_account.callback"
#: A message or an e-mail sent before this time on a business day is answered that day.
SAME_DAY_ANSWER_BEFORE = time(14, 0)
#: How far ahead the contact page lists the public holidays on which the team is closed.
HOLIDAY_DAYS_AHEAD = 30

#: The contact page's topics (:data:`kassa.service_settings.CONTACT_TOPICS`), as headings.
TOPIC_TITLES = {
    "balance": N_("Check your balance or update your billing details"),
    "dispute": N_("Something looks wrong on an invoice"),
    "overdue": N_("Questions about a late payment or a reminder"),
    "more_time": N_("More time to pay"),
    "plan": N_("Paying in instalments"),
}


def now() -> datetime:
    """The current moment (aware, UTC): the only clock of these pages."""
    return datetime.now(UTC)


def local_today(country: str, moment: datetime | None = None) -> date:
    """Today's date in ``country``'s own time."""
    return (moment or now()).astimezone(ZoneInfo(COUNTRY_ZONES[country])).date()


# -- the help pages ----------------------------------------------------------------------------


@dataclass(frozen=True)
class HelpFacts:
    """What a help content template may say, as of today, written for the page's locale.

    Money is formatted in the country's currency, rates as percentages (``9,5 %``). A rule the
    law does not set for the country (or the rule book lacks) is None: the template leaves the
    sentence out.
    """

    country: str
    country_name: str
    currency: str
    #: Today in the country, as the page writes dates.
    today: str
    #: The legal cap on one reminder fee, and the shop's own fee (None: no fee is charged).
    fee_cap: str | None
    fee: str | None
    #: Sweden: a reminder fee only if agreed at the latest when the debt arose.
    fee_needs_agreement: bool
    #: Full days after the due date before a fee-bearing reminder; full days between two of
    #: them; days to pay in each.
    first_reminder_days: int | None
    spacing_days: int | None
    days_to_pay: int | None
    #: The late-payment interest in force today (``9,5 %``), and its two parts: the reference
    #: rate (``2,5 %``) and the margin in percentage points (``7``).
    late_interest: str | None
    reference_rate: str | None
    interest_margin: str | None
    #: Full days after the friendly, fee-free reminder in which paying costs no fee.
    fee_grace_days: int
    #: The self-service policy (``KASSA_SELF_SERVICE``); fees and rate None when free.
    extension_days: int
    extensions_per_invoice: int
    extension_fee: str | None
    plan_max_months: int
    plan_min_instalment: str
    plan_monthly_fee: str | None
    plan_rate: str | None
    #: Links: the shopper's own pages (None until that page exists), the contact page.
    own_pages_url: str | None
    contact_url: str
    support_email: str | None
    support_phone: str | None
    #: Sweden: the shop's Bankgiro and Plusgiro numbers as printed (``5050-1055``).
    bankgiro: str | None
    plusgiro: str | None
    #: Whether invoices offer "pay now" by card or mobile payment.
    pay_now: bool


def help_index() -> Any:
    """The served countries, each with its help page."""
    config = get_state().config
    countries = [{"code": code, "name": country_name(code),
                  "url": url_for("kassa_account.help_page", country=code,
                                 lang=g.kassa_locale)}
                 for code in config.countries]
    return render_template("kassa/help/index.html", countries=countries,
                           contact_url=url_for("kassa_account.contact_page",
                                               lang=g.kassa_locale))


def help_page(country: str) -> Any:
    """One country's help: paying and the reference, late payment and what the law allows,
    more time and payment plans, disputes, data protection."""
    config = get_state().config
    code = country.upper()
    if code not in config.countries:
        return render_template("kassa/help/not_found.html",
                               index_url=url_for("kassa_account.help_index",
                                                 lang=g.kassa_locale)), 404
    locale = g.kassa_locale
    facts = help_facts(config, code, local_today(code))
    return render_template(
        "kassa/help/page.html",
        country=code,
        facts=facts,
        content=[f"kassa/help/{code}/{locale}.html", f"kassa/help/{code}/en.html"],
        others=[{"code": other, "name": country_name(other),
                 "url": url_for("kassa_account.help_page", country=other, lang=locale)}
                for other in config.countries if other != code],
        index_url=url_for("kassa_account.help_index", lang=locale),
    )


def help_facts(config: KassaConfig, country: str, today: date) -> HelpFacts:
    """The facts of ``country``'s help page in force on ``today``."""
    book = config.rulebook
    currency = COUNTRY_CURRENCY[country]

    def rule(key: str) -> Decimal | None:
        row = book.find(country, key, today)
        return row.value if row is not None else None

    def days(key: str) -> int | None:
        value = rule(key)
        return int(value) if value is not None else None

    def money(minor: int | Decimal | None) -> str | None:
        return format_money(int(minor), currency) if minor else None

    cap = rule("reminder_fee_cap_minor")
    fee = config.reminder_fees.get(country, 0)
    if cap is not None:
        fee = min(fee, int(cap))
    try:
        late = late_interest_rate(country, book, today)
    except RuleError:
        late = None
    reference, margin = rule("reference_rate_pct"), rule("late_interest_margin_pct")
    policy = config.self_service[country]
    sweden = country == "SE"
    return HelpFacts(
        country=country,
        country_name=country_name(country),
        currency=currency,
        today=format_day(today),
        fee_cap=format_money(int(cap), currency) if cap is not None else None,
        fee=money(fee),
        fee_needs_agreement=bool(rule("reminder_fee_needs_agreement_flag")),
        first_reminder_days=days("reminder_first_after_days") or None,
        spacing_days=days("reminder_spacing_days") or None,
        days_to_pay=days("reminder_min_days_to_pay") or None,
        late_interest=percent(late) if late is not None else None,
        reference_rate=percent(reference) if reference is not None else None,
        interest_margin=number(margin) if margin is not None else None,
        fee_grace_days=config.fee_grace_days,
        extension_days=policy.extension_days,
        extensions_per_invoice=policy.extensions_per_invoice,
        extension_fee=money(policy.extension_fee_minor),
        plan_max_months=policy.plan_max_months,
        plan_min_instalment=format_money(policy.plan_min_instalment_minor, currency),
        plan_monthly_fee=money(policy.plan_monthly_fee_minor),
        plan_rate=percent(policy.plan_nominal_rate) if policy.plan_nominal_rate else None,
        own_pages_url=optional_url(OWN_PAGES_ENDPOINT, lang=g.kassa_locale),
        contact_url=url_for("kassa_account.contact_page", country=country,
                            lang=g.kassa_locale),
        support_email=config.support_email,
        support_phone=config.support_phone,
        bankgiro=format_bankgiro(config.bankgiro) if sweden and config.bankgiro else None,
        plusgiro=format_plusgiro(config.plusgiro) if sweden and config.plusgiro else None,
        pay_now=bool(config.stripe_secret_key),
    )


# -- the contact page --------------------------------------------------------------------------


@dataclass(frozen=True)
class ContactChannel:
    """One way to reach the team, as the contact page shows it."""

    key: str
    name: str
    description: str
    #: How soon the team answers on this channel.
    answer: str
    #: Where it leads (None: no page to link to), and the link's text.
    url: str | None
    link_text: str


def contact_page() -> Any:
    """The ways to reach the team per topic, best first; opening hours and holidays."""
    config = get_state().config
    code = (request.args.get("country") or "").upper()
    if code not in config.countries:
        code = config.countries[0]
    moment = now()
    today = local_today(code, moment)
    hours = config.support_hours[code]
    channels = available_channels(config)
    ranking = config.contact_ranking[code]
    topics = [{"key": topic, "title": _(TOPIC_TITLES[topic]),
               "channels": [channels[c] for c in ranking[topic] if c in channels]}
              for topic in CONTACT_TOPICS]
    week = [{"key": key, "name": weekday_name(index),
             "hours": ", ".join(f"{clock(start)}\u2013{clock(end, end=True)}"
                                for start, end in windows)}
            for index, (key, windows) in enumerate(hours.week())]
    countries = [{"code": other, "name": country_name(other),
                  "url": url_for("kassa_account.contact_page", country=other,
                                 lang=g.kassa_locale)} for other in config.countries]
    return render_template(
        "kassa/help/contact.html",
        country=code,
        countries=countries,
        topics=topics,
        week=week,
        holidays=closed_holidays(hours, today),
        holiday_days=HOLIDAY_DAYS_AHEAD,
        open_now=hours.is_open(moment),
        status=opening_status(hours, moment),
        help_url=url_for("kassa_account.help_page", country=code, lang=g.kassa_locale),
    )


def available_channels(config: KassaConfig) -> dict[str, ContactChannel]:
    """The channels the shop has: phone and e-mail only when configured."""
    lang = g.kassa_locale
    same_day = _("Answered the same business day if you write before %(time)s, otherwise "
                 "the next business day.", time=clock(SAME_DAY_ANSWER_BEFORE))
    found = {"self_service": ContactChannel(
        "self_service", _("Your own pages"),
        _("See your invoices and what is left to pay, update your billing details, get more "
          "time or set up a payment plan, whenever it suits you."),
        _("Open around the clock."), optional_url(OWN_PAGES_ENDPOINT, lang=lang),
        _("Go to your own pages"))}
    if config.support_phone:
        digits = "".join(c for c in config.support_phone if c.isdigit() or c == "+")
        found["phone"] = ContactChannel(
            "phone", _("Phone"),
            _("Talk it over with us: most things can be sorted out during the call."),
            _("We answer within about a minute on average, during opening hours."),
            f"tel:{digits}", config.support_phone)
    found["callback"] = ContactChannel(
        "callback", _("Call-back"),
        _("Choose a time that suits you, and we will call you."),
        _("We call you at the time you choose."), optional_url(CALLBACK_ENDPOINT, lang=lang),
        _("Book a call-back"))
    found["message"] = ContactChannel(
        "message", _("Secure message"),
        _("Write to us on your own pages, and attach a receipt or a photo if it helps. "
          "Everything stays in one place."),
        same_day, optional_url(MESSAGES_ENDPOINT, lang=lang), _("Write a message"))
    if config.support_email:
        found["email"] = ContactChannel(
            "email", _("E-mail"),
            _("Write to us, and please tell us your invoice number."),
            same_day, f"mailto:{config.support_email}", config.support_email)
    return found


def opening_status(hours: OpeningHours, moment: datetime) -> str:
    """"Open now, until 16.00", or when the team opens next."""
    local = moment.astimezone(hours.zone)
    for start, end in hours.windows_on(local.date()):
        if start <= local < end:
            return _("We are open now, until %(time)s.", time=clock(end.time(), end=True))
    closed = _("We are closed right now.")
    upcoming = hours.next_open(moment)
    if upcoming is None:
        return closed
    again = _("We are open again %(when)s.", when=when(upcoming, local.date()))
    return f"{closed} {again}"


def when(moment: datetime, today: date) -> str:
    """``today at 9.00``, ``tomorrow at 9.00`` or ``Monday 7.12.2026 at 9.00``."""
    day, at = moment.date(), clock(moment.time())
    if day == today:
        return _("today at %(time)s", time=at)
    if day == today + timedelta(days=1):
        return _("tomorrow at %(time)s", time=at)
    weekday = format_date(day, "EEEE", locale=current_locale())
    return _("%(day)s at %(time)s", day=f"{weekday} {format_day(day)}", time=at)


def closed_holidays(hours: OpeningHours, today: date) -> list[dict[str, str]]:
    """The public holidays and the merchant's closed days of the coming
    :data:`HOLIDAY_DAYS_AHEAD` days that close the team on a day it is otherwise open."""
    calendar = business_calendar(hours.country)
    found = []
    for offset in range(HOLIDAY_DAYS_AHEAD + 1):
        day = today + timedelta(days=offset)
        name = calendar.holiday_name(day)
        if hours.windows.get(day.weekday()) and (name is not None or day in hours.closed):
            found.append({"iso": day.isoformat(),
                          "name": holiday_name(name) if name is not None else _("Closed"),
                          "day": f"{weekday_name(day.weekday())} {format_day(day)}"})
    return found


# -- formatting --------------------------------------------------------------------------------


def country_name(country: str) -> str:
    """The country's name in the page's language (Suomi, Sverige, Norway)."""
    return str(Locale.parse(current_locale()).territories.get(country, country))


def weekday_name(index: int) -> str:
    """Monday (0) to Sunday (6) as a label in the page's language (``Maanantai``)."""
    name = str(get_day_names("wide", context="stand-alone", locale=current_locale())[index])
    return name[:1].upper() + name[1:]


def clock(moment: time, *, end: bool = False) -> str:
    """A time of day as the page's language writes it (``9.00``, ``09:00``, ``9:00 AM``);
    the end of a window at midnight is "midnight"."""
    if end and moment == time(0):
        return _("midnight")
    return str(format_time(moment, "short", locale=current_locale()))


def number(value: Decimal) -> str:
    """A decimal as the page's language writes it, with up to two decimals: ``9,5``."""
    return str(format_decimal(value, format="#,##0.##", locale=current_locale()))


def percent(value: Decimal) -> str:
    """A rate as the page's language writes it: ``9,5 %``, ``12 %``, ``12,25 %``."""
    return f"{number(value)}\u00a0%"


def optional_url(endpoint: str, **values: Any) -> str | None:
    """The URL of ``endpoint``, or None while that page does not exist."""
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None
