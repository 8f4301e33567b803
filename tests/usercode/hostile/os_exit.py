"""Leaves with os._exit, after saying why."""

import os
import sys


def backward():
    print("giving up", file=sys.stderr, flush=True)
    os._exit(3)
