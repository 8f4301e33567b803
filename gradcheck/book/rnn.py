"""The tanh RNN of Goodfellow et al., Deep Learning, Fig. 10.3: forward (10.8–10.14) and BPTT (10.17–10.28).

The file to read beside chapter 10: pure numpy, no I/O, every line of math citing its equation.
Arrays are time-major: row t-1 holds time step t = 1..τ.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from gradcheck.book.arrays import Array as Array  # the array type of this module's signatures


@dataclass(frozen=True)
class Params:
    """The parameters, iterated in the fixed order U, W, V, b, c, h0.

    U: (H, I), W: (H, H), V: (O, H), b: (H,), c: (O,), h0: (H,) the initial state h(0).
    """

    U: Array
    W: Array
    V: Array
    b: Array
    c: Array
    h0: Array

    def __iter__(self) -> Iterator[tuple[str, Array]]:
        return ((f.name, getattr(self, f.name)) for f in fields(self))

    def __getitem__(self, name: str) -> Array:
        return dict(self)[name]

    def with_value(self, name: str, value: Array) -> Params:
        """A copy with one parameter replaced."""
        return replace(self, **{name: value})


def _shifted_logsumexp(o: NDArray[Any]) -> tuple[NDArray[Any], NDArray[Any]]:
    """(o − max o, log Σ_j exp(o_j − max o)) over the last axis: shifted by the real max so exp never
    overflows (and the complex step stays analytic), and the large common part cancels exactly first."""
    shifted: NDArray[Any] = o - o.real.max(axis=-1, keepdims=True)
    return shifted, np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def log_softmax(o: NDArray[Any]) -> NDArray[Any]:
    """log softmax over the last axis (10.11)."""
    shifted, lse = _shifted_logsumexp(o)
    result: NDArray[Any] = shifted - lse
    return result


def nll(o: NDArray[Any], y: NDArray[np.int64] | int) -> NDArray[Any]:
    """L = −log ŷ_y = log Σ_j exp o_j − o_y over the last axis (10.11–10.14), shifted by the real max.

    o: (..., O); y: the target, broadcast against o's leading axes. Complex-safe for the complex step.
    """
    shifted, lse = _shifted_logsumexp(o)
    target = np.take_along_axis(shifted, np.broadcast_to(np.asarray(y), o.shape[:-1])[..., np.newaxis], axis=-1)
    loss: NDArray[Any] = (lse - target)[..., 0]
    return loss


@dataclass(frozen=True)
class Trace:
    """Everything the forward pass computed. Row t-1 is time t = 1..τ, so h[t-1] is h(t).

    x: (τ, I), y: (τ,) int, h0: (H,) is h(0), a: (τ, H), h: (τ, H), o: (τ, O), y_hat: (τ, O),
    losses: (τ,) the L(t), loss: L = Σ_t L(t).
    """

    x: Array
    y: NDArray[np.int64]
    h0: Array
    a: Array
    h: Array
    o: Array
    y_hat: Array
    losses: Array
    loss: float

    @property
    def h_prev(self) -> Array:
        """h(t-1) for t = 1..τ: (τ, H)."""
        return np.vstack([self.h0, self.h[:-1]])


def forward(params: Params, x: Array, y: NDArray[np.int64]) -> Trace:
    """Run the network over x(1..τ) and score it against y(1..τ).

    Implements 10.8 a(t), 10.9 h(t), 10.10 o(t), 10.11 ŷ(t), 10.12–10.14 L.
    """
    U, W, V, b, c = params.U, params.W, params.V, params.b, params.c
    tau, H = len(x), len(b)
    dtype = np.result_type(*(value for _, value in params))  # complex when the complex step perturbs a parameter
    a, h = np.empty((tau, H), dtype=dtype), np.empty((tau, H), dtype=dtype)
    h_prev = params.h0
    for t in range(tau):
        a[t] = b + W @ h_prev + U @ x[t]  # (10.8)
        h[t] = h_prev = np.tanh(a[t])  # (10.9)
    o = c + h @ V.T  # (10.10)
    log_y_hat = log_softmax(o)  # (10.11), in log form
    losses = -log_y_hat[np.arange(tau), y]  # (10.12–10.14): L(t) = −log ŷ(t)_{y(t)}
    return Trace(x, y, params.h0, a, h, o, np.exp(log_y_hat), losses, float(np.real(losses.sum())))


@dataclass(frozen=True)
class Grads:
    """The analytic gradients: ∇θ L per parameter, and the intermediate ∇o(t)L, ∇h(t)L.

    params: the same shapes as Params; o: (τ, O) rows ∇o(t)L; h: (τ, H) rows ∇h(t)L.
    """

    params: Params
    o: Array
    h: Array


def grad_o(y_hat: Array, y: NDArray[np.int64]) -> Array:
    """∇o(t)L for every t: ŷ(t) − e_{y(t)}, with ∂L/∂L(t) = 1.

    Implements 10.17 and 10.18: (∇o(t)L)_i = ŷ_i(t) − 1[i = y(t)].
    """
    g = y_hat.copy()
    g[np.arange(len(y)), y] -= 1.0  # (10.18)
    return g


def tanh_derivative(trace: Trace) -> Array:
    """Rows 1 − h(t)², the diagonal of ∂h(t)/∂a(t): tanh′(a) = 1 − tanh(a)² (10.9)."""
    return 1 - trace.h**2


def grad_h(params: Params, trace: Trace, g_o: Array, dtanh: Array) -> Array:
    """∇h(t)L for t = τ down to 1, back-propagated through time.

    Implements 10.19 ∇h(τ)L = Vᵀ ∇o(τ)L and 10.20–10.21
    ∇h(t)L = Wᵀ diag(1 − h(t+1)²) ∇h(t+1)L + Vᵀ ∇o(t)L. dtanh: (τ, H) rows 1 − h(t)².
    """
    from_output = g_o @ params.V  # rows Vᵀ ∇o(t)L
    g_h = np.empty_like(trace.h)
    g_h[-1] = from_output[-1]  # (10.19)
    for t in range(len(g_h) - 2, -1, -1):
        g_h[t] = params.W.T @ (dtanh[t + 1] * g_h[t + 1]) + from_output[t]  # (10.21)
    return g_h


def param_grads(params: Params, trace: Trace, g_o: Array, g_h: Array, dtanh: Array) -> Params:
    """∇θ L for every parameter from the intermediate gradients.

    Implements 10.22 ∇c, 10.23 ∇b, 10.24 ∇V, 10.25–10.26 ∇W, 10.27–10.28 ∇U, and
    ∇h(0)L = Wᵀ diag(1 − h(1)²) ∇h(1)L for a learned h0. dtanh: (τ, H) rows 1 − h(t)².
    """
    delta = dtanh * g_h  # rows diag(1 − h(t)²) ∇h(t)L = ∇a(t)L
    return Params(
        U=delta.T @ trace.x,  # (10.28): Σ_t diag(1 − h(t)²) ∇h(t)L x(t)ᵀ
        W=delta.T @ trace.h_prev,  # (10.26): Σ_t diag(1 − h(t)²) ∇h(t)L h(t−1)ᵀ
        V=g_o.T @ trace.h,  # (10.24): Σ_t ∇o(t)L h(t)ᵀ
        b=delta.sum(axis=0),  # (10.23): Σ_t diag(1 − h(t)²) ∇h(t)L
        c=g_o.sum(axis=0),  # (10.22): Σ_t ∇o(t)L
        h0=params.W.T @ delta[0],  # ∇h(0)L = Wᵀ diag(1 − h(1)²) ∇h(1)L
    )


def backward(params: Params, trace: Trace) -> Grads:
    """Back-propagation through time: every gradient of L, equations 10.17–10.28."""
    return backward_from(params, trace, grad_o(trace.y_hat, trace.y), tanh_derivative(trace))


def backward_from(params: Params, trace: Trace, g_o: Array, dtanh: Array) -> Grads:
    """BPTT from a given ∇o(t)L (10.18) and tanh derivative: 10.19–10.28."""
    g_h = grad_h(params, trace, g_o, dtanh)
    return Grads(params=param_grads(params, trace, g_o, g_h, dtanh), o=g_o, h=g_h)
