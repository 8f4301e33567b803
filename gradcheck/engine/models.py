"""A network record at one point as a Model: Fig. 10.3's own passes on their batched engine (engine/rnn.py), every
other network on the engine of book/network.py's interface (engine/network.py)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from gradcheck.book import rnn
from gradcheck.book.network import Backward, Network
from gradcheck.book.rnn import Array, Params
from gradcheck.engine.model import Model
from gradcheck.engine.network import NetworkModel
from gradcheck.engine.rnn import TanhRNN


def model_of(
    network: Network,
    point: dict[str, Array],
    x: Array,
    y: NDArray[np.int64],
    variant: str = "book",
    backward: Backward | None = None,
    learned_h0: bool = False,
) -> Model:
    """The network at `point` on data x, y, its backward pass the network's or `backward` (a bug's); learned_h0:
    h(0) is a parameter that is checked (for a network with an h(0))."""
    if rank_one(network):
        return TanhRNN(Params(**point), x, y, backward or network.backward, learned_h0, network.equations)
    return NetworkModel(network, point, x, y, variant, backward)


def rank_one(network: Network) -> bool:
    """Whether the network runs on Fig. 10.3's engine: the book's own tanh RNN (rnn.forward), whose perturbed copies
    are rank-one corrections step by step (engine/rnn.py)."""
    return network.forward is rnn.forward
