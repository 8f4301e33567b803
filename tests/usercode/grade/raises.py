"""A shape bug raised inside numpy: an ERROR row (exception)."""


def backward(U, W, V, b, c, h0, x, y):
    return {"U": W @ x}
