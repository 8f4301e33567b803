"""Machine-readable reports: JSON against its published schema, JUnit through a real reader, Markdown."""

from __future__ import annotations

import json

import jsonschema
import pytest
from conftest import CONFIGS, ROOT
from junitparser import JUnitXml

from gradcheck.render.formats import REPORT_VERSION, report_schema

SCHEMA_FILE = ROOT / "docs" / f"report-v{REPORT_VERSION}.schema.json"


def test_the_published_schema_is_the_generated_one(cli):
    assert json.loads(SCHEMA_FILE.read_text()) == report_schema()
    assert json.loads(cli("schema", "--report", code=0).stdout) == report_schema()


@pytest.mark.parametrize(
    ("args", "code"),
    [
        ([], 0),
        (["--equations"], 0),
        (["--bug", "truncated-bptt", "--equations"], 1),
        (["--directions", "3"], 0),
        (["--eps", "1e-20"], 3),
    ],
)
def test_json_validates_against_the_schema(cli, args, code):
    report = json.loads(cli("run", "--format", "json", *args, code=code).stdout)
    jsonschema.validate(report, json.loads(SCHEMA_FILE.read_text()))
    assert report["version"] == 2 and report["passed"] is (code == 0)
    assert report["verdict"] == {0: "pass", 1: "fail", 3: "undecided"}[code]
    assert [row["name"] for row in report["parameters"]] == ["U", "W", "V", "b", "c"]


def test_json_is_identical_between_runs_but_for_the_timing(cli):
    """Seeded end to end: two runs of a sampled check give the same report, entry for entry."""
    one, two = (json.loads(cli("run", CONFIGS[0], "--sample", "3", "--format", "json", code=0).stdout) for _ in range(2))
    assert one.pop("timing") != {} and two.pop("timing") != {}
    assert one == two


def test_json_carries_every_column_and_the_failing_entry(cli):
    report = json.loads(cli("run", "--format", "json", "--bug", "h-off-by-one", code=1).stdout)
    assert report["passed"] is False and report["bug"] == "h-off-by-one"
    (w,) = [row for row in report["parameters"] if not row["passed"]]
    assert w["name"] == "W" and w["failed"] > 0 and len(w["worst_index"]) == 2
    assert set(w) >= {"shape", "checked", "max_abs_err", "max_rel_err", "norm_rel_err", "worst_analytic", "worst_numeric"}
    assert report["config"]["check"]["method"] == "central" and report["sizes"] == {"I": 8, "H": 16, "O": 8, "tau": 10}


def test_nonfinite_values_are_null_in_json(cli, corrupt):
    corrupt("c", None, float("nan"))
    report = json.loads(cli("run", "--format", "json", code=1).stdout)
    (c,) = [row for row in report["parameters"] if row["name"] == "c"]
    assert c["worst_analytic"] is None and c["nonfinite"] == 8
    jsonschema.validate(report, report_schema())


def test_junit_parses_with_a_junit_reader_and_agrees_with_the_exit_code(cli, tmp_path):
    out = tmp_path / "report.xml"
    result = cli("run", "--equations", "--bug", "bias-not-summed", "--format", "junit", "-o", out, code=1)
    assert "FAIL" in result.stdout  # the table stays on the terminal
    xml = JUnitXml.fromfile(str(out))
    cases = [case for suite in xml for case in suite]
    assert len(cases) == 5 + 8
    failed = {case.name: case.result[0].message for case in cases if case.result}
    assert set(failed) == {"b", "c", "10.22 c", "10.23 b"}
    assert "worst [" in failed["b"] and "analytic" in failed["b"] and "numeric" in failed["b"]


def test_junit_of_a_clean_run_has_no_failures(cli, tmp_path):
    out = tmp_path / "ok.xml"
    cli("run", "--format", "junit", "-o", out, code=0)
    cases = [case for suite in JUnitXml.fromfile(str(out)) for case in suite]
    assert [case.name for case in cases] == ["U", "W", "V", "b", "c"]
    assert [case.result for case in cases] == [[]] * 5


def test_an_undecided_row_is_a_skipped_junit_case_with_its_reason_and_a_markdown_note(cli, tmp_path):
    out = tmp_path / "undecided.xml"
    cli("run", "--eps", "1e-20", "--params", "W,b", "--format", "junit", "-o", out, code=3)
    (suite,) = JUnitXml.fromfile(str(out))
    assert (suite.tests, suite.failures, suite.skipped) == (2, 0, 2)
    for case in suite:
        (skipped,) = case.result
        assert type(skipped).__name__ == "Skipped" and skipped.message.startswith("undecided: the step cannot move θ")
    markdown = cli("run", "--eps", "1e-20", "--params", "b", "--format", "markdown", code=3).stdout
    assert markdown.startswith("### gradcheck: ❔ UNDECIDED") and "- b: the step cannot move θ" in markdown


def test_markdown_is_a_table_with_the_verdict(cli):
    text = cli("run", "--format", "markdown", code=0).stdout
    lines = text.splitlines()
    assert lines[0] == "### gradcheck: ✅ PASS"
    assert sum(line.startswith("| ") for line in lines) == 2 + 5
    bad = cli("run", "--format", "markdown", "--bug", "sign-flip", code=1).stdout
    assert bad.startswith("### gradcheck: ❌ FAIL") and "**FAIL**" in bad


def test_output_is_written_atomically_and_an_unwritable_path_is_exit_2(cli, assert_one_line_error, tmp_path):
    assert_one_line_error(cli("run", "--format", "json", "-o", tmp_path / "missing" / "r.json"), 2, "cannot write")
    assert list(tmp_path.iterdir()) == []


def test_table_to_a_file_is_plain_text(cli, tmp_path):
    out = tmp_path / "table.txt"
    cli("run", "-o", out, code=0)
    text = out.read_text()
    assert "PASS  all 5 parameter gradients" in text and "\x1b[" not in text


def test_several_configs_run_in_turn_and_the_worst_exit_code_wins(cli, assert_one_line_error, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[model]\nhidden_size = 0\n")
    refused = cli("run", CONFIGS[0], bad)
    assert_one_line_error(refused, 2, "bad.toml: model.hidden_size: must be ≥ 1")
    assert refused.stdout == ""  # every config is validated before any runs
    both = cli("run", CONFIGS[0], ROOT / "configs" / "gaussian.yaml", code=0)
    assert both.stdout.count("PASS  all") == 2
    overflow = tmp_path / "overflow.toml"
    overflow.write_text("[model]\ninit_std = 1e308\n")
    for order in ((CONFIGS[0], overflow), (overflow, CONFIGS[0])):
        mixed = cli("run", *order, code=1)
        assert mixed.stdout.count("PASS  all") == 1 and "the loss is nan" in mixed.stdout
    undecided = tmp_path / "tiny-step.toml"
    undecided.write_text("[check]\neps = 1e-20\n")
    assert "UNDECIDED" in cli("run", CONFIGS[0], undecided, code=3).stdout
    for order in ((undecided, overflow), (overflow, undecided)):
        cli("run", *order, code=1)  # a confirmed failure outweighs a doubt, whatever the order
