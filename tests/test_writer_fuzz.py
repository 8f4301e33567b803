"""The output writer under random targets and random failures: the promise of gradcheck/files.py as a property.

Whatever the target (new, regular, read-only, hard-linked, a symlink, a dangling symlink, a FIFO with a reader, a
character device, a directory, in a read-only folder) and whatever the writer does (write, write in pieces, fail
half-way), afterwards: either the write succeeded and every name of the target holds exactly the new bytes, or it
failed with one GradcheckError and the target is byte-for-byte what it was; a link is still a link, a special file
is still special, the mode is the old one (or the umask's for a new file), and no temporary file is left.

`make fuzz` runs the same property with many more examples (fuzz/fuzz_writer.py).
"""

from __future__ import annotations

import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gradcheck.errors import GradcheckError
from gradcheck.files import write_atomically

KINDS = ("new", "regular", "read-only", "hard-link", "symlink", "dangling", "fifo", "device", "directory", "locked-dir")


class WriterError(Exception):
    """The writer's own failure (a renderer crashing half-way): must leave nothing behind."""


@dataclass(frozen=True)
class Case:
    kind: str
    old: bytes
    new: bytes
    pieces: int
    fail_after: int | None  # fail after this many pieces, or never
    mode: int


cases = st.builds(
    Case,
    kind=st.sampled_from(KINDS),
    old=st.binary(max_size=64),
    new=st.binary(max_size=4096),
    pieces=st.integers(1, 4),
    fail_after=st.none() | st.integers(0, 3),
    mode=st.sampled_from([0o600, 0o640, 0o644, 0o664]),
)


def _device(folder: Path) -> Path:
    path = folder / "null"
    try:
        os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except OSError:
        path.symlink_to("/dev/null")
    return path


def _target(case: Case, folder: Path) -> Path:
    """Make the target the case names, under `folder` only."""
    path = folder / "out.bin"
    real = folder / "real.bin"
    if case.kind in ("regular", "read-only", "hard-link", "symlink", "locked-dir"):
        real.write_bytes(case.old)
        real.chmod(case.mode)
    if case.kind in ("regular", "read-only", "locked-dir"):
        real.rename(path)
    elif case.kind == "hard-link":
        os.link(real, path)
    elif case.kind in ("symlink", "dangling"):
        path.symlink_to(real)
    elif case.kind == "fifo":
        os.mkfifo(path)
    elif case.kind == "device":
        path.symlink_to(_device(folder))
    elif case.kind == "directory":
        path.mkdir()
    if case.kind == "read-only":
        path.chmod(0o444)
    return path


def _writer(case: Case) -> object:
    size = -(-len(case.new) // case.pieces) or 1

    def write(handle: IO[bytes]) -> None:
        for piece in range(case.pieces):
            if case.fail_after is not None and piece >= case.fail_after:
                raise WriterError
            handle.write(case.new[piece * size : (piece + 1) * size])

    return write


def _fifo_reader(path: Path) -> int:
    """A reader already open on the FIFO (non-blocking, so no thread and no race): the writer always finds it."""
    return os.open(path, os.O_RDONLY | os.O_NONBLOCK)


def _drain(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 65536):  # the cases fit in the pipe's buffer; end-of-file once the writer closed
        chunks.append(chunk)
    os.close(fd)
    return b"".join(chunks)


def check_one(case: Case) -> None:
    """Run one case in a fresh folder and assert the writer's promise."""
    privileged = os.geteuid() == 0  # root writes read-only files and folders: the case is then a plain success
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        path = _target(case, folder)
        before = {p.name: (p.lstat().st_mode, p.read_bytes() if p.is_file() else None) for p in folder.iterdir()}
        fails = case.fail_after is not None and case.fail_after < case.pieces
        reader = _fifo_reader(path) if case.kind == "fifo" else None
        if case.kind == "locked-dir":
            folder.chmod(0o555)
        try:
            write_atomically(path, _writer(case))  # type: ignore[arg-type]
            outcome = "written"
        except WriterError:
            outcome = "writer error"
        except GradcheckError as error:
            outcome = "refused"
            assert "\n" not in str(error) and str(error).startswith(str(path)), error
        finally:
            folder.chmod(0o755)
            got = _drain(reader) if reader is not None else b""
        assert sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp")) == [], case
        if case.kind == "directory":
            assert outcome == "refused" and path.is_dir()
            return
        if case.kind in ("read-only", "locked-dir") and not privileged and not fails:
            assert outcome == "refused", (case, outcome)
        if fails:
            assert outcome == "writer error", (case, outcome)
        if outcome != "written":
            for p in folder.iterdir():  # nothing changed, for every name
                mode, data = before[p.name]
                assert p.lstat().st_mode == mode and (p.read_bytes() if p.is_file() else None) == data, (case, p)
            return
        assert outcome == "written" and not fails
        if case.kind == "fifo":
            assert stat.S_ISFIFO(path.stat().st_mode) and got == case.new
        elif case.kind == "device":
            assert path.is_symlink() and stat.S_ISCHR(path.stat().st_mode)
        else:
            assert path.read_bytes() == case.new
            if case.kind in ("symlink", "dangling"):
                assert path.is_symlink() and (folder / "real.bin").read_bytes() == case.new
            if case.kind == "hard-link":
                assert os.path.samefile(path, folder / "real.bin")
            if case.kind in ("regular", "hard-link", "symlink"):
                assert stat.S_IMODE(path.stat().st_mode) == case.mode


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_of_target_once(kind: str) -> None:
    check_one(Case(kind, b"old", b"new bytes", 2, None, 0o640))
    check_one(Case(kind, b"old", b"new bytes", 2, 1, 0o640))


@settings(max_examples=60, deadline=None)
@given(cases)
def test_the_writer_keeps_its_promise(case: Case) -> None:
    check_one(case)
