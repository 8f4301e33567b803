"""What a caller of the library API passes, and what its f and grad_f return, checked: one clear message naming the
argument for every misuse (a TypeError for the wrong kind of thing, a ValueError for a wrong value)."""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from gradcheck.engine.methods import Method

Point = dict[str, NDArray[Any]]

SINGLE = (
    "finite differences in single precision are unreliable (round-off swamps the step); "
    "gradcheck evaluates f at float64 copies and widens no tolerance"
)


class PrecisionWarning(UserWarning):
    """Arrays below float64 were given: gradients are checked in float64 and tolerances are not widened."""


class MutationWarning(UserWarning):
    """f or grad_f wrote into the arrays it was given: harmless here (every call gets copies), a bug elsewhere."""


# --- what the caller passes ----------------------------------------------------------------------------------------


def short(value: object) -> str:
    """A value for a one-line message: numbers and short strings as written, arrays by dtype, anything else by type."""
    if value is None or (isinstance(value, str | numbers.Number | np.bool_) and len(repr(value)) <= 40):
        return repr(value) if isinstance(value, str) else str(value)
    kind = f"array of dtype {value.dtype}" if isinstance(value, np.ndarray) else type(value).__name__
    return f"{'an' if kind[0] in 'aeiou' else 'a'} {kind}"


def _is_number(value: object, *, integer: bool = False, positive: bool = False) -> bool:
    """A finite real number (an integer if asked), ≥ 0 (> 0 if positive); a bool is not a number here."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Integral if integer else numbers.Real):
        return False
    try:
        number = float(value)
    except OverflowError:  # an int beyond float64: fine as a count, not as a step
        return integer
    return math.isfinite(number) and (number > 0 if positive else number >= 0)


def _is_word(value: object, *words: str) -> bool:
    return isinstance(value, str) and value in words


def check_options(f: object, grad_f: object, **options: object) -> None:
    """A TypeError if f or grad_f is no function, else a ValueError for the first misused option, saying what it takes."""
    for name, fn in (("f", f), ("grad_f", grad_f)):
        if not callable(fn):
            raise TypeError(f"{name} must be a function of params, got {short(fn)}")
    methods = [m.value for m in Method]
    rules: dict[str, tuple[Callable[[object], bool], str]] = {
        "method": (lambda v: _is_word(v, *methods), "one of " + ", ".join(f'"{m}"' for m in methods)),
        "tolerance": (lambda v: _is_word(v, "auto", "fixed"), '"auto" or "fixed"'),
        "eps": (lambda v: _is_word(v, "auto") or _is_number(v, positive=True), '"auto" or a finite number > 0'),
        "rtol": (_is_number, "a finite number ≥ 0"),
        "atol": (_is_number, "a finite number ≥ 0"),
        "sample": (lambda v: _is_word(v, "all") or _is_number(v, integer=True, positive=True), '"all" or an integer ≥ 1'),
        "seed": (lambda v: _is_number(v, integer=True), "an integer ≥ 0"),
    }
    for name, value in options.items():
        accepted, takes = rules[name]
        if not accepted(value):
            raise ValueError(f"{name} must be {takes}, got {short(value)}")


def _numbers(value: object, must: str) -> NDArray[Any]:
    """value as an array of real or complex numbers; bool, text and objects are a TypeError: "{must}, got …"."""
    try:
        array = np.asarray(value)
    except (TypeError, ValueError):  # ragged nested lists
        array = np.empty(0, dtype=object)
    if array.dtype.kind not in "iufc":
        raise TypeError(f"{must}, got {short(value)}")
    return array


def point_of(params: object) -> Point:
    """The float64 point to check at: a non-empty mapping of names to finite real arrays (float32 is a warning)."""
    if not isinstance(params, Mapping):
        raise TypeError(f"params must be a mapping {{name: array}}, got {short(params)}")
    if not params:
        raise ValueError("params is empty: pass at least one named array")
    point = {}
    for name, value in params.items():
        if not isinstance(name, str):
            raise TypeError(f"params keys must be strings (the array names), got {short(name)}")
        array = _numbers(value, f"params[{name!r}] must be an array of real numbers")
        if array.dtype.kind == "c":
            raise TypeError(
                f'params[{name!r}] is complex: pass the real point; method="complex-step" makes its own complex copies'
            )
        if array.dtype.kind == "f" and array.dtype.itemsize < 8:
            warnings.warn(f"params[{name!r}] is {array.dtype}: {SINGLE}", PrecisionWarning, stacklevel=3)
        point[name] = array.astype(np.float64)
        if point[name].size == 0:
            raise ValueError(f"params[{name!r}] has no entries (shape {array.shape})")
        if not np.isfinite(point[name]).all():
            bad = int(np.size(point[name]) - np.isfinite(point[name]).sum())
            raise ValueError(f"params[{name!r}] is nan or inf at {bad} of {point[name].size} entries: check at a finite point")
    return point


# --- what f and grad_f return ---------------------------------------------------------------------------------------


def watched(name: str, fn: Callable[[Point], Any], point: Point) -> Any:
    """fn at copies of the point, warning once (MutationWarning) if it wrote into them."""
    copies = {key: value.copy() for key, value in point.items()}
    given = list(copies.items())
    out = fn(copies)
    changed = [key for key, value in given if value.shape != point[key].shape or value.tobytes() != point[key].tobytes()]
    if changed:
        where = ", ".join(f"params[{key!r}]" for key in changed)
        message = f"{name} modified its input {where} in place; gradcheck passes copies, so the check is unaffected"
        warnings.warn(message, MutationWarning, stacklevel=3)
    return out


def loss_of(value: object, real: bool = True) -> complex:
    """f's return as one number (a number, a 0-d array or a one-element array), real unless f was given complex arrays."""
    array = _numbers(value, "f(params) must return a real number, the loss")
    if array.size != 1:
        raise ValueError(f"f(params) must return a scalar loss, got an array of shape {array.shape}")
    loss = complex(array.reshape(()).item())
    if real and loss.imag != 0:
        raise ValueError(f"f(params) must return a real loss at a real point, got {loss}")
    return loss


def gradients_of(analytic: object, point: Point) -> dict[str, NDArray[np.float64]]:
    """grad_f's return checked against the point: the same names, real arrays of the same shapes."""
    if not isinstance(analytic, Mapping):
        raise TypeError(
            f"grad_f(params) returned {short(analytic)}; it must return a mapping {{name: array}} with the keys of params"
        )
    missing = ", ".join(repr(name) for name in point if name not in analytic)
    extra = ", ".join(short(name) for name in analytic if name not in point)
    if missing or extra:
        raise ValueError(f"grad_f(params) must return the keys of params; missing: {missing or '-'}; extra: {extra or '-'}")
    gradients = {}
    for name, value in point.items():
        gradient = _numbers(analytic[name], f"grad_f(params)[{name!r}] must be an array of real numbers")
        if gradient.dtype.kind == "c":
            raise TypeError(f"grad_f(params)[{name!r}] is complex: the gradient of a real loss at a real point is real")
        if gradient.shape != value.shape:
            raise ValueError(f"grad_f returned shape {gradient.shape} for {name!r}, whose shape is {value.shape}")
        gradients[name] = gradient.astype(np.float64)
    return gradients
