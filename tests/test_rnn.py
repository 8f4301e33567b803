"""The model against hand computations, identities and an independent autodiff implementation."""

from __future__ import annotations

from dataclasses import fields

import numpy as np
import pytest
from conftest import CONFIGS, problems, raw_config
from hypothesis import given
from hypothesis import strategies as st

from gradcheck.book import rnn
from gradcheck.check import config, loading
from gradcheck.check.problem import build
from gradcheck.check.run import export_arrays


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_every_config_matches_autograd(path, assert_matches_autograd):
    assert_matches_autograd(export_arrays(loading.load(path)))


@given(raw=problems(max_std=2.0))
def test_random_shapes_match_autograd(raw, assert_matches_autograd):
    assert_matches_autograd(export_arrays(config.validate(raw)))


def test_one_step_by_hand():
    """τ = 1, H = 1, O = 2: L = log(1 + e^{−2h}) with h = tanh(0.6), so every gradient has a closed form."""
    params = rnn.Params(
        U=np.array([[0.5, -0.25]]),
        W=np.array([[0.3]]),
        V=np.array([[1.0], [-1.0]]),
        b=np.array([0.1]),
        c=np.zeros(2),
        h0=np.zeros(1),
    )
    x, y = np.array([[1.0, 0.0]]), np.array([0])
    trace = rnn.forward(params, x, y)
    h = np.tanh(0.6)
    p0 = 1 / (1 + np.exp(-2 * h))  # ŷ_0: softmax of (h, −h)
    assert trace.loss == pytest.approx(np.log1p(np.exp(-2 * h)), rel=1e-15)
    g = rnn.backward(params, trace)
    np.testing.assert_allclose(g.o, [[p0 - 1, 1 - p0]], rtol=1e-14)  # (10.18): ŷ − e_y
    dL_dh = -2 * (1 - p0)
    np.testing.assert_allclose(g.h, [[dL_dh]], rtol=1e-14)  # (10.19)
    np.testing.assert_allclose(g.params.b, [(1 - h**2) * dL_dh], rtol=1e-14)  # (10.23)
    np.testing.assert_allclose(g.params.U, [[(1 - h**2) * dL_dh, 0.0]], rtol=1e-14)  # (10.28)
    np.testing.assert_array_equal(g.params.W, [[0.0]])  # (10.26): h(0) = 0
    np.testing.assert_allclose(g.params.V, [[(p0 - 1) * h], [(1 - p0) * h]], rtol=1e-14)  # (10.24)


def _default_trace():
    problem = build(config.Config())
    params = rnn.Params(**problem.params)
    trace = rnn.forward(params, problem.x, problem.y)
    return problem, trace, rnn.backward(params, trace)


def test_identities():
    problem, trace, g = _default_trace()
    p = rnn.Params(**problem.params)
    np.testing.assert_allclose(g.o.sum(axis=1), 0, atol=1e-15)  # ŷ sums to 1, e_y sums to 1
    np.testing.assert_allclose(g.params.c, g.o.sum(axis=0), rtol=1e-15)  # (10.22)
    np.testing.assert_allclose(g.h[-1], p.V.T @ g.o[-1], rtol=1e-15)  # (10.19)
    np.testing.assert_allclose(trace.y_hat.sum(axis=1), 1, rtol=1e-15)  # (10.11): a probability vector
    assert ((trace.y_hat > 0) & (trace.y_hat < 1)).all()  # never a one-hot prediction
    np.testing.assert_allclose(g.params.h0, p.W.T @ ((1 - trace.h[0] ** 2) * g.h[0]), rtol=1e-15)


def test_forward_and_backward_leave_every_input_unchanged_byte_for_byte(watch_bytes):
    """Neither pass writes into the parameters, x, y or (for backward) the trace it was given."""
    problem = build(config.validate({"model": {"h0": "random"}}))
    params = rnn.Params(**problem.params)
    inputs_changed = watch_bytes([*params, ("x", problem.x), ("y", problem.y)])
    trace = rnn.forward(params, problem.x, problem.y)
    assert inputs_changed() == []
    trace_changed = watch_bytes((f.name, getattr(trace, f.name)) for f in fields(trace))
    rnn.backward(params, trace)
    assert inputs_changed() == [] and trace_changed() == []


def test_log_softmax_is_stable_for_huge_logits():
    o = np.array([[1e4, 0.0, -1e4]])
    out = rnn.log_softmax(o)
    assert np.isfinite(out).all()
    np.testing.assert_allclose(out, [[0.0, -1e4, -2e4]])


@given(
    I=st.integers(1, 5),
    H=st.integers(1, 5),
    O=st.integers(1, 5),
    tau=st.integers(1, 5),
    seed=st.integers(0, 999),
    name=st.sampled_from(["U", "W", "V", "b", "c", "h0"]),
    h0=st.sampled_from(["zeros", "random"]),
    inputs=st.sampled_from(["one-hot", "gaussian"]),
    data=st.data(),
)
def test_perturbed_losses_equal_a_plain_forward_of_the_perturbed_network(I, H, O, tau, seed, name, h0, inputs, data):
    """Every batched copy, whatever step it starts from, equals a plain forward pass of its own network."""
    raw = raw_config(I, H, O, tau, seed, h0=h0)
    raw["data"]["inputs"] = inputs
    problem = build(config.validate(raw))
    p = rnn.Params(**problem.params)
    index = np.array(data.draw(st.lists(st.integers(0, p[name].size - 1), min_size=1, max_size=6)))
    delta = np.array(
        data.draw(st.lists(st.floats(-3, 3), min_size=len(index), max_size=len(index)))
    )  # over 1: V, c and o take every logit
    batch = problem.model().perturbed_losses(name, index, delta)
    for k, (i, d) in enumerate(zip(index, delta, strict=True)):
        moved = p[name].copy()
        moved.reshape(-1)[i] += d
        plain = rnn.forward(p.with_value(name, moved), problem.x, problem.y).losses
        np.testing.assert_allclose(batch[k], plain, rtol=1e-13, atol=1e-15)
