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

forward runs B copies of the network at once (DESIGN.md §7). params is Weights (below): the engine's Copies, the
parameters shared by every copy and at most one that differs per copy, or a plain {name: (B, *shape)}, every
parameter per copy (B = 1 for a single network). forward reads them only through vector (biases), mv (M v at one
step) and over_time (M x(t) for every t at once), so that a moved entry costs one product with the shared matrix
plus a rank-one correction, never a copy of the matrix.
offsets[node] (B, τ, n), if given, is added to that node where it is computed, so that a node's own gradient can be
differenced. Values keep numpy's broadcasting on the batch axis: a node no per-copy value has reached has a batch
axis of 1 (every h(t) of copies that differ only in V or c), the losses always have B rows. forward is complex-safe
(the complex step: no abs, no real-only comparisons on values; the complex dtype comes in with the shift or the
values). backward takes the parameters without the batch axis and the Forward of that single copy (B = 1), and
returns arrays without it. Fig. 10.3 (fig_10_3.py) keeps the book's own passes, rnn.forward and rnn.backward, which
its batched engine (engine/rnn.py) runs.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal, Protocol

import numpy as np
from numpy.typing import NDArray

from gradcheck.book.arrays import Array


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

    def node(self, name: str) -> Array:
        """A node of the one clean copy, (τ, n), real, whether or not the batch axis of B = 1 is still there (what
        backward reads)."""
        value = self.nodes[name]
        return np.real(value.reshape(value.shape[-2:]))


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

    @staticmethod
    def book(number: str) -> Equation:
        """A row of Fig. 10.3's table that other networks share word for word (same output layer, same tanh step)."""
        return ROWS[number]


ROWS = {  # Equation.book(number)
    "10.18": Equation("10.18", "(∇o(t)L)_i = ŷ_i(t) − 1[i = y(t)]", "o", "∇o(t)L"),
    "10.19": Equation("10.19", "∇h(τ)L = Vᵀ ∇o(τ)L", "h", "∇h(τ)L", times="last"),
    "10.22": Equation("10.22", "∇c L = Σ_t ∇o(t)L", "c", "c"),
    "10.23": Equation("10.23", "∇b L = Σ_t diag(1 − h(t)²) ∇h(t)L", "b", "b"),
    "10.24": Equation("10.24", "∇V L = Σ_t ∇o(t)L h(t)ᵀ", "V", "V"),
    "10.26": Equation("10.26", "∇W L = Σ_t diag(1 − h(t)²) ∇h(t)L h(t−1)ᵀ", "W", "W"),
    "10.28": Equation("10.28", "∇U L = Σ_t diag(1 − h(t)²) ∇h(t)L x(t)ᵀ", "U", "U"),
}


def gate_rows(number: str, gate: str, inputs: str, meaning: str) -> tuple[Equation, Equation, Equation]:
    """A gate's three rows, U·, W·, b·: its pre-activation's gradient ∇a·(t)L (`meaning`, how it is made) paired
    with the gate's input (`inputs`, x(t) or z(t)), with h(t−1) and with 1, each summed over t. gate "" is the cell's
    or candidate's own U, W, b."""
    a, U, W, b = f"a_{gate}" if gate else "a", f"U{gate}", f"W{gate}", f"b{gate}"
    return (
        Equation(f"{number} {U}", f"∇{U} L = Σ_t ∇{a}(t)L {inputs}ᵀ,  {meaning}", U, U),
        Equation(f"{number} {W}", f"∇{W} L = Σ_t ∇{a}(t)L h(t−1)ᵀ", W, W),
        Equation(f"{number} {b}", f"∇{b} L = Σ_t ∇{a}(t)L", b, b),
    )


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


def catalogue(*bugs: Bug) -> dict[str, Bug]:
    """A network's bugs by name, in the order given."""
    return {bug.name: bug for bug in bugs}


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


def sigmoid(a: NDArray[Any]) -> NDArray[Any]:
    """σ(a) = 1 / (1 + e^(−a)), written so that neither branch overflows for real a (complex-safe for small imag)."""
    result: NDArray[Any] = 0.5 * (1.0 + np.tanh(0.5 * a))
    return result


class Weights(Protocol):
    """What forward reads B copies of the parameters through (DESIGN.md §7), so that it reads as its equations:
    vector("b") is b, mv("W", h) is W h(t−1) at one step, over_time("U", x) is U x(t) for every t at once. The
    engine's Copies (engine/copies.py) share every parameter and move one entry per copy as a rank-one correction;
    Stacked (below) holds every parameter per copy. Values keep numpy's broadcasting on the batch axis."""

    @property
    def count(self) -> int:
        """B, the number of copies."""
        ...

    @property
    def names(self) -> Collection[str]:
        """Every parameter's name."""
        ...

    def vector(self, name: str) -> NDArray[Any]:
        """A bias for every copy: (m,) if shared, else (B, m)."""
        ...

    def mv(self, name: str, v: NDArray[Any]) -> NDArray[Any]:
        """M v for every copy of the matrix M = `name`: v (B or 1, n) -> (B or 1, m)."""
        ...

    def over_time(self, name: str, X: NDArray[Any]) -> NDArray[Any]:
        """M x(t) for every t and every copy: X (τ, n) data, or (B or 1, τ, n) -> (B or 1, τ, m)."""
        ...

    def full(self, values: NDArray[Any]) -> NDArray[Any]:
        """values (B or 1, …) as (B, …): what every copy has, whether or not it differs between copies."""
        ...


@dataclass(frozen=True)
class Stacked:
    """B copies whose every parameter is given per copy: {name: (B, *shape)} (B = 1 for a single network)."""

    values: Mapping[str, NDArray[Any]]

    @property
    def count(self) -> int:
        return len(next(iter(self.values.values())))

    @property
    def names(self) -> Collection[str]:
        return self.values.keys()

    def vector(self, name: str) -> NDArray[Any]:
        return self.values[name]

    def mv(self, name: str, v: NDArray[Any]) -> NDArray[Any]:
        product: NDArray[Any] = (self.values[name] @ v[..., np.newaxis])[..., 0]
        return product

    def over_time(self, name: str, X: NDArray[Any]) -> NDArray[Any]:
        product: NDArray[Any] = X @ np.swapaxes(self.values[name], -1, -2)
        return product

    def full(self, values: NDArray[Any]) -> NDArray[Any]:
        return np.broadcast_to(values, (self.count, *values.shape[1:]))


def in_time(steps: Sequence[NDArray[Any]]) -> NDArray[Any]:
    """A node's values at t = 1..τ, each (B or 1, n), as one array (B or 1, τ, n)."""
    stacked: NDArray[Any] = np.stack(np.broadcast_arrays(*steps), axis=1)
    return stacked
