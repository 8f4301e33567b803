"""A backward pass with a shape bug, raised inside numpy."""

import numpy as np


def backward():
    dh = np.ones((16, 8))
    return np.dot(dh, np.ones(16))
