"""Test fixture, min-char-rnn layout: lossFun returning the gradients of the catalogued bug named by
$GRADCHECK_TEST_BUG, reshaped as the classic demo returns them (biases as columns)."""

import numpy as np
from book_bugs import gradients

from gradcheck.book import rnn

Wxh = Whh = Why = bh = by = None  # set by gradcheck before each call


def lossFun(inputs, targets, hprev):
    x = np.eye(Wxh.shape[1])[inputs]
    g = gradients(Wxh, Whh, Why, bh[:, 0], by[:, 0], hprev[:, 0], x, np.array(targets))
    params = rnn.Params(U=Wxh, W=Whh, V=Why, b=bh[:, 0], c=by[:, 0], h0=hprev[:, 0])
    trace = rnn.forward(params, x, np.array(targets))
    return trace.loss, g["U"], g["W"], g["V"], g["b"][:, None], g["c"][:, None], trace.h[-1][:, None]
