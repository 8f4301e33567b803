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
from gradcheck.book.network import Forward, Stacked, draw

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


def _batched(params: dict[str, np.ndarray]) -> Stacked:
    return Stacked({name: value[np.newaxis] for name, value in params.items()})


def _single(fwd: Forward) -> Forward:
    """The Forward of the one copy without its batch axis, as the engine hands it to backward."""
    return Forward(fwd.losses[0], {name: value[0] for name, value in fwd.nodes.items()})


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
