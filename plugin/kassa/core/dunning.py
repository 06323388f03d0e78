"""The reminder policy: given an invoice's dunning state and a day, the one step to take that day.

The engine calls :func:`next_step` once a day for every open invoice and records the step it
returns; the state it passes next time includes that step. The sequence is

1. one **friendly contact** (SMS or e-mail, no fee) from ``due + friendly_after_days``;
2. **fee-bearing reminders** numbered 1 .. ``max_fee_notices``;
3. the **hand-off to collection** after the last reminder's deadline.

Counting convention (as in :mod:`kassa.core.calendar`): a period of N days from a day D has D as
day zero and ``D + 1`` as day one, so its N-th day is ``D + N``. "N full days after D" means the
first allowed day is ``D + N + 1``. Every day is a calendar day unless it says business day.

Decisions this module makes (nordic-rules.md sections 1 and 2 leave them open):

* **Business days.** Every step (friendly, reminder, collection) is taken only on a business day
  of the policy's country (:meth:`BusinessCalendar.is_business_day`). On a weekend or holiday
  :func:`next_step` returns None and the next run takes the step. A step is never backdated:
  when its earliest day has passed (the engine missed days, or waited for a business day) it is
  taken on the day of the run, and a reminder's deadline is computed from that day.
* **Friendly contact.** It is sent once, and only if no fee-bearing notice exists. Whether
  it is a collection action under the Finnish Consumer Ombudsman's line (KKV 21.10.2024: 14
  full days between collection actions) is not confirmed (nordic-rules.md section 2). With
  ``friendly_keeps_spacing`` (Kassa's default for FI, ``KASSA_FRIENDLY_CONTACT_KEEPS_SPACING``)
  it counts as one for the spacing: the first fee-bearing reminder keeps ``spacing_days`` full
  days after it too, on ``friendly_sent_on + spacing_days + 1`` at the earliest (friendly Tue
  3.3.2026 -> Wed 18.3, not Tue 17.3), which is lawful whichever reading holds. Without it the
  friendly contact starts and resets no legal clock; only the grace window below follows it.
* **Grace window.** ``grace_days_after_friendly`` full days follow the friendly contact: with a
  contact on Tue 3.3 and 7 grace days the shopper can pay up to and including Tue 10.3 without a
  fee, and the first fee-bearing reminder is Wed 11.3 at the earliest (``friendly + grace + 1``).
  Payments take time to arrive; a merchant who wants a margin for that adds it to the grace days.
* **Every fee-bearing reminder** needs all of: ``first_reminder_earliest(due, first_fee_after)``
  (applied to every reminder, so that an extension that moves the due date also holds back
  later reminders), the grace window, the spacing after the friendly contact where the policy
  keeps it, ``next_reminder_earliest(prev.sent_on, prev.deadline, spacing)`` from the previous
  notice, and the resume rule below.
* **Collection** needs every fee-bearing notice sent, and then both
  ``max(last.deadline, due, resumed_on) + collection_after_days`` and the spacing from the last
  notice (``next_reminder_earliest``). The spacing is there because a collection agency may send
  its payment demand on the day of the hand-off, and that demand is itself a collection action
  that must keep the 14 full days from the previous one (FI; the spacing comes from the rules).
* **Pauses** (a dispute, a payment plan, an extension) stop every step while ``paused`` is True.
  When the pause ends the caller passes ``resumed_on`` (the day it ended) and the due date in
  force (an extension moves it). Then the friendly contact and the next reminder come at the
  earliest on ``resumed_on + 1`` (never on the day the pause ended), on top of their normal rule
  relative to the (new) due date and to the previous notice. The hand-off to collection waits
  ``collection_after_days`` after ``resumed_on`` as it would after a deadline: a pause that
  covered the last deadline gives the shopper the same time again before the hand-off.

No legal number lives here: :func:`policy_from_rules` reads them from the dated rule table
(:mod:`kassa.core.rules`) as in force on the day the policy is built. Build the policy for the
day the step is taken (NO: the inkassosats in force on the sending day applies).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal

from kassa.core.calendar import (
    COUNTRIES,
    Channel,
    LagUnit,
    business_calendar,
    first_reminder_earliest,
    next_reminder_earliest,
    payment_deadline,
    receipt_date,
)
from kassa.core.errors import KassaError
from kassa.core.money import Money
from kassa.core.rules import RuleBook

__all__ = [
    "DunningConfigError",
    "DunningPolicy",
    "DunningState",
    "Notice",
    "NoticeKind",
    "Step",
    "StepKind",
    "next_step",
    "next_step_earliest",
    "notice_history_ok",
    "notice_kind",
    "policy_from_rules",
]

StepKind = Literal["friendly", "reminder", "collection"]

# The currency a country's consumer invoices are in; used only to print amounts in messages.
_CURRENCY: dict[str, str] = {"FI": "EUR", "SE": "SEK", "NO": "NOK"}
_ONE_DAY = timedelta(days=1)


class DunningConfigError(KassaError, ValueError):
    """A reminder policy that breaks the law in force or is malformed."""

    code = "dunning.config"


def _amount(minor: int, country: str) -> str:
    """``1000`` in FI → ``"10.00 EUR"``; plain, for messages."""
    return str(Money(minor, _CURRENCY[country]))


def _on_day(rules_on: date | None) -> str:
    return f" on {rules_on.isoformat()}" if rules_on is not None else ""


def _require_int(value: object, name: str, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise DunningConfigError(
            f"{name} must be a whole number, {minimum} or more; got {value!r}",
            field=name, value=repr(value), limit=minimum,
        )


@dataclass(frozen=True)
class DunningPolicy:
    """How and when one merchant reminds in one country, within the law in force on a day.

    Build it with :func:`policy_from_rules`, which reads the legal numbers from the rule table;
    the constructor checks the merchant's values against the legal ones it is given.
    All day counts are calendar days unless the name says business days.
    """

    #: ISO 3166-1 alpha-2 code: FI, SE or NO.
    country: str
    #: The friendly contact goes out this many days after the due date at the earliest (due
    #: date = day zero); 1 = the first day the invoice is overdue. At least 1.
    friendly_after_days: int
    #: Full days after the friendly contact in which no fee-bearing reminder is sent: the first
    #: one comes on ``friendly_sent_on + grace_days_after_friendly + 1`` at the earliest.
    grace_days_after_friendly: int
    #: Full days after the due date before the first fee-bearing reminder (FI 14 → day 15).
    first_fee_after_days: int
    #: Full days between two fee-bearing notices (FI 14: the next on day 15 at the earliest).
    spacing_days: int
    #: Days to pay in each notice, counted from the channel's latest receipt date (day zero).
    min_days_to_pay: int
    #: The legal minimum for :attr:`min_days_to_pay` on the day the policy was built.
    legal_min_days_to_pay: int
    #: The merchant's reminder fee, minor units of the country's currency.
    reminder_fee: int
    #: The law's highest reminder fee to a consumer on the day, minor units.
    fee_cap: int
    #: Fee-bearing notices per claim before the hand-off to collection (at least 1).
    max_fee_notices: int
    #: Whether a reminder fee was agreed (SE: only then may one be charged). If False the
    #: reminders still go out, with fee 0.
    fee_agreed: bool
    #: Days after the last notice's deadline (deadline = day zero) before the hand-off to
    #: collection; at least 1.
    collection_after_days: int
    #: Latest receipt lag of a letter, in :attr:`lag_unit` units (electronic channels: none).
    letter_lag_business_days: int
    #: Whether the letter lag counts business days (default) or calendar days.
    lag_unit: LagUnit = "business"
    #: The day whose rule rows gave the legal numbers, if known; named in error messages.
    rules_on: date | None = None
    #: Whether the first fee-bearing reminder also keeps :attr:`spacing_days` full days after
    #: the friendly contact, as if that were a collection action (see the module notes).
    friendly_keeps_spacing: bool = False

    def __post_init__(self) -> None:
        if self.country not in COUNTRIES:
            raise DunningConfigError(
                f"no reminder rules for country {self.country!r}; use FI, SE or NO",
                field="country", value=repr(self.country),
            )
        _require_int(self.friendly_after_days, "friendly_after_days", 1)
        _require_int(self.grace_days_after_friendly, "grace_days_after_friendly", 0)
        _require_int(self.first_fee_after_days, "first_fee_after_days", 0)
        _require_int(self.spacing_days, "spacing_days", 0)
        _require_int(self.min_days_to_pay, "min_days_to_pay", 0)
        _require_int(self.legal_min_days_to_pay, "legal_min_days_to_pay", 0)
        _require_int(self.reminder_fee, "reminder_fee", 0)
        _require_int(self.fee_cap, "fee_cap", 0)
        _require_int(self.max_fee_notices, "max_fee_notices", 1)
        _require_int(self.collection_after_days, "collection_after_days", 1)
        _require_int(self.letter_lag_business_days, "letter_lag_business_days", 0)
        for flag in ("fee_agreed", "friendly_keeps_spacing"):
            if not isinstance(getattr(self, flag), bool):
                raise DunningConfigError(
                    f"{flag} must be True or False; got {getattr(self, flag)!r}",
                    field=flag, value=repr(getattr(self, flag)))
        if self.lag_unit not in ("business", "calendar"):
            raise DunningConfigError(
                f"lag_unit must be 'business' or 'calendar'; got {self.lag_unit!r}",
                field="lag_unit", value=repr(self.lag_unit),
            )
        day = _on_day(self.rules_on)
        if self.reminder_fee > self.fee_cap:
            raise DunningConfigError(
                f"reminder fee {_amount(self.reminder_fee, self.country)} exceeds the "
                f"{self.country} cap of {_amount(self.fee_cap, self.country)}{day}",
                field="reminder_fee", value=self.reminder_fee, limit=self.fee_cap,
                country=self.country,
            )
        if self.min_days_to_pay < self.legal_min_days_to_pay:
            raise DunningConfigError(
                f"{self.min_days_to_pay} days to pay in a reminder is below the {self.country} "
                f"minimum of {self.legal_min_days_to_pay} days{day}",
                field="min_days_to_pay", value=self.min_days_to_pay,
                limit=self.legal_min_days_to_pay, country=self.country,
            )

    @property
    def notice_fee(self) -> int:
        """The fee printed in each reminder, minor units: 0 unless a fee was agreed."""
        return min(self.reminder_fee, self.fee_cap) if self.fee_agreed else 0

    def deadline_for(self, channel: Channel, sent: date) -> date:
        """The deadline to print in a notice sent on ``sent`` through ``channel``.

        The channel's latest receipt date (day zero) + :attr:`min_days_to_pay`, moved to the
        next business day (:func:`kassa.core.calendar.payment_deadline`).
        """
        return payment_deadline(
            self.country, channel, sent, days_to_pay=self.min_days_to_pay,
            letter_lag_business_days=self.letter_lag_business_days, lag_unit=self.lag_unit,
        )


def _whole(rulebook: RuleBook, country: str, key: str, on: date) -> int:
    value: Decimal = rulebook.value(country, key, on)
    if value != value.to_integral_value():
        raise DunningConfigError(
            f"rule {key} for {country} on {on.isoformat()} must be a whole number; got {value}",
            field=key, value=str(value), country=country,
        )
    return int(value)


def policy_from_rules(
    country: str,
    rulebook: RuleBook,
    on: date,
    *,
    reminder_fee: int,
    friendly_after_days: int,
    grace_days_after_friendly: int,
    collection_after_days: int,
    letter_lag_business_days: int,
    fee_agreed: bool,
    min_days_to_pay: int | None = None,
    max_fee_notices: int | None = None,
    lag_unit: LagUnit = "business",
    friendly_keeps_spacing: bool = False,
) -> DunningPolicy:
    """The policy of a merchant's choices, checked against the legal rows in force on ``on``.

    Reads ``reminder_fee_cap_minor``, ``reminder_first_after_days``, ``reminder_spacing_days``,
    ``reminder_min_days_to_pay`` and ``reminder_max_fee_notices_count``. ``min_days_to_pay`` and
    ``max_fee_notices`` default to the legal values; a merchant may give more days to pay and
    send fewer fee-bearing notices, never the other way round. ``reminder_fee`` is in minor
    units of the country's currency. ``friendly_keeps_spacing`` is the merchant's reading of
    the friendly contact (:attr:`DunningPolicy.friendly_keeps_spacing`).

    :raises DunningConfigError: ``dunning.config`` when a value breaks the law on ``on`` (fee
        above the cap, fewer days to pay than the minimum, more fee-bearing notices than
        allowed), naming the field, the limit and the day.
    :raises kassa.core.rules.RuleError: ``rules.missing`` when the table has no row for a key.
    """
    code = str(country).upper()
    if code not in COUNTRIES:
        raise DunningConfigError(f"no reminder rules for country {country!r}; use FI, SE or NO",
                                 field="country", value=repr(country))
    legal_notices = _whole(rulebook, code, "reminder_max_fee_notices_count", on)
    notices = legal_notices if max_fee_notices is None else max_fee_notices
    _require_int(notices, "max_fee_notices", 1)
    if notices > legal_notices:
        raise DunningConfigError(
            f"{notices} fee-bearing notices exceed the {code} maximum of {legal_notices} "
            f"on {on.isoformat()}",
            field="max_fee_notices", value=notices, limit=legal_notices, country=code,
        )
    legal_days = _whole(rulebook, code, "reminder_min_days_to_pay", on)
    return DunningPolicy(
        country=code,
        friendly_after_days=friendly_after_days,
        grace_days_after_friendly=grace_days_after_friendly,
        first_fee_after_days=_whole(rulebook, code, "reminder_first_after_days", on),
        spacing_days=_whole(rulebook, code, "reminder_spacing_days", on),
        min_days_to_pay=legal_days if min_days_to_pay is None else min_days_to_pay,
        legal_min_days_to_pay=legal_days,
        reminder_fee=reminder_fee,
        fee_cap=_whole(rulebook, code, "reminder_fee_cap_minor", on),
        max_fee_notices=notices,
        fee_agreed=fee_agreed,
        collection_after_days=collection_after_days,
        letter_lag_business_days=letter_lag_business_days,
        lag_unit=lag_unit,
        rules_on=on,
        friendly_keeps_spacing=friendly_keeps_spacing,
    )


@dataclass(frozen=True)
class Notice:
    """A fee-bearing reminder that was sent."""

    #: 1 for the first fee-bearing reminder of the claim, then 2, ...
    number: int
    sent_on: date
    #: The payment deadline printed in the notice (payable on that day).
    deadline: date
    #: The fee charged with this notice, minor units.
    fee: int
    channel: Channel


@dataclass(frozen=True)
class DunningState:
    """What the engine knows about one open invoice on the day it runs."""

    #: The due date in force; an extension moves it (pass the new one).
    due_date: date
    #: What is still to pay, minor units; 0 or less means paid.
    balance: int
    #: The delivery channel of the next notice.
    channel: Channel
    #: True while a dispute, payment plan or extension holds the reminders: no step at all.
    paused: bool = False
    #: The day the friendly contact was made, or None.
    friendly_sent_on: date | None = None
    #: The fee-bearing notices sent so far, oldest first.
    notices: tuple[Notice, ...] = ()
    handed_to_collection: bool = False
    #: The day the last pause ended, or None: no step on or before it.
    resumed_on: date | None = None


@dataclass(frozen=True)
class Step:
    """One step to take today."""

    kind: StepKind
    #: The day the step is taken (the day :func:`next_step` was asked about).
    on: date
    #: Fee charged with the step, minor units (0 for the friendly contact and collection).
    fee: int
    #: For a reminder: the payment deadline to print in it; otherwise None.
    deadline: date | None
    #: For a reminder: its number, 1 ..; otherwise None.
    notice_number: int | None


def _after_friendly(friendly_sent_on: date, policy: DunningPolicy) -> date:
    """The first day a fee-bearing reminder keeps ``spacing_days`` full days after the friendly
    contact (for a policy with :attr:`DunningPolicy.friendly_keeps_spacing`)."""
    return next_reminder_earliest(friendly_sent_on, friendly_sent_on,
                                  spacing_days=policy.spacing_days)


def next_step_earliest(state: DunningState, policy: DunningPolicy) -> tuple[StepKind, date] | None:
    """The next step of ``state`` and the first calendar day it is allowed, by the rules above.

    Does not look at business days (see :func:`next_step`). None when the invoice is paid,
    paused or already handed to collection.
    """
    if state.balance <= 0 or state.paused or state.handed_to_collection:
        return None
    not_before = state.resumed_on + _ONE_DAY if state.resumed_on is not None else date.min
    if state.friendly_sent_on is None and not state.notices:
        friendly = state.due_date + timedelta(days=policy.friendly_after_days)
        return "friendly", max(friendly, not_before)
    last = state.notices[-1] if state.notices else None
    if len(state.notices) < policy.max_fee_notices:
        earliest = max(
            first_reminder_earliest(state.due_date, spacing_days=policy.first_fee_after_days),
            not_before,
        )
        if state.friendly_sent_on is not None:
            grace_end = state.friendly_sent_on + timedelta(days=policy.grace_days_after_friendly)
            earliest = max(earliest, grace_end + _ONE_DAY)
            if policy.friendly_keeps_spacing:
                earliest = max(earliest, _after_friendly(state.friendly_sent_on, policy))
        if last is not None:
            earliest = max(earliest, next_reminder_earliest(
                last.sent_on, last.deadline, spacing_days=policy.spacing_days))
        return "reminder", earliest
    assert last is not None  # max_fee_notices >= 1
    clock = max(last.deadline, state.due_date, state.resumed_on or date.min)
    earliest = max(
        clock + timedelta(days=policy.collection_after_days),
        next_reminder_earliest(last.sent_on, last.deadline, spacing_days=policy.spacing_days),
    )
    return "collection", earliest


def next_step(state: DunningState, policy: DunningPolicy, today: date) -> Step | None:
    """The step to take on ``today``, or None.

    None when the invoice is paid (``balance <= 0``), paused, already handed to collection,
    when ``today`` is not a business day of the policy's country, or when the next step's
    earliest day (:func:`next_step_earliest`) is still ahead. A step whose earliest day has
    passed is taken today, never backdated; a reminder's deadline is
    :meth:`DunningPolicy.deadline_for` of today and its fee :attr:`DunningPolicy.notice_fee`.
    """
    planned = next_step_earliest(state, policy)
    if planned is None:
        return None
    kind, earliest = planned
    if today < earliest or not business_calendar(policy.country).is_business_day(today):
        return None
    if kind == "reminder":
        return Step("reminder", today, policy.notice_fee, policy.deadline_for(state.channel, today),
                    len(state.notices) + 1)
    return Step(kind, today, 0, None, None)


def notice_history_ok(
    notices: Sequence[Notice], policy: DunningPolicy, *, due_date: date | None = None,
    friendly_sent_on: date | None = None,
) -> list[str]:
    """Check sent notices (oldest first) against ``policy``; return the problems, [] if none.

    Checks the numbering (1, 2, ...), the count (≤ ``max_fee_notices``), each fee (0 ..
    ``fee_cap``, and 0 without an agreed fee), each deadline (no earlier than
    :meth:`DunningPolicy.deadline_for` its channel and sending day) and the spacing between
    notices (:func:`next_reminder_earliest`). With ``due_date`` also that the first notice
    keeps ``first_fee_after_days`` full days after it; with ``friendly_sent_on`` and a policy
    that :attr:`~DunningPolicy.friendly_keeps_spacing`, that it keeps ``spacing_days`` full
    days after the friendly contact.
    """
    problems: list[str] = []
    country = policy.country
    if len(notices) > policy.max_fee_notices:
        problems.append(f"{len(notices)} fee-bearing notices; at most {policy.max_fee_notices} "
                        f"are allowed")
    previous: Notice | None = None
    for index, notice in enumerate(notices, start=1):
        label = f"notice {notice.number} (sent {notice.sent_on.isoformat()})"
        if notice.number != index:
            problems.append(f"{label} is number {index} in the sequence")
        if notice.fee < 0:
            problems.append(f"{label} has a negative fee")
        elif notice.fee > policy.fee_cap:
            problems.append(f"{label}: fee {_amount(notice.fee, country)} exceeds the cap of "
                            f"{_amount(policy.fee_cap, country)}")
        elif notice.fee and not policy.fee_agreed:
            problems.append(f"{label}: fee {_amount(notice.fee, country)} but no fee was agreed")
        required = policy.deadline_for(notice.channel, notice.sent_on)
        if notice.deadline < required:
            receipt = receipt_date(country, notice.channel, notice.sent_on,
                                   letter_lag_business_days=policy.letter_lag_business_days,
                                   lag_unit=policy.lag_unit)
            problems.append(
                f"{label} gives until {notice.deadline.isoformat()}; at least "
                f"{required.isoformat()} is required (receipt {receipt.isoformat()} + "
                f"{policy.min_days_to_pay} days)"
            )
        if previous is None:
            if due_date is not None:
                first = first_reminder_earliest(due_date, spacing_days=policy.first_fee_after_days)
                if notice.sent_on < first:
                    problems.append(f"{label} is too early: the first fee-bearing reminder may go "
                                    f"out on {first.isoformat()} at the earliest")
            if friendly_sent_on is not None and policy.friendly_keeps_spacing:
                allowed = _after_friendly(friendly_sent_on, policy)
                if notice.sent_on < allowed:
                    problems.append(
                        f"{label} is too early: after the friendly contact on "
                        f"{friendly_sent_on.isoformat()} the first fee-bearing reminder may go "
                        f"out on {allowed.isoformat()} at the earliest")
        else:
            allowed = next_reminder_earliest(previous.sent_on, previous.deadline,
                                             spacing_days=policy.spacing_days)
            if notice.sent_on < allowed:
                problems.append(
                    f"{label} is too early: after notice {previous.number} (sent "
                    f"{previous.sent_on.isoformat()}, deadline {previous.deadline.isoformat()}) "
                    f"the next may go out on {allowed.isoformat()} at the earliest"
                )
        previous = notice
    return problems


NoticeKind = Literal["reminder", "inkassovarsel"]


def notice_kind(country: str, number: int, max_fee_notices: int) -> NoticeKind:
    """What fee-bearing notice ``number`` of a claim is: a payment reminder, or in Norway the
    last notice before collection, the inkassovarsel (inkassoloven § 9).

    Norway allows 2 purringer, or 1 purring and 1 inkassovarsel, before the collection
    agency's betalingsoppfordring (nordic-rules.md §1), and collection may not start without
    an inkassovarsel: so the last of the policy's ``max_fee_notices`` is the inkassovarsel
    (the only one when the merchant sends one notice). It is its own notice with its own
    heading and warning, never a purring with extra words; it gives at least 14 days from
    sending (``reminder_min_days_to_pay``) and carries at most the reminder fee, only after
    the previous notice's deadline of 14 days was missed (the spacing rule).
    """
    if country == "NO" and number >= max_fee_notices:
        return "inkassovarsel"
    return "reminder"
