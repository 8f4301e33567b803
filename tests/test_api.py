"""The library API on a user's numpy model: a 2-layer MLP with a logistic loss."""

from __future__ import annotations

import html
import io
import re

import numpy as np
import pytest
from rich.console import Console

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
    assert "W1 (12 of 12 entries, confirmed by the complex step; worst entry [" in " ".join(message.split())
    assert f"{w1.worst_analytic:.6e}" in message and f"{w1.worst_numeric:.6e}" in message


def test_the_params_are_never_modified(watch_bytes):
    changed = watch_bytes(PARAMS.items())
    check_gradients(loss, grad, PARAMS, method="complex-step", sample=3)
    assert changed() == []


def test_a_shape_mismatch_is_a_clear_error():
    with pytest.raises(ValueError, match="grad_f returned shape"):
        check_gradients(loss, lambda p: grad(p) | {"b1": np.zeros(5)}, PARAMS)


def test_complex_step_needs_a_complex_safe_function():
    def unsafe(p):
        z = np.tanh(X @ p["W1"] + p["b1"]) @ p["w2"]
        return np.sum(np.logaddexp(0, z) - Y * z)

    with pytest.raises(TypeError, match="complex-step"):
        check_gradients(unsafe, grad, PARAMS, method="complex-step")


def _expected_rows(result) -> list[list[str]]:
    """Each row's cells, written here from the result's own numbers rather than by the renderer."""
    return [
        [
            row.name,
            "×".join(map(str, row.shape)),
            f"{row.checked}/{row.size}",
            *(f"{v:.2e}" for v in (row.max_abs_err, row.max_rel_err, row.norm_rel_err)),
            "[" + ", ".join(map(str, row.worst_index)) + "]",
            f"{row.worst_analytic:.6e}",
            f"{row.worst_numeric:.6e}",
            f"{row.worst_limit:.2e}",
            str(row.failed),
            "PASS" if row.passed else "FAIL",
        ]
        for row in result.params
    ]


def _rendered_rows(text: str) -> list[list[str]]:
    return [[cell.strip() for cell in line.split("│")[1:-1]] for line in text.splitlines() if line.startswith("│")]


def _html_text(page: str) -> str:
    """The text a browser shows for the <pre> block that holds the table."""
    (pre,) = re.findall(r"<pre[^>]*>(.*?)</pre>", page, flags=re.DOTALL)
    return html.unescape(re.sub(r"<[^>]+>", "", pre))


@pytest.mark.parametrize(
    ("gradient", "verdict"),
    [
        (grad, "PASS  all 3 parameter gradients match the finite-difference estimates"),
        (lambda p: grad(p, forget_tanh_derivative=True), "FAIL  2 of 3 parameter gradients disagree: W1 (2 of 2 entries"),
    ],
    ids=["right", "wrong"],
)
def test_the_result_renders_its_rows_and_verdict_as_text_rich_and_html(gradient, verdict):
    result = check_gradients(loss, gradient, PARAMS, sample=2, seed=1)
    assert [row.checked for row in result.params] == [2, 2, 2]
    console = Console(file=io.StringIO(), width=160, color_system=None)
    console.print(result)
    assert isinstance(console.file, io.StringIO)
    page = result._repr_html_()
    assert page.lstrip().startswith("<!DOCTYPE html>")
    for name, text in [("str", str(result)), ("rich", console.file.getvalue()), ("html", _html_text(page))]:
        assert _rendered_rows(text) == _expected_rows(result), name
        last = text[text.rindex("PASS  " if verdict.startswith("PASS") else "FAIL  ") :]
        assert " ".join(last.split()).startswith(" ".join(verdict.split())), name
