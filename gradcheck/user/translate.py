"""A user's Python 2 file as Python 3 source, translated by fissix (the maintained lib2to3), on its own lines.

Runs in the child process, beside the user's code, so it is kept to Python 3.9 and the standard library; fissix is
imported only when a file needs it (about 0.2 s, once). A file that Python 3 parses and that uses none of Python 2's
builtins (xrange, raw_input, unicode, …) or dict methods (has_key, iteritems, …) comes back as it was.

    source = python3(text, "min-char-rnn.py")
    source.text         # Python 3, for ast.parse and compile: a function at line 40 is still at line 40
    source.translated   # fissix rewrote it
    source.constructs   # ("print statements", "xrange", "backticks"): what was Python 2 about it

A file Python 3 does not parse is tried with print as a statement, then as a function, then both with the tabs of its
indentation expanded; one that no way translates is one line naming the line to correct. How fissix runs is
gradcheck.user.fixers, the Python 2 that a file Python 3 parses may still hold is gradcheck.user.python2. Python 2's
integer division (`n / 2` of ints) is not translated: fissix cannot know the types, and neither can we.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from gradcheck.errors import UserCodeError
from gradcheck.user.fixers import parse, parses, run_fixers
from gradcheck.user.python2 import python2_names

CONVERT = 'run "python -m fissix -w FILE" or convert the line by hand'
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
        tree = parse(text, filename)
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
    if isinstance(outcome, _Failure) or outcome[0] == normal or not parses(outcome[0]):
        return Source(text, False, tuple(names))  # left for the user's code to fail on at its line, if it runs
    return Source(outcome[0], True, _constructs(*outcome) or tuple(names))


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
                parse(translated, filename)
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


def _constructs(text: str, found: Iterable[str]) -> tuple[str, ...]:
    """What was Python 2 about a translated file: `found` (what the fixers changed) and the Python 2 builtins still
    used in `text`, the translation (file, cmp: fissix has no fixer for them)."""
    return tuple(dict.fromkeys([*found, *python2_names(parse(text))]))


def _translate(text: str, filename: str, grammar: str) -> tuple[str, list[str]] | _Failure:
    """fissix's Python 3 for `text` (not checked yet) and what it changed, or where fissix's parser stopped."""
    try:
        return run_fixers(text, filename, grammar)
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
