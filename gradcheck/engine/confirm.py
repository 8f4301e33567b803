"""A failure is confirmed before it is reported: an independent second estimate decides every entry outside its limit.

The first estimate (say central differences) can be wrong where its error model fails: a loss that is not
smooth at the scale of the step (a chaotic or saturated forward pass), or round-off larger than assumed. So an
entry outside its limit is estimated again by a method whose errors are independent of the first's (the complex
step, exact to round-off; or a Richardson step sweep when the first estimate was the complex step), and:

- the analytic value agrees with the second estimate: the first estimate was wrong; the entry passes (overturned);
- it disagrees, and the two estimates agree with each other (or the first is merely imprecise): FAIL, confirmed;
- the two estimates disagree by the size of the derivative itself: finite differences cannot judge this point;
  UNDECIDED, whatever the analytic value;
- the second estimate is not finite: UNDECIDED.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum

import numpy as np

from gradcheck.engine.compare import ParamResult, Statuses, Verdict, compare, first_round, limit
from gradcheck.engine.methods import Estimate
from gradcheck.engine.model import Array, Index


class Doubt(IntEnum):
    """Why an entry could not be decided."""

    NONE = 0
    UNSMOOTH = 1  # the two estimates disagree by the size of the derivative: not smooth at the step's scale
    NO_ESTIMATE = 2  # the second estimate is NaN or inf


def confirm(a: Array, first: Array, first_line: Array, second: Array, second_line: Array) -> tuple[Statuses, Array]:
    """The verdict of each entry outside its first-round limit, and why any is undecided (a Doubt per entry).

    a: the analytic values; first, second: the two estimates; first_line: how far `first` may be from the truth
    (its limit); second_line: the pass line of |a − second| (the second estimate's bound and the analytic round-off).
    """
    with np.errstate(invalid="ignore", over="ignore"):
        apart = np.abs(first - second)
        unsmooth = (apart > first_line) & (apart >= 0.5 * np.maximum(np.abs(first), np.abs(second)))
        agrees = np.abs(a - second) <= second_line
    doubt = np.where(~np.isfinite(second), Doubt.NO_ESTIMATE, np.where(unsmooth, Doubt.UNSMOOTH, Doubt.NONE))
    status = np.where(doubt != Doubt.NONE, Verdict.UNDECIDED, np.where(agrees, Verdict.PASS, Verdict.FAIL))
    status = np.where(~np.isfinite(a), Verdict.FAIL, status)
    return status.astype(np.int8), doubt.astype(np.int8)


@dataclass(frozen=True)
class Tolerance:
    """The pass line: the first estimate's own error bound (fixed False), or rtol/atol (fixed True); scale: the
    model's largest gradient entry, which sets the analytic side's round-off allowance."""

    rtol: float
    atol: float
    fixed: bool
    scale: float


Second = Callable[[str, Index], tuple[Array, Array]]  # (name, entries) -> the second estimate there and its bound


@dataclass(frozen=True)
class Opinion:
    """The second estimate (see Second), its title in reports, and what to change when a point cannot be judged."""

    estimate: Second
    title: str
    advice: str = ""


def judge(
    name: str,
    analytic: Array,
    index: Index,
    first: Estimate,
    tol: Tolerance,
    second: Opinion,
    target: str = "",
    unit: str = "entries",
) -> ParamResult:
    """Compare analytic[index] with the first estimate; confirm every entry outside its limit with the second one.

    The second estimate's own bound is its pass line whatever the tolerance. target: what the second estimate
    moves, when the row is named otherwise (an equation's node); unit: what the entries are, for the reason.
    """
    a, n = analytic.reshape(-1)[index], first.values
    bound = None if tol.fixed or first.bound is None else first.bound
    line = limit(a, n, tol.rtol, tol.atol, bound, tol.scale)
    status = first_round(a, n, line, first.vanished)
    suspect = np.flatnonzero((status == Verdict.FAIL) & np.isfinite(a))
    doubt = np.zeros(len(index), dtype=np.int8)
    if len(suspect):
        c, c_bound = second.estimate(target or name, index[suspect])
        c_line = limit(a[suspect], c, tol.rtol, tol.atol, c_bound, tol.scale)
        n_line = limit(n[suspect], c, tol.rtol, tol.atol, None if bound is None else bound[suspect], tol.scale)
        status[suspect], doubt[suspect] = confirm(a[suspect], n[suspect], n_line, c, c_line)
    overturned = int((status[suspect] == Verdict.PASS).sum())
    by = second.title if len(suspect) else ""
    reason = _reason(status, doubt, first, second.title, unit, second.advice)
    return compare(name, analytic, index, n, tol.rtol, tol.atol, bound, tol.scale, first.vanished, status, overturned, by, reason)


def _reason(status: Statuses, doubt: Statuses, first: Estimate, title: str, unit: str, advice: str) -> str:
    """Why entries could not be decided, in words; `advice` (what to change) follows the reasons that need it."""
    undecided = status == Verdict.UNDECIDED
    if not undecided.any():
        return ""
    parts = []
    vanished = undecided & (first.vanished if first.vanished is not None else False)
    if vanished.any():
        parts.append(f'the step cannot move θ (θ + ε == θ) at {vanished.sum()} {unit}: use a larger eps or eps = "auto"')
    overflow = undecided & ~np.isfinite(first.values) & ~vanished
    if overflow.any():
        parts.append(f"the perturbed loss overflows at {overflow.sum()} {unit}")
    unsmooth = doubt == Doubt.UNSMOOTH
    if unsmooth.any():
        step = float(np.median(first.steps[unsmooth]))
        parts.append(
            f"at {unsmooth.sum()} {unit} the finite difference with step {step:.1e} is off from the {title} by as "
            "much as the derivative itself: the loss is not smooth at the scale of the step (a chaotic or saturated "
            "forward pass), so finite differences cannot judge it"
        )
    if (doubt == Doubt.NO_ESTIMATE).any():
        parts.append(f"the {title} is not finite at {(doubt == Doubt.NO_ESTIMATE).sum()} {unit}")
    needs_advice = overflow.any() or unsmooth.any() or (doubt == Doubt.NO_ESTIMATE).any()
    return "; ".join(parts) + (f"; {advice}" if advice and needs_advice else "")
