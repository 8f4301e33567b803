"""Consoles: stdout and stderr as the CLI uses them, plain-text and HTML export, and a progress bar that waits."""

from __future__ import annotations

import io
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console, RenderableType
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn


def stdout_console() -> Console:
    """stdout: colour on a terminal only (rich honours NO_COLOR); 160 columns when piped, unless COLUMNS says."""
    console = Console()
    return console if console.is_terminal or "COLUMNS" in os.environ else Console(width=160)


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
