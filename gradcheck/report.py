"""Rendering: functions that return rich renderables and print nothing."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from gradcheck.check import CheckResult
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


def build_table(rows: tuple[ParamResult, ...], title: str = "parameters") -> Table:
    """One row per parameter: the error columns of DESIGN.md §4 and the worst entry with both values."""
    table = Table(title=title, title_justify="left", header_style="bold")
    table.add_column("param")
    table.add_column("shape", justify="right")
    table.add_column("checked", justify="right")
    for name in ("max |a−n|", "max rel err", "norm rel err"):
        table.add_column(name, justify="right")
    table.add_column("worst at", justify="right")
    table.add_column("analytic", justify="right")
    table.add_column("numeric", justify="right")
    table.add_column("failed", justify="right")
    table.add_column("verdict")
    for row in rows:
        table.add_row(
            row.name,
            _shape(row.shape),
            str(row.checked) if row.checked == row.size else f"{row.checked}/{row.size}",
            sci(row.max_abs_err),
            sci(row.max_rel_err),
            sci(row.norm_rel_err),
            _index(row.worst_index),
            f"{row.worst_analytic:.6e}",
            f"{row.worst_numeric:.6e}",
            str(row.failed),
            verdict_text(row.passed),
        )
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
        grid.add_row(key, value)
    return grid


def verdict_line(result: CheckResult) -> Text:
    """The final line: the verdict and, on failure, which parameters and how to read them."""
    rows = result.params
    bad = [row for row in rows if not row.passed]
    line = verdict_text(result.passed)
    if not bad:
        line.append(f"  all {len(rows)} parameter gradients match the finite-difference estimates")
        return line
    parts = []
    for row in bad:
        if row.nonfinite:
            parts.append(f"{row.name} (NaN/inf in {row.nonfinite} of {row.checked} entries, first at {_index(row.worst_index)})")
        else:
            parts.append(f"{row.name} ({row.failed} of {row.checked} entries; worst {_index(row.worst_index)})")
    line.append(f"  {len(bad)} of {len(rows)} parameter gradients disagree: " + ", ".join(parts))
    return line


def run_report(result: CheckResult, source: str) -> Group:
    """Header, parameter table and verdict of `gradcheck run`."""
    return Group(header(result, source), Text(), build_table(result.params), verdict_line(result))
