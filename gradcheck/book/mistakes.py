"""Mistakes found in real BPTT code beyond the bug catalogue: each a backward pass, parameterised where it has a knob.

The diagnosis of a user's failing gradient compares it with every catalogued bug (bugs.py, or the network module's)
and with these, at the same point: a match to round-off names the mistake. Parameter gradients only: what these do
to ∇h(t)L is not one well-defined array (a truncated sweep, for example, has one ∇h(t)L per loss term).
bptt_mistakes are Fig. 10.3's loop written wrong; scale_mistakes (a factor, clipping) fit any network's gradient.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from gradcheck.book import rnn
from gradcheck.book.rnn import Params, Trace

MAX_TRUNCATION_TAU = 200  # truncation after k steps is tried for every k < τ up to this τ (τ³ work)


@dataclass(frozen=True)
class Mistake:
    """A wrong backward pass at one point: its name, what it is in words, and the gradients it gives."""

    name: str
    summary: str
    explanation: str
    params: Mapping[str, NDArray[np.float64]]


def truncated(params: Params, trace: Trace, k: int) -> Params:
    """BPTT cut after k steps: each L(s) is sent back through h(s), …, h(s − k) only (10.21 applied k times)."""
    g_o, dtanh = rnn.grad_o(trace.y_hat, trace.y), rnn.tanh_derivative(trace)
    h_prev = trace.h_prev
    grads = {name: np.zeros_like(value) for name, value in params}
    for s in range(len(g_o)):
        g_h = g_o[s] @ params.V  # (10.19) for L(s) alone
        for t in range(s, max(s - k, 0) - 1, -1):
            delta = dtanh[t] * g_h
            grads["b"] += delta  # (10.23)
            grads["W"] += np.outer(delta, h_prev[t])  # (10.26)
            grads["U"] += np.outer(delta, trace.x[t])  # (10.28)
            g_h = params.W.T @ delta  # (10.21), one step further back
            if t == 0:
                grads["h0"] += g_h
    grads["V"], grads["c"] = g_o.T @ trace.h, g_o.sum(axis=0)  # (10.24), (10.22): untouched by the cut
    return Params(**grads)


def forwards_in_time(params: Params, trace: Trace) -> Params:
    """The BPTT loop run t = 1..τ: ∇h(t)L takes Wᵀ diag(1 − h(t−1)²) ∇h(t−1)L, the step before, not after."""
    g_o, dtanh = rnn.grad_o(trace.y_hat, trace.y), rnn.tanh_derivative(trace)
    from_output = g_o @ params.V
    g_h = np.empty_like(from_output)
    carried = np.zeros(from_output.shape[1])
    for t in range(len(g_h)):
        g_h[t] = from_output[t] + carried  # 10.21 with t + 1 replaced by t − 1
        carried = params.W.T @ (dtanh[t] * g_h[t])
    return rnn.param_grads(params, trace, g_o, g_h, dtanh)


def bptt_mistakes(params: Params, trace: Trace) -> Iterator[Mistake]:
    """Fig. 10.3's BPTT loop written wrong, at the point: run forwards in time, or truncated after k steps."""
    tau = len(trace.h)
    yield Mistake(
        "forwards-in-time",
        "the BPTT loop run forwards in time",
        "10.21 carries ∇h(t+1)L back into step t, so the loop must run t = τ down to 1; run upwards, each step "
        "receives the gradient of the step before it instead of the one after.",
        dict(forwards_in_time(params, trace)),
    )
    if tau <= MAX_TRUNCATION_TAU:
        for k in range(1, tau - 1):
            yield Mistake(
                "truncated-k",
                f"BPTT truncated after k = {k} step{'s' * (k > 1)}",
                f"each L(t) is sent back through only {k} earlier step{'s' * (k > 1)} (truncated BPTT): the gradient "
                "of the loss as written keeps every step back to t = 1 (10.21 down to h(1)).",
                dict(truncated(params, trace, k)),
            )


SCALINGS = (  # (factor or None for 1/terms, name, summary, why)
    (
        0.5,
        "half",
        "every gradient half the right size",
        "a factor 2 is missing (a ½ in the loss, or a 2 of a squared error dropped): scale the gradient, or the loss, "
        "so that they match.",
    ),
    (
        2.0,
        "double",
        "every gradient twice the right size",
        "a factor 2 too many: the loss or the gradient counts something twice.",
    ),
    (
        1 / math.log(2),
        "bits-vs-nats",
        "every gradient 1/ln 2 times the right size",
        "a loss in bits (log₂) with a gradient in nats, or the other way round: 10.12–10.14 use the natural log.",
    ),
    (
        math.log(2),
        "bits-vs-nats",
        "every gradient ln 2 times the right size",
        "a loss in nats with a gradient in bits: 10.12–10.14 use the natural log on both sides.",
    ),
    (
        None,
        "mean-over-t",
        "every gradient divided by τ",
        "the gradient of the mean loss over t while L = Σ_t L(t) (10.13): either is fine, but the loss and its "
        "gradient must be the same one.",
    ),
)


def scale_mistakes(clean: Mapping[str, NDArray[np.float64]], terms: int, clip: float | None) -> Iterator[Mistake]:
    """The right gradients scaled by a factor people get wrong, or clipped. terms: the loss terms L(t) summed (no
    mean over t for a single output); clip: the largest |entry| of the user's gradients, the bound a clipping
    backward would have used."""
    for factor, name, summary, why in SCALINGS:
        if factor is None and terms == 1:
            continue
        scale = 1 / terms if factor is None else factor
        yield Mistake(name, summary, why, {key: scale * value for key, value in clean.items()})
    if clip is not None and clip > 0 and any(np.any(np.abs(value) > clip) for value in clean.values()):
        yield Mistake(
            "clipped",
            f"gradients clipped to ±{clip:.6g}",
            "gradient clipping left inside the backward pass (as in the classic min-char-rnn demo): clipping "
            "belongs to the optimiser step, after the gradient has been checked.",
            {key: np.clip(value, -clip, clip) for key, value in clean.items()},
        )
