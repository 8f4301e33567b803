"""Run a user's module in a child process with time and memory limits; untrusted code stays outside this process.

    with Sandbox(Path("my_rnn.py"), "gradcheck.user.layouts:book", Limits(timeout=60)) as box:
        grads = box.request("backward", label="backward", params=params, x=x, y=y)

The parent never imports the user's module and never unpickles what the child sends (gradcheck.user.wire reads
plain JSON and .npy blobs only, with sizes bounded). Every failure raises `SandboxError`, a UserCodeError of one
line naming the user's file; after a failure of the process itself (a timeout, a crash, sys.exit, an unreadable
reply) the sandbox is closed and every later request raises the same error.
What the child starts is killed and reaped with it (gradcheck.user.reaping).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import select
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from types import TracebackType
from typing import IO, NoReturn

from gradcheck.check.loading import special_kind
from gradcheck.errors import UserCodeError
from gradcheck.user import wire
from gradcheck.user.child import IMPORTING, Kind, doing, one_line
from gradcheck.user.reaping import MARK, REAP_GRACE, become_subreaper, counted, kill_group, kill_tree, reap
from gradcheck.user.wire import Value

PIPE_BUFFER = 2**20
STDERR_TAIL = 8192  # bytes of the child's stderr kept for crash messages
THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
PACKAGE_ROOT = Path(__file__).resolve().parents[2]  # the folder holding gradcheck/, for the child's PYTHONPATH
WAKE = 0.25  # seconds: the longest a wait blocks before it lets a pending signal handler run
STARTUP = 60.0  # seconds for the child's interpreter and our imports: never counted against the user's --timeout
FAULT_FRAME = re.compile(r'File "(.+)", line (\d+) in (\S+)')


@dataclass(frozen=True)
class Limits:
    """What the user's code may use: `import_timeout` seconds to load its definitions (from the child's start of the
    load), `timeout` for each request, `memory_bytes` of address space."""

    timeout: float = 60.0
    memory_bytes: int = 4 * 2**30
    import_timeout: float = 10.0


class Failure(StrEnum):
    """Why a sandbox request failed: the child's error kinds, and failures of the process itself."""

    EXCEPTION = Kind.EXCEPTION.value
    NOT_IMPLEMENTED = Kind.NOT_IMPLEMENTED.value
    EXIT = Kind.EXIT.value
    MEMORY = Kind.MEMORY.value
    USAGE = Kind.USAGE.value
    FILE = "file"  # the path is not a readable .py file
    TIMEOUT = "timeout"
    CRASH = "crash"  # the child died without replying
    UNREADABLE = "unreadable"  # the child's reply could not be read


FATAL = {Failure.EXIT, Failure.FILE, Failure.TIMEOUT, Failure.CRASH, Failure.UNREADABLE}  # these close the sandbox


class SandboxError(UserCodeError):
    """One line about the user's code, with the reason as `failure`."""

    def __init__(self, message: str, failure: Failure) -> None:
        self.failure = failure
        super().__init__(message)


class _DeadlineError(Exception):
    """The time limit passed while talking to the child."""


class _GoneError(Exception):
    """The child exited, or closed its reply pipe, before a whole reply arrived."""


def check_path(path: Path) -> None:
    """Refuse, by path alone (never importing), anything that is not a readable .py file."""
    if not path.exists():
        problem = "no such file"
    elif path.is_dir():
        problem = "is a folder, not a Python file"
    elif path.suffix != ".py":
        problem = "is not a Python file (expected a .py file)"
    elif (kind := special_kind(path)) is not None:
        problem = f"not a regular file ({kind}): expected a .py file"
    elif not os.access(path, os.R_OK):
        problem = "cannot be read (permission denied)"
    else:
        return
    raise SandboxError(f"{path}: {problem}", Failure.FILE)


class _StderrTail:
    """Drains the child's stderr in a thread, keeping its last bytes, so a chatty child never blocks."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self._tail = bytearray()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._drain, name="sandbox-stderr", daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        with self._stream:
            while chunk := os.read(self._stream.fileno(), 65536):
                with self._lock:
                    self._tail = (self._tail + chunk)[-STDERR_TAIL:]

    def open(self) -> bool:
        """Whether some process still holds the stream open."""
        return self._thread.is_alive()

    def text(self, wait: float = 0.0) -> str:
        """The tail so far, after waiting up to `wait` seconds for the stream to end."""
        self._thread.join(wait)
        with self._lock:
            return self._tail.decode("utf-8", "replace")


class Sandbox:
    """A child process running one user module behind a trusted handler (see module docstring)."""

    def __init__(
        self,
        path: Path,
        adapter: str,
        limits: Limits = Limits(),
        options: dict[str, Value] | None = None,
        python: str | None = None,
    ) -> None:
        self.path = Path(path)
        self.python = python  # another interpreter, which runs the child's side from a bundled folder
        self._bundle = contextlib.ExitStack()
        self.adapter = adapter
        self.options = options or {}  # the factory's keyword arguments, after the module
        self.limits = limits
        self.name = self.path.name
        self._proc: subprocess.Popen[bytes] | None = None
        self._to_child = self._from_child = self._pidfd = -1
        self._stderr: _StderrTail | None = None
        self._failure: SandboxError | None = None

    # --- life ---------------------------------------------------------------------------------------------------

    def __enter__(self) -> Sandbox:
        try:
            check_path(self.path)
            self._start()
            self._await_ready()
            self._exchange(
                {"path": str(self.path.resolve()), "adapter": self.adapter, "limits": self._limits(), "options": self.options},
                IMPORTING,
            )
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def _await_ready(self) -> None:
        """Wait for the child's "ready": its start-up is ours, so the user's timeout starts after it."""
        try:
            deadline = time.monotonic() + STARTUP
            reply = wire.decode(lambda n: self._read_exact(n, deadline), self.limits.memory_bytes)
        except _DeadlineError:
            raise SandboxError(f"{self.name}: the child process did not start within {STARTUP:g} s", Failure.TIMEOUT) from None
        except (_GoneError, wire.ClosedError):
            raise self._gone("starting up") from None
        except wire.WireError:
            raise SandboxError(f"{self.name}: the child process sent an unreadable reply", Failure.UNREADABLE) from None
        if reply != {"ok": "ready"}:
            raise SandboxError(f"{self.name}: the child process sent an unreadable reply", Failure.UNREADABLE)

    def _limits(self) -> dict[str, Value]:
        limits = self.limits
        return {"timeout": limits.timeout, "memory_bytes": limits.memory_bytes, "import_timeout": limits.import_timeout}

    def _start(self) -> None:
        """Start the child in its own process group, with the two message pipes and the stderr drain."""
        request_r, self._to_child = os.pipe()
        self._from_child, reply_w = os.pipe()
        for fd in (self._to_child, reply_w):
            _widen(fd)
        become_subreaper()
        try:
            command = [sys.executable, "-P", "-m", "gradcheck.user.child"]
            if self.python is not None:
                from gradcheck.user.bundle import bundled

                command = [self.python, str(self._bundle.enter_context(bundled()))]
            self._proc = counted(
                lambda: subprocess.Popen(
                    [*command, str(request_r), str(reply_w)],
                    pass_fds=(request_r, reply_w),
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                    cwd=self.path.resolve().parent,
                    env=self._environment(),
                    start_new_session=True,
                )
            )
        finally:
            os.close(request_r)
            os.close(reply_w)
        os.set_blocking(self._to_child, False)
        assert self._proc.stderr is not None
        self._stderr = _StderrTail(self._proc.stderr)
        self._pidfd = _pidfd(self._proc.pid)

    def _environment(self) -> dict[str, str]:
        """Ours, with one BLAS thread (many threads multiply memory under RLIMIT_AS) and gradcheck importable."""
        env = dict(os.environ) | dict.fromkeys(THREAD_VARS, "1") | {MARK: str(os.getpid())}
        if self.python is not None:
            return env  # the bundled folder is the child's first path entry; nothing of gradcheck's installation
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PACKAGE_ROOT), os.environ.get("PYTHONPATH")]))
        return env

    def close(self) -> None:
        """Kill the child with everything it started (its process group, and any descendant that left the group with
        setsid), reap it, close every pipe. Safe to call twice."""
        if self._proc is not None:
            if self._proc.returncode is None or self._stderr_open():
                kill_tree(self._proc.pid)
            reap(self._proc)
            if self._stderr is not None:
                self._stderr.text(wait=1.0)
        for fd in (self._to_child, self._from_child, self._pidfd):
            if fd >= 0:
                os.close(fd)
        self._to_child = self._from_child = self._pidfd = -1
        self._proc = None
        self._bundle.close()

    def _stderr_open(self) -> bool:
        """Whether something in the group (a grandchild) may still hold the child's stderr."""
        return self._stderr is not None and self._stderr.open()

    # --- requests -----------------------------------------------------------------------------------------------

    @property
    def pid(self) -> int | None:
        """The child's process id while it runs."""
        return None if self._proc is None else self._proc.pid

    def request(self, method: str, /, *, label: str | None = None, **args: Value) -> Value:
        """handler.method(**args) in the child, within the timeout; `label` names it in messages (default: method).

        Raises SandboxError (a UserCodeError) with one line; `label` is reserved and cannot be a handler argument.
        """
        if self._failure is not None:
            raise self._failure
        if self._proc is None:
            raise SandboxError(f"{self.name}: the sandbox is not running", Failure.CRASH)
        return self._exchange({"method": method, "args": args, "label": label or method}, label or method)

    def _exchange(self, message: Value, label: str) -> Value:
        """Send one message and read its reply; turn every failure into a SandboxError (closing when fatal)."""
        try:
            reply = self._talk(message, self.limits.import_timeout if label == IMPORTING else self.limits.timeout)
            return self._unpack(reply, label)
        except _DeadlineError:
            error = SandboxError(self._timeout_message(label), Failure.TIMEOUT)
        except _GoneError:
            error = self._gone(label)
        except wire.WireError:
            error = SandboxError(f"{self.name}: the child process sent an unreadable reply", Failure.UNREADABLE)
        except SandboxError as raised:
            error = raised
        except BaseException:  # Ctrl-C or a bug halfway through a message: the pipes are out of step, so stop the child
            self.close()
            raise
        if error.failure in FATAL:
            self._failure = error
            self.close()
        raise error

    def _talk(self, message: Value, timeout: float) -> Value:
        """Send a message and read the reply, both within one timeout; replies are bounded by the memory limit."""
        deadline = time.monotonic() + timeout
        self._send(wire.encode(message), deadline)
        try:
            return wire.decode(lambda n: self._read_exact(n, deadline), self.limits.memory_bytes)
        except wire.ClosedError:
            raise _GoneError from None

    def _unpack(self, reply: Value, label: str) -> Value:
        """The value of {"ok": value}; a SandboxError for {"error": line, "kind": kind}."""
        if isinstance(reply, dict) and reply.keys() == {"ok"}:
            return reply["ok"]
        if isinstance(reply, dict) and reply.keys() == {"error", "kind"}:
            message, kind = reply["error"], reply["kind"]
            if isinstance(message, str) and isinstance(kind, str) and kind in {k.value for k in Kind}:
                return self._raise_reported(Failure(kind), message)
        raise wire.WireError("a reply that is neither ok nor error")

    def _raise_reported(self, failure: Failure, message: str) -> NoReturn:
        """Raise what the child reported, as one line."""
        if failure is Failure.EXIT:  # the child stops after sys.exit; reap it before reporting
            self._wait_exit()
        raise SandboxError(one_line(message), failure)

    def _timeout_message(self, label: str) -> str:
        if label == IMPORTING:
            limit = f"{self.limits.import_timeout:g} s (--import-timeout)"
            stderr = self._stderr.text(wait=0.5) if self._stderr else ""
            where = _load_location(stderr, self.path)
            running = f"; line {where} was running" if where else ""
            return f"{self.name}: loading its definitions took over {limit}{running}"
        return f"{self.name}: {label} did not finish within {self.limits.timeout:g} s (--timeout)"

    # --- pipes with a deadline ----------------------------------------------------------------------------------

    def _send(self, data: bytes, deadline: float) -> None:
        """Write all of data to the non-blocking request pipe, never waiting past the deadline."""
        view = memoryview(data)
        while view:
            self._wait_for(self._to_child, select.POLLOUT, deadline)
            try:
                view = view[os.write(self._to_child, view) :]
            except BlockingIOError:
                continue
            except BrokenPipeError:
                raise _GoneError from None

    def _read_exact(self, n: int, deadline: float) -> bytes:
        """Exactly n bytes of the reply, growing only as data arrives (a size claim alone allocates nothing)."""
        buffer = bytearray()
        while len(buffer) < n:
            self._wait_for(self._from_child, select.POLLIN, deadline)
            chunk = os.read(self._from_child, min(n - len(buffer), 2**20))
            if not chunk:
                raise wire.ClosedError(at_boundary=False)
            buffer += chunk
        return bytes(buffer)

    def _wait_for(self, fd: int, event: int, deadline: float) -> None:
        """Until fd is ready for event; _DeadlineError when time runs out, _GoneError when the child exits first."""
        poller = select.poll()
        poller.register(fd, event)
        if self._pidfd >= 0:
            poller.register(self._pidfd, select.POLLIN)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _DeadlineError
            # in slices: a signal delivered to another thread runs its handler only when this one wakes (Ctrl-C)
            slice_ms = min(remaining, WAKE if self._pidfd >= 0 else 0.1) * 1000
            ready = dict(poller.poll(max(1, int(slice_ms))))
            if ready.get(fd):  # data (or EOF, or an error) first: a child may reply and then exit
                return
            if ready.get(self._pidfd) or (self._pidfd < 0 and self._proc is not None and self._proc.poll() is not None):
                raise _GoneError

    # --- a child that is gone -----------------------------------------------------------------------------------

    def _wait_exit(self) -> int | None:
        assert self._proc is not None
        try:
            return self._proc.wait(REAP_GRACE)
        except subprocess.TimeoutExpired:
            return None

    def _gone(self, label: str) -> SandboxError:
        """The error for a child that stopped replying: its exit status or signal, and the user's line if known."""
        status = self._wait_exit()
        if status is None:  # alive, but it closed its end of the pipe
            return SandboxError(f"{self.name}: the child process sent an unreadable reply", Failure.UNREADABLE)
        kill_group(self._proc.pid if self._proc else 0)  # grandchildren may hold stderr open
        stderr = self._stderr.text(wait=1.0) if self._stderr else ""
        how = f"signal {_signal_name(-status)}" if status < 0 else f"exit status {status}"
        where = _crash_location(stderr, self.path)
        message = f"{where or self.name}: crashed the Python process ({how}) while {doing(label)}"
        last = stderr.strip().splitlines()[-1:] if not where and status >= 0 else []
        if last and 0 < len(last[0]) <= 100:
            message += f"; its last output: {last[0].strip()}"
        return SandboxError(one_line(message), Failure.CRASH)


def _pidfd(pid: int) -> int:
    """A descriptor that becomes readable when the process exits (Linux 5.3+), or -1: then poll in 0.1 s slices."""
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):
        return -1


def _widen(fd: int) -> None:
    """Give a pipe a 1 MiB buffer where Linux allows it (64 KiB is the default): fewer round trips for big arrays."""
    with contextlib.suppress(AttributeError, OSError):
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_BUFFER)


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return str(number)


def _load_location(stderr: str, path: Path) -> str | None:
    """The line of the user's file that was running at module level when faulthandler dumped the load's traceback."""
    file = path.resolve()
    for match in FAULT_FRAME.finditer(stderr.rpartition("most recent call first")[2]):
        if match[3] == "<module>" and Path(match[1]).resolve() == file:
            return match[2]
    return None


def _crash_location(stderr: str, path: Path) -> str | None:
    """my_rnn.py:5 in backward, from the faulthandler traceback of a crash (innermost user frame first), if any."""
    dump = stderr.rpartition("Fatal Python error")[2] if "Fatal Python error" in stderr else ""
    folder = path.resolve().parent
    for match in FAULT_FRAME.finditer(dump):
        file = Path(match[1])
        if file.parent == folder:
            return f"{file.name}:{match[2]}" + ("" if match[3] == "<module>" else f" in {match[3]}")
    return None
