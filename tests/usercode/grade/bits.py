"""A right backward whose forward pass reports the loss in bits: FAIL with --forward (bits-vs-nats)."""

import numpy as np


def _run(U, W, V, b, c, h0, x):
    hs = np.zeros((len(x) + 1, len(b)))
    hs[0] = h0
    for t in range(len(x)):
        hs[t + 1] = np.tanh(b + W @ hs[t] + U @ x[t])  # (10.8), (10.9)
    o = hs[1:] @ V.T + c  # (10.10)
    e = np.exp(o - o.max(axis=1, keepdims=True))
    return hs, e / e.sum(axis=1, keepdims=True)  # (10.11)


def forward(U, W, V, b, c, h0, x, y):
    _, p = _run(U, W, V, b, c, h0, x)
    return float(-np.log2(p[np.arange(len(y)), y]).sum())  # (10.12)-(10.14)


def backward(U, W, V, b, c, h0, x, y):
    hs, g_o = _run(U, W, V, b, c, h0, x)
    g_o[np.arange(len(y)), y] -= 1  # (10.18)
    g_h = g_o @ V  # (10.19)
    for t in range(len(y) - 2, -1, -1):
        g_h[t] += W.T @ ((1 - hs[t + 2] ** 2) * g_h[t + 1])  # (10.21)
    g_a = (1 - hs[1:] ** 2) * g_h
    return {"U": g_a.T @ x, "W": g_a.T @ hs[:-1], "V": g_o.T @ hs[1:], "b": g_a.sum(0), "c": g_o.sum(0), "h0": W.T @ g_a[0]}
