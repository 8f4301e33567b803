"""Error metrics and verdicts (DESIGN.md §4): data, never strings."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum

import numpy as np
from numpy.typing import NDArray

from gradcheck.book.arrays import Array

TINY = float(np.finfo(np.float64).tiny)
# The fixed pass line's defaults, atol + rtol·max(|a|, |n|): the library's check_gradients and the config's [check]
RTOL = 1e-5
ATOL = 1e-8


class Verdict(IntEnum):
    """What an entry, a row or a run ends as: right to the stated bound, confirmed wrong, or beyond judging."""

    PASS = 0
    FAIL = 1
    UNDECIDED = 2

    @staticmethod
    def of(statuses: Iterable[Verdict]) -> Verdict:
        """FAIL if anything failed, else UNDECIDED if anything could not be decided, else PASS."""
        found = set(statuses)
        return Verdict.FAIL if Verdict.FAIL in found else Verdict.UNDECIDED if Verdict.UNDECIDED in found else Verdict.PASS


Statuses = NDArray[np.int8]  # one Verdict per checked entry


@dataclass(frozen=True)
class ParamResult:
    """How one parameter's (or node's) analytic gradient compares with the numerical one.

    worst_index is the entry furthest outside (or closest to) its limit, a failed entry first, then an undecided
    one, with both values there. failed: entries confirmed wrong (or NaN/inf on the analytic side); undecided:
    entries finite differences could not judge, `reason` says why; overturned: first-round failures that the
    independent estimate `confirmed_by` showed to be right. nonfinite counts entries where either side is NaN or inf.
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
    worst_limit: float
    failed: int
    nonfinite: int = 0
    unit: str = "entries"  # or "directions": rows of a directional check, where worst_* is the located entry
    vanished: int = 0  # entries whose step was too small to move θ (θ + ε == θ): no estimate there
    undecided: int = 0
    overturned: int = 0
    confirmed_by: str = ""
    reason: str = ""

    @property
    def size(self) -> int:
        return int(np.prod(self.shape))

    @property
    def verdict(self) -> Verdict:
        return Verdict.FAIL if self.failed else Verdict.UNDECIDED if self.undecided else Verdict.PASS

    @property
    def passed(self) -> bool:
        return self.verdict is Verdict.PASS


# With a method's own error bound as the pass line, the analytic side's own round-off is allowed on top: BPTT
# sums terms that can cancel and 1 − h(t)² cancels where tanh saturates, so an entry can be a small difference
# of large terms. Part of the allowance scales with the whole model's gradient (2^10·ε of its largest entry),
# part with the entry itself (2^20·ε ≈ 2.3e-10 relative).
ANALYTIC_ROUNDOFF = 2.0**10 * float(np.finfo(np.float64).eps)
ANALYTIC_RELATIVE = 2.0**20 * float(np.finfo(np.float64).eps)


def limit(a: Array, n: Array, rtol: float, atol: float, bound: Array | None = None, scale: float = 0.0) -> Array:
    """The pass line per entry: atol + rtol·max(|a|, |n|), or the method's error bound + analytic round-off.

    scale: the largest gradient entry of the whole model, which sets the round-off allowance (at least
    the largest of the entries compared).
    """
    with np.errstate(invalid="ignore", over="ignore"):
        size = np.maximum(np.abs(a), np.abs(n))
        if bound is None:
            line: Array = atol + rtol * size
            return line
        finite = size[np.isfinite(size)]
        largest = max(scale, float(finite.max()) if finite.size else 0.0)
        return bound + ANALYTIC_ROUNDOFF * largest + ANALYTIC_RELATIVE * size


def mismatched(a: Array, n: Array, rtol: float, atol: float, bound: Array | None = None, scale: float = 0.0) -> NDArray[np.bool_]:
    """The one pass/fail rule: |a − n| > the pass line (see `limit`); NaN or inf always fails."""
    with np.errstate(invalid="ignore"):
        ok = np.abs(a - n) <= limit(a, n, rtol, atol, bound, scale)
    return ~ok


def gradient_scale(gradients: Iterable[Array]) -> float:
    """The largest finite |entry| over gradients: the scale of the analytic side's round-off."""
    largest = 0.0
    for g in gradients:
        finite = np.abs(g[np.isfinite(g)])
        largest = max(largest, float(finite.max()) if finite.size else 0.0)
    return largest


def relative_error(a: Array, n: Array) -> Array:
    """|a − n| / max(|a|, |n|, tiny): 0 where both are exactly 0."""
    with np.errstate(invalid="ignore", over="ignore"):
        return np.abs(a - n) / np.maximum(np.maximum(np.abs(a), np.abs(n)), TINY)


def first_round(a: Array, n: Array, line: Array, vanished: NDArray[np.bool_] | None = None) -> Statuses:
    """Verdicts before any confirmation: NaN/inf analytic fails; no numeric estimate is undecided; then the limit."""
    with np.errstate(invalid="ignore"):
        outside = ~(np.abs(a - n) <= line)
    no_estimate = ~np.isfinite(n) | (vanished if vanished is not None else False)
    status = np.where(outside, Verdict.FAIL, Verdict.PASS)
    status = np.where(no_estimate, Verdict.UNDECIDED, status)
    return np.where(~np.isfinite(a), Verdict.FAIL, status).astype(np.int8)


def compare(
    name: str,
    analytic: Array,
    index: NDArray[np.intp],
    numeric: Array,
    rtol: float,
    atol: float,
    bound: Array | None = None,
    scale: float | None = None,
    vanished: NDArray[np.bool_] | None = None,
    status: Statuses | None = None,
    overturned: int = 0,
    confirmed_by: str = "",
    reason: str = "",
    line: Array | None = None,
) -> ParamResult:
    """Compare analytic[index] (flat entries) with their numerical estimates.

    With `bound` (the method's own error bound per entry) that is the pass line; otherwise rtol/atol.
    scale: the model's largest gradient entry (default: this gradient's), for the round-off allowance.
    vanished: entries whose step could not move θ (their estimates are NaN). status: each entry's verdict after
    confirmation (default: the first round's), with how many were overturned, by what, and why any is undecided;
    line: the pass line per entry, when the caller has widened it (default: `limit`).
    """
    a = analytic.reshape(-1)[index]
    n = numeric
    scale = gradient_scale([analytic]) if scale is None else scale
    line = limit(a, n, rtol, atol, bound, scale) if line is None else line
    status = first_round(a, n, line, vanished) if status is None else status
    finite = np.isfinite(a) & np.isfinite(n)
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        abs_err = np.abs(a - n)
        severity = np.where(finite, abs_err / (line + TINY), np.inf)
        norm = float(np.linalg.norm(a - n) / max(float(np.linalg.norm(a) + np.linalg.norm(n)), TINY))
    rank = np.where(status == Verdict.FAIL, 2, np.where(status == Verdict.UNDECIDED, 1, 0))
    order = np.lexsort((-np.arange(len(index)), np.nan_to_num(severity, nan=np.inf), rank))  # ties: the first entry
    worst = int(order[-1]) if len(index) else 0
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
        worst_limit=float(line[worst]) if len(index) else 0.0,
        failed=int((status == Verdict.FAIL).sum()),
        nonfinite=int((~finite).sum()),
        vanished=int(vanished.sum()) if vanished is not None else 0,
        undecided=int((status == Verdict.UNDECIDED).sum()),
        overturned=overturned,
        confirmed_by=confirmed_by,
        reason=reason,
    )


def _index(shape: tuple[int, ...], flat: int | np.intp) -> tuple[int, ...]:
    return tuple(int(k) for k in np.unravel_index(int(flat), shape))
