"""What a check will need, estimated from the config before anything is allocated; refusing what will not fit."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

from gradcheck.check.config import Config
from gradcheck.engine.batching import THREADS
from gradcheck.engine.methods import RULES, Method
from gradcheck.engine.models import rank_one
from gradcheck.engine.network import TEMPORARIES
from gradcheck.engine.rnn import row_bytes
from gradcheck.errors import GradcheckError


@dataclass(frozen=True)
class Resources:
    """What a check will need, estimated from the config alone (before anything is allocated).

    memory: bytes at the peak (parameters and gradients, data and trace, the batched copies, directions);
    parameters: the part of it that is parameters and gradients; passes: perturbed forward passes.
    """

    memory: int
    parameters: int
    passes: int


def resources(config: Config) -> Resources:
    """Estimate memory and forward passes of `gradcheck run` on this config, in O(1) time whatever the sizes."""
    I, H, O, tau = config.sizes
    check = config.check
    complex_step = check.method is Method.COMPLEX_STEP
    network = config.network
    shapes = {name: math.prod(shape) for name, shape in network.shapes(I, H, O).items()}
    if rank_one(network):
        row = max(row_bytes(name, I, H, O, tau, complex_step) for name in ("W", "V"))
    else:  # a perturbed copy of another network is a whole copy of its parameters, and its nodes' temporaries
        row = (16 if complex_step else 8) * (sum(shapes.values()) + TEMPORARIES * tau * (config.model.layers * H + O))
    parameters = 8 * 3 * sum(shapes.values())  # values, gradients and one working copy
    data = 8 * tau * (I + 6 * (H + O))  # x, the trace (a, h, o, ŷ, log ŷ) and BPTT's intermediate gradients
    working = THREADS * max(check.memory_bytes // THREADS, row)
    sizes = {name: shapes[name] for name in config.checked_params}
    if check.equations:
        sizes |= {"o": tau * O, "h": tau * H}
    per_entry = RULES[check.method].passes_per_entry(with_bound=not config.fixed_tolerance)
    if check.directions:
        directions = 8 * check.directions * sum(shapes[name] for name in config.checked_params) * (2 if complex_step else 1)
        passes = check.directions * per_entry * len(config.checked_params)
        return Resources(parameters + data + working + directions, parameters, passes)
    checked = sum(n if check.sample == "all" else min(n, int(check.sample)) for n in sizes.values())
    results = 8 * 8 * checked  # index, estimates, steps, bounds, comparison temporaries
    return Resources(parameters + data + working + results, parameters, per_entry * checked)


def default_max_memory() -> int:
    """Half of this machine's physical memory (8 GiB where it cannot be read)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2
    except (ValueError, OSError, AttributeError):
        return 8 * 2**30


def human_bytes(size: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"):
        if size < 1024 or unit == "EiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def guard(config: Config, max_memory: int, source: str, sizes_advice: str | None = None) -> Resources:
    """Refuse, before allocating anything, a check that would need more than max_memory bytes."""
    need = resources(config)
    if need.memory > max_memory:
        I, H, O, tau = config.sizes
        advice = sizes_advice or "lower model.hidden_size or model.input_size / output_size"
        if need.parameters < max_memory // 2:
            advice = "check fewer entries (sample = N, or directions = K for large models), or lower check.memory_mb"
        raise GradcheckError(
            f"{source}: this check needs about {human_bytes(need.memory)} of memory "
            f"(parameters and gradients {human_bytes(need.parameters)}, I = {I}, H = {H}, O = {O}, τ = {tau}; "
            f"{need.passes:,} forward passes) but --max-memory is {human_bytes(max_memory)}: {advice}"
        )
    return need
