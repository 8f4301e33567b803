"""Which top-level statements of a user's file run, decided from its tree before anything runs: its definitions, never
its training.

A real file (the min-char-rnn gist and its copies) trains, samples and plots at module level; gradcheck needs its
imports, functions, classes and the assignments that set sizes, data and weights:

    run       imports, def, class, assignments (but not of a call to a training, sampling or plotting function),
              a for loop that only fills data (no call of the file's functions, no print, no nested while),
              the bodies of if/with/try, filtered by the same rules
    not run   while loops, other for loops (training), bare calls (print, plot, sample, gradCheck, sys.exit),
              the body of `if __name__ == "__main__":`, input()

When the caller knows which names the check reads, `depended_on` slices the module to the statements those names
depend on, traced back through the tree. Runs in the child process, kept to Python 3.9.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from gradcheck.user.reads import DEFINITIONS, bound_names, bound_or_changed, read_names, root

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


def script_body(node: ast.stmt) -> list[ast.stmt]:
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


def _callee_name(func: ast.AST) -> str:
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def _callee(value: ast.expr) -> str:
    if isinstance(value, ast.Call):
        try:
            return ast.unparse(value.func)
        except Exception:  # an odd callee: its name is not worth a failure
            return "a function"
    return "an expression"


def depended_on(statements: list[ast.stmt], roots: set[str]) -> set[int]:
    """The indexes of the top-level statements the names `roots` depend on: those that bind (or change) one of them,
    then those that bind what these read, and so on; with the imports the module's own set-up needs (a star import,
    `sys.path.append(…)`, `np.random.seed(…)`)."""
    modules = {name for node in statements if isinstance(node, (ast.Import, ast.ImportFrom)) for name in bound_names(node)}
    binders: dict[str, list[int]] = {}
    for index, node in enumerate(statements):
        for name in bound_or_changed(node, modules):
            binders.setdefault(name, []).append(index)
    keep = {i for i, node in enumerate(statements) if _is_setup(node, modules)}
    todo = list(roots) + [name for i in keep for name in read_names(statements[i])]
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for index in binders.get(name, ()):
            if index not in keep:
                keep.add(index)
                todo.extend(read_names(statements[index]))
    return keep


def _is_setup(node: ast.stmt, modules: set[str]) -> bool:
    """A statement the module's own set-up needs whatever the check reads: a star import, or a call of a method
    of an imported module (`sys.path.insert(0, '..')`, `np.random.seed(0)`)."""
    if isinstance(node, ast.ImportFrom) and any(alias.name == "*" for alias in node.names):
        return True
    value = node.value if isinstance(node, ast.Expr) else None
    return isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and root(value.func) in modules
