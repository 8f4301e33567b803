"""Shared fixtures: the command line, the one-line error, the autograd oracle, golden files and problem builders;
which tests are `slow`.

Fixtures are the way tests share code; no test module imports another. Only what pytest needs while
collecting (ROOT, CONFIGS, raw_config and the `problems` strategy, used in decorators) is imported from here.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, is_hypothesis_test, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = sorted((ROOT / "configs").glob("*.*"))


def _kind(path: Path) -> str:
    from gradcheck.check.loading import load

    return load(path).model.kind


CONFIGS = [path for path in SHIPPED if _kind(path) == "fig-10.3"]  # the tanh RNN of Fig. 10.3 and its bug catalogue
NETWORK_CONFIGS = [path for path in SHIPPED if _kind(path) != "fig-10.3"]  # the rest of chapter 10 (docs/networks.md)
GOLDEN = Path(__file__).resolve().parent / "golden"
MINCHAR = ROOT / "configs" / "minchar.toml"

settings.register_profile("ci", max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=200, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
os.environ.pop("COLUMNS", None)  # piped output is 160 wide; a test runner (pytest-xdist) may set a terminal width


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", help="rewrite tests/golden/*.txt from the current output")


def _slow(item: pytest.Item) -> bool:
    """Whether the test starts headless Chromium (the browser fixture), draws its examples with hypothesis, or is the
    case configs/minchar.toml (23,165 entries) of a test parametrised over the shipped configs."""
    callspec = getattr(item, "callspec", None)
    minchar = callspec is not None and any(isinstance(value, Path) and value == MINCHAR for value in callspec.params.values())
    return "browser" in getattr(item, "fixturenames", ()) or is_hypothesis_test(getattr(item, "obj", None)) or minchar


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark `slow` (left out by `make test-fast`) the tests _slow names. The torch oracle, the sweeps over many
    problems, and the tests that run user code in the child process, start the console script or wait out a timeout
    carry `@pytest.mark.slow` (or `pytestmark`) themselves."""
    for item in items:
        if _slow(item):
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Any:
    """Compare text with tests/golden/NAME.txt; rewrite it under --update-golden."""
    update = request.config.getoption("--update-golden")

    def check(name: str, text: str) -> None:
        path = GOLDEN / f"{name}.txt"
        if update:
            path.write_text(text, encoding="utf-8")
        assert path.exists(), f"no golden file {path.name}; run pytest --update-golden and review the diff"
        assert text == path.read_text(encoding="utf-8")

    return check


# --- the command line ---------------------------------------------------------------------------------------------


def _invoke(*args: str | Path, code: int | None = None, color: bool = False) -> Result:
    """`gradcheck ARGS` in-process. Anything raised but SystemExit propagates: a crash is a failed test with its
    traceback, never a quiet result.exception. With `code`, the exit code is asserted and the output shown if wrong."""
    from gradcheck.cli import cli

    result = CliRunner().invoke(cli, [str(arg) for arg in args], prog_name="gradcheck", catch_exceptions=False, color=color)
    if code is not None:
        assert result.exit_code == code, f"exit {result.exit_code}, expected {code}\n{result.stdout}{result.stderr}"
    return result


@pytest.fixture(scope="session")
def cli() -> Callable[..., Result]:
    """cli(*args, code=None, color=False) -> click Result: the one way tests run the command line."""
    return _invoke


def _assert_one_line_error(result: Any, code: int, *fragments: str) -> None:
    """Exit `code`; stderr is one line, "error: …", holding every fragment; no traceback anywhere.

    `result` is a click Result or a subprocess.CompletedProcess (the console script, python -m gradcheck).
    """
    exit_code = result.exit_code if isinstance(result, Result) else result.returncode
    assert exit_code == code, f"exit {exit_code}, expected {code}\n{result.stdout}{result.stderr}"
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    line = result.stderr.removeprefix("\n") if code == 130 else result.stderr  # on Ctrl-C click first ends the ^C line
    assert line.startswith("error: ") and line.endswith("\n") and line.count("\n") == 1, result.stderr
    for fragment in fragments:
        assert fragment in line, f"{fragment!r} not in {line!r}"


@pytest.fixture(scope="session")
def assert_one_line_error() -> Callable[..., None]:
    """assert_one_line_error(result, code, *fragments): the one check of an error's exit code and message."""
    return _assert_one_line_error


# --- the autograd oracle ------------------------------------------------------------------------------------------


def _autograd_oracle(arrays: dict[str, np.ndarray], do: np.ndarray | None = None, dh: np.ndarray | None = None) -> dict[str, Any]:
    """The network written again, independently, in autograd, evaluated with offsets do, dh added to o(t), h(t).

    arrays: an export (U, W, V, b, c, h0, x, y). Returns the loss, h (τ, H) and y_hat (τ, O) at the offsets,
    ∇θ L under the parameter names, and ∇o(t)L, ∇h(t)L as "do", "dh" (the gradients w.r.t. the offsets).
    Zero offsets (the default) give the plain network.
    """
    x, y = arrays["x"], arrays["y"]
    tau, H, O = len(x), len(arrays["b"]), len(arrays["c"])

    def unroll(theta: dict[str, Any]) -> tuple[Any, list[Any], list[Any]]:
        h, total = theta["h0"], 0.0
        hs: list[Any] = []
        y_hats: list[Any] = []
        for t in range(tau):
            h = anp.tanh(theta["b"] + anp.dot(theta["W"], h) + anp.dot(theta["U"], x[t])) + theta["dh"][t]
            o = theta["c"] + anp.dot(theta["V"], h) + theta["do"][t]
            log_z = anp.log(anp.sum(anp.exp(o)))
            total = total - (o[y[t]] - log_z)
            hs.append(h)
            y_hats.append(anp.exp(o - log_z))
        return total, hs, y_hats

    theta = {k: arrays[k] for k in ("U", "W", "V", "b", "c", "h0")}
    theta |= {"dh": np.zeros((tau, H)) if dh is None else dh, "do": np.zeros((tau, O)) if do is None else do}
    loss, hs, y_hats = unroll(theta)
    return {"loss": loss, "h": np.array(hs), "y_hat": np.array(y_hats), **grad(lambda th: unroll(th)[0])(theta)}


def _assert_rel_close(name: str, actual: np.ndarray, expected: np.ndarray, rtol: float = 1e-10, atol: float = 1e-12) -> None:
    """Norm-wise relative closeness; atol absorbs round-off where the exact value is 0 (e.g. ∇ with O = 1)."""
    assert np.shape(actual) == np.shape(expected), f"{name}: shape {np.shape(actual)}, expected {np.shape(expected)}"
    error = float(np.linalg.norm(np.asarray(actual) - expected))
    assert error <= rtol * float(np.linalg.norm(expected)) + atol, f"{name}: ‖actual − autograd‖ = {error:.3e}"


def _assert_matches_autograd(arrays: dict[str, np.ndarray]) -> None:
    """Every value an export holds (loss, h, ŷ, ∇θ L, ∇o(t)L, ∇h(t)L, ∇h(0)L when learned) equals the oracle's."""
    oracle = _autograd_oracle(arrays)
    pairs = {"loss": "loss", "h": "h", "y_hat": "y_hat", "grad_o": "do", "grad_h": "dh"}
    pairs |= {f"grad_{name}": name for name in ("U", "W", "V", "b", "c")}
    pairs |= {"grad_h0": "h0"} if "grad_h0" in arrays else {}
    for key, oracle_key in pairs.items():
        _assert_rel_close(key, arrays[key], oracle[oracle_key])


@pytest.fixture(scope="session")
def autograd_oracle() -> Callable[..., dict[str, Any]]:
    """autograd_oracle(arrays, do=None, dh=None): the loss, h, ŷ and every gradient, by autograd (see _autograd_oracle)."""
    return _autograd_oracle


@pytest.fixture(scope="session")
def assert_matches_autograd() -> Callable[[dict[str, np.ndarray]], None]:
    """assert_matches_autograd(arrays): an export's loss, forward values and gradients against the autograd oracle."""
    return _assert_matches_autograd


# --- arrays that must not change ----------------------------------------------------------------------------------


def _watch_bytes(named: Iterable[tuple[str, Any]]) -> Callable[[], list[str]]:
    """Snapshot (name, array) pairs now; the returned function lists the names whose bytes have changed since."""
    arrays = [(name, np.asarray(value)) for name, value in named]
    before = {name: (value.dtype, value.shape, value.tobytes()) for name, value in arrays}
    return lambda: [name for name, value in arrays if (value.dtype, value.shape, value.tobytes()) != before[name]]


@pytest.fixture(scope="session")
def watch_bytes() -> Callable[[Iterable[tuple[str, Any]]], Callable[[], list[str]]]:
    """changed = watch_bytes(pairs); …; assert changed() == []: nothing was written into those arrays."""
    return _watch_bytes


# --- problems -----------------------------------------------------------------------------------------------------


def raw_config(I: int, H: int, O: int, tau: int, seed: int = 0, **model: Any) -> dict[str, Any]:
    """A raw config mapping for sizes (I, H, O, τ)."""
    return {
        "model": {"input_size": I, "hidden_size": H, "output_size": O, **model},
        "data": {"length": tau, "seed": seed},
    }


@st.composite
def problems(draw: st.DrawFn, max_size: int = 6, max_std: float = 1.5) -> dict[str, Any]:
    """A raw config of random sizes 1..max_size (τ = 1 and H = 1 included), seed, init_std, h0 mode and inputs."""
    I, H, O, tau = (draw(st.integers(1, max_size)) for _ in range(4))
    model = {"init_std": draw(st.floats(0.05, max_std)), "h0": draw(st.sampled_from(["zeros", "random", "learned"]))}
    raw = raw_config(I, H, O, tau, draw(st.integers(0, 2**16)), **model)
    raw["data"]["inputs"] = draw(st.sampled_from(["one-hot", "gaussian"]))
    return raw


@pytest.fixture
def corrupt(monkeypatch: pytest.MonkeyPatch) -> Any:
    """corrupt(name, index, shift): make BPTT return ∇name L with one entry moved by shift (or set to NaN/inf)."""
    from gradcheck.book import rnn

    def apply(name: str, index: tuple[int, ...] | None, shift: float) -> None:
        clean = rnn.param_grads

        def corrupted(*args: Any) -> rnn.Params:
            grads = clean(*args)
            wrong = grads[name].copy()
            if index is None:
                wrong[...] = shift
            else:
                wrong[index] += shift
            return grads.with_value(name, wrong)

        monkeypatch.setattr(rnn, "param_grads", corrupted)

    return apply
