"""Reads standard input, which must be empty rather than hang."""

import sys


def backward():
    return sys.stdin.read()
