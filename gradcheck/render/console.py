"""Consoles: stdout and stderr as the CLI uses them, plain-text and HTML export, and a progress bar that waits."""

from __future__ import annotations

import codecs
import errno
import io
import os
import sys
import time
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, TYPE_CHECKING, Any, cast

from rich.console import Console, RenderableType

if TYPE_CHECKING:
    from rich.progress import TaskID

ASCII_FALLBACK = "gradcheck-ascii"
_ASCII = {
    "τ": "tau", "×": "x", "∇": "d", "∂": "d", "…": "...", "−": "-", "–": "-", "—": "--", "≤": "<=", "≥": ">=",
    "≠": "!=", "≈": "~", "ε": "eps", "θ": "theta", "σ": "sigma", "Σ": "sum", "√": "sqrt", "·": "*", "⊙": "*",
    "‖": "||", "→": "->", "←": "<-", "²": "^2", "³": "^3", "ŷ": "y^", "±": "+-", "°": "deg", "✓": "ok", "✗": "x",
}  # fmt: skip


def _ascii_fallback(error: UnicodeError) -> tuple[str, int]:
    """A codec error handler: what the terminal's encoding cannot show, in ASCII (τ → tau, ∇ → d, … → ...)."""
    if not isinstance(error, UnicodeEncodeError):
        raise error
    char = error.object[error.start]
    if char in _ASCII:
        text = _ASCII[char]
    elif 0x2500 <= ord(char) <= 0x257F:  # box drawing
        name = unicodedata.name(char, "")
        horizontal, vertical = "HORIZONTAL" in name, "VERTICAL" in name
        text = "+" if horizontal == vertical else "-" if horizontal else "|"
    else:
        decomposed = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode("ascii")
        text = decomposed or "?"  # a lone surrogate (an undecodable byte of a path) too
    return text, error.start + 1


codecs.register_error(ASCII_FALLBACK, _ascii_fallback)


def fall_back_to_ascii(*streams: Any) -> None:
    """Make text streams show what their encoding cannot (a latin-1 or ASCII terminal) in ASCII instead of crashing."""
    for stream in streams:
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors=ASCII_FALLBACK)


class StdoutError(Exception):
    """Writing to stdout failed (a full disk, a closed stdout, a reader gone): `error` says how."""

    def __init__(self, error: OSError) -> None:
        super().__init__(error.strerror or str(error))
        self.error = error

    @property
    def broken_pipe(self) -> bool:
        return self.error.errno == errno.EPIPE


class _Stdout(io.TextIOBase):
    """sys.stdout as it is at each write, whose write errors are StdoutError (so no OSError is mistaken for them)."""

    @staticmethod
    def _stream() -> Any:
        if sys.stdout is None:
            raise StdoutError(OSError(errno.EBADF, "stdout is closed"))
        return sys.stdout

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(sys.stdout, "encoding", None) or "utf-8"

    def isatty(self) -> bool:
        return sys.stdout is not None and sys.stdout.isatty()

    def fileno(self) -> int:
        return int(self._stream().fileno())

    def write(self, text: str) -> int:
        try:
            return int(self._stream().write(text))
        except OSError as error:
            raise StdoutError(error) from None

    def flush(self) -> None:
        if sys.stdout is None:  # closed: nothing was written, so nothing is lost
            return
        try:
            sys.stdout.flush()
        except OSError as error:
            raise StdoutError(error) from None

    def write_utf8(self, text: str) -> None:
        """Text for machines (JSON, XML, Markdown) as UTF-8, whatever the terminal's encoding."""
        stream = self._stream()
        binary = getattr(stream, "buffer", None)
        try:
            if binary is None:
                stream.write(text)
            else:
                stream.flush()
                binary.write(text.encode("utf-8", "replace"))
            stream.flush()
        except OSError as error:
            raise StdoutError(error) from None


STDOUT = _Stdout()


MIN_WIDTH = 20  # narrower than this (COLUMNS=0, a garbled value) nothing readable fits: treated as unset


def stdout_console() -> Console:
    """stdout: colour on a terminal only (rich honours NO_COLOR); 160 columns when piped, unless COLUMNS says."""
    file = cast(IO[str], STDOUT)
    console = Console(file=file)
    if console.width < MIN_WIDTH:
        return Console(file=file, width=160 if not console.is_terminal else 80)
    return console if console.is_terminal or "COLUMNS" in os.environ else Console(file=file, width=160)


def plain_text(renderable: RenderableType, width: int = 160) -> str:
    """A renderable as plain text (no colour), e.g. for a report file."""
    console = Console(width=width, color_system=None, record=True, file=io.StringIO())
    console.print(renderable)
    return console.export_text()


def html(renderable: RenderableType, width: int = 160) -> str:
    """A renderable as an HTML fragment, for notebooks."""
    console = Console(width=width, record=True, file=io.StringIO())
    console.print(renderable)
    return console.export_html(inline_styles=True)


class LazyProgress:
    """A progress bar on `console` that appears only once the work has run for `delay` seconds.

    Call it as check.Progress: (what, done, total). Short checks never show it; close() removes it.
    """

    def __init__(self, console: Console, delay: float = 1.0) -> None:
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self.start, self.delay = time.perf_counter(), delay
        self.bar = Progress(
            TextColumn("estimating {task.description}"),
            BarColumn(),
            TextColumn("{task.completed:,.0f} of {task.total:,.0f} forward passes"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self.task: TaskID | None = None

    def __call__(self, what: str, done: int, total: int) -> None:
        if self.task is None and time.perf_counter() - self.start >= self.delay:
            self.bar.start()
            self.task = self.bar.add_task(what, total=total)
        if self.task is not None:
            self.bar.update(self.task, description=what, completed=done, total=total)

    def close(self) -> None:
        if self.task is not None:
            self.bar.stop()


@contextmanager
def progress_bar() -> Iterator[LazyProgress | None]:
    """A progress bar on stderr for checks longer than about a second; only when stderr is a terminal."""
    console = Console(stderr=True)
    if not console.is_terminal:
        yield None
        return
    bar = LazyProgress(console)
    try:
        yield bar
    finally:
        bar.close()
