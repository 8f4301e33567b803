# Character RNN -- homework version.  Capitalised function names, as in my notes.
import numpy as np

Data = "she sells sea shells on the sea shore, and the shells she sells are surely sea shells. " \
       "so if she sells shells on the sea shore, i am sure she sells sea shore shells."
Chars = sorted(set(Data))
vocab_size = len(Chars)
CharToIx = {c: i for i, c in enumerate(Chars)}

hidden_size = 24
seq_length = 10
LearningRate = 0.05

Wxh = np.random.randn(hidden_size, vocab_size) * 0.01
Whh = np.random.randn(hidden_size, hidden_size) * 0.01
Why = np.random.randn(vocab_size, hidden_size) * 0.01
bh = np.zeros((hidden_size, 1))
by = np.zeros((vocab_size, 1))


def Softmax(v):
    e = np.exp(v - np.max(v))
    return e / e.sum()


def LossFun(inputs, targets, hprev):
    xs, hs, ps = {}, {}, {}
    hs[-1] = hprev.copy()
    loss = 0.0
    for t in range(len(inputs)):
        xs[t] = np.zeros((vocab_size, 1))
        xs[t][inputs[t]] = 1.0
        hs[t] = np.tanh(Wxh.dot(xs[t]) + Whh.dot(hs[t - 1]) + bh)
        ps[t] = Softmax(Why.dot(hs[t]) + by)
        loss += -np.log(ps[t][targets[t], 0])
    dWxh, dWhh, dWhy = np.zeros_like(Wxh), np.zeros_like(Whh), np.zeros_like(Why)
    dbh, dby = np.zeros_like(bh), np.zeros_like(by)
    dhnext = np.zeros_like(hprev)
    for t in reversed(range(len(inputs))):
        dy = ps[t].copy()
        dy[targets[t]] -= 1.0
        dWhy += dy.dot(hs[t].T)
        dby += dy
        dhraw = (1.0 - hs[t] * hs[t]) * (Why.T.dot(dy) + dhnext)
        dbh += dhraw
        dWxh += dhraw.dot(xs[t].T)
        dWhh += dhraw.dot(hs[t - 1].T)
        dhnext = Whh.T.dot(dhraw)
    return loss, dWxh, dWhh, dWhy, dbh, dby, hs[len(inputs) - 1]


def Train():
    global Wxh, Whh, Why, bh, by
    mem = [np.zeros_like(w) for w in (Wxh, Whh, Why, bh, by)]
    p, hprev = 0, np.zeros((hidden_size, 1))
    for n in range(3000):
        if p + seq_length + 1 >= len(Data):
            p, hprev = 0, np.zeros((hidden_size, 1))
        x = [CharToIx[c] for c in Data[p:p + seq_length]]
        y = [CharToIx[c] for c in Data[p + 1:p + seq_length + 1]]
        loss, *grads, hprev = LossFun(x, y, hprev)
        for w, g, m in zip((Wxh, Whh, Why, bh, by), grads, mem):
            m += g * g
            w -= LearningRate * g / np.sqrt(m + 1e-8)
        if n % 500 == 0:
            print("Step", n, "Loss", round(loss, 3))
        p += seq_length


Train()
