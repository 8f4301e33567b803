"""What every network of chapter 10 gives the checker: one frozen record, Network, with its forward and backward
passes, its equations and its bugs (DESIGN.md §8). A network module of this package (lstm.py, gru.py, …) ends with

    NETWORK = Network(kind, shapes, nodes, equations, bugs, forward, backward, variants=…, <its data rules>)

(output_recurrence.py, holding two networks, with NETWORKS), and kinds.py registers it by kind:

    shapes(I, H, O) -> {name: shape}       every parameter, in the order tables list them
    nodes: {node: what it is}               the intermediate nodes whose gradients get their own rows, each (τ, n)
    forward(params, x, y, offsets=None, variant="book") -> Forward
    backward(params, x, y, fwd, variant="book") -> {name: ∇L} for every parameter and node
    equations: tuple[Equation, ...]         the rows of the equation table, in the order BPTT computes them
    bugs: {name: Bug}                       mistakes people really make in this network's backward pass

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
returns arrays without it. Fig. 10.3 (fig_10_3.py) keeps the book's own passes, rnn.forward and rnn.backward, which
its batched engine (engine/rnn.py) runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
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
class Equation:
    """A row of a network's equation table: the book's number (or the derivation step's name), the formula, the
    parameter or node whose gradient it defines (target), how the row is labelled (gradient), and for a node (τ, n)
    the time steps it covers: every t, t = τ only, or t < τ only."""

    number: str
    formula: str
    target: str
    gradient: str
    times: Literal["all", "last", "earlier"] = "all"


Backward = Callable[..., Any]  # the network's backward signature: (params, x, y, fwd, variant) -> gradients by name


@dataclass(frozen=True)
class Bug:
    """A wrong backward pass of a network (the same signature as the network's own), and the rows it should break:
    parameters, and nodes by name or by the number of the equation row (10.21: ∇h(t)L for t < τ)."""

    name: str
    summary: str
    explanation: str
    backward: Backward
    params: frozenset[str]
    nodes: frozenset[str]


Shapes = Callable[[int, int, int], dict[str, tuple[int, ...]]]  # (I, H, O) -> {name: shape}, in table order
Mistakes = Callable[[Mapping[str, Array], Array, NDArray[np.int64]], Iterator[Any]]  # (point, x, y) -> book.mistakes.Mistake


@dataclass(frozen=True)
class Network:
    """A network of chapter 10, everything the checker knows of it: what every layer reads, never a kind name.

    kind: model.kind; shapes, nodes, equations, bugs, forward, backward: as this module's docstring says; variants:
    the forms model.variant chooses ("book" first). Data rules: single_target, one output at τ (data.targets holds
    one target); h0, an initial state h(0) that model.h0 sets (zeros, random, learned), else every initial state
    is 0; layers, the depth model.layers sets (None: the network has none), and deepen(N), the record at depth N.
    own_layouts: user code may come in the layouts written for this network (min-char-rnn, CS231n, …), else only in
    the book's; walkthrough: `explain --t` shows 10.18 with numbers at a step; mistakes(point, x, y): wrong BPTT
    loops to diagnose beyond the catalogue; forward_equations: the book's numbers for its forward pass and loss;
    doc: what the network is, its equations as the book numbers them (its module's docstring).
    """

    kind: str
    shapes: Shapes
    nodes: Mapping[str, str]
    equations: tuple[Equation, ...]
    bugs: Mapping[str, Bug]
    forward: Callable[..., Any]
    backward: Backward
    variants: tuple[str, ...] = ("book",)
    single_target: bool = False
    h0: bool = False
    layers: int | None = None
    deepen: Callable[[int], Network] | None = None
    own_layouts: bool = False
    walkthrough: bool = False
    mistakes: Mistakes | None = None
    forward_equations: str | None = None
    doc: str = ""

    def at(self, layers: int) -> Network:
        """The network at model.layers = layers (itself, for a network without a depth)."""
        return self.deepen(layers) if self.deepen is not None and layers != self.layers else self


def draw(shapes: Mapping[str, tuple[int, ...]], std: float, rng: np.random.Generator) -> dict[str, Array]:
    """Parameters ~ N(0, std²), drawn in the order of `shapes` (table order), so each draw is reproducible."""
    return {name: std * rng.standard_normal(shape) for name, shape in shapes.items()}


def one_hot(indices: NDArray[np.integer[Any]] | int, size: int) -> NDArray[np.float64]:
    """Rows e_i for each index: (*indices.shape, size), without building the size × size identity."""
    index = np.asarray(indices)
    rows: NDArray[np.float64] = np.zeros((*index.shape, size))
    np.put_along_axis(rows, index[..., np.newaxis], 1.0, axis=-1)
    return rows


def check_variant(variant: str, variants: tuple[str, ...]) -> None:
    """forward's and backward's guard: a variant the network offers."""
    if variant not in variants:
        raise ValueError(f"variant {variant!r} is not one of {', '.join(variants)}")


def single(node: NDArray[Any]) -> Array:
    """A node of the one clean copy, (τ, n), whether or not the Forward still carries the batch axis of B = 1."""
    return np.real(node.reshape(node.shape[-2:]))


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
