"""The gradient check: analytic gradients from BPTT against finite differences of the forward pass."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from gradcheck import rnn
from gradcheck.compare import ParamResult, compare
from gradcheck.config import Config
from gradcheck.numerics import Index, Method, chunked, estimate
from gradcheck.problem import Problem, build


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check: a row per parameter, and what produced them.

    steps: (smallest, largest) finite-difference step used; elapsed: wall seconds of the check.
    """

    config: Config
    loss: float
    params: tuple[ParamResult, ...]
    steps: tuple[float, float]
    elapsed: float

    @property
    def passed(self) -> bool:
        return all(row.passed for row in self.params)

    @property
    def method(self) -> Method:
        return self.config.check.method


def sample_index(size: int, sample: int | str, rng: np.random.Generator) -> Index:
    """Every flat index, or `sample` distinct ones in increasing order (all if sample ≥ size)."""
    if sample == "all" or int(sample) >= size:
        return np.arange(size)
    return np.sort(rng.choice(size, size=int(sample), replace=False))


def analytic(problem: Problem) -> tuple[rnn.Trace, rnn.Grads]:
    """Forward pass and BPTT on the problem (10.8–10.28)."""
    trace = rnn.forward(problem.params, problem.x, problem.y)
    return trace, rnn.backward(problem.params, trace)


def run(config: Config) -> CheckResult:
    """Check the analytic gradient of every selected parameter against finite differences."""
    start = time.perf_counter()
    problem = build(config)
    check = config.check
    trace, grads = analytic(problem)
    p = problem.params

    def losses(name: str, index: Index, shift: rnn.Array) -> rnn.Array:
        return rnn.perturbed_losses(p, problem.x, problem.y, name, index, shift)

    batched = chunked(losses)
    rng = np.random.default_rng(problem.sample_seed)
    rows, steps = [], []
    for name in config.checked_params:
        index = sample_index(p[name].size, check.sample, rng)
        numeric = estimate(batched, name, p[name], index, check.method, check.eps)
        rows.append(compare(name, grads.params[name], index, numeric.values, check.rtol, check.atol))
        steps.append(numeric.steps)
    all_steps = np.concatenate(steps) if steps else np.zeros(1)
    return CheckResult(
        config=config,
        loss=trace.loss,
        params=tuple(rows),
        steps=(float(all_steps.min()), float(all_steps.max())),
        elapsed=time.perf_counter() - start,
    )


def export_arrays(config: Config) -> dict[str, np.ndarray]:
    """The problem and its analytic results under the names of DESIGN.md §5."""
    problem = build(config)
    trace, grads = analytic(problem)
    learned = config.model.h0.value == "learned"
    arrays: dict[str, np.ndarray] = dict(problem.params)
    arrays |= {"x": problem.x, "y": problem.y.astype(np.int64), "loss": np.asarray(trace.loss)}
    arrays |= {f"grad_{name}": g for name, g in grads.params if name != "h0" or learned}
    arrays |= {"h": trace.h, "y_hat": trace.y_hat, "grad_o": grads.o, "grad_h": grads.h}
    return arrays
