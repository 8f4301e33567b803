"""Misuse of the library API: every wrong argument or wrong return of f or grad_f is one clear error naming it.

The hypothesis strategies at the end (`calls`, `outcome`) are shared with fuzz/fuzz_api.py, which runs them
for thousands of examples; here they run a small profile.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Mapping
from dataclasses import FrozenInstanceError
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from gradcheck import GradientReport, check_gradients
from gradcheck.api import MutationWarning
from gradcheck.engine.compare import Verdict

POINT = {"W": np.array([[0.5, -1.0], [2.0, 0.25]]), "b": np.array([0.3, -0.7])}


def cubic(p: Mapping[str, np.ndarray]) -> Any:
    """L = Σ W³ + Σ W·b (broadcast over rows): complex-safe, every entry matters."""
    return np.sum(p["W"] ** 3) + np.sum(p["W"] * p["b"])


def cubic_grad(p: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {"W": 3 * p["W"] ** 2 + p["b"], "b": p["W"].sum(axis=0)}


def check(f: Any = cubic, grad_f: Any = cubic_grad, params: Any = None, **options: Any) -> GradientReport:
    return check_gradients(f, grad_f, POINT if params is None else params, **options)


def test_the_reference_problem_passes():
    """The baseline every misuse below departs from: without this the errors could come from the problem itself."""
    assert check().passed and check(method="complex-step").passed


# --- arguments ------------------------------------------------------------------------------------------------------

BAD_OPTIONS = [
    *[("sample", v, '"all" or an integer ≥ 1') for v in (0, -1, 1.5, True, "some")],
    *[("eps", v, '"auto" or a finite number > 0') for v in (0, -1e-3, float("nan"), float("inf"), "tiny", True)],
    *[(name, v, "a finite number ≥ 0") for name in ("rtol", "atol") for v in (-1e-3, float("nan"), "1e-5", None, False)],
    ("method", "backward", 'one of "central", "forward", "richardson", "complex-step"'),
    ("method", None, 'one of "central", "forward", "richardson", "complex-step"'),
    ("tolerance", "loose", '"auto" or "fixed"'),
    *[("seed", v, "an integer ≥ 0") for v in (-1, 1.5, True, "0")],
]


@pytest.mark.parametrize(("name", "value", "takes"), BAD_OPTIONS, ids=[f"{n}={v!r}" for n, v, _ in BAD_OPTIONS])
def test_a_misused_option_is_a_value_error_that_names_it_and_what_it_takes(name, value, takes):
    with pytest.raises(ValueError) as error:
        check(**{name: value})
    got = repr(value) if isinstance(value, str) else str(value)
    assert str(error.value) == f"{name} must be {takes}, got {got}"


@pytest.mark.parametrize(("name", "value"), [("sample", np.int64(2)), ("eps", np.float32(1e-4)), ("seed", 2**70), ("rtol", 0)])
def test_numpy_numbers_big_seeds_and_zero_tolerances_are_accepted(name, value):
    assert check(**{name: value}).verdict is not Verdict.FAIL


@pytest.mark.parametrize("which", ["f", "grad_f"])
def test_a_function_that_is_not_callable_is_a_type_error(which):
    with pytest.raises(TypeError, match=f"^{which} must be a function of params, got a dict$"):
        check(**{which: {"W": 1}})


BAD_PARAMS = [
    ([("W", 1.0)], TypeError, "params must be a mapping {name: array}, got a list"),
    ({}, ValueError, "params is empty: pass at least one named array"),
    ({1: np.ones(2)}, TypeError, "params keys must be strings (the array names), got 1"),
    ({"W": np.array(["a", "b"])}, TypeError, "params['W'] must be an array of real numbers, got an array of dtype <U1"),
    ({"W": np.array([object()])}, TypeError, "params['W'] must be an array of real numbers, got an array of dtype object"),
    ({"W": [[1.0, 2.0], [3.0]]}, TypeError, "params['W'] must be an array of real numbers, got a list"),
    ({"W": np.ones(2, dtype=bool)}, TypeError, "params['W'] must be an array of real numbers, got an array of dtype bool"),
    (
        {"W": np.ones(2, dtype=complex)},
        TypeError,
        "params['W'] is complex: pass the real point; method=\"complex-step\" makes its own complex copies",
    ),
    ({"W": np.array([1.0, np.nan, np.inf])}, ValueError, "params['W'] is nan or inf at 2 of 3 entries: check at a finite point"),
    ({"W": np.ones((0, 3))}, ValueError, "params['W'] has no entries (shape (0, 3))"),
]


@pytest.mark.parametrize(("params", "kind", "message"), BAD_PARAMS, ids=[m.split(":")[0][:40] for _, _, m in BAD_PARAMS])
def test_misused_params_are_one_error_naming_the_array(params, kind, message):
    with pytest.raises(kind) as error:
        check(lambda p: 0.0, lambda p: {name: np.zeros(np.shape(v)) for name, v in p.items()}, params)
    assert type(error.value) is kind and str(error.value) == message


def test_integer_arrays_and_python_lists_of_numbers_are_a_point():
    result = check(lambda p: np.sum(p["w"] ** 2), lambda p: {"w": 2 * p["w"]}, {"w": [1, -2, 3]})
    assert result.passed and result["w"].checked == 3


# --- what f returns -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("wrap", [np.array, lambda x: np.array([x]), lambda x: np.array([[x]]), np.float64, float])
def test_a_loss_may_be_a_number_a_0d_or_a_one_element_array(wrap):
    assert check(lambda p: wrap(cubic(p))).passed


def test_a_vector_loss_is_a_value_error_with_its_shape():
    with pytest.raises(ValueError, match=r"^f\(params\) must return a scalar loss, got an array of shape \(2,\)$"):
        check(lambda p: p["b"] * 2)


@pytest.mark.parametrize(("value", "shown"), [(None, "None"), ("0.5", "'0.5'"), ([1, [2]], "a list")])
def test_a_loss_that_is_not_a_number_is_a_type_error_naming_f(value, shown):
    with pytest.raises(TypeError) as error:
        check(lambda p: value)
    assert str(error.value) == f"f(params) must return a real number, the loss, got {shown}"


def test_a_complex_loss_at_the_real_point_is_a_value_error():
    with pytest.raises(ValueError, match=r"^f\(params\) must return a real loss at a real point, got \(1\+2j\)$"):
        check(lambda p: 1 + 2j)


class UserBugError(Exception):
    """The user's own error, raised inside f or grad_f: it must reach the caller unchanged."""


def _raise(p: Any) -> Any:
    raise UserBugError("the user's bug")


@pytest.mark.parametrize("which", ["f", "grad_f"])
def test_an_error_inside_the_users_function_propagates_unwrapped(which):
    with pytest.raises(UserBugError, match=r"^the user's bug$") as error:
        check(**{which: _raise})
    assert error.value.__cause__ is None and error.value.__context__ is None


# --- what grad_f returns --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("returned", "shown"),
    [((np.ones((2, 2)), np.ones(2)), "a tuple"), ([np.ones((2, 2))], "a list"), (np.ones(2), "an array of dtype float64")],
)
def test_a_gradient_that_is_not_a_mapping_is_a_type_error(returned, shown):
    expected = f"grad_f(params) returned {shown}; it must return a mapping {{name: array}} with the keys of params"
    with pytest.raises(TypeError) as error:
        check(grad_f=lambda p: returned)
    assert str(error.value) == expected


@pytest.mark.parametrize(
    ("change", "listed"),
    [
        (lambda g: {"W": g["W"]}, "missing: 'b'; extra: -"),
        (lambda g: g | {"c": 0.0, 3: 1.0}, "missing: -; extra: 'c', 3"),
        (lambda g: {"W": g["W"], "B": g["b"]}, "missing: 'b'; extra: 'B'"),
    ],
    ids=["missing", "extra", "misspelt"],
)
def test_missing_and_extra_gradient_names_are_listed(change, listed):
    with pytest.raises(ValueError) as error:
        check(grad_f=lambda p: change(cubic_grad(p)))
    assert str(error.value) == f"grad_f(params) must return the keys of params; {listed}"


@pytest.mark.parametrize(
    ("value", "kind", "message"),
    [
        ("0.5", TypeError, "grad_f(params)['b'] must be an array of real numbers, got '0.5'"),
        (None, TypeError, "grad_f(params)['b'] must be an array of real numbers, got None"),
        (np.ones(2, dtype=bool), TypeError, "grad_f(params)['b'] must be an array of real numbers, got an array of dtype bool"),
        (np.ones(2) * 1j, TypeError, "grad_f(params)['b'] is complex: the gradient of a real loss at a real point is real"),
        (np.ones(3), ValueError, "grad_f returned shape (3,) for 'b', whose shape is (2,)"),
    ],
)
def test_a_gradient_value_of_the_wrong_kind_or_shape_names_the_array(value, kind, message):
    with pytest.raises(kind) as error:
        check(grad_f=lambda p: cubic_grad(p) | {"b": value})
    assert type(error.value) is kind and str(error.value) == message


# --- f and grad_f writing into their input --------------------------------------------------------------------------


def _writes(fn: Callable[[Any], Any], name: str) -> Callable[[Any], Any]:
    """fn, then scribble over params[name] in place (after reading it)."""

    def scribbling(p: Any) -> Any:
        out = fn(p)
        p[name] += 1.0
        return out

    return scribbling


@pytest.mark.parametrize("method", ["central", "complex-step"])
@pytest.mark.parametrize(("which", "name"), [("f", "W"), ("f", "b"), ("grad_f", "b")])
def test_a_function_that_writes_into_its_input_is_warned_once_and_changes_nothing(which, name, method, watch_bytes):
    """b is the array f is *not* perturbing while it moves W: f must get a copy of it too, every call."""
    changed = watch_bytes(POINT.items())
    functions = {"f": cubic, "grad_f": cubic_grad} | {which: _writes(cubic if which == "f" else cubic_grad, name)}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = check(**functions, method=method)
    assert changed() == [] and result.passed and result == check(method=method)
    assert [(w.category, str(w.message), w.filename) for w in caught] == [
        (
            MutationWarning,
            f"{which} modified its input params[{name!r}] in place; gradcheck passes copies, so the check is unaffected",
            __file__,
        )
    ]


def test_functions_that_only_read_are_not_warned():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check()


# --- the complex step needs f to keep the imaginary part ------------------------------------------------------------


@pytest.mark.parametrize(
    "f",
    [lambda p: float(cubic(p)), lambda p: np.real(cubic(p)), lambda p: cubic({k: v.astype(float) for k, v in p.items()})],
    ids=["float", "np.real", "astype"],
)
def test_an_f_that_drops_the_imaginary_part_is_a_type_error_under_the_complex_step(f):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no ComplexWarning escapes either
        with pytest.raises(TypeError) as error:
            check(f, method="complex-step")
        assert check(f).passed  # the real methods do not mind
    assert str(error.value) == (
        'method="complex-step" needs f to carry complex arrays through: f(params) dropped the imaginary part '
        "(float(), np.real or astype(float) inside f?)"
    )


def test_an_entry_f_ignores_is_a_failed_gradient_not_a_complex_step_error():
    """f forgot w[0] while grad_f claims it matters most: its imaginary part is zero, but so is the real change."""
    result = check(
        lambda p: p["w"][1] ** 3, lambda p: {"w": np.array([5.0, 3 * p["w"][1] ** 2])}, {"w": [2.0, 0.5]}, method="complex-step"
    )
    assert result["w"].failed == 1 and result["w"].worst_index == (0,)


# --- the report is a read-only mapping ------------------------------------------------------------------------------


def test_the_report_is_a_read_only_mapping_of_names_to_rows():
    result = check(sample=1)
    assert isinstance(result, Mapping) and len(result) == 2 and list(result) == ["W", "b"]
    assert "W" in result and "nope" not in result and result.get("nope") is None
    assert dict(result.items()) == {row.name: row for row in result.params}
    with pytest.raises(KeyError, match=r"no array named 'nope'; the report has 'W', 'b'"):
        result["nope"]
    with pytest.raises(FrozenInstanceError):
        result.params = ()  # type: ignore[misc]
    with pytest.raises(TypeError):
        result["W"] = result["W"]  # type: ignore[index]


def test_reports_of_the_same_check_are_equal_whatever_their_run_time():
    first, again = check(sample=1), check(sample=1)
    assert first.elapsed != again.elapsed and first == again and hash(first) == hash(again)
    assert first != check(sample=1, seed=1) and first != dict(first)


# --- any call at all: a report or one clear error (fuzz/fuzz_api.py runs these for thousands of examples) -----------

ARGUMENTS = ("f", "grad_f", "params", "method", "eps", "tolerance", "rtol", "atol", "sample", "seed")
GARBAGE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(),
    st.text(max_size=4),
    st.lists(st.integers(), max_size=2),
    st.just(np.float64("nan")),
    st.just(np.bool_(True)),
    st.just(object()),
    st.just({}),
)
SHAPES = hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=2)
POINTS = hnp.arrays(np.float64, SHAPES, elements=st.floats(-3, 3))
ODD_ARRAYS = st.one_of(
    hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=2, min_side=0, max_side=2)),  # nan, inf, 1e308, empty
    hnp.arrays(st.sampled_from([np.float32, np.int8, np.uint64, bool, complex, "U2", object]), SHAPES),
    st.lists(st.floats(-3, 3), max_size=3),
    st.lists(st.lists(st.integers(-3, 3), max_size=2), max_size=2),  # possibly ragged
    GARBAGE,
)
NAMES = st.sampled_from(["W", "b", "h0"])


def _model(params: Any) -> tuple[Callable[[Any], Any], Callable[[Any], Any]]:
    """L = Σ_name Σ tanh(x)·x² and its gradient, over whatever names the params have; never warns."""

    def f(p: Any) -> Any:
        with np.errstate(all="ignore"):
            return sum(np.sum(np.tanh(v) * v**2) for v in p.values())

    def grad_f(p: Any) -> Any:
        with np.errstate(all="ignore"):
            return {k: (1 - np.tanh(v) ** 2) * v**2 + 2 * v * np.tanh(v) for k, v in p.items()}

    return f, grad_f


def _spoilt(fn: Callable[[Any], Any], how: str) -> Callable[[Any], Any]:
    """fn with its return or its behaviour spoilt in one of the ways users get wrong."""

    def spoilt(p: Any) -> Any:
        if how == "raises":
            raise UserBugError("the user's bug")
        if how == "writes":
            for value in p.values():
                value *= 2.0
        out = fn(p)

        def each(change: Callable[[Any], Any]) -> Any:
            return {k: change(v) for k, v in out.items()} if isinstance(out, dict) else change(out)

        spoil = {
            "writes": lambda: out,
            "none": lambda: None,
            "text": lambda: "0.5",
            "vector": lambda: np.ones(3),
            "complex": lambda: each(lambda v: v * (1 + 1j)),
            "drops-imag": lambda: each(np.real),
            "nan": lambda: each(lambda v: v * np.nan),
            "wrong": lambda: each(lambda v: v * 1.5 + 0.1),
            "tuple": lambda: tuple(out.values()) if isinstance(out, dict) else (out,),
            "missing": lambda: dict(list(out.items())[1:]) if isinstance(out, dict) else out,
            "extra": lambda: out | {"zz": 0.0, 7: 1.0} if isinstance(out, dict) else out,
            "wrong-shape": lambda: {k: np.ones(5) for k in out} if isinstance(out, dict) else np.ones((1, 1)),
        }
        return spoil[how]()

    return spoilt


SPOILS = ["raises", "writes", "none", "text", "vector", "complex", "drops-imag", "nan", "wrong"]
SPOILS += ["tuple", "missing", "extra", "wrong-shape"]


@st.composite
def calls(draw: st.DrawFn) -> dict[str, Any]:
    """Keyword arguments for check_gradients: mostly sensible, with any argument possibly garbage."""
    names = draw(st.lists(NAMES, min_size=1, max_size=3, unique=True))
    params: Any = {name: draw(POINTS) for name in names}
    if draw(st.integers(0, 3)) == 0:
        params = draw(
            st.one_of(
                st.dictionaries(st.one_of(NAMES, GARBAGE.filter(lambda k: k.__hash__ is not None)), ODD_ARRAYS, max_size=3),
                GARBAGE,
            )
        )
    call: dict[str, Any] = {"params": params}
    for name, fn in zip(("f", "grad_f"), _model(params if isinstance(params, dict) else {}), strict=True):
        how = draw(st.sampled_from(["right"] * len(SPOILS) + SPOILS + ["garbage"]))
        call[name] = fn if how == "right" else draw(GARBAGE) if how == "garbage" else _spoilt(fn, how)
    options = {  # three sensible draws to one garbage draw, so that most calls get as far as f
        "method": st.sampled_from(["central", "forward", "richardson", "complex-step"]),
        "eps": st.one_of(st.just("auto"), st.floats(1e-12, 1e-1), st.floats(), st.integers(-1, 2)),
        "tolerance": st.sampled_from(["auto", "fixed"]),
        "rtol": st.floats(0, 1),
        "atol": st.floats(0, 1),
        "sample": st.one_of(st.just("all"), st.integers(-1, 5), st.just(np.int64(2))),
        "seed": st.integers(-1, 2**70),
    }
    for name in draw(st.lists(st.sampled_from(sorted(options)), unique=True, max_size=3)):
        call[name] = draw(GARBAGE if draw(st.integers(0, 3)) == 0 else options[name])
    return call


def outcome(call: dict[str, Any]) -> tuple[str, list[str]]:
    """Run one call: "report", "UserBugError" or the error type name, with the categories of the warnings it gave.

    Raises AssertionError for any other exception, or a ValueError/TypeError that is not one line starting with the
    argument it is about.
    """
    arguments = dict(call)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = check_gradients(arguments.pop("f"), arguments.pop("grad_f"), arguments.pop("params"), **arguments)
        except UserBugError:
            kind = "UserBugError"
        except (ValueError, TypeError) as error:
            message = str(error)
            assert message and "\n" not in message, f"not one line: {message!r}"
            assert re.match(rf"({'|'.join(ARGUMENTS)})\b", message), f"does not start with the argument: {message!r}"
            kind = type(error).__name__
        else:
            assert isinstance(result, GradientReport) and list(result) == list(call["params"])
            kind = "report"
    return kind, [w.category.__name__ for w in caught]


@settings(max_examples=50, deadline=None)
@given(calls())
def test_any_call_returns_a_report_or_one_clear_error(call):
    kind, _ = outcome(call)
    assert kind in ("report", "UserBugError", "ValueError", "TypeError")


def test_a_huge_step_is_a_row_that_says_so_not_a_warning():
    """eps = 2e269 overflows the error bound (inf − inf): the row is undecided or failed, and numpy stays quiet."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = check_gradients(lambda p: float(np.sum(p["w"] ** 2)), lambda p: {"w": 2 * p["w"]}, {"w": np.ones(3)}, eps=2e269)
    assert not result.passed
