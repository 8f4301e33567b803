"""The library API on a user's numpy model: a 2-layer MLP with a logistic loss."""

from __future__ import annotations

import numpy as np
import pytest

from gradcheck import check_gradients
from gradcheck.testing import assert_gradients_close

RNG = np.random.default_rng(0)
X, Y = RNG.standard_normal((20, 3)), RNG.integers(0, 2, 20)
PARAMS = {"W1": RNG.standard_normal((3, 4)), "b1": np.zeros(4), "w2": RNG.standard_normal(4)}


def loss(p):
    """Logistic loss of a tanh MLP; complex-safe (log1p(exp(z)) rather than logaddexp)."""
    z = np.tanh(X @ p["W1"] + p["b1"]) @ p["w2"]
    return np.sum(np.log1p(np.exp(z)) - Y * z)


def grad(p, forget_tanh_derivative=False):
    h = np.tanh(X @ p["W1"] + p["b1"])
    dz = 1 / (1 + np.exp(-(h @ p["w2"]))) - Y
    dh = np.outer(dz, p["w2"]) * (1.0 if forget_tanh_derivative else 1 - h**2)
    return {"W1": X.T @ dh, "b1": dh.sum(axis=0), "w2": h.T @ dz}


@pytest.mark.parametrize("method", ["central", "forward", "richardson", "complex-step"])
def test_a_right_gradient_passes_under_every_method(method):
    result = check_gradients(loss, grad, PARAMS, method=method)
    assert result.passed and [row.name for row in result.params] == ["W1", "b1", "w2"]
    assert result["W1"].checked == 12


def test_assert_gradients_close_catches_a_wrong_gradient_and_names_the_entry():
    with pytest.raises(AssertionError) as error:
        assert_gradients_close(loss, lambda p: grad(p, forget_tanh_derivative=True), PARAMS)
    message = str(error.value)
    result = check_gradients(loss, lambda p: grad(p, forget_tanh_derivative=True), PARAMS)
    w1 = result["W1"]
    assert not w1.passed and result["w2"].passed
    assert "W1 (12 of 12 entries; worst entry [" in message
    assert f"{w1.worst_analytic:.6e}" in message and f"{w1.worst_numeric:.6e}" in message


def test_the_params_are_never_modified():
    before = {k: v.copy() for k, v in PARAMS.items()}
    check_gradients(loss, grad, PARAMS, method="complex-step", sample=3)
    for k, v in PARAMS.items():
        np.testing.assert_array_equal(v, before[k])


def test_a_shape_mismatch_is_a_clear_error():
    with pytest.raises(ValueError, match="grad_f returned shape"):
        check_gradients(loss, lambda p: grad(p) | {"b1": np.zeros(5)}, PARAMS)


def test_complex_step_needs_a_complex_safe_function():
    def unsafe(p):
        z = np.tanh(X @ p["W1"] + p["b1"]) @ p["w2"]
        return np.sum(np.logaddexp(0, z) - Y * z)

    with pytest.raises(TypeError, match="complex-step"):
        check_gradients(unsafe, grad, PARAMS, method="complex-step")


def test_the_result_renders_as_text_rich_and_html():
    result = check_gradients(loss, grad, PARAMS, sample=2, seed=1)
    assert "PASS  all 3 parameter gradients" in str(result)
    assert "<table" in result._repr_html_() or "<pre" in result._repr_html_()
    assert result.__rich__() is not None
    assert result["b1"].checked == 2


def test_the_readme_example_runs_as_written():
    from conftest import ROOT

    readme = (ROOT / "README.md").read_text()
    code = readme.split("## Library API")[1].split("```python\n")[1].split("```")[0]
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)
    assert namespace["result"].passed
    namespace["test_mlp_gradient"]()
