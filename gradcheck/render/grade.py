"""`gradcheck grade`: one row per submission, as a table, JSON, JUnit XML (one test suite per submission) or CSV.

Functions return renderables or text; nothing prints.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from gradcheck.check.config import dump
from gradcheck.check.results import forward_text
from gradcheck.engine.compare import ParamResult, Verdict
from gradcheck.engine.methods import RULES
from gradcheck.render.cells import index_text
from gradcheck.render.formats import build_report
from gradcheck.render.reports import GradeFormat
from gradcheck.user.grade import Grade, Grading, Submission

GRADE_REPORT_VERSION = 1
STYLES = {Grade.PASS: "bold green", Grade.FAIL: "bold red", Grade.UNDECIDED: "bold yellow", Grade.ERROR: "bold magenta"}
FAILURE_WORDS = {  # why a submission could not be run, in the table's few words (the full line is printed below it)
    "exception": "raised an exception",
    "not-implemented": "not implemented yet",
    "exit": "called sys.exit",
    "memory": "out of memory",
    "usage": "wrong return value",
    "file": "not a .py file",
    "timeout": "timed out",
    "crash": "crashed",
    "unreadable": "unreadable reply",
}
CSV_COLUMNS = ("file", "verdict", "failing", "mistake", "diagnosis", "error", "seconds")
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")  # not allowed in XML 1.0, even escaped


def file_text(path: Path) -> str:
    """A submission's path as printable text (bytes that are not UTF-8 become U+FFFD), as gradcheck.files.display."""
    return os.fsencode(path).decode("utf-8", "replace")


def short_note(submission: Submission) -> str:
    """The table's few words: the named mistake, why it could not be run, or what was undecided."""
    grade = submission.grade
    if grade is Grade.ERROR:
        return FAILURE_WORDS.get(submission.failure or "", "could not be run")
    if submission.mistake:
        return submission.mistake
    if grade is Grade.FAIL:
        return "no known mistake"
    return "cannot decide" if grade is Grade.UNDECIDED else ""


def long_note(submission: Submission) -> str | None:
    """The whole story of a submission that did not pass: the error, the diagnosis, the forward pass, the doubt."""
    result = submission.result
    if result is None:
        return submission.error
    parts = [result.diagnosis] if result.diagnosis else []
    if result.forward is not None and not result.forward.agrees:
        parts.append(forward_text(result.forward))
    undecided = [row for row in result.rows.values() if row.verdict is Verdict.UNDECIDED]
    if undecided:
        parts.append(f"cannot decide {', '.join(row.name for row in undecided)}: {undecided[0].reason}")
    return "; ".join(parts) or None


def grade_header(grading: Grading, source: str) -> Table:
    """What was graded and how: config, sizes, the functions called, the shared estimates."""
    I, H, O, tau = grading.config.sizes
    check = grading.config.check
    backward = grading.backward or "each file's own function"
    forward = f" and {grading.forward}" if grading.forward and grading.forward != grading.backward else ""
    how = f"{grading.layout} layout" if grading.layout else "the layout found in each file"
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    for key, value in (
        ("config", source),
        ("sizes", f"I = {I}, H = {H}, O = {O}, τ = {tau}"),
        ("checked", f"{backward}{forward} ({how}), each file in its own process"),
        ("estimates", f"{RULES[check.method].title} of the book's forward pass, made once: {grading.estimate_seconds:.2f} s"),
    ):
        grid.add_row(key, Text(value))
    return grid


def grade_table(grading: Grading) -> Table:
    """One row per submission: file, grade, failing rows, named mistake (or why it could not run), seconds.

    On a narrow terminal the file and note columns wrap; the grade and the time never do."""
    table = Table(title="submissions", title_justify="left", header_style="bold")
    table.add_column("file", overflow="fold", ratio=3)
    table.add_column("verdict", no_wrap=True)
    table.add_column("failing", overflow="fold", ratio=2)
    table.add_column("mistake / error", overflow="fold", ratio=3)
    table.add_column("time", justify="right", no_wrap=True)
    for s in grading.submissions:
        grade = Text(s.grade.value, style=STYLES[s.grade])
        cells = (file_text(s.file), ", ".join(s.failing), short_note(s), f"{s.seconds:.2f} s")
        table.add_row(Text(cells[0]), grade, *map(Text, cells[1:]))
    return table


def summary_line(grading: Grading) -> Text:
    """The overall grade and the count of each."""
    line = Text(grading.grade.value, style=STYLES[grading.grade])
    counts = ", ".join(f"{grading.count(g)} {g.value}" for g in Grade if grading.count(g))
    line.append(f"  {len(grading.submissions)} submissions: {counts}; {grading.elapsed:.1f} s in all")
    return line


def grade_report(grading: Grading, source: str) -> Group:
    """The header, the table, the summary line and, for each submission that did not pass, what went wrong."""
    parts: list[RenderableType] = [grade_header(grading, source), Text(), grade_table(grading), summary_line(grading)]
    for s in grading.submissions:
        note = long_note(s)
        if note and s.grade is not Grade.PASS:
            parts.append(Text.assemble((f"{file_text(s.file)}  ", "bold"), note))
    return Group(*parts)


# --- machine-readable ---------------------------------------------------------------------------------------------


def _submission_json(s: Submission) -> dict[str, Any]:
    base: dict[str, Any] = {"file": file_text(s.file), "verdict": s.grade.value.lower(), "failing": list(s.failing)}
    base |= {"mistake": s.mistake, "diagnosis": s.diagnosis, "error": s.error, "failure": s.failure, "seconds": s.seconds}
    if s.result is None:
        return base | {"loss": None, "forward": None, "parameters": [], "equations": []}
    report = build_report(s.result, file_text(s.file)).model_dump(mode="json")
    return base | {key: report[key] for key in ("loss", "forward", "parameters", "equations")}


def to_json(grading: Grading, source: str) -> str:
    """{"version", "verdict", "source", "config", "sizes", "method", "layout", "backward", "forward", "counts",
    "estimate_seconds", "elapsed_s", "submissions": [{file, verdict, failing, mistake, diagnosis, error, failure,
    seconds, loss, forward, parameters, equations}]}; verdicts in lower case as in `gradcheck run`'s report."""
    I, H, O, tau = grading.config.sizes
    report = {
        "version": GRADE_REPORT_VERSION,
        "verdict": grading.grade.value.lower(),
        "source": source,
        "config": dump(grading.config),
        "sizes": {"I": I, "H": H, "O": O, "tau": tau},
        "method": grading.config.check.method.value,
        "layout": grading.layout,
        "backward": grading.backward,
        "forward": grading.forward,
        "counts": {g.value.lower(): grading.count(g) for g in Grade},
        "estimate_seconds": grading.estimate_seconds,
        "elapsed_s": grading.elapsed,
        "submissions": [_submission_json(s) for s in grading.submissions],
    }
    return json.dumps(report, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def to_csv(grading: Grading, source: str) -> str:
    """A header and one row per submission (failing rows space-separated); quoted as the csv module does."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for s in grading.submissions:
        row = (file_text(s.file), s.grade.value, " ".join(s.failing), s.mistake, s.diagnosis, s.error, f"{s.seconds:.3f}")
        writer.writerow("" if cell is None else cell for cell in row)
    return out.getvalue()


def _xml(text: str) -> str:
    """Text XML 1.0 can hold: control characters and lone surrogates become U+FFFD."""
    return NOT_XML.sub("\ufffd", text)


def _failure_text(row: ParamResult) -> str:
    return (
        f"{row.name}: {row.failed} of {row.checked} {row.unit} beyond the limit; worst {index_text(row.worst_index)}: "
        f"analytic {row.worst_analytic!r}, numeric {row.worst_numeric!r}"
    )


def _suite(suites: ET.Element, s: Submission) -> tuple[int, int, int]:
    """One <testsuite> for a submission: a test case per parameter, equation and forward pass (or one <error>)."""
    name = _xml(file_text(s.file))
    suite = ET.SubElement(suites, "testsuite", name=name, time=f"{s.seconds:.6f}")
    properties = ET.SubElement(suite, "properties")
    for key, value in (("verdict", s.grade.value), ("mistake", s.mistake), ("diagnosis", s.diagnosis)):
        if value:
            ET.SubElement(properties, "property", name=key, value=_xml(value))
    if s.result is None:
        case = ET.SubElement(suite, "testcase", classname=name, name="runs", time=f"{s.seconds:.6f}")
        text = _xml(s.error or "could not be run")
        ET.SubElement(case, "error", message=text, type=s.failure or "error").text = text
        suite.attrib |= {"tests": "1", "failures": "0", "errors": "1", "skipped": "0"}
        return 1, 0, 1
    result = s.result
    cases = [(row.name, row) for row in result.params] + [(f"{e.equation.number} {e.row.name}", e.row) for e in result.equations]
    failures = skipped = 0
    if result.forward is not None:
        case = ET.SubElement(suite, "testcase", classname=name, name="10.8-10.14 forward pass", time="0")
        if not result.forward.agrees:
            text = _xml(forward_text(result.forward))
            ET.SubElement(case, "failure", message=text, type="ForwardMismatch").text = text
            failures += 1
    for label, row in cases:
        case = ET.SubElement(suite, "testcase", classname=name, name=_xml(label), time="0")
        if row.verdict is Verdict.FAIL:
            text = _xml(_failure_text(row))
            body = text + (f"\n{_xml(result.diagnosis)}" if result.diagnosis else "")
            ET.SubElement(case, "failure", message=text, type="GradientMismatch").text = body
            failures += 1
        elif row.verdict is Verdict.UNDECIDED:
            ET.SubElement(case, "skipped", message=_xml(f"undecided: {row.reason}"))
            skipped += 1
    tests = len(cases) + (result.forward is not None)
    suite.attrib |= {"tests": str(tests), "failures": str(failures), "errors": "0", "skipped": str(skipped)}
    return tests, failures, 0


def to_junit(grading: Grading, source: str) -> str:
    """JUnit XML for autograders: one <testsuite> per submission inside <testsuites>, a <testcase> per parameter
    (and equation, and forward pass), a <failure> per wrong gradient, an <error> for code that could not be run."""
    suites = ET.Element("testsuites", name=_xml(f"gradcheck grade {source}"), time=f"{grading.elapsed:.6f}")
    totals = [_suite(suites, s) for s in grading.submissions]
    tests, failures, errors = (sum(column) for column in zip(*totals, strict=True)) if totals else (0, 0, 0)
    suites.attrib |= {"tests": str(tests), "failures": str(failures), "errors": str(errors)}
    ET.indent(suites)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


RENDERERS = {GradeFormat.JSON: to_json, GradeFormat.JUNIT: to_junit, GradeFormat.CSV: to_csv}  # html: render/html.py
