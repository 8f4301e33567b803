"""The tanh RNN of Goodfellow et al., Deep Learning, Fig. 10.3: forward (10.8–10.14) and BPTT (10.17–10.28).

Pure numpy, no I/O. Arrays are time-major: row t-1 holds time step t = 1..τ.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]


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


def init_params(I: int, H: int, O: int, std: float, rng: np.random.Generator, h0: str = "zeros") -> Params:
    """Parameters ~ N(0, std²), drawn in a fixed order so each draw is reproducible.

    h0 is drawn in every mode, then zeroed for "zeros", so the mode never shifts the other draws.
    """
    U, W, V = (std * rng.standard_normal(shape) for shape in ((H, I), (H, H), (O, H)))
    b, c, h_init = (std * rng.standard_normal(n) for n in (H, O, H))
    return Params(U=U, W=W, V=V, b=b, c=c, h0=np.zeros(H) if h0 == "zeros" else h_init)


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


def row_bytes(name: str, I: int, H: int, O: int, tau: int, complex_step: bool = False) -> int:
    """Working memory of one perturbed copy in perturbed_losses, temporaries included (an estimate).

    V, c and o copies hold all their logits o(1..τ) at once; the others step through time holding h, a and o(t).
    """
    floats = 4 * tau * O if name in ("V", "c", "o") else 4 * H + 4 * O + 2 * tau
    return 8 * floats * (2 if complex_step else 1)


def nll(o: NDArray[Any], y: NDArray[np.int64] | int) -> NDArray[Any]:
    """L = −log ŷ_y = log Σ_j exp o_j − o_y over the last axis (10.11–10.14), shifted by the real max.

    o: (..., O); y: the target, broadcast against o's leading axes. Complex-safe for the complex step.
    """
    shifted, lse = _shifted_logsumexp(o)
    target = np.take_along_axis(shifted, np.broadcast_to(np.asarray(y), o.shape[:-1])[..., np.newaxis], axis=-1)
    loss: NDArray[Any] = (lse - target)[..., 0]
    return loss


def first_change(params: Params, x: Array, name: str, index: NDArray[np.intp]) -> NDArray[np.intp]:
    """The first step (0-based) at which moving entry `index` of `name` can change anything; τ if never.

    U[i, j] acts only through x(t)_j, so not before the first t with x(t)_j ≠ 0 (a one-hot token's first
    appearance; never for a token that does not occur); W[i, j] acts through h(t−1)_j, which is 0 at t = 1
    when h(0)_j = 0; h(t)_i moved after the tanh acts from step t on; everything else acts from step 1.
    """
    tau = len(x)
    if name == "U":
        used = x != 0  # (τ, I)
        first: NDArray[np.intp] = np.where(used.any(axis=0), used.argmax(axis=0), tau)
        return first[np.unravel_index(index, params.U.shape)[1]]
    if name == "W":
        starts_late: NDArray[np.intp] = (params.h0[np.unravel_index(index, params.W.shape)[1]] == 0).astype(np.intp)
        return starts_late
    if name == "h":
        return np.asarray(index // len(params.b), dtype=np.intp)
    return np.zeros(len(index), dtype=np.intp)


def perturbed_losses(
    params: Params,
    x: Array,
    y: NDArray[np.int64],
    name: str,
    index: NDArray[np.intp],
    delta: NDArray[Any],
    clean: Trace | None = None,
) -> NDArray[Any]:
    """The per-step losses L(t) of B networks, copy k with entry index[k] of `name` moved by delta[k].

    A forward pass only (10.8–10.14), batched: a one-entry change of a weight matrix is a rank-1
    change, so the batch costs one (B×H)·(H×H) product per step plus a correction at the entry. Each
    copy starts from the unperturbed run at the first step its entry can change anything (first_change):
    before that its losses are the unperturbed ones.
    `name` may also be an intermediate node: "o" moves o(t)_i and "h" moves h(t)_i (after the tanh),
    with `index` flat into (τ, O) or (τ, H). clean: the unperturbed forward(params, x, y), if already
    computed. Returns (B, τ); complex if delta is.
    """
    clean = clean if clean is not None else forward(params, x, y)
    if name in ("V", "c", "o"):
        return _perturbed_output_losses(params, clean, y, name, index, delta)
    U, W, V, b, c = params.U, params.W, params.V, params.b, params.c
    start = first_change(params, x, name, index)
    order = np.argsort(start, kind="stable")  # copies that start earlier first: the active ones are a prefix
    start, index, delta = start[order], index[order], delta[order]
    if name == "h":
        j, i = np.unravel_index(index, clean.h.shape)  # j: the time row of each moved h(t)_i
    else:
        i, j = np.unravel_index(index, params[name].shape) if name in ("U", "W") else (index, index)
    dtype = np.result_type(delta, np.float64)  # complex for the complex step
    losses = np.tile(clean.losses.astype(dtype), (len(index), 1))
    h = np.empty((len(index), len(b)), dtype=dtype)
    h_prev, base, active = clean.h_prev, b + x @ U.T, 0
    for t in range(len(x)):
        n = int(np.searchsorted(start, t, side="right"))
        if n == 0:
            continue
        h[active:n] = h_prev[t]  # copies that start now pick up the unperturbed h(t−1)
        if name == "h0" and t == 0:
            h[np.arange(n), i[:n]] += delta[:n]
        active, r, ii, jj, dd = n, np.arange(n), i[:n], j[:n], delta[:n]
        a = base[t] + _times(h[:n], W.T)  # (10.8), h is h(t−1) here
        if name == "W":
            a[r, ii] += dd * h[r, jj]  # (W + δ e_i e_jᵀ) h(t−1)
        elif name == "U":
            a[r, ii] += dd * x[t, jj]  # (U + δ e_i e_jᵀ) x(t)
        elif name == "b":
            a[r, ii] += dd
        h[:n] = np.tanh(a)  # (10.9)
        if name == "h":
            now = jj == t
            h[r[now], ii[now]] += dd[now]
        losses[:n, t] = nll(c + _times(h[:n], V.T), y[t])  # (10.10–10.14)
    unsorted = np.empty_like(losses)
    unsorted[order] = losses
    return unsorted


def directional_losses(
    params: Params, x: Array, y: NDArray[np.int64], name: str, D: Array, k: NDArray[np.intp], shift: NDArray[Any]
) -> NDArray[Any]:
    """The per-step losses L(t) of R networks, copy r with parameter `name` moved by shift[r]·D[k[r]].

    A forward pass only (10.8–10.14), batched over dense directions D: (K, *shape). The unperturbed
    products are one (R×H)·(H×H) product per step for all copies; each direction matrix is then applied
    once per step to the copies that use it, so every matrix is read once per step, not once per copy.
    Returns (R, τ); complex if shift is.
    """
    U, W, V, b, c = params.U, params.W, params.V, params.b, params.c
    dtype = np.result_type(shift, np.float64)
    groups = [(kk, np.flatnonzero(k == kk)) for kk in np.unique(k)]
    s = shift[:, np.newaxis]
    h = np.tile(params.h0, (len(k), 1)).astype(dtype)
    if name == "h0":
        h += s * D[k]
    base = b + x @ U.T
    from_U = np.einsum("khi,ti->kth", D, x) if name == "U" else None  # D_k x(t): (K, τ, H)
    losses = np.empty((len(k), len(x)), dtype=dtype)
    for t in range(len(x)):
        a = base[t] + _times(h, W.T)  # (10.8)
        if name == "W":
            for kk, rows in groups:
                a[rows] += s[rows] * _times(h[rows], D[kk].T)  # (W + s D_k) h(t−1)
        elif from_U is not None:
            a += s * from_U[k, t]  # (U + s D_k) x(t)
        elif name == "b":
            a += s * D[k]
        h = np.tanh(a)  # (10.9)
        o = c + _times(h, V.T)  # (10.10)
        if name == "V":
            for kk, rows in groups:
                o[rows] += s[rows] * _times(h[rows], D[kk].T)
        elif name == "c":
            o += s * D[k]
        losses[:, t] = nll(o, y[t])  # (10.11–10.14)
    return losses


def _times(h: NDArray[Any], M: Array) -> NDArray[Any]:
    """h @ M for a real M: two real products when h is complex, half the work of a complex one."""
    if not np.iscomplexobj(h):
        product: NDArray[Any] = h @ M
        return product
    both = np.vstack([h.real, h.imag]) @ M
    return both[: len(h)] + 1j * both[len(h) :]


def _perturbed_output_losses(
    params: Params, trace: Trace, y: NDArray[np.int64], name: str, index: NDArray[np.intp], delta: NDArray[Any]
) -> NDArray[Any]:
    """perturbed_losses for V, c and o(t), which leave every h(t) of `trace` unchanged: o per copy only."""
    o = np.repeat(trace.o[np.newaxis], len(index), axis=0).astype(np.result_type(delta, np.float64))  # (B, τ, O)
    rows = np.arange(len(index))
    if name == "o":
        t, i = np.unravel_index(index, trace.o.shape)
        o[rows, t, i] += delta  # o(t)_i moved: only L(t) changes
    else:
        i, j = np.unravel_index(index, params[name].shape) if name == "V" else (index, index)
        shift = delta[:, np.newaxis] * trace.h[:, j].T if name == "V" else delta[:, np.newaxis]  # (10.10), V + δ e_i e_jᵀ
        o[rows, :, i] += shift
    return nll(o, y)  # (10.11–10.14), y broadcast over the copies
