"""Layout: book. Style: explicit loops over t and over units, one equation per line. Mistake: none (correct).

Written the long way round, the way you would on paper: every sum over time is a Python loop.
"""

import numpy as np


def _softmax(o):
    e = np.exp(o - np.max(o))
    return e / np.sum(e)


def _run(U, W, V, b, c, h0, x):
    """States h(1..τ) (with h(0) at index 0) and outputs ŷ(1..τ)."""
    tau = x.shape[0]
    hs = [np.asarray(h0, dtype=float)]
    probs = []
    for t in range(tau):
        a = b + W @ hs[-1] + U @ x[t]  # (10.8)
        hs.append(np.tanh(a))  # (10.9)
        o = c + V @ hs[-1]  # (10.10)
        probs.append(_softmax(o))  # (10.11)
    return hs, probs


def forward(U, W, V, b, c, h0, x, y):
    _, probs = _run(U, W, V, b, c, h0, x)
    loss = 0.0
    for t in range(len(probs)):
        loss -= np.log(probs[t][y[t]])  # (10.12)-(10.14)
    return float(loss)


def backward(U, W, V, b, c, h0, x, y):
    hs, probs = _run(U, W, V, b, c, h0, x)
    tau = len(probs)
    H = W.shape[0]

    dU = np.zeros_like(U, dtype=float)
    dW = np.zeros_like(W, dtype=float)
    dV = np.zeros_like(V, dtype=float)
    db = np.zeros(H)
    dc = np.zeros(len(c))
    do_rows = np.zeros((tau, len(c)))
    dh_rows = np.zeros((tau, H))

    carry = np.zeros(H)  # W^T diag(1 - h(t+1)^2) grad_h(t+1), zero after the last step
    for t in reversed(range(tau)):
        do = probs[t].copy()
        do[y[t]] -= 1.0  # (10.18)
        dh = V.T @ do + carry  # (10.19) at t = tau, (10.21) before
        h_t, h_prev = hs[t + 1], hs[t]
        da = np.zeros(H)
        for i in range(H):
            da[i] = (1.0 - h_t[i] ** 2) * dh[i]  # diag(1 - h(t)^2) grad_h(t)
        dc += do  # (10.22)
        db += da  # (10.23)
        dV += np.outer(do, h_t)  # (10.24)
        dW += np.outer(da, h_prev)  # (10.26)
        dU += np.outer(da, x[t])  # (10.28)
        carry = W.T @ da
        do_rows[t], dh_rows[t] = do, dh

    dh0 = carry  # grad_h(0) = W^T diag(1 - h(1)^2) grad_h(1)
    return {"U": dU, "W": dW, "V": dV, "b": db, "c": dc, "h0": dh0, "o": do_rows, "h": dh_rows}
