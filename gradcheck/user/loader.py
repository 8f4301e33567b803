"""Load the definitions of a user's file, never its training: which top-level statements run, decided from the tree.

Runs in the child process only. A real file (the min-char-rnn gist and its copies) trains, samples and plots at module
level; gradcheck needs its imports, functions, classes and the assignments that set sizes, data and weights:

    run       imports, def, class, assignments (but not of a call to a training, sampling or plotting function),
              a for loop that only fills data (no call of the file's functions, no print, no nested while),
              the bodies of if/with/try, filtered by the same rules
    not run   while loops, other for loops (training), bare calls (print, plot, sample, gradCheck, sys.exit),
              the body of `if __name__ == "__main__":`, input()

When the caller knows which names the check reads (`needs`: the checked functions and the file's size globals), only
the statements those names depend on run, traced back through the tree: a plotting import, a helper that trains, a
decorator or a metaclass the check never reaches, `losses = model.train(...)`, are never run at all.

A statement that raises while loading (an import gradcheck's interpreter lacks, a data file that is not there) does
not stop the load: the names it would bind are unavailable, and only a checked function that reads one of them is
refused (`unavailable`). Kept to Python 3.9 (the child may run in the user's interpreter).
"""

from __future__ import annotations

import ast
import builtins
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

TRAINS = re.compile(r"(?i)(train|fit|sgd|sample|generate|plot|show|check|test|eval|predict|step|update|run|main|loss|bptt)")
PLOTTING = ("matplotlib", "pylab", "seaborn", "IPython", "plotly", "tqdm")
READS_INPUT = ("input", "raw_input")


@dataclass(frozen=True)
class Omission:
    """A top-level statement that was not run: what it is, and its lines."""

    what: str
    first: int
    last: int

    def text(self) -> str:
        lines = f"line {self.first}" if self.first == self.last else f"lines {self.first}–{self.last}"
        return f"{self.what}, {lines}"


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


# --- the plan ------------------------------------------------------------------------------------------------------


class Planner:
    """Which statements of a module body run (see the module docstring)."""

    def __init__(self, tree: ast.Module) -> None:
        self.functions = {n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
        self.classes = {n.name for n in tree.body if isinstance(n, ast.ClassDef)}
        self.plotting: set[str] = set()
        for node in tree.body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                module = node.module or "" if isinstance(node, ast.ImportFrom) else ""
                for alias in node.names:
                    source = module or alias.name
                    if source.split(".")[0] in PLOTTING:
                        self.plotting.add((alias.asname or alias.name).split(".")[0])
        self.omitted: list[Omission] = []

    def body(self, statements: list[ast.stmt]) -> list[ast.stmt]:
        kept: list[ast.stmt] = []
        for node in statements:
            why = self.why_not(node)
            if why is None:
                kept.append(self.filtered(node))
            else:
                self.omitted.append(Omission(why, node.lineno, getattr(node, "end_lineno", None) or node.lineno))
        return kept

    def filtered(self, node: ast.stmt) -> ast.stmt:
        """A compound statement with its bodies filtered by the same rules (an empty body becomes `pass`)."""
        main = _main_branch(node.test) if isinstance(node, ast.If) else None
        if main is not None:  # if __name__ == "__main__": … else: (what runs on import)
            script = getattr(node, main)
            if script:
                end = getattr(script[-1], "end_lineno", None) or script[-1].lineno
                self.omitted.append(Omission('the body of if __name__ == "__main__"', script[0].lineno, end))
            setattr(node, main, [ast.copy_location(ast.Pass(), node)] if main == "body" else [])
        for name in ("body", "orelse", "finalbody"):
            statements = getattr(node, name, None)
            if isinstance(statements, list) and statements and not isinstance(node, DEFINITIONS):
                if isinstance(node, (ast.For, ast.AsyncFor)):
                    continue  # a data loop runs as written
                setattr(node, name, self.body(statements) or [ast.copy_location(ast.Pass(), statements[0])])
        if isinstance(node, ast.Try):
            for handler in node.handlers:
                handler.body = self.body(handler.body) or [ast.copy_location(ast.Pass(), handler)]
        return node

    def why_not(self, node: ast.stmt) -> str | None:
        """None when the statement runs; else what it is, in a few words."""
        if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            return None
        if isinstance(node, (ast.Global, ast.Nonlocal, ast.Pass)):
            return None
        if isinstance(node, ast.If):
            main = _main_branch(node.test)
            if main is None:
                return self._calls_training(node.test)
            other = node.orelse if main == "body" else node.body  # what runs on import: it stays (`filtered`)
            return None if other else 'the body of if __name__ == "__main__"'

        if isinstance(node, (ast.With, ast.AsyncWith)):
            return self._calls_training(*[item.context_expr for item in node.items])
        if isinstance(node, ast.Try):
            return None
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            return self._calls_training(node.value) if node.value is not None else None
        if isinstance(node, ast.Expr):
            if isinstance(node.value, ast.Constant):
                return None  # a docstring
            if self._is_data_method_call(node.value):
                return None  # chars.sort(), np.random.seed(1)
            return f"a call to {_callee(node.value)}"
        if isinstance(node, (ast.For, ast.AsyncFor)):
            return None if self._is_data_loop(node) else "the training loop"
        if isinstance(node, ast.While):
            return "the training loop"
        return f"a top-level {type(node).__name__.lower()} statement"

    def _calls_training(self, *nodes: ast.AST) -> str | None:
        """What a call inside these expressions does, when it trains, samples, plots or reads input."""
        for node in nodes:
            for call in (n for n in ast.walk(node) if isinstance(n, ast.Call)):
                name = root(call.func)
                if name in self.functions and name not in self.classes and TRAINS.search(_callee_name(call.func)):
                    return f"a call to {_callee(call)}"
                if name in self.plotting or name in READS_INPUT:
                    return f"a call to {_callee(call)}"
        return None

    def _is_data_loop(self, node: ast.AST) -> bool:
        """A for loop that only fills data: no while inside, no call of the file's functions, no print or plot, no
        update of the form `w -= f(…)`."""
        for inner in ast.walk(node):
            if isinstance(inner, ast.While):
                return False
            if isinstance(inner, ast.AugAssign) and any(isinstance(n, ast.Call) for n in ast.walk(inner.value)):
                return False  # param -= lr * dparam / np.sqrt(mem + 1e-8): an update, not data
            if isinstance(inner, ast.Call):
                name = root(inner.func)
                if name in self.functions or name in self.plotting or name in ("print", *READS_INPUT):
                    return False
        return True

    def _is_data_method_call(self, value: ast.expr) -> bool:
        if not isinstance(value, ast.Call) or not isinstance(value.func, ast.Attribute):
            return False
        name = root(value.func)
        if name in self.plotting or name in self.functions:
            return False
        return value.func.attr in ("seed", "append", "extend", "sort", "update", "insert", "add", "reverse")


def _script_body(node: ast.stmt) -> list[ast.stmt]:
    """The statements of `if __name__ == "__main__":` (the branch that runs only as a script); [] for another."""
    main = _main_branch(node.test) if isinstance(node, ast.If) else None
    return list(getattr(node, main)) if main else []


def _main_branch(test: ast.expr) -> str | None:
    """Which branch of an `if` on `__name__ == "__main__"` (or `!=`) runs only as a script: "body" or "orelse"."""
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], (ast.Eq, ast.NotEq))):
        return None
    if not any(isinstance(side, ast.Name) and side.id == "__name__" for side in [test.left, *test.comparators]):
        return None
    return "body" if isinstance(test.ops[0], ast.Eq) else "orelse"


def root(func: ast.AST) -> str:
    """The name an attribute, call or subscript chain starts from (np.random.randn → np), "" if none."""
    while isinstance(func, (ast.Attribute, ast.Call, ast.Subscript)):
        func = func.value if not isinstance(func, ast.Call) else func.func
    return func.id if isinstance(func, ast.Name) else ""


def _callee_name(func: ast.AST) -> str:
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def _callee(value: ast.expr) -> str:
    if isinstance(value, ast.Call):
        try:
            return ast.unparse(value.func)
        except Exception:  # an odd callee: its name is not worth a failure
            return "a function"
    return "an expression"


# --- loading ---------------------------------------------------------------------------------------------------------


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
            candidates += [(inner, True) for inner in _script_body(node)]
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
        for statement in _script_body(node):
            for name in _bound(statement):
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
            for name in _bound(node):
                failed.setdefault(name, line)
            if isinstance(node, ast.ImportFrom) and any(alias.name == "*" for alias in node.names):
                failed.setdefault("*", line)  # binds names no tree can tell
    return failed


def _message(error: BaseException) -> str:
    try:
        return " ".join(str(error).split())[:160]
    except Exception:  # a user's __str__ that raises
        return ""


DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def depended_on(statements: list[ast.stmt], roots: set[str]) -> set[int]:
    """The indexes of the top-level statements the names `roots` depend on: those that bind (or change) one of them,
    then those that bind what these read, and so on; with the imports the module's own set-up needs (a star import,
    `sys.path.append(…)`, `np.random.seed(…)`)."""
    modules = {name for node in statements if isinstance(node, (ast.Import, ast.ImportFrom)) for name in _bound(node)}
    binders: dict[str, list[int]] = {}
    for index, node in enumerate(statements):
        for name in _binds(node, modules):
            binders.setdefault(name, []).append(index)
    keep = {i for i, node in enumerate(statements) if _is_setup(node, modules)}
    todo = list(roots) + [name for i in keep for name in _reads(statements[i])]
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for index in binders.get(name, ()):
            if index not in keep:
                keep.add(index)
                todo.extend(_reads(statements[index]))
    return keep


def _binds(node: ast.stmt, modules: set[str]) -> set[str]:
    """The module-level names a statement binds or changes in place (`chars.sort()`, `ix[ch] = i`, but not a module
    by `np.dot(…)`), not looking inside the functions and classes it defines."""
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return set(_bound(node))
    if isinstance(node, DEFINITIONS):
        return {node.name}
    names: set[str] = set()
    for inner in _walk_outside_definitions(node):
        if isinstance(inner, ast.Name) and isinstance(inner.ctx, (ast.Store, ast.Del)):
            names.add(inner.id)
        elif isinstance(inner, (ast.Subscript, ast.Attribute)) and isinstance(inner.ctx, (ast.Store, ast.Del)):
            names.add(root(inner))
        elif isinstance(inner, ast.Call) and isinstance(inner.func, ast.Attribute) and root(inner.func) not in modules:
            names.add(root(inner.func.value))  # a method may change its object
        elif isinstance(inner, DEFINITIONS):
            names.add(inner.name)
    return names - {""}


def _reads(node: ast.stmt) -> set[str]:
    """The module-level names a statement reads when it runs, and for a def or class, when it is called."""
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return set()
    walked = _walk_outside_definitions(node)
    reads = {n.id for n in walked if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    for inner in walked:
        if isinstance(inner, DEFINITIONS):
            reads |= _free_names(inner)
            reads |= {n.id for d in inner.decorator_list for n in ast.walk(d) if isinstance(n, ast.Name)}
    if isinstance(node, DEFINITIONS):
        reads |= _free_names(node)
    return reads


def _walk_outside_definitions(node: ast.AST) -> list[ast.AST]:
    """node and what it holds, down to (and including) the defs and classes it holds, not into their bodies."""
    found: list[ast.AST] = []
    todo = [node]
    while todo:
        current = todo.pop()
        found.append(current)
        if isinstance(current, DEFINITIONS) and current is not node:
            continue
        if isinstance(current, DEFINITIONS):
            keywords = [keyword.value for keyword in getattr(current, "keywords", [])]  # class C(metaclass=Meta)
            todo.extend([*current.decorator_list, *getattr(current, "bases", []), *keywords, *_defaults(current)])
            continue
        todo.extend(ast.iter_child_nodes(current))
    return found


def _defaults(node: ast.AST) -> list[ast.expr]:
    args = getattr(node, "args", None)
    return [*args.defaults, *[d for d in args.kw_defaults if d is not None]] if isinstance(args, ast.arguments) else []


def _is_setup(node: ast.stmt, modules: set[str]) -> bool:
    """A statement the module's own set-up needs whatever the check reads: a star import, or a call of a method
    of an imported module (`sys.path.insert(0, '..')`, `np.random.seed(0)`)."""
    if isinstance(node, ast.ImportFrom) and any(alias.name == "*" for alias in node.names):
        return True
    value = node.value if isinstance(node, ast.Expr) else None
    return isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and root(value.func) in modules


def _bound(node: ast.stmt) -> list[str]:
    """The names a top-level statement binds."""
    names: list[str] = []
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        for alias in node.names:
            if alias.name != "*":
                names.append((alias.asname or alias.name).split(".")[0])
        return names
    for inner in ast.walk(node):
        if isinstance(inner, ast.Name) and isinstance(inner.ctx, ast.Store):
            names.append(inner.id)
        elif isinstance(inner, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(inner.name)
    return names


# --- what a function reads ------------------------------------------------------------------------------------------


def global_reads(tree: ast.Module, name: str) -> set[str]:
    """The module-level names a function (or Class.method, or a class) reads, through the file's other functions and
    classes it reaches."""
    defs: dict[str, ast.AST] = {}
    for node in tree.body:
        if isinstance(node, DEFINITIONS):
            defs[node.name] = node
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Lambda):  # lossFun = lambda inputs, …: …
            defs.update({target.id: node.value for target in node.targets if isinstance(target, ast.Name)})
    start = defs.get(name.split(".")[0])
    if start is None:
        return set()
    found: set[str] = set()
    todo: list[ast.AST] = [start]
    seen: set[int] = set()
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        for read in _free_names(current):
            found.add(read)
            if read in defs:
                todo.append(defs[read])
    return found - set(dir(builtins))


def _free_names(node: ast.AST) -> set[str]:
    """Names loaded in a def or class that it does not bind itself (its globals), approximately: a name stored
    anywhere in a function is local there unless declared global."""
    reads: set[str] = set()
    for function in [n for n in ast.walk(node) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))]:
        declared = {g for n in ast.walk(function) if isinstance(n, ast.Global) for g in n.names}
        args = function.args
        local = {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]}
        local |= {a.arg for a in (args.vararg, args.kwarg) if a is not None}
        for n in ast.walk(function):
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store) and n.id not in declared:
                local.add(n.id)
            elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and n is not function:
                local.add(n.name)
            elif isinstance(n, ast.arg):
                local.add(n.arg)
            elif isinstance(n, (ast.Import, ast.ImportFrom)):
                local |= {(a.asname or a.name).split(".")[0] for a in n.names}
        reads |= {n.id for n in ast.walk(function) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)} - local
    if isinstance(node, ast.ClassDef):  # a class body's own reads (base classes, class attributes), not its methods'
        body = [inner for statement in node.body for inner in _walk_outside_definitions(statement)]
        body += [inner for base in [*node.bases, *(k.value for k in node.keywords)] for inner in ast.walk(base)]
        loads = {n.id for n in body if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
        reads |= loads - {n.id for n in body if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    return reads


def functions(tree: ast.Module) -> list[tuple[str, list[str]]]:
    """The file's top-level functions and their parameters, and each class's methods as Class.method."""
    found: list[tuple[str, list[str]]] = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found.append((node.name, [a.arg for a in node.args.args]))
        elif isinstance(node, ast.ClassDef):
            for inner in node.body:
                if isinstance(inner, ast.FunctionDef) and not inner.name.startswith("_"):
                    static = any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in inner.decorator_list)
                    found.append((f"{node.name}.{inner.name}", [a.arg for a in inner.args.args[0 if static else 1 :]]))
    return found


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
