"""fissix's fixers over a file, on its own lines, and the words for what each change says was Python 2.

    text, changed = run_fixers(source, "my_rnn.py", "python_grammar")   # on the same lines; ["print statements", "xrange"]

fissix's default fixers run, but for fix_import: the loader imports the file as a top-level module with its folder
on sys.path, so Python 2's implicit sibling imports (`import layers`) work as they are, where fix_import's
`from . import layers` would not. The few fixers that add an import (reduce, intern, reload, sorted's cmp) have it
put on an existing line (`import numpy as np; from functools import reduce`), so no line moves; only tuple
parameters (`def f((a, b)):`) and `except E, (a, b):` add lines, as fissix has no other way to write them.

Importing fissix.pygram would build its grammar and write it as a pickle to the user's cache folder (and fail when
that folder cannot be made: a read-only HOME); here the grammar is built in memory (about 12 ms) and nothing is
written or read there. Runs in the child process, kept to Python 3.9.
"""

from __future__ import annotations

import ast
import functools
import importlib
import re
import sys
import threading
import warnings
from typing import Any

SKIPPED_FIXERS = frozenset({"fissix.fixes.fix_import"})  # see the module's docstring

# What each fixer's change says was Python 2 about the file; None: a change that is valid Python 3 either way
# (list() around map or dict.keys(), u'' prefixes dropped). dict, unicode and numliterals are told apart by what
# they changed (see _word); a fixer not named here is named as itself.
FIXER_WORDS: dict[str, str | None] = {
    "apply": "apply",
    "asserts": None,
    "basestring": "basestring",
    "except": "except E, e",
    "exec": "exec statements",
    "execfile": "execfile",
    "exitfunc": "sys.exitfunc",
    "filter": None,
    "funcattrs": "func_* attributes",
    "future": None,
    "getcwdu": "os.getcwdu",
    "has_key": "dict.has_key",
    "imports": "Python 2 module names",
    "imports2": "Python 2 module names",
    "input": "input() that evaluates",
    "intern": "intern",
    "isinstance": None,
    "itertools": "itertools.izip/imap/ifilter",
    "itertools_imports": "itertools.izip/imap/ifilter",
    "long": "long",
    "map": None,
    "metaclass": "__metaclass__",
    "methodattrs": "im_* attributes",
    "ne": "<>",
    "next": ".next()",
    "nonzero": "__nonzero__",
    "operator": "operator.isCallable and kin",
    "paren": "unparenthesised tuples in comprehensions",
    "print": "print statements",
    "raise": "raise E, msg",
    "raw_input": "raw_input",
    "reduce": "reduce",
    "reload": "reload",
    "renames": "sys.maxint",
    "repr": "backticks",
    "sorted": "sorted with cmp",
    "standarderror": "StandardError",
    "sys_exc": "sys.exc_type",
    "throw": "throw(E, V)",
    "tuple_params": "tuple parameters",
    "types": "types.*Type",
    "urllib": "urllib/urllib2 names",
    "xrange": "xrange",
    "xreadlines": "xreadlines",
    "zip": None,
}
ITER_METHOD = re.compile(r"\.\s*((?:iter|view)(?:keys|items|values))\b")


def run_fixers(text: str, filename: str, grammar: str) -> tuple[str, list[str]]:
    """fissix's Python 3 for `text`, on the same lines, read with pygram's grammar of that name, and the words for what
    it changed; fissix's own exceptions when it cannot parse `text`."""
    return _TOOL.translate(text, filename, grammar)


def parse(text: str, filename: str = "<unknown>") -> ast.Module:
    """ast.parse, without its SyntaxWarnings ('\\d' in a string): compiling the file later shows them, once."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ast.parse(text, filename)


def parses(text: str) -> bool:
    try:
        parse(text)
    except (SyntaxError, ValueError):
        return False
    return True


class _Tool:
    """fissix's RefactoringTool with the default fixers (made once, on first use), noting which of them change what."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.changed: list[tuple[int, str]] = []  # the last translation's changes: (line, word)

    @functools.cached_property
    def fissix(self) -> tuple[Any, Any, Any, Any]:
        """fissix's refactor, pygram, pytree and token modules."""
        if "fissix.pygram" not in sys.modules:
            _build_grammar_in_memory()
        refactor = importlib.import_module("fissix.refactor")
        pygram = importlib.import_module("fissix.pygram")
        pytree = importlib.import_module("fissix.pytree")
        token = importlib.import_module("fissix.pgen2.token")
        return refactor, pygram, pytree, token

    @functools.cached_property
    def tool(self) -> Any:
        refactor = self.fissix[0]
        names = [name for name in refactor.get_fixers_from_package("fissix.fixes") if name not in SKIPPED_FIXERS]
        tool = refactor.RefactoringTool(names)
        for fixer in (*tool.pre_order, *tool.post_order):
            fixer.transform = self._noting(fixer.__module__.rpartition(".fix_")[2], fixer.transform)
        return tool

    def _noting(self, name: str, transform: Any) -> Any:
        """`transform`, noting the word for its change when it changes something."""

        def noted(node: Any, results: Any) -> Any:
            root = node
            while root.parent is not None:
                root = root.parent
            before, statements, line = str(node), len(root.children), node.get_lineno()
            new = transform(node, results)
            if str(node if new is None else new) != before or len(root.children) != statements:  # or an import added
                word = _word(name, before)
                if word:
                    self.changed.append((line or 0, word))
            return new

        return noted

    def translate(self, text: str, filename: str, grammar: str) -> tuple[str, list[str]]:
        """fissix's Python 3 for `text`, on the same lines, read with pygram's grammar of that name, and the words
        for what it changed; fissix's own exceptions when it cannot parse `text`."""
        with self.lock:
            tool = self.tool
            default = tool.grammar
            tool.grammar = tool.driver.grammar = getattr(self.fissix[1], grammar)  # reset by refactor_string
            self.changed = []
            try:
                tree = tool.refactor_string(text, filename)
            finally:
                tool.grammar = tool.driver.grammar = default
            plain = str(tree)
            try:
                self._keep_lines(tree)
            except Exception:  # an odd tree: fissix's own output, with its new lines
                kept = plain
            else:
                kept = str(tree)
            changed = list(dict.fromkeys(word for _, word in sorted(self.changed)))
            return (kept if parses(kept) or not parses(plain) else plain), changed

    def _keep_lines(self, tree: Any) -> None:
        """Put each import a fixer added as a line of its own (`from functools import reduce`) on a line of the
        file's: the end of the line above (`import numpy as np; from functools import reduce`), else the start of
        the line below, else the end of a line further up, or down; else a new last line, below all of the file's."""
        _, pygram, pytree, token = self.fissix
        simple = pygram.python_symbols.simple_stmt
        for statement in list(tree.children):
            if statement.type != simple or any(leaf.lineno for leaf in statement.leaves()):
                continue  # a statement of the file's own (fissix's new leaves have line 0)
            at = statement.remove()
            added = statement.children[0]
            above = [node for node in tree.children[:at] if self._joinable(node, simple, token)]
            below = [node for node in tree.children[at:] if self._joinable(node, simple, token)]
            if above and above[-1] is tree.children[at - 1]:
                self._append(above[-1], added, pytree, token)
            elif below and below[0] is tree.children[at] and not self._future(below[0]):
                line = below[0]  # `from functools import reduce; x = 1`: before the line's statement, as added
                added.remove()
                prefix, line.prefix = line.prefix, " "
                line.insert_child(0, pytree.Leaf(token.SEMI, ";"))
                line.insert_child(0, added)
                added.prefix = prefix
            elif above or below:
                self._append((above[::-1] + below)[0], added, pytree, token)
            else:
                tree.insert_child(len(tree.children) - 1, statement)  # before the ENDMARKER

    @staticmethod
    def _append(line: Any, added: Any, pytree: Any, token: Any) -> None:
        """`line; added`, before the line's comment and newline."""
        added.remove()
        newline = len(line.children) - 1
        if line.children[newline - 1].type != token.SEMI:
            line.insert_child(newline, pytree.Leaf(token.SEMI, ";"))
            newline += 1
        added.prefix = " "
        line.insert_child(newline, added)

    @staticmethod
    def _joinable(node: Any, simple: int, token: Any) -> bool:
        """Whether a top-level statement is a line of the file's own that takes `; another statement`."""
        return bool(
            node.type == simple
            and node.children[-1].type == token.NEWLINE
            and str(node.children[0]).strip()
            and any(leaf.lineno for leaf in node.leaves())
        )

    @staticmethod
    def _future(node: Any) -> bool:
        """Whether a statement is `from __future__ import …`, which nothing may precede."""
        return [leaf.value for leaf in node.leaves()][:2] == ["from", "__future__"]


_TOOL = _Tool()


def _word(fixer: str, before: str) -> str | None:
    """What the change of `fixer` to `before` (the text it matched) says was Python 2 about the file."""
    if fixer == "xrange":
        return "xrange" if "xrange" in before else None  # list() around range(), for Python 2's list
    if fixer == "dict":
        match = ITER_METHOD.search(before)
        return f"dict.{match.group(1)}" if match else None  # .keys() in list() is Python 3 either way
    if fixer == "unicode":
        word = before.strip()
        if word in ("unicode", "unichr"):
            return word
        return "ur'' strings" if word[:2].lower() == "ur" else None  # u'' and '\u' in a byte string are fine in 3
    if fixer == "numliterals":
        return "long literals (10L)" if before.strip()[-1:] in ("l", "L") else "octal literals (0777)"
    return FIXER_WORDS.get(fixer, fixer)


def _build_grammar_in_memory() -> None:
    """Import fissix.pygram with its grammars built from fissix's Grammar.txt, never pickled to or read from the
    user's cache folder (fissix's load_grammar makes that folder and writes there, and raises if it cannot)."""
    importlib.import_module("fissix")  # fissix/__init__ installs its own driver.load_grammar, replaced here for a while
    driver: Any = importlib.import_module("fissix.pgen2.driver")
    pgen: Any = importlib.import_module("fissix.pgen2.pgen")
    cached = driver.load_grammar

    def load_grammar(
        gt: str = "Grammar.txt", gp: object = None, save: bool = True, force: bool = False, logger: object = None
    ) -> Any:
        return pgen.generate_grammar(gt)

    driver.load_grammar = load_grammar
    try:
        importlib.import_module("fissix.pygram")
    finally:
        driver.load_grammar = cached
