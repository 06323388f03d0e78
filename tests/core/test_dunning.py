"""The reminder policy, walked day by day: friendly contact, fee-bearing reminders, collection.

Dates are checked by hand against nordic-rules.md sections 1 and 2 and the 2026 calendars
(Easter 2026: Good Friday 3.4, Easter Monday 6.4; NO also Maundy Thursday 2.4; 1.5 is a holiday
in all three countries).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kassa.core.calendar import CHANNELS, business_calendar, receipt_date
from kassa.core.dunning import (
    DunningConfigError,
    DunningPolicy,
    DunningState,
    Notice,
    Step,
    next_step,
    next_step_earliest,
    notice_history_ok,
    policy_from_rules,
)
from kassa.core.rules import DEFAULT_RULES, RuleBook

BOOK = RuleBook(DEFAULT_RULES)
DUE = date(2026, 3, 2)  # a Monday

# What a merchant chooses; the legal numbers come from the rule table.
MERCHANT: dict[str, dict[str, Any]] = {
    # The KKV example: a letter with a 4 calendar-day receipt lag.
    "FI": {"reminder_fee": 500, "channel": "letter", "letter_lag_business_days": 4,
           "lag_unit": "calendar", "collection_after_days": 14},
    "SE": {"reminder_fee": 6000, "channel": "email", "letter_lag_business_days": 2,
           "lag_unit": "business", "collection_after_days": 10},
    "NO": {"reminder_fee": 3750, "channel": "letter", "letter_lag_business_days": 2,
           "lag_unit": "business", "collection_after_days": 7},
}


def make_policy(country: str, on: date = DUE, **overrides: Any) -> DunningPolicy:
    """The merchant's policy; the friendly contact starts no legal clock unless a test says
    ``friendly_keeps_spacing=True`` (Kassa's shipped setting for FI): the KKV table counts
    from the due date only."""
    choices = {k: v for k, v in MERCHANT[country].items() if k != "channel"}
    options: dict[str, Any] = {"friendly_after_days": 1, "grace_days_after_friendly": 7,
                               "fee_agreed": True, **choices, **overrides}
    return policy_from_rules(country, BOOK, on, **options)


def take(state: DunningState, step: Step) -> DunningState:
    """The state after the engine took ``step``."""
    if step.kind == "friendly":
        return replace(state, friendly_sent_on=step.on)
    if step.kind == "reminder":
        assert step.deadline is not None and step.notice_number is not None
        notice = Notice(step.notice_number, step.on, step.deadline, step.fee, state.channel)
        return replace(state, notices=state.notices + (notice,))
    return replace(state, handed_to_collection=True)


Event = Callable[[DunningState, date], DunningState]


def walk(state: DunningState, policy: DunningPolicy, start: date, days: int,
         event: Event | None = None) -> tuple[list[Step], DunningState]:
    """Run the daily engine from ``start`` for ``days`` days; ``event`` changes the state each
    morning before the run (a payment, a dispute)."""
    steps: list[Step] = []
    for offset in range(days + 1):
        today = start + timedelta(days=offset)
        if event is not None:
            state = event(state, today)
        step = next_step(state, policy, today)
        if step is not None:
            assert step.on == today
            steps.append(step)
            state = take(state, step)
    return steps, state


def summary(steps: list[Step]) -> list[tuple[Any, ...]]:
    return [(s.kind, s.on, s.fee, s.deadline, s.notice_number) for s in steps]


def d(day: int, month: int) -> date:
    return date(2026, month, day)


# -- Time travel, one country at a time ----------------------------------------------------

FI_EXPECTED = [
    ("friendly", d(3, 3), 0, None, None),
    # nordic-rules.md §2: day 15 = Tue 17.3; letter received Sat 21.3; deadline Tue 31.3.
    ("reminder", d(17, 3), 500, d(31, 3), 1),
    # Second earliest Wed 1.4 = max(17.3 + 15, 31.3 + 1); received Sun 5.4, deadline Wed 15.4.
    ("reminder", d(1, 4), 500, d(15, 4), 2),
    # 15.4 + 14 = Wed 29.4 (later than 1.4 + 15 = 16.4).
    ("collection", d(29, 4), 0, None, None),
]


def test_fi_walk_reproduces_the_kkv_table() -> None:
    policy = make_policy("FI")
    steps, state = walk(DunningState(DUE, 10_000, "letter"), policy, DUE, 90)
    assert summary(steps) == FI_EXPECTED
    assert state.handed_to_collection
    assert notice_history_ok(state.notices, policy, due_date=DUE) == []


def test_fi_first_reminder_keeps_fourteen_full_days_after_the_friendly_contact() -> None:
    # Kassa's default for FI: the friendly contact on Tue 3.3 counts for the 14 full days as
    # a collection action might (KKV 21.10.2024), so not Tue 17.3 but Wed 18.3 (3.3 + 15).
    policy = make_policy("FI", friendly_keeps_spacing=True)
    state = DunningState(DUE, 10_000, "letter", friendly_sent_on=d(3, 3))
    assert next_step_earliest(state, policy) == ("reminder", d(18, 3))
    assert next_step(state, policy, d(17, 3)) is None
    steps, state = walk(DunningState(DUE, 10_000, "letter"), policy, DUE, 90)
    assert summary(steps) == [
        ("friendly", d(3, 3), 0, None, None),
        # Received Sun 22.3 (4 calendar days), deadline Wed 1.4.
        ("reminder", d(18, 3), 500, d(1, 4), 1),
        # max(18.3 + 15, 1.4 + 1) = Thu 2.4; received Mon 6.4, deadline Thu 16.4.
        ("reminder", d(2, 4), 500, d(16, 4), 2),
        # 16.4 + 14 = Thu 30.4.
        ("collection", d(30, 4), 0, None, None),
    ]
    assert notice_history_ok(state.notices, policy, due_date=DUE, friendly_sent_on=d(3, 3)) == []


def test_without_it_the_friendly_contact_starts_no_clock() -> None:
    policy = make_policy("FI", friendly_keeps_spacing=False)
    state = DunningState(DUE, 10_000, "letter", friendly_sent_on=d(3, 3))
    assert next_step_earliest(state, policy) == ("reminder", d(17, 3))  # day 15 after due


def test_a_late_friendly_contact_holds_back_the_first_reminder() -> None:
    # The engine was down: friendly on Fri 13.3, so no fee-bearing reminder before Sat 28.3;
    # the next business day is Mon 30.3. The grace window (7 days) alone would allow 21.3.
    policy = make_policy("FI", friendly_keeps_spacing=True)
    state = DunningState(DUE, 10_000, "letter", friendly_sent_on=d(13, 3))
    assert next_step_earliest(state, policy) == ("reminder", d(28, 3))
    step = next_step(state, policy, d(30, 3))
    assert step is not None and step.kind == "reminder"


def test_history_check_flags_a_reminder_too_soon_after_the_friendly_contact() -> None:
    policy = make_policy("FI", friendly_keeps_spacing=True)
    notice = Notice(1, d(17, 3), d(31, 3), 500, "letter")
    assert notice_history_ok([notice], policy, due_date=DUE, friendly_sent_on=d(3, 3)) == [
        "notice 1 (sent 2026-03-17) is too early: after the friendly contact on 2026-03-03 the "
        "first fee-bearing reminder may go out on 2026-03-18 at the earliest"]
    lenient = make_policy("FI", friendly_keeps_spacing=False)
    assert notice_history_ok([notice], lenient, due_date=DUE, friendly_sent_on=d(3, 3)) == []


def test_se_walk_one_notice_and_email_deadline_moves_off_the_weekend() -> None:
    policy = make_policy("SE")
    steps, _ = walk(DunningState(DUE, 10_000, "email"), policy, DUE, 90)
    assert summary(steps) == [
        ("friendly", d(3, 3), 0, None, None),
        # No statutory wait in SE (rule 0 days): the grace window decides, 3.3 + 7 + 1.
        # E-mail is received the day it is sent: 11.3 + 10 = Sat 21.3 -> Mon 23.3.
        ("reminder", d(11, 3), 6000, d(23, 3), 1),
        # One fee-bearing notice in SE; 23.3 + 10 = Thu 2.4 (after 11.3 + 15 = 26.3).
        ("collection", d(2, 4), 0, None, None),
    ]


def test_no_walk_skips_easter_and_may_day() -> None:
    policy = make_policy("NO")
    steps, _ = walk(DunningState(DUE, 10_000, "letter"), policy, DUE, 90)
    assert summary(steps) == [
        ("friendly", d(3, 3), 0, None, None),
        # Received Thu 19.3 (2 business days); + 14 = Thu 2.4, Maundy Thursday, and the
        # Easter holidays and weekend follow: deadline Tue 7.4.
        ("reminder", d(17, 3), 3750, d(7, 4), 1),
        # max(17.3 + 15, 7.4 + 1) = Wed 8.4; received Fri 10.4, deadline Fri 24.4.
        ("reminder", d(8, 4), 3750, d(24, 4), 2),
        # 24.4 + 7 = Fri 1.5, a holiday: the next run, Mon 4.5, hands over.
        ("collection", d(4, 5), 0, None, None),
    ]


def test_se_without_an_agreed_fee_still_reminds_at_fee_zero() -> None:
    policy = make_policy("SE", fee_agreed=False)
    steps, state = walk(DunningState(DUE, 10_000, "email"), policy, DUE, 90)
    reminders = [s for s in steps if s.kind == "reminder"]
    assert [(s.on, s.fee) for s in reminders] == [(d(11, 3), 0)]
    assert notice_history_ok(state.notices, policy) == []


def test_fee_is_never_above_the_merchants_fee() -> None:
    policy = make_policy("FI", reminder_fee=300)
    steps, _ = walk(DunningState(DUE, 10_000, "letter"), policy, DUE, 90)
    assert [s.fee for s in steps if s.kind == "reminder"] == [300, 300]


# -- Business days and missed runs -----------------------------------------------------------


def test_steps_wait_for_a_business_day_and_are_not_backdated() -> None:
    policy = make_policy("FI")
    due = date(2026, 3, 6)  # Friday: the first reminder's earliest day is Sat 21.3
    state = DunningState(due, 10_000, "letter", friendly_sent_on=date(2026, 3, 9))
    assert next_step_earliest(state, policy) == ("reminder", date(2026, 3, 21))
    assert next_step(state, policy, date(2026, 3, 21)) is None
    assert next_step(state, policy, date(2026, 3, 22)) is None
    step = next_step(state, policy, date(2026, 3, 23))
    assert step is not None and step.on == date(2026, 3, 23)
    # Deadline from the real sending day: received Fri 27.3, + 10 = Mon 6.4 (Easter Monday)
    # -> Tue 7.4.
    assert step.deadline == date(2026, 4, 7)


def test_friendly_contact_waits_for_a_business_day() -> None:
    policy = make_policy("FI")
    due = date(2026, 3, 6)  # friendly earliest Sat 7.3
    state = DunningState(due, 10_000, "letter")
    assert next_step(state, policy, date(2026, 3, 7)) is None
    step = next_step(state, policy, date(2026, 3, 9))
    assert step is not None and step.kind == "friendly"


def test_a_missed_step_is_taken_on_the_day_the_engine_runs_again() -> None:
    policy = make_policy("FI")
    state = DunningState(DUE, 10_000, "letter", friendly_sent_on=d(3, 3))
    step = next_step(state, policy, d(26, 3))  # the engine was down 17.3-25.3
    assert step == Step("reminder", d(26, 3), 500, d(9, 4), 1)  # received 30.3, + 10 = 9.4


def test_one_step_a_day_friendly_first() -> None:
    # The engine starts 40 days late: friendly today, the reminder after the grace window.
    policy = make_policy("FI")
    state = DunningState(DUE, 10_000, "letter")
    steps, _ = walk(state, policy, d(10, 4), 20)
    assert [(s.kind, s.on) for s in steps] == [("friendly", d(10, 4)), ("reminder", d(20, 4))]


def test_no_friendly_contact_once_a_notice_was_sent() -> None:
    policy = make_policy("FI")
    notice = Notice(1, d(17, 3), d(31, 3), 500, "letter")
    state = DunningState(DUE, 10_000, "letter", notices=(notice,))
    assert next_step_earliest(state, policy) == ("reminder", d(1, 4))


# -- Paid, paused, handed over -----------------------------------------------------------------


@pytest.mark.parametrize("paid_on", [d(2, 3), d(5, 3), d(17, 3), d(20, 3), d(10, 4), d(28, 4)])
def test_paid_invoice_gets_no_further_step(paid_on: date) -> None:
    policy = make_policy("FI")

    def pay(state: DunningState, today: date) -> DunningState:
        return replace(state, balance=0) if today == paid_on else state

    steps, _ = walk(DunningState(DUE, 10_000, "letter"), policy, DUE, 90, pay)
    assert all(s.on < paid_on for s in steps)
    assert summary(steps) == [e for e in FI_EXPECTED if e[1] < paid_on]


def test_paying_within_the_grace_window_costs_no_fee() -> None:
    policy = make_policy("SE")

    def pay(state: DunningState, today: date) -> DunningState:
        return replace(state, balance=0) if today == d(10, 3) else state  # last grace day

    steps, _ = walk(DunningState(DUE, 10_000, "email"), policy, DUE, 60, pay)
    assert [s.kind for s in steps] == ["friendly"]


def test_overpaid_and_handed_over_invoices_get_no_step() -> None:
    policy = make_policy("FI")
    assert next_step(DunningState(DUE, -1, "letter"), policy, d(3, 3)) is None
    handed = DunningState(DUE, 10_000, "letter", handed_to_collection=True)
    assert next_step(handed, policy, d(3, 3)) is None


def pause_between(first: date, last: date, new_due: date | None = None) -> Event:
    """A dispute held from ``first`` to ``last`` (inclusive); resumed the day after."""

    def event(state: DunningState, today: date) -> DunningState:
        if today == first:
            return replace(state, paused=True)
        if today == last + timedelta(days=1):
            return replace(state, paused=False, resumed_on=today,
                           due_date=new_due or state.due_date)
        return state

    return event


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        # Before the friendly contact: friendly the day after the pause ended (Wed 11.3), then
        # the grace window: 19.3, received 23.3, deadline Thu 2.4. The second may go out on
        # Fri 3.4, Good Friday; Easter Monday 6.4 too: Tue 7.4, deadline 21.4, + 14 = Tue 5.5.
        (d(2, 3), d(9, 3), [("friendly", d(11, 3)), ("reminder", d(19, 3)),
                            ("reminder", d(7, 4)), ("collection", d(5, 5))]),
        # Over the first reminder's day: it comes the day after the pause ended (Thu 26.3);
        # received 30.3, deadline Thu 9.4; the second at max(26.3 + 15, 9.4 + 1) = Fri 10.4.
        (d(10, 3), d(24, 3), [("friendly", d(3, 3)), ("reminder", d(26, 3)),
                              ("reminder", d(10, 4)), ("collection", d(8, 5))]),
        # Over the first notice's deadline: the second waits for the resume (Sat 11.4 ->
        # Mon 13.4, business day), the spacing is kept as well.
        (d(20, 3), d(9, 4), [("friendly", d(3, 3)), ("reminder", d(17, 3)),
                             ("reminder", d(13, 4)), ("collection", d(11, 5))]),
        # Over the last deadline: the hand-off waits 14 days after the resume (20.4 + 14).
        (d(10, 4), d(19, 4), [("friendly", d(3, 3)), ("reminder", d(17, 3)),
                              ("reminder", d(1, 4)), ("collection", d(4, 5))]),
    ],
)
def test_pause_stops_every_step_and_resume_restarts_the_clock(
    first: date, last: date, expected: list[tuple[str, date]]
) -> None:
    policy = make_policy("FI")
    steps, state = walk(DunningState(DUE, 10_000, "letter"), policy, DUE, 90,
                        pause_between(first, last))
    assert not any(first <= s.on <= last + timedelta(days=1) for s in steps)
    assert [(s.kind, s.on) for s in steps] == expected
    assert notice_history_ok(state.notices, policy, due_date=DUE) == []


def test_extension_moves_the_due_date_and_holds_back_the_reminders() -> None:
    policy = make_policy("FI")
    steps, _ = walk(DunningState(DUE, 10_000, "letter"), policy, DUE, 90,
                    pause_between(d(4, 3), d(5, 3), new_due=d(31, 3)))
    # Friendly once (3.3, not again); first reminder on new due 31.3 + 15 = Wed 15.4.
    assert [(s.kind, s.on) for s in steps][:2] == [("friendly", d(3, 3)),
                                                   ("reminder", d(15, 4))]


def test_extension_after_the_last_notice_holds_back_the_hand_off() -> None:
    policy = make_policy("SE")
    sent = Notice(1, d(11, 3), d(23, 3), 6000, "email")
    state = DunningState(d(20, 4), 10_000, "email", friendly_sent_on=d(3, 3), notices=(sent,),
                         resumed_on=d(25, 3))
    assert next_step_earliest(state, policy) == ("collection", d(30, 4))  # new due + 10


def test_hand_off_keeps_the_spacing_from_the_last_notice() -> None:
    # E-mail: the deadline is only 10 days (+ weekend) after sending, so a hand-off the day
    # after it would let the agency's demand follow the reminder within 14 full days.
    policy = make_policy("FI", collection_after_days=1)
    notices = (Notice(1, d(17, 3), d(27, 3), 500, "email"),
               Notice(2, d(1, 4), d(13, 4), 500, "email"))  # 1.4 + 10 = Sat 11.4 -> Mon 13.4
    state = DunningState(DUE, 10_000, "email", friendly_sent_on=d(3, 3), notices=notices)
    assert notice_history_ok(notices, policy, due_date=DUE) == []
    assert next_step_earliest(state, policy) == ("collection", d(16, 4))  # 1.4 + 15, not 14.4


def test_paused_state_gets_nothing_at_any_day() -> None:
    policy = make_policy("FI")
    state = DunningState(DUE, 10_000, "letter", paused=True)
    assert all(next_step(state, policy, DUE + timedelta(days=n)) is None for n in range(120))
    assert next_step_earliest(state, policy) is None


# -- Configuration against the law -------------------------------------------------------------


def test_fee_above_the_cap_names_the_cap_and_the_day() -> None:
    with pytest.raises(DunningConfigError) as caught:
        make_policy("FI", on=date(2026, 11, 22), reminder_fee=1000)
    assert caught.value.code == "dunning.config"
    assert str(caught.value) == (
        "reminder fee 10.00 EUR exceeds the FI cap of 5.00 EUR on 2026-11-22"
    )
    assert caught.value.params["field"] == "reminder_fee"


def test_se_fee_one_ore_above_60_kronor_is_refused() -> None:
    with pytest.raises(DunningConfigError, match="60.00 SEK"):
        make_policy("SE", reminder_fee=6001)


def test_no_cap_follows_the_inkassosats_of_the_day() -> None:
    with pytest.raises(DunningConfigError, match="35.00 NOK on 2025-12-31"):
        make_policy("NO", on=date(2025, 12, 31), reminder_fee=3750)
    assert make_policy("NO", on=date(2026, 1, 1), reminder_fee=3750).fee_cap == 3750


def test_fewer_days_to_pay_than_the_law_is_refused() -> None:
    with pytest.raises(DunningConfigError, match="below the FI minimum of 10 days") as caught:
        make_policy("FI", min_days_to_pay=9)
    assert caught.value.params["field"] == "min_days_to_pay"
    assert make_policy("FI", min_days_to_pay=14).min_days_to_pay == 14


def test_more_fee_notices_than_the_law_is_refused() -> None:
    with pytest.raises(DunningConfigError, match="exceed the SE maximum of 1") as caught:
        make_policy("SE", max_fee_notices=2)
    assert caught.value.params["field"] == "max_fee_notices"
    assert make_policy("FI", max_fee_notices=1).max_fee_notices == 1


def test_policy_built_by_hand_is_checked_too() -> None:
    good = make_policy("FI")
    with pytest.raises(DunningConfigError, match="exceeds the FI cap of 5.00 EUR$"):
        replace(good, reminder_fee=501, rules_on=None)
    with pytest.raises(DunningConfigError, match="below the FI minimum"):
        replace(good, min_days_to_pay=good.legal_min_days_to_pay - 1)
    with pytest.raises(DunningConfigError, match="collection_after_days"):
        replace(good, collection_after_days=0)
    with pytest.raises(DunningConfigError, match="country"):
        replace(good, country="DK")


def test_legal_numbers_come_from_the_rule_table() -> None:
    policy = make_policy("FI")
    assert (policy.first_fee_after_days, policy.spacing_days, policy.min_days_to_pay,
            policy.fee_cap, policy.max_fee_notices) == (14, 14, 10, 500, 2)


# -- The safety check ----------------------------------------------------------------------------


def test_history_check_flags_a_too_early_second_reminder() -> None:
    policy = make_policy("FI")
    first = Notice(1, d(17, 3), d(31, 3), 500, "letter")
    second = Notice(2, d(31, 3), d(14, 4), 500, "letter")  # one day before Wed 1.4
    problems = notice_history_ok([first, second], policy)
    assert problems == [
        "notice 2 (sent 2026-03-31) is too early: after notice 1 (sent 2026-03-17, deadline "
        "2026-03-31) the next may go out on 2026-04-01 at the earliest"
    ]
    assert notice_history_ok([first, replace(second, sent_on=d(1, 4), deadline=d(15, 4))],
                             policy) == []


def test_history_check_flags_deadline_fee_count_numbering_and_first_day() -> None:
    policy = make_policy("SE", fee_agreed=False)
    notices = [
        Notice(1, d(11, 3), d(20, 3), 6100, "email"),  # short deadline, fee above the cap
        Notice(3, d(1, 4), d(13, 4), 100, "email"),  # wrong number, unagreed fee, one too many
    ]
    problems = notice_history_ok(notices, policy, due_date=d(11, 3))
    assert len(problems) == 6
    assert problems[0] == "2 fee-bearing notices; at most 1 are allowed"
    assert "exceeds the cap of 60.00 SEK" in problems[1]
    assert "gives until 2026-03-20; at least 2026-03-23 is required" in problems[2]
    assert "the first fee-bearing reminder may go out on 2026-03-12" in problems[3]
    assert "is number 2 in the sequence" in problems[4]
    assert "no fee was agreed" in problems[5]


# -- Property: whatever the dates and channels, every notice keeps the rules --------------------


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    country=st.sampled_from(["FI", "SE", "NO"]),
    due=st.dates(min_value=date(2024, 11, 1), max_value=date(2027, 12, 31)),
    channel=st.sampled_from(CHANNELS),
    lag=st.integers(min_value=0, max_value=6),
    lag_unit=st.sampled_from(["business", "calendar"]),
    friendly_after=st.integers(min_value=1, max_value=10),
    grace=st.integers(min_value=0, max_value=20),
    collection_after=st.integers(min_value=1, max_value=30),
    extra_days=st.integers(min_value=0, max_value=10),
    fee_agreed=st.booleans(),
    pause=st.none() | st.tuples(st.integers(min_value=0, max_value=80),
                                st.integers(min_value=0, max_value=30)),
    runs_skipped=st.sets(st.integers(min_value=0, max_value=150), max_size=40),
    friendly_keeps_spacing=st.booleans(),
)
def test_every_notice_keeps_spacing_deadline_fee_and_count(
    country: str, due: date, channel: Any, lag: int, lag_unit: Any, friendly_after: int,
    grace: int, collection_after: int, extra_days: int, fee_agreed: bool,
    pause: tuple[int, int] | None, runs_skipped: set[int], friendly_keeps_spacing: bool,
) -> None:
    cap = int(BOOK.value(country, "reminder_fee_cap_minor", due))
    legal_days = int(BOOK.value(country, "reminder_min_days_to_pay", due))
    policy = policy_from_rules(
        country, BOOK, due, reminder_fee=cap, friendly_after_days=friendly_after,
        grace_days_after_friendly=grace, collection_after_days=collection_after,
        letter_lag_business_days=lag, fee_agreed=fee_agreed,
        min_days_to_pay=legal_days + extra_days, lag_unit=lag_unit,
        friendly_keeps_spacing=friendly_keeps_spacing,
    )
    event = None
    if pause is not None:
        start = due + timedelta(days=pause[0])
        event = pause_between(start, start + timedelta(days=pause[1]))
    state = DunningState(due, 10_000, channel)
    steps: list[Step] = []
    for offset in range(151):
        today = due + timedelta(days=offset)
        if event is not None:
            state = event(state, today)
        if offset in runs_skipped:  # the engine did not run that day
            continue
        step = next_step(state, policy, today)
        if step is None:
            continue
        assert not state.paused
        assert state.resumed_on is None or step.on > state.resumed_on
        assert business_calendar(country).is_business_day(step.on)
        steps.append(step)
        state = take(state, step)

    assert notice_history_ok(state.notices, policy, due_date=due,
                             friendly_sent_on=state.friendly_sent_on) == []
    notices = state.notices
    assert len(notices) <= policy.max_fee_notices
    first_allowed = due + timedelta(days=policy.first_fee_after_days + 1)
    for index, notice in enumerate(notices):
        assert notice.fee <= policy.fee_cap and notice.fee == (cap if fee_agreed else 0)
        received = receipt_date(country, channel, notice.sent_on, letter_lag_business_days=lag,
                                lag_unit=lag_unit)
        assert notice.deadline >= received + timedelta(days=policy.legal_min_days_to_pay)
        assert notice.sent_on >= first_allowed
        if index:
            before = notices[index - 1]
            assert notice.sent_on > before.sent_on + timedelta(days=policy.spacing_days)
            assert notice.sent_on > before.deadline
    kinds = [s.kind for s in steps]
    assert kinds[:1] == ["friendly"] or not kinds
    friendly = steps[0].on if steps else None
    for step in steps:
        if step.kind == "reminder":
            assert friendly is not None
            assert step.on > friendly + timedelta(days=grace)
            if friendly_keeps_spacing:
                assert step.on > friendly + timedelta(days=policy.spacing_days)
    if state.handed_to_collection:
        assert kinds[-1] == "collection" and len(notices) == policy.max_fee_notices
        assert steps[-1].on >= notices[-1].deadline + timedelta(days=collection_after)
        assert steps[-1].on > notices[-1].sent_on + timedelta(days=policy.spacing_days)
