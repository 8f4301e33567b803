"""The Python 2 a file still holds when Python 3 parses it: Python 2's builtins, its dict methods, print statements that
parse as expressions, and zip, map, filter and dict views used as lists.

    python2_names(ast.parse("d.has_key(k) and xrange(3)"))   # ["dict.has_key", "xrange"]

Runs in the child process, kept to Python 3.9.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

PY2_BUILTINS = frozenset({"xrange", "raw_input", "unicode", "basestring", "long", "unichr", "reduce", "execfile", "file", "cmp"})
PY2_METHODS = frozenset({"iteritems", "itervalues", "iterkeys", "has_key"})
NAME_WORDS = {
    **{name: name for name in PY2_BUILTINS},
    **{name: f"dict.{name}" for name in PY2_METHODS},
    "print": "print statements",
    "lists": "zip, map, filter and dict views used as lists",
}


def python2_names(tree: ast.AST) -> list[str]:
    """The Python 2 builtins the module uses without binding them anywhere, and its calls of Python 2's dict methods
    (a method of that name defined in the file counts as a binding), as words, in the order of their lines."""
    bound: set[str] = set()
    used: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        bound.update(_bindings(node))
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in PY2_BUILTINS:
            used.append((node.lineno, node.id))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in PY2_METHODS:
            used.append((node.lineno, node.func.attr))
        elif isinstance(node, ast.Expr) and _prints(node.value):
            used.append((node.lineno, "print"))
        elif isinstance(node, (ast.Call, ast.Subscript)) and _as_list(node):
            used.append((node.lineno, "lists"))
    return list(dict.fromkeys(NAME_WORDS[name] for _, name in sorted(used) if name not in bound))


def _as_list(node: ast.AST) -> bool:
    """zip, map, filter or dict.keys/values/items used as the lists Python 2 made them (`reversed(zip(…))`,
    `len(map(…))`, `zip(…)[0]`, `d.keys()[0]`): valid Python 3 syntax that fails in Python 3 when it runs."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("reversed", "len"):
        inner = node.args[0] if node.args else None
    elif isinstance(node, ast.Subscript):
        inner = node.value
    else:
        return False
    if not isinstance(inner, ast.Call):
        return False
    if isinstance(inner.func, ast.Name):
        return inner.func.id in ("zip", "map", "filter")
    return isinstance(inner.func, ast.Attribute) and inner.func.attr in ("keys", "values", "items") and not inner.args


def _prints(value: ast.expr) -> bool:
    """Whether an expression statement is a print statement that Python 3 also parses: `print >>f, x` (a tuple of a
    shift), `print -x`, a bare `print`. Python 3 runs them without printing, or raises TypeError."""
    if isinstance(value, ast.Tuple) and value.elts:
        value = value.elts[0]
    while isinstance(value, ast.BinOp):
        value = value.left
    return isinstance(value, ast.Name) and value.id == "print"


def _bindings(node: ast.AST) -> Iterator[str]:
    """The names a node binds, in any scope."""
    if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
        yield node.id
    elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        yield node.name
    elif isinstance(node, ast.arg):
        yield node.arg
    elif isinstance(node, ast.alias):
        yield node.asname or node.name.split(".")[0]
    elif isinstance(node, ast.ExceptHandler) and node.name:
        yield node.name
    elif isinstance(node, (ast.Global, ast.Nonlocal)):
        yield from node.names
    else:  # the match statement's captures (Python 3.10+): MatchAs, MatchStar and MatchMapping's **rest
        for attribute in ("name", "rest"):
            value = getattr(node, attribute, None)
            if isinstance(value, str) and type(node).__name__.startswith("Match"):
                yield value
