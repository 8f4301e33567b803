"""The deep RNN of Fig. 10.13a (gradcheck/book/deep.py) against an independent autograd version."""

from __future__ import annotations

from typing import Any

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad
from hypothesis import given, settings
from hypothesis import strategies as st

from gradcheck.book import deep as net
from gradcheck.book.network import Forward, Stacked, draw


def _names(N: int) -> tuple[str, ...]:
    return (*(f"{p}{k}" for k in range(1, N + 1) for p in "UWb"), "V", "c")


def _nodes(N: int) -> tuple[str, ...]:
    return ("o", *(f"h{k}" for k in range(1, N + 1)))


def _problem(
    I: int, H: int, O: int, tau: int, N: int, std: float, seed: int
) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    params = draw(net.param_shapes(I, H, O, N), std, rng)
    return params, rng.standard_normal((tau, I)), rng.integers(0, O, tau)


def _oracle(params: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray, N: int) -> dict[str, Any]:
    """Fig. 10.13a written again in autograd, one time step at a time through the whole stack, with zero offsets."""
    tau, H, O = len(x), len(params["b1"]), len(params["c"])

    def loss(th: dict[str, Any]) -> Any:
        states, total = [anp.zeros(H) for _ in range(N)], 0.0
        for t in range(tau):
            below = x[t]
            for k in range(1, N + 1):
                a = th[f"b{k}"] + anp.dot(th[f"W{k}"], states[k - 1]) + anp.dot(th[f"U{k}"], below)
                states[k - 1] = below = anp.tanh(a) + th[f"dh{k}"][t]
            o = th["c"] + anp.dot(th["V"], below) + th["do"][t]
            total = total + anp.log(anp.sum(anp.exp(o))) - o[y[t]]
        return total

    theta = dict(params) | {f"dh{k}": np.zeros((tau, H)) for k in range(1, N + 1)} | {"do": np.zeros((tau, O))}
    gradients = grad(loss)(theta)
    nodes = {"o": gradients["do"]} | {f"h{k}": gradients[f"dh{k}"] for k in range(1, N + 1)}
    return {"loss": loss(theta), **{n: gradients[n] for n in _names(N)}, **nodes}


def _batched(params: dict[str, np.ndarray]) -> Stacked:
    return Stacked({name: value[np.newaxis] for name, value in params.items()})


def _single(fwd: Forward) -> Forward:
    """The Forward of the one copy without its batch axis, as the engine hands it to backward."""
    return Forward(fwd.losses[0], {name: value[0] for name, value in fwd.nodes.items()})


@settings(max_examples=40, deadline=None)
@given(
    st.integers(1, 5),
    st.integers(1, 5),
    st.integers(1, 5),
    st.integers(1, 6),
    st.integers(1, 3),
    st.floats(0.1, 1.5),
    st.integers(0, 2**16),
)
def test_backward_matches_autograd(I: int, H: int, O: int, tau: int, N: int, std: float, seed: int) -> None:
    params, x, y = _problem(I, H, O, tau, N, std, seed)
    for variant in net.VARIANTS:
        fwd = net.forward(_batched(params), x, y, variant=variant)
        ours, oracle = net.backward(params, x, y, _single(fwd), variant=variant), _oracle(params, x, y, N)
        assert abs(fwd.loss[0] - oracle["loss"]) <= 1e-12 * abs(oracle["loss"]) + 1e-14
        assert set(ours) == set(_names(N)) | set(_nodes(N))
        for name in (*_names(N), *_nodes(N)):
            assert ours[name].shape == oracle[name].shape, name
            error = np.linalg.norm(ours[name] - oracle[name])
            assert error <= 1e-10 * np.linalg.norm(oracle[name]) + 1e-13, (name, error)


@pytest.mark.parametrize("N", [1, 2, 4])
def test_param_shapes_and_equations_name_every_row(N: int) -> None:
    shapes = net.param_shapes(2, 3, 4, N)
    assert tuple(shapes) == _names(N) and shapes["U1"] == (3, 2) and shapes[f"U{N}"] == ((3, 2) if N == 1 else (3, 3))
    assert tuple(net.nodes(N)) == _nodes(N)
    assert {eq.target for eq in net.equations(N)} == set(_names(N)) | set(_nodes(N))
    assert [eq.times for eq in net.equations(N) if eq.target == f"h{N}"] == ["last", "earlier"]
