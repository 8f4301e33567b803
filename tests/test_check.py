"""The whole check: analytic BPTT against finite differences, on many shapes and seeds."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import CONFIGS, problems, raw_config
from hypothesis import example, given, note
from hypothesis import strategies as st

from gradcheck.book import rnn
from gradcheck.check import config, loading
from gradcheck.check.problem import build
from gradcheck.check.run import numerical, run
from gradcheck.engine.batching import sample_index
from gradcheck.engine.directions import random_directions

# Fixed tolerances per method for the "fixed" runs: forward differences carry an error of about
# √ε_mach·(|L| + |f″|), so they need looser ones; the complex step earns far tighter ones.
FIXED = {
    "central": {"rtol": 1e-5, "atol": 1e-7},
    "forward": {"rtol": 1e-3, "atol": 1e-5},
    "richardson": {"rtol": 1e-5, "atol": 1e-8},  # h = ε^(1/5) is large: strongly curved problems need it
    "complex-step": {"rtol": 1e-10, "atol": 1e-13},
}


@given(raw=problems(), method=st.sampled_from(list(FIXED)), fixed=st.booleans())
@example(raw=raw_config(1, 1, 1, 1), method="central", fixed=False)
@example(
    raw=raw_config(3, 1, 2, 6, 1, init_std=1.5, h0="learned") | {"data": {"length": 6, "seed": 1, "inputs": "gaussian"}},
    method="central",
    fixed=True,
)
@example(raw=raw_config(6, 6, 6, 6, 2, init_std=1.5, h0="learned"), method="complex-step", fixed=False)
def test_analytic_matches_numerical_on_random_problems(raw, method, fixed):
    raw["check"] = {"method": method, "equations": True} | (FIXED[method] if fixed else {"tolerance": "auto"})
    result = run(config.validate(raw))
    for row in result.params + tuple(e.row for e in result.equations):
        note(
            f"{row.name}: |a-n| {row.max_abs_err:.2e} limit {row.worst_limit:.2e} at {row.worst_index}: "
            f"{row.worst_analytic} vs {row.worst_numeric}"
        )
    assert result.passed
    learned = raw["model"].get("h0") == "learned"
    assert [r.name for r in result.params] == ["U", "W", "V", "b", "c"] + (["h0"] if learned else [])


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_every_config_passes_with_every_row(path):
    cfg = loading.load(path)
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


def test_a_corrupted_entry_fails_that_parameter_at_that_entry(corrupt):
    corrupt("W", (2, 3), 0.5)
    result = run(config.Config())
    assert not result.passed
    (bad,) = [r for r in result.params if not r.passed]
    assert (bad.name, bad.worst_index, bad.failed) == ("W", (2, 3), 1)
    assert bad.worst_analytic - bad.worst_numeric == pytest.approx(0.5, rel=1e-6)


def test_nonfinite_gradients_fail(corrupt):
    corrupt("c", None, np.nan)
    result = run(config.Config())
    (bad,) = [r for r in result.params if not r.passed]
    assert bad.name == "c" and bad.nonfinite == 8


def test_the_same_config_builds_the_same_problem_bit_for_bit():
    cfg = loading.load(CONFIGS[0])
    one, two = build(cfg), build(cfg)
    for (name, a), (_, b) in zip(one.params.items(), two.params.items(), strict=True):
        assert a.tobytes() == b.tobytes(), name
    assert one.x.tobytes() == two.x.tobytes() and one.y.tobytes() == two.y.tobytes()
    assert build(config.validate({"data": {"seed": 1}})).params["U"].tobytes() != one.params["U"].tobytes()


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


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_the_complex_step_reaches_machine_precision_on_every_config(path):
    cfg = config.with_overrides(loading.load(path), {"check.method": "complex-step"}, {})
    result = run(cfg)
    assert result.passed
    for row in result.params:
        assert row.max_rel_err <= 1e-10, row
        assert row.norm_rel_err <= 1e-13, row


def test_central_differences_at_minchar_size_stay_within_1e_5():
    result = run(loading.load(CONFIGS[0].parent / "minchar.toml"))
    assert result.passed and max(row.max_rel_err for row in result.params) <= 1e-5


@pytest.mark.parametrize("method", ["central", "forward", "richardson", "complex-step"])
def test_the_clean_default_passes_and_every_bug_fails_under_every_method(method):
    from gradcheck.book.bugs import BUGS
    from gradcheck.check.run import run_bugs

    runs = run_bugs(config.validate({"check": {"method": method}}), tuple(BUGS.values()))
    assert runs.clean.passed
    assert runs.passed, runs.missed


def test_rtol_or_atol_imply_a_fixed_tolerance_unless_told_otherwise():
    assert not config.Config().fixed_tolerance
    assert config.validate({"check": {"rtol": 1e-6}}).fixed_tolerance
    assert not config.validate({"check": {"rtol": 1e-6, "tolerance": "auto"}}).fixed_tolerance
    assert config.validate({"check": {"tolerance": "fixed"}}).fixed_tolerance
    fixed = run(config.validate({"check": {"atol": 1e-8}}))
    assert all(
        row.worst_limit == pytest.approx(1e-8 + 1e-5 * max(abs(row.worst_analytic), abs(row.worst_numeric)))
        for row in fixed.params
    )


def test_a_tiny_memory_budget_changes_nothing_but_the_chunking():
    chunks: dict[int, list[str]] = {1: [], 64: []}  # memory_mb → what each finished chunk estimated (progress calls)

    def check(mb: int):
        cfg = config.validate({"model": {"hidden_size": 64}, "check": {"memory_mb": mb, "tolerance": "fixed"}})
        return run(cfg, progress=lambda what, done, total: chunks[mb].append(what))

    tiny, big = check(1), check(64)
    assert len(chunks[1]) > len(chunks[64]) >= 10  # the budget split the work further than balancing alone
    for a, b in zip(tiny.params, big.params, strict=True):
        assert (a.verdict, a.failed, a.checked) == (b.verdict, b.failed, b.checked)
    small, large = (numerical(config.validate({"model": {"hidden_size": 64}, "check": {"memory_mb": mb}})) for mb in (1, 64))
    for name, estimate in small.estimates.items():  # the same estimates, up to the summation order inside a chunk
        assert estimate.values == pytest.approx(large.estimates[name].values, rel=1e-6, abs=1e-12)


class TestDirections:
    def test_a_directional_check_passes_on_a_right_gradient(self):
        result = run(config.validate({"check": {"directions": 6}}))
        assert result.passed
        assert all(row.unit == "directions" and row.checked == 6 for row in result.params)

    def test_a_wrong_gradient_is_caught_and_localised_to_a_wrong_entry(self):
        from gradcheck.book.bugs import BUGS

        result = run(config.validate({"check": {"directions": 4}}), BUGS["h-off-by-one"])
        (bad,) = [row for row in result.params if not row.passed]
        assert bad.name == "W" and len(bad.worst_index) == 2
        assert abs(bad.worst_analytic - bad.worst_numeric) > 1e3 * bad.worst_limit

    @pytest.mark.parametrize("dense", [False, True])
    def test_rank_one_and_dense_directions_both_pass_the_right_gradient_and_fail_a_wrong_one(self, corrupt, dense):
        cfg = config.validate({"model": {"hidden_size": 12}, "check": {"directions": 6, "dense_directions": dense}})
        num = numerical(cfg)
        assert all(d.rank_one != dense for name, d in num.directions.items() if num.model.params[name].ndim == 2)
        assert run(cfg).passed
        corrupt("W", (3, 5), 1e-3)
        assert {row.name for row in run(cfg).params if not row.passed} == {"W"}

    def test_a_single_corrupted_entry_is_found_by_bisection(self, corrupt):
        corrupt("W", (11, 5), 0.05)
        result = run(config.validate({"model": {"hidden_size": 40}, "check": {"directions": 8}}))
        (bad,) = [row for row in result.params if not row.passed]
        assert (bad.name, bad.worst_index) == ("W", (11, 5))

    @pytest.mark.parametrize("dense", [True, False])
    @pytest.mark.parametrize("complex_step", [False, True])
    def test_directional_losses_equal_a_plain_forward_of_the_moved_network(self, dense, complex_step):
        """Dense and rank-one directions (u vᵀ for a matrix), real and complex shifts, against the plain forward."""
        problem = build(config.validate({"model": {"h0": "random"}, "data": {"inputs": "gaussian"}}))
        p, rng = rnn.Params(**problem.params), np.random.default_rng(3)
        for name in ("U", "W", "V", "b", "c", "h0"):
            D = random_directions(rng, 2, p[name].shape, dense=dense)
            assert D.rank_one == (not dense and p[name].ndim == 2)
            k, shift = np.array([0, 1, 1]), np.array([0.1, -0.2, 0.05]) * (1j if complex_step else 1)
            batch = problem.model().directional_losses(name, D, k, shift)
            for r in range(3):
                moved = p[name] + shift[r] * D.array()[k[r]]
                plain = rnn.forward(p.with_value(name, moved), problem.x, problem.y).losses
                np.testing.assert_allclose(batch[r], plain, rtol=1e-13)

    @pytest.mark.parametrize("complex_step", [False, True])
    def test_several_parameters_moved_in_one_batch_give_each_copy_its_plain_forward(self, complex_step):
        """mixed_directional_losses: every parameter's copies in one batch, each row its own moved network."""
        from gradcheck.engine.batching import along_each
        from gradcheck.engine.model import Move

        problem = build(config.validate({"model": {"h0": "random"}, "data": {"inputs": "gaussian"}}))
        p, rng, model = rnn.Params(**problem.params), np.random.default_rng(5), problem.model()
        moves = []
        for count, name in enumerate(("V", "W", "h0", "U", "c", "b"), start=1):
            D = random_directions(rng, 2, p[name].shape, dense=name == "U")
            shift = rng.uniform(-0.3, 0.3, count) * (1j if complex_step else 1)
            moves.append(Move(name, D, rng.integers(0, 2, count), shift))
        for move, batch in zip(moves, along_each(model, moves), strict=True):
            assert batch.shape == (len(move.k), len(problem.x))
            for r in range(len(move.k)):
                moved = p[move.name] + move.shift[r] * move.D.array()[move.k[r]]
                plain = rnn.forward(p.with_value(move.name, moved), problem.x, problem.y).losses
                np.testing.assert_allclose(batch[r], plain, rtol=1e-13)

    def test_a_rank_one_direction_has_unit_norm_and_projects_as_its_dense_form(self):
        D = random_directions(np.random.default_rng(0), 4, (5, 3))
        dense = D.array()
        np.testing.assert_allclose(np.linalg.norm(dense.reshape(4, -1), axis=1), 1.0, rtol=1e-14)
        G = np.random.default_rng(1).standard_normal((5, 3))
        np.testing.assert_allclose(D.project(G), dense.reshape(4, -1) @ G.reshape(-1), rtol=1e-13)
        np.testing.assert_allclose(D.project_abs(np.abs(G)), np.abs(dense).reshape(4, -1) @ np.abs(G).reshape(-1), rtol=1e-13)


class TestTaylor:
    def test_right_gradients_converge_at_order_two(self):
        from gradcheck.check.convergence import taylor

        result = taylor(loading.load(CONFIGS[0].parent / "hello.toml"))
        assert result.passed and [row.name for row in result.rows] == ["U", "W", "V", "b", "c", "h0"]
        assert all(abs(row.order - 2) < 0.1 for row in result.rows)

    def test_a_wrong_gradient_converges_at_order_one(self):
        from gradcheck.book.bugs import BUGS
        from gradcheck.check.convergence import taylor

        result = taylor(config.Config(), BUGS["bias-not-summed"])
        orders = {row.name: row.order for row in result.rows}
        assert not result.passed
        assert abs(orders["b"] - 1) < 0.1 and abs(orders["c"] - 1) < 0.1 and abs(orders["W"] - 2) < 0.1
