"""Confirming failures: the second estimate made on demand, each entry's verdict, and why any is undecided."""

from __future__ import annotations

import numpy as np

from gradcheck.check.sections import CheckConfig
from gradcheck.engine.batching import direction_losses, entry_losses
from gradcheck.engine.directions import Directions
from gradcheck.engine.methods import RULES, SWEEP_TITLE, Estimate, Method, estimate, step_sweep
from gradcheck.engine.model import Array, Index, Model

ADVICE = 'lower model.init_std (or leave it "auto") or data.length'


class SecondOpinion:
    """The independent second estimate of chosen entries: the complex step, or a Richardson step sweep when the
    first estimate was the complex step. Estimates are remembered per entry, so checks of several backward
    passes against one set of estimates (`gradcheck bugs`) pay for each entry once."""

    def __init__(
        self,
        model: Model,
        check: CheckConfig,
        directions: dict[str, Directions],
        noise: dict[str, float],
        complex_safe: bool = True,
    ) -> None:
        """complex_safe: whether the forward pass carries complex numbers through (the book's does; a user's may not)."""
        self.model, self.check, self.noise = model, check, noise
        self.sweep = check.method is Method.COMPLEX_STEP or not complex_safe
        self.title = SWEEP_TITLE if self.sweep else RULES[Method.COMPLEX_STEP].title
        self.entries = entry_losses(model, check.memory_bytes, complex_step=not self.sweep)
        self.along = direction_losses(model, directions)
        self.directions = directions
        self.known: dict[str, dict[int, tuple[float, float]]] = {}

    def __call__(self, name: str, index: Index) -> tuple[Array, Array]:
        """The second estimate at the flat entries (or directions) `index` of `name`, and its bound."""
        known = self.known.setdefault(name, {})
        missing = np.array([k for k in index if int(k) not in known], dtype=np.intp)
        if len(missing):
            found = self._estimate(name, missing)
            assert found.bound is not None
            known.update(zip(missing.tolist(), zip(found.values.tolist(), found.bound.tolist(), strict=True), strict=True))
        values, bounds = zip(*(known[int(k)] for k in index), strict=True)
        return np.array(values), np.array(bounds)

    def _estimate(self, name: str, index: Index) -> Estimate:
        directional = name in self.directions
        losses = self.along if directional else self.entries
        theta = np.zeros(len(self.directions[name])) if directional else (self.model.params | self.model.nodes)[name]
        noise = self.noise.get(name, 0.0)
        if self.sweep:
            return step_sweep(losses, name, theta, index, noise)
        return estimate(losses, name, theta, index, Method.COMPLEX_STEP, "auto", with_bound=True, noise=noise)
