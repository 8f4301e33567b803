"""The process around the commands: SIGTERM ends it like Ctrl-C, and the command group ends it with an exit code.

An error is one line on stderr with exit 2 (130 on Ctrl-C, 143 on SIGTERM), never a traceback of ours; a broken pipe on
stdout exits 141 quietly; any other failure to write stdout (a full disk, a closed stdout) is an error like any other.
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Any, NoReturn

import click

from gradcheck.errors import ExitCode, GradcheckError
from gradcheck.render.console import STDOUT, StdoutError


class Terminated(BaseException):
    """SIGTERM, raised like KeyboardInterrupt so that every `finally` (temporary files, the progress bar) runs.

    A BaseException but not a KeyboardInterrupt: click passes it through untouched."""


def _terminate(signum: int, frame: object) -> None:
    raise Terminated


def end_on_sigterm() -> None:
    """From now on SIGTERM ends the run like Ctrl-C (exit 143), every `finally` run."""
    signal.signal(signal.SIGTERM, _terminate)


def _quiet_stdout() -> None:
    """Point stdout at /dev/null so that the interpreter's last flush cannot fail again (and print a traceback)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (AttributeError, OSError, ValueError):  # no real stdout (closed, or a test's buffer): nothing to flush
        pass


class GradcheckGroup(click.Group):
    """The command group: it runs a command and exits with the code it returns, or with its error's.

    `gradcheck` alone prints the help (exit 2, as click does)."""

    def main(
        self,
        args: Any = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> NoReturn:
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
            STDOUT.flush()
        except StdoutError as error:
            _quiet_stdout()
            if error.broken_pipe:
                sys.exit(ExitCode.BROKEN_PIPE)
            _fail(f"cannot write the report: {error}", ExitCode.USAGE)
        except Terminated:
            _fail("terminated", ExitCode.TERMINATED)
        except GradcheckError as error:
            _fail(str(error), ExitCode.USAGE)
        except click.exceptions.NoArgsIsHelpError as error:
            error.show()  # the help, as it is, not squeezed into one line
            sys.exit(error.exit_code)
        except click.ClickException as error:
            ctx = getattr(error, "ctx", None)
            where = f"{ctx.command_path}: " if ctx is not None else ""
            _fail(f"{where}{error.format_message()}", ExitCode.USAGE)
        except click.Abort:
            _fail("interrupted", ExitCode.INTERRUPTED)
        sys.exit(int(code or 0))


def _fail(message: str, code: int) -> NoReturn:
    """End the process with `code` and the message as one line on stderr."""
    if sys.stderr is not None:  # sys.stderr itself, not click's UTF-8 rewrap of an ASCII one: τ falls back to tau
        sys.stderr.write(f"error: {' '.join(message.split())}\n")  # one line, whatever a parser put in the message
        sys.stderr.flush()
    sys.exit(code)
