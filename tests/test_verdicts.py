"""A verdict is a promise: FAIL only when two estimates agree the gradient is wrong, UNDECIDED when finite
differences cannot judge, and the noise behind every bound measured at the point."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, note
from hypothesis import strategies as st

from gradcheck import check_gradients
from gradcheck.book.bugs import BUGS
from gradcheck.check import config
from gradcheck.check.convergence import taylor
from gradcheck.check.problem import build
from gradcheck.check.run import run_bugs
from gradcheck.engine.compare import Verdict
from gradcheck.engine.methods import EPS_MACH, Method, error_bound

BUG_LIST = tuple(BUGS.values())


def visible(cfg: config.Config, bug_name: str) -> bool:
    """Whether the bug changes any checked gradient by more than 1e-6 of its size (else no check can see it)."""
    problem = build(cfg)
    right, wrong = problem.model().gradients(), problem.model(BUGS[bug_name]).gradients()
    return any(np.abs(wrong[k] - right[k]).max() > 1e-6 * np.abs(right[k]).max(initial=1e-300) for k in cfg.checked_params)


@pytest.mark.slow  # 96 problems, each with every bug
def test_over_a_grid_of_regimes_right_never_fails_wrong_never_passes_and_few_are_undecided():
    """Weights from std 0.05 to 3, τ from 1 to 30, H from 4 to 16, h(0) zero and random: no shipped config is here."""
    verdicts = []
    for std, tau, H, h0, seed in itertools.product((0.05, 0.7, 1.7, 3.0), (1, 7, 30), (4, 16), ("zeros", "random"), (101, 102)):
        cfg = config.validate({"model": {"hidden_size": H, "init_std": std, "h0": h0}, "data": {"length": tau, "seed": seed}})
        result = run_bugs(cfg, BUG_LIST)
        assert result.clean.verdict is not Verdict.FAIL, (std, tau, H, h0, seed)
        verdicts.append(result.clean.verdict)
        for run in result.bugs:
            assert run.bug is not None
            if visible(cfg, run.bug.name):
                assert run.verdict is not Verdict.PASS, (run.bug.name, std, tau, H, h0, seed)
                verdicts.append(run.verdict)
    assert verdicts.count(Verdict.UNDECIDED) <= 0.1 * len(verdicts)


@given(
    sizes=st.tuples(*(st.integers(2, 6) for _ in range(3)), st.integers(2, 12)),
    std=st.floats(0.05, 1.2),
    h0=st.sampled_from(["zeros", "random"]),
    seed=st.integers(0, 2**16),
)
def test_right_gradients_never_fail_and_every_bug_the_complex_step_sees_fails(sizes, std, h0, seed):
    I, H, O, tau = sizes
    raw = {"model": {"input_size": I, "hidden_size": H, "output_size": O, "init_std": std, "h0": h0}}
    cfg = config.validate(raw | {"data": {"length": tau, "seed": seed}})
    result = run_bugs(cfg, BUG_LIST)
    note(f"clean: {result.clean.verdict.name}; {[(r.bug.name, r.verdict.name) for r in result.bugs if r.bug]}")
    assert result.clean.verdict is not Verdict.FAIL
    for run in result.bugs:
        assert run.bug is not None
        if visible(cfg, run.bug.name):
            assert run.verdict is Verdict.FAIL, run.bug.name


@pytest.mark.slow  # H = 1024
class TestLargeModels:
    RAW = "[model]\nhidden_size = 1024\ninput_size = 256\noutput_size = 256\n{std}[data]\nlength = 25\n[check]\ndirections = 16\n"

    def test_the_auto_initialisation_keeps_a_large_network_judgeable(self, cli, tmp_path):
        path = tmp_path / "big.toml"
        path.write_text(self.RAW.format(std=""))
        cli("run", path, code=0)

    def test_a_chaotic_network_is_undecided_with_the_reason(self, cli, tmp_path):
        path = tmp_path / "chaos.toml"
        path.write_text(self.RAW.format(std="init_std = 0.5\n"))
        result = cli("run", path, code=3)
        assert "UNDECIDED" in result.stdout and "chaotic" in result.stdout and "lower model.init_std" in result.stdout


def test_auto_init_keeps_the_built_in_problem_exactly():
    assert config.Config().init_std == 0.5
    assert config.validate({"model": {"init_std": 0.5}}) != config.Config()  # a different key, the same numbers
    given = build(config.validate({"model": {"init_std": 0.5}}))
    assert build(config.Config()).params["W"].tolist() == given.params["W"].tolist()


@pytest.mark.parametrize(("H", "tau"), [(2, 10), (64, 10), (1024, 25), (4096, 1000)])
def test_auto_init_bounds_the_growth_of_a_perturbation(H, tau):
    std = config.auto_init_std(H, tau)
    assert 0 < std <= 0.5 and (std * H**0.5) ** min(tau, 1000) <= 2**10 * (1 + 1e-9)


def test_a_truncation_estimate_of_zero_never_takes_the_bound_below_the_measured_noise():
    def losses(name, index, shift):
        return np.zeros((len(index), 1))  # a flat loss: D(h) = D(2h) = 0

    h = np.full(3, 1e-5)
    bound = error_bound(losses, "x", np.arange(3), Method.CENTRAL, h, np.zeros(3), np.ones(3), noise=1e-9)
    assert (bound >= 1e-9 / 1e-5).all()
    assert (error_bound(losses, "x", np.arange(3), Method.CENTRAL, h, np.zeros(3), np.ones(3)) < 1e-9 / 1e-5).all()


class TestTaylor:
    @pytest.mark.parametrize("raw", [{"data": {"length": 1}}, {"model": {"init_std": 1e-300}}, {"model": {"init_std": 1e308}}])
    def test_remainders_at_round_off_or_not_finite_are_undecided_not_wrong(self, raw):
        result = taylor(config.validate(raw))
        assert result.verdict is not Verdict.FAIL
        assert all(row.reason for row in result.rows if row.verdict is Verdict.UNDECIDED)

    def test_a_wrong_gradient_still_fails_and_a_right_one_passes(self):
        assert taylor(config.Config(), BUGS["bias-not-summed"]).verdict is Verdict.FAIL
        assert taylor(config.Config()).verdict is Verdict.PASS


def minchar(seed: int, scale: float, H: int = 8, V: int = 5, T: int = 8):
    """The network of Fig. 10.3 written as min-char-rnn writes it: column vectors, a dict of gradients."""
    rng = np.random.default_rng(seed)
    params = {"Wxh": rng.standard_normal((H, V)), "Whh": rng.standard_normal((H, H)), "Why": rng.standard_normal((V, H))}
    params = {k: 0.3 * scale * v for k, v in params.items()} | {"bh": np.zeros((H, 1)), "by": np.zeros((V, 1))}
    inputs, targets = rng.integers(0, V, T), rng.integers(0, V, T)

    def loss_and_grads(p, mistake=None):
        hs, ps, loss = {-1: np.zeros((H, 1))}, {}, 0.0
        for t in range(T):
            hs[t] = np.tanh(p["Wxh"][:, [inputs[t]]] + p["Whh"] @ hs[t - 1] + p["bh"])
            y = p["Why"] @ hs[t] + p["by"]
            ps[t] = np.exp(y - y.max()) / np.exp(y - y.max()).sum()
            loss -= np.log(ps[t][targets[t], 0])
        d = {k: np.zeros_like(v) for k, v in p.items()}
        dh_next = np.zeros((H, 1))
        for t in reversed(range(T)):
            dy = ps[t].copy()
            dy[targets[t]] -= 1
            d["Why"] += dy @ hs[t].T
            d["by"] += dy
            dh = p["Why"].T @ dy + dh_next
            dh_raw = dh if mistake == "tanh" else (1 - hs[t] ** 2) * dh
            d["bh"] += dh_raw
            d["Wxh"][:, [inputs[t]]] += dh_raw
            d["Whh"] += dh_raw @ hs[t - 1].T
            dh_next = np.zeros_like(dh) if mistake == "Wt" else p["Whh"].T @ dh_raw
        return loss, d

    return params, loss_and_grads


@pytest.mark.slow  # 9 checks per scale
@pytest.mark.parametrize("scale", [1, 4, 8, 16])
def test_the_library_api_never_fails_a_right_min_char_rnn_and_always_fails_a_wrong_one(scale):
    for seed in range(3):
        params, both = minchar(seed, scale)
        for mistake in (None, "tanh", "Wt"):
            result = check_gradients(lambda p, f=both: f(p)[0], lambda p, f=both, m=mistake: f(p, m)[1], params)
            if mistake is None:
                assert result.verdict is not Verdict.FAIL, (seed, str(result))
            else:
                assert result.verdict is Verdict.FAIL, (seed, mistake, str(result))


def test_a_first_round_failure_is_overturned_by_the_complex_step(monkeypatch):
    """Shrink the first estimate's bound to nothing: every entry fails the first round, the complex step clears them."""
    import gradcheck.engine.methods as methods

    monkeypatch.setattr(methods, "SAFETY", 1e-12)
    result = run_bugs(config.Config(), ())
    assert result.clean.verdict is Verdict.PASS
    assert sum(row.overturned for row in result.clean.params) > 0
    assert all(row.confirmed_by == "complex step" for row in result.clean.params if row.overturned)


def test_the_noise_is_measured_near_float64_resolution_on_a_well_behaved_loss():
    from gradcheck.check.run import numerical

    num = numerical(config.Config())
    loss = num.model.loss
    assert all(EPS_MACH * loss / 100 < sigma < 100 * EPS_MACH * loss for sigma in num.noise.values()), num.noise
