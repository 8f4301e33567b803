"""Writing outputs atomically: a failed run never leaves a truncated file."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

from gradcheck.errors import GradcheckError


def write_text(path: Path, text: str) -> None:
    """Write UTF-8 text atomically."""
    write_atomically(path, lambda handle: handle.write(text.encode("utf-8")))


def write_atomically(path: Path, write: Callable[[IO[bytes]], object]) -> None:
    """Write through `write` into a temporary file beside `path`, then rename it into place."""
    directory = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as error:
        raise GradcheckError(f"{path}: cannot write: {error.strerror or error}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
        os.replace(tmp, path)
    except OSError as error:
        raise GradcheckError(f"{path}: cannot write: {error.strerror or error}") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
