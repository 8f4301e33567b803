"""The whole check: analytic BPTT against finite differences, on many shapes and seeds."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import CONFIGS, raw_config
from hypothesis import example, given, note
from hypothesis import strategies as st

from gradcheck import config, rnn
from gradcheck.check import run, sample_index
from gradcheck.problem import build

# Fixed tolerances per method for the "fixed" runs: forward differences carry an error of about
# √ε_mach·(|L| + |f″|), so they need looser ones; the complex step earns far tighter ones.
FIXED = {
    "central": {"rtol": 1e-5, "atol": 1e-7},
    "forward": {"rtol": 1e-3, "atol": 1e-5},
    "richardson": {"rtol": 1e-7, "atol": 1e-9},
    "complex-step": {"rtol": 1e-10, "atol": 1e-13},
}


@given(
    I=st.integers(1, 6),
    H=st.integers(1, 6),
    O=st.integers(1, 6),
    tau=st.integers(1, 6),
    seed=st.integers(0, 2**16),
    std=st.floats(0.05, 1.5),
    h0=st.sampled_from(["zeros", "random", "learned"]),
    inputs=st.sampled_from(["one-hot", "gaussian"]),
    method=st.sampled_from(list(FIXED)),
    fixed=st.booleans(),
)
@example(I=1, H=1, O=1, tau=1, seed=0, std=0.5, h0="zeros", inputs="one-hot", method="central", fixed=False)
@example(I=3, H=1, O=2, tau=6, seed=1, std=1.5, h0="learned", inputs="gaussian", method="central", fixed=True)
@example(I=6, H=6, O=6, tau=6, seed=2, std=1.5, h0="learned", inputs="gaussian", method="complex-step", fixed=False)
def test_analytic_matches_numerical_on_random_problems(I, H, O, tau, seed, std, h0, inputs, method, fixed):
    raw = raw_config(I, H, O, tau, seed, init_std=std, h0=h0)
    raw["data"]["inputs"] = inputs
    raw["check"] = {"method": method, "equations": True} | (FIXED[method] if fixed else {"tolerance": "auto"})
    result = run(config.validate(raw))
    for row in result.params + tuple(e.row for e in result.equations):
        note(
            f"{row.name}: |a-n| {row.max_abs_err:.2e} limit {row.worst_limit:.2e} at {row.worst_index}: "
            f"{row.worst_analytic} vs {row.worst_numeric}"
        )
    assert result.passed
    assert [r.name for r in result.params] == ["U", "W", "V", "b", "c"] + (["h0"] if h0 == "learned" else [])


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_every_config_passes_with_every_row(path):
    cfg = config.load(path)
    result = run(cfg)
    assert result.passed
    expected = ["U", "W", "V", "b", "c"] + (["h0"] if cfg.model.h0.value == "learned" else [])
    assert [r.name for r in result.params] == expected


def test_the_clean_default_meets_the_float64_central_accuracy_bar():
    result = run(config.Config())
    for row in result.params:
        assert row.max_rel_err <= 1e-5, row
        assert row.norm_rel_err <= 1e-8, row
        assert row.checked == row.size


def test_a_corrupted_entry_fails_that_parameter_at_that_entry(monkeypatch):
    clean = rnn.param_grads

    def corrupted(*args):
        g = clean(*args)
        W = g.W.copy()
        W[2, 3] += 0.5
        return g.with_value("W", W)

    monkeypatch.setattr(rnn, "param_grads", corrupted)
    result = run(config.Config())
    assert not result.passed
    (bad,) = [r for r in result.params if not r.passed]
    assert (bad.name, bad.worst_index, bad.failed) == ("W", (2, 3), 1)
    assert bad.worst_analytic - bad.worst_numeric == pytest.approx(0.5, rel=1e-6)


def test_nonfinite_gradients_fail(monkeypatch):
    clean = rnn.param_grads
    monkeypatch.setattr(rnn, "param_grads", lambda *a: clean(*a).with_value("c", np.full(8, np.nan)))
    result = run(config.Config())
    (bad,) = [r for r in result.params if not r.passed]
    assert bad.name == "c" and bad.nonfinite == 8


def test_the_same_config_builds_the_same_problem_bit_for_bit():
    cfg = config.load(CONFIGS[0])
    one, two = build(cfg), build(cfg)
    for (name, a), (_, b) in zip(one.params, two.params, strict=True):
        assert a.tobytes() == b.tobytes(), name
    assert one.x.tobytes() == two.x.tobytes() and one.y.tobytes() == two.y.tobytes()
    assert build(config.validate({"data": {"seed": 1}})).params.U.tobytes() != one.params.U.tobytes()


def test_sampling_checks_n_entries_reproducibly():
    cfg = config.validate({"check": {"sample": 7}})
    first, second = run(cfg), run(cfg)
    assert [r.checked for r in first.params] == [7, 7, 7, 7, 7]
    assert [r.worst_index for r in first.params] == [r.worst_index for r in second.params]
    index = sample_index(100, 7, np.random.default_rng(0))
    assert len(set(index.tolist())) == 7 and list(index) == sorted(index)
    assert len(sample_index(5, 7, np.random.default_rng(0))) == 5


def test_params_selects_rows_in_the_fixed_order():
    result = run(config.validate({"check": {"params": ["c", "W"]}}))
    assert [r.name for r in result.params] == ["W", "c"]


def test_text_problems_use_the_vocabulary_of_the_text():
    cfg = config.validate({"data": {"text": "abcab"}})
    assert cfg.vocabulary == "abc" and cfg.sizes == (3, 16, 3, 4)
    problem = build(cfg)
    np.testing.assert_array_equal(problem.tokens, [0, 1, 2, 0])
    np.testing.assert_array_equal(problem.y, [1, 2, 0, 1])
    np.testing.assert_array_equal(problem.x, np.eye(3)[[0, 1, 2, 0]])


def test_explicit_tokens_and_targets_are_used():
    problem = build(config.validate({"data": {"tokens": [1, 0, 3], "targets": [2, 2, 7]}}))
    np.testing.assert_array_equal(problem.x.argmax(axis=1), [1, 0, 3])
    np.testing.assert_array_equal(problem.y, [2, 2, 7])
