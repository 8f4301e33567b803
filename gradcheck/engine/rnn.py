"""The tanh RNN of Fig. 10.3 as a Model: the book's forward and backward, and its perturbed forward passes batched.

A one-entry change of a weight matrix is a rank-1 change, so a batch of B perturbed networks costs one
(B×H)·(H×H) product per step plus a correction at the entry; each copy starts from the unperturbed run at
the first step its entry can change anything. Forward passes only (10.8–10.14): the numerical side never
calls the backward pass it checks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from gradcheck.book import rnn as book
from gradcheck.book.network import Equation, one_hot
from gradcheck.book.rnn import Array, Grads, Params, Trace, forward, nll
from gradcheck.engine.directions import Directions
from gradcheck.engine.methods import EPS_MACH
from gradcheck.engine.model import Index, Move


@dataclass(frozen=True)
class TanhRNN:
    """The network of Fig. 10.3 at parameters `point` on data x: (τ, I), y: (τ,).

    backward: the backward pass under test (the book's BPTT, or a wrong one from the bug catalogue);
    learned_h0: whether h(0) is a parameter (checked and exported with its gradient).
    """

    point: Params
    x: Array
    y: NDArray[np.int64]
    backward: Callable[[Params, Trace], Grads] = book.backward
    learned_h0: bool = False
    equations: tuple[Equation, ...] = ()  # the equation table's rows (book/fig_10_3.py)

    trace: Trace = field(init=False, repr=False)  # the unperturbed forward pass: every perturbed copy starts from it

    def __post_init__(self) -> None:
        object.__setattr__(self, "trace", forward(self.point, self.x, self.y))  # (10.8–10.14)

    @property
    def params(self) -> dict[str, Array]:
        return {name: value for name, value in self.point if name != "h0" or self.learned_h0}

    @property
    def nodes(self) -> dict[str, Array]:
        return {"o": self.trace.o, "h": self.trace.h}

    @property
    def loss(self) -> float:
        return self.trace.loss

    @property
    def step_losses(self) -> Array:
        return self.trace.losses

    @property
    def values(self) -> dict[str, Array]:
        trace = self.trace
        return {"a": trace.a, "h": trace.h, "o": trace.o, "L": trace.losses[:, np.newaxis]}  # 10.8–10.14

    def gradients(self) -> dict[str, Array]:
        grads = self.backward(self.point, self.trace)
        return {name: grads.params[name] for name in self.params} | {"o": grads.o, "h": grads.h}

    def rounding(self) -> dict[str, Array]:
        """A bound on each gradient entry's own rounding error, for the analytic side and the complex step alike.

        Running error analysis with independent roundings: BPTT (10.18–10.28) run on squares (U², W², V², x², h²,
        (1 − h²)² + ε) from ∇o(t) rows (ŷ(t) + e_y(t))², the size of the two terms 10.18 subtracts, propagates the
        variance of an error of one unit in every term; its root, times (τ + H + I + O)·ε for the operations an entry
        goes through, bounds the rounding where magnitudes cancel (ŷ_y − 1 as ŷ_y → 1, 1 − h² as h → ±1).
        """
        trace = self.trace
        (tau, I), H, O = self.x.shape, len(self.point.b), len(self.point.c)
        squares = Params(*(value**2 for _, value in self.point))
        squared = replace(trace, x=trace.x**2, h=trace.h**2, h0=trace.h0**2)
        terms = (trace.y_hat + one_hot(trace.y, O)) ** 2  # (ŷ + e_y)²
        variance = book.backward_from(squares, squared, terms, (1 - trace.h**2) ** 2 + EPS_MACH)
        factor = (tau + H + I + O) * EPS_MACH
        nodes = {"o": variance.o, "h": variance.h}
        return {name: factor * np.sqrt(value) for name, value in ({n: variance.params[n] for n in self.params} | nodes).items()}

    def perturbed_losses(self, name: str, index: Index, shift: NDArray[Any]) -> NDArray[Any]:
        return perturbed_losses(self.point, self.x, self.y, name, index, shift, self.trace)

    def directional_losses(self, name: str, directions: Directions, k: Index, shift: NDArray[Any]) -> NDArray[Any]:
        return directional_losses(self.point, self.x, self.y, name, directions, k, shift)

    def mixed_directional_losses(self, moves: Sequence[Move]) -> NDArray[Any]:
        return mixed_directional_losses(self.point, self.x, self.y, moves)

    def row_bytes(self, name: str, complex_step: bool) -> int:
        (tau, I), H, O = self.x.shape, len(self.point.b), len(self.point.c)
        return row_bytes(name, I, H, O, tau, complex_step)


def row_bytes(name: str, I: int, H: int, O: int, tau: int, complex_step: bool = False) -> int:
    """Working memory of one perturbed copy in perturbed_losses, temporaries included (an estimate).

    V, c and o copies hold all their logits o(1..τ) at once; the others step through time holding h, a and o(t).
    """
    floats = 4 * tau * O if name in ("V", "c", "o") else 4 * H + 4 * O + 2 * tau
    return 8 * floats * (2 if complex_step else 1)


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
    B, H = len(index), len(b)
    losses = np.empty((B, len(x)), dtype=dtype)
    losses[:] = clean.losses  # until a copy starts, its losses are the unperturbed ones
    h, a, o = np.empty((B, H), dtype=dtype), np.empty((B, H), dtype=dtype), np.empty((B, len(c)), dtype=dtype)
    h_prev, base, active = clean.h_prev, b + x @ U.T, 0
    for t in range(len(x)):
        n = int(np.searchsorted(start, t, side="right"))
        if n == 0:
            continue
        h[active:n] = h_prev[t]  # copies that start now pick up the unperturbed h(t−1)
        if name == "h0" and t == 0:
            h[np.arange(n), i[:n]] += delta[:n]
        active = n  # copies 0..n−1 have started; r, ii, jj, dd: their rows, entries and shifts
        r, ii, jj, dd = np.arange(n), i[:n], j[:n], delta[:n]
        _times(h[:n], W.T, out=a[:n])
        a[:n] += base[t]  # (10.8), h is h(t−1) here
        if name == "W":
            a[r, ii] += dd * h[r, jj]  # (W + δ e_i e_jᵀ) h(t−1)
        elif name == "U":
            a[r, ii] += dd * x[t, jj]  # (U + δ e_i e_jᵀ) x(t)
        elif name == "b":
            a[r, ii] += dd
        np.tanh(a[:n], out=h[:n])  # (10.9)
        if name == "h":
            now = jj == t
            h[r[now], ii[now]] += dd[now]
        _times(h[:n], V.T, out=o[:n])
        o[:n] += c  # (10.10)
        losses[:n, t] = _nll_in_place(o[:n], y[t])  # (10.11–10.14)
    unsorted = np.empty_like(losses)
    unsorted[order] = losses
    return unsorted


def _nll_in_place(o: NDArray[Any], target: int) -> NDArray[Any]:
    """nll(o, target) row by row, overwriting o: the same operations in the same order, without temporaries."""
    o -= o.real.max(axis=1, keepdims=True)  # shifted by the real max
    picked = o[:, target].copy()
    np.exp(o, out=o)
    loss: NDArray[Any] = np.log(o.sum(axis=1)) - picked  # (10.11–10.14)
    return loss


def directional_losses(
    params: Params, x: Array, y: NDArray[np.int64], name: str, D: Directions, k: NDArray[np.intp], shift: NDArray[Any]
) -> NDArray[Any]:
    """The per-step losses L(t) of R networks, copy r with parameter `name` moved by shift[r]·D_k[r]. (R, τ)"""
    return mixed_directional_losses(params, x, y, [Move(name, D, k, shift)])


def mixed_directional_losses(params: Params, x: Array, y: NDArray[np.int64], moves: Sequence[Move]) -> NDArray[Any]:
    """The per-step losses L(t) of the copies of every move, in order: the rows of a move are copies with its
    parameter moved by shift[r]·D_k[r].

    A forward pass only (10.8–10.14), batched: the unperturbed products are one (R×H)·(H×H) product per step for
    all copies of all moves, so several parameters' copies read W once per step. A rank-one direction u vᵀ of W, U or
    V adds s·u (vᵀh(t−1)), s·u (vᵀx(t)) or s·u (vᵀh(t)): one inner product and one scaled vector per copy and step.
    A dense direction matrix is applied once per step to the copies that use it, so every matrix is read once per
    step, not once per copy. Returns (R, τ); complex if a shift is.
    """
    U, W, V, b, c = params.U, params.W, params.V, params.b, params.c
    dtype = np.result_type(np.float64, *(move.shift for move in moves))
    R = sum(len(move.k) for move in moves)
    h = np.empty((R, len(b)), dtype=dtype)
    h[:] = params.h0
    groups, first = [], 0
    for move in moves:
        rows, first = slice(first, first + len(move.k)), first + len(move.k)
        s = move.shift[:, np.newaxis]
        vectors = move.D.array(move.k) if move.name in ("b", "c", "h0") else None  # (r, n): a vector moves along itself
        if move.name == "h0":
            h[rows] += s * vectors
        mover = _mover(move.D, move.k, s) if move.name in ("W", "U", "V") else _unmoved
        from_U = mover(x, True) if move.name == "U" else None  # s·D_k x(t) for every t: (r, τ, H)
        groups.append((move.name, rows, s * vectors if vectors is not None else None, mover, from_U))
    base = b + x @ U.T
    a, o = np.empty_like(h), np.empty((R, len(c)), dtype=dtype)
    losses = np.empty((R, len(x)), dtype=dtype)
    for t in range(len(x)):
        _times(h, W.T, out=a)
        a += base[t]  # (10.8)
        for name, rows, moved, mover, from_U in groups:
            if name == "W":
                a[rows] += mover(h[rows], False)  # (W + s D_k) h(t−1)
            elif from_U is not None:
                a[rows] += from_U[:, t]  # (U + s D_k) x(t)
            elif name == "b":
                a[rows] += moved
        np.tanh(a, out=h)  # (10.9)
        _times(h, V.T, out=o)
        o += c  # (10.10)
        for name, rows, moved, mover, _ in groups:
            if name == "V":
                o[rows] += mover(h[rows], False)
            elif name == "c":
                o[rows] += moved
        losses[:, t] = _nll_in_place(o, y[t])  # (10.11–10.14)
    return losses


Mover = Callable[[NDArray[Any], bool], NDArray[Any]]


def _unmoved(z: NDArray[Any], shared: bool) -> NDArray[Any]:
    raise AssertionError("only W, U and V move through a matrix product")


def _mover(D: Directions, k: NDArray[np.intp], s: NDArray[Any]) -> Mover:
    """(z, shared) -> s_r·D_k[r] z for each copy r: z is (R, n), one vector per copy, or with shared=True (τ, n),
    rows every copy shares, giving (R, τ, m). Rank one as s_r·u (vᵀz); dense as one matrix product per direction."""
    if D.rank_one and len(D.shape) == 2:
        assert D.u is not None and D.v is not None
        u, v = D.u[k], D.v[k]

        def rank_one(z: NDArray[Any], shared: bool) -> NDArray[Any]:
            if shared:
                rows: NDArray[Any] = (s * (v @ z.T))[:, :, np.newaxis] * u[:, np.newaxis, :]  # (R, τ, m)
                return rows
            along: NDArray[Any] = (s * (z * v).sum(axis=1, keepdims=True)) * u  # (R, m)
            return along

        return rank_one
    dense = D.array()
    groups = [(kk, np.flatnonzero(k == kk)) for kk in np.flatnonzero(np.bincount(k))]

    def each(z: NDArray[Any], shared: bool) -> NDArray[Any]:
        if shared:
            rows: NDArray[Any] = s[:, :, np.newaxis] * np.einsum("khi,ti->kth", dense, z)[k]  # D_k z(t), every k and t
            return rows
        out = np.zeros((len(k), dense.shape[1]), dtype=np.result_type(z, s))
        for kk, copies in groups:
            out[copies] = s[copies] * _times(z[copies], dense[kk].T)
        return out

    return each


def _times(h: NDArray[Any], M: Array, out: NDArray[Any] | None = None) -> NDArray[Any]:
    """h @ M for a real M (into `out` if given): two real products when h is complex, half the work of a complex one."""
    if not np.iscomplexobj(h):
        product: NDArray[Any] = np.matmul(h, M, out=out)
        return product
    both = np.vstack([h.real, h.imag]) @ M
    if out is None:
        return both[: len(h)] + 1j * both[len(h) :]
    out.real, out.imag = both[: len(h)], both[len(h) :]
    return out


def _perturbed_output_losses(
    params: Params, trace: Trace, y: NDArray[np.int64], name: str, index: NDArray[np.intp], delta: NDArray[Any]
) -> NDArray[Any]:
    """perturbed_losses for V, c and o(t), which leave every h(t) of `trace` unchanged and move one logit o(t)_i per
    copy and step, by s(t) = δ h(t)_j for V[i, j] (10.10), δ for c_i, δ at the one step of o(t)_i.

    Only the moved logit is recomputed: with o(t) shifted by its real max m(t) and S(t) = Σ_k exp(o(t)_k − m(t)) as in
    the unperturbed pass, the moved sum is S(t) + exp(o(t)_i − m(t))·(exp(s) − 1) and L(t) = log of it minus the
    shifted target logit (10.11–10.14): τ terms per copy instead of τ·O. A step where s = 0 gives the unperturbed
    L(t) bit for bit. Shifts over 1 in size (a wide sweep) take every logit again, shifted by the moved max.
    """
    tau, O = trace.o.shape
    rows = np.arange(len(index))
    dtype = np.result_type(delta, np.float64)
    s = np.zeros((len(index), tau), dtype=dtype)  # s[k, t]: how far copy k moves its logit at step t
    if name == "o":
        t, i = np.unravel_index(index, trace.o.shape)
        s[rows, t] = delta  # o(t)_i moved: only L(t) changes
    else:
        i, j = np.unravel_index(index, params[name].shape) if name == "V" else (index, index)
        s[:] = delta[:, np.newaxis] * trace.h[:, j].T if name == "V" else delta[:, np.newaxis]  # (10.10), V + δ e_i e_jᵀ
    if np.abs(s.real).max(initial=0.0) > 1:
        o = np.empty((len(index), tau, O), dtype=dtype)
        o[:] = trace.o
        o[rows, :, i] += s
        return nll(o, y)  # (10.11–10.14), y broadcast over the copies
    shifted = trace.o - trace.o.max(axis=1, keepdims=True)  # as nll shifts the unperturbed o(t)
    exps = np.exp(shifted)
    total = exps.sum(axis=1) + exps[:, i].T * np.expm1(s)  # (B, τ): Σ_k exp(o(t)_k − m(t)) with o(t)_i moved
    target = shifted[np.arange(tau), y] + np.where(i[:, np.newaxis] == y, s, 0)  # the target logit, moved if it is i
    losses: NDArray[Any] = np.log(total) - target  # (10.11–10.14)
    return losses
