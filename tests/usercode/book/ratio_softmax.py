"""Layout: book. Style: per-step loop with lists, a homework-style solution.
Mistake: ratio-softmax -- the backward pass normalises the scores as o_i / sum_j o_j instead of
exp(o_i) / sum_j exp(o_j) when it forms grad_o(t) = y_hat(t) - e_y(t). The forward pass is right.
"""

import numpy as np


def forward(U, W, V, b, c, h0, x, y):
    state = h0
    total = 0.0
    for t in range(len(y)):
        state = np.tanh(b + W.dot(state) + U.dot(x[t]))
        scores = c + V.dot(state)
        scores = scores - scores.max()
        total += np.log(np.sum(np.exp(scores))) - scores[y[t]]
    return float(total)


def backward(U, W, V, b, c, h0, x, y):
    states = [h0]
    scores = []
    for t in range(len(y)):
        states.append(np.tanh(b + W.dot(states[-1]) + U.dot(x[t])))
        scores.append(c + V.dot(states[-1]))

    grads = {name: np.zeros_like(p, dtype=float) for name, p in zip("UWVbc", (U, W, V, b, c), strict=True)}
    d_next = np.zeros_like(b, dtype=float)
    for t in range(len(y) - 1, -1, -1):
        yhat = scores[t] / np.sum(scores[t])  # "softmax": normalise the scores
        d_o = yhat.copy()
        d_o[y[t]] -= 1.0
        d_h = V.T.dot(d_o) + W.T.dot(d_next)
        d_a = (1.0 - states[t + 1] ** 2) * d_h
        grads["U"] += np.outer(d_a, x[t])
        grads["W"] += np.outer(d_a, states[t])
        grads["V"] += np.outer(d_o, states[t + 1])
        grads["b"] += d_a
        grads["c"] += d_o
        d_next = d_a
    grads["h0"] = W.T.dot(d_next)
    return grads
