"""ECnoise (Moré & Wild 2011) against noise of known σ, float64 rounding, and the cases where it must refuse."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import example, given, note
from hypothesis import strategies as st

from gradcheck.engine.noise import (
    GROWTH,
    POINTS,
    RETRIES,
    NoiseStatus,
    estimate_noise,
    gammas,
    noise_from_values,
    search_noise,
    start_step,
    stencil,
)

EPS = float(np.finfo(np.float64).eps)
DRAWS = 7  # independent noise draws per case: one 9-point estimate is below σ/3 about 1% of the time


def smooth(kind: str, coefficients: tuple[float, ...], w: float):
    """A smooth part of size < 2 on [−1, 1] (so 2 + it stays away from 0): a cubic, exp or sin(w·s)."""
    if kind == "poly":
        return lambda s: np.polynomial.polynomial.polyval(s, coefficients)
    if kind == "exp":
        return lambda s: np.exp(s) / 3
    return lambda s: np.sin(w * s)


def noisy(shape, x: float, scale: float, sigma: float, distribution: str, rng: np.random.Generator):
    """evaluate(t) = scale·(2 + shape(x + t)) + noise of standard deviation σ, drawn afresh at every call."""

    def unit_noise(n: int) -> np.ndarray:
        if distribution == "gaussian":
            return rng.standard_normal(n)
        return rng.uniform(-math.sqrt(3), math.sqrt(3), n)  # variance (2·√3)² / 12 = 1

    def evaluate(t: np.ndarray) -> np.ndarray:
        return scale * (2 + shape(x + t)) + sigma * unit_noise(len(t))

    return evaluate


# --- the difference table -------------------------------------------------------------------------------------------


def test_gamma_is_one_over_the_variance_of_a_difference_of_unit_noise():
    """Var(Δ^j ε) = Σ_i C(j, i)² = C(2j, j) for independent unit ε_k."""
    np.testing.assert_allclose(gammas(8), [1 / math.comb(2 * j, j) for j in range(1, 9)], rtol=1e-15)


def test_levels_of_an_alternating_sequence():
    """f_k = (−1)^k: Δ^j f = (−2)^j·(−1)^k, so σ_j = sqrt(4^j / C(2j, j)); every order but the
    last (a single difference) changes sign."""
    noise = noise_from_values(np.array([1.0, -1.0] * 4 + [1.0]) + 100.0)
    np.testing.assert_allclose(noise.levels, [math.sqrt(4**j / math.comb(2 * j, j)) for j in range(1, 9)], rtol=1e-14)
    assert noise.sign_changes == (True,) * 7 + (False,)
    assert noise.order == 1 and noise.sigma == pytest.approx(math.sqrt(2), rel=1e-14)


# --- noise of known σ -----------------------------------------------------------------------------------------------


@given(
    kind=st.sampled_from(["poly", "exp", "sin"]),
    distribution=st.sampled_from(["gaussian", "uniform"]),
    coefficients=st.tuples(*[st.floats(-0.25, 0.25)] * 4),
    w=st.floats(1, 10),
    x=st.floats(-1, 1),
    log_scale=st.floats(0, 3),
    log_relative=st.floats(-14, -3),
    seed=st.integers(0, 2**32 - 1),
)
@example(kind="sin", distribution="gaussian", coefficients=(0, 0, 0, 0), w=10, x=0.3, log_scale=3, log_relative=-14, seed=0)
@example(kind="poly", distribution="uniform", coefficients=(0.25,) * 4, w=1, x=1, log_scale=0, log_relative=-3, seed=1)
@example(kind="exp", distribution="gaussian", coefficients=(0, 0, 0, 0), w=1, x=-1, log_scale=1.5, log_relative=-8, seed=2)
def test_recovers_the_sigma_of_synthetic_noise(kind, distribution, coefficients, w, x, log_scale, log_relative, seed):
    """The median over DRAWS independent draws is within 3× of σ, each found at the first step or after retries."""
    scale, sigma = 10.0**log_scale, 10.0 ** (log_scale + log_relative)
    shape = smooth(kind, coefficients, w)
    ratios = []
    for child in np.random.SeedSequence(seed).spawn(DRAWS):
        evaluate = noisy(shape, x, scale, sigma, distribution, np.random.default_rng(child))
        noise = search_noise(evaluate, start_step(np.array([x])))
        note(f"status {noise.status}, order {noise.order}, levels / σ {np.array(noise.levels) / sigma}")
        assert noise.status is NoiseStatus.MEASURED
        ratios.append(noise.sigma / sigma)
    note(f"σ̂ / σ = {ratios}")
    assert 1 / 3 <= float(np.median(ratios)) <= 3


@pytest.mark.parametrize("distribution", ["gaussian", "uniform"])
def test_the_estimate_is_unbiased_to_within_a_quarter(distribution):
    """Over 301 seeded draws the median σ̂/σ is about 0.9 (sqrt of a mean of squares is biased low); a γ of the
    wrong order would put it near 0.5 or 2, inside the 3× of the property above but not here."""
    rng = np.random.default_rng(20110301)
    evaluate = noisy(smooth("exp", (), 1.0), 0.2, 1.0, 1e-8, distribution, rng)
    ratios = [estimate_noise(evaluate, 1e-7).sigma / 1e-8 for _ in range(301)]
    assert 0.75 <= float(np.median(ratios)) <= 1.15


# --- float64 rounding -----------------------------------------------------------------------------------------------


@given(n=st.integers(1, 100), seed=st.integers(0, 2**32 - 1))
@example(n=1, seed=0)
@example(n=100, seed=0)
def test_a_smooth_float64_function_shows_its_rounding_noise(n, seed):
    """f(x + t·u) = Σ_i sin(x_i + t·u_i), |f| ≈ n: its only noise is rounding, so σ ≈ ε_mach·|f|."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(1.0, 1.5, n)
    u = rng.standard_normal(n)
    u /= np.linalg.norm(u)

    def evaluate(t: np.ndarray) -> np.ndarray:
        return np.sin(x + t[:, np.newaxis] * u).sum(axis=1)

    noise = search_noise(evaluate, start_step(x))
    level = EPS * abs(float(evaluate(np.zeros(1))[0]))
    note(f"{noise}, ε|f| = {level:.3g}")
    assert noise.status is NoiseStatus.MEASURED
    assert level / 30 <= noise.sigma <= 30 * level
    assert noise.order is not None and noise.levels[noise.order - 1] >= level / 100  # measured, not only the floor


# --- the floor and the refusals -------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [1.0, -3.5, 1e3, 1e-300, 0.0])
def test_constant_values_show_no_noise_and_report_the_float64_floor(value):
    noise = noise_from_values(np.full(POINTS, value))
    assert noise.status is NoiseStatus.NO_NOISE_VISIBLE
    assert noise.order is None
    assert noise.sigma == noise.floor == EPS / 2 * abs(value)


def test_half_the_values_equal_is_already_no_noise_visible():
    """ECnoise.m's rule: at least (m + 1)/2 zero first differences, not only all of them."""
    five_zeros = 1.0 + EPS * np.array([0, 0, 0, 0, 0, 0, 1, -1, 0])  # Δf = (0, 0, 0, 0, 0, ε, −2ε, ε)
    four_zeros = 1.0 + EPS * np.array([0, 0, 0, 0, 0, 1, -1, 1, 0])  # Δf = (0, 0, 0, 0, ε, −2ε, 2ε, −ε)
    assert noise_from_values(five_zeros).status is NoiseStatus.NO_NOISE_VISIBLE
    assert noise_from_values(four_zeros).status is not NoiseStatus.NO_NOISE_VISIBLE


def test_the_sigma_is_never_below_the_float64_floor():
    """One-ulp steps a, a, b, b, … near 2 measure σ_1 = ulp/2, below the floor ε_mach/2 · max|f| ≈ ulp."""
    a = 1.75
    b = a + EPS  # the next float64 after a: ulp(a) = ε_mach on [1, 2)
    noise = noise_from_values(np.array([a, a, b, b, a, a, b, b, a]))
    assert noise.status is NoiseStatus.MEASURED and noise.order == 1
    assert noise.levels[0] == EPS / 2 < noise.floor
    assert noise.sigma == noise.floor == EPS / 2 * b


@pytest.mark.parametrize(
    ("evaluate", "step"),
    [(lambda t: np.exp(10 * t), 0.1), (lambda t: 1e3 + np.exp(t), 0.05)],
    ids=["exp(10t), spread 1.2", "1000 + exp(t), spread 5e-4"],
)
def test_differences_of_one_sign_at_every_order_are_a_step_too_large(evaluate, step):
    """Every difference of exp is positive: at these steps the smooth part dominates every order, so no σ_j
    is noise; the refusal reports only the floor."""
    noise = estimate_noise(evaluate, step)
    assert noise.status is NoiseStatus.STEP_TOO_LARGE
    assert not any(noise.sign_changes)
    assert noise.order is None and noise.sigma == noise.floor


def test_agreeing_levels_need_a_sign_change():
    """A steep line plus noise: σ_1, σ_2, σ_3 agree within 4, but the first differences are the slope (all > 0);
    taking σ_1 would report the slope as noise."""
    noise_values = 1e-6 * np.random.default_rng(2).standard_normal(POINTS)
    noise = noise_from_values(1.0 + 3e-6 * np.arange(POINTS) + noise_values)
    assert not noise.sign_changes[0] and max(noise.levels[:3]) <= 4 * min(noise.levels[:3])
    assert noise.order == 2, noise
    assert 1e-6 / 3 <= noise.sigma <= 3e-6


@pytest.mark.parametrize("curvature", [1e-4, 3e-9], ids=["σ_1 ≈ 3e5·σ", "σ_1 ≈ 10·σ"])
def test_a_sign_change_needs_agreeing_levels(curvature):
    """A parabola with its vertex inside the stencil: the first differences change sign but are the smooth part.
    Even at ten times the noise (σ_1 vs σ_3) they must not be accepted: the neighbours agree within 4, not 10."""
    noise_values = 1e-9 * np.random.default_rng(4).standard_normal(POINTS)
    noise = noise_from_values(1.0 + curvature * (np.arange(POINTS) - 4.2) ** 2 + noise_values)
    assert noise.sign_changes[0]
    assert noise.order == 3, noise  # order 2 is the constant 2·curvature plus noise: no sign change
    assert 1e-9 / 3 <= noise.sigma <= 3e-9


def test_zero_differences_are_not_a_sign_change():
    """A slowly rising function rounded to float64: first differences of 0 and 1 ulp are its slope, not noise."""
    noise = noise_from_values(1.0 + EPS * np.array([0, 0, 1, 2, 2, 3, 4, 4, 5]))  # Δf/ε = 0 1 1 0 1 1 0 1
    assert noise.sign_changes[:2] == (False, True)
    assert noise.order == 2, noise


def test_values_differing_in_their_first_digit_are_refused_even_if_they_look_like_noise():
    """ECnoise.m's range test: a spread over 10% of max|f| says δ samples the function, not its noise."""
    alternating = np.array([1.0, -1.0] * 4 + [1.0])
    assert noise_from_values(10.0 + 0.5 * alternating).status is NoiseStatus.MEASURED  # spread 1/10.5
    assert noise_from_values(10.0 + 0.6 * alternating).status is NoiseStatus.STEP_TOO_LARGE  # spread 1.2/10.6
    assert noise_from_values(1.7e308 * alternating).status is NoiseStatus.STEP_TOO_LARGE  # a spread beyond float64


# --- choosing the step ----------------------------------------------------------------------------------------------


def test_the_stencil_is_centred_and_evaluated_in_one_call():
    calls = []

    def evaluate(t: np.ndarray) -> np.ndarray:
        calls.append(t.copy())
        return 1.0 + np.random.default_rng(len(calls)).standard_normal(len(t)) * 1e-6

    noise = estimate_noise(evaluate, 0.25)
    assert len(calls) == 1
    np.testing.assert_array_equal(calls[0], 0.25 * np.arange(-4, 5))
    np.testing.assert_array_equal(stencil(1.0, 4), [-1.5, -0.5, 0.5, 1.5])
    assert noise.step == 0.25 and noise.evaluations == POINTS


def test_start_step_scales_with_the_point():
    assert start_step(np.array([0.5, -0.1])) == 1e-7
    assert start_step(np.array([3.0, -2e4])) == pytest.approx(2e-3)


@pytest.mark.parametrize(
    ("evaluate", "start", "attempts"),
    [
        (lambda t: np.exp(10 * t), 0.1, 3),  # 0.1 and 1e-3 are too large for exp(10 t); 1e-5 is not
        (lambda t: 1e3 + np.exp(t), 0.05, 2),  # differences of one sign at 0.05, rounding noise at 5e-4
        (lambda t: 1.0 + 1e-10 * t, 1e-7, 2),  # steps of 1e-17 vanish in float64 rounding of 1; 1e-15 do not
    ],
    ids=["curved", "one-signed", "flat"],
)
def test_search_moves_the_step_until_noise_is_measured(evaluate, start, attempts):
    first = estimate_noise(evaluate, start)
    noise = search_noise(evaluate, start)
    assert first.status is not NoiseStatus.MEASURED
    assert noise.status is NoiseStatus.MEASURED
    assert noise.evaluations == attempts * POINTS <= (1 + RETRIES) * POINTS
    direction = 1 / GROWTH if first.status is NoiseStatus.STEP_TOO_LARGE else GROWTH
    assert noise.step == pytest.approx(start * direction ** (attempts - 1))


def test_search_narrows_the_factor_when_it_overshoots_a_window():
    """Noise visible only for δ in (3e-6, 3e-5): 1e-4 is too large, 1e-6 too small, the midpoint 1e-5 works."""

    def evaluate(t: np.ndarray) -> np.ndarray:
        step = t[1] - t[0]
        if step > 3e-5:
            return 1.0 + 1e-3 * np.exp(t / step)  # every difference positive
        if step < 3e-6:
            return np.ones(len(t))
        return 1.0 + 1e-6 * np.random.default_rng(0).standard_normal(len(t))

    noise = search_noise(evaluate, 1e-4)
    assert noise.status is NoiseStatus.MEASURED
    assert noise.step == pytest.approx(1e-5)
    assert noise.evaluations == 3 * POINTS


def test_search_stops_after_its_retries_and_says_why():
    noise = search_noise(lambda t: np.full(len(t), 2.0), 1e-7, retries=2)
    assert noise.status is NoiseStatus.NO_NOISE_VISIBLE
    assert noise.evaluations == 3 * POINTS
    assert noise.step == pytest.approx(1e-7 * GROWTH**2)
    assert noise.sigma == EPS


# --- exactness and misuse -------------------------------------------------------------------------------------------


@given(
    steps=st.lists(st.integers(-1000, 1000), min_size=4, max_size=12),
    offset=st.integers(-(10**6), 10**6),
    power=st.integers(-900, 900),
)
@example(steps=[0, 1, -1, 2, -2, 1, 0, 3, -1], offset=10**6, power=900)  # squares of differences near 1e280 overflow
def test_scaling_by_a_power_of_two_scales_the_estimate_exactly(steps, offset, power):
    values = np.array(steps, dtype=np.float64) + offset
    base, scaled = noise_from_values(values), noise_from_values(np.ldexp(values, power))
    assert (scaled.status, scaled.order, scaled.sign_changes) == (base.status, base.order, base.sign_changes)
    assert scaled.sigma == math.ldexp(base.sigma, power)
    assert scaled.levels == tuple(math.ldexp(level, power) for level in base.levels)


@pytest.mark.parametrize("values", [np.ones(3), np.ones((3, 3)), np.array([1.0, 2.0, np.nan, 4.0]), np.full(5, np.inf)])
def test_rejects_values_it_cannot_difference(values):
    with pytest.raises(ValueError, match="at least 4 finite values"):
        noise_from_values(values)


@pytest.mark.parametrize("step", [0.0, -1e-7, math.nan, math.inf])
def test_rejects_a_step_that_is_not_positive(step):
    with pytest.raises(ValueError, match="positive and finite"):
        estimate_noise(lambda t: np.ones(len(t)), step)


@pytest.mark.parametrize("shape", [lambda n: (n, 2), lambda n: (n - 1,)], ids=["per-term", "one short"])
def test_rejects_an_evaluate_that_returns_another_shape(shape):
    with pytest.raises(ValueError, match="evaluate returned shape"):
        estimate_noise(lambda t: np.arange(math.prod(shape(len(t))), dtype=float).reshape(shape(len(t))), 1e-7)


def test_the_module_loads_numpy_only():
    code = "import sys, gradcheck.engine.noise; print(sorted({m.split('.')[0] for m in sys.modules} & {'rich', 'click'}))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
