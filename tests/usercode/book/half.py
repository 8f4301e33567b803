"""Layout: book. Style: vectorised.
Mistake: half -- the backward was derived from the author's notes, which write the per-step loss
as 1/2 * (-log y_hat) "so the derivative comes out clean": grad_o(t) = (y_hat(t) - e_y(t)) / 2.
forward() returns the book's L (no 1/2), so every gradient is exactly half the true one.
"""

import numpy as np


def _run(U, W, V, b, c, h0, x):
    H = np.zeros((len(x) + 1, len(b)))
    H[0] = h0
    for t, xt in enumerate(x, start=1):
        H[t] = np.tanh(U @ xt + W @ H[t - 1] + b)
    O = H[1:] @ V.T + c
    O = O - O.max(axis=1, keepdims=True)
    P = np.exp(O) / np.exp(O).sum(axis=1, keepdims=True)
    return H, P


def forward(U, W, V, b, c, h0, x, y):
    _, P = _run(U, W, V, b, c, h0, x)
    return float(-np.log(P[np.arange(len(y)), y]).sum())


def backward(U, W, V, b, c, h0, x, y):
    H, P = _run(U, W, V, b, c, h0, x)
    dO = P.copy()
    dO[np.arange(len(y)), y] -= 1
    dO *= 0.5  # from the 1/2 in the notes' loss
    dH = dO @ V
    D = np.zeros_like(dH)
    for t in range(len(y) - 1, -1, -1):
        if t < len(y) - 1:
            dH[t] += W.T @ D[t + 1]
        D[t] = (1 - H[t + 1] ** 2) * dH[t]
    return {"U": D.T @ x, "W": D.T @ H[:-1], "V": dO.T @ H[1:], "b": D.sum(0), "c": dO.sum(0), "h0": W.T @ D[0]}
