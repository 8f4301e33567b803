"""Every method side by side at four sizes, in one process: gradcheck (with and without the error bound), a naive
one-entry-at-a-time numpy loop, torch.autograd.gradcheck (fast_mode False and True) on the same float64 network, and
the bound of 2P plain forward passes at this machine's GEMM rate. torch's slow mode runs in-process here up to the
medium size; at minchar size the whole-process comparison (bench.py) is the one that counts.
"""

from __future__ import annotations

import tracemalloc
from typing import Any

from common import forward_flops, median_time, problem_config

from gradcheck.book import rnn
from gradcheck.check.problem import Problem, build
from gradcheck.check.run import run

SIZES = {"tiny": (4, 8, 4, 5), "small": (10, 20, 10, 10), "medium": (30, 50, 30, 20), "minchar": (65, 100, 65, 25)}
TORCH_IN_PROCESS = ("tiny", "small", "medium")


def naive_loop(problem: Problem) -> float:
    """One entry at a time: θ ± h, two full forward passes each (the copied CS231n snippet). Returns max rel err."""
    params = rnn.Params(**problem.params)
    trace = rnn.forward(params, problem.x, problem.y)
    grads = rnn.backward(params, trace).params
    worst = 0.0
    for name, value in params:
        if name == "h0":
            continue
        moved = value.copy()
        flat = moved.reshape(-1)
        for k in range(flat.size):
            old = flat[k]
            flat[k] = old + 1e-5
            plus = rnn.forward(params.with_value(name, moved), problem.x, problem.y).loss
            flat[k] = old - 1e-5
            minus = rnn.forward(params.with_value(name, moved), problem.x, problem.y).loss
            flat[k] = old
            a, n = grads[name].reshape(-1)[k], (plus - minus) / 2e-5
            worst = max(worst, abs(a - n) / max(abs(a), abs(n), 1e-300))
    return worst


def torch_check(problem: Problem, fast_mode: bool) -> bool:
    """torch.autograd.gradcheck on the same network and data, float64, all of U W V b c."""
    import torch

    x = torch.from_numpy(problem.x)
    y = torch.from_numpy(problem.y)
    h0 = torch.from_numpy(problem.params["h0"])

    def loss(U: Any, W: Any, V: Any, b: Any, c: Any) -> Any:
        h, total = h0, torch.zeros((), dtype=torch.float64)
        for t in range(len(x)):
            h = torch.tanh(b + W @ h + U @ x[t])
            total = total - torch.log_softmax(c + V @ h, dim=0)[y[t]]
        return total

    inputs = tuple(torch.from_numpy(problem.params[n].copy()).requires_grad_(True) for n in ("U", "W", "V", "b", "c"))
    return bool(torch.autograd.gradcheck(loss, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, fast_mode=fast_mode))


Row = tuple[str, str, float, str]


def method_rows(size: str, rate: float, repeats: int, with_torch: bool) -> list[Row]:
    """The rows of one size: gradcheck's methods, the naive loop, torch in-process where it is quick, the 2P bound."""
    I, H, O, tau = SIZES[size]
    P = H * I + H * H + O * H + H + O
    slow = 1 if size in ("medium", "minchar") else 3
    timings: dict[str, float] = {}
    notes: dict[str, str] = {}
    for method in ("central", "richardson", "complex-step"):
        for tolerance in ("fixed", "auto") if method == "central" else ("fixed",):
            cfg = problem_config(I, H, O, tau, method=method, tolerance=tolerance)
            seconds, result = median_time(lambda cfg=cfg: run(cfg), repeats)
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
    timings["naive numpy loop"], worst = median_time(lambda: naive_loop(problem), slow)
    notes["naive numpy loop"] = f"max rel {worst:.1e} (ε = 1e-5)"
    if with_torch and size in TORCH_IN_PROCESS:
        for fast in (False, True):
            key = f"torch gradcheck fast_mode={fast}"
            timings[key], ok = median_time(lambda fast=fast: torch_check(problem, fast), slow if not fast else 3)
            notes[key] = "passed" if ok else "failed"
    bound = 2 * P * forward_flops(I, H, O, tau) / rate
    timings["2P forward passes at the matmul rate"] = bound
    notes["2P forward passes at the matmul rate"] = f"P = {P:,} entries, {rate / 1e9:.1f} GFLOP/s"
    torch_slow = timings.get("torch gradcheck fast_mode=False")
    rows = []
    for key, seconds in timings.items():
        ratios = [
            f"{torch_slow / seconds:.1f}× faster than torch slow" if torch_slow else "",
            f"{seconds / bound:.2f}× the 2P bound",
        ]
        ratio_text = "; ".join(r for r in ratios if r)
        rows.append((f"{size} (I={I}, H={H}, O={O}, τ={tau})", key, seconds, f"{ratio_text}; {notes.get(key, '')}"))
    return rows
