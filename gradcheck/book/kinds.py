"""The networks of chapter 10 by model.kind: a mapping of the records their modules export (book/network.py), each
module imported when its record is first asked for, so that a check of one network imports no other."""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping

from gradcheck.book.network import Network

DEFAULT = "fig-10.3"  # model.kind when a config does not say
LAYERS = 2  # model.layers when a config does not say: the depth deep.py's NETWORK is written out for


class Registry(Mapping[str, Network]):
    """model.kind → its record, in the order tables and messages list the kinds: the book's networks by the module
    holding each, imported on first use, and the networks registered with register()."""

    def __init__(self, modules: Mapping[str, str]) -> None:
        self._modules: dict[str, str | None] = dict(modules)
        self._records: dict[str, Network] = {}

    def __getitem__(self, kind: str) -> Network:
        if kind not in self._records:
            module = importlib.import_module(f"gradcheck.book.{self._modules[kind]}")  # KeyError: not a kind
            for network in getattr(module, "NETWORKS", None) or (module.NETWORK,):
                self._records[network.kind] = network
        return self._records[kind]

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def __len__(self) -> int:
        return len(self._modules)

    def register(self, network: Network) -> None:
        """Add a network of one's own: from then on every command and the library take model.kind = network.kind."""
        if network.kind in self._modules:
            raise ValueError(f"model.kind {network.kind!r} is taken")
        self._modules[network.kind], self._records[network.kind] = None, network

    def unregister(self, kind: str) -> None:
        """Take back a network register() added (the book's own stay)."""
        if self._modules.get(kind, "") is not None:
            raise ValueError(f"model.kind {kind!r} was not registered")
        del self._modules[kind], self._records[kind]


NETWORKS = Registry(
    {
        DEFAULT: "fig_10_3",
        "fig-10.4": "output_recurrence",
        "teacher-forcing": "output_recurrence",
        "fig-10.5": "single_output",
        "bidirectional": "bidirectional",
        "deep": "deep",
        "lstm": "lstm",
        "gru": "gru",
    }
)
register, unregister = NETWORKS.register, NETWORKS.unregister


def network(kind: str, layers: int | None = None) -> Network:
    """The record of model.kind, at model.layers for a network with a depth."""
    found = NETWORKS[kind]
    return found if layers is None else found.at(layers)
