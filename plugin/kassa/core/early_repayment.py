"""Early repayment of an instalment plan (Directive (EU) 2023/2225 Art. 29; 2008/48/EC Art. 16).

The shopper may repay all or part of the credit at any time; the interest and the costs of
the remaining period then fall. :func:`early_repayment` gives the figures and the new
schedule for a repayment on day ``on``; it is pure, and every amount is ``int`` minor units.

The plan's periods are its own: instalment ``k`` covers the days after instalment ``k - 1``'s
due date (for the first, after the drawdown) up to its own due date, and its interest is the
monthly rate ``r = nominal rate / 12 / 100`` on the capital owed in that period
(:func:`kassa.core.credit.amortize`). Instalments due on or before ``on`` stay as they are
(owed, whether paid or not); the rest, "the remaining instalments", change:

* **All** (``amount`` None, or at least the payoff): the payoff is the capital of the
  remaining instalments, the interest of the current period for the days used
  (``capital * r * days used / days of the period``), the monthly fee of the current period for
  the days used, the set-up fee if not yet due, less the part of the set-up fee for the
  remaining duration (``set-up fee * days from on to the agreed end / days of the
  agreement``; CJEU C-383/18 Lexitor). Every later interest and fee falls; money beyond the
  payoff is a surplus to refund.
* **Part** (``amount`` below the payoff): all of it repays capital. The remaining capital is
  spread again, at the same rate, over the same due dates (``keep="instalments"``: lower
  instalments) or over as few of them as keep the instalment no higher than before
  (``keep="amount"``: a shorter plan, whose dropped instalments' fees fall). The next
  instalment's interest is the new capital's month plus the interest the repaid amount
  earned in the current period before it was repaid (``amount * r * days used / days of the
  period``), so the repaid amount stops earning from the day it came.

All fractions are exact and each amount is rounded once, half up; the new instalments' capital
adds up to the capital left, to the minor unit. Should the rounding of each instalment's
interest make the new plan a minor unit dearer than the old one less the repayment, the last
instalment's interest gives it back: repaying early never costs more.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any, Literal

from kassa.core.credit import Instalment, amortize
from kassa.core.errors import KassaError
from kassa.core.money import round_ratio

__all__ = [
    "KEEP_CHOICES",
    "EarlyRepayment",
    "EarlyRepaymentError",
    "Plan",
    "early_repayment",
    "instalments_json",
    "instalments_from_json",
]

Keep = Literal["instalments", "amount"]
#: What a part repayment keeps: the number of instalments (they get lower) or their amount
#: (the plan gets shorter).
KEEP_CHOICES: tuple[Keep, ...] = ("instalments", "amount")
_MONTHS_A_YEAR = 12


class EarlyRepaymentError(KassaError, ValueError):
    """An early repayment that cannot be applied to the plan on that day."""

    code = "early_repayment.invalid"


@dataclass(frozen=True)
class Plan:
    """An instalment plan as it stands: its terms and its current schedule."""

    credit_amount: int
    #: Annual nominal borrowing rate in percent.
    nominal_rate: Decimal
    #: The day of the drawdown (the purchase).
    drawn_on: date
    #: The agreed end: the last due date of the schedule the shopper consented to.
    ends_on: date
    #: The set-up fee, charged with instalment 1.
    setup_fee: int
    #: The schedule in force: the one agreed, or the latest after earlier repayments.
    schedule: tuple[Instalment, ...]


@dataclass(frozen=True)
class EarlyRepayment:
    """The figures of one early repayment and the schedule after it."""

    on: date
    #: Whether it repays the whole plan.
    full: bool
    #: What it pays off: the payoff when full, else the amount.
    paid_now: int
    #: The payoff on :attr:`on`: what repaying everything would cost that day.
    payoff: int
    #: Capital of the remaining instalments before the repayment.
    principal_before: int
    #: Capital it repays.
    principal_repaid: int
    #: Full: interest of the current period for the days used. Part: 0 (that interest stays
    #: in the next instalment, with :attr:`interest_carried`).
    interest: int
    #: Part: interest the repaid amount earned in the current period, added to the next
    #: instalment. Full: 0.
    interest_carried: int
    #: Full: the current period's monthly fee for the days used and the set-up fee if not
    #: yet due. Part: 0.
    fees: int
    #: Full: the part of the set-up fee for the remaining duration, taken off. Part: 0.
    setup_fee_rebate: int
    #: Money given beyond the payoff, to refund.
    surplus: int
    #: The instalments due on or before :attr:`on`, unchanged.
    kept: tuple[Instalment, ...]
    #: The remaining instalments as they were.
    replaced: tuple[Instalment, ...]
    #: The remaining instalments from now on: empty when full.
    schedule: tuple[Instalment, ...]

    @property
    def saving(self) -> int:
        """What the shopper no longer pays: the remaining instalments as they were, less the
        repayment and the new instalments."""
        return (sum(i.amount for i in self.replaced) - self.paid_now
                - sum(i.amount for i in self.schedule))

    def to_json(self) -> dict[str, Any]:
        """The figures as JSON (days ISO, amounts in minor units)."""
        return {
            "on": self.on.isoformat(), "full": self.full, "paid_now": self.paid_now,
            "payoff": self.payoff, "principal_before": self.principal_before,
            "principal_repaid": self.principal_repaid, "interest": self.interest,
            "interest_carried": self.interest_carried, "fees": self.fees,
            "setup_fee_rebate": self.setup_fee_rebate, "surplus": self.surplus,
            "saving": self.saving, "replaced": instalments_json(self.replaced),
            "schedule": instalments_json(self.schedule),
        }


def instalments_json(rows: Sequence[Instalment]) -> list[dict[str, Any]]:
    """Instalments as ``Agreement.terms["offer"]["schedule"]`` keeps them."""
    return [{"number": i.number, "due_date": i.due_date.isoformat(), "amount": i.amount,
             "principal": i.principal, "interest": i.interest, "fee": i.fee} for i in rows]


def instalments_from_json(rows: Sequence[dict[str, Any]]) -> tuple[Instalment, ...]:
    """The instalments of :func:`instalments_json` (or of an offer's schedule)."""
    return tuple(Instalment(int(r["number"]), date.fromisoformat(r["due_date"]),
                            int(r["principal"]), int(r["interest"]), int(r["fee"]))
                 for r in rows)


def _round(value: Fraction) -> int:
    return round_ratio(value.numerator, value.denominator, ROUND_HALF_UP)


def early_repayment(plan: Plan, on: date, amount: int | None = None,
                    keep: Keep = "instalments") -> EarlyRepayment:
    """Repay ``amount`` minor units (None: everything) of ``plan`` on ``on``.

    :raises EarlyRepaymentError: ``early_repayment.day`` for a day before the drawdown,
        ``early_repayment.nothing_left`` when no instalment falls due after ``on``,
        ``early_repayment.amount`` for an amount below 1, or a part that leaves less capital
        than one minor unit per remaining instalment (``keep="instalments"``),
        ``early_repayment.keep`` for an unknown ``keep``.
    """
    if keep not in KEEP_CHOICES:
        raise EarlyRepaymentError(f"keep must be one of {', '.join(KEEP_CHOICES)}, not "
                                  f"{keep!r}", code="early_repayment.keep")
    if on < plan.drawn_on:
        raise EarlyRepaymentError(
            f"{on.isoformat()} is before the agreement of {plan.drawn_on.isoformat()}",
            code="early_repayment.day", on=on.isoformat())
    kept = tuple(i for i in plan.schedule if i.due_date <= on)
    remaining = tuple(i for i in plan.schedule if i.due_date > on)
    if not remaining:
        raise EarlyRepaymentError(f"no instalment falls due after {on.isoformat()}",
                                  code="early_repayment.nothing_left", on=on.isoformat())
    period_start = kept[-1].due_date if kept else plan.drawn_on
    used = Fraction((on - period_start).days, (remaining[0].due_date - period_start).days)
    monthly_rate = Fraction(plan.nominal_rate) / (_MONTHS_A_YEAR * 100)
    capital = sum(i.principal for i in remaining)
    interest = _round(capital * monthly_rate * used)
    first = remaining[0]
    setup_due = plan.setup_fee if first.number == 1 else 0
    fee = _round((first.fee - setup_due) * used)
    agreed_days = (plan.ends_on - plan.drawn_on).days
    rebate = (_round(Fraction(plan.setup_fee * max((plan.ends_on - on).days, 0), agreed_days))
              if plan.setup_fee and agreed_days > 0 else 0)
    # Only where a set-up fee is larger than all the capital left could its rebate exceed
    # the payoff: then it is limited to the payoff.
    rebate = min(rebate, capital + interest + fee + setup_due)
    payoff = capital + interest + fee + setup_due - rebate
    if amount is not None and (isinstance(amount, bool) or not isinstance(amount, int)
                               or amount < 1):
        raise EarlyRepaymentError(f"the amount must be a positive whole number of minor "
                                  f"units, not {amount!r}", code="early_repayment.amount",
                                  payoff=payoff, largest=_largest_part(capital, remaining,
                                                                       keep))
    if amount is None or amount >= payoff:
        return EarlyRepayment(
            on=on, full=True, paid_now=payoff, payoff=payoff, principal_before=capital,
            principal_repaid=capital, interest=interest, interest_carried=0,
            fees=fee + setup_due, setup_fee_rebate=rebate,
            surplus=0 if amount is None else amount - payoff, kept=kept, replaced=remaining,
            schedule=())
    largest = _largest_part(capital, remaining, keep)
    if amount > largest:
        raise EarlyRepaymentError(
            f"{amount} would leave less than one minor unit for each remaining instalment; "
            f"repay everything ({payoff}) or at most {largest}",
            code="early_repayment.amount", payoff=payoff, largest=largest)
    left = capital - amount
    carried = _round(amount * monthly_rate * used)
    if keep == "instalments":
        count = len(remaining)
    else:
        count = _shorter_count(left, remaining, plan.nominal_rate)
    _payment, rows = amortize(left, count, plan.nominal_rate)
    interests = [part for _principal, part in rows]
    interests[0] += carried
    # Each instalment's interest is rounded on its own: should that make the new plan dearer
    # by a minor unit or two than the old one less the repayment, the last instalment's
    # interest gives it back. Repaying early never costs more.
    dearer = (sum(p for p, _i in rows) + sum(interests)
              + sum(source.fee for source in remaining[:count])
              - (sum(i.amount for i in remaining) - amount))
    if dearer > 0:
        interests[-1] -= min(dearer, interests[-1])
    schedule = tuple(
        Instalment(source.number, source.due_date, principal, interest_part, source.fee)
        for source, (principal, _rounded), interest_part in zip(
            remaining, rows, interests, strict=False))
    return EarlyRepayment(
        on=on, full=False, paid_now=amount, payoff=payoff, principal_before=capital,
        principal_repaid=amount, interest=0, interest_carried=carried, fees=0,
        setup_fee_rebate=0, surplus=0, kept=kept, replaced=remaining, schedule=schedule)


def _largest_part(capital: int, remaining: Sequence[Instalment], keep: Keep) -> int:
    """The largest part repayment that still leaves a plan: a minor unit of capital for each
    remaining instalment (or one instalment, when the plan may get shorter)."""
    return capital - (len(remaining) if keep == "instalments" else 1)


def _shorter_count(capital: int, remaining: Sequence[Instalment], rate: Decimal) -> int:
    """The fewest of the remaining due dates over which ``capital`` is repaid with an
    instalment (capital + interest) no higher than the current one's."""
    current = remaining[0].principal + remaining[0].interest
    for count in range(1, len(remaining) + 1):
        if count > capital:
            break
        payment, _rows = amortize(capital, count, rate)
        if payment <= current:
            return count
    return min(len(remaining), capital)
