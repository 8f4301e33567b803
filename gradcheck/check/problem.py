"""Build the network and its data from a Config: the same config always builds the same problem, bit for bit."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from gradcheck.book.arrays import Array
from gradcheck.book.network import Bug, draw, one_hot
from gradcheck.check.config import Config
from gradcheck.check.sections import H0Mode, Inputs
from gradcheck.engine.model import Model
from gradcheck.engine.models import model_of


@dataclass(frozen=True)
class Problem:
    """Parameters and data of one check.

    params: every parameter by name, in table order; x: (τ, I) inputs, y: (τ,) int64 targets (one, at τ, for a
    single output); tokens: (τ,) int64 input tokens (None for gaussian inputs), sample_seed: the seed of the stream
    that picks sampled entries.
    """

    config: Config
    params: dict[str, Array]
    x: Array
    y: NDArray[np.int64]
    tokens: NDArray[np.int64] | None
    sample_seed: np.random.SeedSequence

    @property
    def point(self) -> dict[str, Array]:
        """Every parameter by name (what user code is called with)."""
        return dict(self.params)

    def at(self, point: dict[str, Array]) -> Problem:
        """The same problem at other parameter values (same names and shapes)."""
        return replace(self, params=dict(point))

    def step_losses(self) -> Array:
        """The per-term losses L(t) at the point, which sum to L (one term for a single output)."""
        return self.model().step_losses

    def model(self, bug: Bug | None = None) -> Model:
        """The network at these parameters and data, its backward pass the book's (BPTT) or the bug's."""
        m = self.config.model
        backward = bug.backward if bug else None
        return model_of(self.config.network, self.point, self.x, self.y, m.variant, backward, m.h0 is H0Mode.LEARNED)


def build(config: Config) -> Problem:
    """Draw parameters and data from independent streams of data.seed: the parameters ~ N(0, init_std²) in table
    order, each drawn whatever the mode (an h(0) of zeros is drawn, then zeroed, so the mode never shifts a draw)."""
    I, H, O, tau = config.sizes
    param_seed, data_seed, sample_seed = np.random.SeedSequence(config.data.seed).spawn(3)
    shapes = config.network.shapes(I, H, O)
    params = draw(shapes, config.init_std, np.random.default_rng(param_seed))
    if "h0" in params and config.model.h0 is H0Mode.ZEROS:
        params["h0"] = np.zeros(shapes["h0"])
    rng = np.random.default_rng(data_seed)
    d = config.data
    tokens: NDArray[np.int64] | None
    if config.vocabulary is not None and d.text is not None:
        codes = np.array([config.vocabulary.index(ch) for ch in d.text], dtype=np.int64)
        tokens, y = codes[:-1], codes[1:]
    else:
        tokens = None if d.inputs is Inputs.GAUSSIAN else _ints(d.tokens, rng, I, tau)
        y = _ints(d.targets, rng, O, tau)
    x = one_hot(tokens, I) if tokens is not None else rng.standard_normal((tau, I))
    if config.network.single_target:
        y = y[-1:]  # one output at τ, one target
    return Problem(config, params, x, y, tokens, sample_seed)


def _ints(given: list[int] | None, rng: np.random.Generator, bound: int, n: int) -> NDArray[np.int64]:
    """The explicit sequence, or n draws from 0..bound-1 (drawn either way, so the stream never shifts)."""
    drawn = rng.integers(0, bound, size=n, dtype=np.int64)
    return np.array(given, dtype=np.int64) if given is not None else drawn
