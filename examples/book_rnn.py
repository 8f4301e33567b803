"""The tanh RNN of Deep Learning Fig. 10.3, in the `book` layout: forward() and backward() with the book's names.

Check it with:

    gradcheck run --backward examples/book_rnn.py
    gradcheck run --backward examples/book_rnn.py --forward examples/book_rnn.py:forward

Shapes: U (H, I), W (H, H), V (O, H), b (H,), c (O,), h0 (H,) = h(0); x (τ, I) with row t-1 = x(t); y (τ,) ints.
"""

import numpy as np


def _forward_pass(U, W, V, b, c, h0, x):
    """h(0..τ) as rows 0..τ, and ŷ(1..τ) as rows 0..τ-1."""
    tau = len(x)
    h = np.zeros((tau + 1, len(b)))
    h[0] = h0
    for t in range(1, tau + 1):
        a = b + W @ h[t - 1] + U @ x[t - 1]  # (10.8)
        h[t] = np.tanh(a)  # (10.9)
    o = c + h[1:] @ V.T  # (10.10)
    o = o - o.max(axis=1, keepdims=True)  # softmax is unchanged by a shift; this avoids overflow
    y_hat = np.exp(o) / np.exp(o).sum(axis=1, keepdims=True)  # (10.11)
    return h, y_hat


def forward(U, W, V, b, c, h0, x, y):
    """L = Σ_t −log ŷ(t)_{y(t)}, natural log, summed over t (10.12–10.14)."""
    _, y_hat = _forward_pass(U, W, V, b, c, h0, x)
    return float(-np.log(y_hat[np.arange(len(y)), y]).sum())


def backward(U, W, V, b, c, h0, x, y):
    """Every gradient of L by back-propagation through time (10.17–10.28)."""
    h, y_hat = _forward_pass(U, W, V, b, c, h0, x)
    tau = len(x)

    grad_o = y_hat.copy()
    grad_o[np.arange(tau), y] -= 1.0  # (10.18): ŷ(t) − e_y(t)

    grad_h = grad_o @ V  # rows Vᵀ ∇o(t)L; at t = τ this is all of it (10.19)
    dtanh = 1.0 - h[1:] ** 2  # rows diag(1 − h(t)²)
    for t in range(tau - 2, -1, -1):
        grad_h[t] += W.T @ (dtanh[t + 1] * grad_h[t + 1])  # (10.21)
    grad_a = dtanh * grad_h  # rows diag(1 − h(t)²) ∇h(t)L

    return {
        "U": grad_a.T @ x,  # (10.28)
        "W": grad_a.T @ h[:-1],  # (10.26): pairs with h(t−1)
        "V": grad_o.T @ h[1:],  # (10.24)
        "b": grad_a.sum(axis=0),  # (10.23)
        "c": grad_o.sum(axis=0),  # (10.22)
        "h0": W.T @ grad_a[0],  # ∇h(0)L = Wᵀ diag(1 − h(1)²) ∇h(1)L
        "o": grad_o,  # optional: rows ∇o(t)L, checked against 10.18
        "h": grad_h,  # optional: rows ∇h(t)L, checked against 10.19 and 10.21
    }
