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
from gradcheck.engine.compare import ParamResult, compare, gradient_scale
from gradcheck.engine.methods import Method, estimate
from gradcheck.engine.model import BatchLosses, Index

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
    def passed(self) -> bool:
        return all(row.passed for row in self.params)

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
    scale = gradient_scale(gradients.values())
    rows = []
    for name, value in point.items():
        gradient = gradients[name]
        if gradient.shape != value.shape:
            raise ValueError(f"grad_f returned shape {gradient.shape} for {name!r}, whose shape is {value.shape}")
        index = sample_index(value.size, sample, rng)
        est = estimate(losses, name, value, index, method, eps, with_bound=tolerance == "auto")
        rows.append(compare(name, gradient, index, est.values, rtol, atol, est.bound, scale, est.vanished))
    return GradientReport(tuple(rows), method, tolerance, float(np.real(f(point))), time.perf_counter() - start)
