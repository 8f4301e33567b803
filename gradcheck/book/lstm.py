"""The LSTM of Goodfellow et al., Deep Learning, §10.10.1: forward (10.40–10.44) and BPTT.

As the book prints it (variant "book"), with cell state s, forget gate f, input gate g, output gate q and index i
over units:

    (10.40) f_i(t) = σ(b^f_i + Σ_j U^f_ij x_j(t) + Σ_j W^f_ij h_j(t−1))
    (10.41) s_i(t) = f_i(t) s_i(t−1) + g_i(t) σ(b_i + Σ_j U_ij x_j(t) + Σ_j W_ij h_j(t−1))
    (10.42) g_i(t) = σ(b^g_i + Σ_j U^g_ij x_j(t) + Σ_j W^g_ij h_j(t−1))
    (10.43) h_i(t) = tanh(s_i(t)) q_i(t)
    (10.44) q_i(t) = σ(b^o_i + Σ_j U^o_ij x_j(t) + Σ_j W^o_ij h_j(t−1))

then o(t) = c + V h(t) (10.10), ŷ(t) = softmax o(t) (10.11) and L = Σ_t −log ŷ(t)_{y(t)} (10.12–10.14), with
h(0) = 0 and s(0) = 0. Note the book's σ (not tanh) on the cell input in 10.41. The book writes the output gate's
parameters b^o, U^o, W^o; we name them bq, Uq, Wq (DESIGN.md §8), keeping "o" for the output o(t).

Variant "common" is torch.nn.LSTM's form (one bias per gate): the same gates, but the cell input is
z(t) = tanh(b + U x(t) + W h(t−1)) instead of σ(…). Write z(t) for the cell input in both variants, so that
s(t) = f(t) ⊙ s(t−1) + g(t) ⊙ z(t). Arrays are time-major: row t−1 holds step t, so h[t−1] is h(t).

The book gives no backward pass for the LSTM. Ours, by the chain rule through one step, with a_f, a_g, a_q, a the
pre-activations of f, g, q, z and σ′ = σ(1 − σ) taken from the gate's value:

    ∇h(t)L   = Vᵀ∇o(t)L + W^fᵀ∇a_f(t+1)L + W^gᵀ∇a_g(t+1)L + W^qᵀ∇a_q(t+1)L + Wᵀ∇a(t+1)L   (10.19 at t = τ)
    ∇s(t)L   = ∇h(t)L ⊙ q(t) ⊙ (1 − tanh² s(t)) + ∇s(t+1)L ⊙ f(t+1)      s(t) reaches L via h(t) and s(t+1)
    ∇a_q(t)L = ∇h(t)L ⊙ tanh s(t) ⊙ q(1 − q)                             10.43: h = tanh(s) q
    ∇a_f(t)L = ∇s(t)L ⊙ s(t−1) ⊙ f(1 − f)                                10.41: f multiplies s(t−1)
    ∇a_g(t)L = ∇s(t)L ⊙ z(t) ⊙ g(1 − g)                                  10.41: g multiplies z(t)
    ∇a(t)L   = ∇s(t)L ⊙ g(t) ⊙ z(1 − z)        book (σ); common (tanh): 1 − z²

and every gate's U, W, b pair its pre-activation's gradient with x(t)ᵀ, h(t−1)ᵀ and 1, summed over t.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from gradcheck.book.arrays import Array, Data, Gradients, Offsets, Params, Targets
from gradcheck.book.network import Bug, Equation, Forward, Network, Weights, catalogue, check_variant, gate_rows, in_time, sigmoid
from gradcheck.book.rnn import log_softmax

VARIANTS = ("book", "common")
NODES = {
    "o": "the output o(t) = c + V h(t), before the softmax",
    "h": "the hidden state h(t) = tanh(s(t)) q(t)",
    "s": "the cell state s(t)",
}
_GATES = ("f", "g", "q", "")  # forget (10.40), input (10.42), output (10.44), cell input (10.41)


def param_shapes(I: int, H: int, O: int) -> dict[str, tuple[int, ...]]:
    """Every parameter, in table order: Uf Wf bf, Ug Wg bg, Uq Wq bq, U W b (cell input), V, c."""
    shapes: dict[str, tuple[int, ...]] = {}
    for gate in _GATES:
        shapes |= {f"U{gate}": (H, I), f"W{gate}": (H, H), f"b{gate}": (H,)}
    return shapes | {"V": (O, H), "c": (O,)}


def forward(p: Weights, x: Data, y: Targets, offsets: Offsets = None, variant: str = "book") -> Forward:
    """B copies of the LSTM over x(1..τ), scored against y(1..τ) (10.40–10.44, 10.10–10.14).

    p: the copies' parameters (book/network.py's Weights); x: (τ, I); y: (τ,); offsets: {"s", "h" or "o": (B, τ, n)}
    added where the node is made (an offset on s(t) reaches h(t) and s(t+1)). Nodes (B or 1, τ, n): o, h, s, and the
    step quantities the backward pass reuses: the gates f, g, q and the cell input z. Losses (B, τ).
    """
    check_variant(variant, VARIANTS)
    off = offsets or {}
    ux = {gate: p.over_time(f"U{gate}", x) for gate in _GATES}  # U x(t) for every t
    bias, c = {gate: p.vector(f"b{gate}") for gate in _GATES}, p.vector("c")
    h = s = np.zeros((1, bias[""].shape[-1]))  # h(0) = 0, s(0) = 0, the same for every copy
    made: dict[str, list[NDArray[Any]]] = {name: [] for name in ("h", "s", "f", "g", "q", "z")}

    def pre(gate: str, t: int) -> NDArray[Any]:
        """The gate's pre-activation b + U x(t) + W h(t−1), for each copy."""
        result: NDArray[Any] = bias[gate] + ux[gate][:, t] + p.mv(f"W{gate}", h)
        return result

    for t in range(len(x)):
        f = sigmoid(pre("f", t))  # (10.40)
        g = sigmoid(pre("g", t))  # (10.42)
        q = sigmoid(pre("q", t))  # (10.44)
        z = sigmoid(pre("", t)) if variant == "book" else np.tanh(pre("", t))  # cell input: σ in (10.41)
        s = f * s + g * z  # (10.41)
        s = s + off["s"][:, t] if "s" in off else s
        h = np.tanh(s) * q  # (10.43)
        h = h + off["h"][:, t] if "h" in off else h
        for name, value in (("h", h), ("s", s), ("f", f), ("g", g), ("q", q), ("z", z)):
            made[name].append(value)
    hs = in_time(made.pop("h"))
    o = c[..., np.newaxis, :] + p.over_time("V", hs) + off.get("o", 0)  # (10.10)
    target = np.broadcast_to(np.asarray(y)[np.newaxis, :, np.newaxis], (*o.shape[:2], 1))
    losses = -np.take_along_axis(log_softmax(o), target, axis=-1)[..., 0]  # (10.11–10.14): L(t) = −log ŷ(t)_{y(t)}
    return Forward(p.full(losses), {"o": o, "h": hs} | made)


def _backward(
    params: Params,
    x: NDArray[Any],
    y: NDArray[np.int64],
    fwd: Forward,
    variant: str,
    forget_path: bool = True,
    tanh_at_h: bool = False,
    slope_at_preactivation: bool = False,
) -> dict[str, Array]:
    """BPTT through the step rule (module docstring), from t = τ down to 1.

    The flags are the catalogued mistakes (all off for the right gradient): forget_path=False drops
    ∇s(t+1)L ⊙ f(t+1) from ∇s(t)L; tanh_at_h takes tanh′ as 1 − h(t)² instead of 1 − tanh² s(t);
    slope_at_preactivation takes σ′ as a(1 − a) at the pre-activation a instead of σ(a)(1 − σ(a)).
    """
    check_variant(variant, VARIANTS)
    o, h, s, f, g, q, z = (fwd.nodes[name] for name in ("o", "h", "s", "f", "g", "q", "z"))
    tau, H = h.shape
    h_prev = np.vstack([np.zeros((1, H)), h[:-1]])  # rows h(t−1), h(0) = 0
    s_prev = np.vstack([np.zeros((1, H)), s[:-1]])  # rows s(t−1), s(0) = 0
    at = {"f": f, "g": g, "q": q, "": z}  # where σ′ = σ(1 − σ) is evaluated: at the value σ(a(t))
    if slope_at_preactivation:  # the bug: at a(t) = b + U x(t) + W h(t−1) itself
        at = {k: params[f"b{k}"] + x @ params[f"U{k}"].T + h_prev @ params[f"W{k}"].T for k in _GATES}
    slope = {k: at[k] * (1 - at[k]) for k in ("f", "g", "q")}  # σ′ of each gate, from its value σ(a)
    slope[""] = at[""] * (1 - at[""]) if variant == "book" else 1 - z**2  # cell input: σ′ (book) or tanh′ (common)
    dtanh = 1 - h**2 if tanh_at_h else 1 - np.tanh(s) ** 2  # tanh′(s(t)) = 1 − tanh² s(t); the bug uses h
    g_o = np.exp(log_softmax(o))
    g_o[np.arange(tau), y] -= 1.0  # (10.18): ∇o(t)L = ŷ(t) − e_{y(t)}
    from_output = g_o @ params["V"]  # rows Vᵀ∇o(t)L
    g_h, g_s = np.zeros((tau, H)), np.zeros((tau, H))
    g_a = {k: np.zeros((tau, H)) for k in _GATES}
    carry_h, carry_s = np.zeros(H), np.zeros(H)  # what h(t), s(t) receive through step t+1: none at t = τ
    for t in range(tau - 1, -1, -1):
        g_h[t] = from_output[t] + carry_h  # (10.19) at t = τ; at t < τ plus Σ_gates Wᵀ∇a(t+1)L
        g_s[t] = g_h[t] * q[t] * dtanh[t] + carry_s  # ∇s(t)L = ∇h(t)L ⊙ q(t) ⊙ (1 − tanh² s(t)) + ∇s(t+1)L ⊙ f(t+1)
        g_a["q"][t] = g_h[t] * np.tanh(s[t]) * slope["q"][t]  # ∇a_q(t)L = ∇h(t)L ⊙ tanh s(t) ⊙ q(1 − q)
        g_a["f"][t] = g_s[t] * s_prev[t] * slope["f"][t]  # ∇a_f(t)L = ∇s(t)L ⊙ s(t−1) ⊙ f(1 − f)
        g_a["g"][t] = g_s[t] * z[t] * slope["g"][t]  # ∇a_g(t)L = ∇s(t)L ⊙ z(t) ⊙ g(1 − g)
        g_a[""][t] = g_s[t] * g[t] * slope[""][t]  # ∇a(t)L = ∇s(t)L ⊙ g(t) ⊙ z′
        carry_h = sum((params[f"W{k}"].T @ g_a[k][t] for k in _GATES), np.zeros(H))  # ∇h(t−1)L from step t
        carry_s = g_s[t] * f[t] if forget_path else np.zeros(H)  # ∇s(t−1)L from step t: f(t) ⊙ ∇s(t)L
    grads = {"V": g_o.T @ h, "c": g_o.sum(axis=0)}  # (10.24), (10.22)
    for k in _GATES:
        grads |= {f"U{k}": g_a[k].T @ x, f"W{k}": g_a[k].T @ h_prev, f"b{k}": g_a[k].sum(axis=0)}  # Σ_t ∇a (x, h, 1)ᵀ
    return {name: grads[name] for name in param_shapes(1, 1, 1)} | {"o": g_o, "h": g_h, "s": g_s}


def backward(params: Params, x: Data, y: Targets, fwd: Forward, variant: str = "book") -> Gradients:
    """Every gradient of L: the parameters' (same shapes as params) and ∇o(t)L, ∇h(t)L, ∇s(t)L as (τ, n) rows.

    params without the batch axis; fwd: the clean Forward of that single copy (nodes (τ, n), no batch axis).
    """
    return _backward(params, x, y, fwd, variant)


EQUATIONS = (
    Equation.book("10.18"),
    Equation.book("10.19"),
    Equation(
        "∇h(t)",
        "∇h(t)L = Vᵀ∇o(t)L + Wfᵀ∇a_f(t+1)L + Wgᵀ∇a_g(t+1)L + Wqᵀ∇a_q(t+1)L + Wᵀ∇a(t+1)L, t < τ",
        "h",
        "∇h(t)L",
        times="earlier",
    ),
    Equation("∇s(τ)", "∇s(τ)L = ∇h(τ)L ⊙ q(τ) ⊙ (1 − tanh² s(τ))", "s", "∇s(τ)L", times="last"),
    Equation("∇s(t)", "∇s(t)L = ∇h(t)L ⊙ q(t) ⊙ (1 − tanh² s(t)) + ∇s(t+1)L ⊙ f(t+1), t < τ", "s", "∇s(t)L", times="earlier"),
    *gate_rows("10.40", "f", "x(t)", "∇a_f = ∇s(t)L ⊙ s(t−1) ⊙ f(1 − f)"),
    *gate_rows("10.42", "g", "x(t)", "∇a_g = ∇s(t)L ⊙ z(t) ⊙ g(1 − g)"),
    *gate_rows("10.44", "q", "x(t)", "∇a_q = ∇h(t)L ⊙ tanh s(t) ⊙ q(1 − q)"),
    *gate_rows("10.41", "", "x(t)", "∇a = ∇s(t)L ⊙ g(t) ⊙ z(1 − z) [common: 1 − z²]"),
    Equation.book("10.24"),
    Equation.book("10.22"),
)


def _forget_path_dropped(params: Params, x: Data, y: Targets, fwd: Forward, variant: str = "book") -> Gradients:
    return _backward(params, x, y, fwd, variant, forget_path=False)  # ∇s(t)L without ∇s(t+1)L ⊙ f(t+1)


def _tanh_at_h(params: Params, x: Data, y: Targets, fwd: Forward, variant: str = "book") -> Gradients:
    return _backward(params, x, y, fwd, variant, tanh_at_h=True)  # 1 − h(t)² for 1 − tanh² s(t)


def _gate_slope_at_preactivation(params: Params, x: Data, y: Targets, fwd: Forward, variant: str = "book") -> Gradients:
    return _backward(params, x, y, fwd, variant, slope_at_preactivation=True)  # a(1 − a) for σ(a)(1 − σ(a))


_RECURRENT = frozenset(param_shapes(1, 1, 1)) - {"V", "c"}  # everything ∇s(t)L and ∇h(t<τ)L feed: all but V, c

BUGS = catalogue(
    Bug(
        "lstm-forget-path-dropped",
        "∇s(t)L without ∇s(t+1)L ⊙ f(t+1): the cell state's own path through time lost",
        "s(t) reaches the loss twice: through h(t) = tanh(s(t)) q(t) (10.43), and through the next cell state "
        "s(t+1) = f(t+1) s(t) + … (10.41). So ∇s(t)L = ∇h(t)L ⊙ q(t) ⊙ (1 − tanh² s(t)) + ∇s(t+1)L ⊙ f(t+1). "
        "Dropping the second term throws away exactly the path the LSTM was built for — the one that lets "
        "gradients travel far in time without passing through W. ∇s(τ)L stays right (there is no s(τ+1)), but "
        "∇s(t)L for t < τ is wrong, and through the gates every recurrent parameter and ∇h(t)L for t < τ − 1 with "
        "it (∇h(τ − 1)L reads only step τ's gates, which the right ∇s(τ)L feeds). ∇o(t)L, ∇h(τ)L, ∇h(τ − 1)L, V "
        "and c stay right. Needs τ > 1 to show.",
        _forget_path_dropped,
        _RECURRENT,
        frozenset({"h", "s"}),
    ),
    Bug(
        "lstm-tanh-at-h",
        "tanh′ at h: 1 − h(t)² where 1 − tanh² s(t) belongs",
        "h(t) = tanh(s(t)) q(t) (10.43), so ∂h(t)/∂s(t) = q(t) (1 − tanh² s(t)). The familiar 1 − h² of the "
        "plain RNN (10.21) only works there because h = tanh(a); in the LSTM h is tanh(s) times the output "
        "gate, so 1 − h² is 1 − q² tanh² s, wrong wherever q ≠ 1 (which, for a σ, is everywhere). Every "
        "∇s(t)L is wrong — including at τ — and with it every recurrent parameter and ∇h(t)L for t < τ; "
        "∇o(t)L, ∇h(τ)L, V and c stay right.",
        _tanh_at_h,
        _RECURRENT,
        frozenset({"h", "s"}),
    ),
    Bug(
        "lstm-gate-derivative-at-preactivation",
        "σ′ as a(1 − a) at the pre-activation a, instead of σ(a)(1 − σ(a))",
        "σ′(a) = σ(a)(1 − σ(a)): the derivative is written in terms of the gate's value, f(1 − f), not of "
        "what went into it. Plugging in the pre-activation a = b + U x(t) + W h(t−1) gives a(1 − a), which "
        "can even be negative. Every gate's pre-activation gradient (and, in the book form, the σ cell "
        "input's) is then wrong, so every recurrent parameter fails, and through Wᵀ∇a(t+1)L so do ∇h(t)L and "
        "∇s(t)L for t < τ. ∇o(t)L, ∇h(τ)L, ∇s(τ)L, V and c stay right.",
        _gate_slope_at_preactivation,
        _RECURRENT,
        frozenset({"h", "s"}),
    ),
)

NETWORK = Network("lstm", param_shapes, NODES, EQUATIONS, BUGS, forward, backward, variants=VARIANTS, doc=__doc__)
