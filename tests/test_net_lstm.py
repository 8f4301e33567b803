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
from gradcheck.book.network import Forward

NAMES = ("Uf", "Wf", "bf", "Ug", "Wg", "bg", "Uq", "Wq", "bq", "U", "W", "b", "V", "c")
NODES = ("o", "h", "s")


def problem(I: int, H: int, O: int, tau: int, std: float, seed: int) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    params = lstm.init_params(I, H, O, std, rng)
    return params, rng.standard_normal((tau, I)), rng.integers(0, O, size=tau)


def batched(params: dict[str, np.ndarray], dtype: Any = np.float64) -> dict[str, np.ndarray]:
    return {name: value[np.newaxis].astype(dtype) for name, value in params.items()}


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


@pytest.mark.parametrize("variant", lstm.VARIANTS)
def test_complex_step_agrees_with_backward(variant):
    """One B-copy forward pass, each copy with 1e-30j on one entry: Im L / 1e-30 against ∇L, to 1e-10 max relative."""
    params, x, y = problem(3, 4, 5, 5, 0.8, 7)
    got = clean(params, x, y, variant)
    rng = np.random.default_rng(3)
    for name in NAMES:
        entries = rng.choice(params[name].size, size=min(3, params[name].size), replace=False)
        copies = {n: np.repeat(v, len(entries), axis=0) for n, v in batched(params, complex).items()}
        copies[name].reshape(len(entries), -1)[np.arange(len(entries)), entries] += 1e-30j
        numeric = lstm.forward(copies, x, y, variant=variant).loss.imag / 1e-30
        analytic = got[name].reshape(-1)[entries]
        assert np.max(np.abs(numeric - analytic) / np.abs(analytic)) < 1e-10, name
    for node in NODES:
        shape = got[node].shape
        offsets = np.zeros((got[node].size, *shape), dtype=complex)
        offsets.reshape(got[node].size, -1)[np.arange(got[node].size), np.arange(got[node].size)] = 1e-30j
        copies = {n: np.repeat(v, got[node].size, axis=0) for n, v in batched(params).items()}
        numeric = lstm.forward(copies, x, y, {node: offsets}, variant=variant).loss.imag / 1e-30
        np.testing.assert_allclose(numeric, got[node].reshape(-1), rtol=1e-10, atol=1e-14, err_msg=node)


@pytest.mark.parametrize("variant", lstm.VARIANTS)
def test_batched_forward_equals_separate_calls(variant):
    draws = [problem(3, 4, 2, 5, std, seed) for std, seed in ((0.3, 1), (1.0, 2), (1.5, 3))]
    x, y = draws[0][1], draws[0][2]
    stacked = {name: np.stack([params[name] for params, _, _ in draws]) for name in NAMES}
    together = lstm.forward(stacked, x, y, variant=variant)
    for k, (params, _, _) in enumerate(draws):
        alone = lstm.forward(batched(params), x, y, variant=variant)
        np.testing.assert_allclose(together.losses[k], alone.losses[0], rtol=1e-14, atol=0)
        for node in NODES:
            np.testing.assert_allclose(together.nodes[node][k], alone.nodes[node][0], rtol=1e-14, atol=1e-300)


@pytest.mark.parametrize("variant", lstm.VARIANTS)
@pytest.mark.parametrize("bug", list(lstm.BUGS.values()), ids=list(lstm.BUGS))
def test_each_bug_breaks_exactly_the_rows_it_declares(bug, variant):
    params, x, y = problem(3, 4, 5, 5, 1.0, 11)
    fwd = lstm.forward(batched(params), x, y, variant=variant)
    single = Forward(fwd.losses[0], {name: value[0] for name, value in fwd.nodes.items()})
    right, wrong = lstm.backward(params, x, y, single, variant), bug.backward(params, x, y, single, variant)
    declared = bug.params | bug.nodes
    assert declared <= set(right)
    for name in right:
        difference = np.linalg.norm(wrong[name] - right[name]) / np.linalg.norm(right[name])
        if name in declared:
            assert difference > 1e-6, f"{bug.name} should break {name}"
        else:
            assert difference < 1e-12, f"{bug.name} should leave {name} right"
    np.testing.assert_array_equal(wrong["h"][-1], right["h"][-1])  # ∇h(τ)L = Vᵀ∇o(τ)L: nothing after it to break
    assert (np.linalg.norm(wrong["s"][-1] - right["s"][-1]) > 1e-6) == (bug.name == "lstm-tanh-at-h")  # only at s(τ)


def test_interface():
    assert lstm.KIND == "lstm" and lstm.VARIANTS == ("book", "common") and set(lstm.NODES) == set(NODES)
    assert tuple(lstm.param_shapes(2, 3, 4)) == NAMES
    assert {e.target for e in lstm.EQUATIONS} == {*NAMES, *NODES}
    assert set(lstm.BUGS) == {"lstm-forget-path-dropped", "lstm-tanh-at-h", "lstm-gate-derivative-at-preactivation"}
    assert len({e.number for e in lstm.EQUATIONS}) == len(lstm.EQUATIONS)
    with pytest.raises(ValueError, match="variant"):
        lstm.forward(batched(problem(1, 1, 1, 1, 1.0, 0)[0]), np.ones((1, 1)), np.zeros(1, dtype=np.int64), variant="classic")


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
