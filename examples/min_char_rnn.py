"""A minimal character-level RNN in the `min-char-rnn` layout: globals Wxh, Whh, Why, bh, by and lossFun.

Check the gradients of lossFun with:

    gradcheck run --layout min-char-rnn --backward examples/min_char_rnn.py:lossFun

gradcheck sets the globals before each call. Running this file trains it on a short built-in text;
importing it does not.
"""

import numpy as np

data = "the quick brown fox jumps over the lazy dog. " * 20
chars = sorted(set(data))
vocab_size = len(chars)
hidden_size = 32
seq_length = 16
char_to_ix = {ch: i for i, ch in enumerate(chars)}

rng = np.random.default_rng(0)
Wxh = rng.standard_normal((hidden_size, vocab_size)) * 0.01  # U
Whh = rng.standard_normal((hidden_size, hidden_size)) * 0.01  # W
Why = rng.standard_normal((vocab_size, hidden_size)) * 0.01  # V
bh = np.zeros((hidden_size, 1))  # b
by = np.zeros((vocab_size, 1))  # c


def lossFun(inputs, targets, hprev):  # the demo's name
    """inputs, targets: lists of ints; hprev (H, 1) = h(0). Returns the loss, the gradients and the last h."""
    xs, hs, ps = {}, {}, {}
    hs[-1] = np.copy(hprev)
    loss = 0.0
    for t in range(len(inputs)):
        xs[t] = np.zeros((Wxh.shape[1], 1))
        xs[t][inputs[t]] = 1.0  # one-hot x(t)
        hs[t] = np.tanh(Wxh @ xs[t] + Whh @ hs[t - 1] + bh)  # (10.8), (10.9)
        o = Why @ hs[t] + by  # (10.10)
        e = np.exp(o - o.max())
        ps[t] = e / e.sum()  # (10.11)
        loss += -np.log(ps[t][targets[t], 0])  # (10.12)-(10.14)

    dWxh, dWhh, dWhy = np.zeros_like(Wxh), np.zeros_like(Whh), np.zeros_like(Why)
    dbh, dby = np.zeros_like(bh), np.zeros_like(by)
    dhnext = np.zeros_like(hs[0])
    for t in reversed(range(len(inputs))):
        do = np.copy(ps[t])
        do[targets[t]] -= 1.0  # (10.18)
        dWhy += do @ hs[t].T  # (10.24)
        dby += do  # (10.22)
        dh = Why.T @ do + dhnext  # (10.19) at the last step, (10.21) before
        da = (1.0 - hs[t] ** 2) * dh  # through the tanh
        dbh += da  # (10.23)
        dWxh += da @ xs[t].T  # (10.28)
        dWhh += da @ hs[t - 1].T  # (10.26)
        dhnext = Whh.T @ da
    # The classic demo clips every gradient to [-5, 5] here. Clipping belongs in the update step:
    # inside lossFun it changes the returned values, and gradcheck would rightly flag them.
    return loss, dWxh, dWhh, dWhy, dbh, dby, hs[len(inputs) - 1]


if __name__ == "__main__":
    mem = [np.zeros_like(p) for p in (Wxh, Whh, Why, bh, by)]
    hprev = np.zeros((hidden_size, 1))
    p = 0
    for n in range(2001):
        if p + seq_length + 1 >= len(data):
            p, hprev = 0, np.zeros((hidden_size, 1))
        inputs = [char_to_ix[ch] for ch in data[p : p + seq_length]]
        targets = [char_to_ix[ch] for ch in data[p + 1 : p + seq_length + 1]]
        loss, *grads, hprev = lossFun(inputs, targets, hprev)
        for param, dparam, m in zip((Wxh, Whh, Why, bh, by), grads, mem, strict=True):
            np.clip(dparam, -5, 5, out=dparam)  # clip here, in the update, not in lossFun
            m += dparam * dparam
            param -= 0.1 * dparam / np.sqrt(m + 1e-8)  # Adagrad
        if n % 500 == 0:
            print(f"iter {n}: loss {loss:.3f}")
        p += seq_length
