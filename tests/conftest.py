"""Shared fixtures: the hypothesis profile, golden files and small problem builders."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = sorted((ROOT / "configs").glob("*.*"))
GOLDEN = Path(__file__).resolve().parent / "golden"

settings.register_profile("ci", max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=200, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", help="rewrite tests/golden/*.txt from the current output")


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
