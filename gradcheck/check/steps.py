"""The numbers behind `gradcheck explain`: equation 10.18 at one time step, and the two misreadings."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gradcheck.book import rnn
from gradcheck.book.network import one_hot
from gradcheck.check.config import Config
from gradcheck.check.problem import build
from gradcheck.engine.compare import mismatched
from gradcheck.engine.methods import Method, estimate
from gradcheck.engine.model import Array, BatchLosses, Index
from gradcheck.engine.rnn import TanhRNN
from gradcheck.errors import GradcheckError


@dataclass(frozen=True)
class StepNumbers:
    """Everything about ∇o(t)L at one step t (1-based), each vector of length O.

    grad: ŷ − e_y (10.18); numeric: central differences of L w.r.t. o(t) through the forward pass;
    matches: whether grad and numeric agree within the central rule's own error bound (the check's pass line);
    ratio: o / Σo (misreading a) and ratio_grad = ratio − e_y; ratio_numeric: central differences of
    −log(o_y / Σo), NaN where that log is undefined; one_hot_grad: e_{argmax ŷ} − e_y (misreading b).
    """

    t: int
    tau: int
    y: int
    symbol: str | None
    o: Array
    y_hat: Array
    e_y: Array
    grad: Array
    numeric: Array
    matches: bool
    ratio: Array
    ratio_grad: Array
    ratio_numeric: Array
    one_hot_grad: Array

    @property
    def error(self) -> float:
        """max |(10.18) − finite differences|."""
        return _max_diff(self.grad, self.numeric)

    @property
    def ratio_error(self) -> float:
        """max |(a) ratio − e_y − finite differences of L|."""
        return _max_diff(self.ratio_grad, self.numeric)

    @property
    def ratio_own_error(self) -> float | None:
        """max |(a) ratio − e_y − finite differences of its own loss −log(o_y/Σo)|; None where that loss is undefined."""
        return _max_diff(self.ratio_grad, self.ratio_numeric) if np.isfinite(self.ratio_numeric).all() else None

    @property
    def one_hot_error(self) -> float:
        """max |(b) onehot − e_y − finite differences of L|."""
        return _max_diff(self.one_hot_grad, self.numeric)


def _max_diff(a: Array, b: Array) -> float:
    return float(np.max(np.abs(a - b)))


def _ratio_loss(o: Array, y: int) -> BatchLosses:
    """BatchLosses of the misread loss −log(o_y / Σ_j o_j), perturbing entries of o."""

    def losses(name: str, index: Index, shift: Array) -> Array:
        moved = np.repeat(o[np.newaxis], len(index), axis=0)
        moved[np.arange(len(index)), index] += shift
        with np.errstate(divide="ignore", invalid="ignore"):
            value: Array = -np.log(moved[:, y] / moved.sum(axis=1))
        return value[:, np.newaxis]

    return losses


def step_numbers(config: Config, t: int) -> StepNumbers:
    """Compute 10.18 at step t (1 ≤ t ≤ τ) beside its finite-difference estimate and the misreadings."""
    problem = build(config)
    tau = len(problem.y)
    if not 1 <= t <= tau:
        raise GradcheckError(f"--t: must be between 1 and τ = {tau}, got {t}")
    with np.errstate(all="ignore"):
        model = problem.model()
    assert isinstance(model, TanhRNN), "explain --t walks through Fig. 10.3's tanh RNN"
    trace = model.trace
    O, row, y = trace.o.shape[1], t - 1, int(problem.y[t - 1])
    found = estimate(model.perturbed_losses, "o", trace.o, row * O + np.arange(O), Method.CENTRAL, with_bound=True)
    grad = rnn.grad_o(trace.y_hat[row : row + 1], problem.y[row : row + 1])[0]  # (10.18)
    e_y = one_hot(y, O)
    o = trace.o[row]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = o / o.sum()
    ratio_numeric = estimate(_ratio_loss(o, y), "o", o, np.arange(O), Method.CENTRAL).values
    vocabulary = config.vocabulary
    return StepNumbers(
        t=t,
        tau=tau,
        y=y,
        symbol=vocabulary[y] if vocabulary else None,
        o=o,
        y_hat=trace.y_hat[row],
        e_y=e_y,
        grad=grad,
        numeric=found.values,
        matches=not mismatched(grad, found.values, 0.0, 0.0, found.bound).any(),
        ratio=ratio,
        ratio_grad=ratio - e_y,
        ratio_numeric=ratio_numeric,
        one_hot_grad=one_hot(int(np.argmax(trace.y_hat[row])), O) - e_y,
    )
