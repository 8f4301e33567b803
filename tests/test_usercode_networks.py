"""Your own code for the other networks of chapter 10, in the book layout: called with the network's own parameter
names, checked by the same engine, its catalogued bugs and the common mistakes named by the diagnosis.

The fixture tests/usercode/catalogue/network_bugs.py returns the network's gradients (or a catalogued bug's) for the
network named in its environment; every run goes through the real command line and the child process.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT

from gradcheck.book.kinds import DEFAULT, NETWORKS, network

pytestmark = pytest.mark.slow  # every test runs user code in the real child process

USERCODE = ROOT / "tests" / "usercode"
FIXTURE = USERCODE / "catalogue" / "network_bugs.py"
OTHER = [kind for kind in NETWORKS if kind != DEFAULT]
CASES = [(kind, variant) for kind in OTHER for variant in network(kind).variants]
SMALL = (
    '[model]\ninput_size = 4\nhidden_size = 5\noutput_size = 3\nkind = "{kind}"\nvariant = "{variant}"\n{layers}'
    "[data]\nlength = 6\n"
)
LAYERS = {"deep": 2}
BUGS = [(kind, variant, name) for kind, variant in CASES for name in network(kind, LAYERS.get(kind, 1)).bugs]


@pytest.fixture
def network_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    """A small config of the network and the environment the fixture reads (the child inherits it)."""

    def make(kind: str, variant: str, bug: str = "") -> Path:
        layers = LAYERS.get(kind, 1)
        for key, value in (("KIND", kind), ("VARIANT", variant), ("LAYERS", str(layers)), ("BUG", bug)):
            monkeypatch.setenv(f"GRADCHECK_TEST_{key}", value)
        path = tmp_path / f"{kind}.toml"
        depth = f"layers = {layers}\n" if kind in LAYERS else ""  # only deep has a depth to set
        path.write_text(SMALL.format(kind=kind, variant=variant, layers=depth), encoding="utf-8")
        return path

    return make


def report(cli: Any, *args: object, code: int) -> dict[str, Any]:
    return json.loads(cli("run", *args, "--format", "json", code=code).stdout)  # type: ignore[no-any-return]


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


IMPORT = (
    f"import sys\nsys.path.insert(0, {str(FIXTURE.parent)!r})\n"
    "from network_bugs import backward as _backward, forward as _forward\n"
)


@pytest.mark.parametrize(("kind", "variant"), CASES, ids=[f"{k}-{v}" for k, v in CASES])
def test_right_code_for_every_network_passes_with_its_own_forward(cli, network_env, kind, variant):
    config = network_env(kind, variant)
    got = report(cli, config, "--backward", FIXTURE, "--forward", FIXTURE, code=0)
    assert got["verdict"] == "pass" and got["diagnosis"] is None and got["forward"]["agrees"]
    assert [row["name"] for row in got["parameters"]] == list(network(kind, 2).shapes(4, 5, 3))


@pytest.mark.parametrize(("kind", "variant", "bug"), BUGS, ids=[f"{k}-{v}-{b}" for k, v, b in BUGS])
def test_every_catalogued_bug_of_every_network_is_caught_and_named(cli, network_env, kind, variant, bug):
    config = network_env(kind, variant, bug)
    got = report(cli, config, "--backward", FIXTURE, code=1)
    assert got["verdict"] == "fail" and got["mistake"] == bug, got["diagnosis"]
    assert got["diagnosis"].startswith("your d") and f"({bug})" in got["diagnosis"]


@pytest.mark.parametrize("kind", OTHER)
def test_half_the_gradient_is_named_on_every_network(cli, network_env, tmp_path, kind):
    config = network_env(kind, "book")
    path = _write(
        tmp_path, "half.py", IMPORT + "def backward(**a):\n    return {k: 0.5 * v for k, v in _backward(**a).items()}\n"
    )
    got = report(cli, config, "--backward", path, code=1)
    assert got["mistake"] == "half" and "a factor 2 is missing" in got["diagnosis"]


def test_the_mean_over_t_is_no_mistake_of_a_single_output(cli, network_env, tmp_path):
    """Fig. 10.5 has one loss term: a gradient divided by τ is named nothing (not the mean over t, which is L itself)."""
    config = network_env("fig-10.5", "book")
    path = _write(
        tmp_path, "tau.py", IMPORT + "def backward(x, **a):\n    return {k: v / len(x) for k, v in _backward(x=x, **a).items()}\n"
    )
    got = report(cli, config, "--backward", path, code=1)
    assert got["mistake"] is None and got["diagnosis"].startswith("no known mistake matches")


@pytest.mark.parametrize("kind", ["lstm", "fig-10.4"])
def test_a_wrong_forward_of_a_network_is_located_and_named(cli, network_env, tmp_path, kind):
    config = network_env(kind, "book")
    late = (
        IMPORT + "backward = _backward\ndef forward(x, y, **a):\n    return _forward(x=x, y=y, **a) + 0.25 * max(0, len(y) - 3)\n"
    )
    path = _write(tmp_path, "late.py", late)
    got = report(cli, config, "--backward", path, "--forward", path, code=1)
    assert got["forward"]["first_t"] == 4 and got["forward"]["step_user"] - got["forward"]["step_book"] == pytest.approx(0.25)
    bits = IMPORT + "backward = _backward\nimport math\ndef forward(**a):\n    return _forward(**a) / math.log(2)\n"
    path = _write(tmp_path, "bits.py", bits)
    got = report(cli, config, "--backward", path, "--forward", path, code=1)
    assert got["mistake"] == "bits-vs-nats" and "in bits" in got["forward"]["why"]
    unused = IMPORT + "backward = _backward\ndef forward(c, **a):\n    return _forward(c=0 * c, **a)\n"
    path = _write(tmp_path, "no_c.py", unused)
    got = report(cli, config, "--backward", path, "--forward", path, code=1)
    assert got["mistake"] == "unused-parameter" and "never uses c" in got["forward"]["why"]


def test_the_table_says_which_networks_forward_the_loss_equals(cli, network_env):
    config = network_env("gru", "common")
    text = cli("run", config, "--backward", FIXTURE, "--forward", FIXTURE, code=0).stdout
    assert "your loss equals the book's gru network (common form)" in " ".join(text.split())


def test_wrong_names_and_shapes_from_a_network_backward_get_one_line(cli, network_env, tmp_path, assert_one_line_error):
    config = network_env("lstm", "common")
    names = ", ".join(network("lstm").shapes(4, 5, 3))
    path = _write(tmp_path, "old.py", "def backward(**a):\n    return {'U': 0, 'W': 0}\n")
    assert_one_line_error(cli("run", config, "--backward", path), 2, f"backward({names}, x, y) returned no gradient for Uf")
    path = _write(tmp_path, "list.py", "def backward(**a):\n    return []\n")
    assert_one_line_error(cli("run", config, "--backward", path), 2, f"expected a dict of gradients by name: {names}")
    path = _write(
        tmp_path,
        "shape.py",
        IMPORT
        + "import numpy as np\ndef backward(**a):\n    g = _backward(**a)\n    g['dWf'] = np.zeros((2, 2))\n    return g\n",
    )
    assert_one_line_error(cli("run", config, "--backward", path), 2, "the gradient Wf from backward has shape 2×2, expected 5×5")
