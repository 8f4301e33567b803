"""The sandbox: a user's module runs only in a child process; every way it can misbehave ends as one UserCodeError line.

The hostile modules live in tests/usercode/hostile/. Each is run behind the trivial trusted handler
gradcheck.user.child:Direct (call a module function by name) with a short timeout.
"""

from __future__ import annotations

import io
import math
import os
import struct
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import numpy.lib.format as npy
import pytest

from gradcheck.errors import UserCodeError
from gradcheck.user import wire
from gradcheck.user.child import plain
from gradcheck.user.sandbox import Failure, Limits, Sandbox, SandboxError

HOSTILE = Path(__file__).resolve().parent / "usercode" / "hostile"
DIRECT = "gradcheck.user.child:Direct"
FAST = Limits(timeout=3.0, memory_bytes=2 * 2**30)
INTERNALS = ("gradcheck/", "numpy", "site-packages", "sandbox.py", "child.py", "wire.py", "importlib", "<frozen", "Traceback")


def run(name: str, function: str = "backward", limits: Limits = FAST, **kwargs: Any) -> Any:
    """Import tests/usercode/hostile/NAME.py in a sandbox and call FUNCTION(**kwargs) there."""
    with Sandbox(HOSTILE / f"{name}.py", DIRECT, limits) as box:
        return box.request("call", label=function, function=function, kwargs=kwargs)


def failure(name: str, function: str = "backward", limits: Limits = FAST) -> SandboxError:
    """The error running a hostile module ends with, checked to be one line within the timeout (plus start-up)."""
    start = time.monotonic()
    with pytest.raises(SandboxError) as caught:
        run(name, function, limits)
    assert time.monotonic() - start < limits.timeout + 5
    message = str(caught.value)
    assert "\n" not in message and len(message) <= 300, message
    assert not any(word in message for word in INTERNALS), message
    return caught.value


@pytest.fixture(autouse=True)
def never_imported_here():
    """No hostile module is ever imported by the test process itself."""
    yield
    names = {path.stem for path in HOSTILE.glob("*.py")}
    assert names.isdisjoint(sys.modules), sorted(names & set(sys.modules))


def pid_alive(pid: int) -> bool:
    """Whether a process exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


# --- round trips --------------------------------------------------------------------------------------------------

VALUES = [
    None,
    True,
    -7,
    2**80,
    0.1,
    -0.0,
    math.inf,
    -math.inf,
    1 - 2j,
    complex(math.nan, math.inf),
    "ünïcode \ud800 lone surrogate",
    [1, [2, (3, [])]],
    (),
    {"$array": 1, "b": {"$tuple": [1]}},
    {"$tuple": [1, 2]},
    {"": {"nested": ({"deep": [None]},)}},
]
ARRAYS = [
    np.arange(6, dtype=np.float64).reshape(2, 3),
    np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3)),
    np.array([1 + 2j, np.nan], dtype=np.complex128),
    np.array([True, False]),
    np.arange(5, dtype=np.uint8),
    np.array(3.5),
    np.zeros((0, 4), dtype=np.int64),
    np.arange(4, dtype=">i4"),
    np.arange(12.0)[::3],
]


def same(a: Any, b: Any) -> bool:
    """Equal values of equal types, nan equal to nan, tuples distinct from lists, arrays by dtype, shape and bytes."""
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b, equal_nan=True)
    if type(a) is not type(b):
        return False
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, float | complex):
        return repr(a) == repr(b)  # nan == nan, and -0.0 is not 0.0
    return bool(a == b)


def read_back(data: bytes, max_blob_bytes: int = 2**30) -> Any:
    stream = io.BytesIO(data)

    def read_exact(n: int) -> bytes:
        chunk = stream.read(n)
        if len(chunk) < n:
            raise wire.ClosedError(at_boundary=False)
        return chunk

    return wire.decode(read_exact, max_blob_bytes)


@pytest.mark.parametrize("value", VALUES + ARRAYS + [ARRAYS, {"arrays": tuple(ARRAYS)}], ids=repr)
def test_wire_round_trips_every_supported_value(value):
    assert same(read_back(wire.encode(value)), value)


def test_a_dict_that_looks_like_a_tag_is_escaped():
    assert b'"$dict"' in wire.encode({"$float": "nan"})
    assert read_back(wire.encode({"$float": "nan"})) == {"$float": "nan"}


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ({1: 2}, "keys"),
        ({1, 2}, "set"),
        (np.array([object()]), "object"),
        (np.array(["a"]), "dtype"),
        (np.zeros(2, dtype=[("a", "f8")]), "dtype"),
        (np.datetime64("2020-01-01"), "datetime64"),
    ],
)
def test_wire_refuses_unsupported_values(value, fragment):
    with pytest.raises(wire.WireError, match=fragment):
        wire.encode(value)


def test_wire_refuses_cycles():
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(wire.WireError, match="nested"):
        wire.encode(loop)


def frame(header: bytes, *blobs: bytes, magic: bytes = wire.MAGIC, header_size: int | None = None) -> bytes:
    size = len(header) if header_size is None else header_size
    return struct.pack("<4sQQ", magic, size, sum(map(len, blobs))) + header + b"".join(blobs)


def npy_bytes(array: np.ndarray) -> bytes:
    stream = io.BytesIO()
    npy.write_array(stream, array, allow_pickle=True)
    return stream.getvalue()


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"this is not a message at all", id="garbage"),
        pytest.param(frame(b"{}", magic=b"XXXX"), id="magic"),
        pytest.param(frame(b"", header_size=2**40), id="huge-header-claim"),
        pytest.param(struct.pack("<4sQQ", wire.MAGIC, 10, 2**50), id="huge-blob-claim"),
        pytest.param(frame(b'{"blobs": [], "value": [1, 2'), id="bad-json"),
        pytest.param(frame(b'{"blobs": [], "value": NaN}'), id="bare-nan"),
        pytest.param(frame(b'{"blobs": [], "value": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"), id="deep-json"),
        pytest.param(frame(b'{"blobs": [], "value": ' + b"9" * 5000 + b"}"), id="huge-int"),
        pytest.param(frame(b'{"value": 1}'), id="no-blobs"),
        pytest.param(frame(b'{"blobs": [], "value": {"$array": 0}}'), id="dangling-array"),
        pytest.param(frame(b'{"blobs": [], "value": {"$pickle": "x"}}'), id="unknown-tag"),
        pytest.param(frame(b'{"blobs": [], "value": {"$complex": [1e999999, 0]}}'), id="bad-complex"),
        pytest.param(frame(b'{"blobs": [], "value": {"$complex": [' + b"9" * 400 + b", 0]}}"), id="overflow-complex"),
        pytest.param(frame(b'{"blobs": [5], "value": 1}', b"12345"), id="bad-npy"),
        pytest.param(frame(b'{"blobs": [3], "value": 1}', b"123"), id="sizes-disagree"),
        pytest.param(frame(b'{"blobs": [4], "value": 1}'), id="truncated"),
    ],
)
def test_wire_turns_any_malformed_message_into_an_error(data):
    with pytest.raises((wire.WireError, wire.ClosedError)):
        read_back(data, max_blob_bytes=2**30)


def test_wire_never_unpickles_an_object_array():
    blob = npy_bytes(np.array([object()]))
    data = frame(b'{"blobs": [%d], "value": {"$array": 0}}' % len(blob), blob)
    with pytest.raises(wire.WireError, match="dtype object"):
        read_back(data)


def test_wire_checks_an_arrays_claimed_shape_before_allocating():
    blob = npy_bytes(np.zeros(2))
    blob = blob.replace(b"(2,)", b"(9,)")  # a shape the data does not fill
    data = frame(b'{"blobs": [%d], "value": {"$array": 0}}' % len(blob), blob)
    with pytest.raises(wire.WireError, match="length"):
        read_back(data)


def test_sandbox_round_trips_values_through_the_user_module():
    payload = {"arrays": tuple(ARRAYS), "values": VALUES}
    assert same(run("ok_mod", "echo", value=payload), payload)


def test_globals_are_set_before_the_call():
    with Sandbox(HOSTILE / "ok_mod.py", DIRECT, FAST) as box:
        assert box.request("call", function="scaled", kwargs={"x": 2.0}) == 2.0
        assert box.request("call", function="scaled", kwargs={"x": 2.0}, globals={"SCALE": 3.0}) == 6.0


def test_numpy_scalars_and_array_likes_come_back_as_python_numbers_and_arrays():
    assert same(run("ok_mod", "numpy_scalars"), {"f": 1.5, "i": 7, "c": 1 - 2j, "b": True})
    assert same(run("ok_mod", "array_like"), np.arange(3.0))


def test_blas_works_under_the_memory_limit():
    result = run("ok_mod", "matmul", Limits(timeout=10, memory_bytes=1 * 2**30), n=300)
    assert result.shape == (300, 300) and result[0, 0] == 75.0


# --- the user's code misbehaves -----------------------------------------------------------------------------------


def test_an_exception_names_the_users_deepest_frame():
    error = failure("raises")
    assert error.failure is Failure.EXCEPTION
    assert str(error).startswith("raises.py:8 in backward: ValueError: shapes (16,8) and (16,) not aligned")


@pytest.mark.parametrize(
    ("function", "expected"),
    [
        ("backward", "raises_in_library.py:9 in backward: LinAlgError: Last 2 dimensions of the array must be square"),
        ("forward", "raises_in_library.py:13 in forward: JSONDecodeError: Expecting property name enclosed in double quotes"),
    ],
)
def test_an_exception_raised_inside_numpy_or_the_standard_library_names_the_users_call(function, expected):
    assert str(failure("raises_in_library", function)).startswith(expected)


def test_an_exception_in_a_helper_module_of_the_users_names_that_module():
    assert str(failure("helper_raises")) == "cells.py:5 in step: KeyError: 'missing'"


def test_not_implemented():
    error = failure("not_implemented")
    assert (error.failure, str(error)) == (
        Failure.NOT_IMPLEMENTED,
        "not_implemented.py: backward is not implemented yet (it raises NotImplementedError at line 9)",
    )


def test_syntax_error_names_file_and_line(tmp_path):
    path = tmp_path / "broken_syntax.py"
    path.write_text("import numpy\n\ndef backward(:\n    pass\n")
    with pytest.raises(SandboxError) as caught, Sandbox(path, DIRECT, FAST):
        pass
    assert str(caught.value).startswith("broken_syntax.py:3: ") and "invalid syntax" in str(caught.value)
    assert "broken_syntax" not in sys.modules


def test_a_missing_import_is_left_out_of_the_load(tmp_path):
    """An import that fails binds nothing; the module still loads (the function that needs it is refused by name,
    tests/test_loading.py)."""
    path = tmp_path / "needs_torch.py"
    path.write_text("import numpy\nimport not_a_module_anywhere\ndef backward():\n    return 1\n")
    with Sandbox(path, DIRECT, FAST) as box:
        assert box.request("call", function="backward", kwargs={}) == 1


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("exit_import", "exit_import.py:5: the code called sys.exit(3) while importing it"),
        ("exit_call", "exit_call.py:7: the code called sys.exit(3) while running backward"),
    ],
)
def test_sys_exit_is_reported_and_closes_the_sandbox(name, fragment):
    assert str(failure(name)) == fragment


def test_after_a_fatal_failure_every_request_raises_the_same_error():
    with Sandbox(HOSTILE / "exit_call.py", DIRECT, FAST) as box:
        pid = box.pid
        assert pid is not None
        with pytest.raises(SandboxError) as first:
            box.request("call", function="backward", kwargs={})
        with pytest.raises(SandboxError) as second:
            box.request("call", function="backward", kwargs={})
        assert second.value is first.value and box.pid is None and not pid_alive(pid)


def test_a_user_exception_leaves_the_sandbox_usable():
    with Sandbox(HOSTILE / "not_implemented.py", DIRECT, FAST) as box:
        with pytest.raises(SandboxError, match="not implemented"):
            box.request("call", function="backward", kwargs={})
        assert box.request("call", function="forward", kwargs={}) == 1.0


def test_memory_beyond_the_limit_is_a_memory_error_in_the_child():
    error = failure("huge_alloc")
    assert (error.failure, str(error)) == (Failure.MEMORY, "huge_alloc.py:7 in backward: ran out of memory (limit 2 GiB)")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("segfault", "segfault.py:7 in backward: crashed the Python process (signal SIGSEGV) while running backward"),
        ("aborts", "aborts.py:7 in backward: crashed the Python process (signal SIGABRT) while running backward"),
        ("os_exit", "os_exit.py: crashed the Python process (exit status 3) while running backward; its last output: giving up"),
    ],
)
def test_a_crash_is_reported_with_its_signal_or_status(name, expected):
    error = failure(name)
    assert (error.failure, str(error)) == (Failure.CRASH, expected)


@pytest.mark.slow  # waits out each timeout
@pytest.mark.parametrize(
    ("name", "function", "expected"),
    [
        (
            "import_loop",
            "backward",
            "import_loop.py: loading its definitions took over 2 s (--import-timeout); line 4 was running",
        ),
        (
            "import_training",
            "backward",
            "import_training.py: loading its definitions took over 2 s (--import-timeout); line 6 was running",
        ),
        ("call_loop", "backward", "call_loop.py: backward did not finish within 2 s (--timeout)"),
    ],
)
def test_timeouts(name, function, expected):
    error = failure(name, function, Limits(timeout=2.0, import_timeout=2.0))
    assert error.failure is Failure.TIMEOUT and str(error).startswith(expected)


def test_megabytes_of_output_neither_block_nor_corrupt_replies():
    assert run("chatty") == 1.0


def test_stdin_is_empty():
    assert run("reads_stdin") == ""


def test_an_unsupported_return_value_names_the_function_and_type():
    error = failure("unsupported")
    assert (error.failure, str(error)) == (Failure.USAGE, "unsupported.py: backward returned a set, which gradcheck cannot read")


@pytest.mark.parametrize("function", ["garbage", "huge_header"])
def test_a_child_writing_into_the_reply_pipe_is_an_unreadable_reply(function):
    error = failure("garbage", function)
    assert (error.failure, str(error)) == (Failure.UNREADABLE, "garbage.py: the child process sent an unreadable reply")


@pytest.mark.slow  # waits for the grandchildren
@pytest.mark.parametrize("name", ["fork_survivor", "setsid_survivor", "detached_survivor"])
def test_everything_the_child_started_is_killed_and_reaped(name):
    """In its process group, out of it (setsid), and orphaned (a double fork: we are the subreaper it comes to)."""
    with Sandbox(HOSTILE / f"{name}.py", DIRECT, FAST) as box:
        child = box.pid
        grandchild = box.request("call", function="backward", kwargs={})
        assert isinstance(child, int) and isinstance(grandchild, int) and pid_alive(grandchild)
    deadline = time.monotonic() + 3
    while pid_alive(grandchild) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not pid_alive(child) and not pid_alive(grandchild)


@pytest.mark.slow  # waits out a timeout
def test_no_file_descriptor_leaks():
    before = set(os.listdir("/proc/self/fd"))
    for name in ("ok_mod", "segfault", "exit_import", "call_loop"):
        with pytest.raises(SandboxError):
            run(name, "no_such_function" if name == "ok_mod" else "backward", Limits(timeout=1.0))
    time.sleep(0.1)  # the stderr drain threads close their pipes as they finish
    assert set(os.listdir("/proc/self/fd")) <= before


# --- the file itself ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        (lambda d: d / "missing.py", "missing.py: no such file"),
        (lambda d: d, "is a folder, not a Python file"),
        (lambda d: (d / "notes.txt").write_text("x") and d / "notes.txt", "notes.txt: is not a Python file"),
        (lambda d: os.mkfifo(d / "pipe.py") or d / "pipe.py", r"pipe.py: not a regular file \(a FIFO\)"),
        (lambda d: (d / "link.py").symlink_to(os.mkfifo(d / "p") or d / "p") or d / "link.py", r"not a regular file \(a FIFO\)"),
    ],
)
def test_a_path_that_is_not_a_python_file_is_refused_before_any_child_starts(tmp_path, make, fragment):
    with pytest.raises(SandboxError, match=fragment) as caught, Sandbox(make(tmp_path), DIRECT, FAST):
        pass
    assert caught.value.failure is Failure.FILE


def test_errors_are_user_code_errors():
    assert issubclass(SandboxError, UserCodeError) and issubclass(wire.WireError, UserCodeError)


def test_plain_refuses_exotic_results_by_type_name_only():
    class Secret:
        def __repr__(self) -> str:
            return "SECRET-REPR"

    with pytest.raises(UserCodeError) as caught:
        plain([1, Secret()], "f.py: f")
    assert str(caught.value) == "f.py: f returned a Secret, which gradcheck cannot read"


def test_the_child_runs_under_the_memory_limit_without_core_dumps():
    with Sandbox(HOSTILE / "ok_mod.py", DIRECT, Limits(timeout=3, memory_bytes=3 * 2**30)) as box:
        limits = Path(f"/proc/{box.pid}/limits").read_text().splitlines()
    assert any(line.startswith("Max address space") and line.split()[3:5] == [str(3 * 2**30)] * 2 for line in limits), limits
    assert any(line.startswith("Max core file size") and line.split()[4:6] == ["0", "0"] for line in limits), limits


def test_files_in_the_users_folder_cannot_shadow_gradcheck_or_numpy(tmp_path):
    (tmp_path / "numpy.py").write_text("raise SystemExit('shadowed numpy')\n")
    (tmp_path / "gradcheck").mkdir()
    (tmp_path / "gradcheck" / "__init__.py").write_text("raise SystemExit('shadowed gradcheck')\n")
    (tmp_path / "mine.py").write_text("import numpy as np\n\ndef f():\n    return np.ones(2)\n")
    with Sandbox(tmp_path / "mine.py", DIRECT, FAST) as box:
        assert same(box.request("call", function="f", kwargs={}), np.ones(2))


@pytest.mark.slow  # a parent process and its child
def test_the_child_dies_with_its_parent_even_when_the_parent_is_killed(tmp_path):
    script = (
        "import sys, time\nfrom pathlib import Path\nfrom gradcheck.user.sandbox import Sandbox, Limits\n"
        f"with Sandbox(Path({str(HOSTILE / 'call_loop.py')!r}), {DIRECT!r}, Limits(timeout=60)) as box:\n"
        "    print(box.pid, flush=True)\n"
        "    box.request('call', function='backward', kwargs={})\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        assert pid_alive(child)
    finally:
        parent.kill()
        parent.wait()
    deadline = time.monotonic() + 3
    while pid_alive(child) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not pid_alive(child)


@pytest.mark.slow  # waits out a timeout
@pytest.mark.parametrize("pidfd", [True, False], ids=["pidfd", "polling"])
@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("segfault", "crashed the Python process (signal SIGSEGV)"),
        ("crash_after_fork", "crashed the Python process (signal SIGABRT)"),
        ("call_loop", "did not finish within 1 s"),
    ],
)
def test_a_crash_is_seen_at_once_even_while_a_grandchild_holds_the_pipes(monkeypatch, pidfd, name, fragment):
    import gradcheck.user.sandbox as sandbox

    if not pidfd:
        monkeypatch.setattr(sandbox, "_pidfd", lambda pid: -1)
    start = time.monotonic()
    assert fragment in str(failure(name, limits=Limits(timeout=1.0)))
    assert name == "call_loop" or time.monotonic() - start < 1.5


def test_an_unknown_handler_method_is_an_error_reply_not_a_dead_child():
    with Sandbox(HOSTILE / "ok_mod.py", DIRECT, FAST) as box:
        with pytest.raises(SandboxError, match="AttributeError"):
            box.request("no_such_method")
        assert box.request("call", function="echo", kwargs={"value": 1}) == 1
