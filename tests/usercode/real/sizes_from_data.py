import numpy as np

# ---- load the corpus -------------------------------------------------------
with open("input.txt") as f:
    text = f.read()

vocab = sorted(list(set(text)))
vocab_size = len(vocab)
char2idx = dict((c, i) for i, c in enumerate(vocab))
idx2char = dict((i, c) for i, c in enumerate(vocab))
print("corpus: %d chars, vocab: %d" % (len(text), vocab_size))

# ---- model -----------------------------------------------------------------
hidden_size = 50
seq_length = 25
lr = 0.1
epochs = 20

Wxh = np.random.randn(hidden_size, vocab_size) * 0.01
Whh = np.random.randn(hidden_size, hidden_size) * 0.01
Why = np.random.randn(vocab_size, hidden_size) * 0.01
bh = np.zeros((hidden_size, 1))
by = np.zeros((vocab_size, 1))


def lossFun(inputs, targets, hprev):
    T = len(inputs)
    xs = np.zeros((T, vocab_size, 1))
    hs = np.zeros((T + 1, hidden_size, 1))   # hs[0] is the carried-in state
    ps = np.zeros((T, vocab_size, 1))
    hs[0] = hprev
    loss = 0
    for t in range(T):
        xs[t][inputs[t]] = 1
        hs[t + 1] = np.tanh(np.dot(Wxh, xs[t]) + np.dot(Whh, hs[t]) + bh)
        y = np.dot(Why, hs[t + 1]) + by
        ps[t] = np.exp(y) / np.sum(np.exp(y))
        loss += -np.log(ps[t][targets[t], 0])

    dWxh = np.zeros((hidden_size, vocab_size))
    dWhh = np.zeros((hidden_size, hidden_size))
    dWhy = np.zeros((vocab_size, hidden_size))
    dbh = np.zeros((hidden_size, 1))
    dby = np.zeros((vocab_size, 1))
    dhnext = np.zeros((hidden_size, 1))
    for t in reversed(range(T)):
        dy = np.copy(ps[t])
        dy[targets[t]] -= 1
        dWhy += np.dot(dy, hs[t + 1].T)
        dby += dy
        dh = np.dot(Why.T, dy) + dhnext
        dhraw = (1 - hs[t + 1] ** 2) * dh
        dbh += dhraw
        dWxh += np.dot(dhraw, xs[t].T)
        dWhh += np.dot(dhraw, hs[t].T)
        dhnext = np.dot(Whh.T, dhraw)
    return loss, dWxh, dWhh, dWhy, dbh, dby, hs[T]


# ---- training ----------------------------------------------------------------
mem = [np.zeros_like(w) for w in (Wxh, Whh, Why, bh, by)]
losses = []
for epoch in range(epochs):
    hprev = np.zeros((hidden_size, 1))
    total = 0.0
    for start in range(0, len(text) - seq_length - 1, seq_length):
        chunk = text[start:start + seq_length + 1]
        inputs = [char2idx[c] for c in chunk[:-1]]
        targets = [char2idx[c] for c in chunk[1:]]
        loss, *grads, hprev = lossFun(inputs, targets, hprev)
        total += loss
        for w, g, m in zip((Wxh, Whh, Why, bh, by), grads, mem):
            g = np.clip(g, -5, 5)
            m += g * g
            w -= lr * g / np.sqrt(m + 1e-8)
    losses.append(total)
    print("epoch %d  loss %.2f" % (epoch, total))
