"""The layouts people write Fig. 10.3's RNN in, each turned into the book's names and time-major shapes.

This module runs in the child process only, beside the user's module (gradcheck/user/child.py builds a handler with
`book`, `min_char_rnn` or `cs231n`). Every handler answers the same four questions in the book's terms:

    gradients(params, x, y)      {U, W, V, b, c, h0: ∇L, and where the layout gives them o: ∇o(t)L, h: ∇h(t)L}
    loss(params, x, y)           L from the user's forward pass
    entry_losses(params, x, y, name, index, shifts)              L with entry index[k] of `name` moved by shifts[k]
    direction_losses(params, x, y, name, directions, k, shifts)  L with `name` moved by shifts[r]·directions[k[r]]

params are the book's {U (H×I), W (H×H), V (O×H), b (H,), c (O,), h0 (H,)}; x (τ×I), y (τ,) ints. The book layout
also serves the other networks of chapter 10, with their own parameter and node names. The user's
functions always get fresh copies, so nothing they do in place reaches the next call.
"""

from __future__ import annotations

import ast
import inspect
import itertools
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
from numpy.typing import NDArray

from gradcheck.errors import UserCodeError
from gradcheck.user import loader
from gradcheck.user.loader import Loaded

Arrays = dict[str, NDArray[Any]]
LAYOUTS = ("book", "min-char-rnn", "cs231n")
DEFAULT_FUNCTIONS = {
    "book": ("backward", "forward"),
    "min-char-rnn": ("lossFun", "lossFun"),
    "cs231n": ("rnn_backward", "rnn_forward"),
}


class Layout:
    """What every layout shares: the user's module, the functions named on the command line, fresh copies."""

    name = ""

    def __init__(self, module: ModuleType, backward: str, forward: str | None) -> None:
        self.module = module
        self.file = Path(module.__file__ or module.__name__).name
        self.backward_name, self.forward_name = backward, forward
        self.size_globals: dict[str, str] = {}  # module global → "I", "H", "O" or "tau": set before each call
        self.sizes: dict[str, int] = {}
        self._function(backward)  # a missing function is said at once, not at the first call
        if forward is not None:
            self._function(forward)

    def _function(self, name: str) -> Callable[..., Any]:
        found: Any = self.module
        for part in name.split("."):  # Class.method: a static method, or a function in a namespace
            found = getattr(found, part, None)
        if not callable(found) or isinstance(found, type):
            raise UserCodeError(f"{self.file}: has no function {name} (the {self.name} layout calls it)")
        return found  # type: ignore[no-any-return]

    def _set_sizes(self, tau: int) -> None:
        """The size globals the user's functions read, set to the problem's (τ: the sequence given)."""
        for name, key in self.size_globals.items():
            setattr(self.module, name, tau if key == "tau" else self.sizes[key])

    def _array(self, value: Any, what: str, shape: tuple[int, ...], squeeze: bool = False) -> NDArray[np.float64]:
        """A returned gradient as a real float64 array of the expected shape, or one line saying what is wrong."""
        try:
            if np.asarray(value).dtype.kind not in "biufc":  # None, strings, objects: numpy would make None a NaN
                raise TypeError
            array = np.array(value, dtype=np.complex128 if np.iscomplexobj(value) else np.float64)
        except (TypeError, ValueError):
            kind = f"an array of dtype {value.dtype}" if isinstance(value, np.ndarray) else f"a {type(value).__name__}"
            raise UserCodeError(f"{self.file}: {what} is {kind}, expected an array of numbers of shape {_dims(shape)}") from None
        if squeeze and array.shape != shape and array.size == int(np.prod(shape)) and array.ndim == 2 and 1 in array.shape:
            array = array.reshape(shape)  # a column vector (H×1) for a bias of shape (H,)
        if array.shape != shape:
            raise UserCodeError(f"{self.file}: {what} has shape {_dims(array.shape)}, expected {_dims(shape)}")
        if np.iscomplexobj(array):
            raise UserCodeError(f"{self.file}: {what} is complex, expected real numbers")
        return array.astype(np.float64, copy=False)

    def _loss(self, value: Any, what: str) -> float | complex:
        array = np.asarray(value)
        if array.size != 1 or array.dtype.kind not in "biufc":
            raise UserCodeError(f"{self.file}: {what} must be the scalar loss, got {_kind(value)}")
        scalar = array.reshape(()).item()
        return complex(scalar) if isinstance(scalar, complex) else float(scalar)

    # the four questions (subclasses answer gradients and loss)
    def gradients(self, params: Arrays, x: NDArray[Any], y: NDArray[Any]) -> Arrays:
        raise NotImplementedError

    def loss(self, params: Arrays, x: NDArray[Any], y: NDArray[Any]) -> float | complex:
        raise NotImplementedError

    def entry_losses(
        self, params: Arrays, x: NDArray[Any], y: NDArray[Any], name: str, index: NDArray[Any], shifts: NDArray[Any]
    ) -> NDArray[Any]:
        out = np.empty(len(index), dtype=np.result_type(shifts, np.float64))
        for row, (k, s) in enumerate(zip(index, shifts)):
            moved = dict(params)
            moved[name] = params[name].astype(out.dtype, copy=True)
            moved[name].reshape(-1)[k] += s
            out[row] = self.loss(moved, x, y)
        return out

    def direction_losses(
        self,
        params: Arrays,
        x: NDArray[Any],
        y: NDArray[Any],
        name: str,
        directions: NDArray[Any],
        k: NDArray[Any],
        shifts: NDArray[Any],
    ) -> NDArray[Any]:
        out = np.empty(len(k), dtype=np.result_type(shifts, np.float64))
        for row, (which, s) in enumerate(zip(k, shifts)):
            out[row] = self.loss(dict(params) | {name: params[name] + s * directions[which]}, x, y)
        return out


def _dims(shape: tuple[int, ...]) -> str:
    return "×".join(map(str, shape)) if shape else "a scalar"


def _kind(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of shape {_dims(value.shape)}"
    return f"a {type(value).__name__}"


def _copies(params: Arrays) -> Arrays:
    return {name: np.array(value) for name, value in params.items()}


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
        return self._function(function)(**_copies(params), x=np.array(x), y=np.array(y))

    def _signature(self, function: str, params: Arrays) -> str:
        return f"{function}({', '.join(params)}, x, y)"

    @staticmethod
    def size_attributes(made: Any) -> list[tuple[str, str]]:
        """The sizes an object holds as attributes (self.hidden_size, self.vocab_size), by what they hold."""
        return [
            (name, key)
            for key, names in SIZE_NAMES.items()
            for name in names
            if key != "tau" and _may_be_size(vars(made).get(name) if hasattr(made, "__dict__") else None)
        ]

    def gradients(self, params: Arrays, x: NDArray[Any], y: NDArray[Any]) -> Arrays:
        got = self._call(self.backward_name, params, x, y)
        what = self._signature(self.backward_name, params)
        names = ", ".join(params)
        if not isinstance(got, Mapping):
            raise UserCodeError(f"{self.file}: {what} returned {_kind(got)}; expected a dict of gradients by name: {names}")
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

    def holds(self) -> list[str]:
        """The weights an object of the class holding lossFun has (Wxh, … as its attributes)."""
        assert self.holder is not None
        made = _construct(self.holder, self.sizes, self.module)
        return [name for name, _ in self.globals if isinstance(getattr(made, name, None), np.ndarray)]

    def _call(self, function: str, params: Arrays, x: NDArray[Any], y: NDArray[Any]) -> tuple[Any, ...]:
        self._set_sizes(len(x))
        target: Any = self.module if self.holder is None else _construct(self.holder, self.sizes, self.module)
        for global_name, name in self.globals:
            value = np.array(params[name])
            setattr(target, global_name, value[:, np.newaxis] if value.ndim == 1 else value)
        if self.holder is not None:
            for attribute, key in self.size_attributes(target):
                setattr(target, attribute, len(x) if key == "tau" else self.sizes[key])
        call = self._function(function) if self.holder is None else getattr(target, function.rpartition(".")[2])
        inputs = [int(i) for i in np.argmax(np.real(x), axis=1)]  # x(t) is one-hot (checked by the parent)
        got = call(inputs, [int(t) for t in y], np.array(params["h0"])[:, np.newaxis])
        what = f"{function}(inputs, targets, hprev)"
        if not isinstance(got, (tuple, list)) or len(got) < 7:
            count = f"{len(got)} values" if isinstance(got, (tuple, list)) else _kind(got)
            raise UserCodeError(f"{self.file}: {what} returned {count}; expected 7: loss, dWxh, dWhh, dWhy, dbh, dby, hprev")
        return tuple(got[:7])  # what a file returns after them (its ps, its xs) is its own

    @staticmethod
    def size_attributes(made: Any) -> list[tuple[str, str]]:
        """The sizes an object holds as attributes (self.hidden_size, self.vocab_size), by what they hold."""
        return [
            (name, key)
            for key, names in SIZE_NAMES.items()
            for name in names
            if key != "tau" and _may_be_size(vars(made).get(name) if hasattr(made, "__dict__") else None)
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


class CS231n(Layout):
    """rnn_forward(x, h0, Wx, Wh, b) and rnn_backward(dh, cache), batch-major (N = 1) with Wx = Uᵀ (D×H), Wh = Wᵀ,
    composed with temporal_affine_forward/backward (w = Vᵀ, b = c) and temporal_softmax_loss: the user's own when
    the file defines them (as the assignment's does), else the book's."""

    name = "cs231n"

    def _helper(self, name: str) -> Callable[..., Any]:
        found = getattr(self.module, name, None)
        return found if callable(found) else BOOK_HELPERS[name]

    def _forward(self, function: str, params: Arrays, x: NDArray[Any], y: NDArray[Any]) -> tuple[Any, ...]:
        p = _copies(params)
        self._set_sizes(len(x))
        got = self._function(function)(np.array(x)[np.newaxis], p["h0"][np.newaxis], p["U"].T.copy(), p["W"].T.copy(), p["b"])
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            raise UserCodeError(f"{self.file}: {function}(x, h0, Wx, Wh, b) returned {_kind(got)}; expected (h, cache)")
        h, cache = got
        tau, H = len(x), len(params["b"])
        h = self._array(h, f"h from {function}", (1, tau, H))
        scores, affine_cache = self._helper("temporal_affine_forward")(h, p["V"].T.copy(), p["c"])
        mask = np.ones((1, tau), dtype=bool)
        loss, dscores = self._helper("temporal_softmax_loss")(scores, np.array(y)[np.newaxis], mask)
        return loss, dscores, affine_cache, cache

    def gradients(self, params: Arrays, x: NDArray[Any], y: NDArray[Any]) -> Arrays:
        assert self.forward_name is not None
        _, dscores, affine_cache, cache = self._forward(self.forward_name, params, x, y)
        tau, (O, H), I = len(x), params["V"].shape, params["U"].shape[1]
        dh, dw, dc = self._helper("temporal_affine_backward")(dscores, affine_cache)
        got = self._function(self.backward_name)(dh, cache)
        what = f"{self.backward_name}(dh, cache)"
        if not isinstance(got, (tuple, list)) or len(got) != 5:
            raise UserCodeError(f"{self.file}: {what} returned {_kind(got)}; expected (dx, dh0, dWx, dWh, db)")
        _, dh0, dWx, dWh, db = got
        return {
            "U": self._array(dWx, f"dWx from {self.backward_name}", (I, H)).T,
            "W": self._array(dWh, f"dWh from {self.backward_name}", (H, H)).T,
            "V": self._array(dw, "dw from temporal_affine_backward", (H, O)).T,
            "b": self._array(db, f"db from {self.backward_name}", (H,)),
            "c": self._array(dc, "db from temporal_affine_backward", (O,)),
            "h0": self._array(dh0, f"dh0 from {self.backward_name}", (1, H))[0],
            "o": self._array(dscores, "dx from temporal_softmax_loss", (1, tau, O))[0],
        }

    def loss(self, params: Arrays, x: NDArray[Any], y: NDArray[Any]) -> float | complex:
        assert self.forward_name is not None
        return self._loss(self._forward(self.forward_name, params, x, y)[0], "the loss from temporal_softmax_loss")


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
        return _construct(getattr(self.module, self.backward_name.partition(".")[0]), self.sizes, self.module)

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
            count = f"{len(got)} values" if isinstance(got, (tuple, list)) else _kind(got)
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


# The assignment's given layers, for a file that defines only the RNN: the book's 10.10–10.14 with N = 1.
def _affine_forward(h: NDArray[Any], w: NDArray[Any], b: NDArray[Any]) -> tuple[NDArray[Any], tuple[Any, ...]]:
    return h @ w + b, (h, w)  # (10.10) o(t) = c + V h(t), batch-major


def _affine_backward(dout: NDArray[Any], cache: tuple[Any, ...]) -> tuple[NDArray[Any], NDArray[Any], NDArray[Any]]:
    h, w = cache
    return dout @ w.T, np.einsum("nth,nto->ho", h, dout), dout.sum(axis=(0, 1))  # (10.24), (10.22)


def _softmax_loss(scores: NDArray[Any], y: NDArray[Any], mask: NDArray[Any]) -> tuple[Any, NDArray[Any]]:
    shifted = scores - scores.real.max(axis=-1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))  # (10.11) in log form
    n, t = np.indices(y.shape)
    loss = -(mask * log_p[n, t, y]).sum() / len(scores)  # (10.12–10.14), summed over t, divided by N
    dscores = np.exp(log_p)
    dscores[n, t, y] -= 1.0  # (10.18)
    return loss, dscores * mask[..., np.newaxis] / len(scores)


BOOK_HELPERS: dict[str, Callable[..., Any]] = {
    "temporal_affine_forward": _affine_forward,
    "temporal_affine_backward": _affine_backward,
    "temporal_softmax_loss": _softmax_loss,
}
HANDLERS: dict[str, type[Layout]] = {"book": Book, "min-char-rnn": MinCharRNN, "cs231n": CS231n, "class": Method}


SIZE_NAMES = {  # the size globals people's functions read, by what they hold
    "I": ("vocab_size", "vocabulary_size", "input_size", "input_dim", "num_chars", "n_chars", "char_size", "word_dim"),
    "H": ("hidden_size", "hidden_dim", "n_hidden", "num_hidden", "hidden_units", "hidden_layer_size", "n_h"),
    "O": ("output_size", "output_dim", "n_out"),
    "tau": ("seq_length", "seq_len", "sequence_length", "n_steps", "num_steps", "T"),
}
MIN_CHAR_NAME = re.compile(r"(?i)^loss_?fun(c|ction)?$")
LAYOUT_FUNCTIONS = {name for pair in DEFAULT_FUNCTIONS.values() for name in pair} | set(BOOK_HELPERS)


class Session:
    """The child's handler (the sandbox's adapter, "gradcheck.user.layouts:Session"): what the file defines
    (`survey`), then the layout it is called in (`bind`), then the four questions of the module docstring."""

    @staticmethod
    def needs(tree: ast.Module, function: str | None = None, forward: str | None = None) -> set[str] | None:
        """The names a check of this file can read, before any of it runs: the functions named, every function a
        layout looks for, and the globals the sizes are read from (None: the file defines none; load it all)."""
        wanted = {name.split(".")[0] for name in (function, forward) if name}
        for name, _ in loader.functions(tree):
            owner, _, method = name.partition(".")
            if MIN_CHAR_NAME.match(name.rpartition(".")[2]) or name in LAYOUT_FUNCTIONS or method == "bptt":
                wanted.add(owner)
        holders = {name.partition(".")[0] for name, _ in loader.functions(tree) if MIN_CHAR_NAME.match(name.partition(".")[2])}
        for node in ast.walk(tree):  # rnn = CharRNN(…): the file's own object, whose weights give its own sizes
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and loader.root(node.value.func) in holders:
                wanted |= {target.id for target in node.targets if isinstance(target, ast.Name)}
        for node in tree.body:  # what a constructor gradcheck calls may be given from the module (LEARNING_RATE)
            if isinstance(node, ast.ClassDef) and node.name in wanted:
                for init in (n for n in node.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"):
                    wanted |= {a.arg for a in init.args.args[1:]} | {a.arg.upper() for a in init.args.args[1:]}
        for node in tree.body:  # functions imported from the file's own helpers
            if isinstance(node, ast.ImportFrom):
                wanted |= {a.asname or a.name for a in node.names if MIN_CHAR_NAME.match(a.name) or a.name in LAYOUT_FUNCTIONS}
        if not wanted:
            return None
        sizes = {name for names in SIZE_NAMES.values() for name in names}
        return wanted | LAYOUT_FUNCTIONS | {"Wxh", "Why"} | sizes | {name.upper() for name in sizes}  # backward = _backward

    def __init__(self, loaded: Loaded, function: str | None = None, forward: str | None = None) -> None:
        self.loaded = loaded
        self.file = Path(loaded.module.__file__ or loaded.module.__name__).name
        self.bound: Layout | None = None

    def survey(self, layout: str | None = None, function: str | None = None) -> dict[str, Any]:
        """What the file defines, the layout it looks written for, its own sizes and what was not run."""
        defined = loader.functions(self.loaded.tree)
        names = {name for name, _ in defined}
        for name, value in vars(self.loaded.module).items():  # functions it imports (from its own helpers)
            if inspect.isfunction(value) and name not in names and not name.startswith("_"):
                defined.append((name, list(inspect.signature(value).parameters)))
                names.add(name)
        found_layout, found_function = _detect(defined, layout, function)
        reads = sorted(loader.global_reads(self.loaded.tree, found_function)) if found_function in names else []
        module = vars(self.loaded.module)
        arrays = [name for name in reads if isinstance(module.get(name), np.ndarray)]
        weights = _weight_names(module, set(reads)) if found_layout == "min-char-rnn" else {}
        if weights:  # the file's weights under its own names: its sizes and spread read from them
            module = {**module, **{ours: module[theirs] for ours, theirs in weights.items()}}
        holder = module.get(str(found_function).partition(".")[0]) if "." in str(found_function) else None
        made = [value for value in module.values() if isinstance(holder, type) and type(value) is holder]
        if made and "Wxh" not in module:  # its own object (rnn = CharRNN(…)): the weights it holds
            module = {**module, **{name: value for name, value in vars(made[0]).items() if isinstance(value, np.ndarray)}}
        return {
            "weights": dict(weights),
            "layout": found_layout,
            "function": found_function,
            "functions": [f"{name}({', '.join(params)})" for name, params in defined],
            "not_run": self.loaded.not_run(),
            "translated": list(self.loaded.translated),
            "sizes": dict(_own_sizes(module, found_layout)),
            "scale": _own_scale(module, found_layout, self.loaded.tree, weights.get("Wxh", "Wxh")),
            "arrays": list(arrays),
        }

    def bind(
        self,
        layout: str,
        backward: str,
        forward: str | None,
        sizes: dict[str, int],
        nodes: Mapping[str, list[int]] | None = None,
    ) -> dict[str, Any] | None:
        """Call the file in `layout`: its `backward` (and `forward`) at a problem of these sizes {I, H, O, tau}."""
        module = self.loaded.module
        ours = {name for name, _ in MinCharRNN.GLOBALS} | {name for names in SIZE_NAMES.values() for name in names}
        if layout == "min-char-rnn":  # weights under the file's own names are set by gradcheck too
            ours |= set(_weight_names(vars(module), loader.global_reads(self.loaded.tree, backward)).values())
        for function in {backward, forward} - {None}:
            missing = loader.unavailable(self.loaded, loader.global_reads(self.loaded.tree, str(function)), ours)
            if missing is not None:
                raise UserCodeError(missing)
        if layout == "cs231n" and forward is None:
            forward = DEFAULT_FUNCTIONS["cs231n"][1]
        reads = loader.global_reads(self.loaded.tree, backward)
        weights = _weight_names(vars(module), reads) if layout == "min-char-rnn" else {}
        held = _holds_weights(self.loaded.tree, backward) if layout == "min-char-rnn" else False
        if layout == "min-char-rnn" and not reads & {name for name, _ in MinCharRNN.GLOBALS} and not weights and not held:
            arrays = sorted(name for name in reads if isinstance(vars(module).get(name), np.ndarray))
            theirs = f" (it reads {', '.join(arrays)}, whose shapes do not tell which is which)" if arrays else ""
            raise UserCodeError(
                f"{self.file}: {backward} reads none of Wxh, Whh, Why, bh, by, the weights gradcheck sets{theirs}; "
                "name your weights so, or check a function in the book layout"
            )
        if layout == "book":
            self.bound = Book(module, backward, forward, nodes)
        elif layout == "min-char-rnn":
            self.bound = MinCharRNN(module, backward, forward, weights)
        else:
            self.bound = HANDLERS[layout](module, backward, forward)
        reads |= loader.global_reads(self.loaded.tree, forward) if forward else set()
        self.bound.size_globals = {  # T is a size only where the file holds an int there (T = 1.0: a temperature)
            name: key
            for key, names in SIZE_NAMES.items()
            for name in names
            if name in reads and key in sizes and (name != "T" or _may_be_size(vars(module).get(name, 0)))
        }
        self.bound.sizes = dict(sizes)
        if isinstance(self.bound, Method):
            self.bound.returns = _returned(self.loaded.tree, backward)
            return {"absent": self.bound.absent()}
        return None

    def _layout(self) -> Layout:
        if self.bound is None:
            raise UserCodeError(f"{self.file}: no layout bound yet")
        return self.bound

    def gradients(self, params: Arrays, x: NDArray[Any], y: NDArray[Any]) -> Arrays:
        return self._layout().gradients(params, x, y)

    def loss(self, params: Arrays, x: NDArray[Any], y: NDArray[Any]) -> float | complex:
        return self._layout().loss(params, x, y)

    def entry_losses(
        self, params: Arrays, x: NDArray[Any], y: NDArray[Any], name: str, index: NDArray[Any], shifts: NDArray[Any]
    ) -> NDArray[Any]:
        return self._layout().entry_losses(params, x, y, name, index, shifts)

    def direction_losses(
        self,
        params: Arrays,
        x: NDArray[Any],
        y: NDArray[Any],
        name: str,
        directions: NDArray[Any],
        k: NDArray[Any],
        shifts: NDArray[Any],
    ) -> NDArray[Any]:
        return self._layout().direction_losses(params, x, y, name, directions, k, shifts)


def _detect(defined: list[tuple[str, list[str]]], layout: str | None, function: str | None) -> tuple[str | None, str | None]:
    """(layout, backward function) the file looks written for; the forced ones where given."""
    names = {name for name, _ in defined}
    min_char = next((name for name, params in defined if MIN_CHAR_NAME.match(name) and len(params) == 3), None)
    if min_char is None:  # a lossFun that is a method of a class holding the weights (self.Wxh, …)
        methods = (name for name, params in defined if MIN_CHAR_NAME.match(name.rpartition(".")[2]) and len(params) == 3)
        min_char = next(methods, None)
    if function is not None:
        if layout is None:
            layout = (
                "min-char-rnn"
                if MIN_CHAR_NAME.match(function.rpartition(".")[2])
                else "cs231n"
                if function == "rnn_backward"
                else "class"
                if "." in function
                else "book"
            )
        return layout, function
    bptt = next((name for name, params in defined if name.endswith(".bptt") and len(params) == 2), None)
    if layout == "class":
        return layout, bptt
    if layout is not None:
        default = DEFAULT_FUNCTIONS[layout][0]
        if layout == "min-char-rnn" and default not in names and min_char is not None:
            return layout, min_char
        return layout, default
    if min_char is not None:
        return "min-char-rnn", min_char
    if bptt is not None:
        return "class", bptt
    if {"rnn_forward", "rnn_backward"} <= names:
        return "cs231n", "rnn_backward"
    if "backward" in names:
        return "book", "backward"
    return None, None


def _returned(tree: ast.Module, dotted: str) -> list[str]:
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


def _own_scale(module: dict[str, Any], layout: str | None, tree: ast.Module, written_as: str = "Wxh") -> float | None:
    """The spread of the file's own input weights, to check near its own point: the factor the file writes
    (`Wxh = np.random.randn(H, I) * 0.01`, or `self.Wxh = …` in a class → 0.01), else their measured spread to one
    digit (never a random one)."""
    if layout != "min-char-rnn":
        return None
    Wxh = module.get(written_as)
    spread = _written_factor(tree, written_as)
    if spread is None and isinstance(Wxh, np.ndarray) and Wxh.size > 1 and Wxh.dtype.kind == "f":
        spread = float(f"{float(np.std(Wxh)):.1g}")
    return spread if spread is not None and 1e-4 <= spread <= 10 else None


def _written_factor(tree: ast.Module, name: str) -> float | None:
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


def _weight_names(module: Mapping[str, Any], reads: set[str]) -> dict[str, str]:
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
        (H, I), H2, (O, H3) = arrays[Wxh], arrays[Whh], arrays[Why]
        if H2 == (H, H) and H3 == H and arrays[bh] in ((H,), (H, 1)) and arrays[by] in ((O,), (O, 1)) and I > 0:
            found.append({"Wxh": Wxh, "Whh": Whh, "Why": Why, "bh": bh, "by": by})
    return found[0] if len(found) == 1 else {}


def _holds_weights(tree: ast.Module, function: str) -> bool:
    """Whether `function` is a method of a class that sets self.Wxh (the weights gradcheck then sets on its object)."""
    owner = function.rpartition(".")[0]
    classes = [node for node in tree.body if isinstance(node, ast.ClassDef) and node.name == owner]
    return any(
        isinstance(n, ast.Attribute) and n.attr == "Wxh" and isinstance(n.ctx, ast.Store) for c in classes for n in ast.walk(c)
    )


def _construct(owner: type, sizes: Mapping[str, int], module: ModuleType) -> Any:
    """An object of a user's class, made by its own constructor: the problem's sizes for its size parameters (the
    first, if named like a size, is the vocabulary, as RNNNumpy(word_dim, …); seq_length is τ); another required one
    from the module's global of that name (CharRNN(vocab_size, hidden_size, learning_rate))."""
    args: dict[str, Any] = {}
    for position, (name, parameter) in enumerate(inspect.signature(owner).parameters.items()):
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD, parameter.POSITIONAL_ONLY):
            continue
        key = next((key for key, names in SIZE_NAMES.items() if name in names), None)
        required = parameter.default is inspect.Parameter.empty
        if key is None and position == 0 and required and re.search(r"(?i)dim|size|vocab|num|^n_", name):
            key = "I"  # RNNNumpy(word_dim, …), Net(vocab, …): the vocabulary first
        if key is not None and key in sizes:
            args[name] = sizes[key]
        elif required and (hasattr(module, name) or hasattr(module, name.upper())):  # LEARNING_RATE = 1e-1
            args[name] = getattr(module, name, getattr(module, name.upper(), None))
        elif required:
            file = Path(module.__file__ or module.__name__).name
            given = f" (gradcheck gives {', '.join(args)})" if args else ""
            raise UserCodeError(
                f"{file}: {owner.__name__}({', '.join(inspect.signature(owner).parameters)}) cannot be built: {name} is "
                f"neither a size{given} nor a global of the module; give it a default"
            )
    return owner(**args)


def _may_be_size(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _own_sizes(module: dict[str, Any], layout: str | None) -> dict[str, int]:
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
