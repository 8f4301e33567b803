"""The names a user's file reads and binds, from its tree alone: what a top-level statement reads when it runs (a def or
class: when it is called), what it binds or changes, and what a function reads through the others it reaches.

    global_reads(tree, "lossFun")   # {"np", "Wxh", "Whh", "Why", "bh", "by", "vocab_size"}: the gist's
    functions(tree)                 # [("lossFun", ["inputs", "targets", "hprev"]), ("RNNNumpy.bptt", ["x", "y"]), …]

Approximate by design (a name stored anywhere in a function is local there unless declared global); runs in the child
process, kept to Python 3.9.
"""

from __future__ import annotations

import ast
import builtins

DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def root(func: ast.AST) -> str:
    """The name an attribute, call or subscript chain starts from (np.random.randn → np), "" if none."""
    while isinstance(func, (ast.Attribute, ast.Call, ast.Subscript)):
        func = func.value if not isinstance(func, ast.Call) else func.func
    return func.id if isinstance(func, ast.Name) else ""


def read_names(node: ast.stmt) -> set[str]:
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


def bound_names(node: ast.stmt) -> list[str]:
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


def bound_or_changed(node: ast.stmt, modules: set[str]) -> set[str]:
    """The module-level names a statement binds or changes in place (`chars.sort()`, `ix[ch] = i`, but not a module
    by `np.dot(…)`), not looking inside the functions and classes it defines."""
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return set(bound_names(node))
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
