"""The RNN that reads a whole sequence and gives one output, Goodfellow et al., Deep Learning, Fig. 10.5: forward and BPTT.

The hidden states are those of Fig. 10.3; only the last one is read out, against one target class y (DESIGN.md §8):

    a(t) = b + W h(t−1) + U x(t),   h(0) = 0                    (10.8)
    h(t) = tanh(a(t)),              t = 1..τ                    (10.9)
    o(τ) = c + V h(τ)                                           (10.10, at τ only)
    ŷ(τ) = softmax(o(τ)),   L = −log ŷ(τ)_y                     (10.11, and 10.12–10.14 with one term)

Arrays are time-major: row t−1 holds step t. y has one entry; the losses are (B, 1) and the node o is (1, O).

The book gives no backward pass for Fig. 10.5; it is 10.18–10.28 with the outputs at t < τ taken away:

    ∇o(τ)L = ŷ(τ) − e_y                                                  (10.18)
    ∇h(τ)L = Vᵀ ∇o(τ)L                                                   (10.19)
    ∇h(t)L = Wᵀ diag(1 − h(t+1)²) ∇h(t+1)L,   t < τ                      (10.21 without Vᵀ ∇o(t)L: no o(t))
    ∇V L = ∇o(τ)L h(τ)ᵀ,   ∇c L = ∇o(τ)L                                  (10.24, 10.22: one term each)
    ∇U L, ∇W L, ∇b L as 10.28, 10.26, 10.23
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from gradcheck.book.arrays import Array, Data, Gradients, Offsets, Params, Targets
from gradcheck.book.network import Bug, Equation, Forward, Network, Weights, catalogue, check_variant, in_time
from gradcheck.book.rnn import log_softmax

VARIANTS = ("book",)
NODES = {
    "o": "the one output o(τ) = c + V h(τ), before the softmax: a single row (1, O)",
    "h": "the hidden state h(t)",
}


def param_shapes(I: int, H: int, O: int) -> dict[str, tuple[int, ...]]:
    """Every parameter, in table order: U (H, I), W (H, H), V (O, H), b (H,), c (O,)."""
    return {"U": (H, I), "W": (H, H), "V": (O, H), "b": (H,), "c": (O,)}


def _check(variant: str, y: NDArray[np.int64]) -> None:
    check_variant(variant, VARIANTS)
    if np.shape(y) != (1,):
        raise ValueError(f"fig-10.5 has one target class: y must have one entry, got shape {np.shape(y)}")


def forward(p: Weights, x: Data, y: Targets, offsets: Offsets = None, variant: str = "book") -> Forward:
    """B copies of Fig. 10.5 over x(1..τ), scored at τ against the one class y (10.8–10.14).

    p: the copies' parameters (book/network.py's Weights); x: (τ, I); y: (1,); offsets: {"h": (B, τ, H),
    "o": (B, 1, O)} added where the node is made (an offset on h(t) reaches h(t+1)). Nodes: o (B or 1, 1, O),
    h (B or 1, τ, H). Losses (B, 1).
    """
    _check(variant, y)
    off = offsets or {}
    ux, b = p.over_time("U", x), p.vector("b")  # U x(t) for every t
    state = np.zeros((1, b.shape[-1]))  # h(0) = 0, the same for every copy
    steps: list[NDArray[Any]] = []
    for t in range(len(x)):
        a = b + p.mv("W", state) + ux[:, t]  # (10.8)
        state = np.tanh(a) + (off["h"][:, t] if "h" in off else 0)  # (10.9)
        steps.append(state)
    o = (p.vector("c") + p.mv("V", state))[..., np.newaxis, :] + off.get("o", 0)  # (10.10), at τ only
    log_y_hat = log_softmax(o)  # (10.11), in log form
    target = np.broadcast_to(np.asarray(y), o.shape[:2])[..., np.newaxis]
    losses = -np.take_along_axis(log_y_hat, target, axis=-1)[..., 0]  # L = −log ŷ(τ)_y
    return Forward(p.full(losses), {"o": o, "h": in_time(steps)})


def _from_grad_o(params: Params, x: NDArray[Any], h: Array, g_o: Array) -> dict[str, Array]:
    """Every gradient, given ∇o(t)L as rows (τ, O) — zero where there is no output (t < τ in Fig. 10.5)."""
    W, V = params["W"], params["V"]
    dh = 1 - h**2  # tanh′ = 1 − tanh² (10.9)
    g_h = g_o @ V  # rows Vᵀ ∇o(t)L; the last is (10.19)
    for t in range(len(h) - 2, -1, -1):
        g_h[t] += W.T @ (dh[t + 1] * g_h[t + 1])  # (10.21)
    delta = dh * g_h  # ∇a(t)L = diag(1 − h(t)²) ∇h(t)L
    h_prev = np.vstack([np.zeros_like(h[:1]), h[:-1]])  # h(t−1), h(0) = 0
    return {
        "U": delta.T @ x,  # (10.28)
        "W": delta.T @ h_prev,  # (10.26)
        "V": g_o.T @ h,  # (10.24)
        "b": delta.sum(axis=0),  # (10.23)
        "c": g_o.sum(axis=0),  # (10.22)
        "o": g_o[-1:],
        "h": g_h,
    }


def backward(params: Params, x: Data, y: Targets, fwd: Forward, variant: str = "book") -> Gradients:
    """BPTT from the one loss at τ (see the module docstring): ∇o(t)L = 0 for t < τ, so 10.21 loses its Vᵀ∇o(t)L."""
    _check(variant, y)
    h, o = fwd.node("h"), fwd.node("o")
    g_o = np.zeros((len(h), o.shape[1]))
    g_o[-1] = np.exp(log_softmax(o[0]))
    g_o[-1, y[0]] -= 1.0  # (10.18): ŷ(τ) − e_y
    return _from_grad_o(params, x, h, g_o)


EQUATIONS = (
    Equation("10.18", "(∇o(τ)L)_i = ŷ_i(τ) − 1[i = y]", "o", "∇o(τ)L"),
    Equation.book("10.19"),
    Equation(
        "10.21",
        "∇h(t)L = Wᵀ diag(1 − h(t+1)²) ∇h(t+1)L, t < τ (no Vᵀ ∇o(t)L: no output before τ)",
        "h",
        "∇h(t)L",
        times="earlier",
    ),
    Equation.book("10.28"),
    Equation.book("10.26"),
    Equation("10.24", "∇V L = ∇o(τ)L h(τ)ᵀ", "V", "V"),
    Equation.book("10.23"),
    Equation("10.22", "∇c L = ∇o(τ)L", "c", "c"),
)


def _summed_over_t(params: Params, x: Data, y: Targets, fwd: Forward, variant: str = "book") -> Gradients:
    h = fwd.node("h")
    g_o = np.exp(log_softmax(h @ params["V"].T + params["c"]))  # ŷ(t) of an output c + V h(t) at every t
    g_o[:, y[0]] -= 1.0  # ŷ(t) − e_y: the same target at every t
    return _from_grad_o(params, x, h, g_o)


BUGS = catalogue(
    Bug(
        "single-output-summed-over-t",
        "the backward of Fig. 10.3 with the one target at every step: ∇h(t)L picks up Vᵀ(ŷ(t) − e_y) at every t",
        "Fig. 10.5 reads the sequence out once, at the end: o(τ) = c + V h(τ) and L = −log ŷ(τ)_y. Copying the "
        "backward of Fig. 10.3 keeps its sum over t, as if an output o(t) = c + V h(t) were made at every step and "
        "scored against the same class y. Those outputs and losses are not in the graph: for t < τ, ∇h(t)L is only "
        "Wᵀ diag(1 − h(t+1)²) ∇h(t+1)L, with no Vᵀ(ŷ(t) − e_y) term. ∇h(t)L is wrong for t < τ, and so are U, W, b "
        "(built from it) and V, c (which collect ŷ(t) − e_y at every step). ∇o(τ)L and ∇h(τ)L are right.",
        _summed_over_t,
        frozenset({"U", "W", "V", "b", "c"}),
        frozenset({"h"}),
    ),
)

NETWORK = Network(
    "fig-10.5", param_shapes, NODES, EQUATIONS, BUGS, forward, backward, variants=VARIANTS, doc=__doc__, single_target=True
)
