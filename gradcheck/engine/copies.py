"""B copies of a network's parameters that share every value but one moved entry per copy: the batching machinery
behind book/network.py's Weights (DESIGN.md §7). A moved entry is a rank-one correction to the shared products, so
no copy of a matrix is ever made."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
from numpy.typing import NDArray

from gradcheck.book.arrays import Array
from gradcheck.book.network import Stacked


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

    @property
    def names(self) -> Collection[str]:
        return {*self.shared, *self.dense}

    @cached_property
    def _stacked(self) -> Stacked:
        return Stacked(self.dense)

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
            return self._stacked.mv(name, v)
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
            return self._stacked.over_time(name, X)
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
        return np.broadcast_to(values, (self.count, *values.shape[1:]))


def _times(v: NDArray[Any], M: Array) -> NDArray[Any]:
    """v @ M for a real M: two real products when v is complex, half the work of a complex one."""
    if not np.iscomplexobj(v):
        product: NDArray[Any] = v @ M
        return product
    both = np.concatenate([v.real, v.imag]) @ M
    return both[: len(v)] + 1j * both[len(v) :]
