"""The bidirectional RNN of Goodfellow et al., Deep Learning, Fig. 10.11 (§10.3): forward and BPTT.

Two tanh recurrences read the same inputs, one forward in time (h) and one backward in time (g, the book's primes
written 2: U2 = U′, W2 = W′, b2 = b′, V2 = V′), and every output sees both (DESIGN.md §8):

    h(t) = tanh(b + W h(t−1) + U x(t)),       h(0) = 0          (10.8–10.9, the forward chain)
    g(t) = tanh(b2 + W2 g(t+1) + U2 x(t)),    g(τ+1) = 0        (the same rule, run from t = τ down to 1)
    o(t) = c + V h(t) + V2 g(t)                                 (10.10 with the second chain's term)

then ŷ(t) = softmax o(t) (10.11) and L = Σ_t −log ŷ(t)_{y(t)} (10.12–10.14). Arrays are time-major: row t−1 holds
step t, so h[t−1] is h(t) and g[t−1] is g(t).

The book gives no backward pass for Fig. 10.11. Ours, by the chain rule: h is the RNN of Fig. 10.3, so 10.18–10.28
hold for it unchanged; g(t) feeds o(t) and g(t−1) (not g(t+1)), so its gradient flows the other way in time:

    ∇g(1)L = V2ᵀ ∇o(1)L                                                  (mirror of 10.19: g(1) is the chain's end)
    ∇g(t)L = V2ᵀ ∇o(t)L + W2ᵀ diag(1 − g(t−1)²) ∇g(t−1)L,   t > 1         (mirror of 10.21)
    ∇U2 L = Σ_t diag(1 − g(t)²) ∇g(t)L x(t)ᵀ,   ∇W2 L = Σ_t diag(1 − g(t)²) ∇g(t)L g(t+1)ᵀ,
    ∇b2 L = Σ_t diag(1 − g(t)²) ∇g(t)L,         ∇V2 L = Σ_t ∇o(t)L g(t)ᵀ   (mirrors of 10.28, 10.26, 10.23, 10.24)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from gradcheck.book.arrays import Array, Data, Gradients, Offsets, Params, Targets
from gradcheck.book.network import Bug, Equation, Forward, Network, Weights, catalogue, check_variant, in_time
from gradcheck.book.rnn import log_softmax

VARIANTS = ("book",)
NODES = {
    "o": "the output o(t) = c + V h(t) + V2 g(t), before the softmax",
    "h": "the forward-in-time state h(t)",
    "g": "the backward-in-time state g(t)",
}


def param_shapes(I: int, H: int, O: int) -> dict[str, tuple[int, ...]]:
    """Every parameter, in table order: forward chain U, W, b; backward chain U2, W2, b2; output V, V2, c."""
    chain = {"U": (H, I), "W": (H, H), "b": (H,)}
    return chain | {f"{name}2": shape for name, shape in chain.items()} | {"V": (O, H), "V2": (O, H), "c": (O,)}


def _chain(p: Weights, U: str, W: str, b: str, x: NDArray[Any], offsets: NDArray[Any] | None, order: range) -> NDArray[Any]:
    """tanh(b + W state + U x(t)) for t in `order`, from a zero state, for every copy: (B or 1, τ, H) in time order."""
    inputs, bias = p.over_time(U, x), p.vector(b)  # U x(t) for every t
    state = np.zeros((1, bias.shape[-1]))  # h(0) = 0 or g(τ+1) = 0, the same for every copy
    steps: list[NDArray[Any]] = [state] * len(x)
    for t in order:
        state = steps[t] = np.tanh(bias + p.mv(W, state) + inputs[:, t]) + (offsets[:, t] if offsets is not None else 0)
    return in_time(steps)


def forward(p: Weights, x: Data, y: Targets, offsets: Offsets = None, variant: str = "book") -> Forward:
    """B copies of the bidirectional RNN over x(1..τ), scored against y(1..τ) (Fig. 10.11, 10.8–10.14).

    p: the copies' parameters (book/network.py's Weights); x: (τ, I); y: (τ,); offsets: {"h", "g" or "o": (B, τ, n)}
    added where the node is made (an offset on h(t) reaches h(t+1), one on g(t) reaches g(t−1)). Nodes (B or 1, τ, n):
    o, h, g. Losses (B, τ).
    """
    check_variant(variant, VARIANTS)
    off = offsets or {}
    tau = len(x)
    h = _chain(p, "U", "W", "b", x, off.get("h"), range(tau))  # (10.8–10.9)
    g = _chain(p, "U2", "W2", "b2", x, off.get("g"), range(tau - 1, -1, -1))  # g(t), from g(t+1)
    o = p.vector("c")[..., np.newaxis, :] + p.over_time("V", h) + p.over_time("V2", g) + off.get("o", 0)  # (10.10), plus V2 g(t)
    log_y_hat = log_softmax(o)  # (10.11), in log form
    target = np.broadcast_to(np.asarray(y), o.shape[:2])[..., np.newaxis]
    losses = -np.take_along_axis(log_y_hat, target, axis=-1)[..., 0]  # (10.12–10.14): L(t) = −log ŷ(t)_{y(t)}
    return Forward(p.full(losses), {"o": o, "h": h, "g": g})


def _chain_g(params: Params, g_o: Array, dg: Array) -> Array:
    """∇g(t)L for t = 1 up to τ: g(t) feeds o(t) and g(t−1), so the recursion runs forward in time.

    ∇g(1)L = V2ᵀ ∇o(1)L;  ∇g(t)L = V2ᵀ ∇o(t)L + W2ᵀ diag(1 − g(t−1)²) ∇g(t−1)L. dg: (τ, H) rows 1 − g(t)².
    """
    g_g = g_o @ params["V2"]  # rows V2ᵀ ∇o(t)L
    for t in range(1, len(g_g)):
        g_g[t] += params["W2"].T @ (dg[t - 1] * g_g[t - 1])  # mirror of (10.21), from t−1
    return g_g


def _backward(
    params: Params, x: NDArray[Any], y: NDArray[np.int64], fwd: Forward, chain_g: Callable[..., Array]
) -> dict[str, Array]:
    """Every gradient of L from the clean Forward, with ∇g(t)L made by chain_g(params, ∇o L, 1 − g²)."""
    h, g, o = (fwd.node(name) for name in ("h", "g", "o"))
    g_o = np.exp(log_softmax(o))
    g_o[np.arange(len(y)), y] -= 1.0  # (10.18): ŷ(t) − e_{y(t)}
    dh, dg = 1 - h**2, 1 - g**2  # tanh′ = 1 − tanh² (10.9)
    g_h = g_o @ params["V"]  # rows Vᵀ ∇o(t)L; the last is (10.19)
    for t in range(len(g_h) - 2, -1, -1):
        g_h[t] += params["W"].T @ (dh[t + 1] * g_h[t + 1])  # (10.21)
    g_g = chain_g(params, g_o, dg)
    delta, eps = dh * g_h, dg * g_g  # ∇ of the pre-activations: diag(1 − h(t)²) ∇h(t)L, diag(1 − g(t)²) ∇g(t)L
    h_prev, g_next = np.vstack([np.zeros_like(h[:1]), h[:-1]]), np.vstack([g[1:], np.zeros_like(g[:1])])
    return {
        "U": delta.T @ x,  # (10.28)
        "W": delta.T @ h_prev,  # (10.26): h(t−1)ᵀ, h(0) = 0
        "b": delta.sum(axis=0),  # (10.23)
        "U2": eps.T @ x,  # mirror of (10.28)
        "W2": eps.T @ g_next,  # mirror of (10.26): g(t+1)ᵀ, g(τ+1) = 0
        "b2": eps.sum(axis=0),  # mirror of (10.23)
        "V": g_o.T @ h,  # (10.24)
        "V2": g_o.T @ g,  # (10.24) for the second chain
        "c": g_o.sum(axis=0),  # (10.22)
        "o": g_o,
        "h": g_h,
        "g": g_g,
    }


def backward(params: Params, x: Data, y: Targets, fwd: Forward, variant: str = "book") -> Gradients:
    """BPTT through both chains: 10.18–10.28 for h, their mirrors in time for g (see the module docstring)."""
    check_variant(variant, VARIANTS)
    return _backward(params, x, y, fwd, _chain_g)


EQUATIONS = (
    Equation.book("10.18"),
    Equation.book("10.19"),
    Equation("10.21", "∇h(t)L = Wᵀ diag(1 − h(t+1)²) ∇h(t+1)L + Vᵀ ∇o(t)L, t < τ", "h", "∇h(t)L", times="earlier"),
    Equation("∇g(t)", "∇g(t)L = V2ᵀ ∇o(t)L + W2ᵀ diag(1 − g(t−1)²) ∇g(t−1)L, the second term absent at t = 1", "g", "∇g(t)L"),
    Equation.book("10.28"),
    Equation.book("10.26"),
    Equation.book("10.23"),
    Equation("∇U2", "∇U2 L = Σ_t diag(1 − g(t)²) ∇g(t)L x(t)ᵀ", "U2", "U2"),
    Equation("∇W2", "∇W2 L = Σ_t diag(1 − g(t)²) ∇g(t)L g(t+1)ᵀ", "W2", "W2"),
    Equation("∇b2", "∇b2 L = Σ_t diag(1 − g(t)²) ∇g(t)L", "b2", "b2"),
    Equation.book("10.24"),
    Equation("∇V2", "∇V2 L = Σ_t ∇o(t)L g(t)ᵀ", "V2", "V2"),
    Equation.book("10.22"),
)


def _chain_g_copied_from_h(params: Params, g_o: Array, dg: Array) -> Array:
    g_g = g_o @ params["V2"]
    for t in range(len(g_g) - 2, -1, -1):
        g_g[t] += params["W2"].T @ (dg[t + 1] * g_g[t + 1])  # 10.21 copied: from g(t+1), which g(t) does not feed
    return g_g


def _wrong_direction(params: Params, x: Data, y: Targets, fwd: Forward, variant: str = "book") -> Gradients:
    return _backward(params, x, y, fwd, _chain_g_copied_from_h)


BUGS = catalogue(
    Bug(
        "bidirectional-backward-chain-wrong-direction",
        "∇g(t)L taken from ∇g(t+1)L, as 10.21 does for h, instead of from ∇g(t−1)L",
        "g runs backward in time: g(t) is computed from g(t+1) and feeds g(t−1). Its gradient therefore flows "
        "forward in time, ∇g(t)L = V2ᵀ∇o(t)L + W2ᵀ diag(1 − g(t−1)²) ∇g(t−1)L, starting from ∇g(1)L = V2ᵀ∇o(1)L. "
        "Copying 10.21 from the h chain sends it from g(t+1) instead, a path that does not exist in the graph. "
        "Every ∇g(t)L is wrong, and so are U2, W2 and b2, which are built from it; the h chain, V, V2, c and "
        "∇o(t)L never read ∇g and stay right.",
        _wrong_direction,
        frozenset({"U2", "W2", "b2"}),
        frozenset({"g"}),
    ),
)

NETWORK = Network("bidirectional", param_shapes, NODES, EQUATIONS, BUGS, forward, backward, variants=VARIANTS, doc=__doc__)
