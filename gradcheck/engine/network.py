"""Any chapter-10 network of the book layer (book/network.py's interface) as a Model: its batched forward pass
perturbed entry by entry, direction by direction or node by node, and its backward pass (or a bug's) under test.

A perturbed copy is a whole forward pass here (no rank-1 shortcut as for Fig. 10.3), B copies at once along the
module's batch axis. Forward passes only: the numerical side never calls the backward pass it checks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import numpy as np
from numpy.typing import NDArray

from gradcheck.book.network import Backward, Forward
from gradcheck.engine.directions import Directions
from gradcheck.engine.methods import EPS_MACH
from gradcheck.engine.model import Array, Equation, Index

TEMPORARIES = 8  # arrays of a forward step alive at once per copy, for the memory estimate


@dataclass(frozen=True)
class NetworkModel:
    """A book-layer network module at one point: params {name: array}, data x (τ, I) and y, its options
    (variant, kind, layers), and the backward pass under test (the module's, or a bug's)."""

    net: ModuleType
    point: dict[str, Array]
    x: Array
    y: NDArray[np.int64]
    options: dict[str, Any]
    backward: Backward | None = None
    layers: int = 1  # model.layers, for a network whose nodes and equations depend on it (deep)

    clean: Forward = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "clean", self._forward({name: value[np.newaxis] for name, value in self.point.items()}))

    def _forward(self, params: dict[str, NDArray[Any]], offsets: dict[str, NDArray[Any]] | None = None) -> Forward:
        result: Forward = self.net.forward(params, self.x, self.y, offsets, **self.options)
        return result

    @property
    def params(self) -> dict[str, Array]:
        return self.point

    @property
    def node_names(self) -> tuple[str, ...]:
        found = self.net.nodes(self.layers) if callable(getattr(self.net, "nodes", None)) else self.net.NODES
        return tuple(found)

    @property
    def nodes(self) -> dict[str, Array]:
        return {name: self.clean.nodes[name][0] for name in self.node_names}

    @property
    def equations(self) -> tuple[Equation, ...]:
        rows = self.net.equations(self.layers) if callable(getattr(self.net, "equations", None)) else self.net.EQUATIONS
        return tuple(Equation(e.number, e.formula, e.target, e.gradient, e.times) for e in rows)

    @property
    def loss(self) -> float:
        return float(np.real(self.clean.loss[0]))

    def _single(self) -> Forward:
        return Forward(self.clean.losses[0], {name: value[0] for name, value in self.clean.nodes.items()})

    def gradients(self) -> dict[str, Array]:
        backward = self.backward or self.net.backward
        grads: dict[str, Array] = backward(self.point, self.x, self.y, self._single(), **self.options)
        return grads

    def rounding(self) -> dict[str, Array]:
        """A bound on each gradient entry's own rounding: (τ + sizes)·ε times the largest entry of its array — the
        error of sums of that many terms of that size (no cancellation analysis, unlike Fig. 10.3's)."""
        grads = self.gradients()
        terms = len(self.x) + sum(value.shape[-1] for value in self.point.values())
        return {name: np.full(g.shape, terms * EPS_MACH * float(np.abs(g).max(initial=0.0))) for name, g in grads.items()}

    def _copies(self, count: int, dtype: Any) -> dict[str, NDArray[Any]]:
        return {name: np.broadcast_to(value, (count, *value.shape)).astype(dtype) for name, value in self.point.items()}

    def perturbed_losses(self, name: str, index: Index, shift: NDArray[Any]) -> NDArray[Any]:
        dtype = np.result_type(shift, np.float64)
        copies = self._copies(len(index), dtype)
        rows = np.arange(len(index))
        if name in self.point:
            flat = copies[name].reshape(len(index), -1)
            flat[rows, index] += shift
            return self._forward(copies).losses
        node = self.clean.nodes[name][0]
        offsets = np.zeros((len(index), node.size), dtype=dtype)
        offsets[rows, index] = shift
        return self._forward(copies, {name: offsets.reshape(len(index), *node.shape)}).losses

    def directional_losses(self, name: str, directions: Directions, k: Index, shift: NDArray[Any]) -> NDArray[Any]:
        copies = self._copies(len(k), np.result_type(shift, np.float64))
        copies[name] = copies[name] + shift.reshape(-1, *([1] * len(directions.shape))) * directions.array(k)
        return self._forward(copies).losses

    def row_bytes(self, name: str, complex_step: bool) -> int:
        width = 16 if complex_step else 8
        params = sum(int(value.size) for value in self.point.values())
        nodes = sum(int(value[0].size) for value in self.clean.nodes.values())
        return width * (params + TEMPORARIES * nodes)

    def first_nonfinite(self) -> tuple[int, str] | None:
        if np.isfinite(self.loss):
            return None
        for t in range(len(self.x)):
            for name, values in self.clean.nodes.items():
                if t < values.shape[1] and not np.isfinite(values[0, t]).all():
                    return t + 1, f"{name}(t)"
        return len(self.x), "L"

    def arrays(self) -> dict[str, NDArray[Any]]:
        """The export: parameters, data, loss, gradients, the intermediate nodes and their gradients."""
        grads = self.gradients()
        arrays: dict[str, NDArray[Any]] = dict(self.point)
        arrays |= {"x": self.x, "y": self.y.astype(np.int64), "loss": np.asarray(self.loss)}
        arrays |= {f"grad_{name}": grads[name] for name in self.point}
        arrays |= {name: value for name, value in self.nodes.items()} | {f"grad_{name}": grads[name] for name in self.node_names}
        return arrays
