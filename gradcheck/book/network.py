"""What every network of chapter 10 gives the checker: one shape for forward passes, backward passes, equations, bugs.

A network module of this package (lstm.py, gru.py, …) defines, with the names of DESIGN.md §8:

    KIND, VARIANTS                         its model.kind and the variants it offers ("book", and "common" if any)
    param_shapes(I, H, O, layers) -> {name: shape}, in the order tables list them
    NODES: {node: what it is}            the intermediate nodes whose gradients get their own rows, each (τ, n)
    forward(params, x, y, offsets=None, variant="book") -> Forward
    backward(params, x, y, fwd, variant="book") -> {name: ∇L} for every parameter and node
    EQUATIONS: tuple[NetEquation, ...]   the rows of the equation table
    BUGS: dict[str, NetBug]              mistakes people really make in this network's backward pass

forward runs B copies of the network at once (DESIGN.md §7). params is a Copies (below): the parameters shared by
every copy, and at most one that differs per copy, either as one moved entry per copy or as per-copy values; or a
plain {name: (B, *shape)}, every parameter per copy (B = 1 for a single network). forward reads them only through
Copies.vector (biases), Copies.mv (M v at one step) and Copies.over_time (M x(t) for every t at once), so that a
moved entry costs one product with the shared matrix plus a rank-one correction, never a copy of the matrix.
offsets[node] (B, τ, n), if given, is added to that node where it is computed, so that a node's own gradient can be
differenced. Values keep numpy's broadcasting on the batch axis: a node no per-copy value has reached has a batch
axis of 1 (every h(t) of copies that differ only in V or c), the losses always have B rows. forward is complex-safe
(the complex step: no abs, no real-only comparisons on values; the complex dtype comes in with the shift or the
values). backward takes the parameters without the batch axis and the Forward of that single copy (B = 1), and
returns arrays without it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]
Params = Mapping[str, NDArray[Any]]


@dataclass(frozen=True)
class Forward:
    """A batched forward pass: losses (B, T) the per-term losses L(t) that sum to L (T = 1 for a single output), and
    the intermediate nodes as made: each one array (B or 1, τ, n), or its values at t = 1..τ in a list, each (B or 1, n),
    stacked only when `nodes` is read (perturbed copies need only their losses)."""

    losses: NDArray[Any]
    made: Mapping[str, NDArray[Any] | list[NDArray[Any]]]

    @cached_property
    def nodes(self) -> dict[str, NDArray[Any]]:
        """{name: (B or 1, τ, n)}: before any offset is added they equal the clean run; a batch axis of 1 where every
        copy has the same values."""
        return {name: value if isinstance(value, np.ndarray) else in_time(value) for name, value in self.made.items()}

    @property
    def loss(self) -> NDArray[Any]:
        """L per copy: (B,)."""
        total: NDArray[Any] = self.losses.sum(axis=-1)
        return total


@dataclass(frozen=True)
class NetEquation:
    """A row of a network's equation table: the book's number (or the derivation step's name), the formula, the
    parameter or node it defines, how the row is labelled, and which time steps of a node it covers."""

    number: str
    formula: str
    target: str
    gradient: str
    times: Literal["all", "last", "earlier"] = "all"


Backward = Callable[..., dict[str, NDArray[Any]]]  # (params, x, y, fwd, variant) -> gradients by name


@dataclass(frozen=True)
class NetBug:
    """A wrong backward pass of a network, and the rows (parameter names, node names) it should break."""

    name: str
    summary: str
    explanation: str
    backward: Backward
    params: frozenset[str]
    nodes: frozenset[str]


def one_hot(indices: NDArray[np.integer[Any]] | int, size: int) -> NDArray[np.float64]:
    """Rows e_i for each index: (*indices.shape, size), without building the size × size identity."""
    index = np.asarray(indices)
    rows: NDArray[np.float64] = np.zeros((*index.shape, size))
    np.put_along_axis(rows, index[..., np.newaxis], 1.0, axis=-1)
    return rows


def log_softmax(o: NDArray[Any]) -> NDArray[Any]:
    """log softmax over the last axis, shifted by the real max (no overflow; complex-safe)."""
    shifted: NDArray[Any] = o - o.real.max(axis=-1, keepdims=True)
    result: NDArray[Any] = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    return result


def sigmoid(a: NDArray[Any]) -> NDArray[Any]:
    """σ(a) = 1 / (1 + e^(−a)), written so that neither branch overflows for real a (complex-safe for small imag)."""
    result: NDArray[Any] = 0.5 * (1.0 + np.tanh(0.5 * a))
    return result


@dataclass(frozen=True)
class Copies:
    """B copies of a network's parameters: every parameter shared by all copies, except where given per copy.

    shared: {name: value} without a batch axis (U: (H, I)). dense: {name: (B, *shape)}, parameters whose every copy
    has its own value (a random direction, or whole networks stacked). moved: at most one parameter whose copy b has
    its flat entry index[b] moved by shift[b] (complex under the complex step). A one-entry move of M is the rank-one
    change shift·e_i e_jᵀ, so M v for all B copies is one product with the shared M plus shift[b]·v_b[j_b] at row
    i_b: no copy of M is ever made.

    The products follow numpy broadcasting on the leading batch axis: what no per-copy value has reached yet keeps a
    batch axis of 1 (h(0), and every h(t) of a copy whose only change is V or c), so it is computed once for all.
    """

    shared: Mapping[str, Array]
    count: int = 1
    dense: Mapping[str, NDArray[Any]] = field(default_factory=dict)
    moved: str | None = None
    index: NDArray[np.intp] = field(default_factory=lambda: np.zeros(0, dtype=np.intp))
    shift: NDArray[Any] = field(default_factory=lambda: np.zeros(0))

    @classmethod
    def entries(cls, point: Mapping[str, Array], name: str, index: NDArray[np.intp], shift: NDArray[Any]) -> Copies:
        """len(index) copies of `point`, copy b with flat entry index[b] of `name` moved by shift[b]."""
        return cls(point, len(index), moved=name, index=np.asarray(index, dtype=np.intp), shift=np.asarray(shift))

    @classmethod
    def stacked(cls, params: Params) -> Copies:
        """The copies {name: (B, *shape)} spell out, every parameter per copy."""
        values = {name: np.asarray(value) for name, value in params.items()}
        return cls({}, len(next(iter(values.values()))), dense=values)

    @property
    def dtype(self) -> np.dtype[Any]:
        """float64, or complex128 under the complex step."""
        return np.result_type(np.float64, self.shift, *self.dense.values())

    def value(self, name: str) -> NDArray[Any]:
        """The parameter as every copy has it: (*shape) if shared, else (B, *shape)."""
        if name in self.dense:
            return self.dense[name]
        base = self.shared[name]
        if name != self.moved:
            return base
        moved = np.broadcast_to(base, (self.count, *base.shape)).astype(self.dtype)
        moved.reshape(self.count, -1)[np.arange(self.count), self.index] += self.shift
        return moved

    def vector(self, name: str) -> NDArray[Any]:
        """A bias for every copy: (m,) if shared, else (B, m)."""
        return self.value(name)

    def mv(self, name: str, v: NDArray[Any]) -> NDArray[Any]:
        """M v for every copy of the matrix M = `name`: v (B or 1, n) -> (B or 1, m)."""
        if name in self.dense:
            product: NDArray[Any] = (self.dense[name] @ v[..., np.newaxis])[..., 0]
            return product
        product = _times(v, self.shared[name].T)
        if name != self.moved:
            return product
        i, j = np.unravel_index(self.index, self.shared[name].shape)
        rows = np.arange(self.count)
        moved = self._per_copy(product)
        moved[rows, i] += self.shift * np.broadcast_to(v, (self.count, v.shape[-1]))[rows, j]  # shift·e_i e_jᵀ v
        return moved

    def over_time(self, name: str, X: NDArray[Any]) -> NDArray[Any]:
        """M x(t) for every t and every copy of M = `name`: X (B or 1, τ, n) -> (B or 1, τ, m). X (τ, n) is data,
        the same in every copy whatever moves (x(t), or x(t−1)): the engine takes an entry (i, j) of a matrix that
        meets only data whose column j is 0 at every t for one that changes nothing."""
        X = X if X.ndim == 3 else X[np.newaxis]
        if name in self.dense:
            product: NDArray[Any] = X @ np.swapaxes(self.dense[name], -1, -2)
            return product
        M = self.shared[name]
        product = _times(X.reshape(-1, X.shape[-1]), M.T).reshape(*X.shape[:-1], M.shape[0])
        if name != self.moved:
            return product
        i, j = np.unravel_index(self.index, M.shape)
        rows = np.arange(self.count)
        moved = self._per_copy(product)
        moved[rows, :, i] += self.shift[:, np.newaxis] * np.broadcast_to(X, (self.count, *X.shape[1:]))[rows, :, j]
        return moved

    def _per_copy(self, product: NDArray[Any]) -> NDArray[Any]:
        """A product (B or 1, …) just made, as B rows of the dtype a moved entry gives, to correct in place."""
        dtype = np.result_type(product, self.shift)
        if product.shape[0] == self.count and product.dtype == dtype:
            return product
        return np.broadcast_to(product, (self.count, *product.shape[1:])).astype(dtype)

    def full(self, values: NDArray[Any]) -> NDArray[Any]:
        """values (B or 1, …) as (B, …): what every copy has, whether or not it differs between copies."""
        return np.broadcast_to(values, (self.count, *values.shape[1:]))


def copies(params: Copies | Params) -> Copies:
    """forward's parameters as Copies: given so, or {name: (B, *shape)} with every parameter per copy."""
    return params if isinstance(params, Copies) else Copies.stacked(params)


def in_time(steps: Sequence[NDArray[Any]]) -> NDArray[Any]:
    """A node's values at t = 1..τ, each (B or 1, n), as one array (B or 1, τ, n)."""
    stacked: NDArray[Any] = np.stack(np.broadcast_arrays(*steps), axis=1)
    return stacked


def _times(v: NDArray[Any], M: Array) -> NDArray[Any]:
    """v @ M for a real M: two real products when v is complex, half the work of a complex one."""
    if not np.iscomplexobj(v):
        product: NDArray[Any] = v @ M
        return product
    both = np.concatenate([v.real, v.imag]) @ M
    return both[: len(v)] + 1j * both[len(v) :]
