"""Reports at their edges: a non-finite loss, sampling that leaves an equation without entries, a path with
backticks, a tolerance that hides a bug."""

from __future__ import annotations

import json

import jsonschema
from conftest import ROOT


def test_a_non_finite_loss_is_null_in_json_and_the_report_keeps_its_schema(cli, tmp_path):
    path = tmp_path / "overflow.toml"
    path.write_text("[model]\ninit_std = 1e308\n")
    report = json.loads(cli("run", path, "--format", "json", code=1).stdout)
    assert report["loss"] is None and report["verdict"] == "fail"
    jsonschema.validate(report, json.loads((ROOT / "docs" / "report-v2.schema.json").read_text()))


def test_an_equation_left_without_entries_by_sampling_is_not_reported_as_a_pass(cli):
    report = json.loads(cli("run", "--sample", "3", "--equations", "--format", "json", code=0).stdout)
    equations = {row["equation"]: row["checked"] for row in report["equations"]}
    assert "10.19" not in equations and all(checked > 0 for checked in equations.values())


def test_a_path_with_backticks_stays_one_markdown_code_span(cli, tmp_path):
    path = tmp_path / "we`ird``name.toml"
    path.write_text("[check]\nsample = 2\n")
    line = cli("run", path, "--format", "markdown", code=0).stdout.splitlines()[2]
    assert line.startswith(f"``` {path} ``` · I = 8")


def test_a_tolerance_that_hides_a_bug_says_what_did_not_fail(cli):
    out = cli("run", "--bug", "sign-flip", "--atol", "1e9", code=0).stdout
    assert out.rstrip().splitlines()[-1] == "NOT as predicted: sign-flip should fail U, V, W, b, c, which did not fail here"
    assert "PASS" in out  # the user's fixed tolerance is the pass line, for the confirming estimate too


def test_a_narrow_terminal_drops_columns_rather_than_split_a_number(monkeypatch):
    import io
    import re

    from rich.console import Console

    from gradcheck.check import config
    from gradcheck.check.run import run
    from gradcheck.render.reports import run_report

    result = run(config.validate({"check": {"equations": True}}))
    wide = Console(file=io.StringIO(), width=160, color_system=None)
    wide.print(run_report(result, "x"))
    numbers = set(re.findall(r"-?\d\.\d+e[+-]\d\d", wide.file.getvalue()))  # type: ignore[attr-defined]
    for width in (120, 100, 80, 60):
        narrow = Console(file=io.StringIO(), width=width, color_system=None)
        narrow.print(run_report(result, "x"))
        text = narrow.file.getvalue()  # type: ignore[attr-defined]
        rows = [line for line in text.splitlines() if line.startswith("│")]
        assert rows and all(len(line) <= width for line in rows), width
        shown = re.findall(r"-?\d\.\d+e[+-]\d\d", " ".join(rows))
        assert shown and set(shown) <= numbers, width  # every number whole, none cut or split
        assert all("PASS" in line for line in rows if line.startswith("│ U ")), width  # the verdict column stays
        assert "…" not in " ".join(rows), width


def test_a_terminal_width_of_zero_still_shows_the_report(cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "0")
    out = cli("run", code=0).stdout
    assert out.count("│ ") >= 5 * 12 and "PASS  all 5 parameter gradients" in out
