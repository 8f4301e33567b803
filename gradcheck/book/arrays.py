"""The array types the passes of every network take and return (float64, complex under the complex step)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]
Index = NDArray[np.intp]  # flat entry indices
Params = Mapping[str, NDArray[Any]]  # {name: value}, every parameter by name
Data = NDArray[Any]  # x: (τ, I)
Targets = NDArray[np.int64]  # y: (τ,), or (1,) for a single output
Offsets = dict[str, NDArray[Any]] | None  # {node: (B, τ, n)} added where the node is made
Gradients = dict[str, Array]  # what backward returns: ∇L by parameter and node name
