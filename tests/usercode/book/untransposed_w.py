"""Layout: book. Style: vectorised forward, backward loop over time with a running delta.
Mistake: untransposed-W -- the recurrence of eq. 10.21 sends the gradient back through W instead of W^T.
(The gradient of h(0) at the end was copied from the lecture notes and does use W^T.)
"""

import numpy as np


def _forward_pass(U, W, V, b, c, h0, x):
    n_steps, n_hidden = x.shape[0], W.shape[0]
    h = np.empty((n_steps, n_hidden))
    prev = h0
    for t in range(n_steps):
        prev = h[t] = np.tanh(U @ x[t] + W @ prev + b)
    logits = h @ V.T + c
    logits -= logits.max(axis=1, keepdims=True)
    p = np.exp(logits)
    p /= p.sum(axis=1, keepdims=True)
    return h, p


def forward(U, W, V, b, c, h0, x, y):
    _, p = _forward_pass(U, W, V, b, c, h0, x)
    return float(-np.sum(np.log(p[np.arange(len(y)), y])))


def backward(U, W, V, b, c, h0, x, y):
    h, p = _forward_pass(U, W, V, b, c, h0, x)
    n_steps = len(y)
    h_before = np.vstack([h0[None, :], h[:-1]])

    d_out = p.copy()
    d_out[np.arange(n_steps), y] -= 1.0
    d_hid = d_out @ V
    for t in range(n_steps - 2, -1, -1):
        d_hid[t] += W @ ((1 - h[t + 1] ** 2) * d_hid[t + 1])
    delta = (1 - h**2) * d_hid

    return {
        "U": delta.T @ x,
        "W": delta.T @ h_before,
        "V": d_out.T @ h,
        "b": delta.sum(axis=0),
        "c": d_out.sum(axis=0),
        "h0": W.T @ delta[0],
    }
