"""Which entries and directions are perturbed, and the perturbed copies run in chunks: bounded memory, all cores."""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
from numpy.typing import NDArray

from gradcheck.engine.directions import Directions
from gradcheck.engine.model import BatchLosses, Index, Model

THREADS = min(2, os.cpu_count() or 1)


def chunked(losses: BatchLosses, rows: int, threads: int = THREADS) -> BatchLosses:
    """The same BatchLosses, evaluated at most `rows` perturbed copies at a time to bound memory.

    Chunks are independent, so `threads` of them run at once: numpy's tanh, exp and log run on one core
    each but release the GIL, so a second thread keeps the second core busy.
    """

    def evaluate(name: str, index: Index, shift: NDArray[Any]) -> NDArray[Any]:
        starts = range(0, len(index), rows)
        floating_point = np.geterr()  # numpy's error state is per thread: hand the caller's to the workers

        def chunk(k: int) -> NDArray[Any]:
            with np.errstate(**floating_point):
                return losses(name, index[k : k + rows], shift[k : k + rows])

        with ThreadPoolExecutor(max_workers=max(1, min(threads, len(starts)))) as pool:
            parts = list(pool.map(chunk, starts))
        return np.concatenate(parts) if parts else np.empty((0, 0))

    return evaluate


def sample_index(size: int, sample: int | str, rng: np.random.Generator) -> Index:
    """Every flat index, or `sample` distinct ones in increasing order (all if sample ≥ size)."""
    if sample == "all" or int(sample) >= size:
        return np.arange(size)
    return np.sort(rng.choice(size, size=int(sample), replace=False))


Counter = Callable[[str, int], None]  # (what, copies just evaluated): told of every chunk that finishes


def entry_losses(model: Model, memory_bytes: int, complex_step: bool, counter: Counter | None = None) -> BatchLosses:
    """The model's batched perturbed forward passes, chunked to `memory_bytes` in all on THREADS threads."""

    def losses(name: str, index: Index, shift: NDArray[Any]) -> NDArray[Any]:
        out = model.perturbed_losses(name, index, shift)
        if counter is not None:
            counter(name, len(index))
        return out

    def batched(name: str, index: Index, shift: NDArray[Any]) -> NDArray[Any]:
        rows = max(1, min(8192, memory_bytes // THREADS // model.row_bytes(name, complex_step)))
        return chunked(losses, rows)(name, index, shift)

    return batched


def direction_losses(model: Model, directions: dict[str, Directions], counter: Counter | None = None) -> BatchLosses:
    """BatchLosses along directions (dense or rank one): index k means direction k of `name`."""

    def losses(name: str, index: Index, shift: NDArray[Any]) -> NDArray[Any]:
        out = model.directional_losses(name, directions[name], index, shift)
        if counter is not None:
            counter(name, len(index))
        return out

    return losses
