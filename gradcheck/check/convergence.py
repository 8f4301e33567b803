"""Convergence studies of the same check: the Taylor test and the step-size sweep."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from gradcheck.book.network import Bug
from gradcheck.check.config import Config
from gradcheck.check.problem import build
from gradcheck.check.run import Progress
from gradcheck.engine.batching import entry_losses, sample_index
from gradcheck.engine.compare import Verdict, compare
from gradcheck.engine.directions import random_directions
from gradcheck.engine.methods import Method, auto_step, estimate
from gradcheck.engine.model import Array

TAYLOR_STEPS: Array = 0.1 * 2.0 ** -np.arange(14.0)  # ε from 0.1 down to 1.2e-5, halving


@dataclass(frozen=True)
class TaylorRow:
    """The Taylor remainder r(ε) = |L(θ + εu) − L(θ) − ε uᵀ∇L| of one parameter along a random unit u.

    orders[k] = log(r_k / r_{k+1}) / log(ε_k / ε_{k+1}) between successive steps; order: their median over
    the `usable` steps whose remainder stands above round-off and is finite. Right gradients give 2 (PASS), wrong
    ones 1 (FAIL); fewer than three usable steps, or any other order, cannot be judged (UNDECIDED, `reason`).
    """

    name: str
    eps: Array
    remainders: Array
    orders: Array
    order: float
    usable: int = TAYLOR_STEPS.size - 1

    @property
    def verdict(self) -> Verdict:
        if not self.remainders.any():
            return Verdict.PASS  # L does not move along u, and uᵀ∇L is exactly 0: nothing wrong to see
        if self.usable < 3:
            return Verdict.UNDECIDED
        if self.order >= 1.8:
            return Verdict.PASS
        return Verdict.FAIL if 0.7 <= self.order < 1.3 else Verdict.UNDECIDED

    @property
    def passed(self) -> bool:
        return self.verdict is Verdict.PASS

    @property
    def reason(self) -> str:
        if self.verdict is not Verdict.UNDECIDED:
            return ""
        if not np.isfinite(self.remainders).all():
            return f"{self.name}: the remainder is not finite (the loss overflows along u): lower init_std"
        if self.usable < 3:
            return f"{self.name}: the remainders sit at round-off (only {self.usable} steps above it): nothing to measure"
        return f"{self.name}: the remainder shrinks at order {self.order:.2f}, neither 2 nor 1: the loss is not smooth here"


@dataclass(frozen=True)
class TaylorResult:
    config: Config
    loss: float
    rows: tuple[TaylorRow, ...]
    elapsed: float
    bug: Bug | None = None

    @property
    def verdict(self) -> Verdict:
        return Verdict.of(row.verdict for row in self.rows)

    @property
    def passed(self) -> bool:
        return self.verdict is Verdict.PASS


def taylor(config: Config, bug: Bug | None = None) -> TaylorResult:
    """The step-free verdict of adjoint-model verification: the Taylor remainder's convergence order per parameter."""
    with np.errstate(all="ignore"):  # overflow shows as a NaN remainder and order 0: a failure, not a warning
        return _taylor(config, bug)


def _taylor(config: Config, bug: Bug | None) -> TaylorResult:
    start = time.perf_counter()
    problem = build(config)
    model = problem.model(bug)
    gradients = model.gradients()
    rng = np.random.default_rng(problem.sample_seed)
    rows = []
    for name in config.checked_params:
        u = random_directions(rng, 1, model.params[name].shape, dense=True)
        slope = float(u.project(gradients[name])[0])  # uᵀ∇L
        moved = model.directional_losses(name, u, np.zeros(len(TAYLOR_STEPS), dtype=np.intp), TAYLOR_STEPS).sum(axis=1)
        remainders = np.abs(moved - model.loss - TAYLOR_STEPS * slope)
        with np.errstate(divide="ignore", invalid="ignore"):
            orders = np.log(remainders[:-1] / remainders[1:]) / np.log(2.0)
        floor = 1e4 * np.finfo(np.float64).eps * max(abs(model.loss), 1.0)  # below this, round-off decides
        usable = orders[(remainders[1:] > floor) & np.isfinite(orders)]
        order = float(np.median(usable)) if usable.size else 0.0
        rows.append(TaylorRow(name, TAYLOR_STEPS, remainders, orders, order, int(usable.size)))
    return TaylorResult(config, model.loss, tuple(rows), time.perf_counter() - start, bug)


SWEEP_STEPS: Array = 10.0 ** (-1 - np.arange(25) / 2)  # 1e-1 … 1e-13, two per decade


@dataclass(frozen=True)
class SweepResult:
    """Error against step size: errors[method][param] holds the norm-wise relative error at each step in eps.

    auto[method] is the step eps = "auto" takes for an entry with |θ| ≤ 1 (None for the complex step's 1e-20).
    """

    config: Config
    eps: Array
    errors: dict[str, dict[str, Array]]
    auto: dict[str, float | None]
    elapsed: float


def sweep(config: Config, methods: tuple[Method, ...], progress: Progress | None = None) -> SweepResult:
    """Estimate every checked entry at every step of SWEEP_STEPS for every method: the V where truncation meets round-off.

    One problem, one set of sampled entries and one analytic gradient; only the step varies.
    """
    with np.errstate(all="ignore"):  # overflow shows as NaN and inf errors in the curves
        return _sweep(config, methods, progress)


def _sweep(config: Config, methods: tuple[Method, ...], progress: Progress | None) -> SweepResult:
    start = time.perf_counter()
    problem = build(config)
    model = problem.model()
    gradients = model.gradients()
    rng = np.random.default_rng(problem.sample_seed)
    index = {name: sample_index(gradients[name].size, config.check.sample, rng) for name in config.checked_params}
    check = config.check
    errors: dict[str, dict[str, Array]] = {}
    total, done = len(methods) * len(SWEEP_STEPS), 0
    for method in methods:
        losses = entry_losses(model, check.memory_bytes, method is Method.COMPLEX_STEP)
        curves = {name: np.empty(len(SWEEP_STEPS)) for name in config.checked_params}
        for k, eps in enumerate(SWEEP_STEPS):
            if progress:
                progress(f"{method.value} ε = {eps:.0e}", done, total)
            for name, entries in index.items():
                found = estimate(losses, name, model.params[name], entries, method, float(eps))
                row = compare(name, gradients[name], entries, found.values, check.rtol, check.atol, vanished=found.vanished)
                curves[name][k] = row.norm_rel_err
            done += 1
        errors[method.value] = curves
    auto = {m.value: None if m is Method.COMPLEX_STEP else float(auto_step(np.zeros(1), m)[0]) for m in methods}
    return SweepResult(config, SWEEP_STEPS, errors, auto, time.perf_counter() - start)
