"""One self-contained HTML page per report (`--format html`): inline CSS, inline SVG, no script, no request.

Each page function takes what the command's terminal renderer takes and returns the whole document as text. The
words and numbers are the terminal's (the same verdict sentences, cells and tables, converted rather than written
twice); the page adds what a terminal cannot: the worst row marked, equations typeset, the sweep drawn. The verdict
comes first; colour only repeats what a word or a mark (✓ ✗ · ? ▲) already says; the text meets WCAG AA contrast
(TEXT_COLOURS); wide tables scroll inside their own box, so the page fits a phone; it prints. Every string is
escaped, and a Content-Security-Policy forbids loading anything at all.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html import escape

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from gradcheck.book.network import Equation, Network
from gradcheck.check.convergence import SweepResult
from gradcheck.check.results import BugsResult, CheckResult, EquationResult, forward_text
from gradcheck.check.steps import StepNumbers
from gradcheck.engine.compare import ParamResult, Verdict
from gradcheck.engine.methods import RULES, Method
from gradcheck.render import svg
from gradcheck.render.bugs import bugs_verdict, prediction_line
from gradcheck.render.cells import ERROR_COLUMNS, checked_text, sci, shape_text
from gradcheck.render.convergence import sweep_report
from gradcheck.render.grade import NOT_XML, file_text, grade_header, short_note, summary_line
from gradcheck.render.tables import Fitted, header, node_worst, verdict_line
from gradcheck.render.teaching import DERIVATION, derivation, explain_report, network_report
from gradcheck.user.grade import Grade, Grading, Submission

PALETTE = {
    "ink": "#1b1f24",
    "paper": "#ffffff",
    "muted": "#545d68",
    "rule": "#b8c1cc",
    "tint": "#f3f5f7",
    "worst": "#fff0bd",
    "pass": "#116329",
    "fail": "#a40e26",
    "undecided": "#7d4e00",
    "error": "#6f2da8",
}
# Every (text, background) pair the stylesheet sets: each must reach WCAG AA's 4.5:1 (tests/test_html.py checks).
TEXT_COLOURS = (
    *((text, back) for text in ("ink", "muted", "pass", "fail", "undecided", "error") for back in ("paper", "tint", "worst")),
    *(("paper", badge) for badge in ("pass", "fail", "undecided", "error")),
)
# The page loads nothing: no script, image, font, frame or connection; only its own inline styles apply.
CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
MARKS = {"PASS": "✓", "FAIL": "✗", "UNDECIDED": "?", "ERROR": "!"}
MATRIX_MARKS = {Verdict.FAIL: ("✗", "fails"), Verdict.PASS: ("·", "passes"), Verdict.UNDECIDED: ("?", "undecided")}
WORST = "▲ worst"
SUBSCRIPT = re.compile(r"_\{([^{}]*)\}|_([A-Za-z0-9]+)")

ROOT = ":root{color-scheme:light;" + "".join(f"--{name}:{value};" for name, value in PALETTE.items()) + "}"
CSS = (
    ROOT
    + """
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;color:var(--ink);background:var(--paper);
font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","DejaVu Sans",sans-serif}
main{max-width:80rem;margin:0 auto;padding:1rem}
h1{font-size:1.5rem;line-height:1.3;margin:.2rem 0 .5rem}
h2{font-size:1.2rem;margin:1.8rem 0 .5rem;padding-bottom:.2rem;border-bottom:1px solid var(--rule)}
h3{font-size:1.05rem;margin:1.2rem 0 .4rem}
p,li,dd,dt,h1,h2,h3,summary,.caption{overflow-wrap:anywhere}
code,.mono{font-family:ui-monospace,"SFMono-Regular",Menlo,Consolas,"DejaVu Sans Mono",monospace;font-size:.92em}
.command{margin:0;color:var(--muted);font-size:.95rem}
.verdict{border-left:.45rem solid var(--ink);background:var(--tint);padding:.6rem 1rem;margin:0 0 1rem}
.verdict.pass{border-color:var(--pass)}.verdict.fail{border-color:var(--fail)}
.verdict.undecided{border-color:var(--undecided)}.verdict.error{border-color:var(--error)}
.lede{margin:.2rem 0;font-size:1.05rem}
.badge{display:inline-block;padding:0 .45em;border-radius:.3em;color:var(--paper);background:var(--ink);
font-weight:700;letter-spacing:.02em;white-space:nowrap}
.badge.pass{background:var(--pass)}.badge.fail{background:var(--fail)}
.badge.undecided{background:var(--undecided)}.badge.error{background:var(--error)}
dl.facts{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:.15rem 1rem;margin:.5rem 0}
dl.facts div{display:contents}dt{font-weight:700}dd{margin:0}
.caption{font-weight:700;margin:1rem 0 .3rem}
.note{color:var(--muted);margin:.3rem 0}
.scroll{overflow-x:auto;max-width:100%;border:1px solid var(--rule);border-radius:.3rem;background:var(--paper)}
.scroll:focus{outline:2px solid var(--ink);outline-offset:2px}
table{border-collapse:collapse;min-width:100%;font-variant-numeric:tabular-nums}
th,td{padding:.3rem .5rem;text-align:left;vertical-align:top;border-bottom:1px solid var(--rule);white-space:nowrap}
thead th{background:var(--tint);position:sticky;top:0}
.num{text-align:right}
.wrap{white-space:normal;min-width:16rem;max-width:30rem}
td.fail,tr.fail th{color:var(--fail);font-weight:700}td.pass{color:var(--pass)}td.undecided{color:var(--undecided)}
th[scope=row]{position:sticky;left:0;background:var(--paper)}
tr.worst,tr.worst th[scope=row]{background:var(--worst)}tr.worst th{box-shadow:inset .3rem 0 0 var(--ink)}
.flag{display:inline-block;margin-left:.4rem;padding:0 .3em;border:1px solid var(--ink);border-radius:.25em;
color:var(--ink);font-size:.8em;font-weight:700}
.mark{font-weight:700}
.math{font-family:"STIX Two Math","Cambria Math","Latin Modern Math","DejaVu Serif",Georgia,serif;font-size:1.04em}
.display{margin:.3rem 0 .3rem 1.2rem;white-space:pre-wrap}
.eqno{float:right;margin-left:1rem;color:var(--muted)}
ul.equations{list-style:none;padding:0}ul.equations li{margin:.3rem 0;padding:.3rem .6rem;background:var(--tint)}
.doc{white-space:pre-wrap;font-family:"DejaVu Serif",Georgia,serif;margin:.4rem 0}
.panels{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,20rem),1fr));gap:1rem;margin:0}
figure{margin:0}svg.plot{width:100%;height:auto;font:11px system-ui,sans-serif;fill:var(--ink)}
svg .grid{stroke:var(--rule);stroke-width:.6}svg .frame{fill:none;stroke:var(--ink);stroke-width:.8}
svg .panel-title{font-weight:700;font-size:13px}
ul.legend{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:.3rem 1.5rem}
ul.legend li{display:flex;align-items:center;gap:.4rem}
a{color:var(--ink)}details{margin:.5rem 0}summary{cursor:pointer;font-weight:700}
@media (max-width:40rem){main{padding:.6rem}h1{font-size:1.25rem}dl.facts{grid-template-columns:minmax(0,1fr)}
dt{margin-top:.3rem}}
@media print{*{-webkit-print-color-adjust:exact;print-color-adjust:exact}main{max-width:none;padding:0}
body{font-size:10pt}.scroll{overflow:visible;border:0}table{min-width:0}thead th{position:static}
tr,li,figure{break-inside:avoid}h2{break-after:avoid}details{display:block}}
"""
)


# --- text and small elements --------------------------------------------------------------------------------------


def _esc(text: str) -> str:
    """Text as HTML: markup characters escaped, and characters HTML cannot hold (controls, lone surrogates of an
    undecodable path) shown as U+FFFD."""
    return escape(NOT_XML.sub("\ufffd", text), quote=True)


def _plain(renderable: object) -> str:
    """The words of a rich cell, title or line."""
    return renderable.plain if isinstance(renderable, Text) else str(renderable)


def _math_html(formula: str) -> str:
    """A formula in plain Unicode, its subscripts typeset (ŷ_{y(t)} → ŷ with y(t) below); read aloud as written."""
    body = SUBSCRIPT.sub(lambda m: f"<sub>{m.group(1) or m.group(2)}</sub>", _esc(formula))
    return f'<span class="math" role="math" aria-label="{_esc(formula)}">{body}</span>'


def _badge(word: str) -> str:
    """PASS, FAIL, UNDECIDED or ERROR, with its mark: the word carries the meaning, the colour repeats it."""
    return f'<span class="badge {word.lower()}"><span aria-hidden="true">{MARKS[word]} </span>{word}</span>'


def _sentence(line: Text, word: str) -> str:
    """A terminal verdict line without its leading verdict word (the page shows that as a badge)."""
    return line.plain.removeprefix(word).strip()


def _page_header(command: str, title: str, lede: str = "", word: str | None = None, source: str = "") -> str:
    """The first thing on every page: the command and its input, the verdict (where the command has one) with the
    title, and the terminal's verdict sentence."""
    verdict, css = (f"{_badge(word)} ", f" {word.lower()}") if word else ("", "")
    where = f" · {_esc(source)}" if source else ""
    said = f'<p class="lede" id="verdict-sentence">{_esc(lede)}</p>' if lede else ""
    return (
        f'<header id="verdict" class="verdict{css}"><p class="command">gradcheck {_esc(command)}{where}</p>'
        f"<h1>{verdict}{_esc(title)}</h1>{said}</header>\n"
    )


def _section(title: str, body: str, name: str = "") -> str:
    ident = f' id="{name}"' if name else ""
    return f"<section{ident}><h2>{_esc(title)}</h2>\n{body}</section>\n" if body else ""


def _facts(grid: Table) -> str:
    """A rich key/value grid (a report's header) as a definition list."""
    keys, values = (list(map(_plain, column.cells)) for column in grid.columns[:2])
    items = "".join(f"<div><dt>{_esc(k)}</dt><dd>{_esc(v)}</dd></div>" for k, v in zip(keys, values, strict=True))
    return f'<dl class="facts">{items}</dl>\n'


def _table_html(caption: str, heads: Sequence[tuple[str, bool]], body: Iterable[str], name: str) -> str:
    """A table in its own horizontally scrolling box, labelled by the caption above it; heads: (text, numeric)."""
    head = "".join(f'<th scope="col" class="{"num" if numeric else ""}">{_esc(text)}</th>' for text, numeric in heads)
    return (
        f'<p class="caption" id="{name}-caption">{_esc(caption)}</p>'
        f'<div class="scroll" role="region" tabindex="0" aria-labelledby="{name}-caption">'
        f'<table id="{name}"><thead><tr>{head}</tr></thead><tbody>\n{"".join(body)}</tbody></table></div>\n'
    )


def _document(title: str, main: str) -> str:
    """The whole page around `main`."""
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        f'<meta name="generator" content="gradcheck">\n<title>{_esc(title)}</title>\n<style>{CSS}</style>\n</head>\n'
        f"<body>\n<main>\n{main}</main>\n</body>\n</html>\n"
    )


# --- rich renderables, converted ------------------------------------------------------------------------------------


def _rich_table(table: Table, name: str, math_columns: tuple[str, ...] = ("formula",)) -> str:
    """A terminal table as an HTML table: its title, header, cells and caption; formula columns typeset."""
    heads = [(_plain(column.header), column.justify == "right") for column in table.columns]
    columns = [list(column.cells) for column in table.columns]
    typeset = [text in math_columns for text, _ in heads]
    rows = []
    for cells in zip(*columns, strict=True):
        tds = (
            f'<td class="{"num" if numeric else "wrap" if maths else ""}">{(_math_html if maths else _esc)(_plain(c))}</td>'
            for c, (_, numeric), maths in zip(cells, heads, typeset, strict=True)
        )
        rows.append(f"<tr>{''.join(tds)}</tr>\n")
    note = f'<p class="note">{_esc(_plain(table.caption))}</p>\n' if table.caption else ""
    return _table_html(_plain(table.title or ""), heads, rows, name) + note


def _rich_html(renderable: RenderableType, name: str) -> str:
    """A terminal renderable as HTML: a group part by part, a table as a table, a bold line as a heading, a
    paragraph of several lines (a docstring) as text that keeps its lines."""
    if isinstance(renderable, Group):
        return "".join(_rich_html(part, f"{name}-{k}") for k, part in enumerate(renderable.renderables))
    if isinstance(renderable, Fitted):
        return _rich_table(renderable.table, name)
    if isinstance(renderable, Table):
        return _rich_table(renderable, name)
    text = _plain(renderable)
    if not text.strip():
        return ""
    if isinstance(renderable, Text) and "bold" in str(renderable.style):
        return f"<h2>{_esc(text)}</h2>\n"
    return f'<div class="doc">{_esc(text)}</div>\n' if "\n" in text else f"<p>{_esc(text)}</p>\n"


# --- check results --------------------------------------------------------------------------------------------------


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
        cells.append(f'<td class="num" data-key="{column.key}">{_esc(text)}</td>')
    cells.append(f'<td data-key="verdict">{_badge(row.verdict.name)}</td>')
    classes = row.verdict.name.lower() + (" worst" if worst else "")
    return f'<tr data-row="{_esc(line.key)}" class="{classes}">{"".join(cells)}</tr>\n'


def _worst_note(line: _Line) -> str:
    """The flagged row in words: which row, which entry, both values and the limit."""
    row = line.row
    cell = {column.key: column.cell(row) for column in ERROR_COLUMNS}
    where = line.worst_at or cell["worst_index"]
    return (
        f'<p class="note">{WORST} marks the row furthest past (or closest to) its limit: {_esc(line.key)}, entry '
        f"{_esc(where)}: analytic {cell['worst_analytic']}, numeric {cell['worst_numeric']}, limit {cell['worst_limit']}; "
        f"{row.failed} of {row.checked} {row.unit} fail.</p>\n"
    )


def _results_table(caption: str, lead: Sequence[tuple[str, bool]], lines: Sequence[_Line], name: str) -> str:
    """A table of rows with the worst one flagged, and a sentence naming it."""
    if not lines:
        return ""
    worst = max(range(len(lines)), key=lambda k: _severity(lines[k].row))
    heads = [*lead, *((column.header, True) for column in ERROR_COLUMNS), ("verdict", False)]
    body = (_result_row(line, k == worst) for k, line in enumerate(lines))
    return _table_html(caption, heads, body, name) + _worst_note(lines[worst])


def _params_table(rows: tuple[ParamResult, ...], name: str = "parameters") -> str:
    lines = [
        _Line(row.name, ((_esc(row.name), ""), (_esc(shape_text(row.shape)), "num"), (_esc(checked_text(row)), "num")), row)
        for row in rows
    ]
    return _results_table("parameters", (("param", False), ("shape", True), ("checked", True)), lines, name)


def _equations_table(rows: tuple[EquationResult, ...], name: str = "equations") -> str:
    lines = [
        _Line(r.equation.number, ((_esc(r.equation.number), ""), (_math_html(r.equation.formula), "wrap")), r.row, node_worst(r))
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
    items = "".join(f'<li><span class="eqno">{_esc(eq.number)}</span>{_math_html(eq.formula)}</li>' for eq in equations)
    return f'<ul class="equations">{items}</ul>\n' if items else ""


def _diagnosis_html(result: CheckResult, mistake: str | None = None) -> str:
    """For failing code: the named mistake (the result's, or one found elsewhere: a forward pass's), the diagnosis in
    words, and the equations it breaks."""
    mistake = result.mistake or mistake
    if not result.diagnosis and result.bug is None and not mistake:
        return ""
    parts = []
    if result.bug is not None:
        bug = result.bug
        parts.append(f"<p><strong>injected bug: <code>{_esc(bug.name)}</code></strong> — {_math_html(bug.summary)}</p>")
        parts.append(f"<p>{_esc(bug.explanation)}</p>")
        should = ", ".join(sorted(bug.params | bug.nodes))
        parts.append(f"<p>should fail: {_esc(should)}. {_esc(prediction_line(result).plain)}</p>")
    if mistake:
        parts.append(f'<p><strong>the named mistake: <code class="mistake">{_esc(mistake)}</code></strong></p>')
    if result.diagnosis:
        parts.append(f'<p class="diagnosis">{_esc(result.diagnosis)}</p>')
    broken = _broken_equations(result) if result.verdict is Verdict.FAIL else ()
    if broken:
        parts.append("<p>the equations it breaks (in the order BPTT computes them):</p>" + _equation_list(broken))
    return "\n".join(parts) + "\n"


def _forward_html(result: CheckResult) -> str:
    if result.forward is None:
        return ""
    word = "PASS" if result.forward.agrees else "FAIL"
    return f'<p class="forward">{_badge(word)} {_esc(forward_text(result.forward))}</p>\n'


def _check_body(result: CheckResult, source: str, name: str = "parameters") -> str:
    """What a check found: the mistake (if any), the forward pass, the parameter and equation tables, the set-up."""
    what = "injected bug" if result.bug is not None else "diagnosis"
    return (
        _section(what, _diagnosis_html(result), f"{name}-diagnosis")
        + _section("forward pass", _forward_html(result))
        + _section("gradients", _params_table(result.params, name) + _equations_table(result.equations, f"{name}-equations"))
        + _section("what was checked", _facts(header(result, source)))
    )


# --- pages ----------------------------------------------------------------------------------------------------------


def _check_sentence(result: CheckResult) -> str:
    """The terminal's verdict line of a check, without the verdict word."""
    line = verdict_line(result.params, result.verdict, result.equations, result.nonfinite_loss, result.loss)
    return _sentence(line, result.verdict.name)


def run_page(result: CheckResult, source: str) -> str:
    """`gradcheck run --format html`: the verdict, the named mistake and the equations it breaks, the parameter
    table (and the equation table) with the worst row flagged, and how the check was made."""
    word = result.verdict.name
    main = _page_header("run", "gradient check", _check_sentence(result), word, source) + _check_body(result, source)
    return _document(f"gradcheck run: {word} — {source}", main)


def _matrix_cell(key: str, row: ParamResult) -> str:
    mark, words = MATRIX_MARKS[row.verdict]
    css = row.verdict.name.lower()
    symbol = f'<span class="mark" role="img" aria-label="{words}">{mark}</span>'
    return f'<td class="num {css}" data-key="{_esc(key)}" data-verdict="{css}">{sci(row.max_rel_err)} {symbol}</td>'


def _matrix_row(result: CheckResult, keys: tuple[str, ...], clean: bool) -> str:
    """A row of the bug matrix: the bug, a cell per table row, whether it was caught and as predicted."""
    bug = result.bug
    name = "none (clean)" if bug is None else bug.name
    title = f' title="{_esc(bug.summary)}"' if bug is not None else ""
    cells = "".join(_matrix_cell(key, result.rows[key]) for key in keys)
    if clean:
        tail = f"<td>{_badge(result.verdict.name)}</td><td></td>"
    else:
        caught = "?" if result.verdict is Verdict.UNDECIDED else "yes" if result.failing else "NO"
        tail = f'<td data-key="caught">{caught}</td><td data-key="as-predicted">{"yes" if result.as_predicted else "no"}</td>'
    return f'<tr data-row="{_esc(name)}"><th scope="row"{title}><code>{_esc(name)}</code></th>{cells}{tail}</tr>\n'


def bugs_page(result: BugsResult, source: str) -> str:
    """`gradcheck bugs --format html`: the verdict, the matrix bugs × rows (✗ fails, · passes, ? undecided) and
    what each bug does."""
    word = result.verdict.name
    keys = tuple(result.clean.rows)
    heads = [("bug", False), *((key, True) for key in keys), ("caught", False), ("as predicted", False)]
    rows = [_matrix_row(result.clean, keys, True), *(_matrix_row(run, keys, False) for run in result.bugs)]
    caption = "max relative error per row (✗ = fails, · = passes, ? = undecided)"
    bugs = [run.bug for run in result.bugs if run.bug is not None]
    what = "".join(f"<li><code>{_esc(b.name)}</code> — {_math_html(b.summary)}. {_esc(b.explanation)}</li>" for b in bugs)
    main = (
        _page_header("bugs", "bug matrix", _sentence(bugs_verdict(result), word), word, source)
        + _section("the bug matrix", _table_html(caption, heads, rows, "matrix"))
        + _section("what each bug does", f"<ul>{what}</ul>\n" if what else "")
        + _section("what was checked", _facts(header(result.clean, source)))
    )
    return _document(f"gradcheck bugs: {word} — {source}", main)


def _sweep_summary(result: SweepResult) -> str:
    """Where each method's error bottoms out, over every parameter: the figure's message in one sentence."""
    parts = []
    for method, curves in result.errors.items():
        found = {name: svg.bottom(result.eps, errors) for name, errors in curves.items()}
        lowest = min((name for name in found if found[name] is not None), key=lambda n: found[n] or (0.0, 0.0), default=None)
        words = f"{svg.smallest(result.eps, curves[lowest])} ({lowest})" if lowest is not None else "no finite error"
        parts.append(f"{RULES[Method(method)].title}: {words}")
    return "; ".join(parts)


def sweep_page(result: SweepResult, source: str) -> str:
    """`gradcheck sweep --format html`: the error-against-step figure (a log-log panel per parameter, a line per
    method, the auto step marked) and the terminal's tables under it."""
    names = list(next(iter(result.errors.values()), {}))
    figures = "".join(f"<figure>{svg.panel(result, name, k)}</figure>" for k, name in enumerate(names))
    legend = "".join(f"<li>{svg.legend_key(m)}{_esc(RULES[Method(m)].title)}</li>" for m in result.errors)
    figure = (
        f'<ul class="legend" aria-label="methods">{legend}<li>thin vertical line: the step eps = "auto" takes</li></ul>'
        f'<div class="panels">{figures}</div>\n'
    )
    I, H, O, tau = result.config.sizes
    lede = f"I = {I}, H = {H}, O = {O}, τ = {tau}. {_sweep_summary(result)}"
    main = (
        _page_header("sweep", "error against step size", lede, source=source)
        + _section("the figure", figure, "figure")
        + _rich_html(sweep_report(result, source), "sweep")
    )
    return _document(f"gradcheck sweep — {source}", main)


def _derivation_html() -> str:
    """The derivation of 10.18 and on to 10.28, formulas typeset, each equation number where the terminal puts it."""
    parts = []
    for heading, paragraphs in DERIVATION:
        parts.append(f"<h2>{_math_html(heading)}</h2>\n")
        for p in paragraphs:
            shown = p.startswith(" ") or p[:2] in ("10", "⇒ ")  # an indented formula, or a line led by its number
            parts.append(_display_line(p) if shown else f"<p>{_math_html(p)}</p>\n")
    return "".join(parts)


def _display_line(text: str) -> str:
    """A displayed formula line: its pieces typeset, an equation number at its end set to the right."""
    pieces = re.split(r"\s{2,}", text.strip())
    number = pieces.pop() if len(pieces) > 1 and re.fullmatch(r"\(10\.\d+\)", pieces[-1]) else ""
    tag = f'<span class="eqno">{_esc(number)}</span>' if number else ""
    return f'<p class="display">{tag}{"   ".join(map(_math_html, pieces))}</p>\n'


def explain_page(numbers: StepNumbers | None, source: str) -> str:
    """`gradcheck explain --format html` for Fig. 10.3: the derivation of 10.18 through 10.28 and, with a config,
    the numbers at one step with the finite differences and the two misreadings beside them."""
    title = _plain(derivation().renderables[0])
    parts = explain_report(numbers, source if numbers else "").renderables[1:]  # the numbers, after the derivation
    lede = "" if numbers is None else f"with the numbers at t = {numbers.t}"
    main = (
        _page_header("explain", title, lede, source=source)
        + _derivation_html()
        + "".join(_rich_html(part, f"numbers-{k}") for k, part in enumerate(parts))
    )
    return _document(f"gradcheck explain — {title}", main)


def network_page(network: Network, variant: str, source: str) -> str:
    """`gradcheck explain CONFIG --format html` for a network without the walkthrough of 10.18: its forward
    equations, the derivation of its backward pass and the rows the check compares, formulas typeset."""
    report = network_report(network, variant, source)
    title = _plain(report.renderables[0])
    main = _page_header("explain", title, source=source) + "".join(
        _rich_html(part, f"network-{k}") for k, part in enumerate(report.renderables[1:])
    )
    return _document(f"gradcheck explain — {title}", main)


def _submission_row(k: int, file: str, grade: Grade, failing: str, note: str, seconds: float) -> str:
    cells = (
        f'<th scope="row" class="wrap"><a href="#story-{k}">{_esc(file)}</a></th>',
        f'<td data-key="verdict">{_badge(grade.value)}</td>',
        f'<td data-key="failing">{_esc(failing)}</td>',
        f'<td class="wrap" data-key="note">{_esc(note)}</td>',
        f'<td class="num" data-key="time">{seconds:.2f} s</td>',
    )
    return f'<tr data-row="{_esc(file)}" class="{grade.value.lower()}">{"".join(cells)}</tr>\n'


def grade_page(grading: Grading, source: str) -> str:
    """`gradcheck grade --format html`: the overall grade, one row per submission, then each submission's story:
    what went wrong (the named mistake, the equations it breaks, the error that stopped it) and its gradients."""
    word = grading.grade.value
    rows = [
        _submission_row(k, file_text(s.file), s.grade, ", ".join(s.failing), short_note(s), s.seconds)
        for k, s in enumerate(grading.submissions)
    ]
    heads = (("file", False), ("verdict", False), ("failing", False), ("mistake / error", False), ("time", True))
    stories = "".join(_submission_html(k, s) for k, s in enumerate(grading.submissions))
    main = (
        _page_header("grade", "grades", _sentence(summary_line(grading), word), word, source)
        + _section("submissions", _table_html("submissions", heads, rows, "submissions"))
        + _section("each submission", stories)
        + _section("what was graded", _facts(grade_header(grading, source)))
    )
    return _document(f"gradcheck grade: {word} — {source}", main)


def _submission_html(k: int, s: Submission) -> str:
    """One submission: its grade and file, what went wrong (the error that stopped it, or the named mistake and the
    equations it breaks) and, when it ran, its gradient tables (open unless it passed)."""
    head = f'<h3 id="story-{k}">{_badge(s.grade.value)} <span class="mono">{_esc(file_text(s.file))}</span></h3>\n'
    if s.result is None:
        return f"<article>{head}<p>{_esc(s.error or 'could not be run')}</p></article>\n"
    r = s.result
    tables = _params_table(r.params, f"submission-{k}") + _equations_table(r.equations, f"submission-{k}-equations")
    opened = " open" if s.grade is not Grade.PASS else ""
    return (
        f"<article>{head}<p>{_esc(_check_sentence(r))}</p>{_diagnosis_html(r, s.mistake)}{_forward_html(r)}"
        f"<details{opened}><summary>gradients</summary>{tables}</details></article>\n"
    )
