"""Prints megabytes to stdout and stderr, at import and when called."""

import sys

print("x" * 5_000_000)
print("y" * 5_000_000, file=sys.stderr)


def backward():
    for _ in range(50):
        print("z" * 100_000)
        print("w" * 100_000, file=sys.stderr)
    return 1.0
