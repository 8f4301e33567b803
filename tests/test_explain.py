"""`gradcheck explain`: the derivation's key lines, and its numbers against the model."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import ROOT

from gradcheck.book.rnn import Params, forward
from gradcheck.check import loading
from gradcheck.check.problem import build
from gradcheck.check.steps import step_numbers

KEY_LINES = [
    "log p_model(y(t) | x(1..t)) = log ŷ_{y(t)}(t) = o_{y(t)}(t) − log Σ_j exp o_j(t)",
    "∂(−o_{y(t)}) / ∂o_i = −1[i = y(t)]",
    "∂(log Σ_j exp o_j) / ∂o_i = exp o_i / Σ_j exp o_j = ŷ_i",
    "⇒  ∂L(t)/∂o_i(t) = ŷ_i(t) − 1[i = y(t)]",
    "1_{i,y(t)} is the indicator 1[i = y(t)]",
    "Kronecker delta",
    "∇o(t)L = ŷ(t) − e_{y(t)}",
    "L = Σ_t L(t): every L(t) enters the sum with coefficient 1",
    "∇h(τ)L = Vᵀ ∇o(τ)L",
    "∇h(t)L = Wᵀ diag(1 − h(t+1)²) ∇h(t+1)L + Vᵀ ∇o(t)L",
    '"ŷ_i = o_i / Σ_j o_j". Without the exponentials this is not softmax',
    '"ŷ is the one-hot prediction"',
]


def test_the_derivation_without_a_config(cli):
    result = cli("explain", code=0)
    text = " ".join(result.stdout.split())
    for line in KEY_LINES:
        assert " ".join(line.split()) in text, line
    assert "The numbers" not in result.stdout


def test_the_numbers_at_a_step_are_the_model_s():
    cfg = loading.load(ROOT / "configs" / "hello.toml")
    n = step_numbers(cfg, 3)
    problem = build(cfg)
    trace = forward(Params(**problem.params), problem.x, problem.y)
    np.testing.assert_array_equal(n.y_hat, trace.y_hat[2])
    assert n.y == problem.y[2] and n.symbol == cfg.vocabulary[n.y]
    np.testing.assert_allclose(n.grad, trace.y_hat[2] - np.eye(len(n.o))[n.y], rtol=1e-15)
    np.testing.assert_allclose(n.numeric, n.grad, atol=1e-9)
    assert np.abs(n.ratio_grad - n.numeric).max() > 0.1  # misreading (a) is far off
    assert np.abs(n.one_hot_grad - n.numeric).max() > 0.1  # misreading (b) too
    assert n.ratio.sum() == pytest.approx(1.0) and (n.ratio < 0).any()  # sums to 1, yet not a probability vector


def test_explain_with_a_config_prints_the_vectors_side_by_side(cli):
    out = cli("explain", ROOT / "configs" / "hello.toml", "--t", "3", code=0).stdout
    assert "∇o(t)L at t = 3 of τ = 27, y(t) = 8 ('l')" in out
    (target,) = [line for line in out.splitlines() if line.startswith("│ 8* ")]
    cells = [c.strip() for c in target.split("│")[1:-1]]
    assert cells[3] == "1" and cells[4] == cells[5] == "-0.821643"  # 10.18 and finite differences agree
    assert "10.18 against finite differences of L: max |difference| = " in out and "PASS" in out
    assert "Σ_i ŷ_i = 1.000000000000000" in out
    assert "its own loss −log(o_y/Σo) is undefined here" in out


def test_the_ratio_loss_gradient_is_shown_when_defined(cli):
    out = cli("explain", ROOT / "configs" / "default.toml", "--t", "10", code=0).stdout
    assert "not even the gradient of its own loss −log(o_y/Σo)" in out


@pytest.mark.parametrize("t", ["0", "11"])
def test_a_step_outside_1_to_tau_is_a_usage_error(cli, assert_one_line_error, t):
    result = cli("explain", ROOT / "configs" / "default.toml", "--t", t)
    assert_one_line_error(result, 2, f"error: --t: must be between 1 and τ = 10, got {t}\n")


def test_t_without_a_config_uses_the_built_in_default(cli):
    out = cli("explain", "--t", "2", code=0).stdout
    assert "8. The numbers (built-in default)" in out and "∇o(t)L at t = 2 of τ = 10" in out
