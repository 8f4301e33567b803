"""Nothing a user's code starts outlives gradcheck: the sandboxes' children, their process groups, and the strays.

    become_subreaper()                 # before a child starts: orphans come back to us, not to init
    proc = counted(lambda: Popen(…))   # a sandbox's child, never taken for a stray
    kill_tree(proc.pid)                # its descendants, then its process group
    reap(proc)                         # waited for, and whatever it left behind killed and reaped

A child runs in a process group of its own (start_new_session=True) with MARK=<our pid> in its environment, so what
it forks carries the mark even after setsid; being the subreaper (Linux), we are where such a process goes when its
parent exits, and a marked process of ours that no sandbox counts is a stray.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable

REAP_GRACE = 2.0  # seconds to wait for a child that closed its reply pipe to exit
PR_SET_CHILD_SUBREAPER = 36
MARK = "GRADCHECK_SANDBOX"  # in a child's environment: the pid of the gradcheck process it belongs to

_CHILDREN: set[int] = set()  # the sandboxes' children alive now (grade runs several at once)
_CHILDREN_LOCK = threading.Lock()


def become_subreaper() -> None:
    """Have orphaned descendants reparented to this process, not to init (Linux): a process the user's code forks
    and detaches (setsid, then its parent exits) stays ours to find and kill. Nothing where prctl is not there."""
    import ctypes
    import ctypes.util

    with contextlib.suppress(OSError, AttributeError, TypeError):
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def counted(start: Callable[[], subprocess.Popen[bytes]]) -> subprocess.Popen[bytes]:
    """The process `start` makes, counted as a sandbox's child from the moment it exists: until it is counted, no
    stray search may take it for a stray."""
    with _CHILDREN_LOCK:
        proc = start()
        _CHILDREN.add(proc.pid)
    return proc


def kill_tree(pid: int) -> None:
    """Kill everything a child started (any descendant that left the group with setsid), then its process group."""
    for descendant in _descendants(pid):  # before the group: a killed parent orphans its children
        _kill(descendant)
    kill_group(pid)


def reap(proc: subprocess.Popen[bytes]) -> None:
    """Wait for a sandbox's child, stop counting it, and kill and reap what the user's code left behind."""
    proc.wait()
    with _CHILDREN_LOCK:
        _CHILDREN.discard(proc.pid)
    _kill_strays()


def kill_group(pgid: int) -> None:
    """SIGKILL every process of the group (the child made it with start_new_session=True)."""
    if pgid > 0:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)


def _parents() -> dict[int, int]:
    """pid -> parent pid of every process visible in /proc (empty where there is no /proc)."""
    found: dict[int, int] = {}
    with contextlib.suppress(OSError):
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                with contextlib.suppress(OSError, ValueError, IndexError):
                    with open(f"/proc/{entry.name}/stat", "rb") as stat:
                        fields = stat.read().rsplit(b")", 1)[1].split()  # after "pid (comm)": state, ppid, …
                    found[int(entry.name)] = int(fields[1])
    return found


def _descendants(pid: int, parents: dict[int, int] | None = None) -> list[int]:
    """Every process below `pid`, children first."""
    parents = _parents() if parents is None else parents
    children: dict[int, list[int]] = {}
    for child, parent in parents.items():
        children.setdefault(parent, []).append(child)
    found, todo = [], list(children.get(pid, []))
    while todo:
        found.append(todo.pop())
        todo += children.get(found[-1], [])
    return found


def _kill_strays() -> None:
    """Kill and reap what the user's code left behind: processes reparented to us (we are their subreaper) that are
    not a sandbox's child, with all they started."""
    with _CHILDREN_LOCK:  # no sandbox starts a child while its strays are looked for
        parents = _parents()
        strays = [pid for pid, parent in parents.items() if parent == os.getpid() and pid not in _CHILDREN]
        strays = [pid for pid in strays if _marked(pid)]  # not a child this process started for itself
        for stray in strays:
            for pid in [*_descendants(stray, parents), stray]:
                _kill(pid)
    for stray in strays:
        deadline = time.monotonic() + REAP_GRACE
        with contextlib.suppress(ChildProcessError, OSError):
            while os.waitpid(stray, os.WNOHANG) == (0, 0) and time.monotonic() < deadline:
                time.sleep(0.01)


def _marked(pid: int) -> bool:
    """Whether `pid` descends from one of our sandboxes: it carries MARK=<our pid> in the environment it started
    with (a fork keeps its parent's, whatever it does to os.environ afterwards)."""
    try:
        with open(f"/proc/{pid}/environ", "rb") as environ:
            return f"{MARK}={os.getpid()}".encode() in environ.read().split(b"\0")
    except OSError:
        return False


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, signal.SIGKILL)
