"""The bidirectional RNN of Fig. 10.11 (gradcheck/book/bidirectional.py) against an independent autograd version."""

from __future__ import annotations

from typing import Any

import autograd.numpy as anp
import numpy as np
from autograd import grad
from hypothesis import given, settings
from hypothesis import strategies as st

from gradcheck.book import bidirectional as net
from gradcheck.book.network import Forward, Stacked, draw

NAMES = ("U", "W", "b", "U2", "W2", "b2", "V", "V2", "c")


def _problem(I: int, H: int, O: int, tau: int, std: float, seed: int) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    params = draw(net.param_shapes(I, H, O), std, rng)
    return params, rng.standard_normal((tau, I)), rng.integers(0, O, tau)


def _oracle(params: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    """Fig. 10.11 written again in autograd, with zero offsets on o, h, g whose gradients are ∇o(t)L, ∇h(t)L, ∇g(t)L."""
    tau, H, O = len(x), len(params["b"]), len(params["c"])

    def loss(th: dict[str, Any]) -> Any:
        hs, h = [], anp.zeros(H)
        for t in range(tau):
            h = anp.tanh(th["b"] + anp.dot(th["W"], h) + anp.dot(th["U"], x[t])) + th["dh"][t]
            hs.append(h)
        gs, g = [None] * tau, anp.zeros(H)
        for t in reversed(range(tau)):
            g = anp.tanh(th["b2"] + anp.dot(th["W2"], g) + anp.dot(th["U2"], x[t])) + th["dg"][t]
            gs[t] = g
        total = 0.0
        for t in range(tau):
            o = th["c"] + anp.dot(th["V"], hs[t]) + anp.dot(th["V2"], gs[t]) + th["do"][t]
            total = total + anp.log(anp.sum(anp.exp(o))) - o[y[t]]
        return total

    theta = dict(params) | {"dh": np.zeros((tau, H)), "dg": np.zeros((tau, H)), "do": np.zeros((tau, O))}
    gradients = grad(loss)(theta)
    return {
        "loss": loss(theta),
        **{n: gradients[n] for n in NAMES},
        "h": gradients["dh"],
        "g": gradients["dg"],
        "o": gradients["do"],
    }


def _batched(params: dict[str, np.ndarray]) -> Stacked:
    return Stacked({name: value[np.newaxis] for name, value in params.items()})


def _single(fwd: Forward) -> Forward:
    """The Forward of the one copy without its batch axis, as the engine hands it to backward."""
    return Forward(fwd.losses[0], {name: value[0] for name, value in fwd.nodes.items()})


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 5), st.integers(1, 5), st.integers(1, 5), st.integers(1, 6), st.floats(0.1, 1.5), st.integers(0, 2**16))
def test_backward_matches_autograd(I: int, H: int, O: int, tau: int, std: float, seed: int) -> None:
    params, x, y = _problem(I, H, O, tau, std, seed)
    for variant in net.VARIANTS:
        fwd = net.forward(_batched(params), x, y, variant=variant)
        ours, oracle = net.backward(params, x, y, _single(fwd), variant=variant), _oracle(params, x, y)
        assert abs(fwd.loss[0] - oracle["loss"]) <= 1e-12 * abs(oracle["loss"]) + 1e-14
        assert set(ours) == set(NAMES) | set(net.NODES)
        for name in (*NAMES, *net.NODES):
            assert ours[name].shape == oracle[name].shape, name
            error = np.linalg.norm(ours[name] - oracle[name])
            assert error <= 1e-10 * np.linalg.norm(oracle[name]) + 1e-13, (name, error)
