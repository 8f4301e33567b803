"""The gated recurrent unit of Goodfellow et al., Deep Learning, §10.10.2: forward (10.45–10.47) and BPTT.

As the book prints it (variant "book"), with update gate u, reset gate r and index i over units:

    (10.45) h_i(t) = u_i(t−1) h_i(t−1) + (1 − u_i(t−1)) σ(b_i + Σ_j U_ij x_j(t−1) + Σ_j W_ij r_j(t−1) h_j(t−1))
    (10.46) u_i(t) = σ(b^u_i + Σ_j U^u_ij x_j(t) + Σ_j W^u_ij h_j(t))
    (10.47) r_i(t) = σ(b^r_i + Σ_j U^r_ij x_j(t) + Σ_j W^r_ij h_j(t))

then o(t) = c + V h(t) (10.10), ŷ(t) = softmax o(t) (10.11) and L = Σ_t −log ŷ(t)_{y(t)} (10.12–10.14). Note the
book's t−1 indices and its σ (not tanh) on the candidate. Conventions (DESIGN.md §8): h(0) = 0, x(0) = 0, and u(0),
r(0) come from h(0) by 10.46–10.47; so step t reads x(t−1), and x(τ) never reaches the loss (nor do u(τ), r(τ)).

Variant "common" is torch.nn.GRU's form (one bias per gate), with same-step gates and input:

    u(t) = σ(b^u + U^u x(t) + W^u h(t−1)),   r(t) = σ(b^r + U^r x(t) + W^r h(t−1)),
    n(t) = tanh(b + U x(t) + r(t) ⊙ (W h(t−1))),   h(t) = (1 − u(t)) ⊙ n(t) + u(t) ⊙ h(t−1).

Both are one step rule: step t = 1..τ reads gates u, r and an input z(t) (book: u(t−1), r(t−1), z(t) = x(t−1);
common: u(t), r(t), z(t) = x(t)), forms the candidate n(t) from its pre-activation a(t), and mixes
h(t) = u ⊙ h(t−1) + (1 − u) ⊙ n(t). Arrays are time-major: row t−1 holds step t, so h[t−1] is h(t) and u[t−1] is
the update gate step t uses (u(t−1) in the book's numbering, u(t) in the common one).

The book gives no backward pass for the GRU. Ours, by the chain rule through one step, with δ(t) = ∇h(t)L:

    ∇a(t)L   = (1 − u) ⊙ δ(t) ⊙ n(t)(1 − n(t))     book: σ′ = σ(1 − σ)      common: tanh′ = 1 − n(t)²
    ∇a_u(t)L = δ(t) ⊙ (h(t−1) − n(t)) ⊙ u(1 − u)     ∂h/∂u = h(t−1) − n(t): u multiplies h(t−1), (1 − u) multiplies n
    ∇a_r(t)L = (Wᵀ∇a(t)L) ⊙ h(t−1) ⊙ r(1 − r)        common: ∇a(t)L ⊙ (W h(t−1)) ⊙ r(1 − r)
    ∇h(t−1)L = Vᵀ∇o(t−1)L + u ⊙ δ(t) + r ⊙ Wᵀ∇a(t)L + W^uᵀ∇a_u(t)L + W^rᵀ∇a_r(t)L   common: Wᵀ(r ⊙ ∇a(t)L)
    ∇W L = Σ_t ∇a(t)L (r ⊙ h(t−1))ᵀ                common: Σ_t (r ⊙ ∇a(t)L) h(t−1)ᵀ

and every gate's U, W, b pair its pre-activation's gradient with z(t)ᵀ, h(t−1)ᵀ and 1, summed over t.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from gradcheck.book.arrays import Array, Data, Gradients, Offsets, Params, Targets
from gradcheck.book.network import Bug, Equation, Forward, Network, Weights, catalogue, check_variant, gate_rows, in_time, sigmoid
from gradcheck.book.rnn import log_softmax

VARIANTS = ("book", "common")
NODES = {"o": "the output o(t) = c + V h(t), before the softmax", "h": "the hidden state h(t)"}


def param_shapes(I: int, H: int, O: int) -> dict[str, tuple[int, ...]]:
    """Every parameter, in table order: update gate (Uu, Wu, bu), reset gate (Ur, Wr, br), candidate (U, W, b), V, c."""
    shapes: dict[str, tuple[int, ...]] = {}
    for gate in ("u", "r", ""):
        shapes |= {f"U{gate}": (H, I), f"W{gate}": (H, H), f"b{gate}": (H,)}
    return shapes | {"V": (O, H), "c": (O,)}


def _step_inputs(x: NDArray[Any], variant: str) -> NDArray[Any]:
    """z(t) for t = 1..τ, (τ, I): the book's step t reads x(t−1), with x(0) = 0 (x(τ) is never read); common reads x(t)."""
    check_variant(variant, VARIANTS)
    return np.vstack([np.zeros_like(x[:1]), x[:-1]]) if variant == "book" else x


def forward(p: Weights, x: Data, y: Targets, offsets: Offsets = None, variant: str = "book") -> Forward:
    """B copies of the GRU over x(1..τ), scored against y(1..τ) (10.45–10.47, 10.10–10.14).

    p: the copies' parameters (book/network.py's Weights); x: (τ, I); y: (τ,); offsets: {"h" or "o": (B, τ, n)}
    added where the node is made. Nodes (B or 1, τ, n): h, o, and the step quantities the backward pass reuses: u, r
    (the gates step t reads) and n (the candidate n(t)). Losses (B, τ).
    """
    off = offsets or {}
    z = _step_inputs(x, variant)
    zu, zr, zn = (p.over_time(name, z) for name in ("Uu", "Ur", "U"))  # U z(t) for every t
    bu, br, b, c = (p.vector(name) for name in ("bu", "br", "b", "c"))
    h = np.zeros((1, b.shape[-1]))  # h(0) = 0, the same for every copy
    made: dict[str, list[NDArray[Any]]] = {name: [] for name in ("h", "u", "r", "n")}
    for t in range(len(x)):
        u = sigmoid(bu + zu[:, t] + p.mv("Wu", h))  # (10.46), at t−1 in the book
        r = sigmoid(br + zr[:, t] + p.mv("Wr", h))  # (10.47), at t−1 in the book
        n = (
            sigmoid(b + zn[:, t] + p.mv("W", r * h))  # (10.45): σ(b + U x + W(r⊙h))
            if variant == "book"
            else np.tanh(b + zn[:, t] + r * p.mv("W", h))  # tanh(b + U x + r⊙(W h))
        )
        h = u * h + (1 - u) * n  # (10.45)
        h = h + off["h"][:, t] if "h" in off else h
        for name, value in (("h", h), ("u", u), ("r", r), ("n", n)):
            made[name].append(value)
    hs = in_time(made.pop("h"))
    o = c[..., np.newaxis, :] + p.over_time("V", hs) + off.get("o", 0)  # (10.10)
    target = np.broadcast_to(np.asarray(y)[np.newaxis, :, np.newaxis], (*o.shape[:2], 1))
    losses = -np.take_along_axis(log_softmax(o), target, axis=-1)[..., 0]  # (10.11–10.14): L(t) = −log ŷ(t)_{y(t)}
    return Forward(p.full(losses), {"h": hs, "o": o} | made)


def _backward(
    params: Params, x: NDArray[Any], y: NDArray[np.int64], fwd: Forward, variant: str, candidate_sign: float, reset_in_w: bool
) -> dict[str, Array]:
    """BPTT through the step rule (module docstring), from t = τ down to 1.

    candidate_sign: the sign of n(t) in ∂h(t)/∂u = h(t−1) − n(t) (−1; a bug writes +1). reset_in_w: whether r
    multiplies the W path on the way back, as it does on the way forward (True; a bug leaves it out).
    """
    z = _step_inputs(x, variant)
    h, o, u, r, n = (fwd.nodes[name] for name in ("h", "o", "u", "r", "n"))
    tau, H = h.shape
    W, Wu, Wr = params["W"], params["Wu"], params["Wr"]
    h_prev = np.vstack([np.zeros((1, H)), h[:-1]])  # rows h(t−1), h(0) = 0
    g_o = np.exp(log_softmax(o))
    g_o[np.arange(tau), y] -= 1.0  # (10.18): ∇o(t)L = ŷ(t) − e_{y(t)}
    from_output = g_o @ params["V"]  # rows Vᵀ∇o(t)L
    dn = n * (1 - n) if variant == "book" else 1 - n**2  # σ′ or tanh′ of the candidate, from its value
    g_h, g_a, g_au, g_ar, g_w_out = (np.zeros((tau, H)) for _ in range(5))
    carry = np.zeros(H)  # what ∇h(t)L receives through step t+1: none at t = τ
    for t in range(tau - 1, -1, -1):
        g_h[t] = from_output[t] + carry  # (10.19) at t = τ; at t < τ the sum below
        g_a[t] = (1 - u[t]) * g_h[t] * dn[t]  # ∇a(t)L = (1 − u) ⊙ δ(t) ⊙ σ′/tanh′
        g_au[t] = g_h[t] * (h_prev[t] + candidate_sign * n[t]) * u[t] * (1 - u[t])  # ∂h/∂u = h(t−1) − n(t)
        if variant == "book":
            g_rh = W.T @ g_a[t]  # ∇(r ⊙ h(t−1))L: W multiplies r ⊙ h(t−1)
            g_ar[t] = g_rh * h_prev[t] * r[t] * (1 - r[t])  # ∇a_r(t)L
            g_w_out[t] = g_a[t]  # the gradient at W's output
            through_w = r[t] * g_rh if reset_in_w else g_rh  # r ⊙ Wᵀ∇a(t)L
        else:
            g_ar[t] = g_a[t] * (W @ h_prev[t]) * r[t] * (1 - r[t])  # ∇a_r(t)L: r multiplies W h(t−1)
            g_w_out[t] = r[t] * g_a[t] if reset_in_w else g_a[t]  # ∇(W h(t−1))L = r ⊙ ∇a(t)L
            through_w = W.T @ g_w_out[t]  # Wᵀ(r ⊙ ∇a(t)L)
        carry = u[t] * g_h[t] + through_w + Wu.T @ g_au[t] + Wr.T @ g_ar[t]  # ∇h(t−1)L from step t
    w_in = r * h_prev if variant == "book" and reset_in_w else h_prev  # what W multiplies at each step
    grads = {"V": g_o.T @ h, "c": g_o.sum(axis=0)}  # (10.24), (10.22)
    for gate, g in (("u", g_au), ("r", g_ar), ("", g_a)):
        grads |= {f"U{gate}": g.T @ z, f"W{gate}": g.T @ h_prev, f"b{gate}": g.sum(axis=0)}  # Σ_t ∇a z(t)ᵀ, h(t−1)ᵀ, 1
    grads["W"] = g_w_out.T @ w_in  # book: Σ_t ∇a(t)L (r ⊙ h(t−1))ᵀ; common: Σ_t (r ⊙ ∇a(t)L) h(t−1)ᵀ
    return {name: grads[name] for name in param_shapes(1, 1, 1)} | {"o": g_o, "h": g_h}


def backward(params: Params, x: Data, y: Targets, fwd: Forward, variant: str = "book") -> Gradients:
    """Every gradient of L: the parameters' (same shapes as params) and ∇o(t)L, ∇h(t)L as (τ, n) rows.

    params without the batch axis; fwd: the clean Forward of that single copy (nodes (τ, n), no batch axis).
    """
    return _backward(params, x, y, fwd, variant, candidate_sign=-1.0, reset_in_w=True)


EQUATIONS = (
    Equation.book("10.18"),
    Equation.book("10.19"),
    Equation(
        "∇h(t)",
        "∇h(t)L = Vᵀ∇o(t)L + u ⊙ ∇h(t+1)L + r ⊙ Wᵀ∇a(t+1)L [common: Wᵀ(r ⊙ ∇a)] + Wuᵀ∇a_u(t+1)L + Wrᵀ∇a_r(t+1)L, t < τ",
        "h",
        "∇h(t)L",
        times="earlier",
    ),
    *gate_rows("10.46", "u", "z(t)", "∇a_u = ∇h(t)L ⊙ (h(t−1) − n(t)) ⊙ u(1 − u)"),
    *gate_rows("10.47", "r", "z(t)", "∇a_r = (Wᵀ∇a(t)L) ⊙ h(t−1) ⊙ r(1 − r) [common: ∇a ⊙ W h(t−1)]"),
    Equation("10.45 U", "∇U L = Σ_t ∇a(t)L z(t)ᵀ,  ∇a = (1 − u) ⊙ ∇h(t)L ⊙ n(1 − n) [common: 1 − n²]", "U", "U"),
    Equation("10.45 W", "∇W L = Σ_t ∇a(t)L (r ⊙ h(t−1))ᵀ [common: Σ_t (r ⊙ ∇a(t)L) h(t−1)ᵀ]", "W", "W"),
    Equation("10.45 b", "∇b L = Σ_t ∇a(t)L", "b", "b"),
    Equation.book("10.24"),
    Equation.book("10.22"),
)


def _plus_candidate(params: Params, x: Data, y: Targets, fwd: Forward, variant: str = "book") -> Gradients:
    return _backward(params, x, y, fwd, variant, candidate_sign=+1.0, reset_in_w=True)  # ∂h/∂u = h(t−1) + n(t)


def _reset_left_out(params: Params, x: Data, y: Targets, fwd: Forward, variant: str = "book") -> Gradients:
    return _backward(params, x, y, fwd, variant, candidate_sign=-1.0, reset_in_w=False)  # W path as if W h(t−1)


_RECURRENT = frozenset(param_shapes(1, 1, 1)) - {"V", "c"}  # everything ∇h(t<τ)L feeds: all but the output layer

BUGS = catalogue(
    Bug(
        "gru-one-minus-u-sign",
        "∂h(t)/∂u = h(t−1) + n(t): the sign of the (1 − u) branch lost",
        "h(t) = u ⊙ h(t−1) + (1 − u) ⊙ n(t), and the derivative of (1 − u) n with respect to u is −n, not +n: "
        "∇u must be ∇h(t)L ⊙ (h(t−1) − n(t)). With +n(t) every update-gate gradient is wrong, so Uu, Wu and bu "
        "fail, and through Wuᵀ∇a_u the error enters ∇h(t)L for t < τ and every parameter behind it. Only what "
        "sits after h — ∇o(t)L, ∇h(τ)L, V and c — stays right.",
        _plus_candidate,
        _RECURRENT,
        frozenset({"h"}),
    ),
    Bug(
        "gru-reset-left-out-of-W-path",
        "r dropped from the W path on the way back: ∇W and ∇h(t−1) as if the candidate read W h(t−1)",
        "The candidate reads W (r ⊙ h(t−1)) in the book (r ⊙ (W h(t−1)) in torch's form), so the gradient "
        "through W is gated by r in both directions: ∇W L pairs ∇a(t)L with (r ⊙ h(t−1))ᵀ, and h(t−1) receives "
        "r ⊙ Wᵀ∇a(t)L. Leaving r out (while still giving r its own gradient) breaks W directly and ∇h(t)L for "
        "t < τ, hence every parameter behind it; ∇o(t)L, ∇h(τ)L, V and c stay right. Invisible where r = 1.",
        _reset_left_out,
        _RECURRENT,
        frozenset({"h"}),
    ),
)

NETWORK = Network("gru", param_shapes, NODES, EQUATIONS, BUGS, forward, backward, variants=VARIANTS, doc=__doc__)
