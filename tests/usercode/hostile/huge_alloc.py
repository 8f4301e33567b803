"""Asks for 10 GB."""

import numpy as np


def backward():
    return np.ones(10**10 // 8)  # 10 GB of float64
