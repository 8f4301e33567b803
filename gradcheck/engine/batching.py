"""Which entries and directions are perturbed, and the perturbed copies run in chunks: bounded memory, all cores."""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from gradcheck.engine.directions import Directions
from gradcheck.engine.model import BatchLosses, Index, Model

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


def chunked(losses: BatchLosses, rows: int, threads: int = THREADS) -> BatchLosses:
    """The same BatchLosses, evaluated at most `rows` perturbed copies at a time to bound memory.

    Chunks are independent, so `threads` of them run at once, one per core: numpy's products, tanh, exp and log
    release the GIL. While they do, BLAS is held to one thread (threadpoolctl): workers that each start a
    multi-threaded BLAS put several compute threads on every core, and on a busy machine that costs several times
    the work. A single chunk runs alone with BLAS as it is.
    """

    def evaluate(name: str, index: Index, shift: NDArray[Any]) -> NDArray[Any]:
        starts = range(0, len(index), rows)
        floating_point = np.geterr()  # numpy's error state is per thread: hand the caller's to the workers

        def chunk(k: int) -> NDArray[Any]:
            with np.errstate(**floating_point):
                return losses(name, index[k : k + rows], shift[k : k + rows])

        workers = max(1, min(threads, len(starts)))
        if workers == 1:
            parts = [chunk(k) for k in starts]
        else:
            from threadpoolctl import threadpool_limits

            with threadpool_limits(limits=1, user_api="blas"), ThreadPoolExecutor(max_workers=workers) as pool:
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
