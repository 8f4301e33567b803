"""The LSTM of §10.10.1 (gradcheck/book/lstm.py) against an independent autograd unrolling, the complex step and torch.

The oracle below is written again from 10.40–10.44 (and torch.nn.LSTM's form for "common"), step by step with h(t),
s(t) kept in lists from t = 0, never by calling the module's forward.
"""

from __future__ import annotations

from typing import Any

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad
from hypothesis import given, settings
from hypothesis import strategies as st

from gradcheck.book import lstm
from gradcheck.book.network import Forward, Stacked, draw

NAMES = ("Uf", "Wf", "bf", "Ug", "Wg", "bg", "Uq", "Wq", "bq", "U", "W", "b", "V", "c")
NODES = ("o", "h", "s")


def problem(I: int, H: int, O: int, tau: int, std: float, seed: int) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    params = draw(lstm.param_shapes(I, H, O), std, rng)
    return params, rng.standard_normal((tau, I)), rng.integers(0, O, size=tau)


def batched(params: dict[str, np.ndarray], dtype: Any = np.float64) -> Stacked:
    return Stacked({name: value[np.newaxis].astype(dtype) for name, value in params.items()})


def clean(params: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray, variant: str) -> dict[str, np.ndarray]:
    """The module's backward at its own clean forward pass (B = 1, batch axis dropped)."""
    fwd = lstm.forward(batched(params), x, y, variant=variant)
    single = Forward(fwd.losses[0], {name: value[0] for name, value in fwd.nodes.items()})
    return lstm.backward(params, x, y, single, variant)


def sig(a: Any) -> Any:
    return 1.0 / (1.0 + anp.exp(-a))


def oracle_loss(theta: dict[str, Any], x: np.ndarray, y: np.ndarray, variant: str) -> Any:
    """L with offsets theta["ds"], theta["dh"], theta["do"] added to s(t), h(t), o(t): the LSTM unrolled in autograd."""
    H = len(theta["b"])
    h, s = [anp.zeros(H)], [anp.zeros(H)]  # h(0) = 0, s(0) = 0
    total = 0.0
    for t in range(1, len(x) + 1):

        def gate(k: str, x_t: np.ndarray = x[t - 1], h_prev: Any = h[t - 1]) -> Any:
            return theta["b" + k] + anp.dot(theta["U" + k], x_t) + anp.dot(theta["W" + k], h_prev)

        f, g, q = sig(gate("f")), sig(gate("g")), sig(gate("q"))  # 10.40, 10.42, 10.44
        cell_input = sig(gate("")) if variant == "book" else anp.tanh(gate(""))  # 10.41 prints σ; torch uses tanh
        s.append(f * s[t - 1] + g * cell_input + theta["ds"][t - 1])  # 10.41
        h.append(anp.tanh(s[t]) * q + theta["dh"][t - 1])  # 10.43
        o = theta["c"] + anp.dot(theta["V"], h[t]) + theta["do"][t - 1]
        m = anp.max(o)
        total = total - (o[y[t - 1]] - m - anp.log(anp.sum(anp.exp(o - m))))
    return total


def oracle(params: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray, variant: str) -> dict[str, np.ndarray]:
    tau, H, O = len(x), len(params["b"]), len(params["c"])
    theta = dict(params) | {"ds": np.zeros((tau, H)), "dh": np.zeros((tau, H)), "do": np.zeros((tau, O))}
    found = grad(lambda th: oracle_loss(th, x, y, variant))(theta)
    return {name: found[name] for name in NAMES} | {node: found["d" + node] for node in NODES}


def assert_rel_close(name: str, actual: np.ndarray, expected: np.ndarray, rtol: float = 1e-10, atol: float = 1e-12) -> None:
    assert np.shape(actual) == np.shape(expected), f"{name}: shape {np.shape(actual)}, expected {np.shape(expected)}"
    error = float(np.linalg.norm(actual - expected))
    assert error <= rtol * float(np.linalg.norm(expected)) + atol, f"{name}: ‖module − autograd‖ = {error:.3e}"


@settings(max_examples=40, deadline=None)
@given(
    sizes=st.tuples(*(st.integers(1, 5) for _ in range(3)), st.integers(1, 6)),
    std=st.floats(0.1, 1.5),
    seed=st.integers(0, 2**16),
    variant=st.sampled_from(lstm.VARIANTS),
)
def test_backward_agrees_with_autograd(sizes, std, seed, variant):
    params, x, y = problem(*sizes, std, seed)
    got, expected = clean(params, x, y, variant), oracle(params, x, y, variant)
    assert set(got) == {*NAMES, *NODES}
    for name in (*NAMES, *NODES):
        assert_rel_close(name, got[name], expected[name])


@pytest.mark.parametrize("variant", lstm.VARIANTS)
def test_forward_loss_agrees_with_autograd_unrolling(variant):
    params, x, y = problem(3, 4, 5, 6, 0.9, 1)
    theta = dict(params) | {"ds": np.zeros((6, 4)), "dh": np.zeros((6, 4)), "do": np.zeros((6, 5))}
    assert lstm.forward(batched(params), x, y, variant=variant).loss[0] == pytest.approx(
        oracle_loss(theta, x, y, variant), rel=1e-13
    )


@pytest.mark.slow  # torch
@pytest.mark.parametrize("tau", [1, 4])
def test_common_variant_agrees_with_torch(tau):
    torch = pytest.importorskip("torch", reason="torch is installed by make test (the oracle of the common variants)")
    I, H, O = 3, 4, 5
    params, x, y = problem(I, H, O, tau, 0.7, 13)
    net = torch.nn.LSTM(I, H, dtype=torch.float64)
    with torch.no_grad():  # torch's gate order i (our g), f, g (our cell input), o (our q); b_hh = 0
        net.weight_ih_l0.copy_(torch.from_numpy(np.vstack([params["Ug"], params["Uf"], params["U"], params["Uq"]])))
        net.weight_hh_l0.copy_(torch.from_numpy(np.vstack([params["Wg"], params["Wf"], params["W"], params["Wq"]])))
        net.bias_ih_l0.copy_(torch.from_numpy(np.concatenate([params["bg"], params["bf"], params["b"], params["bq"]])))
        net.bias_hh_l0.zero_()
    V, c = (torch.tensor(params[name], requires_grad=True) for name in ("V", "c"))
    h, _ = net(torch.from_numpy(x)[:, None, :])
    loss = torch.nn.functional.cross_entropy(h[:, 0] @ V.T + c, torch.from_numpy(y), reduction="sum")
    loss.backward()
    got = clean(params, x, y, "common")
    assert lstm.forward(batched(params), x, y, variant="common").loss[0] == pytest.approx(loss.item(), rel=1e-13)
    found = {"V": V.grad, "c": c.grad}
    for k, gate in enumerate(("g", "f", "", "q")):
        rows = slice(k * H, (k + 1) * H)
        found |= {
            f"U{gate}": net.weight_ih_l0.grad[rows],
            f"W{gate}": net.weight_hh_l0.grad[rows],
            f"b{gate}": net.bias_ih_l0.grad[rows],
        }
    for name, value in found.items():
        assert_rel_close(name, got[name], value.numpy())
