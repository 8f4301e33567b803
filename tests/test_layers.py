"""The package's layers: every import points down (or sideways), the import graph has no cycle, the math needs numpy only.

    0 errors   1 book   2 engine   3 check, user   4 render   5 surfaces (cli, options, api, arguments, testing, …)

Every module under gradcheck/ is found by walking the folder, so a new module is covered the day it is added;
one the map below does not place fails the test until it is given a layer.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import ROOT

PACKAGE = ROOT / "gradcheck"
# The layer of each module, named inside the package: a module by its own name or by a package above it.
LAYERS = {"errors": 0, "book": 1, "engine": 2, "check": 3, "user": 3, "render": 4}
SURFACES = {"", "cli", "process", "options", "api", "arguments", "testing", "files", "__main__"}  # layer 5 ("" = __init__)
LAYER_NAMES = ["errors", "book", "engine", "check", "render", "surfaces"]
MATH_LAYERS = {1, 2}  # book and engine: numpy and the standard library only


@dataclass(frozen=True)
class Import:
    """One import statement's target, where it is written, and whether it names a gradcheck module."""

    module: str  # the importing module
    target: str  # a gradcheck module (the most specific one that exists), or the imported top-level name
    line: int
    internal: bool


def module_files(package: Path) -> dict[str, Path]:
    """Every module of the package folder by dotted name (a package by its own name, for its __init__.py)."""
    modules = {}
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(package.parent).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def layer_of(module: str) -> int | None:
    """The layer of a dotted module name (gradcheck.engine.compare → 2), or None if the map does not place it."""
    inside = module.partition(".")[2]
    if inside in SURFACES:
        return 5
    return next((layer for name, layer in LAYERS.items() if inside == name or inside.startswith(name + ".")), None)


def imports(module: str, path: Path, modules: dict[str, Path]) -> Iterator[Import]:
    """Every import the module's source makes, at any depth (inside functions and `if` blocks too)."""
    top = module.split(".")[0]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from . import x, from ..engine import y
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            # `from a import b` imports the module a.b if there is one, else a name defined in a
            names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names]
        else:
            continue
        for name in dict.fromkeys(names):
            internal = name.split(".")[0] == top
            yield Import(module, _known(name, modules) if internal else name.split(".")[0], node.lineno, internal)


def _known(name: str, modules: dict[str, Path]) -> str:
    """The most specific existing module a dotted name refers to (gradcheck.check.config.load → gradcheck.check.config)."""
    while name not in modules and "." in name:
        name = name.rpartition(".")[0]
    return name


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle of the directed graph as [a, b, …, a], or None (depth-first search, colouring nodes)."""
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == "open":
                return [*stack[stack.index(target) :], target]
            if target not in state and (cycle := visit(target)):
                return cycle
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def every_import(package: Path) -> list[Import]:
    """Every import of every module under the package folder."""
    modules = module_files(package)
    return [imp for module, path in modules.items() for imp in imports(module, path, modules)]


def unplaced(package: Path) -> list[str]:
    """Modules the layer map does not place, with their files."""
    modules = module_files(package)
    return [f"{module} ({path.relative_to(package.parent)})" for module, path in modules.items() if layer_of(module) is None]


def upward(package: Path) -> list[str]:
    """Imports of a module in a higher layer, each with both layers and the line."""
    found = []
    for imp in every_import(package):
        source, target = layer_of(imp.module), layer_of(imp.target)
        if imp.internal and source is not None and target is not None and target > source:
            found.append(
                f"{imp.module} (layer {source}, {LAYER_NAMES[source]}) imports {imp.target} "
                f"(layer {target}, {LAYER_NAMES[target]}) at line {imp.line}"
            )
    return found


def import_cycle(package: Path) -> list[str] | None:
    """A cycle among the package's modules, counting every import (inside functions too), or None."""
    graph: dict[str, set[str]] = {module: set() for module in module_files(package)}
    for imp in every_import(package):
        if imp.internal and imp.target != imp.module:
            graph[imp.module].add(imp.target)
    return find_cycle(graph)


def third_party_in_math(package: Path) -> list[str]:
    """Imports in book and engine of anything but the package itself, numpy, the standard library and threadpoolctl
    (which only sets how many threads numpy's BLAS runs while the engine's workers do)."""
    allowed = set(sys.stdlib_module_names) | {"numpy", "threadpoolctl"}
    return [
        f"{imp.module} imports {imp.target} at line {imp.line}"
        for imp in every_import(package)
        if layer_of(imp.module) in MATH_LAYERS and not imp.internal and imp.target not in allowed
    ]


def test_every_module_has_a_layer():
    assert module_files(PACKAGE), "no modules found under gradcheck/"
    missing = unplaced(PACKAGE)
    assert missing == [], "not in the layer map of tests/test_layers.py; give each a layer: " + ", ".join(missing)


def test_every_import_goes_to_the_same_or_a_lower_layer():
    assert upward(PACKAGE) == []


def test_the_module_import_graph_has_no_cycle():
    cycle = import_cycle(PACKAGE)
    assert cycle is None, "import cycle: " + " → ".join(cycle or [])


def test_book_and_engine_import_nothing_third_party_but_numpy():
    assert third_party_in_math(PACKAGE) == []


def test_importing_gradcheck_loads_no_cli_config_or_rendering_library():
    code = "import gradcheck, sys; print(sorted(m for m in sys.modules if m.split('.')[0] in {'pydantic','yaml','rich','click'}))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout == "[]\n", out.stdout


def test_no_test_module_imports_another():
    tests = {path.stem for path in (ROOT / "tests").glob("test_*.py")}
    found = [
        f"{path.name} imports {name}"
        for path in sorted((ROOT / "tests").glob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Import | ast.ImportFrom)
        for name in ([node.module] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names])
        if name in tests
    ]
    assert found == [], "share code through fixtures in conftest.py: " + "; ".join(found)


@pytest.fixture
def toy(tmp_path: Path):
    """A package laid out like gradcheck (named toy), to show that each rule above reports what breaks it."""
    files = {
        "__init__.py": "",
        "errors.py": "",
        "book/__init__.py": "",
        "book/rnn.py": "import math\nimport numpy as np\nfrom toy.errors import ExitCode\n",
        "engine/__init__.py": "",
        "engine/compare.py": "from ..book import rnn\n",
        "check/__init__.py": "",
        "check/config.py": "from toy.engine.compare import compare\n",
    }
    root = tmp_path / "toy"
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_the_rules_pass_a_well_layered_package(toy):
    assert (unplaced(toy), upward(toy), import_cycle(toy), third_party_in_math(toy)) == ([], [], None, [])


def test_the_rules_report_what_breaks_them(toy):
    (toy / "plugins.py").write_text("")
    (toy / "engine" / "compare.py").write_text(
        "import scipy\nfrom ..book import rnn\n\ndef f():\n    from toy.check import config\n"
    )
    assert unplaced(toy) == ["toy.plugins (toy/plugins.py)"]
    assert upward(toy) == ["toy.engine.compare (layer 2, engine) imports toy.check.config (layer 3, check) at line 5"]
    assert import_cycle(toy) == ["toy.check.config", "toy.engine.compare", "toy.check.config"]
    assert third_party_in_math(toy) == ["toy.engine.compare imports scipy at line 1"]


def test_no_network_kind_is_named_outside_the_book() -> None:
    """check/, engine/, user/, render/ and the surfaces read the network's record, never its kind: no string constant
    outside book/ is a registered model.kind (prose that mentions one, in a longer string, is not a kind)."""
    from gradcheck.book.kinds import NETWORKS

    named = [
        f"{path.relative_to(ROOT)}:{node.lineno} {node.value!r}"
        for module, path in module_files(PACKAGE).items()
        if layer_of(module) != LAYERS["book"]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Constant) and node.value in NETWORKS
    ]
    assert named == []
