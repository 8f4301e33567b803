"""The networks of chapter 10 by model.kind: a plain mapping of the records their modules export (book/network.py)."""

from __future__ import annotations

from gradcheck.book import bidirectional, deep, fig_10_3, gru, lstm, output_recurrence, single_output
from gradcheck.book.network import Network

NETWORKS: dict[str, Network] = {
    network.kind: network
    for network in (
        fig_10_3.NETWORK,
        *output_recurrence.NETWORKS,
        single_output.NETWORK,
        bidirectional.NETWORK,
        deep.NETWORK,
        lstm.NETWORK,
        gru.NETWORK,
    )
}
DEFAULT = fig_10_3.NETWORK.kind  # model.kind when a config does not say
LAYERS = deep.LAYERS  # model.layers when a config does not say


def network(kind: str, layers: int | None = None) -> Network:
    """The record of model.kind, at model.layers for a network with a depth."""
    found = NETWORKS[kind]
    return found if layers is None else found.at(layers)


def register(network: Network) -> None:
    """Add a network of one's own: from then on every command and the library take model.kind = network.kind."""
    if network.kind in NETWORKS:
        raise ValueError(f"model.kind {network.kind!r} is taken")
    NETWORKS[network.kind] = network
