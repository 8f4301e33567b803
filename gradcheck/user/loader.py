"""Load the definitions of a user's file, never its training: only the statements gradcheck.user.plan lets run.

    loaded = load(Path("min-char-rnn.py"), needs)   # the module, what was not run, what failed, its tree
    loaded.not_run()                                # "the training loop, lines 88–113; a call to print, line 12"

Runs in the child process only. When the caller knows which names the check reads (`needs`: the checked functions and
the file's size globals), only the statements those names depend on run, traced back through the tree: a plotting
import, a helper that trains, a decorator or a metaclass the check never reaches, `losses = model.train(...)`, are
never run at all. The user's own modules beside the file are loaded the same way, a Python 2 one translated.

A statement that raises while loading (an import gradcheck's interpreter lacks, a data file that is not there) does
not stop the load: the names it would bind are unavailable, and only a checked function that reads one of them is
refused (`unavailable`). Kept to Python 3.9 (the child may run in the user's interpreter).
"""

from __future__ import annotations

import ast
import importlib.abc
import importlib.machinery
import importlib.util
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from gradcheck.errors import UserCodeError
from gradcheck.user.plan import Omission, Planner, depended_on, script_body
from gradcheck.user.reads import DEFINITIONS, bound_names


@dataclass
class Loaded:
    """The user's module after its definitions ran: what was left out, what failed, and the tree it came from."""

    module: ModuleType
    tree: ast.Module
    translated: tuple[str, ...] = ()  # the Python 2 constructs translated, if the file was Python 2
    omitted: list[Omission] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # name → one line: the statement that should bind it raised
    unneeded: list[Omission] = field(default_factory=list)  # statements the checked code does not depend on
    script_only: dict[str, int] = field(default_factory=dict)  # name → the line under `if __name__ == "__main__"` binding it
    from_script: list[int] = field(default_factory=list)  # lines of the __main__ body run: they set what the check reads

    def why_undefined(self, error: BaseException) -> str:
        """For a NameError of a name the file sets only when run as a script: where, and that it is not run."""
        found = re.search(r"name '(\w+)' is not defined", str(error)) if isinstance(error, NameError) else None
        if found is None or found.group(1) not in self.script_only:
            return ""
        name = found.group(1)
        return (
            f' ({name} is set only under if __name__ == "__main__", line {self.script_only[name]}, which gradcheck does not run)'
        )

    def not_run(self) -> str:
        """One line: what was left out and where ("the training loop, lines 88–113; a call to print, line 12")."""
        parts = [o.text() for o in _merged(self.omitted)]
        if self.from_script:
            lines = ", ".join(map(str, self.from_script))
            word = "line" if len(self.from_script) == 1 else "lines"
            parts.append(
                f"of that body only {word} {lines}, which set{'s' if word == 'line' else ''} what the checked code reads"
            )
        if self.unneeded:
            spans = _merged([Omission("", o.first, o.last) for o in self.unneeded])
            shown = [f"{o.first}" if o.first == o.last else f"{o.first}–{o.last}" for o in spans[:6]]
            word = "line" if len(spans) == 1 and spans[0].first == spans[0].last else "lines"
            parts.append(f"what the checked code does not read, {word} {', '.join(shown)}{', …' if len(spans) > 6 else ''}")
        return "; ".join(parts)


def _merged(omitted: list[Omission]) -> list[Omission]:
    """Neighbouring omissions of the same kind as one (three prints in a row: one entry)."""
    merged: list[Omission] = []
    for o in omitted:
        if merged and merged[-1].what == o.what and o.first - merged[-1].last <= 2:
            merged[-1] = Omission(o.what, merged[-1].first, o.last)
        else:
            merged.append(o)
    return merged


def source_of(path: Path) -> tuple[str, tuple[str, ...]]:
    """The file's text as Python 3, and the Python 2 constructs translated (none for a Python 3 file)."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-16") if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")  # Python 2 files often carry a latin-1 comment
    from gradcheck.user.translate import python3

    source = python3(text, path.name)
    return source.text, source.constructs if source.translated else ()


class _Siblings(importlib.abc.MetaPathFinder):
    """The user's own modules beside the file (`from utils import *`), loaded as the file is: a Python 2 one translated,
    only its definitions run."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        file = self.folder / f"{name}.py"
        if path is not None or "." in name or not file.is_file():
            return None
        return importlib.util.spec_from_file_location(name, file, loader=_Translated(file))


class _Translated(importlib.abc.Loader):
    def __init__(self, file: Path) -> None:
        self.file = file

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> None:
        return None

    def exec_module(self, module: ModuleType) -> None:
        """Its definitions, as the user's file's are: no training, and an import it cannot make leaves out only that."""
        tree, _ = _parse(self.file)
        _execute(Planner(tree).body(list(tree.body)), module, self.file)


def load(path: Path, needs: Callable[[ast.Module], set[str] | None] | None = None) -> Loaded:
    """The user's file as a module named after its stem, its folder first on sys.path, only its definitions run;
    with `needs` (the names the check will read, from the tree), only the statements those names depend on."""
    sys.path.insert(0, str(path.parent))
    finders = [type(finder) for finder in sys.meta_path]
    at = finders.index(importlib.machinery.PathFinder) if importlib.machinery.PathFinder in finders else 0
    sys.meta_path.insert(at, _Siblings(path.parent))  # where Python looks in the folder: its modules, translated
    sys.argv = [str(path)]
    tree, translated = _parse(path)
    roots = needs(tree) if needs is not None else None
    statements = list(tree.body)
    unneeded: list[Omission] = []
    planner = Planner(tree)
    from_script: list[int] = []
    if roots is not None:  # the __main__ body's statements are candidates too: one that sets what the check reads runs
        candidates: list[tuple[ast.stmt, bool]] = []  # (statement, whether it is in the __main__ body)
        for node in statements:
            candidates.append((node, False))
            candidates += [(inner, True) for inner in script_body(node)]
        ruled_out = [planner.why_not(node) is not None for node, _ in candidates]
        keep = depended_on([ast.Pass() if out else node for (node, _), out in zip(candidates, ruled_out)], roots)
        statements = []
        for index, (node, script) in enumerate(candidates):
            if script and index in keep and not ruled_out[index]:
                statements.append(node)
                from_script.append(node.lineno)
            elif not script and (index in keep or ruled_out[index]):
                statements.append(node)
            elif not script and not ruled_out[index] and not isinstance(node, (ast.Expr, ast.Pass, *DEFINITIONS)):
                unneeded.append(Omission("", node.lineno, getattr(node, "end_lineno", None) or node.lineno))
    kept = planner.body(statements)
    spec = importlib.util.spec_from_loader(path.stem, loader=None, origin=str(path))
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    module.__file__ = str(path)
    if path.stem not in sys.modules:  # never shadow a module already loaded (a user file named numpy.py)
        sys.modules[path.stem] = module
    script_only = {name: line for name, line in _script_only(tree).items() if line not in from_script}
    loaded = Loaded(
        module, tree, translated, planner.omitted, unneeded=unneeded, script_only=script_only, from_script=from_script
    )
    loaded.failed = _execute(kept, module, path)
    return loaded


def _script_only(tree: ast.Module) -> dict[str, int]:
    """The names the body of `if __name__ == "__main__":` binds, and the line of each."""
    found: dict[str, int] = {}
    for node in tree.body:
        for statement in script_body(node):
            for name in bound_names(statement):
                found.setdefault(name, statement.lineno)
    return found


def _parse(path: Path) -> tuple[ast.Module, tuple[str, ...]]:
    """The file's tree as Python 3, and the Python 2 constructs translated."""
    text, translated = source_of(path)
    try:
        return ast.parse(text, filename=str(path)), translated
    except (SyntaxError, RecursionError, MemoryError, ValueError) as error:  # python3() parsed it: a pathological file
        line = getattr(error, "lineno", None)
        raise UserCodeError(f"{path.name}{f':{line}' if line else ''}: Python cannot parse it ({_message(error)})") from None


def _execute(kept: list[ast.stmt], module: ModuleType, path: Path) -> dict[str, str]:
    """Run the statements one by one in the module; a failing one does not stop the others. Returns, for each name
    a failed statement would have bound, its one line ("*" for a failed star import)."""
    failed: dict[str, str] = {}
    for node in kept:
        code = compile(ast.Module(body=[node], type_ignores=[]), str(path), "exec", dont_inherit=True)
        try:
            exec(code, module.__dict__)
        except (SystemExit, KeyboardInterrupt, MemoryError):
            raise
        except Exception as error:
            line = f"{path.name}:{node.lineno}: {type(error).__name__}: {_message(error)}"
            if isinstance(error, ImportError):
                version = "%d.%d" % sys.version_info[:2]  # noqa: UP031 - kept to what Python 3.9 reads
                line += f" in Python {version} at {sys.executable} (--python PATH runs your code in another)"
            for name in bound_names(node):
                failed.setdefault(name, line)
            if isinstance(node, ast.ImportFrom) and any(alias.name == "*" for alias in node.names):
                failed.setdefault("*", line)  # binds names no tree can tell
    return failed


def _message(error: BaseException) -> str:
    try:
        return " ".join(str(error).split())[:160]
    except Exception:  # a user's __str__ that raises
        return ""


def unavailable(loaded: Loaded, names: set[str], set_by_us: set[str]) -> str | None:
    """The one line for the first name a checked function reads whose statement failed while loading (or that a
    failed star import may have been meant to bind), if any; names gradcheck sets itself never count."""
    missing = sorted(name for name in names - set_by_us if name not in vars(loaded.module))
    failed = sorted((name for name in missing if name in loaded.failed), key=lambda name: _line_of(loaded.failed[name]))
    for name in failed[:1]:  # the earliest failure: the others may follow from it (a NameError of what it would set)
        return f"{loaded.failed[name]} (the checked code reads {name}, which that line sets)"
    if missing and "*" in loaded.failed:
        return f"{loaded.failed['*']} (the checked code reads {', '.join(missing[:3])}, which that star import may set)"
    return None


def _line_of(failure: str) -> int:
    """The line number of a failure's one line ("FILE.py:12: NameError: …")."""
    found = re.match(r"[^:]*:(\d+):", failure)
    return int(found.group(1)) if found else 0


def module_value(loaded: Loaded, name: str) -> Any:
    return vars(loaded.module).get(name)
