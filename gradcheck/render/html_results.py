"""A check's results as HTML: the parameter and equation tables with the worst row flagged, the forward pass, and for
failing code the named mistake and the equations it breaks."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from gradcheck.book.network import Equation
from gradcheck.check.results import CheckResult, EquationResult, forward_text
from gradcheck.engine.compare import ParamResult, Verdict
from gradcheck.render.bugs import prediction_line
from gradcheck.render.cells import ERROR_COLUMNS, checked_text, shape_text
from gradcheck.render.html_markup import badge, esc, facts, math_html, section, sentence, table_html
from gradcheck.render.tables import header, node_worst, verdict_line

WORST = "▲ worst"


def _severity(row: ParamResult) -> tuple[int, float]:
    """How bad a row is: failed before undecided before passed, then how far its worst entry is past its limit."""
    gap = abs(row.worst_analytic - row.worst_numeric)
    ratio = gap / row.worst_limit if row.worst_limit > 0 else (math.inf if gap else 0.0)
    rank = {Verdict.FAIL: 2, Verdict.UNDECIDED: 1, Verdict.PASS: 0}[row.verdict]
    return rank, ratio if ratio == ratio else math.inf


@dataclass(frozen=True)
class _Line:
    """A row of a results table: its key, its leading cells (HTML, each with its class), its comparison and, for a
    node, its worst entry as t and i."""

    key: str
    lead: tuple[tuple[str, str], ...]
    row: ParamResult
    worst_at: str | None = None


def _result_row(line: _Line, worst: bool) -> str:
    """One row: the leading cells, the error columns of DESIGN.md §4 and the verdict; the worst row flagged."""
    row = line.row
    (first, _), rest = line.lead[0], line.lead[1:]
    flag = f' <span class="flag">{WORST}</span>' if worst else ""
    cells = [f'<th scope="row">{first}{flag}</th>', *(f'<td class="{css}">{cell}</td>' for cell, css in rest)]
    for column in ERROR_COLUMNS:
        text = line.worst_at if line.worst_at is not None and column.key == "worst_index" else column.cell(row)
        cells.append(f'<td class="num" data-key="{column.key}">{esc(text)}</td>')
    cells.append(f'<td data-key="verdict">{badge(row.verdict.name)}</td>')
    classes = row.verdict.name.lower() + (" worst" if worst else "")
    return f'<tr data-row="{esc(line.key)}" class="{classes}">{"".join(cells)}</tr>\n'


def _worst_note(line: _Line) -> str:
    """The flagged row in words: which row, which entry, both values and the limit."""
    row = line.row
    cell = {column.key: column.cell(row) for column in ERROR_COLUMNS}
    where = line.worst_at or cell["worst_index"]
    return (
        f'<p class="note">{WORST} marks the row furthest past (or closest to) its limit: {esc(line.key)}, entry '
        f"{esc(where)}: analytic {cell['worst_analytic']}, numeric {cell['worst_numeric']}, limit {cell['worst_limit']}; "
        f"{row.failed} of {row.checked} {row.unit} fail.</p>\n"
    )


def _results_table(caption: str, lead: Sequence[tuple[str, bool]], lines: Sequence[_Line], name: str) -> str:
    """A table of rows with the worst one flagged, and a sentence naming it."""
    if not lines:
        return ""
    worst = max(range(len(lines)), key=lambda k: _severity(lines[k].row))
    heads = [*lead, *((column.header, True) for column in ERROR_COLUMNS), ("verdict", False)]
    body = (_result_row(line, k == worst) for k, line in enumerate(lines))
    return table_html(caption, heads, body, name) + _worst_note(lines[worst])


def params_table(rows: tuple[ParamResult, ...], name: str = "parameters") -> str:
    lines = [
        _Line(row.name, ((esc(row.name), ""), (esc(shape_text(row.shape)), "num"), (esc(checked_text(row)), "num")), row)
        for row in rows
    ]
    return _results_table("parameters", (("param", False), ("shape", True), ("checked", True)), lines, name)


def equations_table(rows: tuple[EquationResult, ...], name: str = "equations") -> str:
    lines = [
        _Line(r.equation.number, ((esc(r.equation.number), ""), (math_html(r.equation.formula), "wrap")), r.row, node_worst(r))
        for r in rows
    ]
    caption = "equations (each node perturbed itself; t counts from 1)"
    return _results_table(caption, (("eq", False), ("gradient", False)), lines, name)


def _broken_equations(result: CheckResult) -> tuple[Equation, ...]:
    """The equations a failing run breaks: those of its failing rows, and the nodes its bug (injected, or the one the
    diagnosis named) breaks even where the nodes were not checked."""
    keys = set(result.failing)
    named = result.config.network.bugs.get(result.mistake or "")
    for bug in (result.bug, named):
        keys |= bug.nodes if bug is not None else set()
    return tuple(eq for eq in result.config.network.equations if eq.number in keys or eq.target in keys)


def _equation_list(equations: Iterable[Equation]) -> str:
    items = "".join(f'<li><span class="eqno">{esc(eq.number)}</span>{math_html(eq.formula)}</li>' for eq in equations)
    return f'<ul class="equations">{items}</ul>\n' if items else ""


def diagnosis_html(result: CheckResult, mistake: str | None = None) -> str:
    """For failing code: the named mistake (the result's, or one found elsewhere: a forward pass's), the diagnosis in
    words, and the equations it breaks."""
    mistake = result.mistake or mistake
    if not result.diagnosis and result.bug is None and not mistake:
        return ""
    parts = []
    if result.bug is not None:
        bug = result.bug
        parts.append(f"<p><strong>injected bug: <code>{esc(bug.name)}</code></strong> — {math_html(bug.summary)}</p>")
        parts.append(f"<p>{esc(bug.explanation)}</p>")
        should = ", ".join(sorted(bug.params | bug.nodes))
        parts.append(f"<p>should fail: {esc(should)}. {esc(prediction_line(result).plain)}</p>")
    if mistake:
        parts.append(f'<p><strong>the named mistake: <code class="mistake">{esc(mistake)}</code></strong></p>')
    if result.diagnosis:
        parts.append(f'<p class="diagnosis">{esc(result.diagnosis)}</p>')
    broken = _broken_equations(result) if result.verdict is Verdict.FAIL else ()
    if broken:
        parts.append("<p>the equations it breaks (in the order BPTT computes them):</p>" + _equation_list(broken))
    return "\n".join(parts) + "\n"


def forward_html(result: CheckResult) -> str:
    if result.forward is None:
        return ""
    word = "PASS" if result.forward.agrees else "FAIL"
    return f'<p class="forward">{badge(word)} {esc(forward_text(result.forward))}</p>\n'


def check_body(result: CheckResult, source: str, name: str = "parameters") -> str:
    """What a check found: the mistake (if any), the forward pass, the parameter and equation tables, the set-up."""
    what = "injected bug" if result.bug is not None else "diagnosis"
    return (
        section(what, diagnosis_html(result), f"{name}-diagnosis")
        + section("forward pass", forward_html(result))
        + section("gradients", params_table(result.params, name) + equations_table(result.equations, f"{name}-equations"))
        + section("what was checked", facts(header(result, source)))
    )


def check_sentence(result: CheckResult) -> str:
    """The terminal's verdict line of a check, without the verdict word."""
    line = verdict_line(result.params, result.verdict, result.equations, result.nonfinite_loss, result.loss)
    return sentence(line, result.verdict.name)
