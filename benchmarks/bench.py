"""The same full gradient check, side by side in one run: gradcheck's methods, a naive one-entry-at-a-time
central loop in numpy, and torch.autograd.gradcheck (fast_mode False and True) on the same network in float64;
then the classic-size LSTM of configs/lstm-classic.toml, gradcheck's default check against torch's full one.

Run with `make bench` (it installs torch==2.13.0, CPU, into .venv first). Prints a table of medians and
ratios and writes benchmarks/RESULTS.md with the machine and the versions. torch's full check of the LSTM
takes a quarter of an hour here, so it is timed on the inputs W, Wf and c only (the other parameters held
constant) and extrapolated per entry to all of them; BENCH_FULL=1 times it on every input instead.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
import tracemalloc
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from gradcheck import __version__
from gradcheck.book import rnn
from gradcheck.check import config, loading
from gradcheck.check.problem import Problem, build
from gradcheck.check.run import run

SIZES = {"tiny": (4, 8, 4, 5), "small": (10, 20, 10, 10), "medium": (30, 50, 30, 20), "minchar": (65, 100, 65, 25)}
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
LSTM_CONFIG = Path(__file__).resolve().parent.parent / "configs" / "lstm-classic.toml"
LSTM_SUBSET = ("W", "Wf", "c")  # the inputs torch's check is timed on, unless BENCH_FULL=1


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


def naive_loop(problem: Problem) -> float:
    """One entry at a time: θ ± h, two full forward passes each (the copied CS231n snippet). Returns max rel err."""
    trace = rnn.forward(problem.params, problem.x, problem.y)
    grads = rnn.backward(problem.params, trace).params
    worst = 0.0
    for name, value in problem.params:
        if name == "h0":
            continue
        moved = value.copy()
        flat = moved.reshape(-1)
        for k in range(flat.size):
            old = flat[k]
            flat[k] = old + 1e-5
            plus = rnn.forward(problem.params.with_value(name, moved), problem.x, problem.y).loss
            flat[k] = old - 1e-5
            minus = rnn.forward(problem.params.with_value(name, moved), problem.x, problem.y).loss
            flat[k] = old
            a, n = grads[name].reshape(-1)[k], (plus - minus) / 2e-5
            worst = max(worst, abs(a - n) / max(abs(a), abs(n), 1e-300))
    return worst


def torch_check(problem: Problem, fast_mode: bool) -> bool:
    """torch.autograd.gradcheck on the same network and data, float64, all of U W V b c."""
    import torch

    x = torch.from_numpy(problem.x)
    y = torch.from_numpy(problem.y)
    h0 = torch.from_numpy(problem.params.h0)

    def loss(U: Any, W: Any, V: Any, b: Any, c: Any) -> Any:
        h, total = h0, torch.zeros((), dtype=torch.float64)
        for t in range(len(x)):
            h = torch.tanh(b + W @ h + U @ x[t])
            total = total - torch.log_softmax(c + V @ h, dim=0)[y[t]]
        return total

    inputs = tuple(torch.from_numpy(problem.params[n].copy()).requires_grad_(True) for n in ("U", "W", "V", "b", "c"))
    return bool(torch.autograd.gradcheck(loss, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, fast_mode=fast_mode))


def matmul_rate() -> float:
    """This machine's float64 matrix-product rate (flop/s), median over repeats, at the engine's shapes."""
    rng = np.random.default_rng(0)
    A, B = rng.standard_normal((2048, 100)), rng.standard_normal((100, 100))
    seconds, _ = median_time(lambda: [A @ B for _ in range(20)], 7)
    return 20 * 2 * 2048 * 100 * 100 / seconds


def forward_flops(I: int, H: int, O: int, tau: int) -> int:
    """Multiply-adds ×2 of one plain forward pass: W h, U x and V h per step."""
    return tau * 2 * (H * H + H * I + O * H)


def directional(H: int = 1024, IO: int = 256, tau: int = 10, K: int = 16) -> list[tuple[str, float, bool]]:
    """The large-model target: a K-direction check of ~1.3M parameters, with and without the error bound."""
    timings = []
    for tolerance in ("auto", "fixed"):
        cfg = problem_config(IO, H, IO, tau, directions=K, tolerance=tolerance)
        seconds, passed = median_time(lambda cfg=cfg: run(cfg).passed, 3)
        timings.append((tolerance, seconds, passed))
    return timings


def torch_lstm(problem: Problem, inputs: tuple[str, ...]) -> tuple[Callable[..., Any], tuple[Any, ...]]:
    """The common-variant LSTM (DESIGN.md §8) in torch, float64, with the problem's parameters and data: L as a
    function of the parameters named in `inputs` (the others constant), and those parameters' values."""
    import torch

    params = {name: torch.from_numpy(np.array(value)) for name, value in problem.params.items()}
    x, y = torch.from_numpy(problem.x), torch.from_numpy(problem.y)

    def loss(*moved: Any) -> Any:
        p = params | dict(zip(inputs, moved, strict=True))
        h = s = torch.zeros(p["b"].shape, dtype=torch.float64)
        total = torch.zeros((), dtype=torch.float64)
        for t in range(len(x)):
            f = torch.sigmoid(p["bf"] + p["Uf"] @ x[t] + p["Wf"] @ h)  # (10.40)
            g = torch.sigmoid(p["bg"] + p["Ug"] @ x[t] + p["Wg"] @ h)  # (10.42)
            q = torch.sigmoid(p["bq"] + p["Uq"] @ x[t] + p["Wq"] @ h)  # (10.44)
            z = torch.tanh(p["b"] + p["U"] @ x[t] + p["W"] @ h)  # cell input, common variant
            s = f * s + g * z  # (10.41)
            h = torch.tanh(s) * q  # (10.43)
            total = total - torch.log_softmax(p["c"] + p["V"] @ h, dim=0)[y[t]]  # (10.10–10.14)
        return total

    return loss, tuple(params[name].clone().requires_grad_(True) for name in inputs)


def lstm(repeats: int, full: bool) -> list[tuple[str, str, float, str]]:
    """configs/lstm-classic.toml: gradcheck's default full check (central, error bound) against torch's full check,
    timed on every input if `full`, else on LSTM_SUBSET and extrapolated per entry to all of them."""
    import torch

    cfg = loading.load(LSTM_CONFIG)
    problem = build(cfg)
    sizes = {name: int(np.size(value)) for name, value in problem.params.items()}
    P = sum(sizes.values())
    ours, result = median_time(lambda: run(cfg), repeats)
    inputs = tuple(sizes) if full else LSTM_SUBSET
    counted = sum(sizes[name] for name in inputs)
    loss, moved = torch_lstm(problem, inputs)
    agreement = abs(float(loss(*moved).detach()) - result.loss) / abs(result.loss)
    torch_seconds, passed = median_time(
        lambda: torch.autograd.gradcheck(loss, moved, eps=1e-6, atol=1e-5, rtol=1e-3, fast_mode=False), 1
    )
    theirs = torch_seconds / counted * P
    how = (
        f"measured on all {P:,} entries"
        if full
        else f"extrapolated: {torch_seconds:.1f} s measured on the {counted:,} entries of {', '.join(inputs)} "
        f"(others constant), × {P:,}/{counted:,}"
    )
    I, H, O, tau = cfg.sizes
    size = f"LSTM common (I={I}, H={H}, O={O}, τ={tau}; {P:,} entries)"
    verdict = "PASS" if result.passed else "FAIL"
    return [
        (
            size,
            "gradcheck central + error bound",
            ours,
            f"{theirs / ours:.1f}× faster than torch slow{'' if full else ' (its time extrapolated)'}; {verdict}; "
            f"median of {repeats}",
        ),
        (
            size,
            "torch gradcheck fast_mode=False",
            theirs,
            f"{how}; {'passed' if passed else 'failed'}; its L equals gradcheck's to {agreement:.0e}",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--sizes", default=",".join(SIZES), help="comma-separated subset of " + ", ".join(SIZES) + " (may be empty)"
    )
    parser.add_argument("--repeats", type=int, default=5, help="repeats of the fast methods (slow ones run fewer)")
    args = parser.parse_args()
    try:
        import torch
    except ImportError:
        torch = None  # type: ignore[assignment]
    rate = matmul_rate()
    rows: list[tuple[str, str, float, str]] = []
    for size in filter(None, args.sizes.split(",")):
        I, H, O, tau = SIZES[size]
        P = H * I + H * H + O * H + H + O
        slow = 1 if size in ("medium", "minchar") else 3
        timings: dict[str, float] = {}
        notes: dict[str, str] = {}
        for method in ("central", "richardson", "complex-step"):
            for tolerance in ("fixed", "auto") if method == "central" else ("fixed",):
                cfg = problem_config(I, H, O, tau, method=method, tolerance=tolerance)
                seconds, result = median_time(lambda cfg=cfg: run(cfg), args.repeats)
                key = f"gradcheck {method}" + (" + error bound" if tolerance == "auto" else "")
                timings[key] = seconds
                worst = max(r.max_rel_err for r in result.params)
                norm = max(r.norm_rel_err for r in result.params)
                notes[key] = f"max rel {worst:.1e}, norm rel {norm:.1e}, {'PASS' if result.passed else 'FAIL'}"
        tracemalloc.start()
        run(problem_config(I, H, O, tau, tolerance="fixed"))
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        notes["gradcheck central"] += f", peak {peak / 2**20:.0f} MiB"
        problem = build(problem_config(I, H, O, tau))
        timings["naive numpy loop"], worst = median_time(lambda problem=problem: naive_loop(problem), slow)
        notes["naive numpy loop"] = f"max rel {worst:.1e} (ε = 1e-5)"
        if torch is not None:
            for fast in (False, True):
                key = f"torch gradcheck fast_mode={fast}"
                timings[key], ok = median_time(
                    lambda problem=problem, fast=fast: torch_check(problem, fast), slow if not fast else 3
                )
                notes[key] = "passed" if ok else "failed"
        bound = 2 * P * forward_flops(I, H, O, tau) / rate
        timings["2P forward passes at the matmul rate"] = bound
        notes["2P forward passes at the matmul rate"] = f"P = {P:,} entries, {rate / 1e9:.1f} GFLOP/s"
        torch_slow = timings.get("torch gradcheck fast_mode=False")
        for key, seconds in timings.items():
            ratios = [
                f"{torch_slow / seconds:.1f}× faster than torch slow" if torch_slow else "",
                f"{seconds / bound:.2f}× the 2P bound",
            ]
            rows.append(
                (
                    f"{size} (I={I}, H={H}, O={O}, τ={tau})",
                    key,
                    seconds,
                    "; ".join(r for r in ratios if r) + f"; {notes.get(key, '')}",
                )
            )
    for tolerance, seconds, passed in directional():
        what = "gradcheck central, K = 16 directions" + (" + error bound" if tolerance == "auto" else "")
        rows.append(("H=1024, I=O=256, τ=10 (1.32M entries)", what, seconds, "PASS" if passed else "FAIL"))
    if torch is not None:
        rows += lstm(3, os.environ.get("BENCH_FULL") == "1")
    report(rows, torch.__version__ if torch is not None else "not installed")


def report(rows: list[tuple[str, str, float, str]], torch_version: str) -> None:
    """Print the table and write RESULTS.md."""
    cpu = (
        next(
            (
                line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")
            ),
            platform.processor(),
        )
        if Path("/proc/cpuinfo").exists()
        else platform.processor()
    )
    header = [
        f"# gradcheck benchmark ({date.today().isoformat()})",
        "",
        f"Machine: {cpu}, {os.cpu_count()} cores; Python {platform.python_version()}, numpy {np.__version__}, "
        f"torch {torch_version}, gradcheck {__version__}. Medians of repeated runs in one process "
        "(the slow baselines at medium and minchar size run once). Full check of U, W, V, b, c in float64; "
        "the LSTM rows check every LSTM parameter, torch's LSTM check runs once.",
        "",
        "| size | what | median (s) | ratios and accuracy |",
        "|---|---|---:|---|",
    ]
    lines = [f"| {size} | {what} | {seconds:.4f} | {note} |" for size, what, seconds, note in rows]
    text = "\n".join(header + lines) + "\n"
    print(text)
    RESULTS.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
