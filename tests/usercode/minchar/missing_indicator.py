"""Layout: min-char-rnn. Style: arrays indexed by t (no dicts), one-hot built with np.eye.
Mistake: missing-indicator -- dy is taken as the softmax output itself; the -1 at the target
index of eq. 10.18 was forgotten.
"""

import numpy as np

Wxh = Whh = Why = bh = by = None  # set by the training script (or by gradcheck)


def lossFun(inputs, targets, hprev):
    n, H, V = len(inputs), Whh.shape[0], Why.shape[0]
    X = np.eye(Wxh.shape[1])[inputs]  # (n, vocab) one-hot rows
    h = np.zeros((n + 1, H))
    h[0] = hprev[:, 0]
    p = np.zeros((n, V))
    loss = 0.0
    for t in range(n):
        h[t + 1] = np.tanh(Wxh @ X[t] + Whh @ h[t] + bh[:, 0])
        s = Why @ h[t + 1] + by[:, 0]
        s = np.exp(s - s.max())
        p[t] = s / s.sum()
        loss -= np.log(p[t, targets[t]])
    dWxh, dWhh, dWhy = np.zeros(Wxh.shape), np.zeros(Whh.shape), np.zeros(Why.shape)
    dbh, dby = np.zeros((H, 1)), np.zeros((V, 1))
    carry = np.zeros(H)
    for t in range(n - 1, -1, -1):
        dy = p[t].copy()  # gradient of the loss w.r.t. the scores
        dWhy += np.outer(dy, h[t + 1])
        dby[:, 0] += dy
        dz = (1 - h[t + 1] ** 2) * (Why.T @ dy + carry)
        dbh[:, 0] += dz
        dWxh += np.outer(dz, X[t])
        dWhh += np.outer(dz, h[t])
        carry = Whh.T @ dz
    return loss, dWxh, dWhh, dWhy, dbh, dby, h[n][:, None]
