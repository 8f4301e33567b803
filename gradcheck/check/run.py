"""The gradient check: analytic gradients of a Model against finite differences of its forward pass."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field, replace

import numpy as np

from gradcheck.book.network import Bug
from gradcheck.book.rnn import log_softmax
from gradcheck.check.config import Config
from gradcheck.check.confirmation import ADVICE, SecondOpinion
from gradcheck.check.problem import Problem, build
from gradcheck.check.results import BugsResult, CheckResult, EquationResult
from gradcheck.engine.batching import JOINT, along_each, direction_losses, entry_losses, joint_direction_losses, sample_index
from gradcheck.engine.compare import ParamResult, Verdict, compare, gradient_scale, limit
from gradcheck.engine.confirm import Opinion, Tolerance, amplified, judge
from gradcheck.engine.directions import Directions, given_directions, random_directions
from gradcheck.engine.methods import RULES, Estimate, Method, estimate
from gradcheck.engine.model import Array, Index, Model, Move
from gradcheck.engine.noise import POINTS, START_SCALE, search_noise, stencil


@dataclass(frozen=True)
class Numerical:
    """Finite-difference estimates for one problem: per parameter or node, the entries checked and their estimates.

    With check.directions = K, parameters are estimated along K random unit directions instead:
    directions[name] holds K unit directions (rank one for a matrix: engine/directions.py) and estimates[name] the K
    directional derivatives.
    """

    problem: Problem
    model: Model
    index: dict[str, Index]
    estimates: dict[str, Estimate]
    elapsed: float
    directions: dict[str, Directions] = field(default_factory=dict)
    noise: dict[str, float] = field(default_factory=dict)  # the loss's measured rounding noise, moving each target
    rounding: dict[str, Array] = field(default_factory=dict)  # the backward pass's own rounding bound per entry
    second: SecondOpinion | None = None

    @property
    def steps(self) -> tuple[float, float]:
        all_steps = np.concatenate([e.steps for e in self.estimates.values()] or [np.zeros(1)])
        return float(all_steps.min()), float(all_steps.max())


def targets(config: Config, model: Model) -> tuple[str, ...]:
    """What gets estimated: the checked parameters, then the nodes if equations are on."""
    return config.checked_params + (tuple(model.nodes) if config.check.equations else ())


Progress = Callable[[str, int, int], None]  # (what is being estimated, done, total)


def numerical(
    config: Config, progress: Progress | None = None, differenced: Model | None = None, problem: Problem | None = None
) -> Numerical:
    """Estimate ∂L/∂θ for every target entry by finite differences of the forward pass alone.

    differenced: the model whose forward pass is differenced (a user's), by default the book's at the config's point;
    problem: the point, by default the config's (a user's class without biases: the config's with b = c = 0).
    """
    start = time.perf_counter()
    problem = problem or build(config)
    model = differenced or problem.model()
    check = config.check
    values = model.params | model.nodes
    rng = np.random.default_rng(problem.sample_seed)
    K = check.directions
    dense = check.dense_directions
    directions = {name: random_directions(rng, K, values[name].shape, dense) for name in config.checked_params} if K else {}
    index = {
        name: sample_index(values[name].size, check.sample, rng) for name in targets(config, model) if name not in directions
    }
    bounded = not config.fixed_tolerance
    per_entry = RULES[check.method].passes  # the bound's second step is measured later, only where it decides
    total = per_entry * (sum(len(i) for i in index.values()) + sum(len(d) for d in directions.values()))
    counted = _Counter(progress, total)
    complex_step = check.method is Method.COMPLEX_STEP
    batched = entry_losses(model, check.memory_bytes, complex_step, counted)
    joint, rows = joint_direction_losses(model, directions, counted)
    noise = measured_noises(model, [*index, *directions], rng) if bounded else {}
    found: dict[str, Estimate] = {}
    for name in index:
        found[name] = estimate(
            batched, name, values[name], index[name], check.method, check.eps, bounded, noise.get(name, 0.0), lazy=True
        )
    if directions:  # every parameter's directions in one estimate: their copies share batches
        floor = np.concatenate([np.full(len(rows[name]), noise.get(name, 0.0)) for name in directions])
        count = len(floor)
        both = estimate(joint, JOINT, np.zeros(count), np.arange(count), check.method, check.eps, bounded, floor, lazy=True)
        for name in directions:
            index[name], found[name] = np.arange(len(directions[name])), both.subset(rows[name])
    second = SecondOpinion(model, check, directions, noise, complex_safe=differenced is None)
    elapsed = time.perf_counter() - start
    return Numerical(problem, model, index, found, elapsed, directions, noise, model.rounding(), second)


def measured_noises(model: Model, names: list[str], rng: np.random.Generator) -> dict[str, float]:
    """The loss's rounding noise at the point for each of `names`, measured moving it along one random direction
    (Moré & Wild); 0 where nothing can be measured.

    A parameter moves along a random unit direction (rank one for a matrix); a node (τ, n) moves at its last entry,
    which feeds L(τ). The first attempt of every parameter runs in one batch where the model mixes parameters (a large
    W is then read once per step, not once per parameter); a search that needs another step goes on alone.
    """
    values = model.params | model.nodes
    directions = {name: random_directions(rng, 1, values[name].shape) for name in names}
    starts = {name: START_SCALE * float(np.abs(values[name]).max(initial=1.0)) for name in names}
    measurable = [name for name in names if np.isfinite(starts[name]) and np.isfinite(model.loss)]  # else overflowing

    def along(name: str) -> Callable[[Array], Array]:
        def evaluate(shifts: Array) -> Array:
            if name in model.params:
                terms = model.directional_losses(name, directions[name], np.zeros(len(shifts), dtype=np.intp), shifts)
            else:
                last = np.full(len(shifts), values[name].size - 1, dtype=np.intp)
                terms = model.perturbed_losses(name, last, shifts)
            total: Array = terms.sum(axis=1)
            return total

        return evaluate

    moved = [name for name in measurable if name in model.params]
    moves = [Move(name, directions[name], np.zeros(POINTS, dtype=np.intp), stencil(starts[name])) for name in moved]
    first = {name: terms.sum(axis=1) for name, terms in zip(moved, along_each(model, moves), strict=True)}
    noise = dict.fromkeys(names, 0.0)
    for name in measurable:
        with suppress(ValueError):  # a non-finite loss near the point: nothing measured
            noise[name] = search_noise(along(name), starts[name], first=first.get(name)).sigma
    return noise


def localise(num: Numerical, name: str, gradient: Array, scale: float, seed: int = 0) -> ParamResult:
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
        along = direction_losses(num.model, {name: given_directions(u.reshape(2, *gradient.shape))})
        est = estimate(along, name, np.zeros(2), np.arange(2), check.method, check.eps, with_bound=True)
        projected = u @ flat
        severity = np.abs(projected - est.values) / limit(projected, est.values, check.rtol, check.atol, est.bound, scale)
        candidates = halves[int(np.nanargmax(np.where(np.isnan(severity), np.inf, severity)))]
    index = np.sort(candidates)
    complex_step = check.method is Method.COMPLEX_STEP
    losses = entry_losses(num.model, check.memory_bytes, complex_step)
    entries = estimate(losses, name, num.model.params[name], index, check.method, check.eps, True)
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


def _judge(
    name: str, analytic: Array, num: Numerical, target: str, scale: float, rounding: Array, keep: Index | None = None
) -> ParamResult:
    """The row of `target` (its entries in `keep`), every first-round failure confirmed by the second estimate.

    rounding: the backward pass's own rounding bound, the shape of `analytic`."""
    est, index = num.estimates[target], num.index[target]
    config = num.problem.config
    if keep is not None:
        est, index = est.subset(keep), index[keep]
    assert num.second is not None
    noise, amplification = num.noise.get(target, 0.0), amplified(num.noise.get(target, 0.0), num.model.loss)
    check = config.check
    tol = Tolerance(check.rtol, check.atol, config.fixed_tolerance, scale, amplification, noise, rounding.reshape(-1)[index])
    opinion = Opinion(num.second, num.second.title, ADVICE, exact=not num.second.sweep)
    return judge(name, analytic, index, est, tol, opinion, target, "directions" if target in num.directions else "entries")


def _directional(num: Numerical, name: str, gradient: Array, scale: float) -> ParamResult:
    """uᵀ∇L against the directional finite differences; a confirmed failure is localised to its worst entry."""
    u = num.directions[name]
    projected, rounding = u.project(gradient), u.project_abs(num.rounding[name])
    row = replace(_judge(name, projected, num, name, scale, rounding), shape=gradient.shape, unit="directions")
    if row.verdict is not Verdict.FAIL:
        return row
    located = localise(num, name, gradient, scale)
    return replace(
        row,
        worst_index=located.worst_index,
        worst_analytic=located.worst_analytic,
        worst_numeric=located.worst_numeric,
        worst_limit=located.worst_limit,
    )


def equation_rows(
    gradients: dict[str, Array], num: Numerical, params: tuple[ParamResult, ...], scale: float
) -> tuple[EquationResult, ...]:
    """One row per equation: a node equation compares the node's rows at its time steps; a parameter's reuses its row."""
    by_name = {row.name: row for row in params}
    rows = []
    for eq in num.model.equations:
        if eq.target in by_name:
            rows.append(EquationResult(eq, by_name[eq.target]))
        elif eq.target in num.index and eq.target in gradients:  # a user's code may not give the node's rows
            node = gradients[eq.target]
            tau, time_of = len(node), num.index[eq.target] // node.shape[1]
            keep = {"all": time_of >= 0, "last": time_of == tau - 1, "earlier": time_of < tau - 1}[eq.times]
            if eq.times == "earlier" and tau == 1:
                continue  # no t < τ
            if not keep.any():
                continue  # sampling picked no entry at these time steps: nothing to report, not a pass
            row = _judge(eq.gradient, node, num, eq.target, scale, num.rounding[eq.target], np.flatnonzero(keep))
            rows.append(EquationResult(eq, row, node=True))
    return tuple(rows)


def evaluate(num: Numerical, bug: Bug | None = None, gradients: dict[str, Array] | None = None) -> CheckResult:
    """Compare the analytic gradients (the model's, a bug's, or given ones: a user's) against estimates already made."""
    start = time.perf_counter()
    config = num.problem.config
    model = num.model if bug is None else num.problem.model(bug)
    gradients = model.gradients() if gradients is None else gradients
    scale = gradient_scale(gradients[name] for name in model.params)
    params = tuple(
        _directional(num, name, gradients[name], scale)
        if name in num.directions
        else _judge(name, gradients[name], num, name, scale, num.rounding[name])
        for name in config.checked_params
    )
    equations = equation_rows(gradients, num, params, scale) if config.check.equations else ()
    elapsed = num.elapsed + time.perf_counter() - start
    differs = _differs(num, gradients, params, equations) if bug is not None else frozenset()
    return CheckResult(config, model.loss, params, equations, num.steps, elapsed, bug, first_nonfinite(model), differs=differs)


def _differs(
    num: Numerical, gradients: dict[str, Array], params: tuple[ParamResult, ...], equations: tuple[EquationResult, ...]
) -> frozenset[str]:
    """The rows where a bug's gradient is not the right one (a relative difference over 1e-8 at an entry the row
    checks): what a bug should fail, told by its own arithmetic rather than by a hand-kept list (the contract test holds
    each bug's declared rows to it)."""
    right = num.model.gradients()

    def apart(name: str, index: Index) -> bool:
        wrong, good = gradients[name].reshape(-1)[index], right[name].reshape(-1)[index]
        return bool(np.any(np.abs(wrong - good) > 1e-8 * max(float(np.abs(right[name]).max(initial=0.0)), 1e-300)))

    every = {name: np.arange(right[name].size) for name in num.directions}  # directions see every entry
    rows = {row.name for row in params if apart(row.name, every.get(row.name, num.index.get(row.name, np.arange(0))))}
    for e in equations:
        target = e.equation.target
        if e.node and target in num.index:
            node, index = right[target], num.index[target]
            tau, times = len(node), index // node.shape[1]
            keep = {"all": times >= 0, "last": times == tau - 1, "earlier": times < tau - 1}[e.equation.times]
            if apart(target, index[keep]):
                rows.add(e.equation.number)
    return frozenset(rows)


def run_bugs(config: Config, bugs: tuple[Bug, ...], progress: Progress | None = None) -> BugsResult:
    """The clean check and one per bug, all against the same finite-difference estimates (made once)."""
    with np.errstate(all="ignore"):
        num = numerical(config, progress)
        return BugsResult(evaluate(num), tuple(evaluate(num, bug) for bug in bugs))


def run(config: Config, bug: Bug | None = None, progress: Progress | None = None) -> CheckResult:
    """Check every selected parameter's analytic gradient (and every equation, if asked) against finite differences.

    Overflow is not an error here: NaN and inf are carried into the rows and reported as failures.
    """
    with np.errstate(all="ignore"):
        return evaluate(numerical(config, progress), bug)


def export_arrays(config: Config) -> dict[str, np.ndarray]:
    """The problem and its analytic results under the names of DESIGN.md §5: every parameter, x, y, L, the gradient
    of every checked parameter, every node (τ, n) and its gradient, and ŷ(t) = softmax o(t)."""
    problem = build(config)
    model = problem.model()
    grads, nodes = model.gradients(), model.nodes
    arrays: dict[str, np.ndarray] = dict(problem.params)
    arrays |= {"x": problem.x, "y": problem.y.astype(np.int64), "loss": np.asarray(model.loss)}
    arrays |= {f"grad_{name}": grads[name] for name in model.params}
    arrays |= nodes | {f"grad_{name}": grads[name] for name in nodes}
    return arrays | {"y_hat": np.exp(log_softmax(nodes["o"]))}


def first_nonfinite(model: Model) -> tuple[int, str] | None:
    """Where the forward pass first produced NaN or inf, as (t from 1, what: "a(t)"), or None when L is finite: at each
    step, what it makes in the order it makes it."""
    if np.isfinite(model.loss):
        return None
    values = model.values.items()
    for t in range(max(len(value) for _, value in values)):
        for name, value in values:
            if t < len(value) and not np.isfinite(value[t]).all():
                return t + 1, f"{name}(t)"
    return len(model.step_losses), "L"
