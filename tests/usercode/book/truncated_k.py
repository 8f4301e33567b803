"""Layout: book. Style: truncated BPTT as in a language-model training loop, one backward sweep per loss term.
Mistake: truncated-k -- the gradient of each L(s) is propagated only k = 3 steps back in time
(to h(s), h(s-1), h(s-2), h(s-3)) and then dropped. With tau = 10 this loses the long-range terms.
"""

import numpy as np

K = 3  # how many steps back each loss term is allowed to reach


def _unroll(U, W, V, b, c, h0, x):
    hs = {0: np.array(h0, dtype=float)}
    ps = {}
    for t in range(1, len(x) + 1):
        hs[t] = np.tanh(b + W @ hs[t - 1] + U @ x[t - 1])
        o = c + V @ hs[t]
        e = np.exp(o - o.max())
        ps[t] = e / e.sum()
    return hs, ps


def forward(U, W, V, b, c, h0, x, y):
    _, ps = _unroll(U, W, V, b, c, h0, x)
    return float(sum(-np.log(ps[t][y[t - 1]]) for t in ps))


def backward(U, W, V, b, c, h0, x, y):
    hs, ps = _unroll(U, W, V, b, c, h0, x)
    tau = len(x)
    g = {
        "U": np.zeros(U.shape),
        "W": np.zeros(W.shape),
        "V": np.zeros(V.shape),
        "b": np.zeros(b.shape),
        "c": np.zeros(c.shape),
        "h0": np.zeros(len(b)),
    }

    for s in range(1, tau + 1):  # one truncated sweep for each loss term L(s)
        do = ps[s].copy()
        do[y[s - 1]] -= 1
        g["c"] += do
        g["V"] += np.outer(do, hs[s])
        dh = V.T @ do
        for t in range(s, max(s - K, 1) - 1, -1):
            da = (1 - hs[t] ** 2) * dh
            g["b"] += da
            g["W"] += np.outer(da, hs[t - 1])
            g["U"] += np.outer(da, x[t - 1])
            dh = W.T @ da  # gradient of h(t-1), kept only while t-1 >= s-K
            if t - 1 == 0 and s - K <= 0:
                g["h0"] += dh
    return g
