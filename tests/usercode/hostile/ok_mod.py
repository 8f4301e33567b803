"""Well-behaved functions for round trips."""

import numpy as np

SCALE = 1.0


def echo(value):
    return value


def scaled(x):
    return SCALE * x


def numpy_scalars():
    return {"f": np.float32(1.5), "i": np.int64(7), "c": np.complex128(1 - 2j), "b": np.bool_(True)}


def matmul(n):
    a = np.full((n, n), 0.5)
    return a @ a


def array_like():
    class Wrapped:
        def __array__(self, dtype=None, copy=None):
            return np.arange(3.0)

    return Wrapped()
