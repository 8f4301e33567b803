"""Layout: book. Style: vectorised, reports the loss in bits per character.
Mistake: bits-vs-nats -- forward() returns the loss in bits (log2) but backward() differentiates
the loss in nats (natural log). The backward pass is right for the book's L; only a check that
differences this file's own forward() sees the factor 1/ln 2.
"""

import numpy as np


def _hidden(U, W, b, h0, x):
    hs = [h0]
    for xt in x:
        hs.append(np.tanh(b + W @ hs[-1] + U @ xt))
    return np.array(hs)


def _probs(V, c, hs):
    z = hs[1:] @ V.T + c
    z = np.exp(z - z.max(axis=1, keepdims=True))
    return z / z.sum(axis=1, keepdims=True)


def forward(U, W, V, b, c, h0, x, y):
    p = _probs(V, c, _hidden(U, W, b, h0, x))
    return float(-np.log2(p[np.arange(len(y)), y]).sum())  # bits


def backward(U, W, V, b, c, h0, x, y):
    hs = _hidden(U, W, b, h0, x)
    go = _probs(V, c, hs)
    go[np.arange(len(y)), y] -= 1
    gh = go @ V
    for t in range(len(y) - 2, -1, -1):
        gh[t] += W.T @ ((1 - hs[t + 2] ** 2) * gh[t + 1])
    ga = (1 - hs[1:] ** 2) * gh
    return {"U": ga.T @ x, "W": ga.T @ hs[:-1], "V": go.T @ hs[1:], "b": ga.sum(0), "c": go.sum(0), "h0": W.T @ ga[0]}
