"""Machine-readable reports: JSON (versioned schema), JUnit XML and Markdown. Functions return text."""

from __future__ import annotations

import json
import math
import re
import xml.etree.ElementTree as ET
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from gradcheck.check.config import dump
from gradcheck.check.results import CheckResult, forward_text
from gradcheck.engine.compare import ParamResult, Verdict
from gradcheck.engine.methods import RULES
from gradcheck.render.cells import ERROR_COLUMNS, index_text
from gradcheck.render.reports import Format

REPORT_VERSION = 2


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Row(_Frozen):
    """One parameter (or equation) row: every column of the table. Non-finite numbers are null."""

    name: str = Field(description="parameter name (U, W, V, b, c, h0) or the gradient an equation defines")
    shape: list[int] = Field(description="shape of the parameter or node")
    checked: int = Field(description="entries (or directions) compared")
    unit: Literal["entries", "directions"] = Field(description="what `checked` counts")
    max_abs_err: float | None = Field(description="max |a − n| over the checked entries")
    max_rel_err: float | None = Field(description="max |a − n| / max(|a|, |n|), 0 where both are 0")
    norm_rel_err: float | None = Field(description="‖a − n‖ / (‖a‖ + ‖n‖)")
    worst_index: list[int] = Field(description="index of the entry furthest outside (or closest to) its limit")
    worst_analytic: float | None = Field(description="analytic gradient at worst_index")
    worst_numeric: float | None = Field(description="finite-difference estimate at worst_index")
    worst_limit: float | None = Field(description="the pass line |a − n| must stay under at worst_index")
    failed: int = Field(description="entries confirmed wrong: beyond their limit by both estimates (or NaN/inf analytic)")
    nonfinite: int = Field(description="entries where either side is NaN or inf")
    vanished: int = Field(description="entries whose step could not move θ (θ + ε == θ): no estimate")
    undecided: int = Field(description="entries finite differences could not judge")
    overturned: int = Field(description="first-round failures the second, independent estimate showed to be right")
    confirmed_by: str = Field(description="the second estimate that judged the first round's failures ('' if none)")
    reason: str = Field(description="why entries are undecided, and what to change ('' if none are)")
    verdict: Literal["pass", "fail", "undecided"]
    passed: bool


class EquationRow(Row):
    """A row of the equation table: the equation's number and formula, then the row's columns."""

    equation: str = Field(description="equation number in Goodfellow et al., Deep Learning, ch. 10")
    formula: str


class Steps(_Frozen):
    """The smallest and largest finite-difference step used (null where not finite: an overflowing θ)."""

    smallest: float | None
    largest: float | None


class Timing(_Frozen):
    """Wall-clock numbers: the only fields that differ between two runs of the same config."""

    elapsed_s: float


class Forward(_Frozen):
    """The user's forward pass against the book's (10.8–10.14, or the network's of model.kind), when --forward was
    given."""

    agrees: bool = Field(description="the user's L equals the book's to round-off")
    loss_user: float | None
    loss_book: float | None
    first_t: int | None = Field(description="the first step t where the two part (null when they agree)")
    step_user: float | None = Field(description="L(first_t) from the user's forward pass")
    step_book: float | None = Field(description="L(first_t) from the book's")
    why: str | None = Field(description="a named reason, if one was found (a loss in bits, an unused parameter)")


class Report(_Frozen):
    """The JSON report of `gradcheck run --format json` (version 2)."""

    version: Literal[2] = Field(description="schema version; bumped on any incompatible change")
    verdict: Literal["pass", "fail", "undecided"] = Field(
        description="fail: a row confirmed wrong; undecided: none failed, some not judged"
    )
    passed: bool = Field(description="the verdict is pass: every row within its limit")
    source: str = Field(description="the config file, or 'built-in default'")
    config: dict[str, Any] = Field(description="the resolved config, every key with its value")
    sizes: dict[str, int] = Field(description="I, H, O and tau after text/tokens/targets are taken into account")
    method: str = Field(description="finite-difference method")
    formula: str = Field(description="the method's rule")
    eps: str | float = Field(description='the configured step: "auto" or a number')
    steps: Steps = Field(description="smallest and largest step actually used")
    tolerance: Literal["auto", "fixed"] = Field(description="auto: the method's error bound; fixed: rtol and atol")
    loss: float | None = Field(description="L = Σ_t L(t) at the checked parameters (null when it is not finite)")
    bug: str | None = Field(description="the injected bug the analytic side ran with, if any")
    code: str | None = Field(None, description="the user's code checked instead of the book's backward pass, if any")
    notes: dict[str, str] = Field(
        default_factory=dict,
        description="about the user's file, as the table's header gives them: python 2, not run, weights, sizes, absent",
    )
    forward: Forward | None = Field(None, description="the user's forward pass against the book's, if it was checked")
    diagnosis: str | None = Field(None, description="for failing user code: the named mistake, or where it goes wrong")
    mistake: str | None = Field(None, description="the id of the known mistake the diagnosis matched, if any")
    parameters: list[Row]
    equations: list[EquationRow]
    timing: Timing


def _num(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _json(value: Any) -> Any:
    """A ParamResult field as JSON: tuples as lists, non-finite numbers as null."""
    if isinstance(value, tuple):
        return list(value)
    return _num(value) if isinstance(value, float) else value


def _row(row: ParamResult) -> dict[str, Any]:
    errors = {column.key: _json(getattr(row, column.key)) for column in ERROR_COLUMNS}
    counts: dict[str, Any] = {"nonfinite": row.nonfinite, "vanished": row.vanished, "undecided": row.undecided}
    counts |= {"overturned": row.overturned, "confirmed_by": row.confirmed_by, "reason": row.reason}
    counts |= {"verdict": row.verdict.name.lower(), "passed": row.passed}
    return {"name": row.name, "shape": list(row.shape), "checked": row.checked, "unit": row.unit} | errors | counts


def build_report(result: CheckResult, source: str) -> Report:
    """The report as data, validated against its own schema on the way."""
    config, check = result.config, result.config.check
    I, H, O, tau = config.sizes
    return Report(
        version=REPORT_VERSION,
        verdict=result.verdict.name.lower(),
        passed=result.passed,
        source=source,
        config=dump(config),
        sizes={"I": I, "H": H, "O": O, "tau": tau},
        method=check.method.value,
        formula=RULES[check.method].formula,
        eps=check.eps,
        steps=Steps(smallest=_num(result.steps[0]), largest=_num(result.steps[1])),
        tolerance="fixed" if config.fixed_tolerance else "auto",
        loss=_num(result.loss),
        bug=result.bug.name if result.bug else None,
        code=result.code,
        notes=dict(result.notes),
        forward=_forward(result),
        diagnosis=result.diagnosis,
        mistake=result.mistake,
        parameters=[Row(**_row(row)) for row in result.params],
        equations=[EquationRow(**_row(e.row), equation=e.equation.number, formula=e.equation.formula) for e in result.equations],
        timing=Timing(elapsed_s=result.elapsed),
    )


def _forward(result: CheckResult) -> Forward | None:
    f = result.forward
    if f is None:
        return None
    numbers = {key: _num(getattr(f, key)) for key in ("loss_user", "loss_book", "step_user", "step_book")}
    return Forward(agrees=f.agrees, first_t=f.first_t, why=f.why, **numbers)


def to_json(result: CheckResult, source: str) -> str:
    """The JSON report (see report_schema)."""
    return build_report(result, source).model_dump_json(indent=2) + "\n"


def report_schema() -> dict[str, Any]:
    """The JSON Schema of the JSON report."""
    schema = Report.model_json_schema()
    schema["$id"] = f"https://gradcheck.invalid/report-v{REPORT_VERSION}.schema.json"
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema


def _failure_text(row: ParamResult) -> str:
    return (
        f"{row.name}: {row.failed} of {row.checked} {row.unit} beyond the limit; worst {index_text(row.worst_index)}: "
        f"analytic {row.worst_analytic!r}, numeric {row.worst_numeric!r}, limit {row.worst_limit!r}"
    )


def to_junit(result: CheckResult, source: str) -> str:
    """JUnit XML: one test case per parameter and per equation, failures carrying the worst entry, undecided rows
    skipped with the reason."""
    cases = [("gradcheck.parameters", row.name, row) for row in result.params]
    cases += [("gradcheck.equations", f"{e.equation.number} {e.row.name}", e.row) for e in result.equations]
    forward_failed = result.forward is not None and not result.forward.agrees
    failures = sum(row.verdict is Verdict.FAIL for _, _, row in cases) + forward_failed
    skipped = sum(row.verdict is Verdict.UNDECIDED for _, _, row in cases)
    tests = len(cases) + (result.forward is not None)
    suites = ET.Element("testsuites", name="gradcheck", tests=str(tests), failures=str(failures))
    suite = ET.SubElement(
        suites,
        "testsuite",
        name=f"gradcheck {source}",
        tests=str(tests),
        failures=str(failures),
        errors="0",
        skipped=str(skipped),
        time=f"{result.elapsed:.6f}",
    )
    properties = ET.SubElement(suite, "properties")
    user = [(key, value) for key, value in (("code", result.code), ("diagnosis", result.diagnosis)) if value]
    user += [(f"code.{key.replace(' ', '_')}", value) for key, value in result.notes]
    for key, value in (("method", result.method.value), ("loss", repr(result.loss)), ("source", source), *user):
        ET.SubElement(properties, "property", name=key, value=value)
    if result.forward is not None:
        case = ET.SubElement(suite, "testcase", classname="gradcheck.forward", name="10.8-10.14 forward pass", time="0")
        if not result.forward.agrees:
            text = forward_text(result.forward)
            ET.SubElement(case, "failure", message=text, type="ForwardMismatch").text = text
    for classname, name, row in cases:
        case = ET.SubElement(suite, "testcase", classname=classname, name=name, time="0")
        if row.verdict is Verdict.FAIL:
            text = _failure_text(row)
            failure = ET.SubElement(case, "failure", message=text, type="GradientMismatch")
            failure.text = text
        elif row.verdict is Verdict.UNDECIDED:
            ET.SubElement(case, "skipped", message=f"undecided: {row.reason}")
    ET.indent(suites)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


def _code(text: str) -> str:
    """A Markdown code span that holds any text: fenced by one backtick more than its longest run of them."""
    longest = max((len(run) for run in re.findall("`+", text)), default=0)
    fence = "`" * (longest + 1)
    return f"{fence} {text} {fence}" if longest else f"{fence}{text}{fence}"


def _md_row(cells: list[str]) -> str:
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"


def to_markdown(result: CheckResult, source: str) -> str:
    """A Markdown summary fit for a CI job summary: the verdict, the sizes and one table."""
    I, H, O, tau = result.config.sizes
    verdict = {Verdict.PASS: "✅ PASS", Verdict.FAIL: "❌ FAIL", Verdict.UNDECIDED: "❔ UNDECIDED"}[result.verdict]
    lines = [
        f"### gradcheck: {verdict}",
        "",
        f"{_code(source)} · I = {I}, H = {H}, O = {O}, τ = {tau} · {result.method.value} · L = {result.loss:.10g}",
        "",
        _md_row(["row", "checked", *(column.header for column in ERROR_COLUMNS), "verdict"]),
        _md_row(["---"] + ["---:"] * (1 + len(ERROR_COLUMNS)) + ["---"]),
    ]
    rows = [(row.name, row) for row in result.params] + [(f"{e.equation.number} {e.row.name}", e.row) for e in result.equations]
    for label, row in rows:
        cells = [column.cell(row) for column in ERROR_COLUMNS]
        verdict = {Verdict.PASS: "PASS", Verdict.FAIL: "**FAIL**", Verdict.UNDECIDED: "UNDECIDED"}[row.verdict]
        lines.append(_md_row([label, f"{row.checked} {row.unit}", *cells, verdict]))
    undecided = [f"- {label}: {row.reason}" for label, row in rows if row.verdict is Verdict.UNDECIDED]
    lines += ["", "Undecided:", *undecided] if undecided else []
    lines += ["", f"Checked: {_code(result.code)}"] if result.code else []
    lines += [f"- {key}: {value}" for key, value in result.notes]
    lines += ["", f"Forward: {forward_text(result.forward)}"] if result.forward is not None else []
    lines += ["", f"Diagnosis: {result.diagnosis}"] if result.diagnosis else []
    return "\n".join(lines) + "\n"


RENDERERS = {Format.JSON: to_json, Format.JUNIT: to_junit, Format.MARKDOWN: to_markdown}  # html: render/html.py


def dumps_schema(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
