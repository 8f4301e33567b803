"""What the benchmark sections share: the benchmark network's config, medians of repeated runs, the GEMM rate."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from gradcheck.check import config


def problem_config(I: int, H: int, O: int, tau: int, **check: Any) -> config.Config:
    """The benchmark network: one-hot inputs, init_std = 1/√H (so W h(t−1) stays of order 1)."""
    model = {"input_size": I, "hidden_size": H, "output_size": O, "init_std": float(1 / np.sqrt(H))}
    return config.validate({"model": model, "data": {"length": tau, "seed": 0}, "check": check})


def median_time(work: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    """Median wall time of `repeats` runs, and the last run's result."""
    times, out = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        out = work()
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def matmul_rate() -> float:
    """This machine's float64 matrix-product rate (flop/s), median over repeats, at the engine's shapes."""
    rng = np.random.default_rng(0)
    A, B = rng.standard_normal((2048, 100)), rng.standard_normal((100, 100))
    seconds, _ = median_time(lambda: [A @ B for _ in range(20)], 7)
    return 20 * 2 * 2048 * 100 * 100 / seconds


def forward_flops(I: int, H: int, O: int, tau: int) -> int:
    """Multiply-adds ×2 of one plain forward pass: W h, U x and V h per step."""
    return tau * 2 * (H * H + H * I + O * H)
