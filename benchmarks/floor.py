"""The hardware floor of a check: the bare batched forward passes it needs, timed on this machine.

A check of Fig. 10.3 asks the engine for perturbed copies in chunks (batching.chunked). `record` runs the check once
and writes down every chunk: which parameter, how many copies, and how many of them are running at each step (a copy
starts at the first step its entry can change anything). `floor` then replays exactly those copies × steps at the same
batch sizes, on the same threads with one BLAS thread each, as the leanest numpy forward there is — preallocated
buffers, in-place tanh and log-sum-exp, no perturbation at all:

- a copy of U, W, b, h(0) or h(t) runs the recurrence: per step one (n×H)·(H×H) product, the input term, tanh, one
  (n×H)·(H×O) product and the log-sum-exp of its logits (10.8–10.14);
- a copy of V, c or o(t) leaves h(t) alone: its τ logit rows' log-sum-exp (10.11–10.14), no recurrence.

What the check spends above this (rank-one corrections, bookkeeping, the backward pass, the error bound's decisions,
the comparison, the report) is its overhead over the floor.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from threadpoolctl import threadpool_limits

from gradcheck.book.rnn import Params
from gradcheck.check.config import Config
from gradcheck.check.problem import build
from gradcheck.check.run import run
from gradcheck.engine import batching
from gradcheck.engine import rnn as engine

OUTPUT_ONLY = ("V", "c", "o")


@dataclass(frozen=True)
class Chunk:
    """One batched call: `copies` perturbed networks of parameter `name`; running[t] of them active at step t."""

    name: str
    copies: int
    running: NDArray[np.intp]
    complex_step: bool


@contextmanager
def recording() -> Iterator[list[Chunk]]:
    """Every chunk the Fig. 10.3 engine evaluates inside the block."""
    chunks: list[Chunk] = []
    original = engine.TanhRNN.perturbed_losses

    def record(model: engine.TanhRNN, name: str, index: Any, shift: Any) -> Any:
        tau = len(model.x)
        if name in OUTPUT_ONLY:
            running = np.full(tau, len(index), dtype=np.intp)
        else:
            start = np.sort(engine.first_change(model.point, model.x, name, index))
            running = np.searchsorted(start, np.arange(tau), side="right").astype(np.intp)
        chunks.append(Chunk(name, len(index), running, np.iscomplexobj(shift)))
        return original(model, name, index, shift)

    engine.TanhRNN.perturbed_losses = record  # type: ignore[method-assign]
    try:
        yield chunks
    finally:
        engine.TanhRNN.perturbed_losses = original  # type: ignore[method-assign]


def record(config: Config) -> list[Chunk]:
    """The chunks one run of the check evaluates."""
    with recording() as chunks:
        run(config)
    return list(chunks)


def floor(config: Config, chunks: list[Chunk], repeats: int = 5) -> float:
    """Median seconds of the bare batched forward passes of `chunks` (see the module docstring), on THREADS threads
    with one BLAS thread each when there is more than one chunk, as the engine runs them."""
    problem = build(config)
    p = Params(**problem.params)
    base = p.b + problem.x @ p.U.T  # the input term of every step, as the engine computes it once per call
    WT, VT, c, y = p.W.T.copy(), p.V.T.copy(), p.c, problem.y
    h_clean = engine.forward(p, problem.x, problem.y).h

    def recurrent(chunk: Chunk) -> None:
        n_max, dtype = chunk.copies, complex if chunk.complex_step else float
        h = np.zeros((n_max, len(p.b)), dtype=dtype)
        a, o = np.empty_like(h), np.empty((n_max, len(c)), dtype=dtype)
        for t, n in enumerate(chunk.running):
            if n == 0:
                continue
            engine._times(h[:n], WT, out=a[:n])  # (10.8)
            a[:n] += base[t]
            np.tanh(a[:n], out=h[:n])  # (10.9)
            engine._times(h[:n], VT, out=o[:n])  # (10.10)
            o[:n] += c
            engine._nll_in_place(o[:n], y[t])  # (10.11–10.14)

    def output_only(chunk: Chunk) -> None:
        dtype = complex if chunk.complex_step else float
        logits = (h_clean @ VT + c).astype(dtype)  # (τ, O), shared: the floor does not even compute per-copy logits
        o = np.empty((chunk.copies, len(c)), dtype=dtype)
        for t in range(len(y)):
            o[:] = logits[t]
            engine._nll_in_place(o, y[t])  # (10.11–10.14)

    def replay(chunk: Chunk) -> None:
        (output_only if chunk.name in OUTPUT_ONLY else recurrent)(chunk)

    def all_chunks() -> None:
        if len(chunks) == 1:
            replay(chunks[0])
            return
        with threadpool_limits(limits=1, user_api="blas"), ThreadPoolExecutor(batching.THREADS) as pool:
            list(pool.map(replay, chunks))

    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        all_chunks()
        times.append(time.perf_counter() - start)
    return float(np.median(times))
