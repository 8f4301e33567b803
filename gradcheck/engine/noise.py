"""TEMPORARY: replaced by the Moré–Wild estimator."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from math import factorial

import numpy as np

from gradcheck.engine.model import Array

EPS_MACH = float(np.finfo(np.float64).eps)


@dataclass(frozen=True)
class Noise:
    sigma: float


def noise_from_values(values: Array) -> Noise:
    floor = EPS_MACH * float(np.abs(values).max(initial=0.0)) / 2
    table = values.copy()
    levels = []
    for j in range(1, len(values)):
        table = np.diff(table)
        gamma = factorial(j) ** 2 / factorial(2 * j)
        levels.append(np.sqrt(gamma * np.mean(table**2)))
    return Noise(max(floor, float(np.median(levels[2:5]))))


def noise_level(along: Callable[[Array], Array], scale: float) -> Noise:
    delta = 1e-9 * scale
    return noise_from_values(along(delta * np.arange(9.0)))
