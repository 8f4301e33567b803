"""The check's tables: the header, one row per parameter and per equation, and the verdict line."""

from __future__ import annotations

import copy
from typing import Protocol

import numpy as np
from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from gradcheck.check.results import CheckResult, EquationResult
from gradcheck.engine.compare import ParamResult, Verdict
from gradcheck.engine.methods import RULES, Method
from gradcheck.render.cells import ERROR_COLUMNS, checked_text, index_text, sci, shape_text, verdict_text

# On a narrow terminal, columns go in this order before a number would be split across lines.
DROP_ORDER = ("norm rel err", "max |a−n|", "shape", "limit", "checked", "worst at", "analytic", "numeric", "gradient", "failed")


class Fitted:
    """A table that leaves out its least important columns (DROP_ORDER), rather than split a number, when the
    console is too narrow for all of them; the verdict column always stays."""

    def __init__(self, table: Table) -> None:
        self.table = table

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        table = self.table
        for header in DROP_ORDER:
            unbounded = options.update_width(100_000)  # measure the width the table wants, not the one it gets
            if Measurement.get(console, unbounded, table).maximum <= options.max_width:
                break
            table = copy.copy(table)
            table.columns = [column for column in table.columns if column.header != header]
        yield table

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement.get(console, options, self.table)


def _table(title: str, leading: tuple[str, ...]) -> Table:
    table = Table(title=title, title_justify="left", header_style="bold")
    for k, name in enumerate(leading):
        table.add_column(name, justify="left" if k == 0 else "right", no_wrap=True)
    for column in ERROR_COLUMNS:
        table.add_column(column.header, justify="right", no_wrap=True)  # a number is never split across lines
    table.add_column("verdict", no_wrap=True)
    return table


def _error_cells(row: ParamResult, worst_at: str | None = None) -> list[Text]:
    """The error columns of DESIGN.md §4 and the verdict; worst_at replaces the index text where given."""
    cells = [Text(worst_at if worst_at is not None and c.key == "worst_index" else c.cell(row)) for c in ERROR_COLUMNS]
    return [*cells, verdict_text(row.verdict)]


def build_table(rows: tuple[ParamResult, ...], title: str = "parameters") -> Fitted:
    """One row per parameter: shape, entries checked, the error columns and the verdict."""
    table = _table(title, ("param", "shape", "checked"))
    for row in rows:
        table.add_row(*map(Text, (row.name, shape_text(row.shape), checked_text(row))), *_error_cells(row))
    return Fitted(table)


def equation_table(rows: tuple[EquationResult, ...]) -> Fitted:
    """One row per equation, each checked against finite differences of L w.r.t. its own node."""
    table = _table("equations (each node perturbed itself; t counts from 1)", ("eq", "gradient"))
    table.columns[1].justify = "left"
    table.columns[1].no_wrap = False  # the formula wraps at its spaces, within a bounded width
    table.columns[1].overflow = "fold"
    table.columns[1].max_width = 36
    for result in rows:
        table.add_row(Text(result.equation.number), Text(result.equation.formula), *_error_cells(result.row, node_worst(result)))
    return Fitted(table)


def node_worst(result: EquationResult) -> str | None:
    """A node's worst entry as t (from 1) and i, for the node's (t − 1, i) index; None for a parameter's row."""
    row = result.row
    node = result.node and len(row.worst_index) == 2  # a node (τ, n): its index is (t − 1, i)
    return f"t={row.worst_index[0] + 1}, i={row.worst_index[1]}" if node else None


def header(result: CheckResult, source: str) -> Table:
    """What was checked and how: config, sizes, method, step, tolerance, loss, run time."""
    check = result.config.check
    rule = RULES[check.method]
    I, H, O, tau = result.config.sizes
    if check.eps == "auto":
        low, high = result.steps
        span = sci(low) if low == high else f"{sci(low)} … {sci(high)}"
        step = f"auto = {rule.step_rule}: {span}"
    else:
        step = sci(float(check.eps))
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    code = (("checked", f"your code: {result.code}"), *result.notes) if result.code else ()
    of_sizes = "".join(f" ({value})" for key, value in code if key == "sizes")
    for key, value in (
        ("config", source),
        *(row for row in code if row[0] != "sizes"),
        ("sizes", f"I = {I}, H = {H}, O = {O}, τ = {tau}{of_sizes}"),
        ("method", f"{rule.title} {rule.formula}, float64"),
        ("step", step),
        ("tolerance", tolerance_text(result)),
        ("loss", f"L = {result.loss:.10g}"),
        ("run time", f"{result.elapsed * 1000:.1f} ms"),
    ):
        grid.add_row(key, Text(value))
    return grid


def tolerance_text(result: CheckResult) -> str:
    """The pass line in words: fixed rtol/atol, or the method's own error bound."""
    check = result.config.check
    if result.config.fixed_tolerance:
        return f"fixed: |a − n| ≤ atol + rtol·max(|a|, |n|), rtol = {check.rtol:g}, atol = {check.atol:g}"
    return f"auto: |a − n| ≤ the method's error bound {RULES[check.method].bound_formula} (column limit)"


def _row_failure(row: ParamResult) -> str:
    """Why one row failed, in words."""
    if row.nonfinite and not np.isfinite(row.worst_analytic):
        where = f"{row.nonfinite} of {row.checked} entries, first at {index_text(row.worst_index)}"
        return f"{row.name} (NaN/inf in the gradient at {where})"
    located = ", located by bisection" if row.unit == "directions" else ""
    confirmed = f", confirmed by the {row.confirmed_by}" if row.confirmed_by else ""
    return f"{row.name} ({row.failed} of {row.checked} {row.unit}{confirmed}; worst entry {index_text(row.worst_index)}{located})"


def _overturned(rows: list[ParamResult]) -> str:
    """How many first-round failures the second estimate overturned, if any."""
    turned = [row for row in rows if row.overturned]
    if not turned:
        return ""
    total = sum(row.overturned for row in turned)
    return f" ({total} first-round {'failure' if total == 1 else 'failures'} overturned by the {turned[0].confirmed_by})"


def verdict_line(
    params: tuple[ParamResult, ...],
    verdict: Verdict,
    equations: tuple[EquationResult, ...] = (),
    nonfinite_loss: tuple[int, str] | None = None,
    loss: float = 0.0,
) -> Text:
    """The final line: the verdict and, unless it passed, which rows and why."""
    rows = [*params, *(e.row for e in equations if e.node)]
    bad = [row for row in params if row.verdict is Verdict.FAIL]
    bad_nodes = [e.equation.number for e in equations if e.node and e.row.verdict is Verdict.FAIL]
    line = verdict_text(verdict)
    line.append("  ")
    if nonfinite_loss is not None:
        t, node = nonfinite_loss
        line.append(f"the loss is {loss}: the forward pass first goes non-finite at t = {t}, in {node}. ")
    if verdict is Verdict.PASS:
        also = f" and all {len(equations)} equations" if equations else ""
        line.append(f"all {len(params)} parameter gradients{also} match the finite-difference estimates{_overturned(rows)}")
        return line
    if bad:
        line.append(f"{len(bad)} of {len(params)} parameter gradients disagree: " + ", ".join(map(_row_failure, bad)))
        line.append(f"; equations {', '.join(bad_nodes)} too" if bad_nodes else "")
    elif bad_nodes:
        line.append(f"the parameter gradients match, but equation {', '.join(bad_nodes)} does not")
    elif nonfinite_loss is not None:
        line.append("the parameter gradients match, but the loss is not finite")
    elif verdict is Verdict.FAIL:
        line.append("the parameter gradients match the book's forward pass, but your forward pass is not the book's")
    undecided = [row for row in rows if row.verdict is Verdict.UNDECIDED]
    if undecided:
        line.append("; " if bad or bad_nodes else "")
        names = ", ".join(row.name for row in undecided)
        line.append(f"cannot decide {names}: {undecided[0].reason}")
    return line


class Rows(Protocol):
    """What the library API's result gives the renderer: its rows, verdict, method and pass rule."""

    @property
    def params(self) -> tuple[ParamResult, ...]: ...

    @property
    def verdict(self) -> Verdict: ...

    @property
    def method(self) -> Method: ...

    @property
    def tolerance(self) -> str: ...

    @property
    def loss(self) -> float: ...


def gradient_report(result: Rows) -> Group:
    """The table and verdict of a check_gradients result."""
    rule = "the method's error bound" if result.tolerance == "auto" else "fixed rtol/atol"
    title = f"gradients ({RULES[result.method].title}, pass line: {rule}; f = {result.loss:.10g})"
    return Group(build_table(result.params, title=title), verdict_line(result.params, result.verdict))
