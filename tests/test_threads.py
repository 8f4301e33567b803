"""One compute thread per core: worker threads run BLAS single-threaded, and the worker count follows the cores the
process may use (affinity, cgroup quota). No timing here: the machine is shared; `make bench` measures the effect."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_info

from gradcheck.engine import batching


def _blas_threads() -> set[int]:
    return {lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"}


def test_workers_run_blas_on_one_thread_and_a_single_chunk_keeps_it_as_it_is():
    seen: list[set[int]] = []

    def losses(name: str, index: np.ndarray, shift: np.ndarray) -> np.ndarray:
        seen.append(_blas_threads())
        return np.zeros((len(index), 1))

    before = _blas_threads()
    batching.chunked(losses, rows=2, threads=2)("W", np.arange(8), np.ones(8))
    assert seen and all(threads == {1} for threads in seen)
    assert _blas_threads() == before  # restored afterwards
    seen.clear()
    batching.chunked(losses, rows=100, threads=2)("W", np.arange(8), np.ones(8))
    assert seen == [before]


@pytest.mark.parametrize(("text", "cores"), [("150000 100000\n", 2), ("100000 100000", 1), ("max 100000", 64), ("junk", 64)])
def test_a_cgroup_quota_caps_the_cores(monkeypatch, tmp_path: Path, text, cores):
    path = tmp_path / "cpu.max"
    path.write_text(text)
    monkeypatch.setattr(batching, "CGROUP_CPU", path)
    monkeypatch.setattr(batching.os, "sched_getaffinity", lambda pid: set(range(64)))
    assert batching.available_cores() == cores


def test_affinity_caps_the_cores(monkeypatch, tmp_path: Path):
    monkeypatch.setattr(batching, "CGROUP_CPU", tmp_path / "none")
    monkeypatch.setattr(batching, "CGROUP_V1", (tmp_path / "q", tmp_path / "p"))
    monkeypatch.setattr(batching.os, "sched_getaffinity", lambda pid: {3})
    assert batching.available_cores() == 1
