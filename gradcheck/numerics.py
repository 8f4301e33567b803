"""Finite-difference estimates of ∂L/∂θ_k, from forward passes only, batched over many entries at once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]
Index = NDArray[np.intp]

# (name, flat entry index (B,), shift (B,)) -> per-term losses (B, T) whose row sums are L(θ + shift·e_index).
# Returning the terms rather than their sum lets estimators difference each term before summing.
BatchLosses = Callable[[str, Index, Array], Array]

EPS_MACH = float(np.finfo(np.float64).eps)
DEFAULT_CHUNK = 2048


class Method(StrEnum):
    """A finite-difference rule."""

    CENTRAL = "central"
    FORWARD = "forward"


@dataclass(frozen=True)
class Estimate:
    """Numerical derivatives of one parameter at the checked entries.

    values: (n,) the estimates; steps: (n,) the step used for each.
    """

    values: Array
    steps: Array


def auto_step(theta: Array, method: Method) -> Array:
    """The step that balances truncation against round-off, scaled with each entry's magnitude.

    Central differences: ε_mach^(1/3)·max(1, |θ|) (error O(h²) + O(ε/h)); forward: ε_mach^(1/2)·max(1, |θ|).
    """
    power = {Method.CENTRAL: 1 / 3, Method.FORWARD: 1 / 2}[method]
    step: Array = EPS_MACH**power * np.maximum(1.0, np.abs(theta))
    return step


def _paired(losses: BatchLosses, name: str, index: Index, first: Array, second: Array) -> Array:
    """Σ_t [L_t(θ + first·e_k) − L_t(θ + second·e_k)] for every entry k, each term differenced before summing.

    Both sides go through one batch in the same layout, so an entry that changes nothing gives exactly 0.
    """
    both = losses(name, np.concatenate([index, index]), np.concatenate([first, second]))
    difference: Array = (both[: len(index)] - both[len(index) :]).sum(axis=1)
    return difference


def _central(losses: BatchLosses, name: str, index: Index, step: Array) -> Array:
    """f′ ≈ (f(θ + h) − f(θ − h)) / 2h: O(h²) truncation error."""
    return _paired(losses, name, index, step, -step) / (2 * step)


def _forward(losses: BatchLosses, name: str, index: Index, step: Array) -> Array:
    """f′ ≈ (f(θ + h) − f(θ)) / h: the textbook contrast, O(h) truncation error."""
    return _paired(losses, name, index, step, np.zeros_like(step)) / step


Estimator = Callable[[BatchLosses, str, Index, Array], Array]
ESTIMATORS: dict[Method, Estimator] = {Method.CENTRAL: _central, Method.FORWARD: _forward}


def chunked(losses: BatchLosses, rows: int = DEFAULT_CHUNK) -> BatchLosses:
    """The same BatchLosses, evaluated at most `rows` perturbed copies at a time to bound memory."""

    def evaluate(name: str, index: Index, shift: Array) -> Array:
        parts = [losses(name, index[k : k + rows], shift[k : k + rows]) for k in range(0, len(index), rows)]
        return np.concatenate(parts) if parts else np.empty((0, 0))

    return evaluate


def estimate(losses: BatchLosses, name: str, theta: Array, index: Index, method: Method, eps: float | str = "auto") -> Estimate:
    """Estimate ∂L/∂θ at the flat entries `index` of parameter `name` (current value `theta`)."""
    values = theta.reshape(-1)[index]
    step = auto_step(values, method) if eps == "auto" else np.full(len(index), float(eps))
    if len(index) == 0:
        return Estimate(values=np.empty(0), steps=step)
    return Estimate(values=ESTIMATORS[method](losses, name, index, step), steps=step)
