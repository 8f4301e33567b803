"""The tanh RNN of Fig. 10.3 as a network record: rnn.py's forward and BPTT, its equation table, bugs.py's catalogue
and mistakes.py's BPTT loops written wrong. Its passes are the book's own (rnn.forward: Params, x, y -> Trace;
rnn.backward: Params, Trace -> Grads), which its batched engine (engine/rnn.py) runs."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import numpy as np
from numpy.typing import NDArray

from gradcheck.book import mistakes, rnn
from gradcheck.book.bugs import BUGS
from gradcheck.book.network import Equation, Network
from gradcheck.book.rnn import Array, Params

EQUATIONS = (
    Equation.book("10.18"),
    Equation.book("10.19"),
    Equation("10.21", "∇h(t)L = Wᵀ diag(1 − h(t+1)²) ∇h(t+1)L + Vᵀ ∇o(t)L, t < τ", "h", "∇h(t)L", times="earlier"),
    Equation.book("10.22"),
    Equation.book("10.23"),
    Equation.book("10.24"),
    Equation.book("10.26"),
    Equation.book("10.28"),
    Equation("h(0)", "∇h(0)L = Wᵀ diag(1 − h(1)²) ∇h(1)L", "h0", "h0"),
)
NODES = {"o": "the output o(t) = c + V h(t), before the softmax", "h": "the hidden state h(t)"}


def param_shapes(I: int, H: int, O: int) -> dict[str, tuple[int, ...]]:
    """U (H, I), W (H, H), V (O, H), b (H,), c (O,), h0 (H,): the book's order."""
    return {"U": (H, I), "W": (H, H), "V": (O, H), "b": (H,), "c": (O,), "h0": (H,)}


def _mistakes(point: Mapping[str, Array], x: Array, y: NDArray[np.int64]) -> Iterator[mistakes.Mistake]:
    params = Params(**point)
    return mistakes.bptt_mistakes(params, rnn.forward(params, x, y))


NETWORK = Network(
    "fig-10.3",
    param_shapes,
    NODES,
    EQUATIONS,
    BUGS,
    rnn.forward,
    rnn.backward,
    h0=True,
    own_layouts=True,
    walkthrough=True,
    mistakes=_mistakes,
    forward_equations="10.8–10.14",
    doc=rnn.__doc__ or "",
)
