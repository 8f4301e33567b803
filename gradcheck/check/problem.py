"""Build the network and its data from a Config: the same config always builds the same problem, bit for bit."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from gradcheck.book import kinds, rnn
from gradcheck.book.bugs import Bug
from gradcheck.book.kinds import FIG_10_3
from gradcheck.book.network import NetBug, one_hot
from gradcheck.book.rnn import Array, Params, init_params
from gradcheck.check.config import Config, H0Mode, Inputs
from gradcheck.engine.model import Model
from gradcheck.engine.network import NetworkModel
from gradcheck.engine.rnn import TanhRNN


@dataclass(frozen=True)
class Problem:
    """Parameters and data of one check.

    x: (τ, I) inputs, y: (τ,) int64 targets, tokens: (τ,) int64 input tokens (None for gaussian inputs),
    sample_seed: the seed of the stream that picks sampled entries.
    """

    config: Config
    params: Params | dict[str, Array]  # Fig. 10.3's Params, or another network's {name: array}
    x: Array
    y: NDArray[np.int64]
    tokens: NDArray[np.int64] | None
    sample_seed: np.random.SeedSequence

    @property
    def book_params(self) -> Params:
        """The parameters of Fig. 10.3 (what user code, the diagnosis and `explain` work on)."""
        assert isinstance(self.params, Params), "only model.kind = fig-10.3 has the book's Params"
        return self.params

    @property
    def point(self) -> dict[str, Array]:
        """Every parameter by name, whatever the network (what user code is called with)."""
        return dict(self.params)

    def at(self, point: dict[str, Array]) -> Problem:
        """The same problem at other parameter values (same names and shapes)."""
        params = Params(**point) if isinstance(self.params, Params) else dict(point)
        return replace(self, params=params)

    def step_losses(self) -> Array:
        """The per-term losses L(t) at the point, which sum to L (one term for a single output)."""
        model = self.model()
        if isinstance(model, TanhRNN):
            return model.trace.losses
        assert isinstance(model, NetworkModel)
        losses: Array = np.real(model.clean.losses[0])
        return losses

    def model(self, bug: Bug | NetBug | None = None) -> Model:
        """The network at these parameters and data, its backward pass the book's (BPTT) or the bug's."""
        m = self.config.model
        if m.kind == FIG_10_3:
            assert bug is None or isinstance(bug, Bug)
            learned = m.h0 is H0Mode.LEARNED
            return TanhRNN(self.book_params, self.x, self.y, bug.backward if bug else rnn.backward, learned_h0=learned)
        assert bug is None or isinstance(bug, NetBug)
        point = dict(self.params)
        options = kinds.options(m.kind, m.variant)
        return NetworkModel(kinds.network(m.kind), point, self.x, self.y, options, bug.backward if bug else None, m.layers)

    def book_model(self) -> TanhRNN:
        """Fig. 10.3's model with the book's backward pass."""
        model = self.model()
        assert isinstance(model, TanhRNN)
        return model


def build(config: Config) -> Problem:
    """Draw parameters and data from independent streams of data.seed."""
    I, H, O, tau = config.sizes
    param_seed, data_seed, sample_seed = np.random.SeedSequence(config.data.seed).spawn(3)
    params: Params | dict[str, Array]
    if config.model.kind == FIG_10_3:
        params = init_params(I, H, O, config.init_std, np.random.default_rng(param_seed), config.model.h0.value)
    else:
        rng_params = np.random.default_rng(param_seed)
        shapes = kinds.param_shapes(config.model.kind, I, H, O, config.model.layers)
        params = {name: config.init_std * rng_params.standard_normal(shape) for name, shape in shapes.items()}
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
    if config.model.kind == "fig-10.5":
        y = y[-1:]  # one output at τ, one target
    return Problem(config, params, x, y, tokens, sample_seed)


def _ints(given: list[int] | None, rng: np.random.Generator, bound: int, n: int) -> NDArray[np.int64]:
    """The explicit sequence, or n draws from 0..bound-1 (drawn either way, so the stream never shifts)."""
    drawn = rng.integers(0, bound, size=n, dtype=np.int64)
    return np.array(given, dtype=np.int64) if given is not None else drawn
