"""The single-output RNN of Fig. 10.5 (gradcheck/book/single_output.py) against an independent autograd version."""

from __future__ import annotations

from typing import Any

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad
from hypothesis import given, settings
from hypothesis import strategies as st

from gradcheck.book import single_output as net
from gradcheck.book.network import Forward, Stacked, draw

NAMES = ("U", "W", "V", "b", "c")


def _problem(I: int, H: int, O: int, tau: int, std: float, seed: int) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    params = draw(net.param_shapes(I, H, O), std, rng)
    return params, rng.standard_normal((tau, I)), rng.integers(0, O, 1)


def _oracle(params: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    """Fig. 10.5 written again in autograd, with zero offsets on h (τ, H) and o (1, O) whose gradients are the nodes'."""
    tau, H, O = len(x), len(params["b"]), len(params["c"])

    def loss(th: dict[str, Any]) -> Any:
        h = anp.zeros(H)
        for t in range(tau):
            h = anp.tanh(th["b"] + anp.dot(th["W"], h) + anp.dot(th["U"], x[t])) + th["dh"][t]
        o = th["c"] + anp.dot(th["V"], h) + th["do"][0]
        return anp.log(anp.sum(anp.exp(o))) - o[y[0]]

    theta = dict(params) | {"dh": np.zeros((tau, H)), "do": np.zeros((1, O))}
    gradients = grad(loss)(theta)
    return {"loss": loss(theta), **{n: gradients[n] for n in NAMES}, "h": gradients["dh"], "o": gradients["do"]}


def _batched(params: dict[str, np.ndarray]) -> Stacked:
    return Stacked({name: value[np.newaxis] for name, value in params.items()})


def _single(fwd: Forward) -> Forward:
    """The Forward of the one copy without its batch axis, as the engine hands it to backward."""
    return Forward(fwd.losses[0], {name: value[0] for name, value in fwd.nodes.items()})


def _gradients(
    params: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray, backward: Any = net.backward
) -> dict[str, np.ndarray]:
    result: dict[str, np.ndarray] = backward(params, x, y, _single(net.forward(_batched(params), x, y)))
    return result


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 5), st.integers(1, 5), st.integers(1, 5), st.integers(1, 6), st.floats(0.1, 1.5), st.integers(0, 2**16))
def test_backward_matches_autograd(I: int, H: int, O: int, tau: int, std: float, seed: int) -> None:
    params, x, y = _problem(I, H, O, tau, std, seed)
    for variant in net.VARIANTS:
        fwd = net.forward(_batched(params), x, y, variant=variant)
        ours, oracle = net.backward(params, x, y, _single(fwd), variant=variant), _oracle(params, x, y)
        assert fwd.losses.shape == (1, 1)
        assert abs(fwd.loss[0] - oracle["loss"]) <= 1e-12 * abs(oracle["loss"]) + 1e-14
        assert set(ours) == set(NAMES) | set(net.NODES)
        for name in (*NAMES, *net.NODES):
            assert ours[name].shape == oracle[name].shape, name
            error = np.linalg.norm(ours[name] - oracle[name])
            assert error <= 1e-10 * np.linalg.norm(oracle[name]) + 1e-13, (name, error)


def test_the_summed_bug_leaves_the_last_step_right() -> None:
    """The bug adds outputs at t < τ only: ∇h(τ)L (10.19) and ∇o(τ)L (10.18) keep their right values."""
    params, x, y = _problem(3, 4, 3, 5, 1.0, 11)
    clean, wrong = _gradients(params, x, y), _gradients(params, x, y, net.BUGS["single-output-summed-over-t"].backward)
    np.testing.assert_allclose(wrong["h"][-1], clean["h"][-1], rtol=1e-13)
    assert np.all(np.abs(wrong["h"][:-1] - clean["h"][:-1]) > 0)


def test_one_target_class_only() -> None:
    params, x, _ = _problem(2, 3, 2, 3, 1.0, 0)
    with pytest.raises(ValueError, match="one entry"):
        net.forward(_batched(params), x, np.array([0, 1, 0]))
