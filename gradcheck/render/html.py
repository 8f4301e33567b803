"""One self-contained HTML page per report (`--format html`): inline CSS, inline SVG, no script, no request.

Each page function takes what the command's terminal renderer takes and returns the whole document as text. The
words and numbers are the terminal's (the same verdict sentences, cells and tables, converted rather than written
twice); the page adds what a terminal cannot: the worst row marked, equations typeset, the sweep drawn. The verdict
comes first; colour only repeats what a word or a mark (✓ ✗ · ? ▲) already says; the text meets WCAG AA contrast
(html_style.TEXT_COLOURS); wide tables scroll inside their own box, so the page fits a phone; it prints. Every string is
escaped, and a Content-Security-Policy forbids loading anything at all.
"""

from __future__ import annotations

import re

from gradcheck.book.network import Network
from gradcheck.check.convergence import SweepResult
from gradcheck.check.results import BugsResult, CheckResult
from gradcheck.check.steps import StepNumbers
from gradcheck.engine.compare import ParamResult, Verdict
from gradcheck.engine.methods import RULES, Method
from gradcheck.render import svg
from gradcheck.render.bugs import bugs_verdict
from gradcheck.render.cells import sci
from gradcheck.render.convergence import sweep_report
from gradcheck.render.grade import file_text, grade_header, short_note, summary_line
from gradcheck.render.html_markup import (
    badge,
    document,
    esc,
    facts,
    math_html,
    page_header,
    plain,
    rich_html,
    section,
    sentence,
    table_html,
)
from gradcheck.render.html_results import check_body, check_sentence, diagnosis_html, equations_table, forward_html, params_table
from gradcheck.render.tables import header
from gradcheck.render.teaching import DERIVATION, derivation, explain_report, network_report
from gradcheck.user.grade import Grade, Grading, Submission

MATRIX_MARKS = {Verdict.FAIL: ("✗", "fails"), Verdict.PASS: ("·", "passes"), Verdict.UNDECIDED: ("?", "undecided")}


def run_page(result: CheckResult, source: str) -> str:
    """`gradcheck run --format html`: the verdict, the named mistake and the equations it breaks, the parameter
    table (and the equation table) with the worst row flagged, and how the check was made."""
    word = result.verdict.name
    main = page_header("run", "gradient check", check_sentence(result), word, source) + check_body(result, source)
    return document(f"gradcheck run: {word} — {source}", main)


def _matrix_cell(key: str, row: ParamResult) -> str:
    mark, words = MATRIX_MARKS[row.verdict]
    css = row.verdict.name.lower()
    symbol = f'<span class="mark" role="img" aria-label="{words}">{mark}</span>'
    return f'<td class="num {css}" data-key="{esc(key)}" data-verdict="{css}">{sci(row.max_rel_err)} {symbol}</td>'


def _matrix_row(result: CheckResult, keys: tuple[str, ...], clean: bool) -> str:
    """A row of the bug matrix: the bug, a cell per table row, whether it was caught and as predicted."""
    bug = result.bug
    name = "none (clean)" if bug is None else bug.name
    title = f' title="{esc(bug.summary)}"' if bug is not None else ""
    cells = "".join(_matrix_cell(key, result.rows[key]) for key in keys)
    if clean:
        tail = f"<td>{badge(result.verdict.name)}</td><td></td>"
    else:
        caught = "?" if result.verdict is Verdict.UNDECIDED else "yes" if result.failing else "NO"
        tail = f'<td data-key="caught">{caught}</td><td data-key="as-predicted">{"yes" if result.as_predicted else "no"}</td>'
    return f'<tr data-row="{esc(name)}"><th scope="row"{title}><code>{esc(name)}</code></th>{cells}{tail}</tr>\n'


def bugs_page(result: BugsResult, source: str) -> str:
    """`gradcheck bugs --format html`: the verdict, the matrix bugs × rows (✗ fails, · passes, ? undecided) and
    what each bug does."""
    word = result.verdict.name
    keys = tuple(result.clean.rows)
    heads = [("bug", False), *((key, True) for key in keys), ("caught", False), ("as predicted", False)]
    rows = [_matrix_row(result.clean, keys, True), *(_matrix_row(run, keys, False) for run in result.bugs)]
    caption = "max relative error per row (✗ = fails, · = passes, ? = undecided)"
    bugs = [run.bug for run in result.bugs if run.bug is not None]
    what = "".join(f"<li><code>{esc(b.name)}</code> — {math_html(b.summary)}. {esc(b.explanation)}</li>" for b in bugs)
    main = (
        page_header("bugs", "bug matrix", sentence(bugs_verdict(result), word), word, source)
        + section("the bug matrix", table_html(caption, heads, rows, "matrix"))
        + section("what each bug does", f"<ul>{what}</ul>\n" if what else "")
        + section("what was checked", facts(header(result.clean, source)))
    )
    return document(f"gradcheck bugs: {word} — {source}", main)


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
    legend = "".join(f"<li>{svg.legend_key(m)}{esc(RULES[Method(m)].title)}</li>" for m in result.errors)
    figure = (
        f'<ul class="legend" aria-label="methods">{legend}<li>thin vertical line: the step eps = "auto" takes</li></ul>'
        f'<div class="panels">{figures}</div>\n'
    )
    I, H, O, tau = result.config.sizes
    lede = f"I = {I}, H = {H}, O = {O}, τ = {tau}. {_sweep_summary(result)}"
    main = (
        page_header("sweep", "error against step size", lede, source=source)
        + section("the figure", figure, "figure")
        + rich_html(sweep_report(result, source), "sweep")
    )
    return document(f"gradcheck sweep — {source}", main)


def _derivation_html() -> str:
    """The derivation of 10.18 and on to 10.28, formulas typeset, each equation number where the terminal puts it."""
    parts = []
    for heading, paragraphs in DERIVATION:
        parts.append(f"<h2>{math_html(heading)}</h2>\n")
        for p in paragraphs:
            shown = p.startswith(" ") or p[:2] in ("10", "⇒ ")  # an indented formula, or a line led by its number
            parts.append(_display_line(p) if shown else f"<p>{math_html(p)}</p>\n")
    return "".join(parts)


def _display_line(text: str) -> str:
    """A displayed formula line: its pieces typeset, an equation number at its end set to the right."""
    pieces = re.split(r"\s{2,}", text.strip())
    number = pieces.pop() if len(pieces) > 1 and re.fullmatch(r"\(10\.\d+\)", pieces[-1]) else ""
    tag = f'<span class="eqno">{esc(number)}</span>' if number else ""
    return f'<p class="display">{tag}{"   ".join(map(math_html, pieces))}</p>\n'


def explain_page(numbers: StepNumbers | None, source: str) -> str:
    """`gradcheck explain --format html` for Fig. 10.3: the derivation of 10.18 through 10.28 and, with a config,
    the numbers at one step with the finite differences and the two misreadings beside them."""
    title = plain(derivation().renderables[0])
    parts = explain_report(numbers, source if numbers else "").renderables[1:]  # the numbers, after the derivation
    lede = "" if numbers is None else f"with the numbers at t = {numbers.t}"
    main = (
        page_header("explain", title, lede, source=source)
        + _derivation_html()
        + "".join(rich_html(part, f"numbers-{k}") for k, part in enumerate(parts))
    )
    return document(f"gradcheck explain — {title}", main)


def network_page(network: Network, variant: str, source: str) -> str:
    """`gradcheck explain CONFIG --format html` for a network other than Fig. 10.3: its forward equations, the
    derivation of its backward pass and the rows the check compares, formulas typeset."""
    report = network_report(network, variant, source)
    title = plain(report.renderables[0])
    main = page_header("explain", title, source=source) + "".join(
        rich_html(part, f"network-{k}") for k, part in enumerate(report.renderables[1:])
    )
    return document(f"gradcheck explain — {title}", main)


def _submission_row(k: int, file: str, grade: Grade, failing: str, note: str, seconds: float) -> str:
    cells = (
        f'<th scope="row" class="wrap"><a href="#story-{k}">{esc(file)}</a></th>',
        f'<td data-key="verdict">{badge(grade.value)}</td>',
        f'<td data-key="failing">{esc(failing)}</td>',
        f'<td class="wrap" data-key="note">{esc(note)}</td>',
        f'<td class="num" data-key="time">{seconds:.2f} s</td>',
    )
    return f'<tr data-row="{esc(file)}" class="{grade.value.lower()}">{"".join(cells)}</tr>\n'


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
        page_header("grade", "grades", sentence(summary_line(grading), word), word, source)
        + section("submissions", table_html("submissions", heads, rows, "submissions"))
        + section("each submission", stories)
        + section("what was graded", facts(grade_header(grading, source)))
    )
    return document(f"gradcheck grade: {word} — {source}", main)


def _submission_html(k: int, s: Submission) -> str:
    """One submission: its grade and file, what went wrong (the error that stopped it, or the named mistake and the
    equations it breaks) and, when it ran, its gradient tables (open unless it passed)."""
    head = f'<h3 id="story-{k}">{badge(s.grade.value)} <span class="mono">{esc(file_text(s.file))}</span></h3>\n'
    if s.result is None:
        return f"<article>{head}<p>{esc(s.error or 'could not be run')}</p></article>\n"
    r = s.result
    tables = params_table(r.params, f"submission-{k}") + equations_table(r.equations, f"submission-{k}-equations")
    opened = " open" if s.grade is not Grade.PASS else ""
    return (
        f"<article>{head}<p>{esc(check_sentence(r))}</p>{diagnosis_html(r, s.mistake)}{forward_html(r)}"
        f"<details{opened}><summary>gradients</summary>{tables}</details></article>\n"
    )
