"""Test fixture, book layout: the catalogued bug named by $GRADCHECK_TEST_BUG (or a known mistake), written as a user's
backward would return it: a dict of gradients by the book's names."""

import os

import numpy as np

from gradcheck.book import bugs, mistakes, rnn

MISTAKES = {
    "forwards-in-time": mistakes.forwards_in_time,
    "truncated-k": lambda p, tr: mistakes.truncated(p, tr, 3),
}


def gradients(U, W, V, b, c, h0, x, y):
    params = rnn.Params(U=U, W=W, V=V, b=b, c=c, h0=h0)
    trace = rnn.forward(params, x, y)
    name = os.environ.get("GRADCHECK_TEST_BUG", "")
    if name in MISTAKES:
        return dict(MISTAKES[name](params, trace))
    grads = bugs.BUGS[name].backward(params, trace) if name else rnn.backward(params, trace)
    return dict(grads.params)


def backward(U, W, V, b, c, h0, x, y):
    return gradients(U, W, V, b, c, h0, x, y)


def forward(U, W, V, b, c, h0, x, y):
    return rnn.forward(rnn.Params(U=U, W=W, V=V, b=b, c=c, h0=h0), np.asarray(x), np.asarray(y)).loss
