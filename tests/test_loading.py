"""Real files as they are: definitions loaded, training never run, the layout and function found, sizes from the file,
the returned loss compared first — always through the real child process.

tests/usercode/real/ holds whole programs in the shapes people publish (the min-char-rnn gist in Python 2 and 3 with
its training loop at module level, its copies under other names and sizes, a WildML-style class); cases.toml says
what torch autograd found for each.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gradcheck.user.sandbox import Limits, Sandbox

pytestmark = pytest.mark.slow  # every test runs user code in the real child process

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT / "tests" / "usercode" / "real"
CASES = tomllib.loads((REAL / "cases.toml").read_text(encoding="utf-8"))["case"]
FILES = [case for case in CASES if "." not in case["function"]]  # module functions (the class is checked apart)
REFUSED: dict[str, str] = {}  # file → the one line it is refused with
DIRECT = "gradcheck.user.child:Direct"
GIST = ROOT / "examples" / "gist" / "min-char-rnn.py"  # the gist as published (Python 2, its loop at module level)


def _header(stdout: str) -> dict[str, str]:
    """The report's header lines as {key: value} (the table format's first block)."""
    rows: dict[str, str] = {}
    for line in stdout.splitlines():
        if not line.strip():
            break
        key, _, value = line.partition("  ")
        rows[key.strip()] = value.strip()
    return rows


@pytest.mark.parametrize("case", FILES, ids=[Path(case["file"]).name for case in FILES])
def test_each_real_file_is_checked_as_it_is_with_autograds_verdict(cli, assert_one_line_error, case):
    """`gradcheck run --backward FILE` with no other option: the file's own sizes, its training left out, and the
    verdict torch autograd gave the file's function."""
    path = REAL / case["file"]
    if case["file"] in REFUSED:
        assert_one_line_error(cli("run", "--backward", path), 2, REFUSED[case["file"]])
        return
    result = cli("run", "--backward", path, code=0 if case["verdict"] == "pass" else 1)
    header = _header(result.stdout)
    assert f"{case['function']} (min-char-rnn layout)" in header["checked"]
    if case["module_loop"]:
        assert "not run" in header and ("the training loop" in header["not run"] or "a call to" in header["not run"])
    assert ("python 2" in header) == case["python2"], header
    if case["reads"] and case["module_loop"]:  # read at import, not only under __main__
        assert "your file's own" in header["sizes"]  # its vocabulary from the text beside it


@pytest.mark.parametrize("name", [GIST, "gist_py3.py"])
@pytest.mark.parametrize("config", [None, "configs/minchar.toml", "configs/default.toml"])
def test_the_gist_passes_at_its_own_sizes_and_at_a_configs(cli, name, config):
    result = cli("run", *([ROOT / config] if config else []), "--backward", REAL / name, code=0)
    header = _header(result.stdout)
    if config is None:
        assert header["sizes"].startswith("I = 33, H = 100, O = 33, τ = 25 (your file's own, weights ~ N(0, 0.01²)")
    else:
        assert "from the config; your file's own: I = 33, H = 100, O = 33, τ = 25" in header["sizes"]
    assert "the training loop, lines" in header["not run"]


def test_the_python_2_gist_says_it_was_translated(cli):
    header = _header(cli("run", "--backward", GIST, code=0).stdout)
    assert header["python 2"].startswith("translated to Python 3 with fissix (")
    assert "print statements" in header["python 2"] and "xrange" in header["python 2"]


def test_a_mistake_in_a_python_2_copy_is_found_and_named(cli):
    result = cli("run", "--backward", REAL / "wrong_tanh_derivative.py", "--format", "json", code=1)
    assert '"verdict": "fail"' in result.stdout


def test_a_mean_loss_keeps_its_diagnosis(cli):
    result = cli("run", "--backward", REAL / "mean_loss.py", code=1)
    assert "divided by τ: the mean over t" in result.stdout


# --- shapes of the table, each written small ---------------------------------------------------------------------

MINCHAR = """import numpy as np
vocab_size, hidden_size = 6, 5
Wxh = np.random.randn(hidden_size, vocab_size) * 0.01
Whh = np.random.randn(hidden_size, hidden_size) * 0.01
Why = np.random.randn(vocab_size, hidden_size) * 0.01
bh, by = np.zeros((hidden_size, 1)), np.zeros((vocab_size, 1))

def {name}(inputs, targets, hprev):
    xs, hs, ps, loss = {{}}, {{-1: hprev}}, {{}}, 0.0
    for t in range(len(inputs)):
        xs[t] = np.zeros((vocab_size, 1)); xs[t][inputs[t]] = 1
        hs[t] = np.tanh(Wxh @ xs[t] + Whh @ hs[t - 1] + bh)
        o = Why @ hs[t] + by; ps[t] = np.exp(o - o.max()) / np.exp(o - o.max()).sum()
        loss += {loss}
    dWxh, dWhh, dWhy, dbh, dby = [np.zeros_like(p) for p in (Wxh, Whh, Why, bh, by)]
    dhnext = np.zeros_like(hprev)
    for t in reversed(range(len(inputs))):
        dy = ps[t].copy(); dy[targets[t]] -= 1
        dWhy += dy @ hs[t].T; dby += dy
        dh = Why.T @ dy + dhnext
        da = (1 - hs[t] ** 2) * dh
        dbh += da; dWxh += da @ xs[t].T; dWhh += da @ hs[t - 1].T
        dhnext = Whh.T @ da
    return loss, dWxh, dWhh, dWhy, dbh, dby, hs[len(inputs) - 1]
"""
NLL = "-np.log(ps[t][targets[t], 0])"


def _minchar(tmp_path: Path, name: str = "lossFun", tail: str = "", head: str = "", loss: str = NLL) -> Path:
    path = tmp_path / "student.py"
    path.write_text(head + MINCHAR.format(name=name, loss=loss) + tail, encoding="utf-8")
    return path


WHILE_TRUE = "\nn = 0\nwhile True:\n    loss, *grads, h = lossFun([0, 1], [1, 2], np.zeros((hidden_size, 1)))\n    n += 1\n"
BOUNDED = "\nfor n in range(10**9):\n    loss, *grads, h = lossFun([0, 1], [1, 2], np.zeros((hidden_size, 1)))\n"


@pytest.mark.parametrize(("tail", "left_out"), [(WHILE_TRUE, "the training loop, lines 27–29"), (BOUNDED, "lines 26–27")])
def test_a_training_loop_at_module_level_is_left_out_and_named(cli, tmp_path, tail, left_out):
    header = _header(cli("run", "--backward", _minchar(tmp_path, tail=tail), code=0).stdout)
    assert left_out in header["not run"]


@pytest.mark.parametrize("name", ["lossFun", "lossfun", "LossFun", "loss_function", "loss_fun", "lossFunc"])
def test_the_names_people_use_are_found(cli, tmp_path, name):
    header = _header(cli("run", "--backward", _minchar(tmp_path, name=name), code=0).stdout)
    assert header["checked"] == f"your code: student.py: {name} (min-char-rnn layout)"


def test_a_file_with_none_of_the_functions_lists_what_it_defines(cli, assert_one_line_error, tmp_path):
    path = _minchar(tmp_path, name="compute")
    assert_one_line_error(
        cli("run", "--backward", path),
        2,
        "student.py: defines none of lossFun(inputs, targets, hprev) (min-char-rnn)",
        "it defines compute(inputs, targets, hprev): name one as student.py:NAME",
    )
    header = _header(cli("run", "--backward", f"{path}:compute", "--layout", "min-char-rnn", code=0).stdout)
    assert "compute (min-char-rnn layout)" in header["checked"]


def test_an_unused_import_of_a_missing_library_does_not_stop_the_check(cli, tmp_path):
    head = "import matplotlib_that_is_not_installed.pyplot as plt\nimport nltk_missing\n"
    cli("run", "--backward", _minchar(tmp_path, head=head, tail="\nplt.plot([1, 2])\n"), code=0)


def test_a_missing_library_the_function_reads_is_named_with_its_line(cli, assert_one_line_error, tmp_path):
    head = "import scipy_not_installed_here as sp\n"
    path = _minchar(tmp_path, head=head, loss="-np.log(ps[t][targets[t], 0]) + 0 * sp.e")
    assert_one_line_error(
        cli("run", "--backward", path),
        2,
        "student.py:1: ModuleNotFoundError: No module named 'scipy_not_installed_here'",
        "the checked code reads sp, which that line sets",
    )


def test_sizes_set_only_under_main_are_the_files_own(cli, tmp_path):
    text = MINCHAR.format(name="lossFun", loss=NLL).replace("vocab_size, hidden_size = 6, 5\n", "")
    text = text.replace("Wxh = ", "if __name__ == '__main__':\n    vocab_size, hidden_size = 6, 5\n    Wxh = ", 1)
    for name in ("Whh", "Why", "bh, by"):
        text = text.replace(f"\n{name} = ", f"\n    {name} = ", 1)
    path = tmp_path / "main_only.py"
    path.write_text(text, encoding="utf-8")
    header = _header(cli("run", "--backward", path, code=0).stdout)
    assert header["sizes"].startswith("I = 6, H = 5, O = 6, τ = 10 (your file's own")  # the __main__ lines that set them ran
    assert 'the body of if __name__ == "__main__", lines 2–7; of that body only lines 3, 4, 5, 6, 7' in header["not run"]


def test_a_returned_loss_that_is_not_the_books_is_refused_before_any_gradient(cli, assert_one_line_error, tmp_path):
    path = _minchar(tmp_path, loss="-np.log(ps[t][targets[t], 0]) + 1.0")
    assert_one_line_error(
        cli("run", "--backward", path),
        2,
        "student.py: your lossFun returns the loss",
        "where the book's L is",
        "cannot be judged",
    )


def test_a_loss_in_bits_keeps_its_diagnosis(cli, tmp_path):
    path = _minchar(tmp_path, loss="-np.log2(ps[t][targets[t], 0])")
    assert "it is in bits" in cli("run", "--backward", path, code=1).stdout


def test_a_load_that_runs_too_long_names_its_line(cli, assert_one_line_error, tmp_path):
    head = "import time\nPAUSE = time.sleep(60)\nseq_length = PAUSE or 10\n"  # a size it reads waits on it
    result = cli("run", "--backward", _minchar(tmp_path, head=head), "--import-timeout", "1")
    assert_one_line_error(result, 2, "student.py: loading its definitions took over 1 s (--import-timeout); line 2 was running")


def test_data_read_at_import_resolves_from_the_files_folder(cli, tmp_path, monkeypatch):
    (tmp_path / "input.txt").write_text("abcdefg hij\n" * 10, encoding="utf-8")
    text = MINCHAR.format(name="lossFun", loss=NLL).replace(
        "vocab_size, hidden_size = 6, 5", "data = open('input.txt').read()\nvocab_size, hidden_size = len(set(data)), 5"
    )
    path = tmp_path / "reads.py"
    path.write_text(text, encoding="utf-8")
    monkeypatch.chdir(ROOT)
    header = _header(cli("run", "--backward", path, code=0).stdout)
    assert header["sizes"].startswith("I = 12, H = 5, O = 12")


# --- nothing left out ever runs ----------------------------------------------------------------------------------

LEFT_OUT = [  # each writes its marker if it runs
    "while True:\n    open({m!r}, 'w').close()\n",
    "for i in range(3):\n    open({m!r}, 'w').close()\n    print(i)\n",
    "for epoch in range(2):\n    train(open({m!r}, 'w'))\n",
    "print(open({m!r}, 'w'))\n",
    "train(open({m!r}, 'w'))\n",
    "model = train_model(open({m!r}, 'w'))\n",
    "sample(open({m!r}, 'w'), 3)\n",
    "if __name__ == '__main__':\n    open({m!r}, 'w').close()\n",
    "if True:\n    while 1:\n        open({m!r}, 'w').close()\n",
    "try:\n    gradCheck(open({m!r}, 'w'))\nexcept Exception:\n    pass\n",
    "with open({m!r} + '.with', 'w') as f:\n    plt.plot(open({m!r}, 'w'))\n",
]
RUNS = [  # each writes its marker when it runs, as it must
    "marked = open({m!r}, 'w').close()\n",
    "for ch in 'abc':\n    table = open({m!r}, 'w').close()\n",
    "if True:\n    kept = open({m!r}, 'w').close()\n",
    "try:\n    data = open({m!r}, 'w').close()\nexcept IOError:\n    pass\n",
]
PRELUDE = (
    "import numpy as np\nimport matplotlib_absent.pyplot as plt\n"
    "def train(*a):\n    pass\ndef train_model(*a):\n    pass\ndef sample(*a):\n    pass\ndef gradCheck(*a):\n    pass\n"
    "def backward():\n    return 1\n"
)


@settings(max_examples=20, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.integers(0, 100)), min_size=1, max_size=8))
def test_no_statement_the_loader_leaves_out_ever_runs(tmp_path_factory, program):
    """Random top-level programs of left-out and kept statements: after the child loaded the file, every kept
    statement's marker exists and no left-out one's does."""
    path, kept, omitted = _program(tmp_path_factory.mktemp("program"), program, PRELUDE, RUNS, LEFT_OUT)
    with Sandbox(path, DIRECT, Limits(timeout=10, import_timeout=10)) as box:
        assert box.request("call", function="backward", kwargs={}) == 1
    assert [m for m in omitted if m.exists()] == [] and [m for m in kept if not m.exists()] == []


def _program(
    folder: Path, program: list[tuple[bool, int]], prelude: str, runs: list[str], never: list[str], tail: str = ""
) -> tuple[Path, list[Path], list[Path]]:
    """program.py of `prelude`, one statement per draw (from `runs` when it must run, else from `never`), each writing
    its own marker, then `tail`; with the markers that must exist and those that must not."""
    parts, kept, omitted = [prelude], [], []
    for k, (must, pick) in enumerate(program):
        marker = str(folder / f"marker{k}")
        pool = runs if must else never
        parts.append(pool[pick % len(pool)].format(m=marker))
        (kept if must else omitted).append(Path(marker))
    path = folder / "program.py"
    path.write_text("".join(parts) + tail, encoding="utf-8")
    return path, kept, omitted


def test_a_class_with_bptt_is_built_by_its_constructor_and_checked(cli, tmp_path):
    """WildML's RNNNumpy shape: U, V, W on the object, bptt(x, y) → [dLdU, dLdV, dLdW], no biases; its default
    truncation after 4 steps is what torch autograd finds wrong at τ = 10."""
    result = cli("run", "--backward", REAL / "wildml_class.py", code=1)
    header = _header(result.stdout)
    assert header["checked"] == "your code: wildml_class.py: RNNNumpy.bptt (class layout)"
    assert header["absent"] == "b, c: your class has none; held at zero, not checked"
    assert "(truncated-k)" in result.stdout and "a call to train_with_sgd" in header["not run"]
    short = tmp_path / "short.toml"
    short.write_text("[data]\nlength = 5\n", encoding="utf-8")  # τ ≤ 5: four steps back reach h(1), exact
    cli("run", short, "--backward", f"{REAL / 'wildml_class.py'}:RNNNumpy.bptt", code=0)


# --- the user's own interpreter ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bare_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Python with numpy and nothing else: a fresh venv whose only extra path holds links to numpy (no gradcheck,
    no fissix, no click: the child's side must bring what it needs)."""
    import subprocess
    import sys
    import sysconfig

    import numpy

    folder = tmp_path_factory.mktemp("bare")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder / "venv")], check=True)
    site = Path(numpy.__file__).resolve().parents[1]
    only = folder / "only-numpy"
    only.mkdir()
    for name in ("numpy", "numpy.libs"):
        if (site / name).exists():
            (only / name).symlink_to(site / name)
    purelib = Path(sysconfig.get_path("purelib", vars={"base": str(folder / "venv"), "platbase": str(folder / "venv")}))
    purelib.mkdir(parents=True, exist_ok=True)
    (purelib / "only-numpy.pth").write_text(f"{only}\n", encoding="utf-8")
    python = folder / "venv" / "bin" / "python"
    missing = subprocess.run([python, "-c", "import gradcheck"], capture_output=True, cwd=folder, env={"PATH": "/usr/bin:/bin"})
    assert missing.returncode != 0  # gradcheck is not importable there
    return python


def test_the_child_runs_in_the_users_own_interpreter_without_gradcheck(cli, bare_python):
    """--python: the Python 2 gist translated and checked by an interpreter that has numpy only."""
    header = _header(cli("run", "--backward", GIST, "--python", bare_python, code=0).stdout)
    assert header["interpreter"] == str(bare_python) and header["python 2"].startswith("translated to Python 3 with fissix")


def test_a_missing_library_says_which_interpreter_ran_the_file(cli, assert_one_line_error, tmp_path, bare_python):
    path = _minchar(tmp_path, head="import scipy_absent as sp\n", loss="-np.log(ps[t][targets[t], 0]) + 0 * sp.e")
    result = cli("run", "--backward", path, "--python", bare_python)
    assert_one_line_error(result, 2, f"at {bare_python} (--python PATH runs your code in another)")


def test_an_interpreter_without_numpy_is_refused_in_one_line(cli, assert_one_line_error, tmp_path):
    assert_one_line_error(
        cli("run", "--backward", _minchar(tmp_path), "--python", "/bin/false"), 2, "--python (user.python): /bin/false"
    )


def test_grade_judges_a_class_against_the_estimates_with_its_biases_at_zero(cli, tmp_path):
    """A class file among min-char-rnn files: graded at the same point with b = c = 0 (made once, for it), its
    truncation named; the others against the config's own estimates."""
    short = tmp_path / "short.toml"
    short.write_text("[data]\nlength = 5\n", encoding="utf-8")
    result = cli("grade", "--config", short, REAL / "wildml_class.py", REAL / "gist_py3.py", code=0)
    assert "wildml_class.py │ PASS" in result.stdout and "gist_py3.py     │ PASS" in result.stdout
    failing = cli("grade", REAL / "wildml_class.py", REAL / "gist_py3.py", code=1)
    assert "truncated-k" in failing.stdout


def test_a_file_whose_own_sizes_will_not_fit_is_refused_before_anything_is_allocated(cli, assert_one_line_error, tmp_path):
    path = tmp_path / "student.py"
    weights = MINCHAR.format(name="lossFun", loss=NLL).split("\n")
    sizes_only = "\n".join([weights[0], "vocab_size, hidden_size = 10**6, 10**6", *weights[6:]])  # no weights made
    path.write_text(sizes_only, encoding="utf-8")
    result = cli("run", "--backward", path)
    assert_one_line_error(result, 2, "student.py (its own sizes): this check needs about", "check it at a config's sizes")


def test_a_large_model_of_the_files_own_is_sampled_and_says_so(cli, tmp_path):
    path = tmp_path / "student.py"
    path.write_text(MINCHAR.format(name="lossFun", loss=NLL).replace("= 6, 5", "= 400, 300"), encoding="utf-8")
    header = _header(cli("run", "--backward", path, code=0).stdout)
    assert "330,700 entries: 1,000 random ones" in header["sizes"]  # per parameter checked (the row wraps)
    full = _header(cli("run", "--backward", path, "--sample", "5", code=0).stdout)
    assert "random ones" not in full["sizes"]


@pytest.mark.parametrize(
    ("returned", "code", "said"),
    [
        ("grads = (dLdW, dLdU, dLdV)\n        return grads", 0, "PASS"),  # not named: told by their shapes
        ("return [dLdV, dLdW, dLdU]", 0, "PASS"),  # named, in another order
        ("return [dLdU, dLdV]", 2, "returned 2 values; expected a gradient for each weight the object holds (U, W, V)"),
        ("return [dLdU, dLdV, dLdW, dLdW * 0]", 2, "returned 4 values"),
    ],
)
def test_a_class_bptt_return_is_read_by_name_or_shape_and_never_zero_filled(cli, tmp_path, returned, code, said):
    path = tmp_path / "wildml.py"
    path.write_text((REAL / "wildml_class.py").read_text().replace("return [dLdU, dLdV, dLdW]", returned), encoding="utf-8")
    short = tmp_path / "short.toml"
    short.write_text("[data]\nlength = 4\n", encoding="utf-8")
    result = cli("run", short, "--backward", path, code=code)
    assert said in result.stdout + result.stderr


def test_weights_under_the_files_own_names_are_told_by_their_shapes(cli, assert_one_line_error, tmp_path):
    """inputLayer, hiddenHidden, … (H×I, H×H, O×H, H×1, O×1 at the file's own sizes) are the weights gradcheck sets, said
    in the header; where the shapes cannot tell (I = H = O), the file is refused, naming what it reads."""
    header = _header(cli("run", "--backward", REAL / "other_names.py", code=0).stdout)
    assert header["weights"].startswith("your inputLayer, hiddenHidden, hiddenOutput, hiddenBias, outputBias as Wxh, Whh")
    assert (
        "(told by their shapes)"
        in cli("run", ROOT / "configs" / "minchar.toml", "--backward", REAL / "other_names.py", code=0).stdout
    )
    text = MINCHAR.format(name="lossFun", loss=NLL).replace("= 6, 5", "= 5, 5")
    for ours, theirs in (("Wxh", "A"), ("Whh", "B"), ("Why", "C"), ("bh", "d"), ("by", "e")):
        text = re.sub(rf"\b{ours}\b", theirs, text)
    path = tmp_path / "square.py"
    path.write_text(text, encoding="utf-8")
    assert_one_line_error(
        cli("run", "--backward", path), 2, "reads none of Wxh", "(it reads A, B, C, d, e, whose shapes do not tell"
    )


def test_a_python_2_helper_beside_the_file_is_translated_and_only_its_definitions_run(cli, tmp_path):
    """`from utils import *` of the student's own Python 2 utils.py, which imports a library this interpreter lacks and
    prints at import: softmax is defined all the same; nothing is written beside it."""
    marker = tmp_path / "ran"
    (tmp_path / "utils.py").write_text(
        "import nltk_absent\nimport numpy as np\n"
        f"print 'loading utils'\nopen({str(marker)!r}, 'w').close()\n"
        "def softmax(x):\n    e = np.exp(x - np.max(x))\n    return e / e.sum()\n",
        encoding="utf-8",
    )
    text = (REAL / "wildml_class.py").read_text(encoding="utf-8")
    text = re.sub(r"\ndef softmax\(x\):\n(    .*\n)+", "\n", text).replace(
        "import numpy as np", "import numpy as np\nfrom utils import *"
    )
    assert "def softmax" not in text
    (tmp_path / "rnn.py").write_text(text, encoding="utf-8")
    short = tmp_path / "short.toml"
    short.write_text("[data]\nlength = 4\n", encoding="utf-8")
    cli("run", short, "--backward", tmp_path / "rnn.py", code=0)
    assert not marker.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["rnn.py", "short.toml", "utils.py"]


HELD = """import numpy as np
HIDDEN_SIZE = 5
LEARNING_RATE = 0.1

class CharRNN:
    def __init__(self, vocab_size, hidden_size, learning_rate):
        self.vocab_size, self.learning_rate = vocab_size, learning_rate
        self.Wxh = np.random.randn(hidden_size, vocab_size) * 0.01
        self.Whh = np.random.randn(hidden_size, hidden_size) * 0.01
        self.Why = np.random.randn(vocab_size, hidden_size) * 0.01
        self.bh, self.by = np.zeros((hidden_size, 1)), np.zeros((vocab_size, 1))

    def lossFun(self, inputs, targets, hprev):
        Wxh, Whh, Why, bh, by = self.Wxh, self.Whh, self.Why, self.bh, self.by
        vocab_size = {vocab}
{body}
if __name__ == "__main__":
    text = open("input.txt").read()
    rnn = CharRNN(len(set(text)), HIDDEN_SIZE, LEARNING_RATE)
    while True:
        rnn.lossFun([0], [1], np.zeros((HIDDEN_SIZE, 1)))
"""


@pytest.mark.parametrize(("vocab", "code", "said"), [("self.vocab_size", 0, "PASS"), ("text_size", 2, "NameError")])
def test_a_lossfun_method_of_a_class_holding_the_weights_is_checked_on_its_object(cli, tmp_path, vocab, code, said):
    """CharRNN(vocab_size, hidden_size, learning_rate) built by its own constructor (LEARNING_RATE from the module), its
    self.Wxh … set; a name it reads that only the script sets is said to be so."""
    text = _held(vocab).replace("    while True:\n", "    while True:\n        text_size = 3\n")  # only the loop sets it
    path = tmp_path / "held.py"
    path.write_text(text, encoding="utf-8")
    result = cli("run", ROOT / "configs" / "minchar.toml", "--backward", path, code=code)
    assert said in result.stdout + result.stderr
    if code == 0:
        assert "CharRNN.lossFun (min-char-rnn layout)" in _header(result.stdout)["checked"]
    else:
        assert 'text_size is set only under if __name__ == "__main__", line 35, which gradcheck does not run' in result.stderr


def test_json_and_junit_carry_what_the_header_says_about_the_file(cli):
    """A CI job reading the JSON or JUnit report learns what the terminal does: translated, what was not run, sizes."""
    args = ("run", "--backward", GIST, "--sample", "2")
    notes = json.loads(cli(*args, "--format", "json", code=0).stdout)["notes"]
    assert notes["python 2"].startswith("translated to Python 3 with fissix") and "the training loop" in notes["not run"]
    assert notes["sizes"].startswith("your file's own")
    junit = cli(*args, "--format", "junit", code=0).stdout
    assert '<property name="code.not_run" value="' in junit and '<property name="code.python_2"' in junit


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (b"import numpy as np\nx = 1\x00\n", "bad.py:2: holds a null byte, so it is not Python source"),
        (b"x = " + b"(" * 300 + b"1" + b")" * 300 + b"\n", "bad.py:1: SyntaxError: too many nested parentheses"),
        (b"x = " + b"1 + " * 200_000 + b"1\n", "bad.py: nested too deeply for Python's parser"),
    ],
)
def test_a_file_that_is_no_python_at_all_is_never_called_python_2(cli, assert_one_line_error, tmp_path, content, said):
    path = tmp_path / "bad.py"
    path.write_bytes(content)
    result = cli("run", "--backward", path)
    assert_one_line_error(result, 2, said)
    assert "Python 2" not in result.stderr


def test_a_utf16_file_is_read_as_the_text_it_is(cli, tmp_path):
    path = tmp_path / "wide.py"
    path.write_bytes((REAL / "gist_py3.py").read_text(encoding="utf-8").encode("utf-16"))
    (tmp_path / "input.txt").write_text("hello world, the quick brown fox\n" * 20, encoding="utf-8")
    cli("run", ROOT / "configs" / "minchar.toml", "--backward", path, "--sample", "3", code=0)


NEEDED = [  # each binds what lossFun reads, and writes its marker when it runs, as it must
    "vocab_size = open({m!r}, 'w').close() or 6\n",
    "for ch in 'ab':\n    table[ch] = open({m!r}, 'w').close()\n",
    "try:\n    SCALE = open({m!r}, 'w').close() or 0.01\nexcept OSError:\n    pass\n",
]
UNNEEDED = [  # each binds only what the check never reads: it must never run
    "model = Net(open({m!r}, 'w'))\n",
    "@mark(open({m!r}, 'w'))\ndef unused():\n    pass\n",
    "losses = net.fit(open({m!r}, 'w'))\n",
    "class Trainer:\n    x = open({m!r}, 'w').close()\n",
    "def unused(a=open({m!r}, 'w').close()):\n    pass\n",
    "results[0] = go(open({m!r}, 'w'))\n",
    "import matplotlib_absent\nplot = matplotlib_absent.pyplot(open({m!r}, 'w'))\n",
]
SLICE_PRELUDE = (
    "import numpy as np\ntable = {}\nresults = [0]\n"
    "def Net(*a):\n    pass\ndef mark(*a):\n    return lambda f: f\ndef go(*a):\n    return 0\n"
    "class net:\n    fit = staticmethod(lambda *a: 0)\n"
)


@settings(max_examples=20, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.integers(0, 100)), min_size=1, max_size=8))
def test_only_what_the_checked_function_reads_is_run(tmp_path_factory, program):
    """Random top-level programs through the real adapter: a statement binding what lossFun reads runs; one binding
    only what nothing checked reads (a model built, a decorator, a default, a class body, an unused import) never."""
    tail = "def lossFun(inputs, targets, hprev):\n    return vocab_size, table, SCALE\n"
    path, kept, omitted = _program(tmp_path_factory.mktemp("slice"), program, SLICE_PRELUDE, NEEDED, UNNEEDED, tail)
    with Sandbox(path, "gradcheck.user.layouts:Session", Limits(timeout=10, import_timeout=10)) as box:
        assert box.request("survey", label="reading the file")["function"] == "lossFun"
    assert [m for m in omitted if m.exists()] == [] and [m for m in kept if not m.exists()] == []


def test_a_global_named_t_that_is_not_an_int_is_not_taken_for_tau(cli, tmp_path):
    """T = 1.0 as a softmax temperature read inside lossFun stays 1.0 (set to τ it would change the loss)."""
    text = MINCHAR.format(name="lossFun", loss=NLL).replace("o = Why @ hs[t] + by;", "o = (Why @ hs[t] + by) / T;")
    path = tmp_path / "temperature.py"
    path.write_text("T = 1.0\n" + text, encoding="utf-8")
    cli("run", "--backward", path, code=0)


def test_the_failure_named_is_the_first_one_of_a_chain(cli, assert_one_line_error, tmp_path):
    """zeta = int(sys.argv[1]) fails, then alpha = [0] * zeta fails for it: the one line names argv's line."""
    head = "import sys\nzeta = int(sys.argv[1])\nalpha = [0] * zeta\n"
    text = MINCHAR.format(name="lossFun", loss=NLL).replace("    xs, hs, ps, loss =", "    alpha, zeta\n    xs, hs, ps, loss =")
    path = tmp_path / "chain.py"
    path.write_text(head + text, encoding="utf-8")
    assert_one_line_error(cli("run", "--backward", path), 2, "chain.py:2: IndexError", "reads zeta, which that line sets")


def test_values_a_lossfun_returns_after_the_seven_are_its_own(cli, tmp_path):
    """`return loss, dWxh, …, hs[len(inputs) - 1], ps`: the first seven are checked (a loss divided by τ still fails)."""
    text = MINCHAR.format(name="lossFun", loss=NLL).replace("hs[len(inputs) - 1]\n", "hs[len(inputs) - 1], ps, xs\n")
    path = tmp_path / "extra.py"
    path.write_text(text, encoding="utf-8")
    cli("run", "--backward", path, code=0)
    path.write_text(text.replace("return loss,", "return loss / len(inputs),"), encoding="utf-8")
    assert "mean over" in cli("run", "--backward", path, code=1).stdout


def _held(vocab: str) -> str:
    """HELD with the gist's body as its lossFun method."""
    body = MINCHAR.format(name="lossFun", loss=NLL).split("def lossFun(inputs, targets, hprev):\n")[1]
    return HELD.format(vocab=vocab, body="\n".join("    " + line for line in body.splitlines()))


def test_a_constructor_gets_seq_length_and_never_a_size_for_a_path(cli, assert_one_line_error, tmp_path):
    base = _held("self.vocab_size")
    path = tmp_path / "held.py"
    path.write_text(base.replace("learning_rate):", "learning_rate, seq_length):"), encoding="utf-8")
    cli("run", ROOT / "configs" / "minchar.toml", "--backward", path, code=0)
    path.write_text(base.replace("def __init__(self, vocab_size,", "def __init__(self, datafile, vocab_size,"), encoding="utf-8")
    result = cli("run", ROOT / "configs" / "minchar.toml", "--backward", path)
    assert_one_line_error(result, 2, "CharRNN(datafile, vocab_size, hidden_size, learning_rate) cannot be built: datafile")


def test_what_the_main_body_sets_for_the_checked_code_is_run_and_only_that(cli, tmp_path):
    """lossFun reads `text`, set only under __main__ beside the object the script builds: those two lines run (the
    object's weights give the file's own sizes), the training loop after them never."""
    (tmp_path / "input.txt").write_text("abcabcab\n", encoding="utf-8")
    path = tmp_path / "held.py"
    path.write_text(_held("len(set(text))"), encoding="utf-8")
    header = _header(cli("run", "--backward", path, code=0).stdout)
    assert "of that body only lines 33, 34, which set what the checked code reads" in header["not run"]
    assert header["sizes"].startswith("I = 4, H = 5, O = 4")


def test_a_size_the_object_sets_only_when_it_trains_is_set_when_lossfun_reads_it(cli, tmp_path):
    """self.vocab_size set only in a train() method: gradcheck sets it on the object, as it sets the weights."""
    text = _held("self.vocab_size").replace("self.vocab_size, self.learning_rate = vocab_size, learning_rate", "pass")
    path = tmp_path / "held.py"
    path.write_text(text, encoding="utf-8")
    header = _header(cli("run", "--backward", path, code=0).stdout)
    assert header["sizes"].startswith("I = 8, H = 5, O = 8, τ = 10 (your file's own but I, O, τ, which it does not fix")


def test_biases_of_the_files_own_names_and_shape_are_set_as_it_holds_them(cli, tmp_path):
    """Weights A, B, C and 1-D biases d, e (H,), (O,): told by their shapes (a bias is never taken for a weight
    matrix), and set as (H,), as the file holds them."""
    text = MINCHAR.format(name="lossFun", loss=NLL).replace(
        "np.zeros((hidden_size, 1)), np.zeros((vocab_size, 1))", "np.zeros(hidden_size), np.zeros(vocab_size)"
    )
    text = text.replace("+ bh)", "+ bh[:, None])").replace("+ by;", "+ by[:, None];").replace("dbh += da;", "dbh += da[:, 0];")
    text = text.replace("dby += dy", "dby += dy[:, 0]")
    for ours, theirs in (("Wxh", "A"), ("Whh", "B"), ("Why", "C"), ("bh", "d"), ("by", "e")):
        text = re.sub(rf"\b{ours}\b", theirs, text)
    path = tmp_path / "flat.py"
    path.write_text(text, encoding="utf-8")
    header = _header(cli("run", "--backward", path, code=0).stdout)
    assert header["weights"].startswith("your A, B, C, d, e as Wxh, Whh, Why, bh, by")
