"""The book layout: `backward(<the parameters by name>, x, y)` → {name: gradient}, for every network of chapter 10."""

from __future__ import annotations

from collections.abc import Mapping
from types import ModuleType
from typing import Any

import numpy as np
from numpy.typing import NDArray

from gradcheck.errors import UserCodeError
from gradcheck.user.layouts.base import Arrays, Layout, copies, kind_of


class Book(Layout):
    """`backward(<the parameters by name>, x, y)` → {name: gradient} (keys as the parameters, or with a d in front;
    optional node rows such as o and h); `forward(same arguments)` → L. For Fig. 10.3 the parameters are U, W, V,
    b, c, h0; for another network of chapter 10, its own (DESIGN.md §8)."""

    name = "book"

    def __init__(
        self, module: ModuleType, backward: str, forward: str | None, nodes: Mapping[str, list[int]] | None = None
    ) -> None:
        super().__init__(module, backward, forward)
        self.nodes = {name: tuple(shape) for name, shape in (nodes or {}).items()}

    def _call(self, function: str, params: Arrays, x: NDArray[Any], y: NDArray[Any]) -> Any:
        self._set_sizes(len(x))
        return self._function(function)(**copies(params), x=np.array(x), y=np.array(y))

    def _signature(self, function: str, params: Arrays) -> str:
        return f"{function}({', '.join(params)}, x, y)"

    def gradients(self, params: Arrays, x: NDArray[Any], y: NDArray[Any]) -> Arrays:
        got = self._call(self.backward_name, params, x, y)
        what = self._signature(self.backward_name, params)
        names = ", ".join(params)
        if not isinstance(got, Mapping):
            raise UserCodeError(f"{self.file}: {what} returned {kind_of(got)}; expected a dict of gradients by name: {names}")
        nodes = self.nodes or {"o": (len(x), len(params["c"])), "h": (len(x), len(params["b"]))}
        shapes = {name: value.shape for name, value in params.items()} | nodes
        named = {str(key).removeprefix("d") if str(key).removeprefix("d") in shapes else str(key): v for key, v in got.items()}
        unknown = sorted(set(named) - set(shapes))
        if unknown:
            optional = f" (optional {', '.join(nodes)})" if nodes else ""
            raise UserCodeError(f"{self.file}: {what} returned unknown names {', '.join(unknown)}; expected {names}{optional}")
        missing = [name for name in params if name not in named and name != "h0"]  # h0: only when learned (parent checks)
        if missing:
            raise UserCodeError(f"{self.file}: {what} returned no gradient for {', '.join(missing)}")
        return {
            name: self._array(value, f"the gradient {name} from {self.backward_name}", shapes[name])
            for name, value in named.items()
        }

    def loss(self, params: Arrays, x: NDArray[Any], y: NDArray[Any]) -> float | complex:
        assert self.forward_name is not None
        return self._loss(self._call(self.forward_name, params, x, y), self._signature(self.forward_name, params))
