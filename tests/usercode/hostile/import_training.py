"""Trains while loading: the loop is inside an assignment's call, which loading the definitions runs."""

import numpy as np

weights = np.zeros(64)
trained = [weights.__iadd__(np.tanh(weights + epoch)) for epoch in range(10**9)]
