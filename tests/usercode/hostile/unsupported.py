"""Returns something that is not numbers."""


def backward():
    return {1, 2, 3}
