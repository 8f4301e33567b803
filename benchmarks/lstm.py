"""The classic-size LSTM of configs/lstm-classic.toml: gradcheck's default full check against torch's full check.

torch's full check of it takes a quarter of an hour here, so it is timed on the inputs W, Wf and c only (the other
parameters held constant) and extrapolated per entry to all of them; BENCH_FULL=1 times it on every input instead.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from common import median_time

from gradcheck.check import loading
from gradcheck.check.problem import Problem, build
from gradcheck.check.run import run

LSTM_CONFIG = Path(__file__).resolve().parent.parent / "configs" / "lstm-classic.toml"
LSTM_SUBSET = ("W", "Wf", "c")  # the inputs torch's check is timed on, unless BENCH_FULL=1


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
