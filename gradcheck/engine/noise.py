"""How noisy is f? Moré & Wild's ECnoise: the difference table of f along one direction.

Moré, J. J. and Wild, S. M., "Estimating computational noise", SIAM J. Sci. Comput. 33(3), 2011.
Sample f_k = f(x + t_k·u) at m + 1 equally spaced t_k (spacing δ, u a unit vector) and difference them:
a smooth part of f loses a power of δ with every order, Δ^j s = O(δ^j), while noise ε_k of standard
deviation σ grows, E[(Δ^j ε)²] = C(2j, j)·σ² for independent ε_k. Once the smooth part is gone,
every order estimates the same σ:

    σ_j = sqrt(γ_j · mean_k (Δ^j f_k)²),   γ_j = (j!)² / (2j)! = 1 / C(2j, j).

The rule that accepts an order, and the two ways of failing, follow the authors' ECnoise.m:

* accepted: the first j (from low orders, j ≤ m − 2) whose σ_j, σ_{j+1}, σ_{j+2} lie within a factor 4
  of each other (max ≤ 4·min) AND whose j-th differences change sign (min < 0 < max: the smooth part
  keeps one sign over so short a stencil, so a sign change shows that noise dominates). σ = σ_j.
* step too large: the values spread over more than 10% of max|f_k| (they differ in the first digit),
  or no order qualifies: the smooth part still dominates the differences; try δ/100.
* no noise visible: at least half of the first differences are exactly 0 (all values equal is the
  extreme case): at this δ, f does not move at the resolution of float64; try 100·δ (or f is flat
  along u and no step will show its noise).

A Model's term losses become an `evaluate` by summing them:
`lambda t: losses(name, np.full(len(t), k), t).sum(axis=1)`, for entry k of parameter `name`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum

import numpy as np

from gradcheck.engine.methods import EPS_MACH
from gradcheck.engine.model import Array

UNIT_ROUNDOFF = EPS_MACH / 2  # a float64 stands for every real within this relative distance of it
POINTS = 9  # m + 1; ECnoise.m recommends at least 7. Nine give orders 1..8 and a stencil centred on x
MIN_POINTS = 4  # the fewest that leave one order with two neighbours (j ≤ m − 2)
AGREEMENT = 4.0  # σ_j, σ_{j+1}, σ_{j+2} agree when max ≤ AGREEMENT·min (ECnoise.m)
SPREAD_LIMIT = 0.1  # values differing in their first digit: δ samples the smooth part, not the noise
GROWTH = 100.0  # ECnoise.m's advice: 100·δ when no noise is visible, δ/100 when δ is too large
RETRIES = 3  # search_noise's extra attempts: at most (1 + RETRIES)·points evaluations
START_SCALE = 1e-7  # start_step: δ0 = START_SCALE·max(1, |x|∞)


class NoiseStatus(StrEnum):
    """What the difference table showed at one step δ."""

    MEASURED = "measured"
    STEP_TOO_LARGE = "step-too-large"  # the smooth part dominates every order: try δ/100
    NO_NOISE_VISIBLE = "no-noise-visible"  # half the neighbours are equal: δ may be too small; try 100·δ


@dataclass(frozen=True)
class Noise:
    """The noise of f along one direction, as ECnoise measured it.

    sigma: the accepted σ_order when MEASURED, raised to at least `floor`; otherwise `floor` itself,
    which is then only a lower bound (no noise was measured). floor: UNIT_ROUNDOFF·max_k |f_k|, the
    float64 resolution of the values (0 only if they are all 0): below it a spread is an artefact of exact
    arithmetic, not noise one could ever see. order: the accepted j, or None. levels: σ_1..σ_m (entry j − 1 for order j).
    sign_changes: whether the j-th differences change sign, same layout. step: the spacing δ, when known.
    evaluations: how many values of f this result cost (all attempts, for search_noise).
    """

    sigma: float
    status: NoiseStatus
    order: int | None
    floor: float
    levels: tuple[float, ...]
    sign_changes: tuple[bool, ...]
    evaluations: int
    step: float | None = None


def gammas(m: int) -> Array:
    """γ_j = (j!)² / (2j)! for j = 1..m: 1 / Var(Δ^j ε) for independent ε_k of unit variance."""
    values: Array = np.array([math.factorial(j) ** 2 / math.factorial(2 * j) for j in range(1, m + 1)])
    return values


def _difference_table(values: Array) -> list[Array]:
    """Δ^j f for j = 1..m, entry j − 1: (m + 1 − j,) each."""
    table = [np.diff(values)]
    while len(table[-1]) > 1:
        table.append(np.diff(table[-1]))
    return table


def _accepted_order(levels: tuple[float, ...], sign_changes: tuple[bool, ...]) -> int | None:
    """The lowest order j whose σ_j, σ_{j+1}, σ_{j+2} agree within AGREEMENT and whose differences change sign."""
    for j in range(1, len(levels) - 1):
        window = levels[j - 1 : j + 2]
        if sign_changes[j - 1] and max(window) <= AGREEMENT * min(window):
            return j
    return None


def _levels(f: Array) -> tuple[tuple[float, ...], tuple[bool, ...]]:
    """σ_j = sqrt(γ_j · mean (Δ^j f)²) and whether Δ^j f changes sign (min < 0 < max), for j = 1..m."""
    largest = float(np.abs(f).max())
    # Scale by a power of two: exact, so the table keeps its zeros and signs, and neither differences of values
    # near 1e308 nor squares of differences near 1e200 overflow.
    scale = math.ldexp(1.0, math.frexp(largest)[1] - 1) if largest > 0 else 1.0
    table = _difference_table(f / scale)
    levels = tuple(scale * math.sqrt(g * float(np.mean(d**2))) for g, d in zip(gammas(len(table)), table, strict=True))
    return levels, tuple(bool(d.min() < 0 < d.max()) for d in table)


def noise_from_values(values: Array) -> Noise:
    """ECnoise on f_0..f_m, values of f at m + 1 equally spaced points along one direction.

    Args:
        values: (m + 1,) f_k = f(x + (t_0 + k·δ)·u), in order of t; m + 1 ≥ 4, 7 to 9 recommended.

    Returns:
        The estimate σ with the order that gave it, or the reason none was accepted (module docstring).

    Raises:
        ValueError: fewer than 4 values, not a vector, or a value that is not finite.
    """
    f = np.asarray(values, dtype=np.float64)
    if f.ndim != 1 or len(f) < MIN_POINTS or not np.all(np.isfinite(f)):
        bad = np.count_nonzero(~np.isfinite(f))
        raise ValueError(f"noise needs a vector of at least {MIN_POINTS} finite values, got shape {f.shape}, {bad} not finite")
    levels, sign_changes = _levels(f)
    largest = float(np.abs(f).max())
    floor = UNIT_ROUNDOFF * largest
    refused = Noise(
        sigma=floor,
        status=NoiseStatus.STEP_TOO_LARGE,
        order=None,
        floor=floor,
        levels=levels,
        sign_changes=sign_changes,
        evaluations=len(f),
    )
    if f.max() / 2 - f.min() / 2 > SPREAD_LIMIT / 2 * largest:  # halved: exact, and cannot overflow
        return refused
    if 2 * np.count_nonzero(f[1:] == f[:-1]) >= len(f):  # ECnoise.m: "half the function values are equal"
        return replace(refused, status=NoiseStatus.NO_NOISE_VISIBLE)
    order = _accepted_order(levels, sign_changes)
    if order is None:
        return refused
    return replace(refused, sigma=max(levels[order - 1], floor), status=NoiseStatus.MEASURED, order=order)


def stencil(step: float, points: int = POINTS) -> Array:
    """The shifts t_k = (k − (points − 1)/2)·δ: centred on x, so x itself is sampled when `points` is odd."""
    shifts: Array = step * (np.arange(points, dtype=np.float64) - (points - 1) / 2)
    return shifts


def estimate_noise(evaluate: Callable[[Array], Array], step: float, points: int = POINTS, values: Array | None = None) -> Noise:
    """ECnoise at one step δ: all `points` values of f in one call of `evaluate`.

    Args:
        evaluate: shifts t (n,) -> f(x + t_i·u) (n,), the direction u and point x held by the caller.
        step: δ > 0, the spacing of the shifts (see `stencil`).
        points: m + 1, the number of values (at least 4).
        values: f at the stencil(step, points) shifts, if already evaluated (then `evaluate` is not called).

    Returns:
        noise_from_values of the values, with `step` recorded.

    Raises:
        ValueError: a step that is not positive and finite, or `evaluate` returned another shape.
    """
    if not (math.isfinite(step) and step > 0):
        raise ValueError(f"the noise step must be positive and finite, got {step!r}")
    shifts = stencil(step, points)
    values = np.asarray(evaluate(shifts) if values is None else values, dtype=np.float64)
    if values.shape != shifts.shape:
        raise ValueError(f"evaluate returned shape {values.shape} for {len(shifts)} shifts")
    return replace(noise_from_values(values), step=step)


def start_step(x: Array) -> float:
    """δ0 = START_SCALE·max(1, |x|∞): the first step search_noise should try at the point x.

    Large enough that x + t_k·u are distinct float64 points (about 10⁹ ulps of |x| apart), small enough
    that the smooth part of an f with derivatives of order 1 per unit of x leaves the third differences
    (≈ δ³·f‴ ≈ 1e-21·|x|³) far below float64 rounding noise (≈ 1e-16·|f|), so orders 3..5 already measure
    noise at the resolution of float64, and larger noise at lower orders.
    """
    return START_SCALE * max(1.0, float(np.max(np.abs(x), initial=0.0)))


def search_noise(
    evaluate: Callable[[Array], Array],
    start: float,
    points: int = POINTS,
    retries: int = RETRIES,
    first: Array | None = None,
) -> Noise:
    """ECnoise from `start`, moving δ by GROWTH until noise is measured or `retries` are spent.

    Policy (ECnoise.m's advice): δ/100 after STEP_TOO_LARGE, 100·δ after NO_NOISE_VISIBLE. If the
    status flips between the two, the window of good steps is narrower than the factor, so the factor
    is replaced by its square root (the next step is the geometric midpoint of the last two). Each
    attempt costs `points` evaluations; the total is at most (1 + retries)·points. first: f at the first attempt's
    shifts (stencil(start, points)), if the caller has already evaluated them.

    Returns:
        The last attempt (MEASURED, or the reason the last step failed) with `evaluations` summed over all.
    """
    step, factor, spent = start, GROWTH, 0
    previous: NoiseStatus | None = None
    for attempt in range(retries + 1):
        noise = estimate_noise(evaluate, step, points, first if attempt == 0 else None)
        spent += noise.evaluations
        if noise.status is NoiseStatus.MEASURED:
            break
        if previous is not None and noise.status is not previous:
            factor = math.sqrt(factor)
        previous = noise.status
        step = step / factor if noise.status is NoiseStatus.STEP_TOO_LARGE else step * factor
    return replace(noise, evaluations=spent)
