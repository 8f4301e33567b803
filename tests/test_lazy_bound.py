"""The error bound only where it decides: the second-step passes are spent on entries near or over their line.

An entry whose |a − n| is within the round-off part of its line passes whatever the truncation is (the full bound
is larger), so its truncation is never measured. Verdicts must be exactly those of the bound measured everywhere.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import gradcheck.check.run as check_run
from gradcheck import check_gradients
from gradcheck.book.bugs import BUGS
from gradcheck.check import config
from gradcheck.check.run import evaluate, numerical
from gradcheck.engine import methods


def _eager(monkeypatch: pytest.MonkeyPatch) -> None:
    """numerical() with the bound measured at every entry, as before it was lazy."""
    real = methods.estimate

    def eager(*args: Any, lazy: bool = False, **kwargs: Any) -> methods.Estimate:
        return real(*args, **kwargs)

    monkeypatch.setattr(check_run, "estimate", eager)


@pytest.mark.parametrize(("equations", "eps"), [(False, "auto"), (True, "auto"), (False, 1e-3)])
def test_every_verdict_is_the_one_the_full_bound_gives(monkeypatch, equations, eps):
    """Including a large step, where truncation dominates and most entries need their full bound to pass."""
    cfg = config.with_overrides(config.Config(), {"check.equations": equations, "check.eps": eps}, {})
    lazy = numerical(cfg)
    results = [evaluate(lazy, bug) for bug in (None, *BUGS.values())]
    _eager(monkeypatch)
    eager = numerical(cfg)
    for result, bug in zip(results, (None, *BUGS.values()), strict=True):
        full = evaluate(eager, bug)
        assert result.verdict is full.verdict, bug
        for mine, theirs in zip(result.rows.values(), full.rows.values(), strict=True):
            same = ("name", "verdict", "failed", "undecided", "overturned", "confirmed_by", "reason")
            assert [getattr(mine, key) for key in same] == [getattr(theirs, key) for key in same]
            if mine.failed:  # a failing entry always has its full bound: the same line as before
                assert mine.worst_limit == pytest.approx(theirs.worst_limit, rel=1e-12)


def _counted(A: np.ndarray, wrong: bool) -> tuple[bool, int]:
    """check_gradients on L = Σ tanh(A x)²-like smooth loss with n entries: (passed, calls of f)."""
    calls = 0

    def f(p: dict[str, np.ndarray]) -> float:
        nonlocal calls
        calls += 1
        return float(np.sum(np.tanh(A @ p["x"]) ** 2))

    def grad_f(p: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        t = np.tanh(A @ p["x"])
        g = A.T @ (2 * t * (1 - t**2))
        return {"x": g * (1.5 if wrong else 1.0)}

    x = np.random.default_rng(1).standard_normal(A.shape[1])
    report = check_gradients(f, grad_f, {"x": x})
    return report.passed, calls


def test_a_right_gradient_costs_about_the_rules_own_passes():
    A = np.random.default_rng(0).standard_normal((7, 40)) / 4
    n = A.shape[1]
    passed, calls = _counted(A, wrong=False)
    assert passed and calls < 2 * n * 1.25 + 60  # central: 2 passes an entry, few second steps (+ the noise search)
    failed, _ = _counted(A, wrong=True)
    assert not failed
