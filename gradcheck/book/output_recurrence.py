"""The RNNs whose recurrence runs through the output, Goodfellow et al., Deep Learning, Fig. 10.4 and Fig. 10.6.

One module, two networks (model.kind, listed in KINDS). They differ only in what is fed back into step t
(DESIGN.md §8; W is H×O, since it multiplies an output-sized vector):

    a(t) = b + W o(t−1) + U x(t),        o(0) = 0          "fig-10.4": the model's own pre-softmax output
    a(t) = b + W e_{y(t−1)} + U x(t),    e_{y(0)} = 0      "teacher-forcing" (Fig. 10.6 at training time):
                                                           the true previous target, one-hot
    h(t) = tanh(a(t))                                      (10.9)
    o(t) = c + V h(t)                                      (10.10)

then ŷ(t) = softmax o(t) (10.11) and L = Σ_t −log ŷ(t)_{y(t)} (10.12–10.14). Arrays are time-major: row t−1 holds
step t. In fig-10.4 the gradient flows back through o(t−1) into o(t−1)'s own parameters; in teacher forcing
e_{y(t−1)} is data, so no gradient flows back through it and each step is on its own (§10.2.1: "the training
can be parallelized").

forward and backward take the network as a keyword, kind = "fig-10.4" or "teacher-forcing" (there is one variant,
"book", accepted and otherwise ignored, as every network module takes it).

The book gives no backward pass for these networks. Ours, by the chain rule. h(t) feeds only o(t), so at every t

    ∇h(t)L = Vᵀ ∇o(t)L                                                    (10.19, at every t)

while o(t) feeds L(t) and, in fig-10.4 only, a(t+1):

    ∇o(t)L = ŷ(t) − e_{y(t)} + Wᵀ diag(1 − h(t+1)²) ∇h(t+1)L,   t < τ     (fig-10.4: 10.18 plus the path into a(t+1))
    ∇o(t)L = ŷ(t) − e_{y(t)}                                              (teacher forcing, every t; fig-10.4 at τ: 10.18)

The parameters follow 10.22–10.28 with the fed-back vector r(t−1) = o(t−1) or e_{y(t−1)} in place of h(t−1):
    ∇W L = Σ_t diag(1 − h(t)²) ∇h(t)L r(t−1)ᵀ.
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from typing import Any

import numpy as np
from numpy.typing import NDArray

from gradcheck.book.arrays import Array, Data, Gradients, Offsets, Params, Targets
from gradcheck.book.network import Bug, Equation, Forward, Network, Weights, check_variant, in_time, one_hot
from gradcheck.book.rnn import log_softmax

KINDS = ("fig-10.4", "teacher-forcing")
VARIANTS = ("book",)
NODES = {
    "o": "the output o(t) = c + V h(t), before the softmax (in fig-10.4 also fed into step t+1)",
    "h": "the hidden state h(t)",
}


def param_shapes(I: int, H: int, O: int) -> dict[str, tuple[int, ...]]:
    """Every parameter, in table order: U (H, I), W (H, O), V (O, H), b (H,), c (O,)."""
    return {"U": (H, I), "W": (H, O), "V": (O, H), "b": (H,), "c": (O,)}


def _check(variant: str, kind: str) -> None:
    check_variant(variant, VARIANTS)
    if kind not in KINDS:
        raise ValueError(f"kind {kind!r} is not one of {', '.join(KINDS)}")


def forward(p: Weights, x: Data, y: Targets, offsets: Offsets = None, variant: str = "book", *, kind: str) -> Forward:
    """B copies of the network `kind` over x(1..τ), scored against y(1..τ) (Fig. 10.4 or 10.6, 10.9–10.14).

    p: the copies' parameters (book/network.py's Weights); x: (τ, I); y: (τ,); offsets: {"o" or "h": (B, τ, n)}
    added where the node is made (in fig-10.4 an offset on o(t) reaches a(t+1); an offset on h(t) reaches o(t)).
    Nodes (B or 1, τ, n): o, h. Losses (B, τ).
    """
    _check(variant, kind)
    off = offsets or {}
    ux, b, c = p.over_time("U", x), p.vector("b"), p.vector("c")  # U x(t) for every t
    targets = one_hot(y, c.shape[-1])  # e_{y(t)}: data
    fed = np.zeros((1, c.shape[-1]))  # o(0) = 0, e_{y(0)} = 0
    hs: list[NDArray[Any]] = []
    outs: list[NDArray[Any]] = []
    for t in range(len(x)):
        a = b + p.mv("W", fed) + ux[:, t]  # a(t) = b + W r(t−1) + U x(t)
        h = np.tanh(a) + (off["h"][:, t] if "h" in off else 0)  # (10.9)
        o = c + p.mv("V", h) + (off["o"][:, t] if "o" in off else 0)  # (10.10)
        hs.append(h)
        outs.append(o)
        fed = o if kind == "fig-10.4" else targets[t][np.newaxis]  # o(t), or the data e_{y(t)}
    o_all = in_time(outs)
    log_y_hat = log_softmax(o_all)  # (10.11), in log form
    target = np.broadcast_to(np.asarray(y), o_all.shape[:2])[..., np.newaxis]
    losses = -np.take_along_axis(log_y_hat, target, axis=-1)[..., 0]  # (10.12–10.14): L(t) = −log ŷ(t)_{y(t)}
    return Forward(p.full(losses), {"o": o_all, "h": in_time(hs)})


def _backward(
    params: Params, x: NDArray[Any], y: NDArray[np.int64], fwd: Forward, kind: str, through_o: bool
) -> dict[str, Array]:
    """Every gradient of L from the clean Forward of `kind`; through_o: whether ∇o(t)L takes the path into a(t+1)."""
    h, o = fwd.node("h"), fwd.node("o")
    W, V = params["W"], params["V"]
    g_o = np.exp(log_softmax(o))
    g_o[np.arange(len(y)), y] -= 1.0  # (10.18): ŷ(t) − e_{y(t)}
    dh = 1 - h**2  # tanh′ = 1 − tanh² (10.9)
    g_h = np.zeros_like(h)
    for t in range(len(h) - 1, -1, -1):
        if through_o and t < len(h) - 1:
            g_o[t] += W.T @ (dh[t + 1] * g_h[t + 1])  # o(t) feeds a(t+1) = b + W o(t) + U x(t+1)
        g_h[t] = V.T @ g_o[t]  # (10.19) at every t: h(t) feeds only o(t)
    delta = dh * g_h  # ∇a(t)L = diag(1 − h(t)²) ∇h(t)L
    fed = o if kind == "fig-10.4" else one_hot(y, o.shape[1])  # r(t) = o(t), or the data e_{y(t)}
    fed_prev = np.vstack([np.zeros_like(fed[:1]), fed[:-1]])  # r(t−1), r(0) = 0
    return {
        "U": delta.T @ x,  # (10.28)
        "W": delta.T @ fed_prev,  # (10.26) with r(t−1) in place of h(t−1)
        "V": g_o.T @ h,  # (10.24)
        "b": delta.sum(axis=0),  # (10.23)
        "c": g_o.sum(axis=0),  # (10.22)
        "o": g_o,
        "h": g_h,
    }


def backward(params: Params, x: Data, y: Targets, fwd: Forward, variant: str = "book", *, kind: str) -> Gradients:
    """BPTT for `kind` (see the module docstring): through o(t) into a(t+1) for fig-10.4, not for teacher forcing."""
    _check(variant, kind)
    return _backward(params, x, y, fwd, kind, through_o=kind == "fig-10.4")


# One table serves both kinds: each row holds for either, the fig-10.4-only term named as such.
EQUATIONS = (
    Equation("10.18", "(∇o(τ)L)_i = ŷ_i(τ) − 1[i = y(τ)]", "o", "∇o(τ)L", times="last"),
    Equation(
        "∇o(t)",
        "∇o(t)L = ŷ(t) − e_{y(t)} + Wᵀ diag(1 − h(t+1)²) ∇h(t+1)L, t < τ (the last term in fig-10.4 only: "
        "with teacher forcing o(t) feeds nothing but L(t))",
        "o",
        "∇o(t)L",
        times="earlier",
    ),
    Equation("10.19", "∇h(t)L = Vᵀ ∇o(t)L at every t (h(t) feeds only o(t))", "h", "∇h(t)L"),
    Equation.book("10.28"),
    Equation(
        "10.26", "∇W L = Σ_t diag(1 − h(t)²) ∇h(t)L r(t−1)ᵀ, r = o in fig-10.4, e_y with teacher forcing, r(0) = 0", "W", "W"
    ),
    Equation.book("10.24"),
    Equation.book("10.23"),
    Equation.book("10.22"),
)


def _no_output_recurrence(params: Params, x: Data, y: Targets, fwd: Forward, variant: str = "book", *, kind: str) -> Gradients:
    return _backward(params, x, y, fwd, kind, through_o=False)  # 10.18 alone, as if o(t) fed only L(t)


def _through_y(params: Params, x: Data, y: Targets, fwd: Forward, variant: str = "book", *, kind: str) -> Gradients:
    return _backward(params, x, y, fwd, kind, through_o=True)  # as if e_{y(t)} were o(t) and fed a(t+1)


_NO_OUTPUT_RECURRENCE = Bug(
    "fig-10.4-no-output-recurrence",
    "∇o(t)L taken as ŷ(t) − e_{y(t)} alone (10.18), missing the Wᵀ diag(1 − h(t+1)²) ∇h(t+1)L that flows back into o(t)",
    "In Fig. 10.4 the output o(t) is fed into the next step, a(t+1) = b + W o(t) + U x(t+1), so o(t) reaches L along "
    "two paths: its own loss L(t), and every later loss through h(t+1). Copying 10.18 from Fig. 10.3 keeps only the "
    "first, ŷ(t) − e_{y(t)}, and drops Wᵀ diag(1 − h(t+1)²) ∇h(t+1)L. That term is the only recurrence of this "
    "network's backward pass: without it each step is differentiated as if it stood alone. ∇o(t)L is wrong for every "
    "t < τ, and with it ∇h(t)L = Vᵀ ∇o(t)L; U, W, b (built from ∇h) and V, c (built from ∇o) all go wrong.",
    _no_output_recurrence,
    frozenset({"U", "W", "V", "b", "c"}),
    frozenset({"o", "h"}),
)
_THROUGH_Y = Bug(
    "teacher-forcing-through-y",
    "the gradient sent back through the fed-in target e_{y(t−1)} as if it were o(t−1) (the backward of Fig. 10.4)",
    "With teacher forcing the next step is fed the true target, a(t+1) = b + W e_{y(t)} + U x(t+1): e_{y(t)} is data, "
    "and nothing the network computes at step t reaches step t+1. That is the point of Fig. 10.6: the steps decouple "
    "and can be trained in parallel. Running the backward of Fig. 10.4 instead adds Wᵀ diag(1 − h(t+1)²) ∇h(t+1)L to "
    "∇o(t)L, a path from o(t) into a(t+1) that does not exist. ∇o(t)L is wrong for every t < τ, so is "
    "∇h(t)L = Vᵀ ∇o(t)L, and with them U, W, b, V and c.",
    _through_y,
    frozenset({"U", "W", "V", "b", "c"}),
    frozenset({"o", "h"}),
)
BUGS_OF: dict[str, dict[str, Bug]] = {
    "fig-10.4": {_NO_OUTPUT_RECURRENCE.name: _NO_OUTPUT_RECURRENCE},
    "teacher-forcing": {_THROUGH_Y.name: _THROUGH_Y},
}
# Each bug is a bug of one kind only: under the other it is that kind's right backward pass.


def _network(kind: str) -> Network:
    """The record of one of the two kinds: its passes, and its bugs, with the kind bound."""
    bugs = {name: replace(bug, backward=partial(bug.backward, kind=kind)) for name, bug in BUGS_OF[kind].items()}
    bound = partial(forward, kind=kind), partial(backward, kind=kind)
    return Network(kind, param_shapes, NODES, EQUATIONS, bugs, *bound, doc=__doc__)


NETWORKS = tuple(_network(kind) for kind in KINDS)
