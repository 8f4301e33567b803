"""Failure modes that are not config syntax: resources, numerical hazards, output, interruption."""

from __future__ import annotations

import json
import subprocess
import warnings

import numpy as np
import pytest
from conftest import ROOT

from gradcheck import check_gradients
from gradcheck.api import PrecisionWarning
from gradcheck.check import config, resources
from gradcheck.check import run as check

MINCHAR = ROOT / "configs" / "minchar.toml"


class TestResourceGuard:
    def test_a_huge_model_is_refused_before_anything_is_allocated(self, cli, assert_one_line_error, tmp_path):
        path = tmp_path / "huge.toml"
        path.write_text("[model]\nhidden_size = 10000000\n")
        for command in ("run", "bugs", "taylor", "explain", "sweep"):
            result = cli(command, path)
            assert_one_line_error(result, 2, "huge.toml: this check needs about", "PiB", "lower model.hidden_size")

    def test_the_budget_and_what_to_change(self, cli, assert_one_line_error):
        result = cli("run", MINCHAR, "--max-memory", "20M")
        assert_one_line_error(result, 2, "but --max-memory is 20.0 MiB", "sample = N", "forward passes")
        cli("run", MINCHAR, "--max-memory", "20M", "--sample", "10", "--memory-mb", "4", code=0)

    @pytest.mark.parametrize("size", ["lots", "-1G", "0", "4X"])
    def test_a_bad_size_is_a_usage_error(self, cli, assert_one_line_error, size):
        assert_one_line_error(cli("run", "--max-memory", size), 2, "must be a size such as 500M or 4G")

    def test_the_estimate_grows_with_the_model_and_shrinks_with_sampling(self):
        small, big = (resources.resources(config.validate({"model": {"hidden_size": h}})) for h in (16, 256))
        assert big.memory > small.memory and big.parameters > 100 * small.parameters
        sampled = resources.resources(config.validate({"check": {"sample": 3}}))
        assert sampled.passes == 4 * 3 * 5 < small.passes


class TestNumericalHazards:
    def test_an_overflowing_forward_pass_fails_and_says_where(self, cli, tmp_path):
        path = tmp_path / "overflow.toml"
        path.write_text("[model]\ninit_std = 1e308\n")
        result = cli("run", path, code=1)
        assert result.stderr == ""
        assert "the loss is nan: the forward pass first goes non-finite at t = 1, in a(t)" in result.stdout
        assert "NaN/inf in" in result.stdout

    def test_a_step_that_cannot_move_theta_is_undecided_not_divided_by(self, cli):
        report = json.loads(cli("run", "--eps", "1e-20", "--params", "b", "--format", "json", code=3).stdout)
        (b,) = report["parameters"]
        assert b["vanished"] > 0 and b["verdict"] == "undecided" and b["failed"] == 0
        table = cli("run", "--eps", "1e-20", "--params", "b", code=3).stdout
        assert "UNDECIDED  cannot decide b: the step cannot move θ (θ + ε == θ)" in table and 'eps = "auto"' in table

    def test_the_complex_step_never_vanishes(self, cli):
        cli("run", "--method", "complex-step", "--eps", "1e-200", code=0)

    def test_single_precision_arrays_warn_and_widen_nothing(self):
        """float32 params warn, are checked at float64 copies, and get exactly the float64 check's limits."""
        w = np.array([0.1, -2.5, 3.0], dtype=np.float32)

        def check(params):
            return check_gradients(lambda p: float(np.sum(p["w"] ** 3)), lambda p: {"w": 3 * p["w"] ** 2}, params)

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            single = check({"w": w})
        assert [(w.category, "float32" in str(w.message)) for w in caught] == [(PrecisionWarning, True)]
        double = check({"w": w.astype(np.float64)})
        assert single.passed and single.params == double.params


class TestOutputAndInterruption:
    def test_a_failed_run_leaves_no_output_file(self, cli, assert_one_line_error, tmp_path):
        out = tmp_path / "r.json"
        bad = tmp_path / "bad.toml"
        bad.write_text("[model]\nhidden_size = -3\n")
        assert_one_line_error(cli("run", bad, "--format", "json", "-o", out), 2, "model.hidden_size: must be ≥ 1")
        assert not out.exists() and list(tmp_path.iterdir()) == [bad]

    def test_output_into_a_directory_is_exit_2(self, cli, assert_one_line_error, tmp_path):
        assert_one_line_error(cli("run", "--format", "json", "-o", tmp_path), 2, "is a directory")
        assert list(tmp_path.iterdir()) == []

    def test_ctrl_c_stops_with_exit_130_and_one_line(self, cli, assert_one_line_error, monkeypatch):
        def interrupted(*args, **kwargs):
            raise KeyboardInterrupt

        monkeypatch.setattr(check, "run", interrupted)
        result = cli("run")
        assert_one_line_error(result, 130, "error: interrupted\n")
        assert result.stdout == ""

    def test_the_console_script_exits_130_on_sigint(self, assert_one_line_error):
        import signal
        import sys
        import time

        script = (
            "import time, gradcheck.check.run as c\n"
            "def slow(*a, **k):\n"
            "    print('started', flush=True)\n"
            "    time.sleep(30)\n"
            "c.run = slow\n"
            "from gradcheck.cli import main\nmain()\n"
        )
        proc = subprocess.Popen([sys.executable, "-c", script, "run"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert proc.stdout is not None and proc.stdout.readline() == "started\n"  # the check is running now
        time.sleep(0.2)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
        assert_one_line_error(subprocess.CompletedProcess(proc.args, proc.returncode, out, err), 130, "error: interrupted\n")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("big.toml", "# " + "x" * 1_100_000 + "\n", "is too large for a config"),
        ("deep.yaml", "model: " + "[" * 3000 + "]" * 3000 + "\n", "nested too deeply to be a config"),
        ("nul.toml", "[model]\x00\n", "binary file, not a config"),
        ("blank.yaml", "   \n\n", "file is empty"),
        ("ctl.yaml", "\x01", "invalid YAML: unacceptable character"),
        ("int-key.yaml", "model:\n  1: 2\n", "keys should be strings, got 1"),
        ("nan.toml", "[model]\ninit_std = nan\n", 'model.init_std: must be "auto" or a number > 0, got nan'),
        ("inf.yaml", "check:\n  atol: .inf\n", "check.atol: must be a finite number, got Infinity"),
        ("bool.toml", "[data]\nseed = true\n", "data.seed: must be an integer, got true"),
        ("float-size.yaml", "model:\n  hidden_size: 16.0\n", "model.hidden_size: must be an integer, got 16.0"),
        ("text-list.toml", '[data]\ntext = ["a", "b"]\n', "data.text: must be a string"),
        ("section-list.yaml", "check: [1, 2]\n", "check: must be a table of keys"),
        ("short-text.toml", '[data]\ntext = "a"\n', 'data.text: string should have at least 2 characters, got "a"'),
        ("dup-table.toml", "[model]\n[model]\n", "invalid TOML: Cannot declare ('model',) twice (a key or table given twice)"),
        ("gaussian-tokens.yaml", "data:\n  inputs: gaussian\n  tokens: [1]\n", 'data.inputs: "gaussian" cannot be combined'),
    ],
)
def test_more_hostile_files(cli, assert_one_line_error, tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content)
    assert_one_line_error(cli("run", path), 2, f"{name}: ", message)
