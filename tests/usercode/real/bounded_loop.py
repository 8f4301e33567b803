# Vanilla RNN on a short built-in string, no input file needed.
# Sizes are fixed by hand; training stops after a fixed number of steps.
import numpy as np

data = ("it was a bright cold day in april, and the clocks were striking "
        "thirteen. winston smith, his chin nuzzled into his breast in an "
        "effort to escape the vile wind, slipped quickly through the glass "
        "doors of victory mansions, though not quickly enough to prevent a "
        "swirl of gritty dust from entering along with him.")
chars = sorted(set(data))
char_to_ix = {c: i for i, c in enumerate(chars)}
ix_to_char = {i: c for i, c in enumerate(chars)}

vocab_size = 32  # enough room for the characters above
hidden_size = 64
seq_length = 20
learning_rate = 0.1

Wxh = np.random.randn(hidden_size, vocab_size) * 0.01
Whh = np.random.randn(hidden_size, hidden_size) * 0.01
Why = np.random.randn(vocab_size, hidden_size) * 0.01
bh = np.zeros((hidden_size, 1))
by = np.zeros((vocab_size, 1))


def lossFun(inputs, targets, hprev):
    xs, hs, ys, ps = {}, {}, {}, {}
    hs[-1] = np.copy(hprev)
    loss = 0.0
    for t in range(len(inputs)):
        xs[t] = np.zeros((vocab_size, 1))
        xs[t][inputs[t]] = 1
        hs[t] = np.tanh(Wxh @ xs[t] + Whh @ hs[t - 1] + bh)
        ys[t] = Why @ hs[t] + by
        e = np.exp(ys[t] - np.max(ys[t]))
        ps[t] = e / np.sum(e)
        loss -= np.log(ps[t][targets[t], 0])

    dWxh, dWhh, dWhy = np.zeros_like(Wxh), np.zeros_like(Whh), np.zeros_like(Why)
    dbh, dby = np.zeros_like(bh), np.zeros_like(by)
    dhnext = np.zeros_like(hs[0])
    for t in reversed(range(len(inputs))):
        dy = ps[t].copy()
        dy[targets[t]] -= 1
        dWhy += dy @ hs[t].T
        dby += dy
        dh = Why.T @ dy + dhnext
        dhraw = (1 - hs[t] ** 2) * dh
        dbh += dhraw
        dWxh += dhraw @ xs[t].T
        dWhh += dhraw @ hs[t - 1].T
        dhnext = Whh.T @ dhraw
    return loss, dWxh, dWhh, dWhy, dbh, dby, hs[len(inputs) - 1]


def sample(h, seed_ix, n):
    x = np.zeros((vocab_size, 1))
    x[seed_ix] = 1
    out = []
    for _ in range(n):
        h = np.tanh(Wxh @ x + Whh @ h + bh)
        y = Why @ h + by
        p = np.exp(y) / np.sum(np.exp(y))
        ix = np.random.choice(vocab_size, p=p.ravel())
        if ix not in ix_to_char:
            ix = 0
        x = np.zeros((vocab_size, 1))
        x[ix] = 1
        out.append(ix)
    return out


mWxh, mWhh, mWhy = np.zeros_like(Wxh), np.zeros_like(Whh), np.zeros_like(Why)
mbh, mby = np.zeros_like(bh), np.zeros_like(by)
smooth_loss = -np.log(1.0 / vocab_size) * seq_length
p = 0
hprev = np.zeros((hidden_size, 1))
for n in range(100000):
    if p + seq_length + 1 >= len(data):
        p = 0
        hprev = np.zeros((hidden_size, 1))
    inputs = [char_to_ix[c] for c in data[p:p + seq_length]]
    targets = [char_to_ix[c] for c in data[p + 1:p + seq_length + 1]]

    loss, dWxh, dWhh, dWhy, dbh, dby, hprev = lossFun(inputs, targets, hprev)
    smooth_loss = 0.999 * smooth_loss + 0.001 * loss

    for param, dparam, mem in zip([Wxh, Whh, Why, bh, by],
                                  [dWxh, dWhh, dWhy, dbh, dby],
                                  [mWxh, mWhh, mWhy, mbh, mby]):
        np.clip(dparam, -5, 5, out=dparam)
        mem += dparam * dparam
        param -= learning_rate * dparam / np.sqrt(mem + 1e-8)

    if n % 1000 == 0:
        txt = ''.join(ix_to_char.get(i, '?') for i in sample(hprev, inputs[0], 100))
        print(f"iter {n}  loss {smooth_loss:.3f}\n{txt}\n")
    p += seq_length
