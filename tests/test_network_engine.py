"""The generic engine model (engine/network.py) on a network written here to book/network.py's interface: Fig. 10.3's
tanh RNN again, batched. Its gradients are the book's (rnn.backward), so the engine's perturbed copies, node offsets,
directions and complex step can be checked against a backward pass known to be right, before any other network."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from gradcheck.book import rnn
from gradcheck.book.network import Equation, Forward, Network, in_time
from gradcheck.book.rnn import log_softmax
from gradcheck.check.run import first_nonfinite
from gradcheck.engine.batching import entry_losses
from gradcheck.engine.directions import given_directions
from gradcheck.engine.methods import Method, estimate
from gradcheck.engine.network import NetworkModel


def forward(p: Any, x: Any, y: Any, offsets: dict[str, Any] | None = None, variant: str = "book") -> Forward:
    offsets = offsets or {}
    ux, b, c = p.over_time("U", x), p.vector("b"), p.vector("c")
    h = np.zeros((1, b.shape[-1]))
    hs, os_, losses = [], [], []
    for t in range(len(x)):
        h = np.tanh(b + p.mv("W", h) + ux[:, t])
        h = h + offsets["h"][:, t] if "h" in offsets else h
        o = c + p.mv("V", h)
        o = o + offsets["o"][:, t] if "o" in offsets else o
        hs.append(h)
        os_.append(o)
        losses.append(-log_softmax(o)[:, y[t]])
    return Forward(p.full(in_time(losses)), {"h": in_time(hs), "o": in_time(os_)})


def backward(params: dict[str, Any], x: Any, y: Any, fwd: Forward, variant: str = "book") -> dict[str, Any]:
    point = rnn.Params(**params, h0=np.zeros(len(params["b"])))
    grads = rnn.backward(point, rnn.forward(point, x, y))
    return {name: grads.params[name] for name in params} | {"o": grads.o, "h": grads.h}


def shapes(I: int, H: int, O: int) -> dict[str, tuple[int, ...]]:
    return {"U": (H, I), "W": (H, H), "V": (O, H), "b": (H,), "c": (O,)}


NET = Network(
    "test",
    shapes,
    {"o": "outputs", "h": "hidden states"},
    (Equation("10.18", "ŷ − e_y", "o", "∇o(t)L"), Equation("10.24", "Σ ∇o hᵀ", "V", "V")),
    {},
    forward,
    backward,
)


@pytest.fixture
def model() -> NetworkModel:
    rng = np.random.default_rng(1)
    I, H, O, tau = 3, 4, 5, 6
    point = {name: 0.6 * rng.standard_normal(shape) for name, shape in shapes(I, H, O).items()}
    x, y = np.eye(I)[rng.integers(0, I, tau)], rng.integers(0, O, tau)
    return NetworkModel(NET, point, x, y)


@pytest.mark.parametrize("method", [Method.CENTRAL, Method.COMPLEX_STEP, Method.RICHARDSON])
def test_every_entry_and_node_differences_to_the_backward_pass(model, method):
    grads = model.gradients()
    losses = entry_losses(model, 2**20, method is Method.COMPLEX_STEP)
    for name, value in (model.params | model.nodes).items():
        index = np.arange(value.size)
        found = estimate(losses, name, value, index, method, "auto", with_bound=True)
        np.testing.assert_allclose(found.values, grads[name].reshape(-1), rtol=1e-6, atol=1e-8, err_msg=name)


def test_directions_are_the_projected_gradient(model):
    rng = np.random.default_rng(2)
    directions = rng.standard_normal((3, *model.params["W"].shape))
    shifts = np.full(3, 1e-30j)
    along = model.directional_losses("W", given_directions(directions), np.arange(3), shifts).sum(axis=1).imag / 1e-30
    np.testing.assert_allclose(along, directions.reshape(3, -1) @ model.gradients()["W"].reshape(-1), rtol=1e-12)


def test_memory_nonfinite_and_rounding(model):
    assert model.row_bytes("W", True) == 2 * model.row_bytes("W", False) > 0
    assert first_nonfinite(model) is None and np.isfinite(model.loss)
    bound = model.rounding()["W"]
    assert bound.shape == model.params["W"].shape and 0 < bound.max() < 1e-10
    assert [e.number for e in model.equations] == ["10.18", "10.24"]


def test_an_overflowing_forward_pass_says_where(model):
    with np.errstate(all="ignore"):  # as the check runs every forward pass
        huge = NetworkModel(NET, model.params | {"V": model.params["V"] * 1e308}, model.x, model.y)
        losses = huge.step_losses
        first = int(np.flatnonzero(~np.isfinite(losses))[0]) + 1  # o(t) is finite; its softmax is not
        assert all(np.isfinite(value).all() for value in huge.nodes.values())
        assert first_nonfinite(huge) == (first, "L(t)")
