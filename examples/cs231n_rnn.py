"""The vanilla RNN layers of the CS231n assignment (rnn_layers.py), batch-major, in the `cs231n` layout.

Check them with:

    gradcheck run --layout cs231n --backward examples/cs231n_rnn.py

gradcheck composes rnn_forward -> temporal_affine_forward -> temporal_softmax_loss and back.
With N = 1 they are the book's network: Wx = Uᵀ, Wh = Wᵀ, b = b, h0 = h(0), affine w = Vᵀ, affine b = c.
"""

import numpy as np


def rnn_step_forward(x, prev_h, Wx, Wh, b):
    """x (N, D), prev_h (N, H) -> next_h (N, H)."""
    next_h = np.tanh(prev_h @ Wh + x @ Wx + b)  # (10.8), (10.9), one row per sequence
    return next_h, (x, prev_h, Wx, Wh, next_h)


def rnn_step_backward(dnext_h, cache):
    """dnext_h (N, H): ∇h(t)L -> dx, dprev_h, dWx, dWh, db for this step."""
    x, prev_h, Wx, Wh, next_h = cache
    da = dnext_h * (1.0 - next_h**2)  # diag(1 − h(t)²) ∇h(t)L
    dx = da @ Wx.T
    dprev_h = da @ Wh.T  # the Wᵀ term of (10.21), for the step before
    dWx = x.T @ da  # this step's term of (10.28)
    dWh = prev_h.T @ da  # this step's term of (10.26), with h(t−1)
    db = da.sum(axis=0)  # this step's term of (10.23)
    return dx, dprev_h, dWx, dWh, db


def rnn_forward(x, h0, Wx, Wh, b):
    """x (N, T, D), h0 (N, H) -> h (N, T, H)."""
    N, T, _ = x.shape
    h = np.zeros((N, T, h0.shape[1]))
    cache = []
    prev_h = h0
    for t in range(T):
        prev_h, step_cache = rnn_step_forward(x[:, t], prev_h, Wx, Wh, b)
        h[:, t] = prev_h
        cache.append(step_cache)
    return h, cache


def rnn_backward(dh, cache):
    """dh (N, T, H): the upstream gradient of every h(t) -> dx, dh0, dWx, dWh, db."""
    N, T, H = dh.shape
    D = cache[0][0].shape[1]
    dx = np.zeros((N, T, D))
    dWx, dWh, db = np.zeros((D, H)), np.zeros((H, H)), np.zeros(H)
    dprev_h = np.zeros((N, H))
    for t in reversed(range(T)):  # τ down to 1
        dx[:, t], dprev_h, dWx_t, dWh_t, db_t = rnn_step_backward(dh[:, t] + dprev_h, cache[t])  # (10.21)
        dWx += dWx_t  # parameters are shared over time: sum every step's term
        dWh += dWh_t
        db += db_t
    return dx, dprev_h, dWx, dWh, db  # dprev_h is now ∇h(0)L


def temporal_affine_forward(x, w, b):
    """x (N, T, H), w (H, M), b (M,) -> out (N, T, M): o(t) = c + V h(t) (10.10)."""
    return x @ w + b, (x, w)


def temporal_affine_backward(dout, cache):
    x, w = cache
    dx = dout @ w.T  # Vᵀ ∇o(t)L
    dw = np.einsum("nth,ntm->hm", x, dout)  # (10.24), transposed
    db = dout.sum(axis=(0, 1))  # (10.22)
    return dx, dw, db


def temporal_softmax_loss(x, y, mask):
    """x (N, T, V) scores, y (N, T) ints, mask (N, T) bool -> loss summed over T, averaged over N; dx."""
    N, T, _ = x.shape
    shifted = x - x.max(axis=2, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=2, keepdims=True))  # log of (10.11)
    n_idx, t_idx = np.meshgrid(np.arange(N), np.arange(T), indexing="ij")
    loss = -(mask * log_probs[n_idx, t_idx, y]).sum() / N  # (10.12)-(10.14)
    dx = np.exp(log_probs)
    dx[n_idx, t_idx, y] -= 1.0  # (10.18)
    dx *= mask[:, :, None] / N
    return loss, dx
