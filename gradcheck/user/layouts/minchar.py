"""The min-char-rnn layout (the gist and its copies): module globals Wxh … by, `lossFun(inputs, targets, hprev)`;
with what the file itself says about its sizes, its weights' names and spread."""

from __future__ import annotations

import ast
import inspect
import itertools
import re
from collections.abc import Mapping
from types import ModuleType
from typing import Any

import numpy as np
from numpy.typing import NDArray

from gradcheck.errors import UserCodeError
from gradcheck.user.layouts.base import SIZE_NAMES, Arrays, Layout, construct, kind_of, may_be_size

MIN_CHAR_NAME = re.compile(r"(?i)^loss_?fun(c|ction)?$")


class MinCharRNN(Layout):
    """Module globals Wxh, Whh, Why, bh (H×1), by (O×1), set before each call;
    `lossFun(inputs, targets, hprev)` → loss, dWxh, dWhh, dWhy, dbh, dby, h(τ)."""

    name = "min-char-rnn"
    GLOBALS = (("Wxh", "U"), ("Whh", "W"), ("Why", "V"), ("bh", "b"), ("by", "c"))

    def __init__(self, module: ModuleType, backward: str, forward: str | None, weights: Mapping[str, str] | None = None) -> None:
        super().__init__(module, backward, forward)
        own = weights or {}
        self.globals = tuple((own.get(ours, ours), name) for ours, name in self.GLOBALS)  # the file's own names
        owner, _, method = backward.rpartition(".")
        holder = getattr(module, owner, None) if owner else None
        static = isinstance(inspect.getattr_static(holder, method, None), (staticmethod, classmethod))
        self.holder: type | None = holder if isinstance(holder, type) and not static else None  # self.Wxh, …

    def _call(self, function: str, params: Arrays, x: NDArray[Any], y: NDArray[Any]) -> tuple[Any, ...]:
        self._set_sizes(len(x))
        target: Any = self.module if self.holder is None else construct(self.holder, self.sizes, self.module)
        for global_name, name in self.globals:
            value = np.array(params[name])
            own = getattr(target, global_name, None)  # a bias as the file holds it: H×1 as the gist's, or (H,)
            flat = isinstance(own, np.ndarray) and own.ndim == 1
            setattr(target, global_name, value[:, np.newaxis] if value.ndim == 1 and not flat else value)
        call = self._function(function)
        if self.holder is not None:
            call = getattr(target, function.rpartition(".")[2])
            read = set(getattr(getattr(call, "__code__", None), "co_names", ()))  # self.vocab_size: set if read
            for attribute, key in self.size_attributes(target, read):
                setattr(target, attribute, len(x) if key == "tau" else self.sizes[key])
        inputs = [int(i) for i in np.argmax(np.real(x), axis=1)]  # x(t) is one-hot (checked by the parent)
        got = call(inputs, [int(t) for t in y], np.array(params["h0"])[:, np.newaxis])
        what = f"{function}(inputs, targets, hprev)"
        if not isinstance(got, (tuple, list)) or len(got) < 7:
            count = f"{len(got)} values" if isinstance(got, (tuple, list)) else kind_of(got)
            raise UserCodeError(f"{self.file}: {what} returned {count}; expected 7: loss, dWxh, dWhh, dWhy, dbh, dby, hprev")
        return tuple(got[:7])  # what a file returns after them (its ps, its xs) is its own

    @staticmethod
    def size_attributes(made: Any, read: set[str]) -> list[tuple[str, str]]:
        """The sizes an object holds as attributes (self.hidden_size, self.vocab_size), by what they hold, and those
        its lossFun reads that only its training would set (`read`: the attribute names the method uses)."""
        held = vars(made) if hasattr(made, "__dict__") else {}
        return [
            (name, key)
            for key, names in SIZE_NAMES.items()
            for name in names
            if key != "tau" and (may_be_size(held.get(name)) or (name in read and name not in held))
        ]

    def gradients(self, params: Arrays, x: NDArray[Any], y: NDArray[Any]) -> Arrays:
        got = self._call(self.backward_name, params, x, y)
        grads = {
            name: self._array(value, f"d{global_name} from {self.backward_name}", params[name].shape, squeeze=True)
            for (global_name, name), value in zip(self.globals, got[1:6])
        }
        loss = self._loss(got[0], f"the loss from {self.backward_name}")
        return grads | {"loss": np.array(np.real(loss))}  # compared with the book's L before any gradient is judged

    def loss(self, params: Arrays, x: NDArray[Any], y: NDArray[Any]) -> float | complex:
        assert self.forward_name is not None
        return self._loss(self._call(self.forward_name, params, x, y)[0], f"the loss from {self.forward_name}")


def weight_names(module: Mapping[str, Any], reads: set[str]) -> dict[str, str]:
    """Wxh, Whh, Why, bh, by → the file's own names for them, for a lossFun that reads none of those but five arrays
    whose shapes say which is which (H×I, H×H, O×H, H×1, O×1 at the file's own sizes); {} when they do not."""
    if reads & {name for name, _ in MinCharRNN.GLOBALS}:
        return {}
    arrays = {name: module[name].shape for name in sorted(reads) if isinstance(module.get(name), np.ndarray)}
    arrays = {name: shape for name, shape in arrays.items() if len(shape) in (1, 2) and 0 not in shape}
    if not 5 <= len(arrays) <= 8:
        return {}
    found = []
    for Wxh, Whh, Why, bh, by in itertools.permutations(arrays, 5):
        if not len(arrays[Wxh]) == len(arrays[Whh]) == len(arrays[Why]) == 2:
            continue  # a bias of shape (H,) is no weight matrix
        (H, _), H2, (O, H3) = arrays[Wxh], arrays[Whh], arrays[Why]
        if H2 == (H, H) and H3 == H and arrays[bh] in ((H,), (H, 1)) and arrays[by] in ((O,), (O, 1)):
            found.append({"Wxh": Wxh, "Whh": Whh, "Why": Why, "bh": bh, "by": by})
    return found[0] if len(found) == 1 else {}


def holds_weights(tree: ast.Module, function: str) -> bool:
    """Whether `function` is a method of a class that sets self.Wxh (the weights gradcheck then sets on its object)."""
    owner = function.rpartition(".")[0]
    classes = [node for node in tree.body if isinstance(node, ast.ClassDef) and node.name == owner]
    return any(
        isinstance(n, ast.Attribute) and n.attr == "Wxh" and isinstance(n.ctx, ast.Store) for c in classes for n in ast.walk(c)
    )


def own_scale(module: dict[str, Any], layout: str | None, tree: ast.Module, written_as: str = "Wxh") -> float | None:
    """The spread of the file's own input weights, to check near its own point: the factor the file writes
    (`Wxh = np.random.randn(H, I) * 0.01`, or `self.Wxh = …` in a class → 0.01), else their measured spread to one
    digit (never a random one)."""
    if layout != "min-char-rnn":
        return None
    Wxh = module.get(written_as)
    spread = written_factor(tree, written_as)
    if spread is None and isinstance(Wxh, np.ndarray) and Wxh.size > 1 and Wxh.dtype.kind == "f":
        spread = float(f"{float(np.std(Wxh)):.1g}")
    return spread if spread is not None and 1e-4 <= spread <= 10 else None


def written_factor(tree: ast.Module, name: str) -> float | None:
    """c of the file's last `name = <random call> * c` (or `c * <random call>`), where c is a number literal."""
    factor, line = None, -1
    for node in ast.walk(tree):
        if not isinstance(node, ast.Assign):
            continue
        if not any(
            t.id == name if isinstance(t, ast.Name) else isinstance(t, ast.Attribute) and t.attr == name for t in node.targets
        ):
            continue
        value = node.value
        if isinstance(value, ast.BinOp) and isinstance(value.op, ast.Mult):
            for call, number in ((value.left, value.right), (value.right, value.left)):
                literal = number.value if isinstance(number, ast.Constant) else None
                if (
                    isinstance(call, ast.Call)
                    and isinstance(literal, (int, float))
                    and not isinstance(literal, bool)
                    and node.lineno > line
                ):
                    factor, line = abs(float(literal)), node.lineno
    return factor


def own_sizes(module: dict[str, Any], layout: str | None) -> dict[str, int]:
    """The sizes the file fixes itself: its weights' shapes, else its size globals (min-char-rnn files only)."""
    if layout != "min-char-rnn":
        return {}
    sizes: dict[str, int] = {}
    Wxh, Why = module.get("Wxh"), module.get("Why")
    if isinstance(Wxh, np.ndarray) and Wxh.ndim == 2 and isinstance(Why, np.ndarray) and Why.ndim == 2 and Wxh.size > 1:
        sizes = {"H": int(Wxh.shape[0]), "I": int(Wxh.shape[1]), "O": int(Why.shape[0])}
    for key, names in SIZE_NAMES.items():
        for name in [*names, *(name.upper() for name in names)]:  # hidden_size, HIDDEN_SIZE
            value = module.get(name)
            if key not in sizes and isinstance(value, int) and not isinstance(value, bool) and 0 < value <= 10**6:
                sizes[key] = value
    if "I" in sizes and "O" not in sizes:
        sizes["O"] = sizes["I"]  # a character model: as many classes as characters
    return sizes
