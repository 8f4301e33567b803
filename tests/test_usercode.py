"""Checking other people's code: the three layouts, the diagnosis, the forward pass, and the autograd oracle's verdict.

Every user file runs through the real command line (CliRunner), so the child process, the layout adapters, the engine
and the report are all on the path. The oracle (autograd, tests only) says whether a file's gradients are right; the
check must agree, and a wrong file's diagnosis must name the mistake the file was written with.
"""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import ROOT

from gradcheck.book.bugs import BUGS
from gradcheck.check.config import Config
from gradcheck.check.problem import build
from gradcheck.user.sandbox import Sandbox

pytestmark = pytest.mark.slow  # every test runs user code in the real child process

USERCODE = ROOT / "tests" / "usercode"
CATALOGUE = USERCODE / "catalogue"
EXAMPLES = ROOT / "examples"
LAYOUT_ARGS = {
    "book": (CATALOGUE / "book_bugs.py", ()),
    "min-char-rnn": (CATALOGUE / "minchar_bugs.py", ("--layout", "min-char-rnn")),
    "cs231n": (CATALOGUE / "cs231n_bugs.py", ("--layout", "cs231n")),
}
H0_RANDOM = ("--seed", "3")


def report(cli: Any, *args: object, code: int | None = None) -> dict[str, Any]:
    result = cli("run", *args, "--format", "json", code=code)
    assert result.exit_code in (0, 1, 3), result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


@pytest.fixture
def bug_env(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Set the bug the catalogue fixtures write into their layout (the child process inherits the environment)."""

    def set_bug(name: str) -> None:
        monkeypatch.setenv("GRADCHECK_TEST_BUG", name)

    return set_bug


# --- every catalogued bug, in every layout, is caught and named -----------------------------------------------------


@pytest.mark.parametrize("layout", list(LAYOUT_ARGS))
def test_the_clean_gradients_pass_in_every_layout(cli, bug_env, layout):
    bug_env("")
    path, args = LAYOUT_ARGS[layout]
    got = report(cli, "--backward", path, *args, code=0)
    assert got["verdict"] == "pass" and got["diagnosis"] is None and layout in got["code"]


@pytest.mark.parametrize("bug", [*BUGS, "truncated-k", "forwards-in-time"])
@pytest.mark.parametrize("layout", list(LAYOUT_ARGS))
def test_every_catalogued_bug_is_caught_and_named_in_every_layout(cli, bug_env, layout, bug):
    bug_env(bug)
    path, args = LAYOUT_ARGS[layout]
    got = report(cli, "--backward", path, *args, code=1)
    assert got["verdict"] == "fail"
    assert f"({bug})" in got["diagnosis"], got["diagnosis"]
    assert got["diagnosis"].startswith("your d") and got["mistake"] == bug


# --- the forward pass ------------------------------------------------------------------------------------------------


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


BOOK_IMPORT = f"import sys\nsys.path.insert(0, {str(CATALOGUE)!r})\nfrom book_bugs import backward, forward as _book_forward\n"


def test_a_right_forward_is_said_to_equal_the_books(cli, bug_env):
    bug_env("")
    path = CATALOGUE / "book_bugs.py"
    got = report(cli, "--backward", path, "--forward", f"{path}:forward", code=0)
    assert got["forward"]["agrees"] and got["forward"]["first_t"] is None
    assert got["forward"]["loss_user"] == pytest.approx(got["loss"], rel=1e-12)


def test_a_loss_in_bits_is_a_failing_forward_named_as_such(cli, bug_env, tmp_path):
    bug_env("")
    text = BOOK_IMPORT + "import math\ndef forward(**a):\n    return _book_forward(**a) / math.log(2)\n"
    path = _write(tmp_path, "bits.py", text)
    got = report(cli, "--backward", path, "--forward", path, code=1)
    forward = got["forward"]
    assert not forward["agrees"] and forward["first_t"] == 1 and "in bits" in forward["why"]
    assert got["mistake"] == "bits-vs-nats"
    assert all(row["verdict"] == "pass" for row in got["parameters"])  # the gradient itself is the book's


def test_a_forward_that_never_uses_c_is_named(cli, bug_env, tmp_path):
    bug_env("")
    text = BOOK_IMPORT + "def forward(c, **a):\n    return _book_forward(c=0 * c, **a)\n"
    path = _write(tmp_path, "no_c.py", text)
    got = report(cli, "--backward", path, "--forward", path, code=1)
    assert "never uses c" in got["forward"]["why"]


def test_a_forward_wrong_from_step_4_is_located_at_t_4(cli, bug_env, tmp_path):
    bug_env("")
    text = BOOK_IMPORT + (
        "import numpy as np\n"
        "def forward(x, y, **a):\n"
        "    extra = 0.25 * max(0, len(y) - 3)  # L(t) off by 0.25 from t = 4 on\n"
        "    return _book_forward(x=x, y=y, **a) + extra\n"
    )
    path = _write(tmp_path, "late.py", text)
    forward = report(cli, "--backward", path, "--forward", path, code=1)["forward"]
    assert forward["first_t"] == 4 and forward["step_user"] - forward["step_book"] == pytest.approx(0.25)


def test_the_users_forward_is_what_gets_differenced(cli, bug_env, tmp_path):
    """With --forward, the numerical side is the user's loss: a forward that agrees at the point but has another
    slope in c (a c-term that vanishes at the checked c... impossible to hide from the point check) — so instead: a
    right forward with a wrong backward still fails, confirmed by differencing the user's own forward."""
    bug_env("untransposed-W")
    path = CATALOGUE / "book_bugs.py"
    got = report(cli, "--backward", path, "--forward", f"{path}:forward", code=1)
    assert got["forward"]["agrees"] and "(untransposed-W)" in got["diagnosis"]


# --- the autograd oracle over independent implementations -------------------------------------------------------------


def _cases() -> list[dict[str, Any]]:
    path = USERCODE / "cases.toml"
    return tomllib.loads(path.read_text(encoding="utf-8"))["case"] if path.exists() else []


def _oracle_is_right(case: dict[str, Any], autograd_oracle: Any) -> bool:
    """The oracle's verdict on a file: its gradients (read through the layout) against autograd's, and with --forward
    its loss against autograd's loss."""
    problem = build(Config())
    arrays = dict(problem.params) | {"x": problem.x, "y": problem.y}
    truth = autograd_oracle(arrays)
    layout = case["layout"]
    forward = case.get("function") if layout == "min-char-rnn" else ("forward" if layout == "book" else "rnn_forward")
    backward = case.get("function", {"book": "backward", "cs231n": "rnn_backward"}.get(layout))
    I, H, O, tau = Config().sizes
    options = {"layout": layout, "backward": backward, "forward": forward if case.get("needs_forward") else None}
    if layout == "cs231n":
        options["forward"] = "rnn_forward"
    with Sandbox(USERCODE / case["file"], "gradcheck.user.layouts:Session") as box:
        box.request("bind", sizes={"I": I, "H": H, "O": O, "tau": tau}, **options)
        point = {name: value for name, value in dict(problem.params).items()}
        grads = box.request("gradients", params=point, x=problem.x, y=problem.y)
        loss = box.request("loss", params=point, x=problem.x, y=problem.y) if case.get("needs_forward") else truth["loss"]
    assert isinstance(grads, dict)
    if "loss" in grads:  # the loss a layout returns beside the gradients
        loss = grads["loss"] if not case.get("needs_forward") else loss
    names = ("U", "W", "V", "b", "c")
    close = all(np.allclose(grads[n], truth[n], rtol=1e-8, atol=1e-12) for n in names)
    return close and abs(float(loss) - float(truth["loss"])) <= 1e-9 * abs(float(truth["loss"]))  # type: ignore[arg-type]


CASES = _cases()


@pytest.mark.skipif(not CASES, reason="tests/usercode/cases.toml lists no implementations")
@pytest.mark.parametrize("case", CASES, ids=[c["file"] for c in CASES])
def test_the_check_judges_each_implementation_as_autograd_does(cli, autograd_oracle, case):
    right = _oracle_is_right(case, autograd_oracle)
    assert right == (case["mistake"] == ""), f"the oracle disagrees with cases.toml about {case['file']}"
    path = USERCODE / case["file"]
    spec = f"{path}:{case['function']}" if case.get("function") else path
    args: list[object] = ["--backward", spec, "--layout", case["layout"]]
    if case.get("needs_forward"):
        args += ["--forward", spec]
    got = report(cli, *args, code=0 if right else 1)
    assert got["verdict"] == ("pass" if right else "fail")
    if not right:
        named = f"({case['mistake']})" in (got["diagnosis"] or "") or case["mistake"] in ((got["forward"] or {}).get("why") or "")
        named = named or (case["mistake"] == "bits-vs-nats" and "in bits" in (got["forward"] or {}).get("why", ""))
        named = named or (case["mistake"] == "unused-parameter" and "never uses" in (got["forward"] or {}).get("why", ""))
        assert named, (got["diagnosis"], got["forward"])


def test_there_are_enough_independent_implementations():
    files = {case["file"] for case in CASES}
    layouts = {case["layout"] for case in CASES}
    assert len(files) >= 12 and layouts == {"book", "min-char-rnn", "cs231n"}
    assert {case["mistake"] for case in CASES} >= {"", "truncated-k", "clipped", "forwards-in-time"}


# --- the examples ----------------------------------------------------------------------------------------------------

EXAMPLE_RUNS = {
    "book_rnn.py": (),
    "min_char_rnn.py": ("--layout", "min-char-rnn"),
    "cs231n_rnn.py": ("--layout", "cs231n"),
}


@pytest.mark.parametrize("name", list(EXAMPLE_RUNS))
def test_each_example_passes_with_its_forward_too(cli, name):
    path = EXAMPLES / name
    if not path.exists():
        pytest.fail(f"examples/{name} is missing")
    function = ":lossFun" if name == "min_char_rnn.py" else ""
    cli("run", "--backward", f"{path}{function}", *EXAMPLE_RUNS[name], code=0)
    cli("run", "--backward", f"{path}{function}", "--forward", f"{path}{function}", *EXAMPLE_RUNS[name], code=0)


NETWORK_EXAMPLES = {"lstm_common.py": "lstm-common.toml", "gru_common.py": "gru-common.toml"}


@pytest.mark.parametrize("name", list(NETWORK_EXAMPLES))
def test_each_network_example_passes_with_its_forward_too(cli, name):
    config, path = ROOT / "configs" / NETWORK_EXAMPLES[name], EXAMPLES / name
    got = report(cli, config, "--backward", path, "--forward", path, "--equations", code=0)
    assert got["verdict"] == "pass" and got["forward"]["agrees"] and got["equations"]


def test_the_broken_lstm_example_is_named():
    """examples/broken/lstm_forget_path.py drops ∇s(t+1)L ⊙ f(t+1): the diagnosis names the catalogued bug."""
    from click.testing import CliRunner

    from gradcheck.cli import cli as command

    path, config = EXAMPLES / "broken" / "lstm_forget_path.py", ROOT / "configs" / "lstm-common.toml"
    result = CliRunner().invoke(command, ["run", str(config), "--backward", str(path), "--format", "json"])
    got = json.loads(result.stdout)
    assert result.exit_code == 1 and got["mistake"] == "lstm-forget-path-dropped"
    assert {row["name"] for row in got["parameters"] if row["verdict"] == "fail"} >= {"Wf", "W", "Uq"}


# --- wrong shapes, names and types: one line naming what was expected ------------------------------------------------


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ("return (1, 2)", "backward(U, W, V, b, c, h0, x, y) returned a tuple; expected a dict of gradients by name"),
        ("return {'U': U}", "returned no gradient for W, V, b, c"),
        ("return dict(U=U, W=W, V=V, b=b, c=c, Q=b)", "returned unknown names Q"),
        ("return dict(U=U.T, W=W, V=V, b=b, c=c)", "the gradient U from backward has shape 8×16, expected 16×8"),
        ("return dict(U='no', W=W, V=V, b=b, c=c)", "the gradient U from backward is a str"),
        ("return dict(U=U * 1j, W=W, V=V, b=b, c=c)", "the gradient U from backward is complex"),
        ("return dict(U=object(), W=W, V=V, b=b, c=c)", "the gradient U from backward is a object"),
        (
            "return dict(U=__import__('numpy').empty(U.shape, dtype=object), W=W, V=V, b=b, c=c)",
            "the gradient U from backward is an array of dtype object, expected an array of numbers of shape 16×8",
        ),
        ("return dict(U=[[None] * 8] * 16, W=W, V=V, b=b, c=c)", "the gradient U from backward is a list"),
        ("raise NotImplementedError", "backward is not implemented yet"),
        ("raise ValueError('boom')", "in backward: ValueError: boom"),
    ],
)
def test_a_wrong_return_is_one_line_naming_what_was_expected(cli, assert_one_line_error, tmp_path, body, fragment):
    path = _write(tmp_path, "mine.py", f"def backward(U, W, V, b, c, h0, x, y):\n    {body}\n")
    assert_one_line_error(cli("run", "--backward", path), 2, "mine.py", fragment)


def test_min_char_rnn_returning_too_few_values(cli, assert_one_line_error, tmp_path):
    path = _write(tmp_path, "mc.py", "def lossFun(inputs, targets, hprev):\n    return Wxh, 2.0\n")
    result = cli("run", "--backward", f"{path}:lossFun", "--layout", "min-char-rnn")
    assert_one_line_error(result, 2, "mc.py: lossFun(inputs, targets, hprev) returned 2 values; expected 7: loss, dWxh")


def test_a_missing_function_is_named(cli, assert_one_line_error, tmp_path):
    path = _write(tmp_path, "empty.py", "x = 1\n")
    assert_one_line_error(cli("run", "--backward", f"{path}:nope"), 2, "empty.py: has no function nope")


# --- hostile user code ends with exit 2, one line, within the timeout ------------------------------------------------


HOSTILE = {
    "import_loop.py": ("class Spin:\n    while True:\n        pass\n", "loading its definitions took over 2 s"),
    "segfault.py": (
        "import ctypes\ndef backward(**a):\n    ctypes.string_at(0)\n",
        "crashed the Python process (signal SIGSEGV)",
    ),
    "aborts.py": ("import os\ndef backward(**a):\n    os.abort()\n", "crashed the Python process (signal SIGABRT)"),
    "exits.py": ("import sys\nSTATUS = sys.exit(3)\n", "called sys.exit(3)"),
    "huge.py": ("import numpy as np\ndef backward(**a):\n    return np.ones(10**10)\n", "ran out of memory"),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_code_is_exit_2_and_one_line(cli, assert_one_line_error, tmp_path, name):
    text, fragment = HOSTILE[name]
    path = _write(tmp_path, name, text)
    assert_one_line_error(cli("run", "--backward", path, "--timeout", "2", "--import-timeout", "2"), 2, name, fragment)


def test_a_call_that_never_returns_hits_the_timeout(cli, assert_one_line_error, tmp_path):
    path = _write(tmp_path, "spin.py", "def backward(**kwargs):\n    while True:\n        pass\n")
    assert_one_line_error(cli("run", "--backward", path, "--timeout", "1"), 2, "spin.py: backward did not finish within 1 s")


def test_the_parent_never_imports_the_users_module(cli, bug_env):
    bug_env("")
    cli("run", "--backward", CATALOGUE / "book_bugs.py", code=0)
    import sys

    assert "book_bugs" not in sys.modules


# --- config: [user] keys, their contradictions, paths beside the config --------------------------------------------------


def test_user_code_named_in_a_config_is_found_beside_it(cli, bug_env, tmp_path, monkeypatch):
    bug_env("")
    (tmp_path / "sub").mkdir()
    source = (CATALOGUE / "book_bugs.py").read_text(encoding="utf-8")
    (tmp_path / "sub" / "mine.py").write_text(f"import sys\nsys.path.insert(0, {str(CATALOGUE)!r})\n{source}")
    _write(tmp_path / "sub", "c.toml", '[user]\nbackward = "mine.py"\nforward = "mine.py:forward"\n')
    monkeypatch.chdir(tmp_path)
    got = report(cli, "sub/c.toml", code=0)
    assert os.path.isabs(got["config"]["user"]["backward"]) and got["forward"]["agrees"]


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("--forward", "a.py"), "--forward (user.forward): needs user.backward"),
        (("--backward", "a.py", "--forward", "b.py"), "must be in the file of --backward (user.backward) (a.py)"),
        (("--backward", "a.py", "--layout", "tf"), "--layout (user.layout): must be one of"),
        (("--backward", "a.py", "--timeout", "0"), "--timeout (user.timeout): must be > 0"),
        (("--backward", "a.py", "--bug", "sign-flip"), "--bug replaces the book's backward pass"),
        (("--backward", "a.py", "--forward", "a.py", "--method", "complex-step"), "cannot difference --forward (user.forward)"),
        (("--backward", "/nonexistent/a.py"), "a.py"),
    ],
)
def test_contradictions_and_bad_values_are_one_line(cli, assert_one_line_error, args, fragment):
    assert_one_line_error(cli("run", *args), 2, fragment)


def test_min_char_rnn_needs_token_inputs(cli, assert_one_line_error, tmp_path):
    config = _write(tmp_path, "g.toml", '[data]\ninputs = "gaussian"\n[user]\nbackward = "x.py"\nlayout = "min-char-rnn"\n')
    assert_one_line_error(cli("run", config), 2, "g.toml: user.layout: min-char-rnn reads token ids")


def test_an_unknown_mistake_points_at_the_first_failing_equation_and_step(cli, tmp_path):
    """No known mistake matches: the diagnosis names the first failing equation in BPTT order and the step t where
    the returned ∇h(t)L rows first depart from the book's (counting from τ down)."""
    text = (
        "import numpy as np\n"
        "def backward(U, W, V, b, c, h0, x, y):\n"
        "    hs, h = [], h0\n"
        "    for x_t in x:\n"
        "        h = np.tanh(b + W @ h + U @ x_t)\n"
        "        hs.append(h)\n"
        "    hs = np.array(hs)\n"
        "    o = hs @ V.T + c\n"
        "    p = np.exp(o - o.max(axis=1, keepdims=True))\n"
        "    p /= p.sum(axis=1, keepdims=True)\n"
        "    do = p.copy()\n"
        "    do[np.arange(len(y)), y] -= 1\n"
        "    dh = np.zeros_like(hs)\n"
        "    dh[-1] = V.T @ do[-1]\n"
        "    for t in range(len(y) - 2, -1, -1):\n"
        "        dh[t] = W.T @ ((1 - hs[t + 1] ** 2) * dh[t + 1]) + V.T @ do[t]\n"
        "        if t == 5:\n"
        "            dh[t] *= 1.01  # an odd slip at t = 6 (row 5), nothing in the catalogue\n"
        "    da = (1 - hs**2) * dh\n"
        "    prev = np.vstack([h0, hs[:-1]])\n"
        "    return dict(U=da.T @ x, W=da.T @ prev, V=do.T @ hs, b=da.sum(0), c=do.sum(0), o=do, h=dh)\n"
    )
    path = _write(tmp_path, "odd.py", text)
    got = report(cli, "--backward", path, code=1)
    assert got["diagnosis"].startswith("no known mistake matches; the first equation that fails")
    assert "10.23 (db)" in got["diagnosis"] and "first departs from the book's at t = 6" in got["diagnosis"]
