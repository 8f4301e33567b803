"""The child's side as a folder another interpreter can run without gradcheck installed (`--python PATH`).

    with bundled() as folder:          # gradcheck/ (the child's modules only), fissix, appdirs, __main__.py
        subprocess.Popen([python, str(folder), fd_in, fd_out], ...)

The child's modules (child, wire, layouts, loader, plan, reads, translate, fixers, python2, errors) import only the
standard library, numpy and each other, and are kept to Python 3.9; fissix and appdirs are pure Python and copied as
they are installed here.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from importlib.util import find_spec
from pathlib import Path

from gradcheck.errors import GradcheckError

PACKAGE = Path(__file__).resolve().parents[1]
CHILD_SIDE = (
    "errors.py",
    "user/child.py",
    "user/wire.py",
    *(f"user/layouts/{path.name}" for path in sorted((PACKAGE / "user" / "layouts").glob("*.py"))),  # every layout
    "user/loader.py",
    "user/plan.py",
    "user/reads.py",
    "user/translate.py",
    "user/fixers.py",
    "user/python2.py",
)
MAIN = "import sys\nfrom gradcheck.user.child import main\nsys.exit(main(sys.argv))\n"
PROBE = "import sys, numpy; print('%d.%d' % sys.version_info[:2])"
OLDEST = (3, 9)


@contextlib.contextmanager
def bundled() -> Iterator[Path]:
    """A temporary folder holding the child's side, removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="gradcheck-child-"))
    try:
        for name in CHILD_SIDE:
            target = folder / "gradcheck" / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(PACKAGE / name, target)
        for package in ("gradcheck", "gradcheck/user"):
            (folder / package / "__init__.py").touch()
        for library in ("fissix", "appdirs"):
            spec = find_spec(library)
            if spec is not None and spec.origin is not None:
                origin = Path(spec.origin)
                if origin.name == "__init__.py":
                    shutil.copytree(origin.parent, folder / library, ignore=shutil.ignore_patterns("tests", "__pycache__"))
                else:
                    shutil.copyfile(origin, folder / origin.name)
        (folder / "__main__.py").write_text(MAIN, encoding="utf-8")
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def check_interpreter(python: str) -> None:
    """Refuse, in one line, an interpreter that does not run, is older than 3.9 or has no numpy."""
    try:
        done = subprocess.run([python, "-c", PROBE], capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as error:
        reason = "did not answer within 30 s" if isinstance(error, subprocess.TimeoutExpired) else error.strerror or "cannot run"
        raise GradcheckError(f"--python (user.python): {python}: {reason}") from None
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or [f"it exited with status {done.returncode}"])[-1]
        raise GradcheckError(f"--python (user.python): {python} cannot import numpy ({last.strip()[:120]})")
    version = tuple(int(part) for part in done.stdout.strip().split("."))
    if version < OLDEST:
        raise GradcheckError(f"--python (user.python): {python} is Python {done.stdout.strip()}; the child needs 3.9 or newer")
