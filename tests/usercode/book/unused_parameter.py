"""Layout: book. Style: loops, separate forward (for logging the loss) and backward.
Mistake: unused-parameter -- forward() forgets the output bias c (o(t) = V h(t)), while backward()
is the book's BPTT and returns the usual nonzero gradient for c. Only differencing this file's
own forward() shows it: there L does not depend on c at all.
"""

import numpy as np


def forward(U, W, V, b, c, h0, x, y):
    h = h0
    loss = 0.0
    for t in range(len(y)):
        h = np.tanh(b + W @ h + U @ x[t])
        o = V @ h  # the output bias c was never added
        o = o - o.max()
        loss += np.log(np.exp(o).sum()) - o[y[t]]
    return float(loss)


def backward(U, W, V, b, c, h0, x, y):
    T = len(y)
    hs = [h0]
    ps = []
    for t in range(T):
        hs.append(np.tanh(b + W @ hs[-1] + U @ x[t]))
        o = c + V @ hs[-1]
        e = np.exp(o - o.max())
        ps.append(e / e.sum())
    dU, dW, dV = np.zeros(U.shape), np.zeros(W.shape), np.zeros(V.shape)
    db, dc = np.zeros(b.shape), np.zeros(c.shape)
    dnext = np.zeros(b.shape)
    for t in reversed(range(T)):
        do = ps[t].copy()
        do[y[t]] -= 1
        draw = (1 - hs[t + 1] ** 2) * (V.T @ do + dnext)
        dc += do
        dV += np.outer(do, hs[t + 1])
        db += draw
        dW += np.outer(draw, hs[t])
        dU += np.outer(draw, x[t])
        dnext = W.T @ draw
    return {"U": dU, "W": dW, "V": dV, "b": db, "c": dc, "h0": dnext}
