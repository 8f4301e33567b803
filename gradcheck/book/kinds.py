"""The networks of chapter 10 by model.kind, and the module of this package that holds each one's equations."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
from types import ModuleType

from gradcheck.book.bugs import BUGS, AnyBug
from gradcheck.book.network import NetBug, NetEquation

FIG_10_3 = "fig-10.3"  # rnn.py: the tanh RNN of Fig. 10.3, with its own batched engine (engine/rnn.py)
MODULES = {
    "fig-10.4": "output_recurrence",
    "teacher-forcing": "output_recurrence",
    "fig-10.5": "single_output",
    "bidirectional": "bidirectional",
    "deep": "deep",
    "lstm": "lstm",
    "gru": "gru",
}
KINDS = (FIG_10_3, *(kind for kind, module in MODULES.items() if importlib.util.find_spec(f"gradcheck.book.{module}")))


def network(kind: str) -> ModuleType:
    """The book-layer module of a network other than Fig. 10.3 (its interface: book/network.py)."""
    return importlib.import_module(f"gradcheck.book.{MODULES[kind]}")


def options(kind: str, variant: str) -> dict[str, str]:
    """The keyword arguments a module's forward and backward take for this kind and variant."""
    net = network(kind)
    found = {"variant": variant}
    if hasattr(net, "KINDS"):
        found["kind"] = kind
    return found


def param_shapes(kind: str, I: int, H: int, O: int, layers: int) -> dict[str, tuple[int, ...]]:
    """Every parameter of the network, in the order tables list them."""
    net = network(kind)
    takes_layers = len(inspect.signature(net.param_shapes).parameters) > 3
    shapes: dict[str, tuple[int, ...]] = net.param_shapes(I, H, O, layers) if takes_layers else net.param_shapes(I, H, O)
    return shapes


def tables(kind: str, layers: int) -> tuple[dict[str, str], tuple[NetEquation, ...], dict[str, NetBug]]:
    """A network's nodes, equation rows and bug catalogue; for a network whose shape depends on model.layers (deep)
    the module's nodes(N), equations(N) and bugs(N), else its NODES, EQUATIONS and BUGS (BUGS_OF[kind] in a module
    holding several networks)."""
    net = network(kind)
    if callable(getattr(net, "nodes", None)):
        return net.nodes(layers), net.equations(layers), net.bugs(layers)
    if hasattr(net, "KINDS"):  # one module, several networks (output_recurrence.py): each its own catalogue
        return dict(net.NODES), tuple(net.EQUATIONS), dict(net.BUGS_OF[kind])
    return dict(net.NODES), tuple(net.EQUATIONS), dict(net.BUGS)


def catalogue(kind: str, layers: int = 1) -> dict[str, AnyBug]:
    """The bug catalogue of a network: Fig. 10.3's (book/bugs.py) or the network module's (for model.layers)."""
    if kind == FIG_10_3:
        return dict(BUGS)
    found: dict[str, AnyBug] = dict(tables(kind, layers)[2])
    return found
