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
from numpy.typing import NDArray

from gradcheck.engine.compare import ParamResult, Statuses, Verdict, compare, first_round, limit
from gradcheck.engine.methods import EPS_MACH, SAFETY, Estimate
from gradcheck.engine.model import Array, Index


class Doubt(IntEnum):
    """Why an entry could not be decided."""

    NONE = 0
    UNSMOOTH = 1  # the two estimates disagree by the size of the derivative: not smooth at the step's scale
    NO_ESTIMATE = 2  # the second estimate is NaN or inf
    NOISY = 3  # the loss's measured noise makes even the exact estimate's pass line as large as the gradient
    DISAGREE = 4  # neither estimate is exact and they disagree with each other


# Measured: over random problems up to std 3, τ 40, H 24, the analytic gradient of a correct BPTT differs from the
# complex step by up to 3e-7 of its size where the forward pass saturates or turns chaotic; wrong derivations
# differ by 1e-3 and more.
CONFIRM_RELATIVE = 2.0**32 * EPS_MACH  # ≈ 9.5e-7


def amplified(noise: float, loss: float) -> float:
    """How many times more rounding noise the loss carries than ε_mach·max(|L|, 1): at least 1."""
    return max(1.0, noise / (EPS_MACH * max(abs(loss), 1.0))) if np.isfinite(loss) else 1.0


def confirm(
    a: Array, first: Array, first_line: Array, second: Array, second_line: Array, floor: float = 0.0, exact: bool = True
) -> tuple[Statuses, Array]:
    """The verdict of each entry outside its first-round limit, and why any is undecided (a Doubt per entry).

    a: the analytic values; first, second: the two estimates; first_line: how far `first` may be from the truth
    (its limit); second_line: the pass line of |a − second| (the second estimate's bound and the analytic round-off);
    floor: values below it count as this size when a line is compared with the gradient (a row's tiny entries);
    exact: the second estimate is exact to its bound (the complex step). If not, a failure needs both estimates to
    agree with each other: two independent estimates against the analytic value.
    """
    with np.errstate(invalid="ignore", over="ignore"):
        apart = np.abs(first - second)
        unsmooth = (apart > first_line) & (apart >= 0.5 * np.maximum(np.abs(first), np.abs(second)))
        agrees = np.abs(a - second) <= second_line
        size = np.maximum(np.maximum(np.abs(a), np.abs(second)), floor)
        noisy = (second_line >= 0.5 * size) & (size > 0)  # exact zeros on both sides agree, whatever the line
        disagree = ~agrees & (apart > np.maximum(first_line, second_line)) if not exact else np.zeros_like(agrees)
    doubt = np.where(unsmooth, Doubt.UNSMOOTH, np.where(noisy, Doubt.NOISY, Doubt.NONE))
    doubt = np.where(disagree & (doubt == Doubt.NONE), Doubt.DISAGREE, doubt)
    doubt = np.where(~np.isfinite(second), Doubt.NO_ESTIMATE, doubt)
    status = np.where(doubt != Doubt.NONE, Verdict.UNDECIDED, np.where(agrees, Verdict.PASS, Verdict.FAIL))
    status = np.where(~np.isfinite(a), Verdict.FAIL, status)
    return status.astype(np.int8), doubt.astype(np.int8)


@dataclass(frozen=True)
class Tolerance:
    """The pass line: the first estimate's own error bound (fixed False), or rtol/atol (fixed True); scale: the
    model's largest gradient entry, which sets the analytic side's round-off allowance; amplification: how much
    more rounding noise the loss carries than ε_mach·|L| (measured), by which every bound-based line is widened:
    the analytic side and the complex step round off through the same amplifying forward pass."""

    rtol: float
    atol: float
    fixed: bool
    scale: float
    amplification: float = 1.0
    noise: float = 0.0  # the measured rounding noise of the loss, for the reason of an undecided entry
    rounding: Array | None = None  # per checked entry: a bound on the backward pass's own rounding error

    def line(self, a: Array, n: Array, bound: Array | None, rounding: Array | float = 0.0) -> Array:
        """The pass line of |a − n| for an estimate n with error bound `bound` (None: fixed rtol/atol);
        rounding: the analytic side's own rounding bound at these entries."""
        if bound is None:
            return limit(a, n, self.rtol, self.atol, None, self.scale)
        return self.amplification * (limit(a, n, self.rtol, self.atol, bound, self.scale) + rounding)

    def exact_line(self, a: Array, c: Array, bound: Array, rounding: Array | float = 0.0) -> Array:
        """The pass line of |a − c| against an estimate c exact to its bound: the analytic side's round-off grows
        through a saturated or chaotic forward pass (1 − h² of an h rounded to ±1 is off by ε_mach), so it may
        differ from the exact derivative by up to CONFIRM_RELATIVE of its size before that is called a mistake."""
        size = np.maximum(np.abs(a), np.abs(c))
        allowance = CONFIRM_RELATIVE * size + rounding
        return self.amplification * (limit(a, c, self.rtol, self.atol, bound, self.scale) + allowance)


Second = Callable[[str, Index], tuple[Array, Array]]  # (name, entries) -> the second estimate there and its bound


@dataclass(frozen=True)
class Opinion:
    """The second estimate (see Second), its title in reports, and what to change when a point cannot be judged."""

    estimate: Second
    title: str
    advice: str = ""
    exact: bool = True  # the complex step; a step sweep is not


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

    An entry within a limit as large as the gradient itself has not been judged either (a passing line that wide
    says nothing): it is confirmed too. The second estimate's own bound is its pass line whatever the tolerance.
    target: what the second estimate moves, when the row is named otherwise (an equation's node); unit: what the
    entries are, for the reason.
    """
    a, n = analytic.reshape(-1)[index], first.values
    rounding = np.zeros(len(index)) if tol.rounding is None else tol.rounding
    first = _settled(a, n, first, tol, rounding)
    bound = None if tol.fixed or first.bound is None else first.bound
    line = tol.line(a, n, bound, rounding)
    status = first_round(a, n, line, first.vanished)
    first_failed = status == Verdict.FAIL
    vacuous = _vacuous(a, n, line, status) if bound is not None else np.zeros(len(index), dtype=bool)  # fixed: as asked
    suspect = np.flatnonzero((first_failed | vacuous) & np.isfinite(a))
    doubt = np.zeros(len(index), dtype=np.int8)
    shown, shown_line = n.copy(), line.copy()  # where the second estimate decided, the row shows it and its line
    if len(suspect):
        c, c_bound = second.estimate(target or name, index[suspect])
        c_line = tol.exact_line(a[suspect], c, c_bound, rounding[suspect])
        if bound is None:  # a fixed tolerance is the user's pass line against any estimate, the exact one included
            c_line = np.maximum(c_line, tol.line(a[suspect], c, None))
        n_line = tol.line(n[suspect], c, None if bound is None else bound[suspect], rounding[suspect])
        status[suspect], doubt[suspect] = confirm(a[suspect], n[suspect], n_line, c, c_line, _floor(a), second.exact)
        shown[suspect], shown_line[suspect] = c, c_line
    overturned = int((first_failed & (status == Verdict.PASS)).sum())
    by = second.title if len(suspect) else ""
    reason = _reason(status, doubt, first, second, unit, tol)
    vanished = first.vanished
    return compare(
        name, analytic, index, shown, tol.rtol, tol.atol, bound, tol.scale, vanished, status, overturned, by, reason, shown_line
    )


def _settled(a: Array, n: Array, first: Estimate, tol: Tolerance, rounding: Array) -> Estimate:
    """The first estimate with its full bound measured wherever it can decide something: at every entry not already
    within the round-off part of its line (a fraction 1/SAFETY of it), and at every entry whose line is then wide
    enough to need the second estimate. Everywhere else the line in force is the round-off part alone, which the
    entry meets with room to spare, and the full bound could only be larger."""
    if tol.fixed or first.pending is None or first.bound is None:
        return first
    with np.errstate(invalid="ignore"):
        far_inside = np.abs(a - n) <= tol.line(a, n, first.bound / SAFETY, rounding)
    first = first.settle(np.flatnonzero(~far_inside))
    assert first.bound is not None
    line = tol.line(a, n, first.bound, rounding)
    return first.settle(np.flatnonzero(_vacuous(a, n, line, first_round(a, n, line, first.vanished))))


def _floor(a: Array) -> float:
    """1e-3 of the row's largest finite value: a pass line this wide says something even about tiny entries."""
    finite = np.abs(a[np.isfinite(a)])
    return 1e-3 * float(finite.max()) if finite.size else 0.0


def _vacuous(a: Array, n: Array, line: Array, status: Statuses) -> NDArray[np.bool_]:
    """Passing entries whose pass line is half the size of the values themselves, or more (see _floor)."""
    with np.errstate(invalid="ignore"):
        size = np.maximum(np.maximum(np.abs(a), np.abs(n)), _floor(a))
        wide = (line >= 0.5 * size) & (size > 0)
    return np.asarray(wide & (status == Verdict.PASS), dtype=bool)


def _reason(status: Statuses, doubt: Statuses, first: Estimate, second: Opinion, unit: str, tol: Tolerance) -> str:
    """Why entries could not be decided, in words; `advice` (what to change) follows the reasons that need it."""
    undecided = status == Verdict.UNDECIDED
    if not undecided.any():
        return ""
    title, advice = second.title, second.advice
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
    if (doubt == Doubt.NOISY).any():
        parts.append(
            f"the loss is chaotic or too noisy at this point: its rounding noise, measured along a random direction, "
            f"is {tol.noise:.1e}, {tol.amplification:.0e} times that of a well-behaved loss, as large as the gradient's "
            f"effect over any usable step, so no estimate can judge {(doubt == Doubt.NOISY).sum()} {unit}"
        )
    if (doubt == Doubt.DISAGREE).any():
        parts.append(f"at {(doubt == Doubt.DISAGREE).sum()} {unit} the two estimates disagree with each other")
    needs_advice = overflow.any() or unsmooth.any() or (doubt != Doubt.NONE).any()
    return "; ".join(parts) + (f"; {advice}" if advice and needs_advice else "")
