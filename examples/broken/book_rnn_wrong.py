"""A book-layout RNN with one classic mistake in its backward pass, for showing what gradcheck says about it:

    gradcheck run --backward examples/broken/book_rnn_wrong.py --equations

The forward pass is right; the backward pass sends ∇h(t+1)L back through W where 10.21 has Wᵀ.
"""

import numpy as np


def forward_pass(U, W, V, b, c, h0, x):
    """h(t) and ŷ(t) for t = 1..τ (rows), eq. 10.8–10.11."""
    hs, probs, h = [], [], h0
    for x_t in x:
        h = np.tanh(b + W @ h + U @ x_t)  # (10.8), (10.9)
        o = c + V @ h  # (10.10)
        e = np.exp(o - o.max())
        hs.append(h)
        probs.append(e / e.sum())  # (10.11)
    return np.array(hs), np.array(probs)


def forward(U, W, V, b, c, h0, x, y):
    """L = Σ_t −log ŷ(t)_y(t), eq. 10.12–10.14."""
    _, probs = forward_pass(U, W, V, b, c, h0, x)
    return float(-np.log(probs[np.arange(len(y)), y]).sum())


def backward(U, W, V, b, c, h0, x, y):
    hs, probs = forward_pass(U, W, V, b, c, h0, x)
    tau = len(y)
    do = probs.copy()
    do[np.arange(tau), y] -= 1  # (10.18)
    dh = np.zeros_like(hs)
    dh[-1] = V.T @ do[-1]  # (10.19)
    for t in range(tau - 2, -1, -1):
        dh[t] = W @ ((1 - hs[t + 1] ** 2) * dh[t + 1]) + V.T @ do[t]  # (10.21) — the mistake: W, not W.T
    da = (1 - hs**2) * dh
    h_prev = np.vstack([h0, hs[:-1]])
    return {
        "U": da.T @ x,  # (10.28)
        "W": da.T @ h_prev,  # (10.26)
        "V": do.T @ hs,  # (10.24)
        "b": da.sum(axis=0),  # (10.23)
        "c": do.sum(axis=0),  # (10.22)
        "h0": W.T @ da[0],
        "o": do,  # the rows ∇o(t)L: gradcheck then checks 10.18 on its own
        "h": dh,  # the rows ∇h(t)L: 10.19 and 10.21
    }
