"""A network of one's own, written as one file against book/network.py's contract: Fig. 10.3 with ReLU for tanh.

    a(t) = b + W h(t−1) + U x(t),  h(t) = max(0, a(t)),  o(t) = c + V h(t),  L = Σ_t −log softmax(o(t))_{y(t)}

with h(0) = 0. BPTT as 10.18–10.28 with ReLU′ = 1[a > 0] in place of tanh′ = 1 − h². One bug: tanh′ kept.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from gradcheck.book.network import Bug, Equation, Forward, Network, Weights, check_variant, in_time
from gradcheck.book.rnn import log_softmax

Array = NDArray[np.float64]


def shapes(I: int, H: int, O: int) -> dict[str, tuple[int, ...]]:
    return {"U": (H, I), "W": (H, H), "V": (O, H), "b": (H,), "c": (O,)}


def forward(
    p: Weights,
    x: NDArray[Any],
    y: NDArray[np.int64],
    offsets: dict[str, NDArray[Any]] | None = None,
    variant: str = "book",
) -> Forward:
    """B copies over x(1..τ): ReLU written as a(t)·1[Re a(t) > 0], which the complex step differentiates."""
    check_variant(variant, ("book",))
    off = offsets or {}
    ux, b, c = p.over_time("U", x), p.vector("b"), p.vector("c")
    h = np.zeros((1, b.shape[-1]))
    hs, outs = [], []
    for t in range(len(x)):
        a = b + p.mv("W", h) + ux[:, t]
        h = a * (a.real > 0) + (off["h"][:, t] if "h" in off else 0)
        hs.append(h)
        outs.append(c + p.mv("V", h) + (off["o"][:, t] if "o" in off else 0))
    o = in_time(outs)
    target = np.broadcast_to(np.asarray(y), o.shape[:2])[..., np.newaxis]
    losses = -np.take_along_axis(log_softmax(o), target, axis=-1)[..., 0]
    return Forward(p.full(losses), {"o": o, "h": in_time(hs)})


def _backward(params: dict[str, Array], x: Array, y: NDArray[np.int64], fwd: Forward, slope: str) -> dict[str, Array]:
    h, o = fwd.node("h"), fwd.node("o")
    g_o = np.exp(log_softmax(o))
    g_o[np.arange(len(y)), y] -= 1.0
    dh = (h > 0).astype(float) if slope == "relu" else 1 - h**2
    g_h = g_o @ params["V"]
    for t in range(len(h) - 2, -1, -1):
        g_h[t] += params["W"].T @ (dh[t + 1] * g_h[t + 1])
    delta = dh * g_h
    h_prev = np.vstack([np.zeros_like(h[:1]), h[:-1]])
    grads = {"U": delta.T @ x, "W": delta.T @ h_prev, "V": g_o.T @ h, "b": delta.sum(axis=0), "c": g_o.sum(axis=0)}
    return grads | {"o": g_o, "h": g_h}


def backward(params: dict[str, Array], x: Array, y: NDArray[np.int64], fwd: Forward, variant: str = "book") -> dict[str, Array]:
    """BPTT with ReLU′(a) = 1[a > 0], read off h(t) > 0."""
    return _backward(params, x, y, fwd, "relu")


def _tanh_slope(
    params: dict[str, Array], x: Array, y: NDArray[np.int64], fwd: Forward, variant: str = "book"
) -> dict[str, Array]:
    return _backward(params, x, y, fwd, "tanh")


EQUATIONS = (
    Equation("10.18", "(∇o(t)L)_i = ŷ_i(t) − 1[i = y(t)]", "o", "∇o(t)L"),
    Equation("10.19", "∇h(τ)L = Vᵀ ∇o(τ)L", "h", "∇h(τ)L", times="last"),
    Equation("relu 10.21", "∇h(t)L = Wᵀ diag(1[a(t+1) > 0]) ∇h(t+1)L + Vᵀ ∇o(t)L, t < τ", "h", "∇h(t)L", times="earlier"),
    Equation("10.22", "∇c L = Σ_t ∇o(t)L", "c", "c"),
    Equation("relu 10.23", "∇b L = Σ_t diag(1[a(t) > 0]) ∇h(t)L", "b", "b"),
    Equation("10.24", "∇V L = Σ_t ∇o(t)L h(t)ᵀ", "V", "V"),
    Equation("relu 10.26", "∇W L = Σ_t diag(1[a(t) > 0]) ∇h(t)L h(t−1)ᵀ", "W", "W"),
    Equation("relu 10.28", "∇U L = Σ_t diag(1[a(t) > 0]) ∇h(t)L x(t)ᵀ", "U", "U"),
)
BUGS = {
    "relu-tanh-slope": Bug(
        "relu-tanh-slope",
        "tanh′ = 1 − h² kept where ReLU′ = 1[a > 0] belongs",
        "Copied from Fig. 10.3's BPTT: the slope of tanh, not of the ReLU. ∇h(t<τ)L, U, W and b are wrong.",
        _tanh_slope,
        frozenset({"U", "W", "b"}),
        frozenset({"relu 10.21"}),
    )
}
NETWORK = Network(
    "relu-rnn", shapes, {"o": "the output o(t)", "h": "the state h(t)"}, EQUATIONS, BUGS, forward, backward, doc=__doc__
)
