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


def test_workers_run_blas_on_one_thread_even_a_lone_chunk():
    """BLAS's own threads meet at a barrier in every product, which a core shared with another job stalls: the check
    runs BLAS single-threaded and takes its parallelism from chunks."""
    seen: list[set[int]] = []

    def losses(name: str, index: np.ndarray, shift: np.ndarray) -> np.ndarray:
        seen.append(_blas_threads())
        return np.zeros((len(index), 1))

    before = _blas_threads()
    batching.chunked(losses, rows=2, threads=2)("W", np.arange(8), np.ones(8))
    assert len(seen) == 4 and all(threads == {1} for threads in seen)
    assert _blas_threads() == before  # restored afterwards
    seen.clear()
    batching.chunked(losses, rows=100, threads=2)("W", np.arange(8), np.ones(8))
    assert seen == [{1}]


@pytest.mark.parametrize(
    ("count", "rows", "threads", "row_bytes", "size"),
    [
        (8, 100, 2, 0, 8),
        (1000, 8192, 2, 0, 125),
        (1000, 50, 2, 0, 50),
        (20000, 5907, 2, 5720, 2500),  # minchar's W copies: 8 chunks
        (160, 8192, 2, 204800, 40),  # a large directional check: 4 chunks
        (45, 8192, 2, 0, 23),
        (800, 8192, 2, 1120, 800),  # a small network's W copies: not worth a second thread
        (3000, 8192, 2, 1120, 1500),
    ],
)
def test_a_batch_is_cut_into_chunks_a_slowed_worker_can_leave_to_the_others(count, rows, threads, row_bytes, size):
    """PER_WORKER chunks per worker where MIN_ROWS and MIN_BYTES allow, a multiple of the workers otherwise, never
    more rows than the memory budget's."""
    assert batching.chunk_rows(count, rows, threads, row_bytes) == size


def test_copies_of_several_parameters_come_back_in_their_own_order():
    """joint_direction_losses and along_each cut rows of several parameters into chunks and put them back."""
    from gradcheck.check import config
    from gradcheck.check.problem import build
    from gradcheck.engine.directions import random_directions

    problem = build(config.validate({"model": {"h0": "random"}}))
    model, rng = problem.model(), np.random.default_rng(0)
    directions = {name: random_directions(rng, 7, np.shape(problem.params[name])) for name in ("W", "b", "V", "U", "c")}
    joint, rows = batching.joint_direction_losses(model, directions)
    index = rng.permutation(35)
    shift = rng.uniform(-0.1, 0.1, 35)
    together = joint("ignored", index, shift)
    owner = np.repeat(list(rows), 7)
    for r, i in enumerate(index):
        name = owner[i]
        expected = model.directional_losses(name, directions[name], np.array([i - rows[name][0]]), shift[r : r + 1])
        np.testing.assert_allclose(together[r], expected[0], rtol=1e-13)


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
