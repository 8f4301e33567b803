"""The pass/fail rule and the error columns of DESIGN.md §4."""

from __future__ import annotations

import numpy as np

from gradcheck.engine.compare import Verdict, compare, mismatched, relative_error


def test_the_rule_is_atol_plus_rtol_times_the_larger_magnitude():
    a = np.array([1.0, 1.0, 0.0, 1e-9])
    n = np.array([1.0 + 0.9e-5, 1.0 + 1.1e-5, 0.9e-8, 0.0])
    np.testing.assert_array_equal(mismatched(a, n, rtol=1e-5, atol=0.0), [False, True, True, True])
    np.testing.assert_array_equal(mismatched(a, n, rtol=1e-5, atol=1e-8), [False, True, False, False])


def test_nan_and_inf_always_fail():
    a = np.array([np.nan, np.inf, 1.0])
    n = np.array([np.nan, np.inf, np.nan])
    assert mismatched(a, n, rtol=1.0, atol=1.0).all()


def test_relative_error_is_zero_where_both_are_zero():
    np.testing.assert_array_equal(relative_error(np.array([0.0, 2.0]), np.array([0.0, 1.0])), [0.0, 0.5])


def test_compare_reports_the_worst_entry_with_both_values():
    analytic = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    numeric = analytic.reshape(-1).copy()
    numeric[4] = 5.5  # entry (1, 1)
    row = compare("W", analytic, np.arange(6), numeric, rtol=1e-5, atol=1e-8)
    assert (row.name, row.shape, row.checked, row.failed, row.passed) == ("W", (2, 3), 6, 1, False)
    assert row.worst_index == (1, 1)
    assert (row.worst_analytic, row.worst_numeric) == (5.0, 5.5)
    assert row.max_abs_err == 0.5
    assert row.max_rel_err == 0.5 / 5.5
    assert row.norm_rel_err == 0.5 / (np.linalg.norm(analytic) + np.linalg.norm(numeric))


def test_compare_on_sampled_entries():
    analytic = np.arange(10.0)
    row = compare("b", analytic, np.array([2, 7]), np.array([2.0, 7.0]), rtol=1e-5, atol=1e-8)
    assert (row.checked, row.size, row.failed, row.max_abs_err) == (2, 10, 0, 0.0)


def test_a_nonfinite_analytic_entry_fails_and_is_the_worst():
    analytic = np.array([1.0, np.nan, 3.0])
    row = compare("c", analytic, np.arange(3), np.array([1.0, 2.0, 3.0]), rtol=1e-5, atol=1e-8)
    assert row.verdict is Verdict.FAIL and (row.failed, row.nonfinite) == (1, 1)
    assert row.worst_index == (1,) and np.isnan(row.worst_analytic)


def test_a_missing_numerical_estimate_is_undecided_and_a_failure_outranks_it():
    analytic = np.array([1.0, 2.0, 3.0])
    undecided = compare("c", analytic, np.arange(3), np.array([1.0, np.nan, 3.0]), rtol=1e-5, atol=1e-8)
    assert undecided.verdict is Verdict.UNDECIDED and (undecided.failed, undecided.undecided) == (0, 1)
    assert undecided.worst_index == (1,)
    both = compare("c", analytic, np.arange(3), np.array([1.0, np.nan, 3.5]), rtol=1e-5, atol=1e-8)
    assert both.verdict is Verdict.FAIL and both.worst_index == (2,)
