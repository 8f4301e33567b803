"""What every layout shares: the calling of a user's functions in the book's names, fresh copies, the sizes
people name their globals and constructor parameters by."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
from numpy.typing import NDArray

from gradcheck.errors import UserCodeError

Arrays = dict[str, NDArray[Any]]


LAYOUTS = ("book", "min-char-rnn", "cs231n")


DEFAULT_FUNCTIONS = {
    "book": ("backward", "forward"),
    "min-char-rnn": ("lossFun", "lossFun"),
    "cs231n": ("rnn_backward", "rnn_forward"),
}


SIZE_NAMES = {  # the size globals people's functions read, by what they hold
    "I": ("vocab_size", "vocabulary_size", "input_size", "input_dim", "num_chars", "n_chars", "char_size", "word_dim"),
    "H": ("hidden_size", "hidden_dim", "n_hidden", "num_hidden", "hidden_units", "hidden_layer_size", "n_h"),
    "O": ("output_size", "output_dim", "n_out"),
    "tau": ("seq_length", "seq_len", "sequence_length", "n_steps", "num_steps", "T"),
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
            raise UserCodeError(f"{self.file}: {what} is {kind}, expected an array of numbers of shape {dims(shape)}") from None
        if squeeze and array.shape != shape and array.size == int(np.prod(shape)) and array.ndim == 2 and 1 in array.shape:
            array = array.reshape(shape)  # a column vector (H×1) for a bias of shape (H,)
        if array.shape != shape:
            raise UserCodeError(f"{self.file}: {what} has shape {dims(array.shape)}, expected {dims(shape)}")
        if np.iscomplexobj(array):
            raise UserCodeError(f"{self.file}: {what} is complex, expected real numbers")
        return array.astype(np.float64, copy=False)

    def _loss(self, value: Any, what: str) -> float | complex:
        array = np.asarray(value)
        if array.size != 1 or array.dtype.kind not in "biufc":
            raise UserCodeError(f"{self.file}: {what} must be the scalar loss, got {kind_of(value)}")
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


def dims(shape: tuple[int, ...]) -> str:
    return "×".join(map(str, shape)) if shape else "a scalar"


def kind_of(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of shape {dims(value.shape)}"
    return f"a {type(value).__name__}"


def copies(params: Arrays) -> Arrays:
    return {name: np.array(value) for name, value in params.items()}


def may_be_size(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def construct(owner: type, sizes: Mapping[str, int], module: ModuleType) -> Any:
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
