"""Finite-difference estimates of ∂L/∂θ_k, from forward passes only, batched over many entries at once.

Every rule sees the loss as its terms L(t) (a BatchLosses) and differences them term by term before
summing: the terms are smaller than their sum, so less is lost to cancellation.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np
from numpy.typing import NDArray

from gradcheck.engine.model import Array, BatchLosses, Index

EPS_MACH = float(np.finfo(np.float64).eps)
COMPLEX_STEP = 1e-20
SAFETY = 4.0  # the expected-error bound is the error model times this


class Method(StrEnum):
    """A finite-difference rule."""

    CENTRAL = "central"
    FORWARD = "forward"
    RICHARDSON = "richardson"
    COMPLEX_STEP = "complex-step"


Measure = Callable[[Index], Array]  # positions among an estimate's entries -> the full error bound there


@dataclass(frozen=True)
class Estimate:
    """Numerical derivatives of one parameter at the checked entries.

    values: (n,) the estimates; steps: (n,) the step used for each; bound: (n,) the error the rule
    itself is expected to make there (truncation + round-off), when asked for.

    A lazy bound (estimate(..., lazy=True)) starts as the round-off part alone at the `pending` entries; `measure`
    makes the rule's second-step passes for the positions it is given and returns their full bound. `settle` puts
    those in, where a comparison needs them: an entry whose |a − n| is already within the round-off part never
    needs its truncation measured (the full bound is larger), so most entries of a right gradient cost no more
    than the rule's own passes.
    """

    values: Array
    steps: Array
    bound: Array | None = None
    vanished: NDArray[np.bool_] | None = None  # (n,) θ + h == θ in float64: no estimate there (values are NaN)
    pending: NDArray[np.bool_] | None = None  # (n,) bound is the round-off part alone, truncation not measured yet
    measure: Measure | None = None

    def subset(self, keep: Index) -> Estimate:
        """The estimate at positions `keep` of its entries."""
        measure = self.measure

        def measure_kept(positions: Index) -> Array:
            assert measure is not None
            return measure(keep[positions])

        return Estimate(
            self.values[keep],
            self.steps[keep],
            None if self.bound is None else self.bound[keep],
            None if self.vanished is None else self.vanished[keep],
            None if self.pending is None else self.pending[keep],
            None if measure is None else measure_kept,
        )

    def settle(self, positions: Index) -> Estimate:
        """The full bound measured at the pending entries among `positions`."""
        if self.pending is None or self.bound is None or self.measure is None:
            return self
        todo = positions[self.pending[positions]]
        if not len(todo):
            return self
        bound, pending = self.bound.copy(), self.pending.copy()
        bound[todo], pending[todo] = self.measure(todo), False
        return Estimate(self.values, self.steps, bound, self.vanished, pending, self.measure)


@dataclass(frozen=True)
class Rule:
    """Everything about one method: how it turns loss terms into a derivative, its error bound and its cost.

    title, formula, bound_formula: how reports name it; step_power: auto step = ε_mach^step_power·max(1, |θ|)
    (None: the fixed COMPLEX_STEP); order: truncation error O(h^order), 0 where it is negligible (then no second
    step is needed for the bound); roundoff: c in the round-off model c·ε_mach·S/h; passes: perturbed forward
    passes per entry.
    """

    title: str
    formula: str
    bound_formula: str
    step_power: float | None
    order: int
    roundoff: float
    passes: int
    differentiate: Callable[[BatchLosses, str, Index, Array], tuple[Array, Array]]  # -> (values, S)

    @property
    def step_rule(self) -> str:
        """The auto step in words."""
        if self.step_power is None:
            return f"{COMPLEX_STEP:g} (imaginary)"
        return f"ε_mach^(1/{round(1 / self.step_power)})·max(1, |θ|)"

    def passes_per_entry(self, with_bound: bool) -> int:
        """Perturbed forward passes per checked entry: the bound repeats the rule at 2h where truncation counts."""
        return 2 * self.passes if with_bound and self.order > 0 else self.passes


def _paired(losses: BatchLosses, name: str, index: Index, shifts: list[NDArray[Any]]) -> list[NDArray[Any]]:
    """The per-term losses at θ + s·e_k for every shift vector s, all in one batch and one layout.

    One layout means an entry that changes nothing gives bitwise-equal rows, so exactly 0.
    """
    n = len(index)
    both = losses(name, np.tile(index, len(shifts)), np.concatenate(shifts))
    return [both[k * n : (k + 1) * n] for k in range(len(shifts))]


def _magnitude(terms: Array) -> Array:
    """S = Σ_t max(|L(t)|, 1): each term's absolute round-off is ε_mach times its intermediates (log Σ exp o is
    of order 1 even where L(t) is tiny), so no term counts for less than 1."""
    size: Array = np.maximum(np.abs(terms), 1.0).sum(axis=1)
    return size


def _central(losses: BatchLosses, name: str, index: Index, h: Array) -> tuple[Array, Array]:
    plus, minus = _paired(losses, name, index, [h, -h])
    return (plus - minus).sum(axis=1) / (2 * h), _magnitude(plus)


def _forward(losses: BatchLosses, name: str, index: Index, h: Array) -> tuple[Array, Array]:
    plus, base = _paired(losses, name, index, [h, np.zeros_like(h)])
    return (plus - base).sum(axis=1) / h, _magnitude(plus)


def _richardson(losses: BatchLosses, name: str, index: Index, h: Array) -> tuple[Array, Array]:
    plus, minus, half_plus, half_minus = _paired(losses, name, index, [h, -h, h / 2, -h / 2])
    coarse = (plus - minus).sum(axis=1) / (2 * h)
    fine = (half_plus - half_minus).sum(axis=1) / h
    return (4 * fine - coarse) / 3, _magnitude(plus)  # the h² terms cancel


def _complex_step(losses: BatchLosses, name: str, index: Index, h: Array) -> tuple[Array, Array]:
    (terms,) = _paired(losses, name, index, [1j * h])
    values: Array = terms.imag.sum(axis=1) / h  # Im f(θ + ih)/h: no subtraction, no cancellation
    return values, np.abs(terms.imag).sum(axis=1) / h  # round-off scales with the derivative's own terms


# fmt: off
RULES: dict[Method, Rule] = {
    Method.CENTRAL: Rule(
        title="central differences", formula="(f(θ+h) − f(θ−h)) / 2h", bound_formula="4·(|D(h) − D(2h)|/3 + ε·S/h)",
        step_power=1 / 3, order=2, roundoff=1.0, passes=2, differentiate=_central,
    ),
    Method.FORWARD: Rule(
        title="forward differences", formula="(f(θ+h) − f(θ)) / h", bound_formula="4·(|D(h) − D(2h)| + 2ε·S/h)",
        step_power=1 / 2, order=1, roundoff=2.0, passes=2, differentiate=_forward,
    ),
    Method.RICHARDSON: Rule(
        title="Richardson-extrapolated central differences", formula="(4·D(h/2) − D(h)) / 3, D central",
        bound_formula="4·(|R(h) − R(2h)|/15 + 3ε·S/h)", step_power=1 / 5, order=4, roundoff=3.0, passes=4,
        differentiate=_richardson,
    ),
    Method.COMPLEX_STEP: Rule(
        title="complex step", formula="Im f(θ + ih) / h", bound_formula="4·16·ε·S, S = Σ_t |∂L(t)/∂θ|",
        step_power=None, order=0, roundoff=16.0, passes=1, differentiate=_complex_step,
    ),
}
# fmt: on


def auto_step(theta: Array, method: Method) -> Array:
    """The step that balances truncation O(h^order) against round-off O(ε/h): the rule's step_rule, per entry.

    The complex step subtracts nothing, so its step can be tiny: COMPLEX_STEP.
    """
    power = RULES[method].step_power
    if power is None:
        return np.full(theta.shape, COMPLEX_STEP)
    step: Array = EPS_MACH**power * np.maximum(1.0, np.abs(theta))
    return step


def roundoff_bound(method: Method, h: Array, magnitude: Array, noise: float | Array = 0.0) -> Array:
    """SAFETY × the rule's round-off c·max(ε_mach·S, noise)/h alone (the whole bound of the complex step, whose
    truncation is O(1e-40)): S = Σ_t max(|L(t)|, 1), or Σ_t |∂L(t)/∂θ| for the complex step, which subtracts
    nothing; `noise` the loss's measured rounding noise at the point."""
    rule = RULES[method]
    if rule.order == 0:
        return SAFETY * rule.roundoff * EPS_MACH * magnitude
    bound: Array = SAFETY * rule.roundoff * np.maximum(EPS_MACH * magnitude, noise) / h
    return bound


def error_bound(
    losses: BatchLosses,
    name: str,
    index: Index,
    method: Method,
    h: Array,
    values: Array,
    magnitude: Array,
    noise: float | Array = 0.0,
) -> Array:
    """SAFETY × (truncation + round-off) of the estimate `values` made with step h.

    Truncation is measured, not assumed: the same rule at 2h differs by (2^order − 1)·C·h^order, so
    |D(h) − D(2h)| / (2^order − 1) estimates C·h^order. Round-off is roundoff_bound's, so a truncation estimate of
    exactly 0 never takes the bound below the noise.
    """
    rule = RULES[method]
    roundoff = roundoff_bound(method, h, magnitude, noise)
    if rule.order == 0:
        return roundoff
    coarse, _ = rule.differentiate(losses, name, index, 2 * h)
    bound: Array = SAFETY * np.abs(values - coarse) / (2**rule.order - 1) + roundoff
    return bound


def _measure(
    losses: BatchLosses, name: str, index: Index, method: Method, h: Array, values: Array, magnitude: Array, noise: float | Array
) -> Measure:
    """error_bound at positions of the entries, each measured once however often it is asked for (by any thread)."""
    known: dict[int, float] = {}
    lock = threading.Lock()

    def measure(positions: Index) -> Array:
        with lock:
            missing = np.array(sorted({int(p) for p in positions} - known.keys()), dtype=np.intp)
            if len(missing):
                floor = noise if np.ndim(noise) == 0 else np.asarray(noise)[missing]
                found = error_bound(losses, name, index[missing], method, h[missing], values[missing], magnitude[missing], floor)
                known.update(zip(missing.tolist(), found.tolist(), strict=True))
            return np.array([known[int(p)] for p in positions], dtype=np.float64)

    return measure


SWEEP_TITLE = "Richardson step sweep"
SWEEP_LEVELS = 12  # central differences from 64 times the central auto step down to 1/32 of it, halving


def step_sweep(losses: BatchLosses, name: str, theta: Array, index: Index, noise: float = 0.0) -> Estimate:
    """An independent second estimate for a few entries: Richardson extrapolation over a sweep of central steps.

    D_k is the central difference at h_k = 64·h_c·2^−k (h_c the central auto step), k = 0..11; R_k = (4·D_{k+1} − D_k)/3
    cancels the h² term. Each R_k is bounded by SAFETY·(|R_k − R_{k+1}| + 3·max(ε_mach·S, noise)/h_{k+1}): where the
    table has converged and round-off has not yet taken over; the accepted R_k is the one with the smallest bound.
    """
    values = theta.reshape(-1)[index]
    h0 = 64 * auto_step(values, Method.CENTRAL)
    levels = [_central(losses, name, index, h0 * 0.5**k) for k in range(SWEEP_LEVELS)]
    D = np.array([d for d, _ in levels])  # (levels, n)
    R = (4 * D[1:] - D[:-1]) / 3
    steps = h0 * 0.5 ** np.arange(1, SWEEP_LEVELS)[:, np.newaxis]  # h_{k+1}, (levels − 1, n)
    roundoff = 3 * np.maximum(EPS_MACH * levels[0][1], noise) / steps
    bounds = SAFETY * (np.abs(np.diff(R, axis=0)) + roundoff[:-1])  # (levels − 2, n)
    k = np.argmin(np.where(np.isfinite(bounds), bounds, np.inf), axis=0)
    n = np.arange(len(index))
    step = steps[k, n]
    return Estimate(values=R[k, n], steps=step, bound=bounds[k, n], vanished=values + step == values)


def estimate(
    losses: BatchLosses,
    name: str,
    theta: Array,
    index: Index,
    method: Method,
    eps: float | str = "auto",
    with_bound: bool = False,
    noise: float | Array = 0.0,
    lazy: bool = False,
) -> Estimate:
    """Estimate ∂L/∂θ at the flat entries `index` of parameter `name` (current value `theta`).

    with_bound: also bound the estimate's own error (costs one more set of passes, except for the complex step);
    lazy: only the round-off part of the bound now, the rest measured where a comparison needs it (Estimate.settle);
    noise: the loss's measured rounding noise, the floor of the bound's round-off term (or one per entry).
    """
    values = theta.reshape(-1)[index]
    step = auto_step(values, method) if eps == "auto" else np.full(len(index), float(eps))
    if len(index) == 0:
        return Estimate(np.empty(0), step, np.empty(0) if with_bound else None, np.zeros(0, dtype=bool))
    derivative, magnitude = RULES[method].differentiate(losses, name, index, step)
    bound, pending, measure = None, None, None
    if with_bound and lazy and RULES[method].order > 0:
        bound, pending = roundoff_bound(method, step, magnitude, noise), np.ones(len(index), dtype=bool)
        measure = _measure(losses, name, index, method, step, derivative, magnitude, noise)
    elif with_bound:
        bound = error_bound(losses, name, index, method, step, derivative, magnitude, noise)
    # θ + h == θ: a perturbation float64 cannot represent. Report it, never divide by it (the complex step
    # moves the imaginary part, which always can).
    vanished = np.zeros(len(index), dtype=bool) if method is Method.COMPLEX_STEP else values + step == values
    derivative = np.where(vanished, np.nan, derivative)
    return Estimate(derivative, step, bound, vanished, pending, measure)
