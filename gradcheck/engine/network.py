"""Any chapter-10 network of the book layer (book/network.py's interface) as a Model: its batched forward pass
perturbed entry by entry, direction by direction or node by node, and its backward pass (or a bug's) under test.

B perturbed copies run as one forward pass of the network (engine/copies.py's Copies): they share every parameter's
value, and a moved entry is a rank-one correction to the shared products, as for Fig. 10.3 (DESIGN.md §7). An entry
that meets only data that is 0 at every step (column j of U for a token that never occurs) changes nothing: its copies
are the clean run, not recomputed. Forward passes only: the numerical side never calls the backward pass it checks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from gradcheck.book.network import Backward, Equation, Forward, Network
from gradcheck.engine.copies import Copies
from gradcheck.engine.directions import Directions
from gradcheck.engine.methods import EPS_MACH
from gradcheck.engine.model import Array, Index

TEMPORARIES = 8  # arrays of a forward step alive at once per copy, for the memory estimate


@dataclass(frozen=True)
class _Reading(Copies):
    """The parameters at the point (one copy), noting what every parameter meets in the forward pass: the data X
    (τ, n) a matrix is applied to by over_time, or None where it meets anything else (a state, or as a bias)."""

    met: dict[str, list[NDArray[Any] | None]] = field(default_factory=dict)

    def vector(self, name: str) -> NDArray[Any]:
        self.met.setdefault(name, []).append(None)
        return super().vector(name)

    def mv(self, name: str, v: NDArray[Any]) -> NDArray[Any]:
        self.met.setdefault(name, []).append(None)
        return super().mv(name, v)

    def over_time(self, name: str, X: NDArray[Any]) -> NDArray[Any]:
        self.met.setdefault(name, []).append(X if X.ndim == 2 else None)
        return super().over_time(name, X)

    def idle(self) -> dict[str, NDArray[np.bool_]]:
        """{name: flat mask of its entries that change nothing}, for every matrix that meets only data: entry (i, j)
        when column j of that data is 0 at every step."""
        found = {}
        for name, met in self.met.items():
            if all(X is not None for X in met):
                zero = np.logical_and.reduce([(X == 0).all(axis=0) for X in met if X is not None])
                found[name] = np.broadcast_to(zero, self.shared[name].shape).reshape(-1)
        return found


@dataclass(frozen=True)
class NetworkModel:
    """A network of the book layer at one point: params {name: array}, data x (τ, I) and y, its variant, and the
    backward pass under test (the network's, or a bug's)."""

    network: Network
    point: dict[str, Array]
    x: Array
    y: NDArray[np.int64]
    variant: str = "book"
    backward: Backward | None = None

    clean: Forward = field(init=False, repr=False)
    idle: dict[str, NDArray[np.bool_]] = field(init=False, repr=False)  # {name: flat mask of entries that reach nothing}

    def __post_init__(self) -> None:
        reading = _Reading(self.point)
        object.__setattr__(self, "clean", self._forward(reading))
        object.__setattr__(self, "idle", reading.idle())

    def _forward(self, params: Copies, offsets: dict[str, NDArray[Any]] | None = None) -> Forward:
        result: Forward = self.network.forward(params, self.x, self.y, offsets, variant=self.variant)
        return result

    @property
    def params(self) -> dict[str, Array]:
        return self.point

    @property
    def node_names(self) -> tuple[str, ...]:
        return tuple(self.network.nodes)

    @property
    def nodes(self) -> dict[str, Array]:
        return {name: self.clean.nodes[name][0] for name in self.node_names}

    @property
    def equations(self) -> tuple[Equation, ...]:
        return self.network.equations

    @property
    def loss(self) -> float:
        return float(np.real(self.clean.loss[0]))

    @property
    def values(self) -> dict[str, Array]:
        """The nodes in the order the forward pass makes them (a network lists them output first, as BPTT meets
        them), then L(t): those with a row at every step (a single output's o and L are made at τ only)."""
        made = dict(reversed(self.nodes.items())) | {"L": self.step_losses[:, np.newaxis]}
        return {name: value for name, value in made.items() if len(value) == len(self.x)}

    @property
    def step_losses(self) -> Array:
        losses: Array = self.clean.losses[0]  # complex only at a complex point
        return losses

    def _single(self) -> Forward:
        return Forward(self.clean.losses[0], {name: value[0] for name, value in self.clean.nodes.items()})

    def gradients(self) -> dict[str, Array]:
        backward = self.backward or self.network.backward
        grads: dict[str, Array] = backward(self.point, self.x, self.y, self._single(), variant=self.variant)
        return grads

    def rounding(self) -> dict[str, Array]:
        """A bound on each gradient entry's own rounding: (τ + sizes)·ε times the largest entry of its array — the
        error of sums of that many terms of that size (no cancellation analysis, unlike Fig. 10.3's)."""
        grads = self.gradients()
        terms = len(self.x) + sum(value.shape[-1] for value in self.point.values())
        return {name: np.full(g.shape, terms * EPS_MACH * float(np.abs(g).max(initial=0.0))) for name, g in grads.items()}

    def perturbed_losses(self, name: str, index: Index, shift: NDArray[Any]) -> NDArray[Any]:
        if name not in self.point:
            node = self.clean.nodes[name][0]
            offsets = np.zeros((len(index), node.size), dtype=np.result_type(shift, np.float64))
            offsets[np.arange(len(index)), index] = shift
            return self._forward(Copies(self.point, len(index)), {name: offsets.reshape(len(index), *node.shape)}).losses
        live = ~self.idle[name][index] if name in self.idle else np.ones(len(index), dtype=bool)
        if live.all():
            return self._forward(Copies.entries(self.point, name, index, shift)).losses
        losses = np.repeat(self.clean.losses, len(index), axis=0).astype(np.result_type(shift, self.clean.losses))
        if live.any():
            losses[live] = self._forward(Copies.entries(self.point, name, index[live], shift[live])).losses
        return losses

    def directional_losses(self, name: str, directions: Directions, k: Index, shift: NDArray[Any]) -> NDArray[Any]:
        moved = self.point[name] + shift.reshape(-1, *([1] * len(directions.shape))) * directions.array(k)
        return self._forward(Copies(self.point, len(k), dense={name: moved})).losses

    def row_bytes(self, name: str, complex_step: bool) -> int:
        """A copy holds its nodes at every step, one step's temporaries and, for a node, its offsets; copies of
        entries that reach nothing cost nothing, so a parameter's copies cost that times the share of the others."""
        width = 16 if complex_step else 8
        nodes = self.clean.nodes
        held = sum(int(value[0].size) for value in nodes.values()) + (int(nodes[name][0].size) if name in nodes else 0)
        live = 1.0 - float(self.idle[name].mean()) if name in self.idle else 1.0
        return max(1, int(live * width * (held + TEMPORARIES * sum(int(value.shape[-1]) for value in nodes.values()))))
