"""Wrong derivations students really write: each a small, named variant of the backward pass.

The forward pass, and so the numerical side, is never touched: a check that works must fail exactly
the rows each bug predicts. The list doubles as a mutation-test suite for the checker itself.
"""

from __future__ import annotations

import numpy as np

from gradcheck.book import rnn
from gradcheck.book.network import Bug, catalogue
from gradcheck.book.rnn import Array, Grads, Params, Trace

# The intermediate equations a bug can break, as named in the equation table.
NODE_EQUATIONS = ("10.18", "10.19", "10.21")


def _clean_o(trace: Trace) -> Array:
    return rnn.grad_o(trace.y_hat, trace.y)


def _ratio_softmax(params: Params, trace: Trace) -> Grads:
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = trace.o / trace.o.sum(axis=1, keepdims=True)  # o_i / Σ_j o_j: not softmax
    return rnn.backward_from(params, trace, rnn.grad_o(ratio, trace.y), rnn.tanh_derivative(trace))


def _missing_indicator(params: Params, trace: Trace) -> Grads:
    return rnn.backward_from(params, trace, trace.y_hat.copy(), rnn.tanh_derivative(trace))  # ŷ, no − e_y


def _sign_flip(params: Params, trace: Trace) -> Grads:
    return rnn.backward_from(params, trace, -_clean_o(trace), rnn.tanh_derivative(trace))  # e_y − ŷ


def _no_tanh_derivative(params: Params, trace: Trace) -> Grads:
    return rnn.backward_from(params, trace, _clean_o(trace), np.ones_like(trace.h))  # diag(1 − h²) dropped


def _derivative_of_a(params: Params, trace: Trace) -> Grads:
    return rnn.backward_from(params, trace, _clean_o(trace), 1 - trace.a**2)  # 1 − a² instead of 1 − h²


def _last_step_only(params: Params, trace: Trace) -> Grads:
    g_o = _clean_o(trace)
    g_o[:-1] = 0.0  # only L(τ) sent back
    return rnn.backward_from(params, trace, g_o, rnn.tanh_derivative(trace))


def _with_grad_h(params: Params, trace: Trace, g_h: Array) -> Grads:
    """The clean parameter gradients (10.22–10.28) from a given ∇h(t)L."""
    g_o, dtanh = _clean_o(trace), rnn.tanh_derivative(trace)
    return Grads(params=rnn.param_grads(params, trace, g_o, g_h, dtanh), o=g_o, h=g_h)


def _truncated_bptt(params: Params, trace: Trace) -> Grads:
    return _with_grad_h(params, trace, _clean_o(trace) @ params.V)  # ∇h(t)L = Vᵀ ∇o(t)L: the Wᵀ term dropped


def _untransposed_w(params: Params, trace: Trace) -> Grads:
    g_o, dtanh = _clean_o(trace), rnn.tanh_derivative(trace)
    g_h = g_o @ params.V
    for t in range(len(g_h) - 2, -1, -1):
        g_h[t] += params.W @ (dtanh[t + 1] * g_h[t + 1])  # W where 10.21 has Wᵀ
    return _with_grad_h(params, trace, g_h)


def _h_off_by_one(params: Params, trace: Trace) -> Grads:
    clean = rnn.backward(params, trace)
    delta = rnn.tanh_derivative(trace) * clean.h
    return Grads(params=clean.params.with_value("W", delta.T @ trace.h), o=clean.o, h=clean.h)  # h(t)ᵀ, not h(t−1)ᵀ


def _bias_not_summed(params: Params, trace: Trace) -> Grads:
    clean = rnn.backward(params, trace)
    delta = rnn.tanh_derivative(trace) * clean.h
    wrong = clean.params.with_value("b", delta[-1]).with_value("c", clean.o[-1])  # one t, no Σ_t
    return Grads(params=wrong, o=clean.o, h=clean.h)


_RECURRENT = frozenset({"U", "W", "b", "h0"})
_ALL_PARAMS = frozenset({"U", "W", "V", "b", "c", "h0"})

# Each bug's rows for τ > 1 and H > 1: the parameters it breaks (h0 only where learned), and which of 10.18 ∇o(t)L,
# 10.19 ∇h(τ)L and 10.21 ∇h(t<τ)L.
BUGS = catalogue(
    Bug(
        "ratio-softmax",
        "ŷ computed as o / Σo in 10.18",
        "Softmax written without exponentials, ŷ_i = o_i / Σ_j o_j. That is not softmax: its entries can be "
        "negative or above 1 and it is undefined when Σ_j o_j = 0; and ŷ − e_y is not the gradient of "
        "−log(o_y / Σ_j o_j) either. ∇o(t)L is wrong at every step, so everything downstream is wrong.",
        _ratio_softmax,
        _ALL_PARAMS,
        frozenset(NODE_EQUATIONS),
    ),
    Bug(
        "missing-indicator",
        "∇o(t)L = ŷ(t): the indicator 1[i = y(t)] dropped",
        "The −1[i = y(t)] of 10.18 comes from differentiating −o_{y(t)}; dropping it leaves ŷ(t), a gradient "
        "that pushes every logit down and ignores the target. 10.18 fails, and with it every gradient.",
        _missing_indicator,
        _ALL_PARAMS,
        frozenset(NODE_EQUATIONS),
    ),
    Bug(
        "sign-flip",
        "∇o(t)L = e_y(t) − ŷ(t)",
        "The gradient of the log-likelihood (to ascend) instead of the loss (to descend): every gradient has "
        "the right size and the wrong sign. The relative error is 2 everywhere.",
        _sign_flip,
        _ALL_PARAMS,
        frozenset(NODE_EQUATIONS),
    ),
    Bug(
        "no-tanh-derivative",
        "diag(1 − h(t)²) dropped from 10.21 and 10.23–10.28",
        "Back-propagating through h(t) = tanh(a(t)) as if it were the identity. ∇o(t)L, ∇h(τ)L, V and c do "
        "not pass through a tanh and stay right; ∇h(t)L for t < τ, b, W and U are wrong.",
        _no_tanh_derivative,
        _RECURRENT,
        frozenset({"10.21"}),
    ),
    Bug(
        "derivative-of-a",
        "1 − a(t)² instead of 1 − h(t)²",
        "tanh′(a) = 1 − tanh(a)² = 1 − h², not 1 − a²: the derivative is evaluated on the pre-activation. "
        "Same rows as dropping it: ∇h(t<τ)L, b, W, U.",
        _derivative_of_a,
        _RECURRENT,
        frozenset({"10.21"}),
    ),
    Bug(
        "truncated-bptt",
        "the Wᵀ term of 10.21 dropped",
        "∇h(t)L = Vᵀ ∇o(t)L only: no gradient flows back through time. V and c (which do not look back) and "
        "∇h(τ)L stay right; ∇h(t<τ)L, U, W and b are wrong.",
        _truncated_bptt,
        _RECURRENT,
        frozenset({"10.21"}),
    ),
    Bug(
        "untransposed-W",
        "W instead of Wᵀ in 10.21",
        "The recurrence goes back through W, so it needs Wᵀ (row i of W maps h(t) into a_i(t+1)). Wrong "
        "wherever W is not symmetric: ∇h(t<τ)L, U, W and b. Invisible when H = 1.",
        _untransposed_w,
        _RECURRENT,
        frozenset({"10.21"}),
    ),
    Bug(
        "h-off-by-one",
        "h(t) instead of h(t−1) in 10.26",
        "W multiplies the previous state, a(t) = b + W h(t−1) + U x(t), so ∇W L pairs ∇a(t)L with h(t−1). Only ∇W L is wrong.",
        _h_off_by_one,
        frozenset({"W"}),
        frozenset(),
    ),
    Bug(
        "last-step-only",
        "only L(τ) back-propagated",
        "Forgetting that L = Σ_t L(t) and ∂L/∂L(t) = 1 for every t (10.17): ∇o(t)L is zeroed for t < τ. "
        "∇h(τ)L is still right; ∇o(t<τ)L, ∇h(t<τ)L and every parameter are wrong.",
        _last_step_only,
        _ALL_PARAMS,
        frozenset({"10.18", "10.21"}),
    ),
    Bug(
        "bias-not-summed",
        "10.22 and 10.23 take one t instead of Σ_t",
        "b and c are shared by every time step, so their gradients sum over t. Taking the last step alone "
        "leaves every other gradient right and breaks exactly b and c.",
        _bias_not_summed,
        frozenset({"b", "c"}),
        frozenset(),
    ),
)
