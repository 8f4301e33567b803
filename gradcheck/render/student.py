"""The skeletons of `gradcheck init --student`: the forward pass given (10.8–10.14), the backward pass to write.

One per layout of gradcheck.user.layouts, each calling convention exactly as `gradcheck run --backward` calls it.
The backward's docstring lists what each gradient is (10.18–10.28); its body ends in `raise NotImplementedError`,
which `gradcheck run` reports as "not implemented yet".
"""

from __future__ import annotations

import shlex

HEADER = '''\
"""{title}

The recurrent network of Goodfellow, Bengio & Courville, Deep Learning, Fig. 10.3 (eq. 10.8-10.28), in the
{layout} layout. The forward pass is given; write the backward pass (back-propagation through time), then check it:

    {command}

gradcheck compares your gradients with finite differences of the book's forward pass, entry by entry, and names the
mistake when it recognises one. Never clip gradients inside the backward pass: clipping belongs to the optimiser.
"""
'''

BOOK = '''
import numpy as np


def forward_pass(U, W, V, b, c, h0, x):
    """h(1..tau) and y_hat(1..tau), time-major: h[t - 1] is h(t) (h(0) = h0 is not in h).

    U (H, I), W (H, H), V (O, H), b (H,), c (O,), h0 (H,); x (tau, I), one input vector per step.
    """
    tau = len(x)
    h = np.zeros((tau, len(b)))
    y_hat = np.zeros((tau, len(c)))
    h_prev = h0
    for t in range(tau):
        a = b + W @ h_prev + U @ x[t]  # (10.8)
        h[t] = np.tanh(a)  # (10.9)
        o = c + V @ h[t]  # (10.10)
        e = np.exp(o - o.max())  # shift by the max: exp overflows
        y_hat[t] = e / e.sum()  # (10.11)
        h_prev = h[t]
    return h, y_hat


def forward(U, W, V, b, c, h0, x, y):
    """The loss L = sum_t L(t) = -sum_t log y_hat(t)[y(t)] (10.12-10.14); y (tau,) holds the target classes."""
    _, y_hat = forward_pass(U, W, V, b, c, h0, x)
    return float(-np.log(y_hat[np.arange(len(y)), y]).sum())  # (10.12)-(10.14)


def backward(U, W, V, b, c, h0, x, y):
    """The gradient of L with respect to every parameter, by back-propagation through time.

    Return a dict {"U": dL/dU, "W": ..., "V": ..., "b": ..., "c": ..., "h0": dL/dh(0)}, each the shape of its
    parameter. Optionally also "o": the rows grad_o(t) (tau, O) and "h": the rows grad_h(t) (tau, H); gradcheck
    then checks 10.18-10.21 on their own (run with --equations).

    Going backwards in time, t = tau down to 1 (h(t) is h[t - 1] above; diag(1 - h(t)^2) is tanh's derivative):
      10.18        grad_o(t) = y_hat(t) - e_y(t)        (e_y(t): one-hot at the target class y(t))
      10.19        grad_h(tau) = V^T grad_o(tau)
      10.20-10.21  grad_h(t) = W^T diag(1 - h(t+1)^2) grad_h(t+1) + V^T grad_o(t),   for t < tau
      10.22        grad_c = sum_t grad_o(t)
      10.23        grad_b = sum_t diag(1 - h(t)^2) grad_h(t)
      10.24        grad_V = sum_t grad_o(t) h(t)^T
      10.25-10.26  grad_W = sum_t diag(1 - h(t)^2) grad_h(t) h(t-1)^T
      10.27-10.28  grad_U = sum_t diag(1 - h(t)^2) grad_h(t) x(t)^T
                   grad_h0 = W^T diag(1 - h(1)^2) grad_h(1)
    """
    h, y_hat = forward_pass(U, W, V, b, c, h0, x)
    raise NotImplementedError
'''

MIN_CHAR_RNN = '''
import numpy as np

# The parameters are module globals, as in min-char-rnn.py (gradcheck sets them before every call):
# Wxh = U (H, I), Whh = W (H, H), Why = V (O, H), bh = b (H, 1), by = c (O, 1); I = O = the vocabulary size.
vocab_size, hidden_size = 8, 16
rng = np.random.default_rng(0)
Wxh = rng.standard_normal((hidden_size, vocab_size)) * 0.01
Whh = rng.standard_normal((hidden_size, hidden_size)) * 0.01
Why = rng.standard_normal((vocab_size, hidden_size)) * 0.01
bh = np.zeros((hidden_size, 1))
by = np.zeros((vocab_size, 1))


def forward_pass(inputs, targets, hprev):
    """xs, hs, ps by time step (hs[-1] = h(0) = hprev, columns) and the loss L (10.8-10.14)."""
    xs, hs, ps = {}, {-1: np.copy(hprev)}, {}
    loss = 0.0
    for t in range(len(inputs)):
        xs[t] = np.zeros((Wxh.shape[1], 1))
        xs[t][inputs[t]] = 1  # x(t): one-hot
        a = Wxh @ xs[t] + Whh @ hs[t - 1] + bh  # (10.8)
        hs[t] = np.tanh(a)  # (10.9)
        o = Why @ hs[t] + by  # (10.10)
        e = np.exp(o - o.max())  # shift by the max: exp overflows
        ps[t] = e / e.sum()  # (10.11)
        loss += -np.log(ps[t][targets[t], 0])  # (10.12)-(10.14)
    return xs, hs, ps, loss


def backward_pass(xs, hs, ps, targets):
    """dWxh, dWhh, dWhy, dbh, dby: the gradient of L, by back-propagation through time.

    Going backwards in time, t = tau - 1 down to 0 here (the book counts from 1; hs[t] is h, a column):
      10.18        dy(t) = ps[t] - e_y(t)               (e_y(t): one-hot at targets[t]; the book's grad_o(t))
      10.19        dh(last) = Why^T dy(last)
      10.20-10.21  dh(t) = Whh^T diag(1 - hs[t+1]^2) dh(t+1) + Why^T dy(t)
      10.22        dby = sum_t dy(t)
      10.23        dbh = sum_t diag(1 - hs[t]^2) dh(t)
      10.24        dWhy = sum_t dy(t) hs[t]^T
      10.25-10.26  dWhh = sum_t diag(1 - hs[t]^2) dh(t) hs[t-1]^T
      10.27-10.28  dWxh = sum_t diag(1 - hs[t]^2) dh(t) xs[t]^T
    Each has the shape of its parameter (dbh (H, 1), dby (O, 1)). Do not clip them here.
    """
    dWxh, dWhh, dWhy = np.zeros_like(Wxh), np.zeros_like(Whh), np.zeros_like(Why)
    dbh, dby = np.zeros_like(bh), np.zeros_like(by)
    raise NotImplementedError


def lossFun(inputs, targets, hprev):
    """inputs, targets: lists of token ids; hprev: h(0), (H, 1).
    Returns the loss, dWxh, dWhh, dWhy, dbh, dby and the last hidden state."""
    xs, hs, ps, loss = forward_pass(inputs, targets, hprev)
    dWxh, dWhh, dWhy, dbh, dby = backward_pass(xs, hs, ps, targets)
    return loss, dWxh, dWhh, dWhy, dbh, dby, hs[len(inputs) - 1]
'''

CS231N = '''
import numpy as np

# Batch-major, as in the assignment: x (N, T, D), h (N, T, H), Wx = U^T (D, H), Wh = W^T (H, H), b (H,).
# gradcheck adds the output layer (o = c + V h, 10.10) and the softmax loss (10.11-10.14) and passes rnn_backward
# dh: the gradient reaching h(t) from the output layer alone, V^T grad_o(t) (the book's 10.18 and 10.19 terms).


def rnn_step_forward(x, prev_h, Wx, Wh, b):
    """One step: next_h = tanh(prev_h Wh + x Wx + b), a row per sequence (10.8, 10.9)."""
    next_h = np.tanh(prev_h @ Wh + x @ Wx + b)  # (10.8), (10.9)
    return next_h, (x, prev_h, next_h)


def rnn_forward(x, h0, Wx, Wh, b):
    """h (N, T, H) for every step, and the cache rnn_backward reads."""
    N, T, _ = x.shape
    h = np.zeros((N, T, len(b)))
    caches = []
    prev_h = h0
    for t in range(T):
        prev_h, cache = rnn_step_forward(x[:, t], prev_h, Wx, Wh, b)
        h[:, t] = prev_h
        caches.append(cache)
    return h, (Wx, Wh, caches)


def rnn_backward(dh, cache):
    """dx (N, T, D), dh0 (N, H), dWx (D, H), dWh (H, H), db (H,): the gradient of L, by back-propagation through time.

    dh (N, T, H) is V^T grad_o(t) for each t; the recurrence is yours. Going backwards, t = T - 1 down to 0:
      10.19        grad_h(last) = dh[:, last]
      10.20-10.21  grad_h(t) = dh[:, t] + (grad_h(t+1) * (1 - h(t+1)^2)) Wh^T        (rows: Wh^T is the book's W)
      10.23        db = sum_t sum_n grad_h(t) * (1 - h(t)^2)
      10.25-10.26  dWh = sum_t h(t-1)^T (grad_h(t) * (1 - h(t)^2))            (the book's grad_W, transposed)
      10.27-10.28  dWx = sum_t x(t)^T (grad_h(t) * (1 - h(t)^2))              (the book's grad_U, transposed)
                   dx(t) = (grad_h(t) * (1 - h(t)^2)) Wx^T
                   dh0 = (grad_h(first) * (1 - h(first)^2)) Wh^T              (the book's grad_h0)
    (10.18, 10.22 and 10.24, the output layer's, are computed for you by temporal_affine_backward.)
    """
    Wx, Wh, caches = cache
    raise NotImplementedError
'''

SKELETONS = {"book": BOOK, "min-char-rnn": MIN_CHAR_RNN, "cs231n": CS231N}
LAYOUT_FLAG = {"book": "", "min-char-rnn": " --layout min-char-rnn", "cs231n": " --layout cs231n"}


def run_command(layout: str, name: str) -> str:
    """The command that checks the student's file (its name quoted for a shell)."""
    return f"gradcheck run --backward {shlex.quote(name)}{LAYOUT_FLAG[layout]}"


def _in_docstring(text: str) -> str:
    """Text that cannot end (or escape out of) the module's docstring, whatever the file's name holds."""
    return text.replace("\\", "\\\\").replace('"', '\\"')


def skeleton(layout: str, name: str) -> str:
    """The student's file in `layout`, for a file called `name`."""
    title = f"{name}: my back-propagation through time for the tanh RNN of Deep Learning, chapter 10."
    command = run_command(layout, name)
    return HEADER.format(title=_in_docstring(title), layout=layout, command=_in_docstring(command)) + SKELETONS[layout]
