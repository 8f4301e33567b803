"""A network written as one file against the contract (tests/networks/relu_rnn.py: Fig. 10.3 with ReLU) and
registered: every command, the library and the page take it with no other file touched."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from networks import relu_rnn

from gradcheck import check_gradients
from gradcheck.book import kinds
from gradcheck.book.network import Forward, Stacked

KIND = relu_rnn.NETWORK.kind


@pytest.fixture
def toy(tmp_path: Path) -> Iterator[Path]:
    """The network registered for one test, and a config of it."""
    kinds.register(relu_rnn.NETWORK)
    path = tmp_path / "relu.toml"
    path.write_text(f'[model]\nkind = "{KIND}"\ninput_size = 4\nhidden_size = 6\noutput_size = 4\n[data]\nlength = 7\n')
    try:
        yield path
    finally:
        kinds.unregister(KIND)


def test_run_checks_every_parameter_and_equation(cli: Any, toy: Path) -> None:
    got = json.loads(cli("run", toy, "--equations", "--format", "json", code=0).stdout)
    assert got["verdict"] == "pass" and got["config"]["model"]["kind"] == KIND
    assert [row["name"] for row in got["parameters"]] == ["U", "W", "V", "b", "c"]
    assert [row["equation"] for row in got["equations"]] == [e.number for e in relu_rnn.EQUATIONS]
    assert {row["verdict"] for row in got["equations"]} == {"pass"}


def test_its_bug_fails_exactly_its_rows(cli: Any, toy: Path) -> None:
    got = json.loads(cli("run", toy, "--bug", "relu-tanh-slope", "--format", "json", code=1).stdout)
    assert {row["name"] for row in got["parameters"] if row["verdict"] == "fail"} == {"U", "W", "b"}
    bugs = cli("bugs", toy, "--equations", code=0).stdout
    assert "relu-tanh-slope" in bugs and "1 of 1 bugs caught" in bugs


def test_export_explain_and_the_page(cli: Any, toy: Path, tmp_path: Path) -> None:
    cli("export", toy, "-o", tmp_path / "out.npz", code=0)
    with np.load(tmp_path / "out.npz") as saved:
        assert {"U", "grad_U", "grad_o", "grad_h", "loss"} <= set(saved.files)
    explained = cli("explain", toy, code=0).stdout
    assert KIND in explained and "ReLU′ = 1[a > 0]" in explained and all(e.number in explained for e in relu_rnn.EQUATIONS)
    cli("run", toy, "--bug", "relu-tanh-slope", "--format", "html", "-o", tmp_path / "page.html", code=1)
    page = (tmp_path / "page.html").read_text(encoding="utf-8")
    assert "relu-tanh-slope" in page and "relu 10.21" in page  # the bug, and the equation it breaks
    cli("explain", toy, "--format", "html", "-o", tmp_path / "explain.html", code=0)
    assert "relu 10.21" in (tmp_path / "explain.html").read_text(encoding="utf-8")


def test_a_kind_not_registered_is_refused_by_name(cli: Any, tmp_path: Path, assert_one_line_error: Any) -> None:
    path = tmp_path / "relu.toml"
    path.write_text(f'[model]\nkind = "{KIND}"\n')
    assert_one_line_error(cli("run", path), 2, "model.kind", KIND)


def test_the_library_checks_its_backward_pass() -> None:
    rng = np.random.default_rng(0)
    params = {name: 0.5 * rng.standard_normal(shape) for name, shape in relu_rnn.shapes(3, 5, 3).items()}
    x, y = rng.standard_normal((6, 3)), rng.integers(0, 3, 6)

    def loss(p: dict[str, Any]) -> float:
        return float(relu_rnn.forward(Stacked({n: v[np.newaxis] for n, v in p.items()}), x, y).loss[0])

    def gradients(p: dict[str, Any]) -> dict[str, Any]:
        fwd = relu_rnn.forward(Stacked({n: v[np.newaxis] for n, v in p.items()}), x, y)
        single = Forward(fwd.losses[0], {n: v[0] for n, v in fwd.nodes.items()})
        return {n: g for n, g in relu_rnn.backward(p, x, y, single).items() if n in p}

    assert check_gradients(loss, gradients, params).passed
