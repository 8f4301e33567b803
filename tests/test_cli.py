"""The command line through CliRunner: exit codes, one-line errors, export."""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pytest
from conftest import CONFIGS, ROOT

from gradcheck.check.loading import load


class TestRun:
    def test_default_passes_with_every_row(self, cli):
        result = cli("run", code=0)
        rows = [line.split()[1] for line in result.stdout.splitlines() if line.startswith("│")]
        assert rows == ["U", "W", "V", "b", "c"]
        assert result.stdout.rstrip().splitlines()[-1].startswith("PASS")
        assert "built-in default" in result.stdout and "\x1b[" not in result.stdout

    @pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
    def test_every_shipped_config_exits_0(self, cli, path):
        result = cli("run", path, code=0)
        assert ("│ h0 " in result.stdout) == (load(path).model.h0.value == "learned")

    def test_toml_and_yaml_give_the_same_table(self, cli):
        def table(name: str) -> list[str]:
            out = cli("run", ROOT / "configs" / name, code=0).stdout
            return [line for line in out.splitlines() if not line.startswith(("config", "run time"))]

        toml = table("default.toml")
        assert sum(line.startswith("│") for line in toml) == 5 and toml == table("default.yaml")

    def test_a_corrupted_gradient_exits_1_naming_parameter_entry_and_values(self, cli, corrupt):
        corrupt("U", (4, 1), 123.0)
        result = cli("run", code=1)
        (row,) = [line for line in result.stdout.splitlines() if line.startswith("│ U ")]
        assert "[4, 1]" in row and "1.23" in row and "e+02" in row and "FAIL" in row
        assert "U (1 of 128 entries, confirmed by the complex step; worst entry [4, 1])" in result.stdout.splitlines()[-1]

    def test_options_override_the_config(self, cli):
        options = ["--method", "forward", "--eps", "1e-7", "--sample", "5", "--params", "W,b", "--seed", "3"]
        result = cli("run", *options, "--rtol", "1e-2", "--atol", "1e-6", code=0)
        assert "forward differences" in result.stdout and "1.00e-07" in result.stdout and "rtol = 0.01" in result.stdout
        rows = [line.split("│")[1:4] for line in result.stdout.splitlines() if line.startswith("│")]
        assert [[c.strip() for c in r] for r in rows] == [["W", "16×16", "5/256"], ["b", "16", "5/16"]]

    def test_a_loose_rtol_cannot_hide_a_nan(self, cli, corrupt):
        corrupt("b", None, np.inf)
        result = cli("run", "--rtol", "1e9", "--atol", "1e9", code=1)
        assert "b (NaN/inf in the gradient at 16 of 16 entries, first at [0])" in result.stdout


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
    ("list.yaml", "- 1\n- 2\n", "list.yaml: must be a mapping with sections model, data, check, user"),
    ("cfg.json", "{}", "cfg.json: unknown config format '.json': use .toml, .yaml or .yml"),
]


class TestUsageErrors:
    @pytest.mark.parametrize(("name", "text", "message"), INVALID_FILES, ids=[case[0] for case in INVALID_FILES])
    def test_invalid_config_files(self, cli, assert_one_line_error, tmp_path, name, text, message):
        path = tmp_path / name
        path.write_text(text)
        assert_one_line_error(cli("run", path), 2, str(tmp_path), message)
        assert_one_line_error(cli("export", path, "-o", tmp_path / "x.npz"), 2, message)
        assert not (tmp_path / "x.npz").exists()

    def test_non_utf8_file(self, cli, assert_one_line_error, tmp_path):
        path = tmp_path / "latin.toml"
        path.write_bytes(b'[data]\ntext = "caf\xe9"\n')
        assert_one_line_error(cli("run", path), 2, "latin.toml: not UTF-8 text (byte 0xe9 at offset 18)")

    def test_missing_file_and_directory(self, cli, assert_one_line_error, tmp_path):
        assert_one_line_error(cli("run", tmp_path / "nope.toml"), 2, "nope.toml: no such file")
        assert_one_line_error(cli("run", tmp_path), 2, "is a directory, not a config file")

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
            (
                ["--method", "backward"],
                "--method (check.method): must be one of 'central', 'forward', 'richardson' or 'complex-step'",
            ),
            (["--methd", "forward"], "No such option '--methd'"),
        ],
    )
    def test_invalid_options(self, cli, assert_one_line_error, args, message):
        assert_one_line_error(cli("run", *args), 2, message)

    def test_unknown_command(self, cli, assert_one_line_error):
        assert_one_line_error(cli("frobnicate"), 2, "No such command 'frobnicate'")

    def test_export_needs_an_output(self, cli, assert_one_line_error):
        assert_one_line_error(cli("export"), 2, "Missing option '-o' / '--output'")

    def test_export_to_an_unwritable_place(self, cli, assert_one_line_error, tmp_path):
        assert_one_line_error(cli("export", "-o", tmp_path / "no" / "such" / "dir.npz"), 2, "cannot write")


class TestExport:
    def test_keys_shapes_and_values_match_an_independent_autodiff(self, cli, assert_matches_autograd, tmp_path):
        out = tmp_path / "g.npz"
        result = cli("export", ROOT / "configs" / "hello.toml", "-o", out, code=0)
        assert result.stdout == f"wrote 20 arrays to {out}\n"
        with np.load(out) as npz:
            arrays = dict(npz)
        params = ["U", "V", "W", "b", "c", "h0"]
        expected = {*params, "x", "y", "loss", *(f"grad_{p}" for p in params), "o", "h", "y_hat", "grad_o", "grad_h"}
        assert set(arrays) == expected
        softmax = np.exp(arrays["o"]) / np.exp(arrays["o"]).sum(axis=1, keepdims=True)
        np.testing.assert_allclose(softmax, arrays["y_hat"], rtol=1e-13)  # ŷ(t) = softmax o(t) (10.11)
        _tau, H = arrays["h"].shape
        O, I = arrays["y_hat"].shape[1], arrays["x"].shape[1]
        assert (arrays["U"].shape, arrays["W"].shape, arrays["V"].shape) == ((H, I), (H, H), (O, H))
        assert arrays["y"].dtype == np.int64 and arrays["loss"].shape == ()
        assert all(arrays[k].dtype == np.float64 for k in expected - {"y"})
        assert_matches_autograd(arrays)

    def test_grad_h0_only_when_h0_is_learned(self, cli, tmp_path):
        out = tmp_path / "d.npz"
        cli("export", "-o", out, code=0)
        with np.load(out) as npz:
            assert "h0" in npz and "grad_h0" not in npz
            np.testing.assert_array_equal(npz["h0"], np.zeros(16))


class TestMeta:
    def test_version(self, cli):
        from gradcheck import __version__

        assert re.fullmatch(r"\d+\.\d+\.\d+\S*", __version__)
        assert cli("--version", code=0).stdout == f"gradcheck, version {__version__}\n"

    def test_help_shows_examples_and_exit_codes(self, cli):
        result = cli("run", "--help", code=0)
        assert "gradcheck run configs/hello.toml" in result.stdout and "Exit codes" in result.stdout

    def test_python_dash_m(self):
        out = subprocess.run([sys.executable, "-m", "gradcheck", "run", "--sample", "3"], capture_output=True, text=True)
        assert out.returncode == 0 and "PASS  all 5 parameter gradients" in out.stdout

    def test_console_script_reports_errors_in_one_line(self, assert_one_line_error, tmp_path):
        script = ROOT / ".venv" / "bin" / "gradcheck"
        if not script.exists():
            pytest.skip("console script not installed in .venv")
        out = subprocess.run([str(script), "run", str(tmp_path / "x.toml")], capture_output=True, text=True)
        assert_one_line_error(out, 2, "x.toml: no such file")


class TestTaylorAndProgress:
    def test_taylor_exits_0_on_right_gradients_and_1_on_a_bug(self, cli):
        assert "PASS  every remainder shrinks as ε²" in cli("taylor", code=0).stdout
        bad = cli("taylor", "--bug", "h-off-by-one", code=1)
        assert "first-order remainder (a wrong gradient): W" in bad.stdout

    def test_no_progress_bar_when_stderr_is_not_a_terminal(self, cli):
        result = cli("run", ROOT / "configs" / "minchar.toml", "--sample", "20", code=0)
        assert result.stderr == ""

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
    def test_methods_from_the_command_line(self, cli, method):
        result = cli("run", "--method", method, "--equations", code=0)
        assert "auto: |a − n| ≤ the method's error bound" in result.stdout


class TestInitSchemaSweep:
    @pytest.mark.parametrize("name", ["gradcheck.toml", "starter.yaml"])
    def test_init_writes_a_starter_that_runs_and_passes(self, cli, tmp_path, name):
        path = tmp_path / name
        cli("init", path, code=0)
        cli("run", path, code=0)
        assert load(path) == load(ROOT / "configs" / "default.toml")
        text = path.read_text()
        assert "# seed of every random draw" in text and "directions" in text

    def test_init_refuses_to_overwrite_without_force(self, cli, assert_one_line_error, tmp_path):
        path = tmp_path / "g.toml"
        path.write_text("# mine\n")
        assert_one_line_error(cli("init", path), 2, "exists; use --force to overwrite")
        assert path.read_text() == "# mine\n"
        cli("init", path, "--force", code=0)
        assert path.read_text() != "# mine\n"

    def test_the_schema_accepts_every_config_and_rejects_a_misspelt_key(self, cli):
        import json
        import tomllib

        import jsonschema
        import yaml

        schema = json.loads(cli("schema", code=0).stdout)
        jsonschema.Draft202012Validator.check_schema(schema)
        for path in CONFIGS:
            text = path.read_text()
            data = tomllib.loads(text) if path.suffix == ".toml" else yaml.safe_load(text)
            jsonschema.validate(data, schema)
        with pytest.raises(jsonschema.ValidationError, match="hiden_size"):
            jsonschema.validate({"model": {"hiden_size": 4}}, schema)
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate({"check": {"eps": -1}}, schema)

    def test_sweep_prints_the_v_and_draws_it(self, cli, tmp_path):
        png = tmp_path / "sweep.png"
        result = cli("sweep", "--methods", "central,forward", "--params", "W,c", "--plot", png, code=0)
        assert png.stat().st_size > 10_000 and png.read_bytes()[:4] == b"\x89PNG"
        auto_rows = [line for line in result.stdout.splitlines() if line.startswith("│") and "◀ auto" in line]
        assert [row.split("│")[1].strip() for row in auto_rows] == ["1.0e-05", "1.0e-08"]
        assert result.stdout.count("●") >= 4

    def test_sweep_errors(self, cli, assert_one_line_error, tmp_path):
        methods = "'--methods': 'backward' is not one of central, forward"
        assert_one_line_error(cli("sweep", "--methods", "backward"), 2, methods)
        assert_one_line_error(cli("sweep", "--methods", "central", "--plot", tmp_path / "x.pdf"), 2, "use a .png or .svg")

    def test_sweep_without_matplotlib_says_how_to_get_it(self, cli, assert_one_line_error, monkeypatch, tmp_path):
        import builtins

        real_import = builtins.__import__

        def no_matplotlib(name, *args, **kwargs):
            if name.startswith("matplotlib"):
                raise ImportError(name)
            return real_import(name, *args, **kwargs)

        monkeypatch.setattr(builtins, "__import__", no_matplotlib)
        result = cli("sweep", "--methods", "central", "--params", "c", "--plot", tmp_path / "s.png")
        assert_one_line_error(result, 2, "pip install 'gradcheck[plot]'")
        assert not (tmp_path / "s.png").exists()


class TestAdoption:
    def test_the_pre_commit_hook_command_runs_on_matching_files(self, cli):
        import shlex

        import yaml

        (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
        assert re.search(hook["files"], "configs/default.toml") and not re.search(hook["files"], "src/model.py")
        command = shlex.split(hook["entry"])
        assert command[0] == "gradcheck"
        ok = cli(*command[1:], ROOT / "configs" / "default.toml", ROOT / "configs" / "gaussian.yaml", code=0)
        assert ok.stdout.count("PASS  all") == 2
