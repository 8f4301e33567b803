"""Layout: min-char-rnn. Style: time-major arrays, one-hot matrix by fancy indexing, matrix products for the
parameter gradients after the time loop. Mistake: none (correct).
"""

import numpy as np

Wxh = Whh = Why = bh = by = None  # assigned by the caller before lossFun runs


def lossFun(inputs, targets, hprev):
    steps = len(inputs)
    onehots = np.zeros((steps, Wxh.shape[1]))
    onehots[np.arange(steps), inputs] = 1.0
    states = np.zeros((steps + 1, Whh.shape[0]))
    states[0] = hprev.ravel()
    for k in range(steps):
        states[k + 1] = np.tanh(Wxh @ onehots[k] + Whh @ states[k] + bh.ravel())
    scores = states[1:] @ Why.T + by.ravel()
    scores -= scores.max(axis=1, keepdims=True)
    logp = scores - np.log(np.exp(scores).sum(axis=1, keepdims=True))
    loss = -logp[np.arange(steps), targets].sum()

    dscores = np.exp(logp)
    dscores[np.arange(steps), targets] -= 1.0
    dstates = dscores @ Why
    draw = np.zeros_like(dstates)
    for k in range(steps - 1, -1, -1):
        if k + 1 < steps:
            dstates[k] += Whh.T @ draw[k + 1]
        draw[k] = (1.0 - states[k + 1] ** 2) * dstates[k]
    dWxh = draw.T @ onehots
    dWhh = draw.T @ states[:-1]
    dWhy = dscores.T @ states[1:]
    dbh = draw.sum(axis=0)[:, None]
    dby = dscores.sum(axis=0)[:, None]
    return loss, dWxh, dWhh, dWhy, dbh, dby, states[steps][:, None]
