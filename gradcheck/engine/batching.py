"""Which entries and directions are perturbed, and the perturbed copies run in chunks: bounded memory, all cores."""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray

from gradcheck.engine.directions import Directions
from gradcheck.engine.model import BatchLosses, Index, Mixes, Model, Move

CGROUP_CPU = Path("/sys/fs/cgroup/cpu.max")  # cgroup v2: "quota period" or "max period"
CGROUP_V1 = (Path("/sys/fs/cgroup/cpu/cpu.cfs_quota_us"), Path("/sys/fs/cgroup/cpu/cpu.cfs_period_us"))


def available_cores() -> int:
    """The cores this process may use: its CPU affinity, capped by a cgroup CPU quota (a container or CI runner
    given 2 CPUs of a 64-core host gets 2)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, min(cores, _cgroup_quota(cores)))


def _cgroup_quota(default: int) -> int:
    """CPU quota / period, rounded up, from cgroup v2 or v1; `default` where there is none or it cannot be read."""
    try:
        if CGROUP_CPU.exists():
            quota, period = CGROUP_CPU.read_text().split()[:2]
        else:
            quota, period = (path.read_text().strip() for path in CGROUP_V1)
        if quota in ("max", "-1"):
            return default
        return max(1, math.ceil(int(quota) / int(period)))
    except (OSError, ValueError):
        return default


THREADS = available_cores()  # one compute thread per core: the workers run with one BLAS thread each
PER_WORKER = 4  # chunks per worker a batch is cut into at least: a worker slowed by other jobs on its core does less
MIN_ROWS = 32  # but no chunk smaller than this (a product of fewer rows reads its matrix for little work)
MIN_BYTES = 2**20  # nor one whose copies hold less: on a small network a thread costs more than it saves

T = TypeVar("T")


def parallel(tasks: Sequence[Callable[[], T]], threads: int = THREADS) -> list[T]:
    """The tasks' results in order, run on up to `threads` workers, one per core, with BLAS held to one thread.

    numpy's products, tanh, exp and log release the GIL, so the workers compute at once. BLAS runs single-threaded
    even for a lone task: its own threads meet at a barrier inside every product, and on a core shared with another
    job that barrier waits for a descheduled thread (a check beside one CPU-burning process took 4.4x its quiet time).
    Parallelism comes from the tasks instead, handed out as workers free up, so a slowed worker simply does fewer. The
    workers and the BLAS controller are made once per process: a small check makes many small batches.
    """
    with _blas().limit(limits=1, user_api="blas"):
        if min(threads, len(tasks)) <= 1:
            return [task() for task in tasks]
        return list(_pool(threads).map(lambda task: task(), tasks))


@cache
def _blas() -> Any:
    """threadpoolctl's view of the BLAS libraries loaded (finding them reads the process's maps: done once)."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


@cache
def _pool(threads: int) -> ThreadPoolExecutor:
    """`threads` worker threads kept for the life of the process (idle ones cost nothing; they end with it)."""
    return ThreadPoolExecutor(max_workers=threads, thread_name_prefix="gradcheck")


def chunk_rows(count: int, rows: int, threads: int = THREADS, row_bytes: int = 0) -> int:
    """Rows per chunk for `count` copies, at most `rows` at a time: PER_WORKER chunks per worker where every chunk
    keeps MIN_ROWS and MIN_BYTES of copies (row_bytes each: a small network's chunk must be worth a thread's while),
    else fewer (a multiple of the workers, so none waits at the end), and at least one per worker while a chunk keeps
    max(8, half of that) rows."""
    least = max(MIN_ROWS, MIN_BYTES // row_bytes) if row_bytes > 0 else MIN_ROWS
    chunks = min(PER_WORKER * threads, max(1, count // least))
    if chunks < threads:
        chunks = threads if count >= threads * max(8, least // 2) else 1
    else:
        chunks -= chunks % threads
    return max(1, min(rows, math.ceil(count / chunks)))


def chunked(losses: BatchLosses, rows: int, threads: int = THREADS, row_bytes: int = 0) -> BatchLosses:
    """The same BatchLosses, evaluated at most `rows` perturbed copies at a time to bound memory, the chunks on
    `threads` workers (see `parallel`)."""

    def evaluate(name: str, index: Index, shift: NDArray[Any]) -> NDArray[Any]:
        size = chunk_rows(len(index), rows, threads, row_bytes)
        floating_point = np.geterr()  # numpy's error state is per thread: hand the caller's to the workers

        def chunk(k: int) -> Callable[[], NDArray[Any]]:
            def run() -> NDArray[Any]:
                with np.errstate(**floating_point):
                    return losses(name, index[k : k + size], shift[k : k + size])

            return run

        parts = parallel([chunk(k) for k in range(0, len(index), size)], threads)
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
        row_bytes = model.row_bytes(name, complex_step)
        rows = max(1, min(8192, memory_bytes // THREADS // row_bytes))
        return chunked(losses, rows, row_bytes=row_bytes)(name, index, shift)

    return batched


JOINT = "directions"  # what a joint BatchLosses over every parameter's directions is called


def direction_losses(model: Model, directions: dict[str, Directions], counter: Counter | None = None) -> BatchLosses:
    """BatchLosses along directions (dense or rank one): index k means direction k of `name`."""

    def losses(name: str, index: Index, shift: NDArray[Any]) -> NDArray[Any]:
        return _mixed(model, [(name, directions[name])], np.zeros(len(index), dtype=np.intp), index, shift, counter)

    return losses


def joint_direction_losses(
    model: Model, directions: dict[str, Directions], counter: Counter | None = None
) -> tuple[BatchLosses, dict[str, Index]]:
    """One BatchLosses over every parameter's directions at once (its name is ignored), and the rows of each parameter
    in its index: row r is direction k[r] of parameter owner[r]. Every parameter's copies run in the same batches, so
    a large W is read once per step per chunk however many parameters there are."""
    names = list(directions)
    owner = np.repeat(np.arange(len(names)), [len(directions[name]) for name in names]).astype(np.intp)
    k = np.concatenate([np.arange(len(directions[name])) for name in names]) if names else np.zeros(0, dtype=np.intp)
    groups = [(name, directions[name]) for name in names]

    def losses(_: str, index: Index, shift: NDArray[Any]) -> NDArray[Any]:
        return _mixed(model, groups, owner[index], k[index], shift, counter)

    return losses, {name: np.flatnonzero(owner == m) for m, name in enumerate(names)}


def along_each(model: Model, moves: Sequence[Move]) -> list[NDArray[Any]]:
    """Per-term losses (R, T) of each move's copies, all of them in the same balanced batches."""
    if not moves:
        return []
    owner = np.repeat(np.arange(len(moves)), [len(move.k) for move in moves]).astype(np.intp)
    k, shift = np.concatenate([move.k for move in moves]), np.concatenate([move.shift for move in moves])
    stacked = _mixed(model, [(move.name, move.D) for move in moves], owner, k, shift)
    return [stacked[owner == m] for m in range(len(moves))]


def _mixed(
    model: Model,
    groups: list[tuple[str, Directions]],
    owner: Index,
    k: Index,
    shift: NDArray[Any],
    counter: Counter | None = None,
) -> NDArray[Any]:
    """Per-term losses of copies r = 0..R−1, copy r moving parameter groups[owner[r]] by shift[r] along its direction
    k[r], in balanced chunks on THREADS workers: each chunk one batch of mixed copies where the model can mix
    parameters, else a batch per parameter."""
    row_bytes = max(model.row_bytes(name, np.iscomplexobj(shift)) for name, _ in groups)
    size = chunk_rows(len(owner), max(1, len(owner)), row_bytes=row_bytes)
    floating_point = np.geterr()  # numpy's error state is per thread: hand the caller's to the workers

    def chunk(first: int) -> Callable[[], NDArray[Any]]:
        rows = slice(first, first + size)
        mine, kk, ss = owner[rows], k[rows], shift[rows]
        moves = [
            Move(groups[m][0], groups[m][1], kk[mine == m], ss[mine == m]) for m in np.flatnonzero(np.bincount(mine))
        ]  # not np.unique: it imports numpy.ma

        def run() -> NDArray[Any]:
            with np.errstate(**floating_point):
                if isinstance(model, Mixes):
                    grouped = model.mixed_directional_losses(moves)
                else:
                    grouped = np.concatenate([model.directional_losses(*move) for move in moves])
            if counter is not None:
                for move in moves:
                    counter(move.name, len(move.k))
            out = np.empty_like(grouped)
            out[np.argsort(mine, kind="stable")] = grouped  # rows back from grouped by parameter to their own order
            return out

        return run

    parts = parallel([chunk(first) for first in range(0, len(owner), size)])
    return np.concatenate(parts) if parts else np.empty((0, 0))
