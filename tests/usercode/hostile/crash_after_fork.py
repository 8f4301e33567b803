"""Forks a grandchild that keeps every pipe open, then crashes: the crash must still be seen at once."""

import os
import time


def backward():
    if os.fork() == 0:
        time.sleep(1000)
        os._exit(0)
    time.sleep(0.2)
    os.abort()
