"""The gradient check: analytic gradients from BPTT against finite differences of the forward pass."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from gradcheck import rnn
from gradcheck.bugs import Bug
from gradcheck.compare import ParamResult, compare, gradient_scale, limit
from gradcheck.config import Config, H0Mode
from gradcheck.numerics import PASSES_PER_ENTRY, THREADS, BatchLosses, Estimate, Index, Method, chunked, estimate
from gradcheck.problem import Problem, build


@dataclass(frozen=True)
class Equation:
    """One row of the equation table: a book equation and the gradient it defines."""

    number: str
    formula: str
    target: str  # a parameter name, or "o" / "h" for the intermediate nodes


EQUATIONS = (
    Equation("10.18", "(∇o(t)L)_i = ŷ_i(t) − 1[i = y(t)]", "o"),
    Equation("10.19", "∇h(τ)L = Vᵀ ∇o(τ)L", "h"),
    Equation("10.21", "∇h(t)L = Wᵀ diag(1 − h(t+1)²) ∇h(t+1)L + Vᵀ ∇o(t)L, t < τ", "h"),
    Equation("10.22", "∇c L = Σ_t ∇o(t)L", "c"),
    Equation("10.23", "∇b L = Σ_t diag(1 − h(t)²) ∇h(t)L", "b"),
    Equation("10.24", "∇V L = Σ_t ∇o(t)L h(t)ᵀ", "V"),
    Equation("10.26", "∇W L = Σ_t diag(1 − h(t)²) ∇h(t)L h(t−1)ᵀ", "W"),
    Equation("10.28", "∇U L = Σ_t diag(1 − h(t)²) ∇h(t)L x(t)ᵀ", "U"),
    Equation("h(0)", "∇h(0)L = Wᵀ diag(1 − h(1)²) ∇h(1)L", "h0"),
)


@dataclass(frozen=True)
class EquationResult:
    """An equation and how its gradient compares with finite differences of L w.r.t. that node.

    For the nodes o and h, row.worst_index is (t − 1, i): time-major, as in the export.
    """

    equation: Equation
    row: ParamResult


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check: a row per parameter (and per equation), and what produced them.

    steps: (smallest, largest) finite-difference step used; elapsed: wall seconds of the check;
    bug: the injected bug the analytic side ran with, if any; nonfinite_loss: where the forward pass
    first produced NaN or inf, as (t, node), when the loss is not finite.
    """

    config: Config
    loss: float
    params: tuple[ParamResult, ...]
    equations: tuple[EquationResult, ...]
    steps: tuple[float, float]
    elapsed: float
    bug: Bug | None = None
    nonfinite_loss: tuple[int, str] | None = None

    @property
    def passed(self) -> bool:
        rows_pass = all(row.passed for row in self.params) and all(e.row.passed for e in self.equations)
        return rows_pass and self.nonfinite_loss is None

    @property
    def method(self) -> Method:
        return self.config.check.method

    @property
    def rows(self) -> dict[str, ParamResult]:
        """Every row by key: parameter names, then the node equations 10.18, 10.19, 10.21."""
        nodes = {e.equation.number: e.row for e in self.equations if e.equation.target in ("o", "h")}
        return {row.name: row for row in self.params} | nodes

    @property
    def failing(self) -> frozenset[str]:
        return frozenset(key for key, row in self.rows.items() if not row.passed)


@dataclass(frozen=True)
class Numerical:
    """Finite-difference estimates for one problem: per parameter or node, the entries checked and their estimates.

    With check.directions = K, parameters are estimated along K random unit directions instead:
    directions[name] is (K, *shape) and estimates[name] holds the K directional derivatives.
    """

    problem: Problem
    loss: float
    index: dict[str, Index]
    estimates: dict[str, Estimate]
    elapsed: float
    directions: dict[str, rnn.Array] = field(default_factory=dict)

    @property
    def steps(self) -> tuple[float, float]:
        all_steps = np.concatenate([e.steps for e in self.estimates.values()] or [np.zeros(1)])
        return float(all_steps.min()), float(all_steps.max())


def sample_index(size: int, sample: int | str, rng: np.random.Generator) -> Index:
    """Every flat index, or `sample` distinct ones in increasing order (all if sample ≥ size)."""
    if sample == "all" or int(sample) >= size:
        return np.arange(size)
    return np.sort(rng.choice(size, size=int(sample), replace=False))


def targets(config: Config) -> tuple[str, ...]:
    """What gets estimated: the checked parameters, then the nodes o and h if equations are on."""
    return config.checked_params + (("o", "h") if config.check.equations else ())


Progress = Callable[[str, int, int], None]  # (what is being estimated, done, total)


def numerical(config: Config, progress: Progress | None = None) -> Numerical:
    """Estimate ∂L/∂θ for every target entry by finite differences of the forward pass alone."""
    start = time.perf_counter()
    problem = build(config)
    check = config.check
    trace = rnn.forward(problem.params, problem.x, problem.y)
    values = dict(problem.params) | {"o": trace.o, "h": trace.h}

    rng = np.random.default_rng(problem.sample_seed)
    K = check.directions
    directions = {name: unit_directions(rng, K, values[name].shape) for name in config.checked_params} if K else {}
    index = {name: sample_index(values[name].size, check.sample, rng) for name in targets(config) if name not in directions}
    bounded = not config.fixed_tolerance
    per_entry = PASSES_PER_ENTRY[check.method][1 if bounded else 0]
    total = per_entry * (sum(len(i) for i in index.values()) + sum(len(d) for d in directions.values()))
    counted = _Counter(progress, total)
    batched, along = entry_losses(problem, counted), direction_losses(problem, directions, counted)
    found: dict[str, Estimate] = {}
    for name in [*index, *directions]:
        if name in directions:
            index[name] = np.arange(len(directions[name]))
            found[name] = estimate(along, name, np.zeros(len(index[name])), index[name], check.method, check.eps, bounded)
        else:
            found[name] = estimate(batched, name, values[name], index[name], check.method, check.eps, bounded)
    return Numerical(problem, trace.loss, index, found, time.perf_counter() - start, directions)


def unit_directions(rng: np.random.Generator, K: int, shape: tuple[int, ...]) -> rnn.Array:
    """K random directions of unit norm in a parameter's space: (K, *shape)."""
    u = rng.standard_normal((K, *shape))
    norms = np.sqrt((u.reshape(K, -1) ** 2).sum(axis=1))
    unit: rnn.Array = u / norms.reshape(K, *([1] * len(shape)))
    return unit


def direction_losses(
    problem: Problem, directions: dict[str, rnn.Array], counter: Callable[[str, int], None] | None = None
) -> BatchLosses:
    """BatchLosses along dense directions: index k means direction k of `name`."""

    def losses(name: str, index: Index, shift: rnn.Array) -> rnn.Array:
        out = rnn.directional_losses(problem.params, problem.x, problem.y, name, directions[name], index, shift)
        if counter is not None:
            counter(name, len(index))
        return out

    return losses


def localise(num: Numerical, name: str, gradient: rnn.Array, scale: float, seed: int = 0) -> ParamResult:
    """Find the worst entry of a parameter whose directional check failed, by bisection.

    Split the candidate entries in two, check one random direction on each half, keep the half that
    disagrees more, repeat down to 64 entries and check those one by one: about 2·log₂(size) directional
    estimates instead of one per entry.
    """
    check = num.problem.config.check
    rng = np.random.default_rng(seed)
    flat = gradient.reshape(-1)
    candidates = np.arange(flat.size)
    while len(candidates) > 64:
        halves = np.array_split(rng.permutation(candidates), 2)
        u = np.zeros((2, flat.size))
        for k, half in enumerate(halves):
            u[k, half] = rng.standard_normal(len(half))
            u[k] /= np.linalg.norm(u[k])
        along = direction_losses(num.problem, {name: u.reshape(2, *gradient.shape)})
        est = estimate(along, name, np.zeros(2), np.arange(2), check.method, check.eps, with_bound=True)
        projected = u @ flat
        severity = np.abs(projected - est.values) / limit(projected, est.values, check.rtol, check.atol, est.bound, scale)
        candidates = halves[int(np.nanargmax(np.where(np.isnan(severity), np.inf, severity)))]
    index = np.sort(candidates)
    entries = estimate(entry_losses(num.problem), name, num.problem.params[name], index, check.method, check.eps, True)
    return compare(name, gradient, index, entries.values, check.rtol, check.atol, entries.bound, scale, entries.vanished)


class _Counter:
    """Counts perturbed forward passes as chunks finish (from any thread) and reports them to a Progress."""

    def __init__(self, progress: Progress | None, total: int) -> None:
        self.progress, self.total, self.done, self.lock = progress, total, 0, threading.Lock()

    def __call__(self, name: str, rows: int) -> None:
        if self.progress is None:
            return
        with self.lock:
            self.done = min(self.total, self.done + rows)
            self.progress(name, self.done, self.total)


def entry_losses(problem: Problem, counter: Callable[[str, int], None] | None = None) -> BatchLosses:
    """The batched perturbed forward pass of the problem, chunked to the memory budget on THREADS threads.

    counter(name, rows) is told of every chunk that finishes.
    """
    config, p = problem.config, problem.params
    I, H, O, tau = config.sizes
    complex_step = config.check.method is Method.COMPLEX_STEP
    clean = rnn.forward(p, problem.x, problem.y)  # every chunk starts from it

    def losses(name: str, index: Index, shift: rnn.Array) -> rnn.Array:
        out = rnn.perturbed_losses(p, problem.x, problem.y, name, index, shift, clean)
        if counter is not None:
            counter(name, len(index))
        return out

    def batched(name: str, index: Index, shift: rnn.Array) -> rnn.Array:
        budget = config.check.memory_mb * 2**20 // THREADS  # bytes per thread
        rows = max(1, min(8192, budget // rnn.row_bytes(name, I, H, O, tau, complex_step)))
        return chunked(losses, rows)(name, index, shift)

    return batched


def analytic(problem: Problem, bug: Bug | None = None) -> tuple[rnn.Trace, rnn.Grads]:
    """Forward pass and BPTT on the problem (10.8–10.28), or the bug's wrong backward pass."""
    trace = rnn.forward(problem.params, problem.x, problem.y)
    return trace, (bug.backward if bug else rnn.backward)(problem.params, trace)


def _compare(name: str, analytic: rnn.Array, num: Numerical, target: str, scale: float, keep: Index | None = None) -> ParamResult:
    est, index = num.estimates[target], num.index[target]
    config = num.problem.config
    bound = None if config.fixed_tolerance else est.bound
    picked = slice(None) if keep is None else keep
    return compare(
        name,
        analytic,
        index[picked],
        est.values[picked],
        config.check.rtol,
        config.check.atol,
        None if bound is None else bound[picked],
        scale,
        None if est.vanished is None else est.vanished[picked],
    )


def _directional(num: Numerical, name: str, gradient: rnn.Array, scale: float) -> ParamResult:
    """uᵀ∇L against the directional finite differences; a failure is localised to its worst entry."""
    u = num.directions[name]
    projected = u.reshape(len(u), -1) @ gradient.reshape(-1)
    row = replace(_compare(name, projected, num, name, scale), shape=gradient.shape, unit="directions")
    if row.passed:
        return row
    located = localise(num, name, gradient, scale)
    return replace(
        row,
        worst_index=located.worst_index,
        worst_analytic=located.worst_analytic,
        worst_numeric=located.worst_numeric,
        worst_limit=located.worst_limit,
    )


def equation_rows(grads: rnn.Grads, num: Numerical, params: tuple[ParamResult, ...], scale: float) -> tuple[EquationResult, ...]:
    """One row per equation; the parameter equations reuse the parameter rows."""
    by_name = {row.name: row for row in params}
    tau = len(grads.h)
    time_of_h = num.index["h"] // grads.h.shape[1] if "h" in num.index else np.zeros(0, dtype=np.intp)
    rows = []
    for eq in EQUATIONS:
        if eq.target == "o":
            row = _compare("∇o(t)L", grads.o, num, "o", scale)
        elif eq.number == "10.19":
            row = _compare("∇h(τ)L", grads.h, num, "h", scale, np.flatnonzero(time_of_h == tau - 1))
        elif eq.number == "10.21":
            if tau == 1:
                continue  # no t < τ
            row = _compare("∇h(t)L", grads.h, num, "h", scale, np.flatnonzero(time_of_h < tau - 1))
        elif eq.target in by_name:
            row = by_name[eq.target]
        else:
            continue
        rows.append(EquationResult(eq, row))
    return tuple(rows)


def evaluate(num: Numerical, bug: Bug | None = None) -> CheckResult:
    """Compare the analytic gradients (clean or with a bug) against estimates already made."""
    start = time.perf_counter()
    config = num.problem.config
    trace, grads = analytic(num.problem, bug)
    scale = gradient_scale(g for _, g in grads.params)
    params = tuple(
        _directional(num, name, grads.params[name], scale)
        if name in num.directions
        else _compare(name, grads.params[name], num, name, scale)
        for name in config.checked_params
    )
    equations = equation_rows(grads, num, params, scale) if config.check.equations else ()
    elapsed = num.elapsed + time.perf_counter() - start
    return CheckResult(config, num.loss, params, equations, num.steps, elapsed, bug, first_nonfinite(trace))


def first_nonfinite(trace: rnn.Trace) -> tuple[int, str] | None:
    """Where the forward pass first produced NaN or inf: (t, node) with t counted from 1, or None if L is finite."""
    if np.isfinite(trace.loss):
        return None
    for t in range(len(trace.losses)):
        for node, values in (("a(t)", trace.a[t]), ("h(t)", trace.h[t]), ("o(t)", trace.o[t]), ("L(t)", trace.losses[t])):
            if not np.isfinite(values).all():
                return t + 1, node
    return len(trace.losses), "L"


def run_bugs(
    config: Config, bugs: tuple[Bug, ...], progress: Progress | None = None
) -> tuple[CheckResult, tuple[CheckResult, ...]]:
    """The clean check and one per bug, all against the same finite-difference estimates (made once)."""
    with np.errstate(all="ignore"):
        num = numerical(config, progress)
        return evaluate(num), tuple(evaluate(num, bug) for bug in bugs)


def run(config: Config, bug: Bug | None = None, progress: Progress | None = None) -> CheckResult:
    """Check every selected parameter's analytic gradient (and every equation, if asked) against finite differences.

    Overflow is not an error here: NaN and inf are carried into the rows and reported as failures.
    """
    with np.errstate(all="ignore"):
        return evaluate(numerical(config, progress), bug)


def export_arrays(config: Config) -> dict[str, np.ndarray]:
    """The problem and its analytic results under the names of DESIGN.md §5."""
    problem = build(config)
    trace, grads = analytic(problem)
    learned = config.model.h0 is H0Mode.LEARNED
    arrays: dict[str, np.ndarray] = dict(problem.params)
    arrays |= {"x": problem.x, "y": problem.y.astype(np.int64), "loss": np.asarray(trace.loss)}
    arrays |= {f"grad_{name}": g for name, g in grads.params if name != "h0" or learned}
    arrays |= {"h": trace.h, "y_hat": trace.y_hat, "grad_o": grads.o, "grad_h": grads.h}
    return arrays
