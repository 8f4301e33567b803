"""The command line through CliRunner: exit codes, one-line errors, export."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import CONFIGS, ROOT
from test_rnn import assert_rel_close, autograd_oracle

from gradcheck.cli import cli
from gradcheck.check.config import load


def invoke(*args: str, **kwargs):
    return CliRunner().invoke(cli, list(args), **kwargs)


def assert_usage_error(result, *fragments: str) -> None:
    """Exit 2, exactly one line on stderr containing every fragment, no traceback."""
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.output + result.stderr
    for fragment in fragments:
        assert fragment in result.stderr


class TestRun:
    def test_default_passes_with_every_row(self):
        result = invoke("run", catch_exceptions=False)
        assert result.exit_code == 0
        rows = [line.split()[1] for line in result.stdout.splitlines() if line.startswith("│")]
        assert rows == ["U", "W", "V", "b", "c"]
        assert result.stdout.rstrip().splitlines()[-1].startswith("PASS")
        assert "built-in default" in result.stdout and "\x1b[" not in result.stdout

    @pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
    def test_every_shipped_config_exits_0(self, path):
        result = invoke("run", str(path), catch_exceptions=False)
        assert result.exit_code == 0, result.stdout
        assert ("│ h0 " in result.stdout) == (load(path).model.h0.value == "learned")

    def test_toml_and_yaml_give_the_same_table(self):
        def table(name: str) -> list[str]:
            out = invoke("run", str(ROOT / "configs" / name)).stdout
            return [line for line in out.splitlines() if not line.startswith(("config", "run time"))]

        assert table("default.toml") == table("default.yaml")

    def test_a_corrupted_gradient_exits_1_naming_parameter_entry_and_values(self, corrupt):
        corrupt("U", (4, 1), 123.0)
        result = invoke("run", catch_exceptions=False)
        assert result.exit_code == 1
        (row,) = [line for line in result.stdout.splitlines() if line.startswith("│ U ")]
        assert "[4, 1]" in row and "1.23" in row and "e+02" in row and "FAIL" in row
        assert "U (1 of 128 entries; worst entry [4, 1])" in result.stdout.splitlines()[-1]

    def test_options_override_the_config(self):
        result = invoke(
            "run",
            "--method",
            "forward",
            "--eps",
            "1e-7",
            "--sample",
            "5",
            "--params",
            "W,b",
            "--seed",
            "3",
            "--rtol",
            "1e-2",
            "--atol",
            "1e-6",
            catch_exceptions=False,
        )
        assert result.exit_code == 0, result.stdout
        assert "forward differences" in result.stdout and "1.00e-07" in result.stdout and "rtol = 0.01" in result.stdout
        rows = [line.split("│")[1:4] for line in result.stdout.splitlines() if line.startswith("│")]
        assert [[c.strip() for c in r] for r in rows] == [["W", "16×16", "5/256"], ["b", "16", "5/16"]]

    def test_a_loose_rtol_cannot_hide_a_nan(self, corrupt):
        corrupt("b", None, np.inf)
        result = invoke("run", "--rtol", "1e9", "--atol", "1e9")
        assert result.exit_code == 1
        assert "b (NaN/inf in 16 of 16 entries, first at [0])" in result.stdout


INVALID_FILES = [
    ("typo.toml", "[model]\nhiden_size = 4\n", "typo.toml: model.hiden_size: unknown key; did you mean 'hidden_size'?"),
    ("zero.toml", "[model]\nhidden_size = 0\n", "zero.toml: model.hidden_size: must be ≥ 1, got 0"),
    ("type.yaml", "model:\n  hidden_size: big\n", 'type.yaml: model.hidden_size: must be an integer, got "big"'),
    ("eps.toml", "[check]\neps = -1e-6\n", 'eps.toml: check.eps: must be "auto" or a number > 0, got -1e-06'),
    ("eps0.yaml", "check:\n  eps: 0\n", 'eps0.yaml: check.eps: must be "auto" or a number > 0, got 0'),
    ("bad.toml", "[model\nhidden_size = 4\n", "bad.toml: line 1, column 7: invalid TOML: Expected ']'"),
    ("bad.yaml", "model:\n  hidden_size: [1\n", "bad.yaml: line 3, column 1: invalid YAML:"),
    ("range.toml", "[data]\ntokens = [1, 2, 9]\ntargets = [1, 2, 3]\n", "range.toml: data.tokens: 9 is out of range"),
    ("lengths.yaml", "data:\n  tokens: [1, 2]\n  targets: [1, 2, 3]\n", "lengths.yaml: data.targets: has 3 entries"),
    ("empty.toml", "", "empty.toml: file is empty"),
    ("evil.yaml", "!!python/object/apply:os.system [ls]\n", "evil.yaml: line 1, column 1: YAML tags that build Python objects"),
    ("docs.yaml", "model: {}\n---\ndata: {}\n", "docs.yaml: line 2, column 1: a config is one YAML document"),
    (
        "dup.toml",
        "[data]\nseed = 1\nseed = 2\n",
        "dup.toml: line 3, column 9: invalid TOML: Cannot overwrite a value (a key or table given twice)",
    ),
    ("list.yaml", "- 1\n- 2\n", "list.yaml: must be a mapping with sections model, data, check"),
    ("cfg.json", "{}", "cfg.json: unknown config format '.json': use .toml, .yaml or .yml"),
]


class TestUsageErrors:
    @pytest.mark.parametrize(("name", "text", "message"), INVALID_FILES, ids=[case[0] for case in INVALID_FILES])
    def test_invalid_config_files(self, tmp_path, name, text, message):
        path = tmp_path / name
        path.write_text(text)
        assert_usage_error(invoke("run", str(path)), str(tmp_path), message)
        assert_usage_error(invoke("export", str(path), "-o", str(tmp_path / "x.npz")), message)
        assert not (tmp_path / "x.npz").exists()

    def test_non_utf8_file(self, tmp_path):
        path = tmp_path / "latin.toml"
        path.write_bytes(b'[data]\ntext = "caf\xe9"\n')
        assert_usage_error(invoke("run", str(path)), "latin.toml: not UTF-8 text (byte 0xe9 at offset 18)")

    def test_missing_file_and_directory(self, tmp_path):
        assert_usage_error(invoke("run", str(tmp_path / "nope.toml")), "nope.toml: no such file")
        assert_usage_error(invoke("run", str(tmp_path)), "is a directory, not a config file")

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (["--eps", "tiny"], '--eps (check.eps): must be "auto" or a number > 0, got "tiny"'),
            (["--eps", "-1"], '--eps (check.eps): must be "auto" or a number > 0, got -1'),
            (["--sample", "0"], '--sample (check.sample): must be "all" or an integer ≥ 1, got 0'),
            (["--rtol", "-1"], "--rtol (check.rtol): must be ≥ 0.0, got -1"),
            (["--seed", "-4"], "--seed (data.seed): must be ≥ 0, got -4"),
            (["--seed", "x"], '--seed (data.seed): must be an integer, got "x"'),
            (["--params", "W,Q"], "--params (check.params[1]): must be one of 'U', 'W', 'V', 'b', 'c' or 'h0', got \"Q\""),
            (["--params", "h0"], '--params (check.params): h0 can be checked only when model.h0 = "learned"'),
            (["--method", "backward"], "--method (check.method): must be one of 'central', 'forward', 'richardson' or 'complex-step'"),
            (["--methd", "forward"], "No such option '--methd'"),
        ],
    )
    def test_invalid_options(self, args, message):
        assert_usage_error(invoke("run", *args), message)

    def test_unknown_command(self):
        assert_usage_error(invoke("frobnicate"), "No such command 'frobnicate'")

    def test_export_needs_an_output(self):
        assert_usage_error(invoke("export"), "Missing option '-o' / '--output'")

    def test_export_to_an_unwritable_place(self, tmp_path):
        assert_usage_error(invoke("export", "-o", str(tmp_path / "no" / "such" / "dir.npz")), "cannot write")


class TestExport:
    def test_keys_shapes_and_values_match_an_independent_autodiff(self, tmp_path):
        out = tmp_path / "g.npz"
        result = invoke("export", str(ROOT / "configs" / "hello.toml"), "-o", str(out), catch_exceptions=False)
        assert result.exit_code == 0 and str(out) in result.stdout
        with np.load(out) as npz:
            arrays = dict(npz)
        params = ["U", "V", "W", "b", "c", "h0"]
        expected = {*params, "x", "y", "loss", *(f"grad_{p}" for p in params), "h", "y_hat", "grad_o", "grad_h"}
        assert set(arrays) == expected
        _tau, H = arrays["h"].shape
        O, I = arrays["y_hat"].shape[1], arrays["x"].shape[1]
        assert (arrays["U"].shape, arrays["W"].shape, arrays["V"].shape) == ((H, I), (H, H), (O, H))
        assert arrays["y"].dtype == np.int64 and arrays["loss"].shape == ()
        assert all(arrays[k].dtype == np.float64 for k in expected - {"y"})
        oracle = autograd_oracle(arrays)
        assert_rel_close(arrays["loss"], oracle["loss"])
        for p in params:
            assert_rel_close(arrays[f"grad_{p}"], oracle[p])
        assert_rel_close(arrays["grad_o"], oracle["do"])
        assert_rel_close(arrays["grad_h"], oracle["dh"])

    def test_grad_h0_only_when_h0_is_learned(self, tmp_path):
        out = tmp_path / "d.npz"
        assert invoke("export", "-o", str(out)).exit_code == 0
        with np.load(out) as npz:
            assert "h0" in npz and "grad_h0" not in npz
            np.testing.assert_array_equal(npz["h0"], np.zeros(16))


class TestMeta:
    def test_version(self):
        from gradcheck import __version__

        result = invoke("--version")
        assert result.exit_code == 0 and __version__ in result.stdout

    def test_help_shows_examples_and_exit_codes(self):
        result = invoke("run", "--help")
        assert result.exit_code == 0
        assert "gradcheck run configs/hello.toml" in result.stdout and "Exit codes" in result.stdout

    def test_python_dash_m(self):
        out = subprocess.run([sys.executable, "-m", "gradcheck", "run", "--sample", "3"], capture_output=True, text=True)
        assert out.returncode == 0 and "PASS" in out.stdout

    def test_console_script_reports_errors_in_one_line(self, tmp_path):
        script = ROOT / ".venv" / "bin" / "gradcheck"
        if not script.exists():
            pytest.skip("console script not installed in .venv")
        out = subprocess.run([str(script), "run", str(tmp_path / "x.toml")], capture_output=True, text=True)
        assert out.returncode == 2 and out.stderr.count("\n") == 1 and "no such file" in out.stderr


class TestTaylorAndProgress:
    def test_taylor_exits_0_on_right_gradients_and_1_on_a_bug(self):
        ok = invoke("taylor", catch_exceptions=False)
        assert ok.exit_code == 0 and "PASS  every remainder shrinks as ε²" in ok.stdout
        bad = invoke("taylor", "--bug", "h-off-by-one", catch_exceptions=False)
        assert bad.exit_code == 1 and "first-order remainder (a wrong gradient): W" in bad.stdout

    def test_no_progress_bar_when_stderr_is_not_a_terminal(self):
        result = invoke("run", str(ROOT / "configs" / "minchar.toml"), "--sample", "20", catch_exceptions=False)
        assert result.exit_code == 0 and result.stderr == ""

    def test_the_progress_bar_appears_after_its_delay(self):
        import io

        from rich.console import Console

        from gradcheck.render.console import LazyProgress

        out = io.StringIO()
        bar = LazyProgress(Console(file=out, force_terminal=True, width=80), delay=0.0)
        bar("W", 1, 5)
        bar("done", 5, 5)
        bar.close()
        assert "estimating" in out.getvalue()
        quiet = io.StringIO()
        late = LazyProgress(Console(file=quiet, force_terminal=True, width=80), delay=60.0)
        late("W", 1, 5)
        late.close()
        assert quiet.getvalue() == ""

    @pytest.mark.parametrize("method", ["richardson", "complex-step"])
    def test_methods_from_the_command_line(self, method):
        result = invoke("run", "--method", method, "--equations", catch_exceptions=False)
        assert result.exit_code == 0 and "auto: |a − n| ≤ the method's error bound" in result.stdout


class TestInitSchemaSweep:
    @pytest.mark.parametrize("name", ["gradcheck.toml", "starter.yaml"])
    def test_init_writes_a_starter_that_runs_and_passes(self, tmp_path, name):
        path = tmp_path / name
        result = invoke("init", str(path))
        assert result.exit_code == 0 and path.exists()
        assert invoke("run", str(path)).exit_code == 0
        assert load(path) == load(ROOT / "configs" / "default.toml")
        text = path.read_text()
        assert "# seed of every random draw" in text and "directions" in text

    def test_init_refuses_to_overwrite_without_force(self, tmp_path):
        path = tmp_path / "g.toml"
        path.write_text("# mine\n")
        assert_usage_error(invoke("init", str(path)), "exists; use --force to overwrite")
        assert path.read_text() == "# mine\n"
        assert invoke("init", str(path), "--force").exit_code == 0 and path.read_text() != "# mine\n"

    def test_the_schema_accepts_every_config_and_rejects_a_misspelt_key(self):
        import json
        import tomllib

        import jsonschema
        import yaml

        schema = json.loads(invoke("schema").stdout)
        jsonschema.Draft202012Validator.check_schema(schema)
        for path in CONFIGS:
            text = path.read_text()
            data = tomllib.loads(text) if path.suffix == ".toml" else yaml.safe_load(text)
            jsonschema.validate(data, schema)
        with pytest.raises(jsonschema.ValidationError, match="hiden_size"):
            jsonschema.validate({"model": {"hiden_size": 4}}, schema)
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate({"check": {"eps": -1}}, schema)

    def test_sweep_prints_the_v_and_draws_it(self, tmp_path):
        png = tmp_path / "sweep.png"
        result = invoke("sweep", "--methods", "central,forward", "--params", "W,c", "--plot", str(png))
        assert result.exit_code == 0 and png.stat().st_size > 10_000 and png.read_bytes()[:4] == b"\x89PNG"
        auto_rows = [line for line in result.stdout.splitlines() if line.startswith("│") and "◀ auto" in line]
        assert [row.split("│")[1].strip() for row in auto_rows] == ["1.0e-05", "1.0e-08"]
        assert result.stdout.count("●") >= 4

    def test_sweep_errors(self, tmp_path):
        assert_usage_error(invoke("sweep", "--methods", "backward"), "'--methods': 'backward' is not one of central, forward")
        assert_usage_error(invoke("sweep", "--methods", "central", "--plot", str(tmp_path / "x.pdf")), "use a .png or .svg")

    def test_sweep_without_matplotlib_says_how_to_get_it(self, monkeypatch, tmp_path):
        import builtins

        real_import = builtins.__import__

        def no_matplotlib(name, *args, **kwargs):
            if name.startswith("matplotlib"):
                raise ImportError(name)
            return real_import(name, *args, **kwargs)

        monkeypatch.setattr(builtins, "__import__", no_matplotlib)
        result = invoke("sweep", "--methods", "central", "--params", "c", "--plot", str(tmp_path / "s.png"))
        assert_usage_error(result, "pip install 'gradcheck[plot]'")


class TestAdoption:
    def test_the_pre_commit_hook_command_runs_on_matching_files(self, tmp_path):
        import re
        import shlex

        import yaml

        (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
        assert re.search(hook["files"], "configs/default.toml") and not re.search(hook["files"], "src/model.py")
        command = shlex.split(hook["entry"])
        assert command[0] == "gradcheck"
        ok = invoke(*command[1:], str(ROOT / "configs" / "default.toml"), str(ROOT / "configs" / "gaussian.yaml"))
        assert ok.exit_code == 0

    def test_the_readme_ci_commands_run(self, tmp_path, monkeypatch):
        """Every `gradcheck …` command in the README's GitHub Actions block runs and exits 0."""
        import shlex

        readme = (ROOT / "README.md").read_text()
        block = readme.split("```yaml\n# .github/workflows/gradcheck.yml")[1].split("```")[0]
        commands = [line.split("run: ", 1)[1] for line in block.splitlines() if "run: gradcheck" in line]
        assert len(commands) >= 2
        monkeypatch.chdir(ROOT)
        for line in commands:
            argv = shlex.split(line.split(">>")[0].replace("$GITHUB_STEP_SUMMARY", str(tmp_path / "summary.md")))
            argv = [arg if not arg.endswith(".xml") else str(tmp_path / arg) for arg in argv]
            result = CliRunner().invoke(cli, argv[1:], catch_exceptions=False)
            assert result.exit_code == 0, line
