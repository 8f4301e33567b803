import numpy as np
import random

random.seed(1)
np.random.seed(1)

data = open("input.txt").read().lower()
chars = list(set(data))
vocab_size = len(chars)
char_to_ix = {ch: i for i, ch in enumerate(chars)}
ix_to_char = {i: ch for i, ch in enumerate(chars)}

hidden_size, seq_length, learning_rate = 64, 25, 1e-1

Wxh = np.random.randn(hidden_size, vocab_size) * 0.01
Whh = np.random.randn(hidden_size, hidden_size) * 0.01
Why = np.random.randn(vocab_size, hidden_size) * 0.01
bh, by = np.zeros((hidden_size, 1)), np.zeros((vocab_size, 1))


def loss_fun(inputs, targets, hprev):
    """Returns (loss, dWxh, dWhh, dWhy, dbh, dby, h_last)."""
    xs, hs, ps = {}, {-1: np.copy(hprev)}, {}
    loss = 0
    for t, (i, j) in enumerate(zip(inputs, targets)):
        xs[t] = np.zeros((vocab_size, 1))
        xs[t][i] = 1
        hs[t] = np.tanh(Wxh @ xs[t] + Whh @ hs[t - 1] + bh)
        o = Why @ hs[t] + by
        ps[t] = np.exp(o) / np.exp(o).sum()
        loss -= np.log(ps[t][j, 0])
    grads = [np.zeros_like(w) for w in (Wxh, Whh, Why, bh, by)]
    dWxh, dWhh, dWhy, dbh, dby = grads
    dhnext = np.zeros_like(hprev)
    for t in reversed(range(len(inputs))):
        dy = ps[t].copy()
        dy[targets[t]] -= 1
        dWhy += dy @ hs[t].T
        dby += dy
        dhraw = (1 - hs[t] ** 2) * (Why.T @ dy + dhnext)
        dbh += dhraw
        dWxh += dhraw @ xs[t].T
        dWhh += dhraw @ hs[t - 1].T
        dhnext = Whh.T @ dhraw
    np.clip(dWhh, -5, 5, out=dWhh)
    return loss, dWxh, dWhh, dWhy, dbh, dby, hs[len(inputs) - 1]


mem = [np.zeros_like(w) for w in (Wxh, Whh, Why, bh, by)]
hprev = np.zeros((hidden_size, 1))
p = 0
for it in range(10001):
    if p + seq_length + 1 >= len(data):
        p, hprev = 0, np.zeros((hidden_size, 1))
    inputs = [char_to_ix[c] for c in data[p:p + seq_length]]
    targets = [char_to_ix[c] for c in data[p + 1:p + seq_length + 1]]
    loss, dWxh, dWhh, dWhy, dbh, dby, hprev = loss_fun(inputs, targets, hprev)
    for w, g, m in zip((Wxh, Whh, Why, bh, by), (dWxh, dWhh, dWhy, dbh, dby), mem):
        m += g * g
        w += -learning_rate * g / np.sqrt(m + 1e-8)
    if it % 1000 == 0:
        print(f"{it:6d} {loss:.4f}")
    p += seq_length
