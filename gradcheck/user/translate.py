"""A user's Python 2 file as Python 3 source, translated by fissix (the maintained lib2to3), on its own lines.

Runs in the child process, beside the user's code, so it is kept to Python 3.9 and the standard library; fissix is
imported only when a file needs it (about 0.2 s, once). A file that Python 3 parses and that uses none of Python 2's
builtins (xrange, raw_input, unicode, …) or dict methods (has_key, iteritems, …) comes back as it was.

    source = python3(text, "min-char-rnn.py")
    source.text         # Python 3, for ast.parse and compile: a function at line 40 is still at line 40
    source.translated   # fissix rewrote it
    source.constructs   # ("print statements", "xrange", "backticks"): what was Python 2 about it

fissix's default fixers run, but for fix_import: the loader imports the file as a top-level module with its folder
on sys.path, so Python 2's implicit sibling imports (`import layers`) work as they are, where fix_import's
`from . import layers` would not. The few fixers that add an import (reduce, intern, reload, sorted's cmp) have it
put on an existing line (`import numpy as np; from functools import reduce`), so no line moves; only tuple
parameters (`def f((a, b)):`) and `except E, (a, b):` add lines, as fissix has no other way to write them. Python 2's
integer division (`n / 2` of ints) is not translated: fissix cannot know the types, and neither can we.

Importing fissix.pygram would build its grammar and write it as a pickle to the user's cache folder (and fail when
that folder cannot be made: a read-only HOME); here the grammar is built in memory (about 12 ms) and nothing is
written or read there.
"""

from __future__ import annotations

import ast
import functools
import importlib
import io
import re
import sys
import threading
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from gradcheck.errors import UserCodeError

PY2_BUILTINS = frozenset({"xrange", "raw_input", "unicode", "basestring", "long", "unichr", "reduce", "execfile", "file", "cmp"})
PY2_METHODS = frozenset({"iteritems", "itervalues", "iterkeys", "has_key"})
SKIPPED_FIXERS = frozenset({"fissix.fixes.fix_import"})  # see the module's docstring
CONVERT = 'run "python -m fissix -w FILE" or convert the line by hand'

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
NAME_WORDS = {
    **{name: name for name in PY2_BUILTINS},
    **{name: f"dict.{name}" for name in PY2_METHODS},
    "print": "print statements",
    "lists": "zip, map, filter and dict views used as lists",
}
TABS = "mixed tabs and spaces"
STATEMENTS, PRINT_FUNCTION, FUNCTIONS = (  # fissix.pygram's grammars: print and exec statements, exec only, neither
    "python_grammar",
    "python_grammar_no_print_statement",
    "python_grammar_no_print_and_exec_statement",
)


@dataclass(frozen=True)
class Source:
    """A user's file as Python 3."""

    text: str  # Python 3 source, ready for ast.parse/compile
    translated: bool  # True when fissix rewrote a Python 2 file
    constructs: tuple[str, ...]  # what was Python 2 about it, short words, e.g. ("print statements", "xrange", "backticks")


def python3(text: str, filename: str) -> Source:
    """`text` as Python 3 source: as it is when it is Python 3, else translated by fissix; UserCodeError (one line)
    when it is neither Python 3 nor a Python 2 that fissix translates."""
    if "\x00" in text:  # neither Python 3 nor 2 reads it: a binary file, or text in an encoding of two bytes a letter
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise UserCodeError(f"{filename}:{line}: holds a null byte, so it is not Python source (save it as UTF-8 text)")
    try:
        tree = _parse(text, filename)
    except RecursionError:
        raise UserCodeError(f"{filename}: nested too deeply for Python's parser (RecursionError)") from None
    except (SyntaxError, ValueError) as error:  # ValueError: a null byte, on older Pythons
        if isinstance(error, SyntaxError) and "too many nested" in str(error.msg):  # a limit of Python 3, not Python 2
            raise UserCodeError(f"{filename}:{error.lineno}: SyntaxError: {error.msg}") from None
        return _from_python2(text, filename, _stop(error, text))
    names = python2_names(tree)
    if not names:
        return Source(text, False, ())
    # Python 3's syntax with Python 2's builtins: print() and exec() are calls here, whatever their arguments, unless
    # there are print statements that Python 3 parses too (`print >>sys.stderr, x`): then it is Python 2 throughout
    normal = _normal(text)
    grammars = (STATEMENTS, FUNCTIONS) if "print statements" in names else (FUNCTIONS,)
    outcome: tuple[str, list[str]] | _Failure = _Failure(0, "", False)
    for grammar in grammars:
        outcome = _translate(normal, filename, grammar)
        if not isinstance(outcome, _Failure):
            break
    if isinstance(outcome, _Failure) or outcome[0] == normal or not _parses(outcome[0]):
        return Source(text, False, tuple(names))  # left for the user's code to fail on at its line, if it runs
    return Source(outcome[0], True, _constructs(*outcome) or tuple(names))


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


# --- Python 2 --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Failure:
    """Where one way of translating stopped: fissix's parser (`parsed` False) or Python 3's on fissix's output."""

    line: int
    what: str
    parsed: bool
    unchanged: bool = False  # the output's line is the file's own line, as it was
    start: int = 0  # the first line of the statement fissix's parser stopped in


def _from_python2(text: str, filename: str, stop: tuple[int, str]) -> Source:
    """The translation of a file Python 3 does not parse, or UserCodeError: Python 3 stopped at `stop` (line, message).

    Tried in turn: print as a statement, then as a function (a file that calls print(x, end="") without the
    __future__ import), then both with the tabs of the indentation expanded."""
    failures: list[_Failure] = []
    normal = _normal(text)
    variants: list[tuple[str, tuple[str, ...]]] = [(normal, ())]
    detabbed = _detab(normal)
    if detabbed != normal:
        variants.append((detabbed, (TABS,)))
    for variant, found in variants:
        for grammar in (STATEMENTS, PRINT_FUNCTION):
            outcome = _translate(variant, filename, grammar)
            if isinstance(outcome, _Failure):
                failures.append(replace(outcome, start=_statement_start(variant, outcome.line)))
                continue
            translated, changed = outcome
            try:
                _parse(translated, filename)
            except (SyntaxError, ValueError) as error:
                line, message = _stop(error, translated)
                failures.append(_Failure(line, message, True, _same_line(variant, translated, line)))
                continue
            return Source(translated, True, _constructs(translated, [*found, *changed]))
    raise UserCodeError(_message(filename, stop, failures)) from None


def _message(filename: str, stop: tuple[int, str], failures: list[_Failure]) -> str:
    """The one line for a file that could not be translated, from the attempt that got furthest.

    When neither parser takes the file, the line is Python 3's, unless fissix read that line's statement as Python 2
    (a print statement) and stopped in a later one: then that one is what to correct. An unclosed bracket stops
    fissix at the end of the file, but in the statement that Python 3 names."""
    line, message = stop
    last = max(failures, key=lambda failure: (failure.line, failure.parsed))
    if last.parsed:  # at the line of fissix's output
        where = f"{filename}:{last.line}: cannot be translated from Python 2"
        if last.unchanged:
            return f"{where}: fissix leaves this line as it is, and it is not Python 3 ({last.what}) — convert the line by hand"
        return f"{where}: fissix's Python 3 for this line does not parse ({last.what}) — convert the line by hand"
    if not last.line:  # a fixer failed
        return f"{filename}:{line}: cannot be translated from Python 2: {last.what}; Python 3 stops here ({message}) — {CONVERT}"
    at = last.line if line < last.start else line
    where = f"{filename}:{at}: cannot be translated from Python 2"
    if last.line == line:
        return f"{where}: this line is neither Python 3 ({message}) nor Python 2 ({last.what}) — correct it by hand"
    return (
        f"{where}: it is neither Python 3 (line {line}: {message}) nor Python 2 (line {last.line}: {last.what})"
        f" — correct line {at} by hand"
    )


def _statement_start(text: str, line: int) -> int:
    """The first line of the statement that holds line `line`, by fissix's tokenizer (`line` when it cannot tell)."""
    tokenize: Any = sys.modules.get("fissix.pgen2.tokenize")
    if tokenize is None or line <= 0:
        return line
    skipped = {tokenize.NL, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT}
    start = 0
    try:
        for kind, _, (row, _), _, _ in tokenize.generate_tokens(io.StringIO(text).readline):
            if row >= line and start:
                break
            if kind == tokenize.NEWLINE:
                start = 0
            elif not start and kind not in skipped:
                start = row
    except Exception:  # the tokenizer's own errors: the end of the file inside a bracket, a bad dedent
        pass
    return start or line


def _stop(error: SyntaxError | ValueError, text: str) -> tuple[int, str]:
    """Where Python 3's parser stopped, and why, as (line, message of one line)."""
    line = text.count("\n", 0, text.find("\0")) + 1 if "\0" in text else 1  # a null byte's error has no line
    if isinstance(error, SyntaxError):
        return error.lineno or line, _one_line(error.msg)
    return line, _one_line(str(error))


def _one_line(message: object) -> str:
    return " ".join(str(message).split())


def _normal(text: str) -> str:
    """`text` as fissix's parser takes it: no byte-order mark, newlines \\n, and one at the end."""
    text = text.removeprefix("\ufeff")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text if text.endswith("\n") else text + "\n"


def _detab(text: str) -> str:
    """Each line's indentation with its tabs expanded to columns of 8, as Python 2 read them."""
    lines = []
    for line in text.split("\n"):
        body = line.lstrip(" \t")
        lines.append(line[: len(line) - len(body)].expandtabs(8) + body)
    return "\n".join(lines)


def _same_line(before: str, after: str, line: int) -> bool:
    """Whether line `line` of fissix's output is that of its input, untouched."""
    old, new = before.split("\n"), after.split("\n")
    return len(old) == len(new) and 0 < line <= len(old) and old[line - 1] == new[line - 1]


def _parse(text: str, filename: str = "<unknown>") -> ast.Module:
    """ast.parse, without its SyntaxWarnings ('\\d' in a string): compiling the file later shows them, once."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ast.parse(text, filename)


def _parses(text: str) -> bool:
    try:
        _parse(text)
    except (SyntaxError, ValueError):
        return False
    return True


def _constructs(text: str, found: Iterable[str]) -> tuple[str, ...]:
    """What was Python 2 about a translated file: `found` (what the fixers changed) and the Python 2 builtins still
    used in `text`, the translation (file, cmp: fissix has no fixer for them)."""
    return tuple(dict.fromkeys([*found, *python2_names(_parse(text))]))


# --- fissix ----------------------------------------------------------------------------------------------------------


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
            return (kept if _parses(kept) or not _parses(plain) else plain), changed

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


def _translate(text: str, filename: str, grammar: str) -> tuple[str, list[str]] | _Failure:
    """fissix's Python 3 for `text` (not checked yet) and what it changed, or where fissix's parser stopped."""
    try:
        return _TOOL.translate(text, filename, grammar)
    except Exception as error:  # fissix's parser and tokenizer errors, and a fixer that fails on an odd tree
        return _failure(error)


def _failure(error: Exception) -> _Failure:
    """Where and why fissix stopped, from its exception."""
    err: Any = error
    if isinstance(getattr(err, "context", None), tuple) and hasattr(err, "value"):  # pgen2.parse.ParseError
        line, value = int(err.context[1][0]), err.value  # context: (prefix, (line, column))
        names = {"INDENT": "an unexpected indent", "DEDENT": "an unexpected dedent", "NEWLINE": "an unexpected end of line"}
        kind = getattr(sys.modules.get("fissix.pgen2.token"), "tok_name", {}).get(err.type, "")
        if kind == "ERRORTOKEN":  # an unclosed string, a stray $ or ?, a null byte
            names[kind] = "an unreadable token" + (f" {value!r}" if value.strip() else "")
        return _Failure(line, names.get(kind, f"unexpected {value!r}" if value else "an unexpected end of file"), False)
    if isinstance(error, SyntaxError):  # the tokenizer's IndentationError
        return _Failure(error.lineno or 1, _one_line(error.msg), False)
    if len(error.args) == 2 and isinstance(error.args[1], tuple) and error.args[1] and isinstance(error.args[1][0], int):
        return _Failure(error.args[1][0], _one_line(error.args[0]).replace("EOF", "end of file"), False)  # TokenError
    return _Failure(0, f"fissix failed: {type(error).__name__}: {_one_line(error)}", False)


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
