"""The help console's figures (support-metrics.md §2) from SQL aggregates: the survey's
answers (``kassa_surveys``), the service levels kept on closed tasks, the backlog, what came
after friendly contacts and after formal reminders, and the receivables. One grouped query per
view, so the cost grows with the groups shown, not with the rows loaded into Python.

Percentages are :class:`~decimal.Decimal` percent (0-100) rounded half-up to one decimal; a
figure whose answers number fewer than :data:`MIN_ANSWERS` is None (shown as "too few
answers"), as the reference asks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import ColumnElement

from ..db.bulk import insert_or_ignore
from ..db.console_models import FigureDay
from ..db.models import Customer, DunningStep, Invoice, InvoiceHold, StaffUser, SupportTask
from ..db.service_models import Survey

#: A figure from fewer answers than this is hidden.
MIN_ANSWERS = 10
#: The targets of DESIGN.md: 85 % solved at the first contact; 75 % of recommendation
#: answers 9-10; 82 % rate the advisor 9-10; 78 % rate the service 9-10.
TARGETS: dict[str, Decimal] = {"fcr": Decimal(85), "recommend_top": Decimal(75),
                               "advisor_top": Decimal(82), "overall_top": Decimal(78)}


@dataclass(frozen=True)
class SurveyFigures:
    """The figures of one group (everything, a week or an agent)."""

    key: str
    sent: int
    answered: int
    #: Answers to each question (the n beside each figure).
    resolved_n: int
    recommend_n: int
    advisor_n: int
    overall_n: int
    response_rate: Decimal | None
    fcr: Decimal | None
    #: Net promoter score, -100..100 (whole points, half-up).
    nps: Decimal | None
    recommend_top: Decimal | None
    advisor_top: Decimal | None
    overall_top: Decimal | None

    def met(self, figure: str) -> bool | None:
        """Whether ``figure`` reaches its target (None when hidden or without a target)."""
        value = getattr(self, figure)
        target = TARGETS.get(figure)
        return None if value is None or target is None else value >= target


def _percent(part: int, whole: int, *, minimum: int = MIN_ANSWERS) -> Decimal | None:
    if whole < minimum or whole == 0:
        return None
    return (Decimal(100) * part / whole).quantize(Decimal("0.1"), ROUND_HALF_UP)


def _count_if(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _aggregates() -> list[Any]:
    return [
        func.count(Survey.id), func.count(Survey.answered_at),
        func.count(Survey.resolved), _count_if(Survey.resolved.is_(True)),
        func.count(Survey.recommend), _count_if(Survey.recommend >= 9),
        _count_if(Survey.recommend <= 6),
        func.count(Survey.advisor), _count_if(Survey.advisor >= 9),
        func.count(Survey.overall), _count_if(Survey.overall >= 9),
    ]


def _figures(key: str, row: Any) -> SurveyFigures:
    (sent, answered, resolved_n, resolved_yes, recommend_n, promoters, detractors,
     advisor_n, advisor_top, overall_n, overall_top) = (int(v or 0) for v in row)
    nps = None
    if recommend_n >= MIN_ANSWERS:
        nps = (Decimal(100) * (promoters - detractors) / recommend_n).quantize(
            Decimal(1), ROUND_HALF_UP)
    return SurveyFigures(
        key=key, sent=sent, answered=answered, resolved_n=resolved_n,
        recommend_n=recommend_n, advisor_n=advisor_n, overall_n=overall_n,
        # The response rate is about the surveys sent, shown from the first one.
        response_rate=_percent(answered, sent, minimum=1),
        fcr=_percent(resolved_yes, resolved_n), nps=nps,
        recommend_top=_percent(promoters, recommend_n),
        advisor_top=_percent(advisor_top, advisor_n),
        overall_top=_percent(overall_top, overall_n))


def _day(db: Session, column: Any) -> Any:
    """``column``'s day (UTC), as an ISO date string."""
    if db.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD")
    return func.date(column)


def _seconds(db: Session, later: Any, earlier: Any) -> Any:
    if db.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", later - earlier)
    # Whole seconds: a Julian day is a float, and an hour must compare as 3 600 s exactly.
    return func.round((func.julianday(later) - func.julianday(earlier)) * 86400)


def _window(query: Any, start: datetime | None, end: datetime | None,
            column: Any = Survey.sent_at) -> Any:
    if start is not None:
        query = query.where(column >= start)
    if end is not None:
        query = query.where(column < end)
    return query


#: The groups each view is shown by (besides "all").
SURVEY_GROUPS = ("week", "agent", "team", "country", "channel")
SURVEY_MEASURES = ("sent", "answered", "resolved_n", "resolved_yes", "recommend_n",
                   "promoters", "detractors", "advisor_n", "advisor_top", "overall_n",
                   "overall_top")
#: The bounds (seconds) the first-answer wait is counted under, for its median and 90th
#: percentile: a minute, 5 and 15 minutes, an hour, 4 and 8 hours, a day, three days.
WAIT_BOUNDS = (60, 300, 900, 3600, 14400, 28800, 86400, 259200)
TASK_MEASURES = ("closed", "met", "wait_seconds", "waited",
                 *(f"wait_within_{bound}" for bound in WAIT_BOUNDS),
                 "replies", "replies_met", "reply_seconds")
#: A percentile beyond the last bound.
WAIT_BEYOND = -1
#: Days after which a day's figures can no longer change: a survey can be answered until its
#: link expires (:data:`kassa.services.conversations.SURVEY_DAYS`); a closed task is final.
SETTLED_AFTER = {"survey": 15, "task": 1}


@dataclass(frozen=True)
class _Cell:
    """The figures of one day, agent, country and channel."""

    day: date
    agent: str
    country: str
    channel: str
    values: tuple[int, ...]


def _live_cells(db: Session, source: str, first: date, end: date) -> list[_Cell]:
    """The cells of the days ``[first, end)`` read from the contacts themselves."""
    start = datetime.combine(first, datetime.min.time(), UTC)
    stop = datetime.combine(end, datetime.min.time(), UTC)
    if source == "survey":
        day = _day(db, Survey.sent_at).label("day")
        keys = [day, func.coalesce(Survey.agent, ""), Survey.country, Survey.channel]
        query = _window(select(*keys, *_aggregates()), start, stop)
    else:
        day = _day(db, SupportTask.closed_at).label("day")
        wait = _seconds(db, SupportTask.first_response_at, SupportTask.created_at)
        keys = [day, func.coalesce(StaffUser.name, ""), Customer.country,
                func.coalesce(SupportTask.channel, "")]
        query = _window(select(*keys, func.count(SupportTask.id),
                               _count_if(SupportTask.sla_met.is_(True)),
                               func.coalesce(func.sum(wait), 0), func.count(wait),
                               *(_count_if(wait <= bound) for bound in WAIT_BOUNDS),
                               func.coalesce(func.sum(SupportTask.replies), 0),
                               func.coalesce(func.sum(SupportTask.replies_met), 0),
                               func.coalesce(func.sum(SupportTask.reply_seconds), 0))
                        .select_from(SupportTask)
                        .join(Customer, SupportTask.customer_id == Customer.id)
                        .outerjoin(StaffUser, SupportTask.closed_by_id == StaffUser.id)
                        .where(SupportTask.sla_met.is_not(None)), start, stop,
                        SupportTask.closed_at)
    rows = db.execute(query.group_by(*keys)).all()
    return [_Cell(date.fromisoformat(str(row[0])), str(row[1]), str(row[2]), str(row[3]),
                  tuple(int(Decimal(str(v or 0)).to_integral_value(ROUND_HALF_UP))
                        for v in row[4:])) for row in rows]


def _cells(db: Session, source: str, first: date, today: date) -> list[_Cell]:
    """The cells of ``first`` up to ``today``: the settled days from
    :class:`~kassa.db.FigureDay` (computed and kept the first time they are asked for), the
    recent ones from the contacts."""
    settled = min(today - timedelta(days=SETTLED_AFTER[source]), today)
    measures = SURVEY_MEASURES if source == "survey" else TASK_MEASURES
    cells: list[_Cell] = []
    if first < settled:
        kept = db.scalars(select(FigureDay).where(
            FigureDay.source == source, FigureDay.day >= first, FigureDay.day < settled)).all()
        known = {row.day for row in kept}
        cells += [_Cell(row.day, row.agent, row.country, row.channel,
                        tuple(getattr(row, name) for name in measures)) for row in kept]
        missing = [first + timedelta(days=n) for n in range((settled - first).days)
                   if first + timedelta(days=n) not in known]
        if missing:
            fresh = _live_cells(db, source, missing[0], missing[-1] + timedelta(days=1))
            fresh = [cell for cell in fresh if cell.day not in known]
            _keep(db, source, measures, fresh, missing)
            cells += fresh
    cells += _live_cells(db, source, max(first, settled), today + timedelta(days=1))
    return cells


def _keep(db: Session, source: str, measures: tuple[str, ...], cells: list[_Cell],
          days: list[date]) -> None:
    """Store settled cells, and a row of zeros for a day without contacts. Two dashboards
    computing the same day store the same figures: the second insert is ignored."""
    rows = [{"source": source, "day": cell.day, "agent": cell.agent[:100],
             "country": cell.country[:2], "channel": cell.channel[:20],
             **{name: 0 for name in SURVEY_MEASURES + TASK_MEASURES},
             **dict(zip(measures, cell.values, strict=True))} for cell in cells]
    with_cells = {cell.day for cell in cells}
    rows += [{"source": source, "day": day, "agent": "", "country": "", "channel": "",
              **{name: 0 for name in SURVEY_MEASURES + TASK_MEASURES}}
             for day in days if day not in with_cells]
    for chunk in range(0, len(rows), 1000):
        db.execute(insert_or_ignore(db, FigureDay), rows[chunk:chunk + 1000])


def _monday(day: date) -> str:
    return (day - timedelta(days=day.weekday())).isoformat()


def _fold(cells: list[_Cell], keys: dict[str, Any]) -> dict[str, dict[str, list[int]]]:
    """Sum the cells' values for everything (``all``) and by each of ``keys``."""
    out: dict[str, dict[str, list[int]]] = {"all": {}, **{name: {} for name in keys}}
    for cell in cells:
        if not any(cell.values):
            continue  # a day without contacts
        for name, key_of in (("all", lambda _c: "all"), *keys.items()):
            key = key_of(cell)
            total = out[name].setdefault(key, [0] * len(cell.values))
            for index, value in enumerate(cell.values):
                total[index] += value
    return out


def _teams(db: Session) -> dict[str, str]:
    """The team of each agent as the figures name them: by full name (service levels) and by
    first name (surveys, which keep the name the shopper saw) where that is unambiguous.
    The team is the one the user is in now."""
    users = db.execute(select(StaffUser.name, StaffUser.team)).all()
    teams = {name: team or "" for name, team in users}
    by_first: dict[str, set[str]] = {}
    for name, team in users:
        by_first.setdefault((name or "").split(" ")[0], set()).add(team or "")
    teams.update({first: next(iter(found)) for first, found in by_first.items()
                  if len(found) == 1 and first not in teams})
    return teams


def _first_day(start: datetime | None, today: date) -> date:
    return start.astimezone(UTC).date() if start is not None else today - timedelta(days=730)


def survey_figures(db: Session, start: datetime | None = None,
                   today: date | None = None) -> dict[str, list[SurveyFigures]]:
    """``{"all": [one row], "week": [...newest first], "agent": [...], "team": [...],
    "country": [...], "channel": [...]}`` for surveys sent from ``start``'s day (UTC) to
    ``today``."""
    today = today or datetime.now(UTC).date()
    cells = _cells(db, "survey", _first_day(start, today), today)
    teams = _teams(db)
    folded = _fold(cells, {"week": lambda c: _monday(c.day), "agent": lambda c: c.agent,
                           "team": lambda c: teams.get(c.agent, ""),
                           "country": lambda c: c.country, "channel": lambda c: c.channel})
    out = {"all": [_figures("all", folded["all"].get("all", [0] * len(SURVEY_MEASURES)))]}
    for name in SURVEY_GROUPS:
        out[name] = [_figures(key, values) for key, values in
                     sorted(folded[name].items(), reverse=name == "week")]
    return out


def latest_answers(db: Session, limit: int = 20) -> list[Survey]:
    """The newest answered surveys, for the dashboard's list of what shoppers said."""
    return list(db.scalars(select(Survey).where(Survey.answered_at.is_not(None))
                           .order_by(Survey.answered_at.desc(), Survey.id.desc()).limit(limit)))


# -- service levels ----------------------------------------------------------------------------


#: The share of contacts first answered within their service level that DESIGN.md aims at.
SERVICE_LEVEL_TARGET = Decimal(80)


@dataclass(frozen=True)
class ServiceLevel:
    """Closed tasks of one group: how many, how many were first answered in time, and the
    mean wait from entering the queue to the first answer (answered contacts only)."""

    key: str
    closed: int
    met: int
    met_share: Decimal | None
    answer_seconds: int | None
    #: The median and the 90th percentile of the wait, as the smallest of
    #: :data:`WAIT_BOUNDS` they fall within (:data:`WAIT_BEYOND` past the last; None without
    #: answered contacts).
    median_within: int | None = None
    p90_within: int | None = None
    #: Answers to the customers' later messages: how many, the share within the service
    #: level, and the mean wait for them (seconds).
    replies: int = 0
    replies_met_share: Decimal | None = None
    reply_seconds: int | None = None

    def met_target(self) -> bool | None:
        return None if self.met_share is None else self.met_share >= SERVICE_LEVEL_TARGET


def _within(counts: list[int], total: int, percent: int) -> int | None:
    """The smallest bound at or under which ``percent`` % of the ``total`` waits fall."""
    if not total:
        return None
    for bound, count in zip(WAIT_BOUNDS, counts, strict=True):
        if 100 * count >= percent * total:
            return bound
    return WAIT_BEYOND


def _mean(total: int, count: int) -> int | None:
    return int((Decimal(total) / count).quantize(Decimal(1), ROUND_HALF_UP)) if count else None


def service_levels(db: Session, start: datetime | None = None,
                   today: date | None = None) -> dict[str, list[ServiceLevel]]:
    """Tasks closed from ``start``'s day (UTC) to ``today`` by ``all``, ``day``, ``channel``,
    ``country``, ``agent`` (who closed it) and that agent's ``team``. Tasks closed before
    their figures were kept are left out."""
    today = today or datetime.now(UTC).date()
    cells = _cells(db, "task", _first_day(start, today), today)
    teams = _teams(db)
    folded = _fold(cells, {"day": lambda c: c.day.isoformat(), "channel": lambda c: c.channel,
                           "country": lambda c: c.country, "agent": lambda c: c.agent,
                           "team": lambda c: teams.get(c.agent, "")})

    def level(key: str, values: list[int]) -> ServiceLevel:
        closed, met, wait_seconds, waited = values[:4]
        within = values[4:4 + len(WAIT_BOUNDS)]
        replies, replies_met, reply_seconds = values[4 + len(WAIT_BOUNDS):]
        return ServiceLevel(key, closed, met, _percent(met, closed, minimum=1),
                            _mean(wait_seconds, waited), _within(within, waited, 50),
                            _within(within, waited, 90), replies,
                            _percent(replies_met, replies, minimum=1),
                            _mean(reply_seconds, replies))

    out = {"all": [level("all", folded["all"].get("all", [0] * len(TASK_MEASURES)))]}
    for name in ("day", "channel", "country", "agent", "team"):
        out[name] = [level(key, values) for key, values in
                     sorted(folded[name].items(), reverse=name == "day")]
    return out


# -- the backlog -------------------------------------------------------------------------------


#: The backlog's age bands: (label key, youngest age, oldest age) in days.
AGE_BANDS = (("under_1", 0, 1), ("1_3", 1, 3), ("3_7", 3, 7), ("over_7", 7, None))


@dataclass(frozen=True)
class Backlog:
    open: int
    waiting: int
    snoozed: int
    overdue: int
    #: Open tasks by :data:`AGE_BANDS` key.
    ages: dict[str, int]
    oldest: datetime | None


def backlog(db: Session, now: datetime) -> Backlog:
    """The open tasks, how many wait on the customer or are snoozed, and how old they are.
    ``overdue`` counts those past the due instant they were created with."""
    bands = []
    for _key, young, old in AGE_BANDS:
        condition = SupportTask.created_at <= now - timedelta(days=young)
        if old is not None:
            condition = and_(condition, SupportTask.created_at > now - timedelta(days=old))
        bands.append(_count_if(condition))
    row = db.execute(select(
        func.count(SupportTask.id), _count_if(SupportTask.waiting_since.is_not(None)),
        _count_if(SupportTask.snoozed_until > now), _count_if(SupportTask.due_at <= now),
        func.min(SupportTask.created_at), *bands).where(SupportTask.status == "open")).one()
    return Backlog(open=int(row[0]), waiting=int(row[1]), snoozed=int(row[2]),
                   overdue=int(row[3]), oldest=row[4],
                   ages={key: int(value) for (key, _y, _o), value in zip(AGE_BANDS, row[5:],
                                                                          strict=True)})


# -- after the friendly contact ----------------------------------------------------------------


@dataclass(frozen=True)
class Outcomes:
    """Invoices whose first step of a kind (the friendly contact, or the first formal
    reminder) was taken in the period, and what came of them."""

    step: str
    invoices: int
    #: Paid in full without (a further) formal reminder.
    paid_without_reminder: int
    plan: int
    dispute: int

    def share(self, name: str) -> Decimal | None:
        return _percent(getattr(self, name), self.invoices, minimum=1)


def outcomes(db: Session, start: date, end: date | None = None) -> list[Outcomes]:
    """What came after friendly contacts against what came after first formal reminders."""
    out = []
    for step in ("friendly", "reminder"):
        other = aliased(DunningStep)
        later_reminder = exists().where(
            other.invoice_id == Invoice.id, other.kind == "reminder",
            other.notice_number > (0 if step == "friendly" else 1))
        on_hold = {reason: exists().where(InvoiceHold.invoice_id == Invoice.id,
                                          InvoiceHold.reason == reason)
                   for reason in ("plan", "disputed")}
        query = select(func.count(Invoice.id),
                       _count_if(and_(Invoice.status == "paid", ~later_reminder)),
                       _count_if(on_hold["plan"]), _count_if(on_hold["disputed"])
                       ).join(DunningStep, DunningStep.invoice_id == Invoice.id).where(
            DunningStep.kind == step, DunningStep.taken_on >= start)
        if step == "reminder":
            query = query.where(DunningStep.notice_number == 1)
        if end is not None:
            query = query.where(DunningStep.taken_on < end)
        row = db.execute(query).one()
        out.append(Outcomes(step, *(int(v or 0) for v in row)))
    return out


# -- receivables -------------------------------------------------------------------------------


#: Days past due of the overdue ageing's bands: (label key, first day, last day).
OVERDUE_BANDS = (("1_30", 1, 30), ("31_60", 31, 60), ("61_90", 61, 90), ("over_90", 91, None))
#: The invoices still to be paid, wherever they stand.
RECEIVABLE_STATUSES = ("open", "partly_paid", "overdue", "collection")
#: Days of sales days sales outstanding is counted over.
DSO_DAYS = 90


@dataclass(frozen=True)
class Receivables:
    """One country's invoices still to be paid (minor units of its currency)."""

    country: str
    currency: str
    outstanding: int
    #: Overdue balance by :data:`OVERDUE_BANDS` key.
    overdue: dict[str, int]
    sales: int
    #: Days sales outstanding: outstanding / sales over the last :data:`DSO_DAYS` days × days.
    dso: Decimal | None


def receivables(db: Session, today: date) -> list[Receivables]:
    balance = (Invoice.amount_minor + Invoice.fees_minor + Invoice.interest_minor
               - Invoice.paid_minor)
    open_ = Invoice.status.in_(RECEIVABLE_STATUSES)
    bands = []
    for _key, first, last in OVERDUE_BANDS:
        condition = and_(open_, Invoice.due_date <= today - timedelta(days=first))
        if last is not None:
            condition = and_(condition, Invoice.due_date >= today - timedelta(days=last))
        bands.append(func.coalesce(func.sum(case((condition, balance), else_=0)), 0))
    since = today - timedelta(days=DSO_DAYS)
    rows = db.execute(select(
        Invoice.country, Invoice.currency,
        func.coalesce(func.sum(case((open_, balance), else_=0)), 0),
        func.coalesce(func.sum(case((Invoice.issue_date > since, Invoice.amount_minor),
                                    else_=0)), 0), *bands)
        .where(or_(open_, Invoice.issue_date > since))
        .group_by(Invoice.country, Invoice.currency).order_by(Invoice.country)).all()
    out = []
    for country, currency, outstanding, sales, *overdue in rows:
        outstanding, sales = int(outstanding), int(sales)
        dso = (Decimal(outstanding) * DSO_DAYS / sales).quantize(Decimal("0.1"), ROUND_HALF_UP) \
            if sales else None
        out.append(Receivables(country, currency, outstanding,
                               {key: int(v) for (key, _f, _l), v in zip(OVERDUE_BANDS, overdue,
                                                                         strict=True)},
                               sales, dso))
    return out


CSV_COLUMNS = ("group", "key", "sent", "answered", "response_rate", "resolved_n", "fcr",
               "recommend_n", "nps", "recommend_top", "advisor_n", "advisor_top", "overall_n",
               "overall_top")


def csv_rows(figures: dict[str, list[SurveyFigures]]) -> list[list[str]]:
    """The CSV export: one row per group, percentages with a dot, hidden figures empty."""
    rows = [list(CSV_COLUMNS)]
    for group, items in figures.items():
        for item in items:
            values = {"group": group, **{name: getattr(item, name) for name in CSV_COLUMNS
                                         if name != "group"}}
            rows.append(["" if values[name] is None else str(values[name])
                         for name in CSV_COLUMNS])
    return rows



SERVICE_CSV_COLUMNS = ("group", "key", "closed", "met", "met_share", "answer_seconds",
                       "median_within_seconds", "p90_within_seconds", "replies",
                       "replies_met_share", "reply_seconds")


def service_level_csv_rows(levels: dict[str, list[ServiceLevel]]) -> list[list[str]]:
    rows = [list(SERVICE_CSV_COLUMNS)]
    for group, items in levels.items():
        for item in items:
            values = (item.closed, item.met, item.met_share, item.answer_seconds,
                      item.median_within, item.p90_within, item.replies,
                      item.replies_met_share, item.reply_seconds)
            rows.append([group, item.key,
                         *("" if value is None else str(value) for value in values)])
    return rows
