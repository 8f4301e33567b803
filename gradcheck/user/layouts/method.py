"""The class layout (WildML's RNNNumpy): an object holding U, V, W, built by its own constructor, and its `bptt(x, y)`."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from gradcheck.errors import UserCodeError
from gradcheck.user.layouts.base import Arrays, Layout, construct, kind_of


class Method(Layout):
    """A class holding U, V, W (and b, c if it has them) with a method `bptt(x, y)` → its gradients, as WildML's
    RNNNumpy: built by its own constructor at the problem's sizes, its weights then set; x, y token lists."""

    name = "class"
    WEIGHTS = ("U", "W", "V", "b", "c")
    returns: list[str] = []  # noqa: RUF012 - set at bind from the method's return statement

    def _function(self, name: str) -> Callable[..., Any]:
        owner, _, method = name.partition(".")
        found = getattr(getattr(self.module, owner, None), method, None)
        if not callable(found):
            raise UserCodeError(f"{self.file}: has no class {owner} with a method {method} (the class layout calls it)")
        return found  # type: ignore[no-any-return]

    def build(self) -> Any:
        """An object of the class, made by its constructor with the problem's sizes for the size parameters."""
        return construct(getattr(self.module, self.backward_name.partition(".")[0]), self.sizes, self.module)

    def absent(self) -> list[str]:
        """The book's parameters an object of the class does not hold (held at zero, not checked)."""
        made = self.build()
        return [name for name in self.WEIGHTS if not isinstance(getattr(made, name, None), np.ndarray)]

    def _object(self, params: Arrays) -> Any:
        made = self.build()
        for name in self.WEIGHTS:
            if isinstance(getattr(made, name, None), np.ndarray):
                setattr(made, name, np.array(params[name]))
        return made

    def gradients(self, params: Arrays, x: NDArray[Any], y: NDArray[Any]) -> Arrays:
        made = self._object(params)
        method = getattr(made, self.backward_name.partition(".")[2])
        got = method([int(i) for i in np.argmax(np.real(x), axis=1)], [int(t) for t in y])
        held = [name for name in self.WEIGHTS if isinstance(getattr(made, name, None), np.ndarray)]
        what = f"{self.backward_name}(x, y)"
        if not isinstance(got, (tuple, list)) or len(got) != len(held):
            count = f"{len(got)} values" if isinstance(got, (tuple, list)) else kind_of(got)
            raise UserCodeError(
                f"{self.file}: {what} returned {count}; expected a gradient for each weight the object holds ({', '.join(held)})"
            )
        names = self.returns if sorted(self.returns) == sorted(held) else self._by_shape(got, held, params, what)
        grads = {name: self._array(value, f"d{name} from {what}", params[name].shape) for name, value in zip(names, got)}
        return grads | {name: np.zeros_like(params[name]) for name in self.WEIGHTS if name not in grads}

    @staticmethod
    def _by_shape(got: list[Any] | tuple[Any, ...], held: list[str], params: Arrays, what: str) -> list[str]:
        """Which weight each returned gradient is, told by its shape (U: H×I, V: O×H, W: H×H) when the return statement
        does not name them; in WildML's order (dLdU, dLdV, dLdW) when two weights have one shape."""
        shapes = {params[name].shape: name for name in held}
        returned = [getattr(value, "shape", None) for value in got]
        if len(shapes) < len(held) or sorted(map(str, returned)) != sorted(map(str, shapes)):
            return [name for name in ("U", "V", "W", "b", "c") if name in held]
        return [shapes[shape] for shape in returned]  # type: ignore[index]

    def loss(self, params: Arrays, x: NDArray[Any], y: NDArray[Any]) -> float | complex:
        made = self._object(params)
        total = getattr(made, "calculate_total_loss", None)
        if not callable(total):
            raise UserCodeError(f"{self.file}: the class has no calculate_total_loss(X, Y) to compare with the book's L")
        tokens = [int(i) for i in np.argmax(np.real(x), axis=1)]
        return self._loss(total([tokens], [[int(t) for t in y]]), f"the loss from {self.backward_name}")


def returned(tree: ast.Module, dotted: str) -> list[str]:
    """The parameter names of a method's `return [dLdU, dLdV, dLdW]` (dLd, d and grad_ stripped), else none."""
    owner, _, method = dotted.partition(".")
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == owner:
            for inner in ast.walk(node):
                if isinstance(inner, ast.FunctionDef) and inner.name == method:
                    for ret in (n for n in ast.walk(inner) if isinstance(n, ast.Return)):
                        if isinstance(ret.value, (ast.List, ast.Tuple)):
                            names = [
                                re.sub(r"^(dLd|dL_d|grad_|d)", "", e.id) if isinstance(e, ast.Name) else ""
                                for e in ret.value.elts
                            ]
                            if names and all(n in Method.WEIGHTS for n in names) and len(set(names)) == len(names):
                                return names
    return []  # not named in a return statement: told by the gradients' shapes
