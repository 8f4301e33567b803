"""Calls abort()."""

import os


def backward():
    os.abort()
