"""Annual percentage rate of charge (APR) per Directive 2008/48/EC, Annex I.

The APR ``X`` solves ``Σ C_k (1+X)^(-t_k) = Σ D_l (1+X)^(-s_l)`` where ``C_k`` are the
drawdowns, ``D_l`` the repayments and charges, and ``t``/``s`` the time in years since the
first drawdown. It is stated in percent, rounded to one decimal, half up.

The equation is solved for the force of interest ``δ = ln(1+X)`` in :class:`~decimal.Decimal`
with a safeguarded Newton iteration (Newton steps, bisection whenever a step would leave
the bracket or converges too slowly), starting from a second-order estimate. When every
time is a whole number of periods (months, weeks or days), one ``exp`` per iteration gives
the discount factor of a period, and a run of equal payments in consecutive periods is
summed as a geometric series, so a 36-month schedule costs about as much as a 3-month one.

Rounding is decided, not guessed: if the result at :data:`WORKING_PRECISION` lies so close
to a rounding boundary (``x.x5 %``) that its error could matter, the equation is solved
again with at least 60 digits; a value that still sits on the boundary is an exact tie
and rounds up.

On a grid the rounded APR is first tried in binary floating point
(:mod:`kassa.core.apr_float`), which answers only where its error bound decides the
rounding; the Decimal solver decides everything else. Both give the same one-decimal APR,
which a property test holds them to.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import MAX_EMAX, MIN_EMIN, ROUND_FLOOR, ROUND_HALF_UP, Context, Decimal, localcontext
from itertools import groupby

from kassa.core.apr_float import round_percent_in_floats
from kassa.core.errors import CreditError

__all__ = [
    "WORKING_PRECISION",
    "apr_percent",
    "apr_percent_in_periods",
    "apr_percent_of_instalments",
    "apr_percent_unrounded",
]

#: Significant digits used to solve the APR equation (the root is good to about 16 of
#: them), far more than the one decimal the APR is stated with.
WORKING_PRECISION = 20
#: Periods a year tried, in order, to recognize times given in years as whole periods.
_GRIDS = (12, 52, 365, 366)
_GRID_TOLERANCE = Decimal("1e-15")  # years; about 30 nanoseconds
_MAX_GRID_PERIODS = 100_000
_MAX_FORCE = Decimal(2) ** 16  # |ln(1 + X)| searched up to this; X would have ~28 000 digits
_MAX_ITERATIONS = 500
#: Below this |1 - discount factor of a period| the geometric-series formulas would
#: cancel too many digits, so payments are summed one by one.
_SERIES_FROM = Decimal("1e-3")
_TENTH = Decimal("0.1")
_HALF = Decimal("0.5")

#: A run of ``count`` equal net amounts (minor units; drawdowns negative) in consecutive
#: periods starting at ``first``.
_Run = tuple[int, int, int]
#: f(δ) and f'(δ) of the equation for a force of interest δ.
_Equation = Callable[[Decimal], tuple[Decimal, Decimal]]


def apr_percent(
    drawdowns: Sequence[tuple[Decimal, int]], repayments: Sequence[tuple[Decimal, int]]
) -> Decimal:
    """Return the APR in percent, rounded to one decimal half up (e.g. ``Decimal("19.5")``).

    :param drawdowns: ``(t, amount)`` pairs: ``t`` in years since the first drawdown
        (``Decimal`` or ``int``, ``t >= 0``), ``amount`` in minor units (``int >= 0``).
    :param repayments: the same for repayments and every charge the consumer pays; a
        charge paid at the start is a repayment at ``t = 0``.
    :raises CreditError: ``credit.apr_input`` for malformed cash flows,
        ``credit.apr_no_solution`` if the equation has no root.
    """
    return _round_percent(_equation_for(drawdowns, repayments))


def apr_percent_unrounded(
    drawdowns: Sequence[tuple[Decimal, int]], repayments: Sequence[tuple[Decimal, int]]
) -> Decimal:
    """Return the APR in percent before rounding, good to about 16 significant digits.

    For comparing APRs more finely than the published one decimal; arguments as for
    :func:`apr_percent`.
    """
    return _equation_for(drawdowns, repayments).solve(WORKING_PRECISION, None)[0]


def apr_percent_in_periods(
    drawdowns: Sequence[tuple[int, int]],
    repayments: Sequence[tuple[int, int]],
    periods_per_year: int,
    *,
    rounded: bool = True,
) -> Decimal:
    """Return the APR in percent for cash flows timed in whole periods.

    Period ``k`` is ``k / periods_per_year`` years after the first drawdown: with
    ``periods_per_year=12`` the Annex I convention of twelve equal months, with 365 or 366
    a day count.

    :param drawdowns: ``(period, amount)`` pairs, ``period >= 0``, amount in minor units.
    :param repayments: the same for repayments and charges.
    :param rounded: ``False`` returns the unrounded percentage.
    """
    _check_periods_per_year(periods_per_year)
    merged = _net_terms(drawdowns, repayments, whole_periods=True)
    terms = [(int(period), amount) for period, amount in merged]
    return _solve(_AprEquation.on_grid(_runs(terms), periods_per_year), rounded)


def apr_percent_of_instalments(
    credit_amount: int,
    instalments: Sequence[int],
    periods_per_year: int = 12,
    *,
    rounded: bool = True,
) -> Decimal:
    """Return the APR in percent of a credit paid back in instalments, one a period.

    ``credit_amount`` is drawn at period 0 and ``instalments[k - 1]`` (every charge
    included) is paid at period ``k``; by default a period is one of twelve equal months.
    Amounts in minor units. The same as :func:`apr_percent_in_periods` for this common
    shape, with less work.
    """
    _check_periods_per_year(periods_per_year)
    if type(credit_amount) is not int or credit_amount <= 0:
        raise CreditError(
            f"credit amount {credit_amount!r} must be a positive int", code="credit.apr_input"
        )
    if (
        not instalments
        or not all(type(amount) is int for amount in instalments)
        or min(instalments) < 0
    ):
        raise CreditError("instalments must be ints >= 0 of minor units", code="credit.apr_input")
    if sum(instalments) <= 0:
        raise CreditError(
            "at least one repayment with a positive amount is needed", code="credit.apr_input"
        )
    runs: list[_Run] = [(0, 1, -credit_amount)]
    period = 1
    for amount, group in groupby(instalments):
        count = len(list(group))
        runs.append((period, count, amount))
        period += count
    return _solve(_AprEquation.on_grid(runs, periods_per_year), rounded)


def _check_periods_per_year(periods_per_year: int) -> None:
    if type(periods_per_year) is not int or periods_per_year < 1:
        raise CreditError(
            f"periods_per_year {periods_per_year!r} must be a positive int", code="credit.apr_input"
        )


def _solve(problem: _AprEquation, rounded: bool) -> Decimal:
    if rounded:
        return _round_percent(problem)
    return problem.solve(WORKING_PRECISION, None)[0]


class _AprEquation:
    """``f(δ) = Σ a_j e^(-δ t_j)``: net amounts ``a_j`` (drawdowns negative) at ``t_j`` years.

    Held either as runs on a grid of ``periods_per_year`` or as ``(years, amount)`` terms.
    """

    def __init__(
        self,
        cost: int,
        periods_per_year: int | None,
        runs: list[_Run],
        year_terms: list[tuple[Decimal, int]],
    ) -> None:
        #: Σ a_j = f(0): what the credit costs in minor units.
        self.cost = cost
        self.periods_per_year = periods_per_year
        self.runs = runs
        self.year_terms = year_terms

    @classmethod
    def on_grid(cls, runs: list[_Run], periods_per_year: int) -> _AprEquation:
        cost = sum(count * amount for _, count, amount in runs)
        return cls(cost, periods_per_year, runs, [])

    @classmethod
    def in_years(cls, terms: list[tuple[Decimal, int]]) -> _AprEquation:
        return cls(sum(amount for _, amount in terms), None, [], terms)

    def solve(self, precision: int, hint: Decimal | None) -> tuple[Decimal, Decimal]:
        """Return ``(APR in percent, δ)`` computed with ``precision`` significant digits."""
        if self.cost == 0:  # the consumer pays back exactly what was drawn: X = 0
            return Decimal(0), Decimal(0)
        with localcontext(Context(prec=precision, Emax=MAX_EMAX, Emin=MIN_EMIN)):
            if self.periods_per_year is None:
                equation = _equation_in_years(self.year_terms)
            else:
                equation = _equation_on_grid(self.runs, self.periods_per_year)
            start = hint if hint is not None else self._first_guess()
            lo, hi, x, fx, dfx = _bracket(equation, start, self.cost)
            force = _rtsafe(equation, lo, hi, x, fx, dfx, Decimal(10) ** (4 - precision))
            return (force.exp() - 1) * 100, force

    def _first_guess(self) -> Decimal:
        # Expand f(δ) to second order around δ = 0, c - δ S1 + δ² S2 / 2, and take its
        # smaller root (or c / S1): near the APR of an ordinary credit, so Newton needs few
        # steps. S1 = Σ a t and S2 = Σ a t², exact integers on a grid.
        if self.periods_per_year is None:
            first = Decimal(sum(years * amount for years, amount in self.year_terms))
            second = Decimal(sum(years * years * amount for years, amount in self.year_terms))
        else:
            first_sum = second_sum = 0
            for start, count, amount in self.runs:
                pairs = count * (count - 1) // 2
                first_sum += amount * (count * start + pairs)
                second_sum += amount * (
                    count * start * start
                    + 2 * start * pairs
                    + (count - 1) * count * (2 * count - 1) // 6
                )
            periods = self.periods_per_year
            first = Decimal(first_sum) / periods
            second = Decimal(second_sum) / (periods * periods)
        cost = Decimal(self.cost)
        if first <= 0:
            return Decimal("0.1") if cost > 0 else Decimal("-0.1")
        discriminant = first * first - 2 * cost * second
        if second > 0 and discriminant > 0:
            return 2 * cost / (first + discriminant.sqrt())
        return cost / first


def _equation_on_grid(runs: list[_Run], periods_per_year: int) -> _Equation:
    decimal_runs = [(first, count, Decimal(amount)) for first, count, amount in runs]

    def equation(force: Decimal) -> tuple[Decimal, Decimal]:
        factor = (-force / periods_per_year).exp()  # discount factor of one period
        gap = 1 - factor
        value = Decimal(0)
        slope = Decimal(0)  # Σ period * amount * factor^period
        for first, count, amount in decimal_runs:
            head = amount * factor**first if first else amount
            if count == 1:
                value += head
                slope += first * head
            elif abs(gap) < _SERIES_FROM:
                power = head
                for period in range(first, first + count):
                    value += power
                    slope += period * power
                    power *= factor
            else:
                last = factor**count
                series = (1 - last) / gap  # Σ_{j<count} factor^j
                # Σ_{j<count} j factor^j
                weighted = (factor - count * last + (count - 1) * last * factor) / (gap * gap)
                value += head * series
                slope += head * (first * series + weighted)
        return value, -slope / periods_per_year

    return equation


def _equation_in_years(terms: list[tuple[Decimal, int]]) -> _Equation:
    decimal_terms = [(years, Decimal(amount)) for years, amount in terms]

    def equation(force: Decimal) -> tuple[Decimal, Decimal]:
        value = Decimal(0)
        slope = Decimal(0)
        for years, amount in decimal_terms:
            term = amount * (-force * years).exp()
            value += term
            slope -= years * term
        return value, slope

    return equation


def _bracket(
    equation: _Equation, start: Decimal, cost: int
) -> tuple[Decimal, Decimal, Decimal, Decimal, Decimal]:
    """Return ``(lo, hi, x, f(x), f'(x))`` with ``f(lo) < 0 < f(hi)`` and ``x`` inside."""
    f_start, df_start = equation(start)
    if f_start == 0:
        return start, start, start, f_start, df_start
    if (f_start > 0) != (cost > 0):  # f(0) = cost, known without evaluating
        lo, hi = (start, Decimal(0)) if f_start < 0 else (Decimal(0), start)
        return lo, hi, start, f_start, df_start
    # Same sign as at 0: walk on away from 0 (where the root of an ordinary credit lies),
    # then the other way, doubling the step each time.
    outward = start if start != 0 else Decimal("0.1")
    for step in (outward, -outward):
        previous, f_previous, df_previous = start, f_start, df_start
        while abs(previous) <= _MAX_FORCE:
            point = previous + step
            f_point, df_point = equation(point)
            if f_point == 0 or (f_point > 0) != (f_previous > 0):
                lo, hi = (point, previous) if f_point < 0 else (previous, point)
                if abs(f_previous) < abs(f_point):  # start Newton from the closer end
                    return lo, hi, previous, f_previous, df_previous
                return lo, hi, point, f_point, df_point
            previous, f_previous, df_previous, step = point, f_point, df_point, step * 2
    raise CreditError(
        "the APR equation has no solution for these cash flows", code="credit.apr_no_solution"
    )


def _rtsafe(
    equation: _Equation,
    lo: Decimal,
    hi: Decimal,
    x: Decimal,
    fx: Decimal,
    dfx: Decimal,
    tolerance: Decimal,
) -> Decimal:
    """Newton's method kept inside ``[lo, hi]`` (``f(lo) < 0 < f(hi)``), bisecting when needed.

    Follows ``rtsafe`` of *Numerical Recipes*; stops when a step is below ``tolerance``
    relative to ``|x|`` (with a floor of 1e-6 on ``|x|`` for APRs near zero).
    """
    if fx == 0:
        return x
    floor = Decimal("1e-6")
    step_before_last = abs(hi - lo)
    step = step_before_last
    previous: tuple[Decimal, Decimal] | None = None  # (x, f'(x)) of the last Newton step
    for _ in range(_MAX_ITERATIONS):
        newton_leaves = ((x - hi) * dfx - fx) * ((x - lo) * dfx - fx) > 0
        too_slow = abs(2 * fx) > abs(step_before_last * dfx)
        step_before_last, old_x = step, x
        if newton_leaves or too_slow:
            step = (hi - lo) / 2
            x = lo + step
            previous = None
        else:
            step = fx / dfx
            x -= step
            if previous is not None and previous[0] != old_x:
                # Newton leaves an error of about f'' / (2 f') * step²; f'' from the change
                # in f' since the last Newton step. Stop once that is 10 times below the
                # tolerance, which saves the confirming evaluation.
                curvature = abs((dfx - previous[1]) / (old_x - previous[0]))
                if 5 * curvature * step * step <= tolerance * (abs(x) + floor) * abs(dfx):
                    return x
            previous = (old_x, dfx)
        if abs(step) <= tolerance * (abs(x) + floor) or x == old_x:
            return x
        fx, dfx = equation(x)
        if fx == 0:
            return x
        if fx < 0:
            lo = x
        else:
            hi = x
    raise CreditError("the APR equation did not converge", code="credit.apr_no_solution")


def _round_percent(problem: _AprEquation) -> Decimal:
    decided = _round_percent_in_floats(problem)
    if decided is not None:
        return decided
    percent, force = problem.solve(WORKING_PRECISION, None)
    if _near_rounding_boundary(percent, force, WORKING_PRECISION):
        precision = max(60, percent.adjusted() + abs(force).adjusted() + 45)
        percent, force = problem.solve(precision, force)
        if _near_rounding_boundary(percent, force, precision):
            # Still on the boundary with 60+ digits: an exact tie, which rounds half up.
            with localcontext(Context(prec=precision + 5)):
                percent = (percent * 10).to_integral_value(ROUND_FLOOR) / 10 + _HALF / 10
    with localcontext(Context(prec=max(28, percent.adjusted() + 5))):
        return percent.quantize(_TENTH, rounding=ROUND_HALF_UP)


def _round_percent_in_floats(problem: _AprEquation) -> Decimal | None:
    """The rounded APR from the float pre-solve (:mod:`kassa.core.apr_float`), or None."""
    if problem.periods_per_year is None or problem.cost == 0:
        return None
    return round_percent_in_floats(problem.runs, problem.periods_per_year, problem._first_guess)


def _near_rounding_boundary(percent: Decimal, force: Decimal, precision: int) -> bool:
    """Whether the error of ``percent`` could move it across an ``x.x5`` boundary.

    The solver leaves ``δ`` within about ``|δ| 10^(4 - precision)``, so ``100 (1 + X)``
    is off by about ``(percent + 100) (|δ| + 1) 10^(4 - precision)``; we allow 100 times
    that.
    """
    with localcontext(Context(prec=max(precision, percent.adjusted() + 10) + 5)):
        error = (abs(percent) + 100) * (abs(force) + 1) * Decimal(10) ** (6 - precision)
        if error >= Decimal("0.01"):
            return True
        tenths = percent * 10
        distance = abs(tenths - tenths.to_integral_value(ROUND_FLOOR) - _HALF) / 10
        return distance <= error


def _equation_for(
    drawdowns: Sequence[tuple[Decimal, int]], repayments: Sequence[tuple[Decimal, int]]
) -> _AprEquation:
    merged = _net_terms(drawdowns, repayments, whole_periods=False)
    terms = [(Decimal(years), amount) for years, amount in merged]
    for periods_per_year in _GRIDS:
        on_grid = _as_periods(terms, periods_per_year)
        if on_grid is not None:
            return _AprEquation.on_grid(_runs(on_grid), periods_per_year)
    return _AprEquation.in_years(terms)


def _as_periods(
    terms: list[tuple[Decimal, int]], periods_per_year: int
) -> list[tuple[int, int]] | None:
    """The terms in whole periods, if every time is one (within 1e-15 years)."""
    periods: list[tuple[int, int]] = []
    with localcontext(Context(prec=50)):
        for years, amount in terms:
            scaled = years * periods_per_year
            whole = scaled.to_integral_value()
            if abs(scaled - whole) > _GRID_TOLERANCE or whole > _MAX_GRID_PERIODS:
                return None
            periods.append((int(whole), amount))
    return periods


def _runs(terms: list[tuple[int, int]]) -> list[_Run]:
    """Group ``(period, amount)`` terms, sorted by period, into runs of equal amounts in
    consecutive periods: a level annuity is one run, whatever its length."""
    runs: list[list[int]] = []
    for period, amount in terms:
        if runs and runs[-1][2] == amount and runs[-1][0] + runs[-1][1] == period:
            runs[-1][1] += 1
        else:
            runs.append([period, 1, amount])
    return [(first, count, amount) for first, count, amount in runs]


def _net_terms(
    drawdowns: Sequence[tuple[Decimal, int]] | Sequence[tuple[int, int]],
    repayments: Sequence[tuple[Decimal, int]] | Sequence[tuple[int, int]],
    *,
    whole_periods: bool,
) -> list[tuple[Decimal | int, int]]:
    """Validate the cash flows; return them merged by time and sorted, drawdowns negative.

    Times are ``int`` periods when ``whole_periods``, else ``Decimal`` or ``int`` years.
    """
    merged: dict[Decimal | int, int] = {}
    for sign, flows, name in ((-1, drawdowns, "drawdown"), (1, repayments, "repayment")):
        total = 0
        for flow in flows:
            time, amount = _check_flow(flow, name, whole_periods)
            total += amount
            merged[time] = merged.get(time, 0) + sign * amount
        if total <= 0:
            raise CreditError(
                f"at least one {name} with a positive amount is needed", code="credit.apr_input"
            )
    return sorted(item for item in merged.items() if item[1] != 0)


def _check_flow(
    flow: tuple[Decimal | int, int], name: str, whole_periods: bool
) -> tuple[Decimal | int, int]:
    try:
        time, amount = flow
    except (TypeError, ValueError):
        raise CreditError(
            f"a {name} must be a (time, amount) pair, not {flow!r}", code="credit.apr_input"
        ) from None
    if type(amount) is not int or amount < 0:
        raise CreditError(
            f"{name} amount {amount!r} must be an int >= 0 of minor units", code="credit.apr_input"
        )
    if type(time) is int:
        if time < 0:
            raise CreditError(
                f"{name} time {time} is before the first drawdown", code="credit.apr_input"
            )
        return time, amount
    if whole_periods or not isinstance(time, Decimal) or not time.is_finite() or time < 0:
        kind = "an int period" if whole_periods else "a finite Decimal number of years"
        raise CreditError(f"{name} time {time!r} must be {kind} >= 0", code="credit.apr_input")
    return time, amount
