"""A backward pass that never returns: an ERROR row (timeout)."""


def backward(U, W, V, b, c, h0, x, y):
    while True:
        pass
