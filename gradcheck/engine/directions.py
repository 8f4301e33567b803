"""Random unit directions in a parameter's space, for directional checks: dense, or rank one for a matrix.

A directional check compares uᵀ∇L with the finite difference of L along u. It detects a wrong gradient G + E
with probability 1 whenever u is drawn from a distribution with a density on its space, since uᵀE = 0 is then a
null event for E ≠ 0. A rank-one direction u vᵀ (u, v independent and uniform on their unit spheres, so the
matrix has unit Frobenius norm) has no density on the space of matrices, but it still misses E ≠ 0 only on a
null event: uᵀ E v is a non-zero polynomial in (u, v) whenever E ≠ 0, and the zero set of a non-zero polynomial
has measure zero. What it buys: moving W by s·u vᵀ changes W h into W h + s·u (vᵀh), one extra inner product and
one scaled vector per copy and step, where a dense direction needs a whole matrix-vector product per copy, and
drawing K directions costs K·(m + n) numbers instead of K·m·n.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gradcheck.book.arrays import Array, Index


@dataclass(frozen=True)
class Directions:
    """K unit directions in the space of an array of `shape`: `dense` (K, *shape), or rank one, direction k being
    the outer product of u[k] (K, m) and v[k] (K, n), each of unit norm."""

    shape: tuple[int, ...]
    dense: Array | None = None
    u: Array | None = None
    v: Array | None = None

    def __len__(self) -> int:
        return len(self.dense) if self.dense is not None else len(self._factors()[0])

    @property
    def rank_one(self) -> bool:
        return self.dense is None

    def _factors(self) -> tuple[Array, Array]:
        assert self.u is not None and self.v is not None
        return self.u, self.v

    def project(self, values: Array) -> Array:
        """⟨D_k, values⟩ for every direction k: uᵀ G v for a rank-one direction. (K,)"""
        if self.dense is not None:
            flat: Array = self.dense.reshape(len(self.dense), -1) @ values.reshape(-1)
            return flat
        u, v = self._factors()
        projected: Array = ((u @ values) * v).sum(axis=1)
        return projected

    def project_abs(self, values: Array) -> Array:
        """⟨|D_k|, values⟩: how entry-wise bounds (the backward pass's rounding) add up along each direction. (K,)"""
        if self.dense is not None:
            flat: Array = np.abs(self.dense).reshape(len(self.dense), -1) @ values.reshape(-1)
            return flat
        u, v = self._factors()
        projected: Array = ((np.abs(u) @ values) * np.abs(v)).sum(axis=1)
        return projected

    def array(self, k: Index | None = None) -> Array:
        """The directions k (all if None) as dense arrays (len(k), *shape)."""
        if self.dense is not None:
            return self.dense if k is None else self.dense[k]
        u, v = self._factors()
        if k is not None:
            u, v = u[k], v[k]
        outer: Array = u[:, :, np.newaxis] * v[:, np.newaxis, :]
        return outer


def _unit(rng: np.random.Generator, K: int, shape: tuple[int, ...]) -> Array:
    u = rng.standard_normal((K, *shape))
    norms = np.sqrt((u.reshape(K, -1) ** 2).sum(axis=1))
    unit: Array = u / norms.reshape(K, *([1] * len(shape)))
    return unit


def random_directions(rng: np.random.Generator, K: int, shape: tuple[int, ...], dense: bool = False) -> Directions:
    """K random unit directions: rank one u vᵀ for a matrix (unless `dense`), uniform on the unit sphere otherwise."""
    if len(shape) == 2 and not dense:
        return Directions(shape, u=_unit(rng, K, shape[:1]), v=_unit(rng, K, shape[1:]))
    return Directions(shape, dense=_unit(rng, K, shape))


def given_directions(dense: Array) -> Directions:
    """Directions given as dense arrays (K, *shape)."""
    return Directions(tuple(dense.shape[1:]), dense=dense)
