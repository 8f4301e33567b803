"""Error metrics and verdicts (DESIGN.md §4): data, never strings."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]
TINY = float(np.finfo(np.float64).tiny)


@dataclass(frozen=True)
class ParamResult:
    """How one parameter's (or node's) analytic gradient compares with the numerical one.

    worst_index is the entry furthest outside (or closest to) the tolerance, with both values there;
    the first NaN or inf entry, if any. nonfinite counts entries where either side is NaN or inf.
    """

    name: str
    shape: tuple[int, ...]
    checked: int
    max_abs_err: float
    max_rel_err: float
    norm_rel_err: float
    worst_index: tuple[int, ...]
    worst_analytic: float
    worst_numeric: float
    failed: int
    nonfinite: int = 0

    @property
    def size(self) -> int:
        return int(np.prod(self.shape))

    @property
    def passed(self) -> bool:
        return self.failed == 0 and self.nonfinite == 0


def mismatched(a: Array, n: Array, rtol: float, atol: float) -> NDArray[np.bool_]:
    """The one pass/fail rule: |a − n| > atol + rtol·max(|a|, |n|); NaN or inf always fails."""
    with np.errstate(invalid="ignore"):
        ok = np.abs(a - n) <= atol + rtol * np.maximum(np.abs(a), np.abs(n))
    return ~ok


def relative_error(a: Array, n: Array) -> Array:
    """|a − n| / max(|a|, |n|, tiny): 0 where both are exactly 0."""
    with np.errstate(invalid="ignore", over="ignore"):
        return np.abs(a - n) / np.maximum(np.maximum(np.abs(a), np.abs(n)), TINY)


def compare(name: str, analytic: Array, index: NDArray[np.intp], numeric: Array, rtol: float, atol: float) -> ParamResult:
    """Compare analytic[index] (flat entries) with their numerical estimates."""
    a = analytic.reshape(-1)[index]
    n = numeric
    fails = mismatched(a, n, rtol, atol)
    finite = np.isfinite(a) & np.isfinite(n)
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        abs_err = np.abs(a - n)
        severity = np.where(finite, abs_err / (atol + rtol * np.maximum(np.abs(a), np.abs(n)) + TINY), np.inf)
        norm = float(np.linalg.norm(a - n) / max(float(np.linalg.norm(a) + np.linalg.norm(n)), TINY))
    worst = int(np.argmax(severity)) if len(index) else 0
    return ParamResult(
        name=name,
        shape=tuple(analytic.shape),
        checked=len(index),
        max_abs_err=float(abs_err.max()) if len(index) else 0.0,
        max_rel_err=float(relative_error(a, n).max()) if len(index) else 0.0,
        norm_rel_err=norm if np.isfinite(norm) else float("nan"),
        worst_index=_index(analytic.shape, index[worst]) if len(index) else (),
        worst_analytic=float(a[worst]) if len(index) else 0.0,
        worst_numeric=float(n[worst]) if len(index) else 0.0,
        failed=int(fails.sum()),
        nonfinite=int((~finite).sum()),
    )


def _index(shape: tuple[int, ...], flat: int | np.intp) -> tuple[int, ...]:
    return tuple(int(k) for k in np.unravel_index(int(flat), shape))
