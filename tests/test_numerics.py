"""Finite-difference estimators on functions whose derivatives are known exactly."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given, note
from hypothesis import strategies as st

from gradcheck.engine.batching import chunked
from gradcheck.engine.methods import EPS_MACH, Method, auto_step, estimate


def quadratic(A: np.ndarray, g: np.ndarray, theta: np.ndarray):
    """BatchLosses of f(θ) = ½ θᵀAθ + gᵀθ, returned as its n terms (θ_i (½ Aθ + g)_i)."""

    def losses(name: str, index: np.ndarray, shift: np.ndarray) -> np.ndarray:
        moved = np.repeat(theta[np.newaxis], len(index), axis=0)
        moved[np.arange(len(index)), index] += shift
        return moved * (0.5 * moved @ A.T + g)

    return losses


@given(n=st.integers(1, 6), seed=st.integers(0, 10_000))
@example(n=1, seed=0)
def test_central_differences_are_exact_on_quadratics(n, seed):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((n, n))
    A = A + A.T
    g, theta = rng.standard_normal(n), rng.standard_normal(n)
    est = estimate(quadratic(A, g, theta), "θ", theta, np.arange(n), Method.CENTRAL, 1e-3)
    note(f"estimate {est.values}")
    np.testing.assert_allclose(est.values, A @ theta + g, rtol=1e-9, atol=1e-9)


def test_forward_differences_carry_the_first_order_truncation_error():
    """On a quadratic, (f(θ+h) − f(θ))/h = f′ + h·A_kk/2 exactly: the O(h) term central removes."""
    A, g, theta = np.diag([4.0, -2.0]), np.zeros(2), np.array([0.5, 1.0])
    h = 1e-3
    est = estimate(quadratic(A, g, theta), "θ", theta, np.arange(2), Method.FORWARD, h)
    np.testing.assert_allclose(est.values, A @ theta + h * np.diag(A) / 2, rtol=1e-9)


def test_auto_step_scales_with_the_entry():
    theta = np.array([0.0, 0.5, -1.0, 100.0])
    np.testing.assert_allclose(auto_step(theta, Method.CENTRAL), EPS_MACH ** (1 / 3) * np.array([1, 1, 1, 100]))
    np.testing.assert_allclose(auto_step(theta, Method.FORWARD), EPS_MACH ** (1 / 2) * np.array([1, 1, 1, 100]))
    assert auto_step(np.zeros(1), Method.CENTRAL)[0] == pytest.approx(6.055e-6, rel=1e-3)


def test_a_fixed_step_is_used_as_given():
    theta = np.array([1.0, 2.0])
    est = estimate(quadratic(np.eye(2), np.zeros(2), theta), "θ", theta, np.arange(2), Method.CENTRAL, 0.25)
    np.testing.assert_array_equal(est.steps, [0.25, 0.25])


def test_chunking_does_not_change_the_estimate():
    rng = np.random.default_rng(1)
    A = rng.standard_normal((9, 9))
    theta = rng.standard_normal(9)
    losses = quadratic(A + A.T, np.ones(9), theta)
    whole = estimate(losses, "θ", theta, np.arange(9), Method.CENTRAL)
    pieces = estimate(chunked(losses, rows=4), "θ", theta, np.arange(9), Method.CENTRAL)
    np.testing.assert_allclose(pieces.values, whole.values, rtol=1e-14)


def test_an_entry_that_changes_nothing_has_a_derivative_of_exactly_zero():
    theta = np.array([1.0, 2.0])
    est = estimate(quadratic(np.diag([1.0, 0.0]), np.zeros(2), theta), "θ", theta, np.arange(2), Method.FORWARD)
    assert est.values[1] == 0.0


def terms_of(f, theta: np.ndarray):
    """BatchLosses of Σ_i f(θ_i) as its terms, complex-safe."""

    def losses(name: str, index: np.ndarray, shift: np.ndarray) -> np.ndarray:
        moved = np.repeat(theta[np.newaxis].astype(np.result_type(shift, float)), len(index), axis=0)
        moved[np.arange(len(index)), index] += shift
        return f(moved)

    return losses


def test_complex_step_on_exp_is_exact_to_machine_precision():
    theta = np.linspace(-2, 3, 7)
    est = estimate(terms_of(np.exp, theta), "θ", theta, np.arange(7), Method.COMPLEX_STEP)
    np.testing.assert_allclose(est.values, np.exp(theta), rtol=2e-16 * 4)
    np.testing.assert_array_equal(est.steps, 1e-20)


def test_richardson_is_exact_on_quartics():
    """(4·D(h/2) − D(h))/3 cancels the h² term: exact for polynomials of degree ≤ 4."""
    theta = np.array([0.3, -1.2, 2.0])
    quartic = lambda v: v**4 - 2 * v**3 + v  # noqa: E731
    est = estimate(terms_of(quartic, theta), "θ", theta, np.arange(3), Method.RICHARDSON, 1e-2)
    np.testing.assert_allclose(est.values, 4 * theta**3 - 6 * theta**2 + 1, rtol=1e-10)


@pytest.mark.parametrize("method", list(Method))
def test_each_method_s_error_bound_covers_its_error(method):
    theta = np.linspace(-3, 3, 25)
    f = lambda v: np.sin(3 * v) * np.exp(v)  # noqa: E731
    exact = (3 * np.cos(3 * theta) + np.sin(3 * theta)) * np.exp(theta)
    est = estimate(terms_of(f, theta), "θ", theta, np.arange(25), method, with_bound=True)
    assert est.bound is not None
    assert (np.abs(est.values - exact) <= est.bound + 1e-14 * np.abs(exact)).all()
    assert est.bound.max() < {"central": 1e-7, "forward": 1e-4, "richardson": 1e-9, "complex-step": 1e-12}[method]


def test_without_asking_there_is_no_bound():
    theta = np.zeros(2)
    assert estimate(terms_of(np.exp, theta), "θ", theta, np.arange(2), Method.CENTRAL).bound is None
