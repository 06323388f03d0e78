"""The APR located in binary floating point, where that is enough to decide its rounding.

A checkout prices several plans for every amount it is asked about, and the Decimal solver
of :mod:`kassa.core.apr` is the slow part. Here the same equation on a grid,
``f(δ) = Σ a_j v^(p_j)`` with ``v = e^(-δ / periods)``, is solved by Newton's method in
floats, with a bound on the float's error: the error of ``f(δ)`` (a few ulps per payment,
amplified by ``1 / (1 - v)`` in the geometric series) over ``|f'(δ)|``, plus what is left of
the last step. Only where the APR lies farther from a rounding boundary (``x.x5 %``) than a
hundred times that bound is the rounding taken from it; anywhere else (a tie, a tiny or huge
APR, drawdowns after the start, any overflow) the answer is None and the Decimal solver
decides. Amounts stay exact integers: the float only locates the root.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from decimal import Decimal

__all__ = ["round_percent_in_floats"]

_EPSILON = 2.0**-52
#: Float solves only where |1 - discount factor of a period| is at least this (an APR of
#: roughly 0.1 % and up on a monthly grid), so that the geometric series keeps its digits.
_MIN_GAP = 1e-4
_MAX_FORCE = 50.0  # δ; an APR of about 5e23 %: beyond it the Decimal solver works


def round_percent_in_floats(
    runs: Sequence[tuple[int, int, int]], periods: int, first_guess: Callable[[], Decimal]
) -> Decimal | None:
    """The APR in percent rounded to one decimal half up, or None where a float solve
    cannot be trusted to decide the rounding.

    ``runs`` are ``(first period, count, amount)``: ``count`` equal net amounts in minor
    units (drawdowns negative) in consecutive periods of a grid of ``periods`` a year, whose
    sum (the cost of the credit) is not zero; ``first_guess()`` is a starting force of
    interest.
    """
    if any(amount < 0 and first > 0 for first, _, amount in runs):
        # Only money drawn at the start and repaid later makes f strictly decreasing, with
        # one root that Newton's method cannot miss; anything else is the bracketing
        # solver's to decide.
        return None
    float_runs = [(first, count, float(amount)) for first, count, amount in runs]
    # |a_j| summed over every payment: what the float error of f(δ) scales with.
    scale = float(sum(abs(amount) * count for _, count, amount in runs))
    try:
        force = float(first_guess())
        for _ in range(50):
            value, slope, gap = _equation(float_runs, periods, force)
            if abs(gap) < _MIN_GAP or slope == 0:
                return None
            # f(δ) is off by at most ~8 ulps per payment, amplified by 1/gap in the series;
            # a root found from it by that over |f'(δ)|.
            noise = 16 * _EPSILON * scale / min(abs(gap), 1.0) / abs(slope)
            step = value / slope
            force -= step
            if abs(force) > _MAX_FORCE:
                return None
            if abs(step) <= max(4 * noise, 1e-15 * abs(force)):
                break  # Newton's next steps would only stir the float's noise
        else:
            return None
        # Where the root can be: within the noise of f and the last step taken.
        force_error = noise + abs(value) / abs(slope) + abs(step)
        percent = math.expm1(force) * 100
        percent_error = 100 * math.exp(force) * force_error + 1e-12 * abs(percent)
    except (OverflowError, ZeroDivisionError):
        return None
    tenths = percent * 10
    boundary = math.floor(tenths) + 0.5
    if abs(tenths - boundary) <= 100 * 10 * percent_error:
        return None
    return Decimal(math.floor(tenths + 0.5)).scaleb(-1)


def _equation(
    runs: list[tuple[int, int, float]], periods: int, force: float
) -> tuple[float, float, float]:
    """``(f(δ), f'(δ), 1 - v)`` in floats, ``v`` the discount factor of one period."""
    factor = math.exp(-force / periods)
    gap = 1.0 - factor
    value = slope = 0.0
    for first, count, amount in runs:
        head = amount * factor**first if first else amount
        if count == 1:
            value += head
            slope += first * head
        else:
            last = factor**count
            series = (1.0 - last) / gap
            weighted = (factor - count * last + (count - 1) * last * factor) / (gap * gap)
            value += head * series
            slope += head * (first * series + weighted)
    return value, -slope / periods, gap
