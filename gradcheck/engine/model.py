"""The Model interface: what a network gives the engine, so that a new network is a new file.

The engine never names a network. It asks a Model for the point it is checked at (parameters and
intermediate nodes), the analytic gradients its backward pass computes, and batches of perturbed forward
passes, returned as per-term losses (the L(t), which sum to L): differencing term by term loses less to
cancellation than differencing the sum.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple, Protocol, runtime_checkable

from numpy.typing import NDArray

from gradcheck.book.arrays import Array as Array
from gradcheck.book.arrays import Index as Index
from gradcheck.book.network import Equation
from gradcheck.engine.directions import Directions

# (name, flat entry index (B,), shift (B,)) -> per-term losses (B, T) whose row sums are L(θ + shift·e_index).
# A complex shift must give complex losses (the forward pass is complex-safe).
BatchLosses = Callable[[str, Index, NDArray[Any]], NDArray[Any]]


class Move(NamedTuple):
    """Copies of a network with parameter `name` moved along directions: copy r by shift[r]·D_k[r]."""

    name: str
    D: Directions
    k: Index
    shift: NDArray[Any]


class Model(Protocol):
    """A network at one point: its values, its analytic gradients and its perturbed forward passes.

    Parameters are what the check compares row by row; nodes are intermediate values (τ, n) whose own
    gradients the equations define (∇o(t)L, ∇h(t)L for Fig. 10.3).
    """

    @property
    def params(self) -> dict[str, Array]:
        """Every parameter's value, in the order tables list them."""
        ...

    @property
    def nodes(self) -> dict[str, Array]:
        """Every intermediate node's value: (τ, n) each, row t − 1 for time t."""
        ...

    @property
    def equations(self) -> tuple[Equation, ...]:
        """The book's equations for this network, each with the parameter or node it defines."""
        ...

    @property
    def loss(self) -> float:
        """L at the point (the unperturbed forward pass)."""
        ...

    @property
    def step_losses(self) -> Array:
        """The per-term losses L(t) at the point, which sum to L (one term for a single output)."""
        ...

    @property
    def values(self) -> dict[str, Array]:
        """What the forward pass makes at each step, in the order it makes them (a(t), h(t), o(t), L(t) for Fig.
        10.3): (τ, n) each, row t − 1 for time t."""
        ...

    def gradients(self) -> dict[str, Array]:
        """The backward pass under test: ∇L for every parameter and node, by name."""
        ...

    def rounding(self) -> dict[str, Array]:
        """A bound on the backward pass's own rounding error per entry, by name (zeros where it is negligible)."""
        ...

    def perturbed_losses(self, name: str, index: Index, shift: NDArray[Any]) -> NDArray[Any]:
        """Per-term losses (B, T) of B copies, copy k with entry index[k] of `name` moved by shift[k]."""
        ...

    def directional_losses(self, name: str, directions: Directions, k: Index, shift: NDArray[Any]) -> NDArray[Any]:
        """Per-term losses (R, T) of R copies, copy r with parameter `name` moved by shift[r]·D_k[r] (dense or rank
        one: engine/directions.py)."""
        ...

    def row_bytes(self, name: str, complex_step: bool) -> int:
        """Working memory of one perturbed copy of `name`, temporaries included (an estimate)."""
        ...


@runtime_checkable
class Mixes(Protocol):
    """A Model that can run copies of several parameters, each moved along its own directions, in one batch."""

    def mixed_directional_losses(self, moves: Sequence[Move]) -> NDArray[Any]:
        """Per-term losses of the copies of every move, in order: (Σ R, T)."""
        ...
