"""The deep RNN of Goodfellow et al., Deep Learning, Fig. 10.13a (§10.5): N stacked tanh recurrences and BPTT.

Every layer has width H and its own recurrence; layer 1 reads x(t), layer k reads layer k−1 at the same step, and
the output reads the top layer (DESIGN.md §8, `layers = N`):

    h¹(t) = tanh(b1 + W1 h¹(t−1) + U1 x(t))                        (10.8–10.9)
    hᵏ(t) = tanh(bk + Wk hᵏ(t−1) + Uk hᵏ⁻¹(t)),   k = 2..N          (10.8–10.9 with hᵏ⁻¹(t) as the input)
    o(t) = c + V hᴺ(t)                                              (10.10)

with every hᵏ(0) = 0 (h0 is N×H zeros), ŷ(t) = softmax o(t) (10.11) and L = Σ_t −log ŷ(t)_{y(t)} (10.12–10.14).
Arrays are time-major: row t−1 holds step t, so h1[t−1] is h¹(t). U1 is H×I, every other Uk, Wk is H×H.

The book gives no backward pass for Fig. 10.13a. Ours, by the chain rule: hᵏ(t) feeds hᵏ(t+1) (through Wk) and
hᵏ⁺¹(t) (through Uk+1), or o(t) for the top layer. With δᵏ(t) = diag(1 − hᵏ(t)²) ∇hᵏ(t)L, the pre-activation's
gradient, and δᵏ(τ+1) = 0:

    ∇hᴺ(t)L = Vᵀ ∇o(t)L + Wᴺᵀ δᴺ(t+1)                                (10.19, 10.21)
    ∇hᵏ(t)L = Uk+1ᵀ δᵏ⁺¹(t) + Wkᵀ δᵏ(t+1),   k < N                    (10.21 with Uk+1ᵀ δᵏ⁺¹(t) in place of Vᵀ∇o(t)L)
    ∇Uk L = Σ_t δᵏ(t) hᵏ⁻¹(t)ᵀ (h⁰(t) = x(t)),  ∇Wk L = Σ_t δᵏ(t) hᵏ(t−1)ᵀ,  ∇bk L = Σ_t δᵏ(t)   (10.28, 10.26, 10.23)

so the layers are done from the top down, each one back through time.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache, partial
from typing import Any

import numpy as np
from numpy.typing import NDArray

from gradcheck.book.arrays import Array, Data, Gradients, Offsets, Params, Targets
from gradcheck.book.kinds import LAYERS
from gradcheck.book.network import Bug, Equation, Forward, Network, Weights, check_variant, in_time
from gradcheck.book.rnn import log_softmax

VARIANTS = ("book",)


def nodes(layers: int) -> dict[str, str]:
    """The nodes with their own rows for N = layers: o, then h1 … hN."""
    found = {"o": "the output o(t) = c + V hᴺ(t), before the softmax"}
    return found | {f"h{k}": f"layer {k}'s state h{k}(t)" for k in range(1, layers + 1)}


def param_shapes(I: int, H: int, O: int, layers: int) -> dict[str, tuple[int, ...]]:
    """Every parameter, in table order: U1 W1 b1 … UN WN bN, then V, c. U1 is H×I, every other Uk, Wk H×H."""
    if layers < 1:
        raise ValueError(f"layers must be ≥ 1, not {layers}")
    shapes: dict[str, tuple[int, ...]] = {}
    for k in range(1, layers + 1):
        shapes |= {f"U{k}": (H, I if k == 1 else H), f"W{k}": (H, H), f"b{k}": (H,)}
    return shapes | {"V": (O, H), "c": (O,)}


def layer_count(names: Iterable[str]) -> int:
    """N, read from the parameter names (b1 … bN)."""
    return sum(1 for name in names if name[0] == "b" and name[1:].isdigit())


def forward(p: Weights, x: Data, y: Targets, offsets: Offsets = None, variant: str = "book") -> Forward:
    """B copies of the deep RNN over x(1..τ), scored against y(1..τ) (Fig. 10.13a, 10.8–10.14).

    p: the copies' parameters (book/network.py's Weights); x: (τ, I); y: (τ,); offsets: {"h1" … "hN" or "o":
    (B, τ, n)} added where the node is made (an offset on hᵏ(t) reaches hᵏ(t+1) and hᵏ⁺¹(t)). Nodes (B or 1, τ, n):
    o, h1 … hN. Losses (B, τ).
    """
    check_variant(variant, VARIANTS)
    off = offsets or {}
    N = layer_count(p.names)
    below: NDArray[Any] = x  # h⁰(t) = x(t), the input of layer 1
    nodes: dict[str, NDArray[Any]] = {}
    for k in range(1, N + 1):
        inputs = p.over_time(f"U{k}", below)  # Uk hᵏ⁻¹(t) for every t at once: the layer below is done
        b = p.vector(f"b{k}")
        state = np.zeros((1, b.shape[-1]))  # hᵏ(0) = 0, the same for every copy
        steps: list[NDArray[Any]] = []
        for t in range(len(x)):
            a = b + p.mv(f"W{k}", state) + inputs[:, t]  # (10.8)
            state = np.tanh(a) + (off[f"h{k}"][:, t] if f"h{k}" in off else 0)  # (10.9)
            steps.append(state)
        nodes[f"h{k}"] = below = in_time(steps)
    o = p.vector("c")[..., np.newaxis, :] + p.over_time("V", below) + off.get("o", 0)  # (10.10)
    log_y_hat = log_softmax(o)  # (10.11), in log form
    target = np.broadcast_to(np.asarray(y), o.shape[:2])[..., np.newaxis]
    losses = -np.take_along_axis(log_y_hat, target, axis=-1)[..., 0]  # (10.12–10.14): L(t) = −log ŷ(t)_{y(t)}
    return Forward(p.full(losses), {"o": o, **nodes})


def _backward(params: Params, x: NDArray[Any], y: NDArray[np.int64], fwd: Forward, pass_down: bool) -> dict[str, Array]:
    """Every gradient of L from the clean Forward, layer by layer from the top; pass_down=False drops Uk+1ᵀ δᵏ⁺¹(t)."""
    N = layer_count(params)
    hs = [x] + [fwd.node(f"h{k}") for k in range(1, N + 1)]  # hs[k] = hᵏ, hs[0] = x
    g_o = np.exp(log_softmax(fwd.node("o")))
    g_o[np.arange(len(y)), y] -= 1.0  # (10.18): ŷ(t) − e_{y(t)}
    grads: dict[str, Array] = {"o": g_o, "V": g_o.T @ hs[N], "c": g_o.sum(axis=0)}  # (10.24), (10.22)
    from_above = g_o @ params["V"]  # rows Vᵀ ∇o(t)L for the top layer
    for k in range(N, 0, -1):
        h, W = hs[k], params[f"W{k}"]
        dtanh = 1 - h**2  # tanh′ = 1 − tanh² (10.9)
        g_h = from_above.copy()  # the last row alone is (10.19) for k = N
        for t in range(len(g_h) - 2, -1, -1):
            g_h[t] += W.T @ (dtanh[t + 1] * g_h[t + 1])  # (10.21)
        delta = dtanh * g_h  # δᵏ(t) = diag(1 − hᵏ(t)²) ∇hᵏ(t)L
        h_prev = np.vstack([np.zeros_like(h[:1]), h[:-1]])
        grads |= {f"h{k}": g_h, f"U{k}": delta.T @ hs[k - 1], f"W{k}": delta.T @ h_prev, f"b{k}": delta.sum(axis=0)}
        # (10.28), (10.26), (10.23) per layer; the layer below receives Ukᵀ δᵏ(t) as its "from the output" term
        from_above = delta @ params[f"U{k}"] if pass_down else np.zeros_like(g_h)
    return grads


def backward(params: Params, x: Data, y: Targets, fwd: Forward, variant: str = "book") -> Gradients:
    """BPTT through every layer, from hᴺ down to h¹ (see the module docstring)."""
    check_variant(variant, VARIANTS)
    return _backward(params, x, y, fwd, pass_down=True)


def equations(layers: int) -> tuple[Equation, ...]:
    """The rows of the equation table for N = layers."""
    N = layers
    rows = [
        Equation.book("10.18"),
        Equation("10.19", f"∇h{N}(τ)L = Vᵀ ∇o(τ)L", f"h{N}", f"∇h{N}(τ)L", times="last"),
        Equation("10.21", f"∇h{N}(t)L = W{N}ᵀ δ{N}(t+1) + Vᵀ ∇o(t)L, t < τ", f"h{N}", f"∇h{N}(t)L", times="earlier"),
    ]
    for k in range(N - 1, 0, -1):
        down = f"U{k + 1}ᵀ δ{k + 1}(t)"
        rows += [
            Equation(f"∇h{k}(τ)", f"∇h{k}(τ)L = {down[:-3]}(τ)", f"h{k}", f"∇h{k}(τ)L", times="last"),
            Equation(f"∇h{k}(t)", f"∇h{k}(t)L = W{k}ᵀ δ{k}(t+1) + {down}, t < τ", f"h{k}", f"∇h{k}(t)L", times="earlier"),
        ]
    for k in range(1, N + 1):
        below = "x(t)" if k == 1 else f"h{k - 1}(t)"
        rows += [
            Equation(f"10.28 U{k}", f"∇U{k} L = Σ_t δ{k}(t) {below}ᵀ,  δ{k}(t) = diag(1 − h{k}(t)²) ∇h{k}(t)L", f"U{k}", f"U{k}"),
            Equation(f"10.26 W{k}", f"∇W{k} L = Σ_t δ{k}(t) h{k}(t−1)ᵀ", f"W{k}", f"W{k}"),
            Equation(f"10.23 b{k}", f"∇b{k} L = Σ_t δ{k}(t)", f"b{k}", f"b{k}"),
        ]
    rows += [Equation("10.24", f"∇V L = Σ_t ∇o(t)L h{N}(t)ᵀ", "V", "V"), Equation.book("10.22")]
    return tuple(rows)


def _not_passed_down(params: Params, x: Data, y: Targets, fwd: Forward, variant: str = "book") -> Gradients:
    return _backward(params, x, y, fwd, pass_down=False)


def bugs(layers: int) -> dict[str, Bug]:
    """The mistakes, with the rows each breaks for N = layers (with N = 1 there is no layer below to break, and so
    no bug: a single layer is Fig. 10.3's recurrence, whose mistakes are in book/bugs.py)."""
    lower = range(1, layers)
    if layers == 1:
        return {}
    return {
        "deep-layer-gradient-not-passed-down": Bug(
            "deep-layer-gradient-not-passed-down",
            "∇hᵏ⁻¹(t)L without Ukᵀ diag(1 − hᵏ(t)²) ∇hᵏ(t)L: no gradient sent from a layer to the one below",
            "hᵏ⁻¹(t) is the input of layer k at the same step, exactly as x(t) is the input of layer 1, so besides "
            "Wk−1ᵀ δᵏ⁻¹(t+1) from its own future it receives Ukᵀ diag(1 − hᵏ(t)²) ∇hᵏ(t)L from the layer above. "
            "Back-propagating each layer through time as if it were alone drops that term; then only the top layer "
            "ever hears from the loss, and every ∇hᵏ(t)L below it is zero. The top layer's rows, V, c and ∇o(t)L "
            "stay right; every Uk, Wk, bk and hᵏ below the top is wrong.",
            _not_passed_down,
            frozenset(f"{p}{k}" for k in lower for p in "UWb"),
            frozenset(f"h{k}" for k in lower),
        )
    }


@cache
def network(layers: int) -> Network:
    """The record of N = layers stacked recurrences (made once per N)."""
    shapes = partial(param_shapes, layers=layers)
    return Network(
        "deep",
        shapes,
        nodes(layers),
        equations(layers),
        bugs(layers),
        forward,
        backward,
        layers=layers,
        deepen=network,
        doc=__doc__,
    )


NETWORK = network(LAYERS)  # model.layers' default depth (network(N) for any N)
