"""Forks a grandchild that leaves the process group (setsid) to outlive the child; returns its pid."""

import os
import time


def backward():
    pid = os.fork()
    if pid == 0:
        os.setsid()
        time.sleep(1000)
        os._exit(0)
    return pid
