"""Writing outputs: never over an input, a failed run never leaves a truncated file, a special file is never replaced.

An output that is one of the run's inputs (through symlinks and hard links) is refused before anything runs, an
existing file is replaced only when asked (--force), and `init` writes only under a name `gradcheck run` can read.

A regular file (new, or reached through symlinks) is written into a temporary file beside it and renamed into
place: a new file gets the mode the umask allows, an existing one keeps its own; a symlink stays a link and its
target is what changes. A FIFO or a character device (a pipe, /dev/null, a terminal) is written directly, in
place: no temporary file and no rename, and a FIFO nobody reads fails at once ("no reader") instead of hanging.
A regular file with other hard links is written completely into the temporary file first, then copied into the
file itself, so every link sees the new content (a rename would leave the other names on the old text).
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO

from gradcheck.errors import GradcheckError


def display(path: Path | str) -> str:
    """`path` as printable text: bytes that are not UTF-8 (kept by Python as lone surrogates) become U+FFFD."""
    return os.fsencode(path).decode("utf-8", "replace")


def encode(text: str) -> bytes:
    """UTF-8 bytes of a text output; a lone surrogate (an undecodable byte of a path) becomes '?', never a crash."""
    return text.encode("utf-8", "replace")


def write_text(path: Path, text: str) -> None:
    """Write UTF-8 text (atomically, for a regular file)."""
    data = encode(text)
    write_atomically(path, lambda handle: handle.write(data))


def same_file(output: Path, inputs: Iterable[Path | None]) -> Path | None:
    """The first of `inputs` that `output` would overwrite: the same file through symlinks or hard links."""
    for given in inputs:
        if given is None:
            continue
        try:
            if os.path.samefile(output, given):
                return given
        except OSError:  # one of them does not exist (yet): compare where they would resolve to
            if os.path.realpath(output) == os.path.realpath(given):
                return given
    return None


def refuse_overwriting(output: Path | None, inputs: Iterable[Path | None], what: str = "the config {} of this run") -> None:
    """A GradcheckError if `output` is one of `inputs`; `what` names that input, {} standing for its path."""
    if output is not None and (given := same_file(output, inputs)) is not None:
        raise GradcheckError(f"{display(output)}: is {what.format(display(given))}; refusing to overwrite an input")


def refuse_one_name(report: Path | None, figure: Path | None) -> None:
    """A GradcheckError if the report and the --plot figure of one command are the same file."""
    if figure is not None and report is not None and (figure.resolve() == report.resolve() or same_file(report, (figure,))):
        raise GradcheckError(f"{display(report)}: is also the --plot file; the report and the figure need two names")


def refuse_existing(path: Path, force: bool) -> None:
    """A GradcheckError if `path` exists and --force was not given."""
    if path.exists() and not force:
        raise GradcheckError(f"{display(path)}: exists; use --force to overwrite")


def refuse_unreadable_config(path: Path, fmt: str) -> None:
    """A GradcheckError if `gradcheck run` could not read a config under this name, or would read it as the other
    format (a config is read by its suffix). A FIFO or a device (`/dev/stdout`) is a stream, not a file to run."""
    from gradcheck.check.loading import CONFIG_SUFFIXES

    if path.exists() and not path.is_file():
        return
    suffix = path.suffix.lower()
    wanted = ".yaml or .yml" if fmt == "yaml" else ".toml"
    if suffix not in CONFIG_SUFFIXES:
        better = display(path.with_suffix(f".{fmt}") if path.name not in ("", ".", "..") else f"gradcheck.{fmt}")
        raise GradcheckError(f"{display(path)}: gradcheck reads only .toml, .yaml and .yml configs: name it {better}")
    if (suffix == ".toml") != (fmt == "toml"):
        raise GradcheckError(f"{display(path)}: --format {fmt} does not match the {suffix} suffix: use {wanted}")


def refuse_non_python(path: Path) -> None:
    """A GradcheckError if a student's skeleton would not be named as a Python file (a FIFO or a device takes any name)."""
    if path.suffix != ".py" and not (path.exists() and not path.is_file()):
        better = display(path.with_suffix(".py") if path.name not in ("", ".", "..") else "my_rnn.py")
        raise GradcheckError(f"{display(path)}: a student's skeleton is a Python file: name it {better}")


def _fail(path: Path, reason: str) -> GradcheckError:
    return GradcheckError(f"{display(path)}: cannot write: {reason}")


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_atomically(path: Path, write: Callable[[IO[bytes]], object]) -> None:
    """Write through `write`: into a regular file atomically, into a FIFO or a device in place (see the module)."""
    import shutil
    import tempfile

    try:
        existing: os.stat_result | None = os.stat(path)  # follows symlinks: the file that would be written
    except FileNotFoundError:
        existing = None
    except OSError as error:
        raise _fail(path, error.strerror or str(error)) from None
    if existing is not None and stat.S_ISDIR(existing.st_mode):
        raise _fail(path, "is a directory")
    if existing is not None and not stat.S_ISREG(existing.st_mode):
        _write_in_place(path, write, fifo=stat.S_ISFIFO(existing.st_mode))
        return
    target = Path(os.path.realpath(path))  # through symlinks (even a dangling one): the link stays a link
    if existing is not None and not _writable(target):  # a rename would replace it all the same
        raise _fail(path, os.strerror(errno.EACCES))
    mode = stat.S_IMODE(existing.st_mode) if existing is not None else 0o666 & ~_umask()
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as error:
        raise _fail(path, error.strerror or str(error)) from None
    try:
        os.fchmod(fd, mode)  # mkstemp makes 0600
        in_place = existing is not None and (existing.st_nlink > 1 or not _same_owner(fd, existing))
        with os.fdopen(fd, "wb") as handle:
            write(handle)
        if in_place:  # other hard links see the new text, another owner keeps the file: complete before it is touched
            shutil.copyfile(tmp, target)
        else:
            os.replace(tmp, target)
    except OSError as error:
        raise _fail(path, error.strerror or str(error)) from None
    finally:
        if os.path.lexists(tmp):
            os.unlink(tmp)


def _writable(path: Path) -> bool:
    """Whether this process may write the file, judged as its effective user (as the kernel will)."""
    return os.access(path, os.W_OK, effective_ids=os.access in os.supports_effective_ids)


def _same_owner(fd: int, existing: os.stat_result) -> bool:
    """Give the new file (open as fd) the existing file's owner and group; False where that is not allowed."""
    try:
        os.fchown(fd, existing.st_uid, existing.st_gid)
    except OSError:
        return False
    return True


def _write_in_place(path: Path, write: Callable[[IO[bytes]], object], fifo: bool) -> None:
    """Open without blocking (a FIFO with no reader fails with ENXIO at once), then write blocking as usual."""
    import fcntl

    try:
        fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK | os.O_NOCTTY)
    except OSError as error:
        reason = "no reader" if fifo and error.errno == errno.ENXIO else error.strerror or str(error)
        raise _fail(path, reason) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~os.O_NONBLOCK)
            write(handle)
    except OSError as error:
        raise _fail(path, error.strerror or str(error)) from None
