"""Returns the gradients as a list instead of a dict by name: an ERROR row (wrong return value)."""

import numpy as np


def backward(U, W, V, b, c, h0, x, y):
    return [np.zeros_like(U), np.zeros_like(W), np.zeros_like(V), np.zeros_like(b), np.zeros_like(c)]
