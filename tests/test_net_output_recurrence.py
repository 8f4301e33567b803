"""Fig. 10.4 and teacher forcing (gradcheck/book/output_recurrence.py) against an independent autograd version."""

from __future__ import annotations

from typing import Any

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad
from hypothesis import given, settings
from hypothesis import strategies as st

from gradcheck.book import output_recurrence as net
from gradcheck.book.network import Forward, draw

NAMES = ("U", "W", "V", "b", "c")


def _problem(I: int, H: int, O: int, tau: int, std: float, seed: int) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    params = draw(net.param_shapes(I, H, O), std, rng)
    return params, rng.standard_normal((tau, I)), rng.integers(0, O, tau)


def _oracle(params: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray, kind: str) -> dict[str, Any]:
    """The network written again in autograd, with zero offsets on o, h whose gradients are ∇o(t)L, ∇h(t)L."""
    tau, H, O = len(x), len(params["b"]), len(params["c"])
    one_hot = np.eye(O)[y]

    def loss(th: dict[str, Any]) -> Any:
        previous, total = anp.zeros(O), 0.0
        for t in range(tau):
            h = anp.tanh(th["b"] + anp.dot(th["W"], previous) + anp.dot(th["U"], x[t])) + th["dh"][t]
            o = th["c"] + anp.dot(th["V"], h) + th["do"][t]
            total = total + anp.log(anp.sum(anp.exp(o))) - o[y[t]]
            previous = o if kind == "fig-10.4" else one_hot[t]  # teacher forcing: the target, a constant
        return total

    theta = dict(params) | {"dh": np.zeros((tau, H)), "do": np.zeros((tau, O))}
    gradients = grad(loss)(theta)
    return {"loss": loss(theta), **{n: gradients[n] for n in NAMES}, "h": gradients["dh"], "o": gradients["do"]}


def _batched(params: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {name: value[np.newaxis] for name, value in params.items()}


def _single(fwd: Forward) -> Forward:
    """The Forward of the one copy without its batch axis, as the engine hands it to backward."""
    return Forward(fwd.losses[0], {name: value[0] for name, value in fwd.nodes.items()})


def _gradients(
    params: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray, kind: str, backward: Any = net.backward
) -> dict[str, np.ndarray]:
    result: dict[str, np.ndarray] = backward(params, x, y, _single(net.forward(_batched(params), x, y, kind=kind)), kind=kind)
    return result


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 5), st.integers(1, 5), st.integers(1, 5), st.integers(1, 6), st.floats(0.1, 1.5), st.integers(0, 2**16))
def test_backward_matches_autograd(I: int, H: int, O: int, tau: int, std: float, seed: int) -> None:
    params, x, y = _problem(I, H, O, tau, std, seed)
    for kind in net.KINDS:
        for variant in net.VARIANTS:
            fwd = net.forward(_batched(params), x, y, variant=variant, kind=kind)
            ours, oracle = net.backward(params, x, y, _single(fwd), variant=variant, kind=kind), _oracle(params, x, y, kind)
            assert abs(fwd.loss[0] - oracle["loss"]) <= 1e-12 * abs(oracle["loss"]) + 1e-14
            assert set(ours) == set(NAMES) | set(net.NODES)
            for name in (*NAMES, *net.NODES):
                assert ours[name].shape == oracle[name].shape, (kind, name)
                error = np.linalg.norm(ours[name] - oracle[name])
                assert error <= 1e-10 * np.linalg.norm(oracle[name]) + 1e-13, (kind, name, error)


@pytest.mark.parametrize("kind", net.KINDS)
def test_complex_step_matches_backward(kind: str) -> None:
    params, x, y = _problem(3, 4, 3, 5, 0.8, 7)
    ours = _gradients(params, x, y, kind)
    rng = np.random.default_rng(1)
    for name in NAMES:
        entries = [tuple(int(rng.integers(0, n)) for n in params[name].shape) for _ in range(3)]
        batch = {key: np.repeat(value[np.newaxis].astype(complex), len(entries), axis=0) for key, value in params.items()}
        for copy, index in enumerate(entries):
            batch[name][(copy, *index)] += 1e-30j
        numeric = net.forward(batch, x, y, kind=kind).loss.imag / 1e-30
        analytic = np.array([ours[name][index] for index in entries])
        assert np.max(np.abs(numeric - analytic) / np.maximum(np.abs(analytic), 1e-300)) <= 1e-10, (kind, name)


@pytest.mark.parametrize("kind", net.KINDS)
def test_complex_step_on_nodes_matches_backward(kind: str) -> None:
    params, x, y = _problem(2, 3, 4, 4, 0.9, 3)
    ours = _gradients(params, x, y, kind)
    for node, n in (("o", 4), ("h", 3)):
        for t in range(4):
            offsets = {node: np.zeros((1, 4, n), complex)}
            offsets[node][0, t, 1] = 1e-30j
            numeric = net.forward(_batched(params), x, y, offsets, kind=kind).loss.imag[0] / 1e-30
            assert abs(numeric - ours[node][t, 1]) <= 1e-10 * abs(ours[node][t, 1]) + 1e-15, (kind, node, t)


@pytest.mark.parametrize("kind", net.KINDS)
def test_batched_forward_equals_separate_calls(kind: str) -> None:
    copies = [_problem(3, 4, 2, 5, std, seed)[0] for seed, std in ((1, 0.3), (2, 1.0), (3, 1.4))]
    _, x, y = _problem(3, 4, 2, 5, 1.0, 9)
    together = net.forward({name: np.stack([p[name] for p in copies]) for name in NAMES}, x, y, kind=kind)
    for copy, params in enumerate(copies):
        alone = net.forward(_batched(params), x, y, kind=kind)
        np.testing.assert_allclose(together.losses[copy], alone.losses[0], rtol=1e-14, atol=0)
        for node in net.NODES:
            np.testing.assert_allclose(together.nodes[node][copy], alone.nodes[node][0], rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("kind", net.KINDS)
def test_each_bug_breaks_exactly_its_rows(kind: str) -> None:
    params, x, y = _problem(3, 4, 3, 5, 1.0, 11)
    clean = _gradients(params, x, y, kind)
    assert net.BUGS_OF[kind]
    for bug in net.BUGS_OF[kind].values():
        wrong = _gradients(params, x, y, kind, bug.backward)
        for name in (*NAMES, *net.NODES):
            relative = np.linalg.norm(wrong[name] - clean[name]) / np.linalg.norm(clean[name])
            if name in bug.params | bug.nodes:
                assert relative > 1e-6, (bug.name, name)
            else:
                assert relative < 1e-12, (bug.name, name)


def test_each_kinds_bug_is_the_other_kinds_right_backward() -> None:
    """The two networks differ by one path, o(t) → a(t+1): run on one kind, the other kind's bug breaks nothing
    (which is why a catalogue for one kind is BUGS_OF[kind], not BUGS)."""
    params, x, y = _problem(3, 4, 3, 5, 1.0, 11)
    for kind, other in (("fig-10.4", "teacher-forcing"), ("teacher-forcing", "fig-10.4")):
        fwd = _single(net.forward(_batched(params), x, y, kind=kind))
        right = net.backward(params, x, y, fwd, kind=kind)
        for bug in net.BUGS_OF[other].values():
            same = bug.backward(params, x, y, fwd, kind=kind)
            assert all(np.array_equal(same[name], right[name]) for name in right), (kind, bug.name)


def test_kind_is_required_and_checked() -> None:
    params, x, y = _problem(2, 3, 2, 3, 1.0, 0)
    with pytest.raises(TypeError):
        net.forward(_batched(params), x, y)  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="kind"):
        net.forward(_batched(params), x, y, kind="fig-10.3")


def test_param_shapes_and_equations_name_every_row() -> None:
    assert net.param_shapes(2, 3, 4) == {"U": (3, 2), "W": (3, 4), "V": (4, 3), "b": (3,), "c": (4,)}
    assert {eq.target for eq in net.EQUATIONS} == set(NAMES) | set(net.NODES)
    assert [network.kind for network in net.NETWORKS] == list(net.KINDS) == list(net.BUGS_OF)
