"""The library API: check the gradient of any numpy function of named arrays with the same engine as the CLI."""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from gradcheck.arguments import (
    MutationWarning,
    Point,
    PrecisionWarning,
    check_options,
    gradients_of,
    loss_of,
    point_of,
    short,
    watched,
)
from gradcheck.engine.batching import sample_index
from gradcheck.engine.compare import ATOL, RTOL, ParamResult, Verdict, gradient_scale
from gradcheck.engine.confirm import Opinion, Tolerance, amplified, judge
from gradcheck.engine.methods import COMPLEX_STEP, RULES, SWEEP_TITLE, Method, estimate, step_sweep
from gradcheck.engine.model import Array, BatchLosses, Index
from gradcheck.engine.noise import START_SCALE, search_noise

Arrays = Mapping[str, NDArray[Any]]
Loss = Callable[[Point], Any]


@dataclass(frozen=True)
class GradientReport(Mapping[str, ParamResult]):
    """The result of check_gradients: one row per named array, the same columns and verdict as `gradcheck run`.

    A read-only mapping {name: ParamResult} in the order of params, equal to another when the results are (run time
    aside). Shows itself as the table in a terminal (rich), in a notebook (HTML) and as plain text (str).
    """

    params: tuple[ParamResult, ...]
    method: Method
    tolerance: str
    loss: float
    elapsed: float = field(compare=False)

    @property
    def verdict(self) -> Verdict:
        """FAIL if an array's gradient is confirmed wrong, UNDECIDED if one could not be judged, else PASS."""
        return Verdict.of(row.verdict for row in self.params)

    @property
    def passed(self) -> bool:
        return self.verdict is Verdict.PASS

    def __getitem__(self, name: str) -> ParamResult:
        for row in self.params:
            if row.name == name:
                return row
        raise KeyError(f"no array named {short(name)}; the report has {', '.join(repr(row.name) for row in self.params)}")

    def __iter__(self) -> Iterator[str]:
        return (row.name for row in self.params)

    def __len__(self) -> int:
        return len(self.params)

    # Rendering is imported on first display only: `import gradcheck` stays free of rich.
    def __rich__(self) -> Any:
        from gradcheck.render.tables import gradient_report

        return gradient_report(self)

    def __str__(self) -> str:
        from gradcheck.render.console import plain_text
        from gradcheck.render.tables import gradient_report

        return plain_text(gradient_report(self))

    def _repr_html_(self) -> str:
        from gradcheck.render.console import html
        from gradcheck.render.tables import gradient_report

        return html(gradient_report(self))


def check_gradients(
    f: Loss,
    grad_f: Callable[[Point], Mapping[str, NDArray[Any]]],
    params: Arrays,
    *,
    method: Method | str = Method.CENTRAL,
    eps: float | str = "auto",
    tolerance: str = "auto",
    rtol: float = RTOL,
    atol: float = ATOL,
    sample: int | str = "all",
    seed: int = 0,
) -> GradientReport:
    """Compare grad_f(params) with finite differences of f, entry by entry, for every named array.

    Args:
        f: params -> the scalar loss (float64; complex-safe if method is "complex-step").
        grad_f: params -> {name: ∂f/∂params[name]}, same keys and shapes.
        params: the point to check at, {name: real array}; never modified (f and grad_f get copies).
        method: "central", "forward", "richardson" or "complex-step".
        eps: "auto" (scaled per entry) or a step.
        tolerance: "auto" (the method's own error bound) or "fixed" (rtol and atol).
        sample: "all" entries or N random entries per array (seeded by `seed`).

    Returns:
        A GradientReport; `.passed` is the verdict.

    Raises:
        TypeError, ValueError: a misused argument or a return of f or grad_f of the wrong kind, named in the message.
    """
    start = time.perf_counter()
    check_options(f, grad_f, method=method, tolerance=tolerance, eps=eps, rtol=rtol, atol=atol, sample=sample, seed=seed)
    method = Method(method)
    point = point_of(params)
    loss = loss_of(watched("f", f, point)).real
    gradients = gradients_of(watched("grad_f", grad_f, point), point)
    losses = _one_by_one(f, point)
    if method is Method.COMPLEX_STEP:
        _require_complex_safe(losses, point, gradients)
    rng = np.random.default_rng(seed)
    index = {name: sample_index(value.size, sample, rng) for name, value in point.items()}
    noise = 0.0 if tolerance == "fixed" else _noise(f, point, rng)
    tol = Tolerance(rtol, atol, tolerance == "fixed", gradient_scale(gradients.values()), amplified(noise, loss), noise)
    second = _second_opinion(f, point, losses, method, noise, rng)
    rows = []
    with np.errstate(all="ignore"):  # an overflowing step or loss is a row that says so (nonfinite, undecided)
        for name, value in point.items():
            est = estimate(losses, name, value, index[name], method, eps, with_bound=not tol.fixed, noise=noise, lazy=True)
            rows.append(judge(name, gradients[name], index[name], est, tol, second))
    return GradientReport(tuple(rows), method, tolerance, loss, time.perf_counter() - start)


# --- the engine's view of f -----------------------------------------------------------------------------------------


def _one_by_one(f: Loss, point: Point) -> BatchLosses:
    """A BatchLosses over f: each perturbed copy is one call of f on fresh copies of every array (f is a black box)."""

    def losses(name: str, index: Index, shift: NDArray[Any]) -> NDArray[Any]:
        out = np.empty((len(index), 1), dtype=np.result_type(shift, np.float64))
        for row, (k, s) in enumerate(zip(index, shift, strict=True)):
            moved = {key: value.astype(out.dtype) if key == name else value.copy() for key, value in point.items()}
            moved[name].reshape(-1)[k] += s
            try:
                value = loss_of(f(moved), real=not np.iscomplexobj(shift))
            except TypeError as error:
                if not np.iscomplexobj(shift):
                    raise
                raise TypeError(f'method="complex-step" needs f to accept complex arrays: {error}') from error
            out[row, 0] = value if np.iscomplexobj(out) else value.real
        return out

    return losses


def _along(f: Loss, point: Point, rng: np.random.Generator) -> Callable[[Array], Array]:
    """f at θ + s·u for each shift s, u a random unit direction over every array (real or complex shifts)."""
    u = {name: rng.standard_normal(value.shape) for name, value in point.items()}
    norm = np.sqrt(sum(float((d**2).sum()) for d in u.values()))

    def values(shifts: Array) -> Array:
        return np.array([loss_of(f({name: point[name] + s * u[name] / norm for name in point})).real for s in shifts])

    return values


def _noise(f: Loss, point: Point, rng: np.random.Generator) -> float:
    """f's rounding noise at the point (Moré & Wild), along one random direction."""
    scale = max((float(np.abs(value).max(initial=1.0)) for value in point.values()), default=1.0)
    if not np.isfinite(scale):
        return 0.0
    try:
        return search_noise(_along(f, point, rng), START_SCALE * scale).sigma
    except ValueError:  # f is not finite near the point: nothing to measure
        return 0.0


def _second_opinion(
    f: Loss, point: Point, losses: BatchLosses, method: Method, noise: float, rng: np.random.Generator
) -> Opinion:
    """The independent estimate that confirms failures: the complex step when f is complex-safe (tried on one call)
    and was not the first method; otherwise a Richardson step sweep."""
    use_complex = method is not Method.COMPLEX_STEP and _complex_safe(losses, point)

    def second(name: str, index: Index) -> tuple[Array, Array]:
        if use_complex:
            found = estimate(losses, name, point[name], index, Method.COMPLEX_STEP, with_bound=True)
        else:
            found = step_sweep(losses, name, point[name], index, noise)
        assert found.bound is not None
        return found.values, found.bound

    title = RULES[Method.COMPLEX_STEP].title if use_complex else SWEEP_TITLE
    return Opinion(second, title, "check at another point, or scale the inputs down", exact=use_complex)


def _complex_tries(losses: BatchLosses, entries: Mapping[str, int]) -> list[complex]:
    """f with an imaginary perturbation at one entry of each array, exactly as the complex step will call it."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")  # ComplexWarning: f dropped the imaginary part, which the caller sees
        return [complex(losses(name, np.array([k]), np.array([1j * COMPLEX_STEP]))[0, 0]) for name, k in entries.items()]


def _complex_safe(losses: BatchLosses, point: Point) -> bool:
    """Whether f carries an imaginary perturbation through, tried once per array (on its first entry):
    no error, finite values, and a non-zero imaginary part somewhere."""
    try:
        tried = _complex_tries(losses, dict.fromkeys(point, 0))
    except (TypeError, ValueError, ArithmeticError):
        return False
    return all(np.isfinite(value) for value in tried) and any(value.imag != 0 for value in tried)


def _require_complex_safe(losses: BatchLosses, point: Point, gradients: Mapping[str, Array]) -> None:
    """Under method="complex-step", f must keep the imaginary part: tried at each array's largest analytic gradient
    entry, a zero imaginary part everywhere while f moves under a real step there and grad_f is non-zero is a
    TypeError (f raising TypeError on complex input already is one)."""
    entries = {name: int(np.argmax(np.where(np.isfinite(g), np.abs(g), -1.0))) for name, g in gradients.items()}
    tried = _complex_tries(losses, entries)
    if any(value.imag != 0 for value in tried):
        return
    for name, k in entries.items():
        if gradients[name].reshape(-1)[k] == 0:
            continue
        h = 1e-6 * max(1.0, abs(float(point[name].reshape(-1)[k])))
        moved = losses(name, np.array([k, k]), np.array([h, -h]))
        if moved[0, 0] != moved[1, 0]:
            raise TypeError(
                'method="complex-step" needs f to carry complex arrays through: f(params) dropped the imaginary part '
                "(float(), np.real or astype(float) inside f?)"
            )


__all__ = ["GradientReport", "MutationWarning", "PrecisionWarning", "check_gradients"]
