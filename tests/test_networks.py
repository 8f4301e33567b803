"""The other networks of chapter 10 through the whole tool: run, bugs, equations, complex step, explain, export, config.

Each network's own derivation is tested against autograd in tests/test_net_<name>.py; here every kind the book layer
offers (gradcheck.book.kinds.NETWORKS) goes through the command line like a user's config.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import NETWORK_CONFIGS

from gradcheck.book.kinds import DEFAULT, NETWORKS, network
from gradcheck.check import config as config_module

OTHER = [kind for kind in NETWORKS if kind != DEFAULT]
CASES = [(kind, variant) for kind in OTHER for variant in network(kind).variants]
IDS = [f"{kind}-{variant}" for kind, variant in CASES]
SMALL = '[model]\ninput_size = 4\nhidden_size = 5\noutput_size = 3\nkind = "{kind}"\nvariant = "{variant}"\n[data]\nlength = 6\n'

pytestmark = pytest.mark.skipif(not OTHER, reason="no network but Fig. 10.3 in gradcheck/book yet")


def small(tmp_path: Path, kind: str, variant: str) -> Path:
    path = tmp_path / f"{kind}.toml"
    path.write_text(SMALL.format(kind=kind, variant=variant), encoding="utf-8")
    return path


def report(cli: Any, *args: object, code: int = 0) -> dict[str, Any]:
    return json.loads(cli("run", *args, "--format", "json", code=code).stdout)  # type: ignore[no-any-return]


@pytest.mark.parametrize(("kind", "variant"), CASES, ids=IDS)
@pytest.mark.parametrize("method", ["central", "complex-step"])
def test_every_network_passes_with_its_equations(cli, tmp_path, kind, variant, method):
    got = report(cli, small(tmp_path, kind, variant), "--equations", "--method", method)
    names = [row["name"] for row in got["parameters"]]
    assert got["verdict"] == "pass" and names == list(
        config_module.validate(
            {"model": {"kind": kind, "variant": variant, "input_size": 4, "hidden_size": 5, "output_size": 3}}
        ).param_names
    )
    assert {row["equation"] for row in got["equations"]} >= {e.number for e in network(kind).equations if e.target in names}


@pytest.mark.parametrize(("kind", "variant"), CASES, ids=IDS)
def test_gradcheck_bugs_catches_every_bug_with_a_wide_margin(cli, tmp_path, kind, variant):
    from gradcheck.check.run import run_bugs
    from gradcheck.options import bugs_of

    path = small(tmp_path, kind, variant)
    cli("bugs", path, code=0)
    cfg = config_module.validate({"model": {"kind": kind, "variant": variant}, "data": {"length": 6}})
    result = run_bugs(cfg, tuple(bugs_of(kind, cfg.model.layers).values()))
    assert result.passed and result.smallest_failing is not None
    assert result.smallest_failing >= 1000 * result.largest_clean, (result.smallest_failing, result.largest_clean)


@pytest.mark.parametrize("kind", OTHER)
def test_explain_and_export_know_the_network(cli, tmp_path, kind):
    path = small(tmp_path, kind, "book")
    text = cli("explain", path, code=0).stdout
    assert kind in text and all(e.number in text for e in network(kind).equations)
    out = tmp_path / "g.npz"
    cli("export", path, "-o", out, code=0)
    with np.load(out) as arrays:
        assert {f"grad_{name}" for name in network(kind).nodes} <= set(arrays.files)


@pytest.mark.parametrize("kind", OTHER)
def test_what_another_network_refuses(cli, assert_one_line_error, tmp_path, kind):
    path = tmp_path / "c.toml"
    path.write_text(f'[model]\nkind = "{kind}"\nh0 = "learned"\n', encoding="utf-8")
    assert_one_line_error(cli("run", path), 2, "model.h0", "starts from zero states")
    assert_one_line_error(cli("run", small(tmp_path, kind, "book"), "--params", "Q"), 2, "--params (check.params[0])")
    refused = cli("run", small(tmp_path, kind, "book"), "--backward", "x.py", "--layout", "min-char-rnn")
    assert_one_line_error(refused, 2, "user.layout", 'is called in the "book" layout')
    assert_one_line_error(cli("run", small(tmp_path, kind, "book"), "--bug", "sign-flip"), 2, f"({kind})")


def test_an_unknown_kind_lists_the_known_ones(cli, assert_one_line_error, tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('[model]\nkind = "transformer"\n', encoding="utf-8")
    assert_one_line_error(cli("run", path), 2, "model.kind: must be one of fig-10.3", 'got "transformer"')


@pytest.mark.parametrize("path", NETWORK_CONFIGS, ids=lambda p: p.name)
def test_every_shipped_network_config_passes_and_its_bugs_fail_as_predicted(path):
    from gradcheck.check import loading
    from gradcheck.check.run import run_bugs
    from gradcheck.options import bugs_of

    overrides = {"check.equations": True, "check.sample": 40}  # 40 entries a row: the classic-size LSTM too, quickly
    cfg = config_module.with_overrides(loading.load(path), overrides, {})
    runs = run_bugs(cfg, tuple(bugs_of(cfg.model.kind, cfg.model.layers).values()))
    assert runs.clean.passed, runs.clean.failing
    for result in runs.bugs:
        assert result.failing and result.as_predicted, (result.bug.name if result.bug else None, result.failing, result.expected)
    smallest = runs.smallest_failing_by("norm_rel_err")  # the margin; max rel err too, but for the classic size, whose
    assert smallest is not None and smallest >= 1000 * runs.largest_clean_by("norm_rel_err")  # tiny entries are noise
    if path.name != "lstm-classic.toml":
        assert runs.smallest_failing is not None and runs.smallest_failing >= 1000 * runs.largest_clean


@pytest.mark.skipif("deep" not in OTHER, reason="no deep network yet")
@pytest.mark.parametrize("layers", [1, 3])
def test_a_deep_network_of_any_depth(cli, tmp_path, layers):
    path = tmp_path / "deep.toml"
    path.write_text(f'[model]\nkind = "deep"\nlayers = {layers}\nhidden_size = 4\n[data]\nlength = 5\n', encoding="utf-8")
    got = report(cli, path, "--equations")
    assert [row["name"] for row in got["parameters"]][-2:] == ["V", "c"] and len(got["parameters"]) == 3 * layers + 2
    assert any(f"h{layers}" in row["equation"] + row["name"] for row in got["equations"])
    cli("bugs", path, code=0)
