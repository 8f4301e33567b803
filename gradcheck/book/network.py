"""What every network of chapter 10 gives the checker: one shape for forward passes, backward passes, equations, bugs.

A network module of this package (lstm.py, gru.py, …) defines, with the names of DESIGN.md §8:

    KIND, VARIANTS                         its model.kind and the variants it offers ("book", and "common" if any)
    param_shapes(I, H, O, layers) -> {name: shape}, in the order tables list them
    NODES: {node: what it is}            the intermediate nodes whose gradients get their own rows, each (τ, n)
    forward(params, x, y, offsets=None, variant="book") -> Forward
    backward(params, x, y, fwd, variant="book") -> {name: ∇L} for every parameter and node
    EQUATIONS: tuple[NetEquation, ...]   the rows of the equation table
    BUGS: dict[str, NetBug]              mistakes people really make in this network's backward pass

forward is batched: every parameter carries a leading axis of B copies, (B, *shape) (B = 1 for the clean run), and
offsets[node] (B, τ, n), if given, is added to that node where it is computed, so that a node's own gradient can be
differenced. It is complex-safe (the complex step: no abs, no real-only comparisons on values). backward takes the
parameters without the batch axis and the Forward of that single copy (B = 1), and returns arrays without it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]
Params = Mapping[str, NDArray[Any]]


@dataclass(frozen=True)
class Forward:
    """A batched forward pass: losses (B, T) the per-term losses L(t) that sum to L (T = 1 for a single output),
    nodes {name: (B, τ, n)} the intermediate values (before any offset is added they equal the clean run)."""

    losses: NDArray[Any]
    nodes: dict[str, NDArray[Any]]

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


def log_softmax(o: NDArray[Any]) -> NDArray[Any]:
    """log softmax over the last axis, shifted by the real max (no overflow; complex-safe)."""
    shifted: NDArray[Any] = o - o.real.max(axis=-1, keepdims=True)
    result: NDArray[Any] = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    return result


def sigmoid(a: NDArray[Any]) -> NDArray[Any]:
    """σ(a) = 1 / (1 + e^(−a)), written so that neither branch overflows for real a (complex-safe for small imag)."""
    result: NDArray[Any] = 0.5 * (1.0 + np.tanh(0.5 * a))
    return result
