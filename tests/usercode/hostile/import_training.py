"""Trains at import time instead of under if __name__ == "__main__"."""

import numpy as np

weights = np.zeros(64)
for epoch in range(10**9):
    weights += np.tanh(weights + epoch)
