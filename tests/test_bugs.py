"""Equation rows and injected bugs: the checker must confirm every equation and catch every bug, as predicted."""

from __future__ import annotations

from dataclasses import fields

import numpy as np
import pytest
from conftest import CONFIGS

from gradcheck.book import rnn
from gradcheck.book.bugs import BUGS, NODE_EQUATIONS
from gradcheck.check import config, loading
from gradcheck.check.problem import build
from gradcheck.check.run import export_arrays, run, run_bugs


def with_equations(path) -> config.Config:
    return config.with_overrides(loading.load(path), {"check.equations": True}, {})


@pytest.fixture(scope="module")
def default_runs():
    return run_bugs(with_equations(CONFIGS[0]), tuple(BUGS.values()))


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_every_equation_row_passes_without_a_bug(path):
    result = run(with_equations(path))
    numbers = [e.equation.number for e in result.equations]
    expected = ["10.18", "10.19", "10.21", "10.22", "10.23", "10.24", "10.26", "10.28"]
    assert numbers == expected + (["h(0)"] if result.config.model.h0.value == "learned" else [])
    assert result.passed and all(e.row.passed for e in result.equations)


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_every_bug_fails_exactly_the_rows_it_predicts(path):
    runs = run_bugs(with_equations(path), tuple(BUGS.values()))
    assert runs.clean.passed and len(runs.bugs) == len(BUGS)
    for result in runs.bugs:
        assert result.bug is not None
        declared = frozenset(runs.clean.rows) & (result.bug.params | result.bug.nodes)
        assert result.failing == declared == result.expected, result.bug.name


def test_the_predictions_documented_in_the_readme(default_runs):
    """The README's table, row by row, on the default config (h0 not learned)."""
    results = default_runs.bugs
    table = {
        r.bug.name: "".join("✗" if key in r.failing else "·" for key in ("U", "W", "V", "b", "c", *NODE_EQUATIONS))
        for r in results
        if r.bug
    }
    assert table == {
        "ratio-softmax": "✗✗✗✗✗✗✗✗",
        "missing-indicator": "✗✗✗✗✗✗✗✗",
        "sign-flip": "✗✗✗✗✗✗✗✗",
        "no-tanh-derivative": "✗✗·✗···✗",
        "derivative-of-a": "✗✗·✗···✗",
        "truncated-bptt": "✗✗·✗···✗",
        "untransposed-W": "✗✗·✗···✗",
        "h-off-by-one": "·✗······",
        "last-step-only": "✗✗✗✗✗✗·✗",
        "bias-not-summed": "···✗✗···",
    }


def test_the_verdict_is_decisive(default_runs):
    """The smallest failing relative error among the bugs is ≥ 1000× the largest clean one."""
    smallest_failing, largest_clean = default_runs.smallest_failing, default_runs.largest_clean
    assert smallest_failing is not None and smallest_failing >= 1000 * largest_clean


def test_sign_flip_has_relative_error_two_everywhere(default_runs):
    results = default_runs.bugs
    (flip,) = [r for r in results if r.bug and r.bug.name == "sign-flip"]
    assert all(row.max_rel_err == pytest.approx(2.0, rel=1e-6) for row in flip.params)


def test_bugs_never_touch_the_forward_pass(watch_bytes):
    """A bug changes only the backward pass: it writes into neither the parameters, x, y nor the trace it is given."""
    problem = build(config.validate({"model": {"h0": "learned"}}))
    params = rnn.Params(**problem.params)
    inputs_changed = watch_bytes([*params, ("x", problem.x), ("y", problem.y)])
    for bug in BUGS.values():
        trace = rnn.forward(params, problem.x, problem.y)
        trace_changed = watch_bytes((f.name, getattr(trace, f.name)) for f in fields(trace))
        bug.backward(params, trace)
        assert (inputs_changed(), trace_changed()) == ([], []), bug.name


def test_node_perturbations_match_an_independent_forward(autograd_oracle):
    """perturbed_losses on o(t) and h(t) against the autograd oracle evaluated with the same offsets."""
    cfg = config.validate({"model": {"input_size": 3, "hidden_size": 4, "output_size": 3}, "data": {"length": 4}})
    problem, arrays = build(cfg), export_arrays(cfg)
    for name, offset, shape in (("o", "do", (4, 3)), ("h", "dh", (4, 4))):
        index, delta = np.arange(int(np.prod(shape))), np.linspace(-0.3, 0.3, int(np.prod(shape)))
        batch = problem.model().perturbed_losses(name, index, delta).sum(axis=1)
        for k in index:
            offsets = np.zeros(shape)
            offsets.reshape(-1)[k] = delta[k]
            assert batch[k] == pytest.approx(autograd_oracle(arrays, **{offset: offsets})["loss"], rel=1e-13), (name, k)


class TestCommands:
    def test_run_with_a_bug_exits_1_and_explains_it(self, cli):
        out = cli("run", "--bug", "truncated-bptt", "--equations", code=1).stdout
        assert "injected bug: truncated-bptt" in out and "the Wᵀ term of 10.21 dropped" in out
        assert "as predicted: truncated-bptt fails exactly 10.21, U, W, b" in out
        (v_row,) = [line for line in out.splitlines() if line.startswith("│ V ")]
        assert v_row.rstrip("│ ").endswith("PASS")

    @pytest.mark.parametrize("name", list(BUGS))
    def test_every_bug_fails_run_with_exit_1(self, cli, name):
        lines = cli("run", "--bug", name, code=1).stdout.splitlines()
        assert any(line.startswith("FAIL  ") for line in lines) and lines[-1].startswith(f"as predicted: {name} fails exactly")

    def test_unknown_bug_is_a_usage_error(self, cli, assert_one_line_error):
        assert_one_line_error(cli("run", "--bug", "nope"), 2, "'nope' is not one of")

    def test_bugs_matrix_exits_0_when_every_bug_is_caught(self, cli):
        lines = cli("bugs", "--equations", code=0).stdout.splitlines()
        header = next(line for line in lines if line.startswith("┃ bug"))
        assert [c.strip() for c in header.split("┃")[2:-3]] == ["U", "W", "V", "b", "c", "10.18", "10.19", "10.21"]
        verdict = " ".join(lines[next(k for k, line in enumerate(lines) if line.startswith("PASS")) :])
        assert verdict.startswith("PASS  10 of 10 bugs caught; clean gradients pass")
        assert "norm rel err" in verdict and "×" in verdict  # the margin, by both errors
        trunc = next(line for line in lines if line.startswith("│ truncated-bptt"))
        assert trunc.count("✗") == 4 and "yes" in trunc

    def test_bugs_matrix_exits_1_when_a_bug_cannot_be_seen(self, cli, tmp_path):
        """With H = 1, W is 1×1 and Wᵀ = W: the untransposed-W bug is invisible, and the gate says so."""
        path = tmp_path / "h1.toml"
        path.write_text("[model]\nhidden_size = 1\n")
        result = cli("bugs", path, code=1)
        assert "not caught: untransposed-W" in result.stdout.split("┘")[-1]

    def test_bugs_list_names_and_explains_every_bug(self, cli):
        out = cli("bugs", "--list", code=0).stdout
        for bug in BUGS.values():
            assert bug.name in out and bug.summary in out
