"""Rendering: functions that return rich renderables and print nothing."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from gradcheck.bugs import Bug
from gradcheck.check import CheckResult, EquationResult
from gradcheck.compare import ParamResult
from gradcheck.numerics import Method

METHOD_NAMES = {Method.CENTRAL: "central differences", Method.FORWARD: "forward differences"}
AUTO_RULE = {Method.CENTRAL: "ε_mach^(1/3)·max(1, |θ|)", Method.FORWARD: "ε_mach^(1/2)·max(1, |θ|)"}


def sci(value: float) -> str:
    """A number in the fixed table format; NaN and inf spelt out."""
    return f"{value:.2e}" if value == value and abs(value) != float("inf") else str(value)


def verdict_text(passed: bool) -> Text:
    """PASS or FAIL: the word carries the meaning, the colour is extra."""
    return Text("PASS", style="bold green") if passed else Text("FAIL", style="bold red")


def _shape(shape: tuple[int, ...]) -> str:
    return "×".join(str(n) for n in shape)


def _index(index: tuple[int, ...]) -> str:
    return "[" + ", ".join(str(k) for k in index) + "]"


def _error_columns(row: ParamResult, worst_at: str) -> list[Text]:
    """The columns every table shares: the errors of DESIGN.md §4 and the worst entry with both values."""
    return [
        *map(Text, (sci(row.max_abs_err), sci(row.max_rel_err), sci(row.norm_rel_err), worst_at)),
        *map(Text, (f"{row.worst_analytic:.6e}", f"{row.worst_numeric:.6e}", str(row.failed))),
        verdict_text(row.passed),
    ]


def _table(title: str, leading: tuple[str, ...]) -> Table:
    table = Table(title=title, title_justify="left", header_style="bold")
    for k, name in enumerate(leading):
        table.add_column(name, justify="left" if k == 0 else "right")
    for name in ("max |a−n|", "max rel err", "norm rel err", "worst at", "analytic", "numeric", "failed"):
        table.add_column(name, justify="right")
    table.add_column("verdict")
    return table


def _checked(row: ParamResult) -> str:
    return str(row.checked) if row.checked == row.size else f"{row.checked}/{row.size}"


def build_table(rows: tuple[ParamResult, ...], title: str = "parameters") -> Table:
    """One row per parameter: shape, entries checked, the error columns and the verdict."""
    table = _table(title, ("param", "shape", "checked"))
    for row in rows:
        leading = map(Text, (row.name, _shape(row.shape), _checked(row)))
        table.add_row(*leading, *_error_columns(row, _index(row.worst_index)))
    return table


def equation_table(rows: tuple[EquationResult, ...]) -> Table:
    """One row per equation, each checked against finite differences of L w.r.t. its own node."""
    table = _table("equations (each node perturbed itself; t counts from 1)", ("eq", "gradient"))
    table.columns[1].justify = "left"
    table.columns[1].overflow = "fold"
    for result in rows:
        row, eq = result.row, result.equation
        node = eq.target in ("o", "h") and len(row.worst_index) == 2
        worst = f"t={row.worst_index[0] + 1}, i={row.worst_index[1]}" if node else _index(row.worst_index)
        table.add_row(Text(eq.number), Text(eq.formula), *_error_columns(row, worst))
    return table


def header(result: CheckResult, source: str) -> Table:
    """What was checked and how: config, sizes, method, step, tolerance, loss, run time."""
    check = result.config.check
    I, H, O, tau = result.config.sizes
    if check.eps == "auto":
        low, high = result.steps
        span = sci(low) if low == high else f"{sci(low)} … {sci(high)}"
        step = f"auto = {AUTO_RULE[check.method]}: {span}"
    else:
        step = sci(float(check.eps))
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    for key, value in (
        ("config", source),
        ("sizes", f"I = {I}, H = {H}, O = {O}, τ = {tau}"),
        ("method", f"{METHOD_NAMES[check.method]}, float64"),
        ("step", step),
        ("tolerance", f"|a − n| ≤ atol + rtol·max(|a|, |n|), rtol = {check.rtol:g}, atol = {check.atol:g}"),
        ("loss", f"L = {result.loss:.10g}"),
        ("run time", f"{result.elapsed * 1000:.1f} ms"),
    ):
        grid.add_row(key, Text(value))
    return grid


def verdict_line(result: CheckResult) -> Text:
    """The final line: the verdict and, on failure, which parameters and how to read them."""
    rows = result.params
    bad = [row for row in rows if not row.passed]
    nodes = [e for e in result.equations if e.equation.target in ("o", "h")]
    bad_nodes = [e.equation.number for e in nodes if not e.row.passed]
    line = verdict_text(result.passed)
    also = f" and all {len(result.equations)} equations" if result.equations else ""
    if result.passed:
        line.append(f"  all {len(rows)} parameter gradients{also} match the finite-difference estimates")
        return line
    if not bad:
        line.append(f"  the parameter gradients match, but equation {', '.join(bad_nodes)} does not")
        return line
    parts = []
    for row in bad:
        if row.nonfinite:
            parts.append(f"{row.name} (NaN/inf in {row.nonfinite} of {row.checked} entries, first at {_index(row.worst_index)})")
        else:
            parts.append(f"{row.name} ({row.failed} of {row.checked} entries; worst {_index(row.worst_index)})")
    line.append(f"  {len(bad)} of {len(rows)} parameter gradients disagree: " + ", ".join(parts))
    if bad_nodes:
        line.append(f"; equations {', '.join(bad_nodes)} too")
    return line


def bug_panel(bug: Bug) -> Panel:
    """What an injected bug does and what it should break."""
    body = Text(bug.explanation)
    body.append("\nshould fail: " + ", ".join(sorted(bug.params | bug.nodes)), style="bold")
    return Panel(body, title=f"injected bug: {bug.name} — {bug.summary}", title_align="left", border_style="yellow")


def prediction_line(result: CheckResult) -> Text:
    """Whether a bug run failed exactly the rows its explanation predicts."""
    assert result.bug is not None
    expected = result.bug.predicted(tuple(result.rows))
    if result.failing == expected:
        return Text(f"as predicted: {result.bug.name} fails exactly {', '.join(sorted(expected)) or 'nothing'}")
    missed, extra = sorted(expected - result.failing), sorted(result.failing - expected)
    return Text(f"NOT as predicted: passed {', '.join(missed) or '—'}; failed also {', '.join(extra) or '—'}", style="yellow")


def run_report(result: CheckResult, source: str) -> Group:
    """Header, parameter table (and equation table) and verdict of `gradcheck run`."""
    parts: list[RenderableType] = [bug_panel(result.bug)] if result.bug else []
    parts += [header(result, source), Text(), build_table(result.params)]
    if result.equations:
        parts += [Text(), equation_table(result.equations)]
    parts.append(verdict_line(result))
    if result.bug:
        parts.append(prediction_line(result))
    return Group(*parts)


def _cell(row: ParamResult) -> Text:
    """A matrix cell: the max relative error, marked ✗ (and red) when the row fails."""
    if row.passed:
        return Text(sci(row.max_rel_err), style="green")
    return Text(f"{sci(row.max_rel_err)} ✗", style="bold red")


def bug_matrix(clean: CheckResult, results: tuple[CheckResult, ...]) -> Table:
    """Rows: no bug, then each bug; columns: parameters (and node equations); cells: max relative error."""
    keys = tuple(clean.rows)
    table = Table(title="max relative error per row (✗ = fails)", title_justify="left", header_style="bold")
    table.add_column("bug")
    for key in keys:
        table.add_column(key, justify="right")
    table.add_column("caught")
    table.add_column("as predicted")
    table.add_row(Text("none (clean)"), *(_cell(clean.rows[k]) for k in keys), verdict_text(clean.passed), Text())
    for result in results:
        assert result.bug is not None
        caught = Text("yes", style="green") if result.failing else Text("NO", style="bold red")
        predicted = Text("yes") if result.failing == result.bug.predicted(keys) else Text("no", style="yellow")
        table.add_row(Text(result.bug.name), *(_cell(result.rows[k]) for k in keys), caught, predicted)
    return table


def bugs_verdict(clean: CheckResult, results: tuple[CheckResult, ...]) -> Text:
    """PASS when the clean gradients pass and every bug is caught; with the margin between them."""
    missed = [r.bug.name for r in results if r.bug and not r.failing]
    passed = clean.passed and not missed
    line = verdict_text(passed)
    caught = len(results) - len(missed)
    line.append(f"  {caught} of {len(results)} bugs caught; clean gradients {'pass' if clean.passed else 'FAIL'}")
    if missed:
        line.append(f"; not caught: {', '.join(missed)}")
    failing = [row.max_rel_err for r in results for row in r.rows.values() if not row.passed]
    largest_clean = max((row.max_rel_err for row in clean.rows.values()), default=0.0)
    if failing and largest_clean > 0:
        margin = min(failing) / largest_clean
        line.append(f". Smallest failing max rel err {sci(min(failing))}, largest clean {sci(largest_clean)}: {margin:.1e}×")
    return line


def bugs_report(clean: CheckResult, results: tuple[CheckResult, ...], source: str) -> Group:
    """`gradcheck bugs`: the header, the matrix and the verdict."""
    return Group(header(clean, source), Text(), bug_matrix(clean, results), bugs_verdict(clean, results))


def bug_list(bugs: tuple[Bug, ...]) -> Table:
    """`gradcheck bugs --list`: every bug, what it does, why it is wrong and what it breaks."""
    table = Table(
        title="injected bugs (gradcheck run --bug NAME)",
        caption="h0 fails only where h(0) is learned; the predictions assume τ > 1 and H > 1",
        title_justify="left",
        caption_justify="left",
        header_style="bold",
        show_lines=True,
    )
    table.add_column("name", no_wrap=True)
    table.add_column("what and why", ratio=1)
    table.add_column("should fail", no_wrap=True)
    for bug in bugs:
        body = Text(bug.summary, style="bold")
        body.append("\n" + bug.explanation, style="")
        table.add_row(Text(bug.name), body, Text(", ".join(sorted(bug.params | bug.nodes))))
    return table
