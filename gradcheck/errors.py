"""Exit codes and the errors that become them."""

from __future__ import annotations

from enum import IntEnum
from pathlib import Path


class ExitCode(IntEnum):
    """What the process tells its caller (DESIGN.md §2)."""

    OK = 0
    MISMATCH = 1
    USAGE = 2
    UNDECIDED = 3
    INTERRUPTED = 130  # 128 + SIGINT: Ctrl-C
    BROKEN_PIPE = 141  # 128 + SIGPIPE: the reader went away (`gradcheck run | head -1`); quiet, as `yes | head -1` is
    TERMINATED = 143  # 128 + SIGTERM, as a shell reports a process that SIGTERM ended


class GradcheckError(Exception):
    """A problem with what the user asked for: shown as one line, exit 2."""


class ConfigError(GradcheckError):
    """An invalid config value or file, located by file and dotted key."""

    def __init__(self, path: Path | str | None, key: str | None, reason: str) -> None:
        self.path = path
        self.key = key
        self.reason = reason
        super().__init__(str(self))

    def __str__(self) -> str:
        where = [str(part) for part in (self.path, self.key) if part]
        return ": ".join([*where, self.reason])


class UserCodeError(GradcheckError):
    """The user's own code (a --backward or --forward file) could not be run or returned the wrong thing.

    One line, exit 2: what was expected, and where in the user's file it went wrong (their frames only).
    """
