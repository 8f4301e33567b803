"""Layout: book. Style: vectorised, whole-sequence matrices, log-sum-exp. Mistake: none (correct).

Every quantity over time is a (τ, ·) matrix; only the recurrences themselves loop.
"""

import numpy as np


def _states(U, W, b, h0, x):
    T = len(x)
    hidden = np.zeros((T + 1, len(b)))
    hidden[0] = h0
    drive = x @ U.T + b  # U x(t) + b for every t at once
    for t in range(1, T + 1):
        hidden[t] = np.tanh(drive[t - 1] + W @ hidden[t - 1])  # (10.8), (10.9)
    return hidden


def _log_probs(V, c, hidden):
    logits = hidden[1:] @ V.T + c  # (10.10)
    m = logits.max(axis=1, keepdims=True)
    return logits - m - np.log(np.exp(logits - m).sum(axis=1, keepdims=True))  # log of (10.11)


def forward(U, W, V, b, c, h0, x, y):
    logp = _log_probs(V, c, _states(U, W, b, h0, x))
    return float(-logp[np.arange(len(y)), y].sum())  # (10.12)-(10.14)


def backward(U, W, V, b, c, h0, x, y):
    hidden = _states(U, W, b, h0, x)
    T = len(x)
    g_o = np.exp(_log_probs(V, c, hidden))
    g_o[np.arange(T), y] -= 1  # (10.18), all t at once
    g_h = g_o @ V  # V^T grad_o(t) as rows
    slope = 1 - hidden[1:] ** 2
    for t in range(T - 2, -1, -1):
        g_h[t] += W.T @ (slope[t + 1] * g_h[t + 1])  # (10.21)
    g_a = slope * g_h
    return {
        "U": g_a.T @ x,  # (10.28)
        "W": g_a.T @ hidden[:-1],  # (10.26)
        "V": g_o.T @ hidden[1:],  # (10.24)
        "b": g_a.sum(0),  # (10.23)
        "c": g_o.sum(0),  # (10.22)
        "h0": W.T @ g_a[0],
        "o": g_o,
        "h": g_h,
    }
