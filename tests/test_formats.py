"""Machine-readable reports: JSON against its published schema, JUnit through a real reader, Markdown."""

from __future__ import annotations

import json

import jsonschema
import pytest
from click.testing import CliRunner
from conftest import CONFIGS, ROOT
from junitparser import JUnitXml

from gradcheck.cli import cli
from gradcheck.render.formats import report_schema

SCHEMA_FILE = ROOT / "docs" / "report-v1.schema.json"


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_the_published_schema_is_the_generated_one():
    assert json.loads(SCHEMA_FILE.read_text()) == report_schema()
    assert json.loads(invoke("schema", "--report").stdout) == report_schema()


@pytest.mark.parametrize("args", [[], ["--equations"], ["--bug", "truncated-bptt", "--equations"], ["--directions", "3"]])
def test_json_validates_against_the_schema(args):
    result = invoke("run", "--format", "json", *args)
    report = json.loads(result.stdout)
    jsonschema.validate(report, json.loads(SCHEMA_FILE.read_text()))
    assert report["version"] == 1 and report["passed"] == (result.exit_code == 0)
    assert [row["name"] for row in report["parameters"]] == ["U", "W", "V", "b", "c"]


def test_json_is_identical_between_runs_but_for_the_timing():
    one, two = (json.loads(invoke("run", str(CONFIGS[0]), "--format", "json").stdout) for _ in range(2))
    assert one.pop("timing") != {} and two.pop("timing") != {}
    assert one == two


def test_json_carries_every_column_and_the_failing_entry():
    report = json.loads(invoke("run", "--format", "json", "--bug", "h-off-by-one").stdout)
    assert report["passed"] is False and report["bug"] == "h-off-by-one"
    (w,) = [row for row in report["parameters"] if not row["passed"]]
    assert w["name"] == "W" and w["failed"] > 0 and len(w["worst_index"]) == 2
    assert set(w) >= {"shape", "checked", "max_abs_err", "max_rel_err", "norm_rel_err", "worst_analytic", "worst_numeric"}
    assert report["config"]["check"]["method"] == "central" and report["sizes"] == {"I": 8, "H": 16, "O": 8, "tau": 10}


def test_nonfinite_values_are_null_in_json(corrupt):
    corrupt("c", None, float("nan"))
    result = CliRunner().invoke(cli, ["run", "--format", "json"])
    report = json.loads(result.stdout)
    (c,) = [row for row in report["parameters"] if row["name"] == "c"]
    assert result.exit_code == 1 and c["worst_analytic"] is None and c["nonfinite"] == 8
    jsonschema.validate(report, report_schema())


def test_junit_parses_with_a_junit_reader_and_agrees_with_the_exit_code(tmp_path):
    out = tmp_path / "report.xml"
    result = CliRunner().invoke(cli, ["run", "--equations", "--bug", "bias-not-summed", "--format", "junit", "-o", str(out)])
    assert result.exit_code == 1
    assert "FAIL" in result.stdout  # the table stays on the terminal
    xml = JUnitXml.fromfile(str(out))
    cases = [case for suite in xml for case in suite]
    assert len(cases) == 5 + 8
    failed = {case.name: case.result[0].message for case in cases if case.result}
    assert set(failed) == {"b", "c", "10.22 c", "10.23 b"}
    assert "worst [" in failed["b"] and "analytic" in failed["b"] and "numeric" in failed["b"]


def test_junit_of_a_clean_run_has_no_failures(tmp_path):
    out = tmp_path / "ok.xml"
    assert CliRunner().invoke(cli, ["run", "--format", "junit", "-o", str(out)]).exit_code == 0
    xml = JUnitXml.fromfile(str(out))
    assert sum(len(case.result) for suite in xml for case in suite) == 0


def test_markdown_is_a_table_with_the_verdict():
    text = invoke("run", "--format", "markdown").stdout
    lines = text.splitlines()
    assert lines[0] == "### gradcheck: ✅ PASS"
    assert sum(line.startswith("| ") for line in lines) == 2 + 5
    bad = CliRunner().invoke(cli, ["run", "--format", "markdown", "--bug", "sign-flip"]).stdout
    assert bad.startswith("### gradcheck: ❌ FAIL") and "**FAIL**" in bad


def test_output_is_written_atomically_and_an_unwritable_path_is_exit_2(tmp_path):
    result = CliRunner().invoke(cli, ["run", "--format", "json", "-o", str(tmp_path / "missing" / "r.json")])
    assert result.exit_code == 2 and "cannot write" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_table_to_a_file_is_plain_text(tmp_path):
    out = tmp_path / "table.txt"
    invoke("run", "-o", str(out))
    text = out.read_text()
    assert "PASS  all 5 parameter gradients" in text and "\x1b[" not in text


def test_several_configs_run_in_turn_and_the_worst_exit_code_wins(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[model]\nhidden_size = 0\n")
    assert CliRunner().invoke(cli, ["run", str(CONFIGS[0]), str(bad)]).exit_code == 2
    both = invoke("run", str(CONFIGS[0]), str(ROOT / "configs" / "gaussian.yaml"))
    assert both.exit_code == 0 and both.stdout.count("PASS  all") == 2
