"""Python 2 files as Python 3 (gradcheck.user.translate): translated by fissix on their own lines, compiled and run.

Only text is transformed here, so it runs in-process; the snippets' functions are the tests' own, exec'd and called.
"""

from __future__ import annotations

import ast
import contextlib
import io
import os
import string
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import ROOT
from hypothesis import given
from hypothesis import strategies as st

from gradcheck.errors import UserCodeError
from gradcheck.user.translate import Source, python3

# A character-level RNN in the shape of the old Python 2 gists: two-space indents, xrange, print statements,
# backticks, <>, has_key, iteritems, `except IOError, e`, print >>sys.stderr, and training at module level.
MINCHAR = '''\
"""
A small character-level RNN, trained with Adagrad, written for Python 2.
"""
import numpy as np
import sys

text = 'hello world, hello rnn. ' * 4
alphabet = sorted(list(set(text)))
n_text, n_vocab = len(text), len(alphabet)
print 'text has %d characters, %d unique.' % (n_text, n_vocab)
to_ix = dict((ch, i) for i, ch in enumerate(alphabet))
to_ch = dict((i, ch) for i, ch in enumerate(alphabet))

# sizes and the learning rate
n_hidden = 16
n_steps = 8
rate = 1e-1

U = np.random.randn(n_hidden, n_vocab) * 0.01
W = np.random.randn(n_hidden, n_hidden) * 0.01
V = np.random.randn(n_vocab, n_hidden) * 0.01
b = np.zeros((n_hidden, 1))
c = np.zeros((n_vocab, 1))

def loss_and_grads(xs_ix, ys_ix, h_prev):
  """the loss of one sequence, the gradients of U, W, V, b, c, and the last state"""
  x, h, o, p = {}, {}, {}, {}
  h[-1] = np.copy(h_prev)
  loss = 0
  for t in xrange(len(xs_ix)):
    x[t] = np.zeros((n_vocab, 1))
    x[t][xs_ix[t]] = 1
    h[t] = np.tanh(np.dot(U, x[t]) + np.dot(W, h[t-1]) + b)
    o[t] = np.dot(V, h[t]) + c
    p[t] = np.exp(o[t]) / np.sum(np.exp(o[t]))
    loss += -np.log(p[t][ys_ix[t], 0])
  dU, dW, dV = np.zeros_like(U), np.zeros_like(W), np.zeros_like(V)
  db, dc = np.zeros_like(b), np.zeros_like(c)
  dh_next = np.zeros_like(h[0])
  for t in reversed(xrange(len(xs_ix))):
    do = np.copy(p[t])
    do[ys_ix[t]] -= 1
    dV += np.dot(do, h[t].T)
    dc += do
    dh = np.dot(V.T, do) + dh_next
    da = (1 - h[t] * h[t]) * dh
    db += da
    dU += np.dot(da, x[t].T)
    dW += np.dot(da, h[t-1].T)
    dh_next = np.dot(W.T, da)
  return loss, dU, dW, dV, db, dc, h[len(xs_ix)-1]

def sample(h, seed, n):
  """n indices drawn from the model, starting from the index seed"""
  x = np.zeros((n_vocab, 1))
  x[seed] = 1
  ixs = []
  for t in xrange(n):
    h = np.tanh(np.dot(U, x) + np.dot(W, h) + b)
    y = np.dot(V, h) + c
    p = np.exp(y) / np.sum(np.exp(y))
    ix = np.random.choice(range(n_vocab), p=p.ravel())
    x = np.zeros((n_vocab, 1))
    x[ix] = 1
    ixs.append(ix)
  return ixs

def check_some(xs_ix, ys_ix, h_prev, num_checks=3, delta=1e-5):
  """a few entries of each matrix against a centred difference"""
  loss, dU, dW, dV, db, dc, _ = loss_and_grads(xs_ix, ys_ix, h_prev)
  for param, dparam, name in zip([U, W, V], [dU, dW, dV], ['U', 'W', 'V']):
    assert param.shape == dparam.shape, `name`
    for i in xrange(num_checks):
      ri = int(np.random.randint(param.size))
      old = param.flat[ri]
      param.flat[ri] = old + delta
      up = loss_and_grads(xs_ix, ys_ix, h_prev)[0]
      param.flat[ri] = old - delta
      down = loss_and_grads(xs_ix, ys_ix, h_prev)[0]
      param.flat[ri] = old
      numeric = (up - down) / (2 * delta)
      analytic = dparam.flat[ri]
      if numeric <> 0 or analytic <> 0:
        rel = abs(analytic - numeric) / abs(numeric + analytic)
        print '%s %f %f => %e' % (name, numeric, analytic, rel)

def settings_of(config):
  out = {}
  for key, value in config.iteritems():
    if out.has_key(key):
      continue
    out[key] = value
  return out

def read_text(path):
  try:
    f = open(path)
  except IOError, e:
    print >>sys.stderr, 'cannot read', path,
    return ''
  return f.read()

n, p_at = 0, 0
mU, mW, mV = np.zeros_like(U), np.zeros_like(W), np.zeros_like(V)
mb, mc = np.zeros_like(b), np.zeros_like(c)
smooth = -np.log(1.0 / n_vocab) * n_steps
while n <= 100:
  if p_at + n_steps + 1 >= len(text) or n == 0:
    h_prev = np.zeros((n_hidden, 1))
    p_at = 0
  xs_ix = [to_ix[ch] for ch in text[p_at:p_at+n_steps]]
  ys_ix = [to_ix[ch] for ch in text[p_at+1:p_at+n_steps+1]]
  if n % 50 == 0:
    ixs = sample(h_prev, xs_ix[0], 40)
    print '----\\n %s \\n----' % (''.join(to_ch[ix] for ix in ixs), )
  loss, dU, dW, dV, db, dc, h_prev = loss_and_grads(xs_ix, ys_ix, h_prev)
  smooth = smooth * 0.999 + loss * 0.001
  if n % 50 == 0: print 'iter %d, loss: %f' % (n, smooth)
  for param, dparam, mem in zip([U, W, V, b, c], [dU, dW, dV, db, dc], [mU, mW, mV, mb, mc]):
    mem += dparam * dparam
    param += -rate * dparam / np.sqrt(mem + 1e-8)
  p_at += n_steps
  n += 1
'''


def definitions(source: Source, **names: Any) -> dict[str, Any]:
    """The imports and functions of a translated file, run in a namespace holding `names`: never its module level."""
    tree = ast.parse(source.text)
    kept: list[ast.stmt] = [
        node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef))
    ]
    namespace: dict[str, Any] = dict(names)
    exec(compile(ast.Module(body=kept, type_ignores=[]), "<translated>", "exec"), namespace)
    return namespace


def def_lines(text: str) -> dict[str, int]:
    """Each top-level function's line, read from the text (the Python 2 file cannot be parsed by ast)."""
    return {line.split()[1].split("(")[0]: number for number, line in enumerate(text.splitlines(), 1) if line.startswith("def ")}


def test_the_minchar_gist_shape_translates_and_its_functions_run(capsys: pytest.CaptureFixture[str]) -> None:
    source = python3(MINCHAR, "min-char-rnn.py")
    assert source.translated
    assert set(source.constructs) == {
        "print statements",
        "xrange",
        "backticks",
        "<>",
        "dict.iteritems",
        "dict.has_key",
        "except E, e",
    }
    assert source.constructs[:2] == ("print statements", "xrange")  # in the order of their first lines
    compile(source.text, "min-char-rnn.py", "exec")
    assert "print('iter %d, loss: %f' % (n, smooth))" in source.text
    assert "print('cannot read', path, end=' ', file=sys.stderr)" in source.text
    assert len(source.text.splitlines()) == len(MINCHAR.splitlines())
    ast_lines = {node.name: node.lineno for node in ast.parse(source.text).body if isinstance(node, ast.FunctionDef)}
    assert ast_lines == def_lines(MINCHAR)  # every function on its own line, as in the Python 2 file

    rng = np.random.default_rng(0)
    n_vocab, n_hidden = 5, 4
    weights = {
        "U": rng.normal(0, 0.5, (n_hidden, n_vocab)),
        "W": rng.normal(0, 0.5, (n_hidden, n_hidden)),
        "V": rng.normal(0, 0.5, (n_vocab, n_hidden)),
        "b": rng.normal(0, 0.1, (n_hidden, 1)),
        "c": rng.normal(0, 0.1, (n_vocab, 1)),
    }
    module = definitions(source, n_vocab=n_vocab, **weights)
    xs, ys, h0 = [0, 3, 1, 4, 2], [3, 1, 4, 2, 0], np.zeros((n_hidden, 1))  # every column of U used: no zero gradient
    loss, dU, dW, *_ = module["loss_and_grads"](xs, ys, h0)
    assert loss > 0 and dU.shape == weights["U"].shape
    W, delta = weights["W"], 1e-6
    W[1, 2] += delta
    up = module["loss_and_grads"](xs, ys, h0)[0]
    W[1, 2] -= 2 * delta
    down = module["loss_and_grads"](xs, ys, h0)[0]
    W[1, 2] += delta
    assert (up - down) / (2 * delta) == pytest.approx(dW[1, 2], rel=1e-5)  # xrange and all: the translation runs
    assert len(module["sample"](h0, 0, 6)) == 6
    module["check_some"](xs, ys, h0, num_checks=1)
    assert capsys.readouterr().out.count("=>") == 3  # print '%s %f %f => %e' % …, once per matrix
    assert module["settings_of"]({"a": 1, "b": 2}) == {"a": 1, "b": 2}
    assert module["read_text"]("/nonexistent/input.txt") == ""
    assert capsys.readouterr().err == "cannot read /nonexistent/input.txt "


# One Python 2 construct each: the snippet, the word for it, and a call of its function with what that returns.
CONSTRUCTS = [
    ("def f(x):\n    return `x` + `[x]`\n", "backticks", (3,), "3[3]"),
    ("def f(n):\n    return sum(i for i in xrange(n))\n", "xrange", (5,), 10),
    ("def f(d, k):\n    return d.has_key(k)\n", "dict.has_key", ({1: 2}, 1), True),
    ("def f(d):\n    return sorted(v for k, v in d.iteritems())\n", "dict.iteritems", ({1: 2, 3: 0},), [0, 2]),
    ("def f(d):\n    return sorted(d.itervalues())\n", "dict.itervalues", ({1: 2, 3: 0},), [0, 2]),
    ("def f(a, b):\n    return a <> b\n", "<>", (1, 2), True),
    ("def f():\n    return 0777\n", "octal literals (0777)", (), 511),
    ("def f():\n    return 10L + 1\n", "long literals (10L)", (), 11),
    ("def f(x):\n    return isinstance(x, (int, long))\n", "long", (3,), True),
    ("def f():\n    return ur'\\d+'\n", "ur'' strings", (), "\\d+"),
    ("def f(x):\n    return unicode(x) + unichr(65)\n", "unicode", (3,), "3A"),
    ("def f(x):\n    return isinstance(x, basestring)\n", "basestring", ("s",), True),
    ("def f(xs):\n    return reduce(lambda a, b: a * b, xs)\n", "reduce", ([1, 2, 3, 4],), 24),
    ("def f():\n    ns = {}\n    exec 'y = 2' in ns\n    return ns['y']\n", "exec statements", (), 2),
    (
        "def f():\n    try:\n        raise IOError('gone')\n    except IOError, e:\n        return str(e)\n",
        "except E, e",
        (),
        "gone",
    ),
    ("def f(n):\n    return [i * 2 for i in range(n)][-1]\n\ndef g():\n    print 'x'\n", "print statements", (3,), 4),
    ("import sys\ndef f():\n    return sys.maxint > 0\nprint 'x'\n", "sys.maxint", (), True),  # Python 3 alone stays
]


@pytest.mark.parametrize(("snippet", "word", "args", "expected"), CONSTRUCTS, ids=[case[1] for case in CONSTRUCTS])
def test_each_construct_translates_names_itself_and_runs(snippet: str, word: str, args: tuple[Any, ...], expected: Any) -> None:
    source = python3(snippet, "old.py")
    assert source.translated
    assert word in source.constructs
    assert definitions(source)["f"](*args) == expected
    assert def_lines(source.text) == def_lines(snippet)


def test_raise_with_a_comma_becomes_a_call() -> None:
    source = python3("def f():\n    raise ValueError, 'bad value'\n", "old.py")
    assert source.constructs == ("raise E, msg",)
    with pytest.raises(ValueError, match="bad value"):
        definitions(source)["f"]()


def test_raw_input_becomes_input(monkeypatch: pytest.MonkeyPatch) -> None:
    source = python3("def ask(prompt):\n    return raw_input(prompt)\n", "old.py")
    assert source.constructs == ("raw_input",)
    monkeypatch.setattr("builtins.input", lambda prompt: f"yes to {prompt}")
    assert definitions(source)["ask"]("go?") == "yes to go?"


def test_print_statements_of_every_form_print_as_python_2_did(capsys: pytest.CaptureFixture[str]) -> None:
    snippet = textwrap.dedent(
        """\
        import sys
        def report(n, loss):
            print 'iter %d, loss: %f' % (n, loss)
            print n,
            print loss
            print >>sys.stderr, 'loss', loss
            print >>sys.stderr
            print
        """
    )
    source = python3(snippet, "old.py")
    assert source.constructs == ("print statements",)
    definitions(source)["report"](7, 0.5)
    out, err = capsys.readouterr()
    assert out == "iter 7, loss: 0.500000\n7 0.5\n\n"
    assert err == "loss 0.5\n\n"


@given(
    values=st.lists(st.one_of(st.integers(), st.text(string.ascii_letters + " %", max_size=6)), min_size=1, max_size=4),
    comma=st.booleans(),
    to_stderr=st.booleans(),
)
def test_a_print_statement_prints_its_values_joined_by_spaces(values: list[int | str], comma: bool, to_stderr: bool) -> None:
    target = ">>sys.stderr, " if to_stderr else ""
    snippet = f"import sys\ndef f():\n    print {target}{', '.join(map(repr, values))}{',' if comma else ''}\n"
    source = python3(snippet, "old.py")
    assert source.constructs == ("print statements",)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        definitions(source)["f"]()
    assert (err if to_stderr else out).getvalue() == " ".join(map(str, values)) + (" " if comma else "\n")


def test_print_statements_that_python_3_parses_too_are_translated(capsys: pytest.CaptureFixture[str]) -> None:
    snippet = "import sys\ndef f(x):\n    print >>sys.stderr, x\n    print -x\n    print\n"
    ast.parse(snippet)  # a tuple of a shift, a subtraction, a name: Python 3 would run them and print nothing
    source = python3(snippet, "old.py")
    assert source.constructs == ("print statements",)
    definitions(source)["f"](2)
    assert capsys.readouterr() == ("-2\n\n", "2\n")


def test_mixed_tabs_and_spaces_are_read_as_python_2_read_them() -> None:
    # a tab is 8 columns: the if's body is indented further than the if, and `return 2` is level with the if
    snippet = "def f(x):\n\tif x:\n\t    return 1\n        return 2\n"
    with pytest.raises(TabError):
        ast.parse(snippet)
    source = python3(snippet, "tabs.py")
    assert source.translated
    assert source.constructs == ("mixed tabs and spaces",)
    f = definitions(source)["f"]
    assert (f(True), f(False)) == (1, 2)


def test_tabs_with_print_statements_and_a_tab_inside_a_string() -> None:
    snippet = "def f(x):\n\tif x:\n\t    print 'a\\tb', x\n        return 'c\td'\n"
    source = python3(snippet, "tabs.py")
    assert set(source.constructs) == {"print statements", "mixed tabs and spaces"}
    assert definitions(source)["f"](0) == "c\td"  # only the indentation's tabs are expanded


def test_a_function_at_line_40_stays_at_line_40() -> None:
    lines = ['"""Module docstring."""', "import os", "", "def first(d):", "    print 'first', \\", "        d.keys()"]
    lines += [f"    print >>sys.stderr, `{i}`, 0{i % 8}7" for i in range(10)]
    lines += ["    for k, v in d.iteritems(): print k,", "    return reduce(lambda a, b: a + b, d.values())", "", "TABLE = {"]
    lines += [f"    {i}: {i}L," for i in range(37 - len(lines))]
    lines += ["}", "import sys", "def target(x):", "    if x <> 0: return `x`", "    return reduce(max, xrange(3))"]
    assert lines.index("def target(x):") == 39
    source = python3("\n".join(lines) + "\n", "long.py")
    assert source.translated
    tree = ast.parse(source.text)
    assert {node.name: node.lineno for node in tree.body if isinstance(node, ast.FunctionDef)} == {"first": 4, "target": 40}
    assert (
        source.text.splitlines()[1] == "import os; from functools import reduce"
    )  # the import fissix adds, on a line of the file's
    target = definitions(source)["target"]
    assert (target(5), target(0)) == ("5", 2)
    assert definitions(source)["first"]({1: 2, 3: 4}) == 6


def test_an_added_import_goes_on_the_first_line_below_when_none_is_above() -> None:
    source = python3("# a comment\nx = 3\ndef f(xs):\n    return reduce(max, xs)\n", "old.py")
    assert source.text == "# a comment\nfrom functools import reduce; x = 3\ndef f(xs):\n    return reduce(max, xs)\n"
    source = python3("def f(xs):\n    return reduce(max, xs)\nx = 3\n", "old.py")  # the next is a def: further down
    assert source.text == "def f(xs):\n    return reduce(max, xs)\nx = 3; from functools import reduce\n"
    source = python3("def f(xs):\n    return reduce(max, xs)\n", "old.py")  # only a def: a last line of its own
    assert source.text == "def f(xs):\n    return reduce(max, xs)\nfrom functools import reduce\n"


@pytest.mark.parametrize(
    "text",
    [
        "import numpy as np\n\ndef step(x, h):\n    return np.tanh(x + h)\n\nprint('ready', end='')\n",
        "def xrange(n):\n    return list(range(n))\n\nfor i in xrange(3):\n    pass\n",  # its own xrange
        "class Table:\n    def has_key(self, k):\n        return False\n\ndef f(t):\n    return t.has_key(1)\n",
        "from functools import reduce\n\ndef f(xs):\n    return reduce(max, xs)\n",
        "def f(file, long=1):\n    return open(file).read(long)\n",  # parameters named like Python 2's builtins
        "import numpy as np\nlong = np.int64\nprint(long(3))\n",
        "",
        "x = 1",  # no newline at the end
        "s = u'caf\\u00e9'  # a u'' string is Python 3 too\n",
    ],
)
def test_python_3_comes_back_as_it_is(text: str) -> None:
    assert python3(text, "new.py") == Source(text, False, ())


def test_python_3_syntax_with_python_2_builtins_keeps_its_print_calls() -> None:
    text = "def f(n):\n    for i in xrange(n):\n        print(i, 'of', n, end='')\n    return unicode(n)\n"
    source = python3(text, "mixed.py")
    assert source.translated
    assert source.constructs == ("xrange", "unicode")
    assert "print(i, 'of', n, end='')" in source.text  # a call, not print((i, 'of', n)) of a tuple


def test_python_3_that_fissix_cannot_parse_comes_back_as_it_is() -> None:
    text = "def f(x):\n    match x:\n        case 1:\n            return xrange(2)\n    return cmp(x, 1)\n"
    assert python3(text, "new.py") == Source(text, False, ("xrange", "cmp"))


def test_builtins_fissix_has_no_fixer_for_are_named_and_left() -> None:
    source = python3("def f(a, b):\n    print 'comparing'\n    return cmp(a, b)\n", "old.py")
    assert source.constructs == ("print statements", "cmp")
    assert "return cmp(a, b)" in source.text


def test_windows_newlines_and_a_byte_order_mark() -> None:
    source = python3("\ufeffdef f(n):\r\n    print n\r\n    return range(n)[-1]\r\n", "dos.py")
    assert source.constructs == ("print statements",)
    assert definitions(source)["f"](3) == 2


def test_the_future_print_function_with_python_2_except_syntax() -> None:
    text = (
        "from __future__ import print_function\n"
        "def f():\n"
        "    try:\n"
        "        1 / 0\n"
        "    except ZeroDivisionError, e:\n"
        "        print('caught', end='')\n"
        "        return 1\n"
    )
    source = python3(text, "old.py")
    assert source.constructs == ("except E, e",)
    assert definitions(source)["f"]() == 1


def error_of(text: str, filename: str = "bad.py") -> str:
    with pytest.raises(UserCodeError) as caught:
        python3(text, filename)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_a_syntax_error_in_python_2_is_one_line_at_its_line() -> None:
    text = "import sys\n\ndef f(x):\n    print 'x is', x\n    for i in xrange(3):\n        pass\n    y = = x\n    return y\n"
    message = error_of(text)
    assert message.startswith("bad.py:7: cannot be translated from Python 2: it is neither Python 3 (line 4: ")
    assert "nor Python 2 (line 7: unexpected '=')" in message


def test_a_syntax_error_in_python_3_is_one_line_at_its_line() -> None:
    message = error_of("import numpy as np\n\ndef f(x:\n    return x\n")  # fissix stops at `return`, in the same statement
    assert message.startswith("bad.py:3: cannot be translated from Python 2: it is neither Python 3 (line 3: ")
    assert message.endswith("nor Python 2 (line 4: unexpected 'return') — correct line 3 by hand")
    message = error_of("def f(x):\n    return x +* 2\n")
    assert message.startswith("bad.py:2: cannot be translated from Python 2: this line is neither Python 3 (")
    assert message.endswith("nor Python 2 (unexpected '*') — correct it by hand")


def test_an_unclosed_bracket_and_a_null_byte() -> None:
    assert error_of("x = [1,\n     2,\n").startswith("bad.py:1: ")  # Python 3 names the open bracket's line
    assert error_of("x = 1\ny = 2\0\n").startswith("bad.py:2: ")


def test_python_2_that_python_3_lacks_a_word_for_is_refused_at_its_line() -> None:
    message = error_of("def f(x):\n    print x\n    async = x\n    return async\n")
    assert message.startswith("bad.py:3: cannot be translated from Python 2: fissix leaves this line as it is")


def test_no_fissix_until_a_file_needs_it_and_no_grammar_written_to_a_cache(tmp_path: Path) -> None:
    probe = textwrap.dedent(
        """\
        import sys
        from gradcheck.user.translate import python3
        assert python3("print(1)\\n", "new.py").translated is False
        assert "fissix" not in sys.modules, "fissix imported for a Python 3 file"
        print(python3("print 1\\n", "old.py").text, end="")
        """
    )
    home = tmp_path / "home"
    home.write_text("a file: no folder can be made under it")  # as a read-only HOME, even for root
    env = {key: value for key, value in os.environ.items() if not key.startswith("XDG_")}
    env |= {"HOME": str(home), "PYTHONPATH": str(ROOT)}
    before = sorted(tmp_path.rglob("*"))
    done = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "print(1)\n"
    assert sorted(tmp_path.rglob("*")) == before
    env["XDG_CACHE_HOME"] = ""  # appdirs makes this a folder relative to the working directory
    done = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert sorted(tmp_path.rglob("*")) == before


def test_python_2_lists_in_valid_python_3_syntax_are_translated():
    """`reversed(zip(…))`, `d.keys()[0]`, `len(map(…))` parse as Python 3 and fail when they run: translated, named."""
    text = (
        "def f(cache):\n"
        "    out = [c for t, c in reversed(zip(range(3), cache))]\n"
        "    return out, {'a': 1}.keys()[0], len(map(abs, [1, -2]))\n"
    )
    source = python3(text, "layers.py")
    assert source.translated and source.constructs == ("zip, map, filter and dict views used as lists",)
    namespace: dict[str, object] = {}
    exec(source.text, namespace)
    assert namespace["f"]([1, 2, 3]) == ([3, 2, 1], "a", 2)  # type: ignore[operator]
    assert not python3("for t, c in reversed(list(zip(a, b))):\n    pass\n", "ok.py").translated
