"""The child process that imports and runs a user's code: `python -P -m gradcheck.user.child FD_IN FD_OUT`.

Only gradcheck/user/sandbox.py starts it. It reads a hello message {"path", "adapter", "limits"} from FD_IN,
limits its own memory, imports the user's file, builds `handler = factory(module)` with the trusted factory the
parent names ("package.module:factory"), and replies {"ok": None}. Then it serves requests
{"method", "args", "label"} with `getattr(handler, method)(**args)`, replying {"ok": value} or
{"error": one line, "kind": …} (see `Kind`), until FD_IN ends. Every message is a gradcheck.user.wire message.

Error lines name the user's deepest own frame (`my_rnn.py:12 in backward: ValueError: …`): frames of gradcheck,
numpy and the standard library are never shown, only those of files in the user's folder.
"""

from __future__ import annotations

import faulthandler
import functools
import importlib
import importlib.util
import os
import resource
import select
import signal
import sys
import sysconfig
import threading
import traceback
from enum import Enum
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np

from gradcheck.errors import UserCodeError
from gradcheck.user import wire
from gradcheck.user.loader import Loaded, load
from gradcheck.user.wire import Value

MAX_MESSAGE = 300  # characters of an error line
IMPORTING = "importing it"


class Kind(str, Enum):
    """What went wrong in the child, as sent in an error reply."""

    EXCEPTION = "exception"  # the user's code raised
    NOT_IMPLEMENTED = "not-implemented"  # … NotImplementedError
    EXIT = "exit"  # … called sys.exit(); the child stops after replying
    MEMORY = "memory"  # … ran out of memory under the limit
    USAGE = "usage"  # the handler (our code) found what the user's code returned unusable


def format_bytes(n: int) -> str:
    """A memory size as a person writes it: 4 GiB, 512 MiB, 1000 bytes."""
    for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= size and n % size == 0:
            return f"{n // size} {unit}"
    return f"{n} bytes"


def one_line(text: str, limit: int = MAX_MESSAGE) -> str:
    """Text squeezed to one printable line of at most `limit` characters."""
    line = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


# --- where in the user's code -------------------------------------------------------------------------------------


class UserFrames:
    """Which frames belong to the user: files in the user's folder, but not gradcheck, numpy or Python's own."""

    def __init__(self, path: Path) -> None:
        self.path = path.resolve()
        self.folder = self.path.parent
        ours = [Path(__file__).resolve().parents[1], Path(np.__file__).resolve().parent]
        pythons = [sys.prefix, sys.base_prefix, sys.exec_prefix, *sysconfig.get_paths().values()]
        self.excluded = [*ours, *(Path(p).resolve() for p in pythons)]

    def owns(self, filename: str) -> bool:
        """Whether a code object's filename is one of the user's files."""
        if filename.startswith("<"):  # <frozen importlib._bootstrap>, <string>
            return False
        file = Path(filename).resolve()
        if file == self.path:
            return True
        return file.is_relative_to(self.folder) and not any(file.is_relative_to(d) for d in self.excluded)

    def deepest(self, tb: TracebackType | None) -> traceback.FrameSummary | None:
        """The innermost frame of a traceback that is the user's, if any."""
        frames = [frame for frame in traceback.extract_tb(tb) if self.owns(frame.filename)]
        return frames[-1] if frames else None

    def name(self, filename: str) -> str:
        """A user file's name relative to the user's folder (my_rnn.py, lib/cells.py)."""
        file = Path(filename).resolve()
        return str(file.relative_to(self.folder)) if file.is_relative_to(self.folder) else file.name

    def where(self, frame: traceback.FrameSummary | None, with_function: bool = True) -> str:
        """my_rnn.py:12 in backward (the function left out at module level); the file's name with no frame."""
        if frame is None:
            return self.path.name
        place = f"{self.name(frame.filename)}:{frame.lineno}"
        return f"{place} in {frame.name}" if with_function and frame.name != "<module>" else place


# --- describing what went wrong -----------------------------------------------------------------------------------


LOADED: list[Loaded] = []  # the user's file, once loaded: what it sets only as a script explains a NameError


def describe(error: BaseException, frames: UserFrames, label: str, memory_bytes: int) -> tuple[Kind, str]:
    """The kind and one-line message for an exception raised while importing (label IMPORTING) or running `label`."""
    frame = frames.deepest(error.__traceback__)
    if isinstance(error, UserCodeError):
        return Kind.USAGE, one_line(_text(error))
    if isinstance(error, SystemExit):
        called = f"sys.exit({_exit_code(error.code)})"
        return Kind.EXIT, one_line(f"{frames.where(frame, with_function=False)}: the code called {called} while {doing(label)}")
    if isinstance(error, MemoryError):
        return Kind.MEMORY, one_line(f"{frames.where(frame)}: ran out of memory (limit {format_bytes(memory_bytes)})")
    if isinstance(error, NotImplementedError) and frame is not None:
        what = "it" if frame.name == "<module>" else frame.name
        name = frames.name(frame.filename)
        return Kind.NOT_IMPLEMENTED, one_line(
            f"{name}: {what} is not implemented yet (it raises NotImplementedError at line {frame.lineno})"
        )
    if isinstance(error, SyntaxError) and error.filename:  # where the parser stopped, not a frame
        place = f"{Path(error.filename).name}:{error.lineno}" if error.lineno else Path(error.filename).name
        return Kind.EXCEPTION, one_line(f"{place}: {type(error).__name__}: {error.msg}")
    message = _text(error) + "".join(loaded.why_undefined(error) for loaded in LOADED)
    return Kind.EXCEPTION, one_line(f"{frames.where(frame)}: {type(error).__name__}" + (f": {message}" if message else ""))


def doing(label: str) -> str:
    """What the child was doing, in words: "importing it", "reading the file", or "running lossFun"."""
    return label if " " in label else f"running {label}"


def _text(error: BaseException) -> str:
    """str(error), even when the user's __str__ itself fails."""
    try:
        return str(error)
    except Exception:  # a user-defined __str__ that raises: the message is lost, the error is not
        return "(its message could not be shown)"


def _exit_code(code: object) -> str:
    """The argument of sys.exit as the user wrote it, for plain values only (no reprs of exotic objects)."""
    if code is None:
        return ""
    if isinstance(code, int):
        return str(code)
    if isinstance(code, str):
        return repr(one_line(code, 60))
    return "…"


# --- the user's module --------------------------------------------------------------------------------------------


def resolve_factory(dotted: str) -> Any:
    """The trusted factory named "package.module:attribute" by the parent."""
    module_name, _, attribute = dotted.partition(":")
    target: Any = importlib.import_module(module_name)
    for part in attribute.split("."):
        target = getattr(target, part)
    return target


class Direct:
    """A trivial handler: call a function of the user's module by name, after setting module globals.

    Used by the tests; the real layouts live in gradcheck/user/layouts/.
    """

    def __init__(self, loaded: Loaded) -> None:
        self.module = loaded.module
        self.file = Path(self.module.__file__ or self.module.__name__).name

    def call(self, function: str, kwargs: dict[str, Value], globals: dict[str, Value] | None = None) -> Value:
        """module.function(**kwargs) after module.NAME = value for each global; the result made plain data."""
        for name, value in (globals or {}).items():
            setattr(self.module, name, value)
        target = getattr(self.module, function, None)
        if not callable(target):
            raise UserCodeError(f"{self.file}: has no function {function}")
        return plain(target(**kwargs), f"{self.file}: {function}")


def plain(value: Any, who: str) -> Value:
    """A result as wire data: numpy scalars as Python numbers, array-likes as arrays, containers walked.

    Raises UserCodeError naming `who` and the type it returned for anything else.
    """
    if value is None or isinstance(value, (bool, int, float, complex, str)):
        return value
    if isinstance(value, np.generic) and value.dtype.kind in wire.ARRAY_KINDS:
        item: Value = value.item()
        return item
    if isinstance(value, (list, tuple)):
        items = [plain(item, who) for item in value]
        return items if isinstance(value, list) else tuple(items)
    if isinstance(value, dict) and all(isinstance(key, str) for key in value):
        return {key: plain(item, who) for key, item in value.items()}
    if isinstance(value, np.ndarray) or hasattr(type(value), "__array__"):
        array = np.asarray(value)
        if array.dtype.kind in wire.ARRAY_KINDS and array.dtype.fields is None:
            return array
        raise UserCodeError(f"{who} returned an array of dtype {array.dtype.name}; gradcheck reads numbers only")
    raise UserCodeError(f"{who} returned a {type(value).__name__}, which gradcheck cannot read")


# --- the process --------------------------------------------------------------------------------------------------


class Pipe:
    """The child's end of the two pipes: blocking reads (the parent is trusted) and whole writes."""

    def __init__(self, fd_in: int, fd_out: int) -> None:
        self.fd_in = fd_in
        self.fd_out = fd_out

    def read_exact(self, n: int) -> bytes:
        chunks = bytearray()
        while len(chunks) < n:
            chunk = os.read(self.fd_in, min(n - len(chunks), 2**20))
            if not chunk:
                raise wire.ClosedError(at_boundary=False)
            chunks += chunk
        return bytes(chunks)

    def receive(self) -> Any:
        return wire.decode(self.read_exact, max_blob_bytes=2**62)

    def send(self, value: Value) -> None:
        data = memoryview(wire.encode(value))
        while data:
            data = data[os.write(self.fd_out, data) :]


def exit_with_parent(fd_in: int) -> None:
    """Exit as soon as the parent's end of the request pipe closes, even while the user's code is busy.

    A thread waits for POLLHUP on the request pipe: only the parent holds its write end, so that happens when the
    parent closes the sandbox or dies (even by SIGKILL), and this child never outlives it.
    """

    def watch() -> None:
        poller = select.poll()
        poller.register(fd_in, 0)  # no events asked for: poll still reports hang-up and errors, never data
        while True:
            if any(event & (select.POLLHUP | select.POLLERR | select.POLLNVAL) for _, event in poller.poll()):
                os._exit(0)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def limit_memory(memory_bytes: int) -> None:
    """Cap the address space (RLIMIT_AS) so an allocation beyond it raises MemoryError here, not on the machine."""
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = memory_bytes if hard == resource.RLIM_INFINITY else min(memory_bytes, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))


def start(hello: dict[str, Any], frames: UserFrames) -> Any:
    """Import the trusted factory, then (limited) the user's definitions; return the handler, factory(loaded, **options).

    A load still running just before the parent's time limit leaves a traceback on stderr (faulthandler, which works
    even inside numpy's C code), from which the parent names the statement that was running."""
    factory = resolve_factory(hello["adapter"])  # before the user's folder is on sys.path: nothing of theirs shadows it
    limit_memory(hello["limits"]["memory_bytes"])
    timeout = float(hello["limits"].get("import_timeout", hello["limits"]["timeout"]))
    faulthandler.dump_traceback_later(max(0.05, timeout - min(0.5, timeout / 4)), exit=False)
    options = hello.get("options", {})
    needs = getattr(factory, "needs", None)  # the names the handler will read, to run only what they depend on
    try:
        loaded = load(frames.path, None if needs is None else lambda tree: needs(tree, **options))
    finally:
        faulthandler.cancel_dump_traceback_later()
    LOADED.append(loaded)
    return factory(loaded, **options)


def reply_to(pipe: Pipe, action: Any, frames: UserFrames, label: str, memory_bytes: int) -> Kind | None:
    """Run action(), send its value or the error it raised; return the error's kind, None on success."""
    try:
        result = action()
        pipe.send({"ok": result})
        return None
    except BaseException as error:  # the sandbox boundary: whatever the user's code raised is reported, not raised
        kind, message = describe(error, frames, label, memory_bytes)
        if isinstance(error, wire.WireError):
            message = one_line(f"{frames.path.name}: {label} returned a value gradcheck cannot read ({error})")
        pipe.send({"error": message, "kind": kind.value})
        return kind


def invoke(handler: Any, method: str, args: dict[str, Any]) -> Value:
    """handler.method(**args): the one place a request reaches the handler."""
    result: Value = getattr(handler, method)(**args)
    return result


def serve(pipe: Pipe, handler: Any, frames: UserFrames, memory_bytes: int) -> None:
    """Answer requests until the parent closes the pipe or the user's code calls sys.exit."""
    while True:
        try:
            request = pipe.receive()
        except wire.ClosedError:
            return
        call = functools.partial(invoke, handler, request["method"], request["args"])
        if reply_to(pipe, call, frames, request["label"], memory_bytes) is Kind.EXIT:
            return


def main(argv: list[str]) -> int:
    """The child's life: hello, import, serve. Returns the exit status."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and kills this process group
    pipe = Pipe(int(argv[1]), int(argv[2]))
    exit_with_parent(pipe.fd_in)  # before the memory limit: a thread's stack is address space too
    try:
        pipe.send({"ok": "ready"})  # the parent starts the user's clock now, after our own start-up
        hello = pipe.receive()
    except (wire.ClosedError, BrokenPipeError):
        return 0
    os.dup2(2, 1)  # the user's prints go to stderr, which the parent drains
    faulthandler.enable()  # on a crash, a traceback on stderr lets the parent name the user's line
    frames = UserFrames(Path(hello["path"]))
    memory_bytes = hello["limits"]["memory_bytes"]
    handlers: list[Any] = []
    if reply_to(pipe, lambda: handlers.append(start(hello, frames)), frames, IMPORTING, memory_bytes) is None:
        serve(pipe, handlers[0], frames, memory_bytes)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
