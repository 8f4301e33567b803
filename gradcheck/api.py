"""The library API: check the gradient of any numpy function of named arrays with the same engine as the CLI."""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from gradcheck.engine.batching import sample_index
from gradcheck.engine.compare import ParamResult, Verdict, gradient_scale
from gradcheck.engine.confirm import Opinion, Tolerance, amplified, judge
from gradcheck.engine.methods import COMPLEX_STEP, RULES, SWEEP_TITLE, Method, estimate, step_sweep
from gradcheck.engine.model import Array, BatchLosses, Index
from gradcheck.engine.noise import START_SCALE, search_noise

Arrays = Mapping[str, NDArray[Any]]


class PrecisionWarning(UserWarning):
    """Arrays below float64 were given: gradients are checked in float64 and tolerances are not widened."""


@dataclass(frozen=True)
class GradientReport:
    """The result of check_gradients: one row per named array, the same columns and verdict as `gradcheck run`.

    Shows itself as the table in a terminal (rich), in a notebook (HTML) and as plain text (str).
    """

    params: tuple[ParamResult, ...]
    method: Method
    tolerance: str
    loss: float
    elapsed: float

    @property
    def verdict(self) -> Verdict:
        """FAIL if an array's gradient is confirmed wrong, UNDECIDED if one could not be judged, else PASS."""
        return Verdict.of(row.verdict for row in self.params)

    @property
    def passed(self) -> bool:
        return self.verdict is Verdict.PASS

    def __getitem__(self, name: str) -> ParamResult:
        return next(row for row in self.params if row.name == name)

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


def _warn_below_float64(params: Arrays) -> None:
    for name, value in params.items():
        dtype = np.asarray(value).dtype
        if dtype.kind == "f" and dtype.itemsize < 8:
            warnings.warn(
                f"params[{name!r}] is {dtype}: finite differences in single precision are unreliable "
                "(round-off swamps the step); gradcheck evaluates f at float64 copies and widens no tolerance",
                PrecisionWarning,
                stacklevel=3,
            )


def _one_by_one(f: Callable[[dict[str, NDArray[Any]]], Any], point: dict[str, NDArray[Any]]) -> BatchLosses:
    """A BatchLosses over f: each perturbed copy is one call of f on copies of the arrays (f is a black box)."""

    def losses(name: str, index: Index, shift: NDArray[Any]) -> NDArray[Any]:
        out = np.empty((len(index), 1), dtype=np.result_type(shift, np.float64))
        for row, (k, s) in enumerate(zip(index, shift, strict=True)):
            moved = dict(point)
            moved[name] = point[name].astype(out.dtype, copy=True)
            moved[name].reshape(-1)[k] += s
            try:
                out[row, 0] = f(moved)
            except TypeError as error:
                if not np.iscomplexobj(shift):
                    raise
                raise TypeError(f'method="complex-step" needs f to accept complex arrays: {error}') from error
        return out

    return losses


def check_gradients(
    f: Callable[[dict[str, NDArray[Any]]], Any],
    grad_f: Callable[[dict[str, NDArray[Any]]], Mapping[str, NDArray[Any]]],
    params: Arrays,
    *,
    method: Method | str = Method.CENTRAL,
    eps: float | str = "auto",
    tolerance: str = "auto",
    rtol: float = 1e-5,
    atol: float = 1e-8,
    sample: int | str = "all",
    seed: int = 0,
) -> GradientReport:
    """Compare grad_f(params) with finite differences of f, entry by entry, for every named array.

    Args:
        f: params -> the scalar loss (float64; complex-safe if method is "complex-step").
        grad_f: params -> {name: ∂f/∂params[name]}, same shapes.
        params: the point to check at, {name: array}; never modified.
        method: "central", "forward", "richardson" or "complex-step".
        eps: "auto" (scaled per entry) or a step.
        tolerance: "auto" (the method's own error bound) or "fixed" (rtol and atol).
        sample: "all" entries or N random entries per array (seeded by `seed`).

    Returns:
        A GradientReport; `.passed` is the verdict.
    """
    start = time.perf_counter()
    method = Method(method)
    if tolerance not in ("auto", "fixed"):
        raise ValueError(f'tolerance must be "auto" or "fixed", got {tolerance!r}')
    _warn_below_float64(params)
    point = {name: np.asarray(value, dtype=np.float64) for name, value in params.items()}
    analytic = grad_f({name: value.copy() for name, value in point.items()})
    rng = np.random.default_rng(seed)
    losses = _one_by_one(f, point)
    gradients = {name: np.asarray(analytic[name], dtype=np.float64) for name in point}
    for name, gradient in gradients.items():
        if gradient.shape != point[name].shape:
            raise ValueError(f"grad_f returned shape {gradient.shape} for {name!r}, whose shape is {point[name].shape}")
    index = {name: sample_index(value.size, sample, rng) for name, value in point.items()}
    noise = 0.0 if tolerance == "fixed" else _noise(f, point, rng)
    loss = float(np.real(f(point)))
    tol = Tolerance(rtol, atol, tolerance == "fixed", gradient_scale(gradients.values()), amplified(noise, loss), noise)
    second = _second_opinion(f, point, losses, method, noise, rng)
    rows = []
    for name, value in point.items():
        est = estimate(losses, name, value, index[name], method, eps, with_bound=not tol.fixed, noise=noise)
        rows.append(judge(name, gradients[name], index[name], est, tol, second))
    return GradientReport(tuple(rows), method, tolerance, loss, time.perf_counter() - start)


def _along(
    f: Callable[[dict[str, NDArray[Any]]], Any], point: dict[str, NDArray[Any]], rng: np.random.Generator
) -> Callable[[Array], Array]:
    """f at θ + s·u for each shift s, u a random unit direction over every array (real or complex shifts)."""
    u = {name: rng.standard_normal(value.shape) for name, value in point.items()}
    norm = np.sqrt(sum(float((d**2).sum()) for d in u.values()))

    def values(shifts: Array) -> Array:
        return np.array([f({name: point[name] + s * u[name] / norm for name in point}) for s in shifts])

    return values


def _noise(f: Callable[[dict[str, NDArray[Any]]], Any], point: dict[str, NDArray[Any]], rng: np.random.Generator) -> float:
    """f's rounding noise at the point (Moré & Wild), along one random direction."""
    scale = max((float(np.abs(value).max(initial=1.0)) for value in point.values()), default=1.0)
    if not np.isfinite(scale):
        return 0.0
    try:
        return search_noise(_along(f, point, rng), START_SCALE * scale).sigma
    except ValueError:  # f is not finite near the point: nothing to measure
        return 0.0


def _second_opinion(
    f: Callable[[dict[str, NDArray[Any]]], Any],
    point: dict[str, NDArray[Any]],
    losses: BatchLosses,
    method: Method,
    noise: float,
    rng: np.random.Generator,
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


def _complex_safe(losses: BatchLosses, point: dict[str, NDArray[Any]]) -> bool:
    """Whether f carries an imaginary perturbation through, tried once per array (on its first entry) exactly as
    the complex step will call it: no error, finite values, and a non-zero imaginary part somewhere."""
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            tried = [complex(losses(name, np.zeros(1, dtype=np.intp), np.array([1j * COMPLEX_STEP]))[0, 0]) for name in point]
    except (TypeError, ValueError, ArithmeticError):
        return False
    return all(np.isfinite(value) for value in tried) and any(value.imag != 0 for value in tried)
