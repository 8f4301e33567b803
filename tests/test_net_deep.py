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
from gradcheck.book.network import Forward, draw


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


def _batched(params: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {name: value[np.newaxis] for name, value in params.items()}


def _gradients(
    params: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray, backward: Any = net.backward
) -> dict[str, np.ndarray]:
    result: dict[str, np.ndarray] = backward(params, x, y, _single(net.forward(_batched(params), x, y)))
    return result


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


@pytest.mark.parametrize("N", [1, 3])
def test_complex_step_matches_backward(N: int) -> None:
    params, x, y = _problem(3, 4, 3, 5, N, 0.8, 7)
    ours = _gradients(params, x, y)
    rng = np.random.default_rng(1)
    for name in _names(N):
        entries = [tuple(int(rng.integers(0, n)) for n in params[name].shape) for _ in range(3)]
        batch = {key: np.repeat(value[np.newaxis].astype(complex), len(entries), axis=0) for key, value in params.items()}
        for copy, index in enumerate(entries):
            batch[name][(copy, *index)] += 1e-30j
        numeric = net.forward(batch, x, y).loss.imag / 1e-30
        analytic = np.array([ours[name][index] for index in entries])
        assert np.max(np.abs(numeric - analytic) / np.maximum(np.abs(analytic), 1e-300)) <= 1e-10, name


def test_complex_step_on_nodes_matches_backward() -> None:
    params, x, y = _problem(2, 3, 4, 4, 3, 0.9, 3)
    ours = _gradients(params, x, y)
    for node in _nodes(3):
        n = 4 if node == "o" else 3
        for t in range(4):
            offsets = {node: np.zeros((1, 4, n), complex)}
            offsets[node][0, t, 1] = 1e-30j
            numeric = net.forward(_batched(params), x, y, offsets).loss.imag[0] / 1e-30
            assert abs(numeric - ours[node][t, 1]) <= 1e-10 * abs(ours[node][t, 1]) + 1e-15, (node, t)


def test_batched_forward_equals_separate_calls() -> None:
    copies = [_problem(3, 4, 2, 5, 3, std, seed)[0] for seed, std in ((1, 0.3), (2, 1.0), (3, 1.4))]
    _, x, y = _problem(3, 4, 2, 5, 3, 1.0, 9)
    together = net.forward({name: np.stack([p[name] for p in copies]) for name in _names(3)}, x, y)
    for copy, params in enumerate(copies):
        alone = net.forward(_batched(params), x, y)
        np.testing.assert_allclose(together.losses[copy], alone.losses[0], rtol=1e-14, atol=0)
        for node in _nodes(3):
            np.testing.assert_allclose(together.nodes[node][copy], alone.nodes[node][0], rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("N", [2, 3])
def test_each_bug_breaks_exactly_its_rows(N: int) -> None:
    params, x, y = _problem(3, 4, 3, 5, N, 1.0, 11)
    clean = _gradients(params, x, y)
    for bug in net.bugs(N).values():
        wrong = _gradients(params, x, y, bug.backward)
        for name in (*_names(N), *_nodes(N)):
            relative = np.linalg.norm(wrong[name] - clean[name]) / np.linalg.norm(clean[name])
            if name in bug.params | bug.nodes:
                assert relative > 1e-6, (bug.name, name)
            else:
                assert relative < 1e-12, (bug.name, name)
    assert net.network(N).bugs.keys() == net.bugs(N).keys()


@pytest.mark.parametrize("N", [1, 2, 4])
def test_param_shapes_and_equations_name_every_row(N: int) -> None:
    shapes = net.param_shapes(2, 3, 4, N)
    assert tuple(shapes) == _names(N) and shapes["U1"] == (3, 2) and shapes[f"U{N}"] == ((3, 2) if N == 1 else (3, 3))
    assert tuple(net.nodes(N)) == _nodes(N)
    assert {eq.target for eq in net.equations(N)} == set(_names(N)) | set(_nodes(N))
    assert [eq.times for eq in net.equations(N) if eq.target == f"h{N}"] == ["last", "earlier"]
