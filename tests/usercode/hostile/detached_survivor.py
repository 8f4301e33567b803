"""Double fork: a great-grandchild in its own session whose parent exits at once, so it is orphaned; returns its pid
(through a pipe from the intermediate process)."""

import os
import time


def backward():
    read, write = os.pipe()
    if os.fork() == 0:
        pid = os.fork()
        if pid == 0:
            os.setsid()
            time.sleep(1000)
            os._exit(0)
        os.write(write, str(pid).encode())
        os._exit(0)
    os.close(write)
    pid = int(os.read(read, 32))
    time.sleep(0.2)  # the intermediate has exited: the great-grandchild is an orphan now
    return pid
