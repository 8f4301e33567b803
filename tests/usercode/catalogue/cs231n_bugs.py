"""Test fixture, cs231n layout: every layer of the assignment (rnn, temporal affine, temporal softmax loss), whose
backward functions return the pieces of the catalogued bug named by $GRADCHECK_TEST_BUG in the assignment's shapes
(Wx = Uᵀ, Wh = Wᵀ, w = Vᵀ). The forward functions stash what the bug's gradient needs (V, c, y)."""

import numpy as np
from book_bugs import gradients

STASH = {}


def rnn_forward(x, h0, Wx, Wh, b):
    h, prev = np.empty((x.shape[0], x.shape[1], len(b))), h0
    for t in range(x.shape[1]):
        h[:, t] = prev = np.tanh(prev @ Wh + x[:, t] @ Wx + b)
    STASH.update(x=x, h0=h0, Wx=Wx, Wh=Wh, b=b)
    return h, None


def temporal_affine_forward(x, w, b):
    STASH.update(w=w, c=b)
    return x @ w + b, None


def temporal_softmax_loss(x, y, mask):
    STASH.update(y=y)
    shifted = x - x.max(axis=-1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    n, t = np.indices(y.shape)
    return -(mask * log_p[n, t, y]).sum() / len(x), np.zeros_like(x)  # dx unused: the bug's gradient comes whole


def _bug():
    s = STASH
    return gradients(s["Wx"].T, s["Wh"].T, s["w"].T, s["b"], s["c"], s["h0"][0], s["x"][0], s["y"][0])


def temporal_affine_backward(dout, cache):
    g = _bug()
    return np.zeros((1, dout.shape[1], len(STASH["b"]))), g["V"].T, g["c"]


def rnn_backward(dh, cache):
    g = _bug()
    return np.zeros_like(STASH["x"]), g["h0"][None], g["U"].T, g["W"].T, g["b"]
