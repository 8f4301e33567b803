"""The GRU of §10.10.2 (gradcheck/book/gru.py) against an independent autograd unrolling, the complex step and torch.

The oracle below is written again from 10.45–10.47 (and torch.nn.GRU's form for "common"), element by element in
the book's own indexing (u(t−1), r(t−1), x(t−1) kept in lists from t = 0), never by calling the module's forward.
"""

from __future__ import annotations

from typing import Any

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad
from hypothesis import given, settings
from hypothesis import strategies as st

from gradcheck.book import gru
from gradcheck.book.network import Forward, Stacked, draw

NAMES = ("Uu", "Wu", "bu", "Ur", "Wr", "br", "U", "W", "b", "V", "c")


def problem(I: int, H: int, O: int, tau: int, std: float, seed: int) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    params = draw(gru.param_shapes(I, H, O), std, rng)
    return params, rng.standard_normal((tau, I)), rng.integers(0, O, size=tau)


def batched(params: dict[str, np.ndarray], dtype: Any = np.float64) -> Stacked:
    return Stacked({name: value[np.newaxis].astype(dtype) for name, value in params.items()})


def clean(params: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray, variant: str) -> dict[str, np.ndarray]:
    """The module's backward at its own clean forward pass (B = 1, batch axis dropped)."""
    fwd = gru.forward(batched(params), x, y, variant=variant)
    single = Forward(fwd.losses[0], {name: value[0] for name, value in fwd.nodes.items()})
    return gru.backward(params, x, y, single, variant)


def sig(a: Any) -> Any:
    return 1.0 / (1.0 + anp.exp(-a))


def oracle_loss(theta: dict[str, Any], x: np.ndarray, y: np.ndarray, variant: str) -> Any:
    """L with offsets theta["dh"], theta["do"] added to h(t), o(t): the network unrolled in autograd."""
    tau, I = x.shape
    H = len(theta["b"])
    h = [anp.zeros(H)]  # h(0) = 0
    total = 0.0
    if variant == "book":
        xs = [np.zeros(I), *x]  # x(0) = 0, then x(1..τ): xs[t] is x(t)
        u = [sig(theta["bu"] + anp.dot(theta["Uu"], xs[0]) + anp.dot(theta["Wu"], h[0]))]  # u(0)
        r = [sig(theta["br"] + anp.dot(theta["Ur"], xs[0]) + anp.dot(theta["Wr"], h[0]))]  # r(0)
    for t in range(1, tau + 1):
        if variant == "book":  # 10.45 reads u(t−1), r(t−1), x(t−1); 10.46–10.47 then make u(t), r(t)
            cand = sig(theta["b"] + anp.dot(theta["U"], xs[t - 1]) + anp.dot(theta["W"], r[t - 1] * h[t - 1]))
            h_t = u[t - 1] * h[t - 1] + (1 - u[t - 1]) * cand + theta["dh"][t - 1]
            u.append(sig(theta["bu"] + anp.dot(theta["Uu"], xs[t]) + anp.dot(theta["Wu"], h_t)))
            r.append(sig(theta["br"] + anp.dot(theta["Ur"], xs[t]) + anp.dot(theta["Wr"], h_t)))
        else:  # torch.nn.GRU with b_hn = 0
            z_t = sig(anp.dot(theta["Uu"], x[t - 1]) + anp.dot(theta["Wu"], h[t - 1]) + theta["bu"])
            r_t = sig(anp.dot(theta["Ur"], x[t - 1]) + anp.dot(theta["Wr"], h[t - 1]) + theta["br"])
            n_t = anp.tanh(anp.dot(theta["U"], x[t - 1]) + theta["b"] + r_t * anp.dot(theta["W"], h[t - 1]))
            h_t = (1 - z_t) * n_t + z_t * h[t - 1] + theta["dh"][t - 1]
        h.append(h_t)
        o = theta["c"] + anp.dot(theta["V"], h_t) + theta["do"][t - 1]
        m = anp.max(o)
        total = total - (o[y[t - 1]] - m - anp.log(anp.sum(anp.exp(o - m))))
    return total


def oracle(params: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray, variant: str) -> dict[str, np.ndarray]:
    tau, H, O = len(x), len(params["b"]), len(params["c"])
    theta = dict(params) | {"dh": np.zeros((tau, H)), "do": np.zeros((tau, O))}
    found = grad(lambda th: oracle_loss(th, x, y, variant))(theta)
    return {name: found[name] for name in NAMES} | {"h": found["dh"], "o": found["do"]}


def assert_rel_close(name: str, actual: np.ndarray, expected: np.ndarray, rtol: float = 1e-10, atol: float = 1e-12) -> None:
    assert np.shape(actual) == np.shape(expected), f"{name}: shape {np.shape(actual)}, expected {np.shape(expected)}"
    error = float(np.linalg.norm(actual - expected))
    assert error <= rtol * float(np.linalg.norm(expected)) + atol, f"{name}: ‖module − autograd‖ = {error:.3e}"


@settings(max_examples=40, deadline=None)
@given(
    sizes=st.tuples(*(st.integers(1, 5) for _ in range(3)), st.integers(1, 6)),
    std=st.floats(0.1, 1.5),
    seed=st.integers(0, 2**16),
    variant=st.sampled_from(gru.VARIANTS),
)
def test_backward_agrees_with_autograd(sizes, std, seed, variant):
    params, x, y = problem(*sizes, std, seed)
    got, expected = clean(params, x, y, variant), oracle(params, x, y, variant)
    assert set(got) == {*NAMES, "o", "h"}
    for name in (*NAMES, "o", "h"):
        assert_rel_close(name, got[name], expected[name])


@pytest.mark.parametrize("variant", gru.VARIANTS)
def test_forward_loss_agrees_with_autograd_unrolling(variant):
    params, x, y = problem(3, 4, 5, 6, 0.9, 1)
    theta = dict(params) | {"dh": np.zeros((6, 4)), "do": np.zeros((6, 5))}
    assert gru.forward(batched(params), x, y, variant=variant).loss[0] == pytest.approx(
        oracle_loss(theta, x, y, variant), rel=1e-13
    )


def test_book_form_never_reads_the_last_input():
    """DESIGN.md §8: step t reads x(t−1) with x(0) = 0, so x(τ) cannot reach L; the common form reads it."""
    params, x, y = problem(3, 4, 5, 4, 1.0, 5)
    moved = x.copy()
    moved[-1] += 10.0
    assert gru.forward(batched(params), moved, y).loss[0] == gru.forward(batched(params), x, y).loss[0]
    assert (
        gru.forward(batched(params), moved, y, variant="common").loss[0]
        != gru.forward(batched(params), x, y, variant="common").loss[0]
    )


@pytest.mark.slow  # torch
@pytest.mark.parametrize("tau", [1, 4])
def test_common_variant_agrees_with_torch(tau):
    torch = pytest.importorskip("torch", reason="torch is installed by make test (the oracle of the common variants)")
    I, H, O = 3, 4, 5
    params, x, y = problem(I, H, O, tau, 0.7, 13)
    net = torch.nn.GRU(I, H, dtype=torch.float64)
    with torch.no_grad():  # torch's gate order r, z (our u), n; b_hn = 0 (one bias per gate)
        net.weight_ih_l0.copy_(torch.from_numpy(np.vstack([params["Ur"], params["Uu"], params["U"]])))
        net.weight_hh_l0.copy_(torch.from_numpy(np.vstack([params["Wr"], params["Wu"], params["W"]])))
        net.bias_ih_l0.copy_(torch.from_numpy(np.concatenate([params["br"], params["bu"], params["b"]])))
        net.bias_hh_l0.zero_()
    V, c = (torch.tensor(params[name], requires_grad=True) for name in ("V", "c"))
    h, _ = net(torch.from_numpy(x)[:, None, :])
    loss = torch.nn.functional.cross_entropy(h[:, 0] @ V.T + c, torch.from_numpy(y), reduction="sum")
    loss.backward()
    got = clean(params, x, y, "common")
    assert gru.forward(batched(params), x, y, variant="common").loss[0] == pytest.approx(loss.item(), rel=1e-13)
    found = {
        "Ur": net.weight_ih_l0.grad[:H], "Uu": net.weight_ih_l0.grad[H : 2 * H], "U": net.weight_ih_l0.grad[2 * H :],
        "Wr": net.weight_hh_l0.grad[:H], "Wu": net.weight_hh_l0.grad[H : 2 * H], "W": net.weight_hh_l0.grad[2 * H :],
        "br": net.bias_ih_l0.grad[:H], "bu": net.bias_ih_l0.grad[H : 2 * H], "b": net.bias_ih_l0.grad[2 * H :],
        "V": V.grad, "c": c.grad,
    }  # fmt: skip
    for name, value in found.items():
        assert_rel_close(name, got[name], value.numpy())
