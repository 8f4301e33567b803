"""`gradcheck init --student`: a skeleton per layout whose forward pass is given and whose backward pass is to write."""

from __future__ import annotations

import ast

import pytest

from gradcheck.render.student import SKELETONS
from gradcheck.user.layouts import LAYOUTS

TODO = "    raise NotImplementedError\n"
FILLED = {  # a right backward pass in each layout, written where the skeleton raises NotImplementedError
    "book": """\
    tau = len(x)
    g_o = y_hat.copy()
    g_o[np.arange(tau), y] -= 1  # (10.18)
    g_h = g_o @ V  # (10.19)
    for t in range(tau - 2, -1, -1):
        g_h[t] += W.T @ ((1 - h[t + 1] ** 2) * g_h[t + 1])  # (10.21)
    g_a = (1 - h**2) * g_h
    h_prev = np.vstack([h0[np.newaxis], h[:-1]])
    return {"U": g_a.T @ x, "W": g_a.T @ h_prev, "V": g_o.T @ h, "b": g_a.sum(0), "c": g_o.sum(0), "h0": W.T @ g_a[0]}
""",
    "min-char-rnn": """\
    dhnext = np.zeros_like(hs[0])
    for t in reversed(range(len(xs))):
        dy = np.copy(ps[t])
        dy[targets[t]] -= 1  # (10.18)
        dWhy += dy @ hs[t].T
        dby += dy
        dhraw = (1 - hs[t] ** 2) * (Why.T @ dy + dhnext)  # (10.21)
        dbh += dhraw
        dWxh += dhraw @ xs[t].T
        dWhh += dhraw @ hs[t - 1].T
        dhnext = Whh.T @ dhraw
    return dWxh, dWhh, dWhy, dbh, dby
""",
    "cs231n": """\
    N, T, H = dh.shape
    dx, dWx, dWh, db = np.zeros((N, T, Wx.shape[0])), np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(H)
    dnext = np.zeros((N, H))
    for t in reversed(range(T)):
        x, prev_h, next_h = caches[t]
        da = (dh[:, t] + dnext) * (1 - next_h**2)  # (10.21)
        dx[:, t] = da @ Wx.T
        dWx += x.T @ da
        dWh += prev_h.T @ da
        db += da.sum(0)
        dnext = da @ Wh.T
    return dx, dnext, dWx, dWh, db
""",
}


def _write(cli, tmp_path, layout, name="my_rnn.py"):
    path = tmp_path / name
    result = cli("init", "--student", path, "--layout", layout, code=0)
    assert path.name in result.stdout and "gradcheck run --backward" in result.stdout
    return path


def test_there_is_a_skeleton_for_every_layout():
    assert set(SKELETONS) == set(LAYOUTS)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_the_untouched_skeleton_is_not_implemented_yet(cli, assert_one_line_error, tmp_path, layout):
    path = _write(cli, tmp_path, layout)
    text = path.read_text(encoding="utf-8")
    ast.parse(text)
    assert text.count(TODO) == 1
    for number in ("10.8", "10.11", "10.14", "10.18", "10.19", "10.21", "10.22", "10.23", "10.24", "10.26", "10.28"):
        assert number in text, number
    result = cli("run", "--backward", path, "--layout", layout)
    assert_one_line_error(result, 2, "my_rnn.py", "not implemented yet")


@pytest.mark.parametrize("layout", LAYOUTS)
def test_the_skeleton_filled_in_passes_with_its_forward_pass(cli, tmp_path, layout):
    path = _write(cli, tmp_path, layout)
    path.write_text(path.read_text(encoding="utf-8").replace(TODO, FILLED[layout]), encoding="utf-8")
    forward = () if layout == "cs231n" else ("--forward", path)  # cs231n's backward always runs its forward
    result = cli("run", "--backward", path, "--layout", layout, *forward, code=0)
    assert "PASS" in result.stdout


def test_a_wrong_fill_in_fails(cli, tmp_path):
    path = _write(cli, tmp_path, "book")
    wrong = FILLED["book"].replace("W.T @ ((1", "W @ ((1")
    path.write_text(path.read_text(encoding="utf-8").replace(TODO, wrong), encoding="utf-8")
    assert "untransposed-W" in cli("run", "--backward", path, code=1).stdout


def test_an_existing_file_is_kept_without_force(cli, assert_one_line_error, tmp_path):
    path = tmp_path / "mine.py"
    path.write_text("my work\n")
    assert_one_line_error(cli("init", "--student", path), 2, "mine.py: exists", "--force")
    assert path.read_text() == "my work\n"
    cli("init", "--student", path, "--force", code=0)
    assert "def backward" in path.read_text(encoding="utf-8")


def test_the_default_name_and_layout(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cli("init", "--student", code=0)
    assert "def backward(U, W, V, b, c, h0, x, y)" in (tmp_path / "my_rnn.py").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("--student", "rnn.txt"), "name it rnn.py"),
        (("--student", "rnn"), "name it rnn.py"),
        (("--student", "x.py", "--format", "toml"), "--format"),
        (("g.toml", "--layout", "cs231n"), "--layout goes with --student"),
        (("--student", "x.py", "--layout", "keras"), "--layout"),
    ],
)
def test_bad_requests_are_one_line(cli, assert_one_line_error, tmp_path, monkeypatch, args, fragment):
    monkeypatch.chdir(tmp_path)
    assert_one_line_error(cli("init", *args), 2, fragment)
    assert list(tmp_path.iterdir()) == []


def test_an_odd_name_still_makes_a_python_file(cli, tmp_path):
    path = _write(cli, tmp_path, "book", name='it\'s a """ \\ file.py')
    ast.parse(path.read_text(encoding="utf-8"))
