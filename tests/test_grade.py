"""`gradcheck grade`: many submissions against one problem, one row each, whatever each submission does."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import ROOT

pytestmark = pytest.mark.slow  # every test runs submissions in real child processes

GRADE = ROOT / "tests" / "usercode" / "grade"
MIX = ("correct.py", "untransposed.py", "crashes.py", "raises.py", "hangs.py", "wrong_type.py", "todo.py")
EXPECTED = {  # file: (verdict, failing, mistake, failure)
    "correct.py": ("pass", [], None, None),
    "untransposed.py": ("fail", ["U", "W", "b"], "untransposed-W", None),
    "crashes.py": ("error", [], None, "crash"),
    "raises.py": ("error", [], None, "exception"),
    "hangs.py": ("error", [], None, "timeout"),
    "wrong_type.py": ("error", [], None, "usage"),
    "todo.py": ("error", [], None, "not-implemented"),
}


@pytest.fixture(scope="module")
def mix(tmp_path_factory, cli):
    """The mixed submissions graded once per format (a 1 s timeout for the one that hangs): {format: stdout}."""
    folder = tmp_path_factory.mktemp("mix")
    for name in MIX:
        shutil.copy(GRADE / name, folder / name)
    files = [folder / name for name in MIX]
    outputs = {}
    for fmt in ("json", "junit", "csv", "table"):
        result = cli("grade", *files, "--timeout", "1", "--format", fmt)
        assert result.exit_code == 1, result.stdout + result.stderr  # a FAIL outweighs the ERROR rows
        outputs[fmt] = result.stdout
    return outputs


def test_every_submission_gets_its_own_verdict_whatever_the_others_do(mix):
    report = json.loads(mix["json"])
    rows = {Path(s["file"]).name: s for s in report["submissions"]}
    assert list(rows) == list(MIX)  # every one, in the order given, though two ran at a time
    for name, (verdict, failing, mistake, failure) in EXPECTED.items():
        row = rows[name]
        assert (row["verdict"], row["failing"], row["mistake"], row["failure"]) == (verdict, failing, mistake, failure), name
    assert "not implemented yet" in rows["todo.py"]["error"]
    assert "did not finish within 1 s" in rows["hangs.py"]["error"]
    assert rows["correct.py"]["parameters"] and all(p["passed"] for p in rows["correct.py"]["parameters"])
    assert report["verdict"] == "fail"
    assert report["counts"] == {"pass": 1, "fail": 1, "undecided": 0, "error": 5}


def test_junit_has_one_testsuite_per_submission(mix):
    suites = ET.fromstring(mix["junit"].split("\n", 1)[1])
    assert suites.tag == "testsuites"
    by_name = {Path(suite.get("name", "")).name: suite for suite in suites.findall("testsuite")}
    assert list(by_name) == list(MIX)
    wrong = by_name["untransposed.py"]
    failed = [case.get("name") for case in wrong.iter("testcase") if case.find("failure") is not None]
    assert failed == ["U", "W", "b"] and wrong.get("failures") == "3"
    assert [suite.find("testcase/error") is not None for suite in by_name.values()] == [
        EXPECTED[name][0] == "error" for name in MIX
    ]
    assert by_name["hangs.py"].find("testcase/error").get("type") == "timeout"
    assert suites.get("errors") == "5" and suites.get("failures") == "3"


def test_csv_has_a_header_and_a_row_per_submission(mix):
    rows = list(csv.DictReader(io.StringIO(mix["csv"])))
    assert [Path(row["file"]).name for row in rows] == list(MIX)
    assert {Path(r["file"]).name: r["verdict"] for r in rows} == {n: e[0].upper() for n, e in EXPECTED.items()}
    wrong = next(row for row in rows if row["file"].endswith("untransposed.py"))
    assert (wrong["failing"], wrong["mistake"]) == ("U W b", "untransposed-W")
    assert "exactly what you get with W instead of Wᵀ" in wrong["diagnosis"]  # commas inside, quoted by csv


def test_the_table_names_each_verdict_and_mistake(mix):
    table = mix["table"]
    for name in MIX:
        line = next(line for line in table.splitlines() if name in line and "│" in line)
        assert EXPECTED[name][0].upper() in line, line
    assert "untransposed-W" in table and "not implemented yet" in table and "timed out" in table
    assert "1 PASS, 1 FAIL, 5 ERROR" in table


@pytest.mark.parametrize(
    ("files", "code"),
    [
        (("correct.py",), 0),
        (("correct.py", "todo.py"), 2),  # could not be run, none failed
        (("correct.py", "untransposed.py", "todo.py"), 1),  # a confirmed failure outweighs
    ],
)
def test_exit_codes(cli, files, code):
    cli("grade", *(GRADE / name for name in files), code=code)


def test_forward_compares_each_loss_with_the_books(cli):
    result = cli("grade", GRADE / "correct.py", GRADE / "bits.py", "--forward", "--format", "json", code=1)
    rows = {Path(s["file"]).name: s for s in json.loads(result.stdout)["submissions"]}
    assert rows["correct.py"]["verdict"] == "pass" and rows["correct.py"]["forward"]["agrees"]
    assert (rows["bits.py"]["failing"], rows["bits.py"]["mistake"]) == (["forward"], "bits-vs-nats")
    assert all(p["passed"] for p in rows["bits.py"]["parameters"])  # its backward is right: only the forward fails


def test_bad_input_is_one_line_before_any_submission_runs(cli, assert_one_line_error, tmp_path):
    started = tmp_path / "started"
    marker = tmp_path / "marks.py"
    marker.write_text(f"open({str(started)!r}, 'w').close()\n\ndef backward(**kw):\n    raise NotImplementedError\n")
    assert_one_line_error(cli("grade", marker, tmp_path / "gone.py"), 2, "gone.py: no such file")
    assert_one_line_error(cli("grade", marker, "--config", tmp_path / "none.toml"), 2, "none.toml")
    assert_one_line_error(cli("grade", marker, "--layout", "keras"), 2, "--layout")
    assert_one_line_error(cli("grade", marker, "--function", "not a name"), 2, "--function")
    assert not started.exists()
    assert_one_line_error(cli("grade"), 2, "SUBMISSION")


def test_the_output_is_written_whole_and_never_over_an_input(cli, assert_one_line_error, tmp_path):
    submission = tmp_path / "s.py"
    shutil.copy(GRADE / "correct.py", submission)
    before = submission.read_bytes()
    result = cli("grade", submission, "--format", "csv", "-o", submission)
    assert_one_line_error(result, 2, "is the submission", "refusing to overwrite")
    assert submission.read_bytes() == before
    config = tmp_path / "c.toml"
    config.write_text("[data]\nseed = 3\n")
    assert_one_line_error(cli("grade", submission, "--config", config, "-o", config), 2, "refusing to overwrite")
    out = tmp_path / "grades.xml"
    cli("grade", submission, "--config", config, "--format", "junit", "-o", out, code=0)
    assert ET.parse(out).getroot().find("testsuite").get("name").endswith("s.py")


def test_odd_file_names_still_make_valid_xml_and_csv(cli, tmp_path):
    odd = tmp_path / 'a "b" <c> & d,\x01 é.py'
    shutil.copy(GRADE / "correct.py", odd)
    suites = ET.fromstring(cli("grade", odd, "--format", "junit", code=0).stdout.split("\n", 1)[1])
    assert suites.find("testsuite").get("name").endswith('a "b" <c> & d,\ufffd é.py')
    rows = list(csv.reader(io.StringIO(cli("grade", odd, "--format", "csv", code=0).stdout)))
    assert len(rows) == 2 and rows[1][0] == str(odd)


def test_a_narrow_terminal_keeps_the_verdicts(cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "50")
    result = cli("grade", GRADE / "correct.py", GRADE / "untransposed.py", code=1)
    lines = result.stdout.splitlines()
    assert max(map(len, lines)) <= 50
    assert any("PASS" in line for line in lines if "│" in line) and any("FAIL" in line for line in lines if "│" in line)


def test_a_layout_the_config_cannot_feed_is_refused(cli, assert_one_line_error, tmp_path):
    config = tmp_path / "g.toml"
    config.write_text('[data]\ninputs = "gaussian"\n')
    result = cli("grade", GRADE / "correct.py", "--config", config, "--layout", "min-char-rnn")
    assert_one_line_error(result, 2, "g.toml", "min-char-rnn reads token ids")


def _processes_in(folder: Path) -> list[int]:
    """Processes whose working folder is `folder` (a sandbox child runs in its submission's folder)."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if Path(os.readlink(proc / "cwd")) == folder:
                found.append(int(proc.name))
        except OSError:
            continue
    return found


@pytest.mark.parametrize("running", [1, 2], ids=["while-the-first-imports", "two-running"])
def test_sigterm_ends_the_running_submissions_at_once(tmp_path, running):
    """SIGTERM as soon as `running` children exist (with 1, most often while a child is still importing the file)."""
    for k in range(3):
        shutil.copy(GRADE / "hangs.py", tmp_path / f"hangs_{k}.py")
    command = [sys.executable, "-m", "gradcheck", "grade", *sorted(map(str, tmp_path.glob("*.py"))), "--timeout", "60"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while len(_processes_in(tmp_path)) < running and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(_processes_in(tmp_path)) >= running
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=10)  # not the 60 s timeout
    finally:
        process.kill()
        for pid in _processes_in(tmp_path):  # a failed run's children, started by this test
            os.kill(pid, signal.SIGKILL)
    assert process.returncode == 143 and stderr == "error: terminated\n"
    assert _processes_in(tmp_path) == []


def test_function_names_the_backward_each_file_defines(cli, tmp_path):
    renamed = tmp_path / "renamed.py"
    renamed.write_text((GRADE / "correct.py").read_text().replace("def backward(", "def bptt("))
    rows = json.loads(cli("grade", renamed, "--function", "bptt", "--format", "json", code=0).stdout)["submissions"]
    assert rows[0]["verdict"] == "pass"
    assert "renamed.py: defines none of" in cli("grade", renamed, "--format", "csv", code=2).stdout
