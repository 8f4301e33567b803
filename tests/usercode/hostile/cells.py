"""A user's helper module."""


def step(n):
    return {"n": n}["missing"]
