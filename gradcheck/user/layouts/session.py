"""The child's handler over a loaded file: what it defines, the layout it is written in, and the layout bound to a
problem of given sizes."""

from __future__ import annotations

import ast
import inspect
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from gradcheck.errors import UserCodeError
from gradcheck.user import loader
from gradcheck.user.layouts.base import DEFAULT_FUNCTIONS, SIZE_NAMES, Arrays, Layout, may_be_size
from gradcheck.user.layouts.book import Book
from gradcheck.user.layouts.cs231n import BOOK_HELPERS, CS231n
from gradcheck.user.layouts.method import Method, returned
from gradcheck.user.layouts.minchar import MIN_CHAR_NAME, MinCharRNN, holds_weights, own_scale, own_sizes, weight_names
from gradcheck.user.loader import Loaded
from gradcheck.user.reads import functions, global_reads, root

HANDLERS: dict[str, type[Layout]] = {"book": Book, "min-char-rnn": MinCharRNN, "cs231n": CS231n, "class": Method}


LAYOUT_FUNCTIONS = {name for pair in DEFAULT_FUNCTIONS.values() for name in pair} | set(BOOK_HELPERS)


class Session:
    """The child's handler (the sandbox's adapter, "gradcheck.user.layouts:Session"): what the file defines
    (`survey`), then the layout it is called in (`bind`), then the four questions of the module docstring."""

    @staticmethod
    def needs(tree: ast.Module, function: str | None = None, forward: str | None = None) -> set[str] | None:
        """The names a check of this file can read, before any of it runs: the functions named, every function a
        layout looks for, and the globals the sizes are read from (None: the file defines none; load it all)."""
        wanted = {name.split(".")[0] for name in (function, forward) if name}
        holders: set[str] = set()  # classes with a lossFun method
        for name, _ in functions(tree):
            owner, _, method = name.partition(".")
            if MIN_CHAR_NAME.match(method or owner) or name in LAYOUT_FUNCTIONS or method == "bptt":
                wanted.add(owner)
            if method and MIN_CHAR_NAME.match(method):
                holders.add(owner)
        for node in ast.walk(tree):  # rnn = CharRNN(…): the file's own object, whose weights give its own sizes
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and root(node.value.func) in holders:
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
        defined = functions(self.loaded.tree)
        names = {name for name, _ in defined}
        for name, value in vars(self.loaded.module).items():  # functions it imports (from its own helpers)
            if inspect.isfunction(value) and name not in names and not name.startswith("_"):
                defined.append((name, list(inspect.signature(value).parameters)))
                names.add(name)
        found_layout, found_function = _detect(defined, layout, function)
        reads = sorted(global_reads(self.loaded.tree, found_function)) if found_function in names else []
        module = vars(self.loaded.module)
        arrays = [name for name in reads if isinstance(module.get(name), np.ndarray)]
        weights = weight_names(module, set(reads)) if found_layout == "min-char-rnn" else {}
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
            "sizes": dict(own_sizes(module, found_layout)),
            "scale": own_scale(module, found_layout, self.loaded.tree, weights.get("Wxh", "Wxh")),
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
        reads = global_reads(self.loaded.tree, backward)
        weights = weight_names(vars(module), reads) if layout == "min-char-rnn" else {}
        ours = {name for name, _ in MinCharRNN.GLOBALS} | {name for names in SIZE_NAMES.values() for name in names}
        ours |= set(weights.values())  # weights under the file's own names are set by gradcheck too
        for function in {backward, forward} - {None}:
            missing = loader.unavailable(self.loaded, global_reads(self.loaded.tree, str(function)), ours)
            if missing is not None:
                raise UserCodeError(missing)
        if layout == "cs231n" and forward is None:
            forward = DEFAULT_FUNCTIONS["cs231n"][1]
        held = holds_weights(self.loaded.tree, backward) if layout == "min-char-rnn" else False
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
        reads |= global_reads(self.loaded.tree, forward) if forward else set()
        self.bound.size_globals = {  # T is a size only where the file holds an int there (T = 1.0: a temperature)
            name: key
            for key, names in SIZE_NAMES.items()
            for name in names
            if name in reads and key in sizes and (name != "T" or may_be_size(vars(module).get(name, 0)))
        }
        self.bound.sizes = dict(sizes)
        if isinstance(self.bound, Method):
            self.bound.returns = returned(self.loaded.tree, backward)
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
