"""Rendering: functions that return rich renderables and print nothing."""

from __future__ import annotations

import io
import time

import numpy as np
from numpy.typing import NDArray
from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from gradcheck.api import GradientReport
from gradcheck.bugs import Bug
from gradcheck.check import CheckResult, EquationResult
from gradcheck.compare import ParamResult
from gradcheck.convergence import SweepResult, TaylorResult
from gradcheck.explain import StepNumbers
from gradcheck.numerics import RULES, Method

METHOD_NAMES = {
    Method.CENTRAL: "central differences",
    Method.FORWARD: "forward differences",
    Method.RICHARDSON: "Richardson-extrapolated central differences",
    Method.COMPLEX_STEP: "complex step",
}
AUTO_RULE = {
    Method.CENTRAL: "ε_mach^(1/3)·max(1, |θ|)",
    Method.FORWARD: "ε_mach^(1/2)·max(1, |θ|)",
    Method.RICHARDSON: "ε_mach^(1/5)·max(1, |θ|)",
    Method.COMPLEX_STEP: "1e-20 (imaginary)",
}


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
        *map(Text, (f"{row.worst_analytic:.6e}", f"{row.worst_numeric:.6e}", sci(row.worst_limit), str(row.failed))),
        verdict_text(row.passed),
    ]


def _table(title: str, leading: tuple[str, ...]) -> Table:
    table = Table(title=title, title_justify="left", header_style="bold")
    for k, name in enumerate(leading):
        table.add_column(name, justify="left" if k == 0 else "right", overflow="fold")
    for name in ("max |a−n|", "max rel err", "norm rel err", "worst at", "analytic", "numeric", "limit", "failed"):
        table.add_column(name, justify="right", overflow="fold")  # a narrow terminal wraps numbers, never cuts them
    table.add_column("verdict")
    return table


def _checked(row: ParamResult) -> str:
    if row.unit == "directions":
        return f"{row.checked} dirs"
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
        ("method", f"{METHOD_NAMES[check.method]} {RULES[check.method].formula}, float64"),
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


def verdict_line(result: CheckResult | GradientReport) -> Text:
    """The final line: the verdict and, on failure, which parameters and how to read them."""
    rows = result.params
    bad = [row for row in rows if not row.passed]
    nodes = [e for e in result.equations if e.equation.target in ("o", "h")]
    bad_nodes = [e.equation.number for e in nodes if not e.row.passed]
    line = verdict_text(result.passed)
    line.append("  ")
    if result.nonfinite_loss is not None:
        t, node = result.nonfinite_loss
        line.append(f"the loss is {result.loss}: the forward pass first goes non-finite at t = {t}, in {node}. ")
    also = f" and all {len(result.equations)} equations" if result.equations else ""
    if result.passed:
        line.append(f"all {len(rows)} parameter gradients{also} match the finite-difference estimates")
        return line
    if not bad:
        what = f"equation {', '.join(bad_nodes)} does not" if bad_nodes else "the loss is not finite"
        line.append(f"the parameter gradients match, but {what}")
        return line
    parts = []
    for row in bad:
        if row.vanished:
            parts.append(
                f"{row.name} (step too small: θ + ε == θ for {row.vanished} of {row.checked} entries; "
                'use a larger eps or eps = "auto")'
            )
        elif row.nonfinite:
            parts.append(f"{row.name} (NaN/inf in {row.nonfinite} of {row.checked} entries, first at {_index(row.worst_index)})")
        else:
            located = ", located by bisection" if row.unit == "directions" else ""
            parts.append(f"{row.name} ({row.failed} of {row.checked} {row.unit}; worst entry {_index(row.worst_index)}{located})")
    line.append(f"{len(bad)} of {len(rows)} parameter gradients disagree: " + ", ".join(parts))
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


DERIVATION: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "1. The loss at one step (10.12–10.14)",
        (
            "L(t) = −log p_model(y(t) | x(1), …, x(t)) = −log ŷ_{y(t)}(t)",
            "The network reads x(1..t) through h(t) (10.8–10.9), scores the classes with o(t) = c + V h(t) (10.10) "
            "and turns the scores into probabilities ŷ(t) = softmax(o(t)) (10.11).",
        ),
    ),
    (
        "2. log p_model as a function of o(t)",
        (
            "ŷ_i(t) = exp o_i(t) / Σ_j exp o_j(t), so",
            "    log p_model(y(t) | x(1..t)) = log ŷ_{y(t)}(t) = o_{y(t)}(t) − log Σ_j exp o_j(t)      (log-softmax)",
            "It depends on x(1..t) only through o(t).",
        ),
    ),
    (
        "3. Differentiate with respect to o_i(t)",
        (
            "L(t) = −o_{y(t)}(t) + log Σ_j exp o_j(t)",
            "    ∂(−o_{y(t)}) / ∂o_i = −1[i = y(t)]          only the target's own score depends on o_i when i = y(t)",
            "    ∂(log Σ_j exp o_j) / ∂o_i = exp o_i / Σ_j exp o_j = ŷ_i",
            "⇒  ∂L(t)/∂o_i(t) = ŷ_i(t) − 1[i = y(t)]                                              (10.18)",
        ),
    ),
    (
        "4. What 1_{i,y(t)} means",
        (
            "1_{i,y(t)} is the indicator 1[i = y(t)]: 1 when i is the target class y(t), 0 for every other i "
            "(a Kronecker delta δ_{i,y(t)}). As a vector it is e_{y(t)}, the one-hot code of the target:",
            "    ∇o(t)L = ŷ(t) − e_{y(t)}",
            "ŷ(t) is a probability vector (every entry in (0, 1), summing to 1), so the gradient is negative only "
            "at the target, positive everywhere else, and its entries sum to 0.",
        ),
    ),
    (
        "5. Why ∂L/∂L(t) = 1 (10.17)",
        (
            "L = Σ_t L(t): every L(t) enters the sum with coefficient 1. And o(t) feeds only L(t) (nothing later "
            "reads o(t)), so ∇o(t)L = ∂L(t)/∂o(t), which is 10.18.",
        ),
    ),
    (
        "6. On through time (10.19–10.28)",
        (
            "10.19        h(τ) feeds only o(τ):  ∇h(τ)L = Vᵀ ∇o(τ)L",
            "10.20–10.21  h(t), t < τ, feeds o(t) and, through a(t+1) = b + W h(t) + U x(t+1) and "
            "h(t+1) = tanh(a(t+1)), every later step; tanh′(a) = 1 − tanh(a)² = 1 − h²:",
            "             ∇h(t)L = Wᵀ diag(1 − h(t+1)²) ∇h(t+1)L + Vᵀ ∇o(t)L",
            "10.22–10.28  every step shares the parameters, so their gradients sum over t:",
            "             ∇c L = Σ_t ∇o(t)L    ∇b L = Σ_t diag(1 − h(t)²) ∇h(t)L    ∇V L = Σ_t ∇o(t)L h(t)ᵀ",
            "             ∇W L = Σ_t diag(1 − h(t)²) ∇h(t)L h(t−1)ᵀ    ∇U L = Σ_t diag(1 − h(t)²) ∇h(t)L x(t)ᵀ",
            "Check each one on its own node: gradcheck run --equations",
        ),
    ),
    (
        "7. Two misreadings",
        (
            '(a) "ŷ_i = o_i / Σ_j o_j". Without the exponentials this is not softmax: its entries can be negative '
            "or above 1 and it is undefined when Σ_j o_j = 0, so it is not a probability vector. And 10.18 is not "
            "its gradient: ∂/∂o_i [−log(o_y / Σ_j o_j)] = −1[i = y]/o_y + 1/Σ_j o_j. "
            "Try: gradcheck run --bug ratio-softmax",
            '(b) "ŷ is the one-hot prediction". ŷ(t) is the whole probability vector softmax(o(t)), not '
            "e_{argmax}. Read as one-hot, ŷ − e_y would be 0 whenever the prediction is right, leaving nothing "
            "to learn, and argmax has no useful derivative. Try: gradcheck run --bug missing-indicator",
        ),
    ),
)


def derivation() -> Group:
    """The derivation of 10.18 and the chain through 10.28, as text."""
    parts: list[RenderableType] = [Text("Equation 10.18, step by step", style="bold underline")]
    for heading, paragraphs in DERIVATION:
        parts += [Text(), Text(heading, style="bold"), *(Text(p) for p in paragraphs)]
    return Group(*parts)


def _max_diff(a: NDArray[np.float64], b: NDArray[np.float64]) -> float:
    return float(np.max(np.abs(a - b)))


def step_table(n: StepNumbers) -> Table:
    """The vectors of 10.18 at step t, beside the finite-difference estimate and the two misreadings."""
    target = f"y(t) = {n.y}" + (f" ({n.symbol!r})" if n.symbol is not None else "")
    table = Table(
        title=f"∇o(t)L at t = {n.t} of τ = {n.tau}, {target}",
        caption="* the target class y(t)",
        title_justify="left",
        caption_justify="left",
        header_style="bold",
    )
    columns = (
        "i",
        "o_i(t)",
        "ŷ_i(t)",
        "1[i = y(t)]",
        "ŷ − e_y (10.18)",
        "finite diff.",
        "o_i / Σo",
        "(a) ratio − e_y",
        "(b) onehot − e_y",
    )
    for name in columns:
        table.add_column(Text(name), justify="right")
    for i in range(len(n.o)):
        before = (n.o[i], n.y_hat[i])
        after = (n.grad[i], n.numeric[i], n.ratio[i], n.ratio_grad[i], n.one_hot_grad[i])
        style = "bold" if i == n.y else ""
        cells = [
            f"{i}*" if i == n.y else str(i),
            *(f"{v: .6f}" for v in before),
            f"{n.e_y[i]:.0f}",
            *(f"{v: .6f}" for v in after),
        ]
        table.add_row(*(Text(cell, style=style) for cell in cells))
    return table


def step_summary(n: StepNumbers) -> Group:
    """What the numbers at step t show, one line per claim."""
    ok = _max_diff(n.grad, n.numeric)
    lines = [
        Text(f"10.18 against finite differences of L: max |difference| = {sci(ok)}  ").append(verdict_text(ok < 1e-6)),
        Text(
            f"ŷ(t) is a probability vector: entries in ({n.y_hat.min():.3g}, {n.y_hat.max():.3g}), "
            f"Σ_i ŷ_i = {n.y_hat.sum():.15f}; Σ_i (ŷ − e_y)_i = {sci(float(n.grad.sum()))}"
        ),
        Text(
            f"(a) ratio − e_y against finite differences of L: max |difference| = {sci(_max_diff(n.ratio_grad, n.numeric))}"
            f"; o/Σo has entries from {n.ratio.min():.3g} to {n.ratio.max():.3g}, summing to {n.ratio.sum():.3g}"
        ),
    ]
    if np.isfinite(n.ratio_numeric).all():
        diff = _max_diff(n.ratio_grad, n.ratio_numeric)
        lines.append(Text(f"    and not even the gradient of its own loss −log(o_y/Σo): max |difference| = {sci(diff)}"))
    else:
        lines.append(Text(f"    and its own loss −log(o_y/Σo) is undefined here: o_y/Σo = {n.ratio[n.y]:.3g} ≤ 0"))
    lines.append(
        Text(
            f"(b) onehot − e_y against finite differences of L: max |difference| = "
            f"{sci(_max_diff(n.one_hot_grad, n.numeric))}"
            + ("  (the prediction is right, so it is all zeros: nothing to learn)" if not n.one_hot_grad.any() else "")
        )
    )
    return Group(*lines)


def explain_report(numbers: StepNumbers | None, source: str | None) -> Group:
    """`gradcheck explain`: the derivation, and with a config the numbers at one step."""
    parts: list[RenderableType] = [derivation()]
    if numbers is not None:
        parts += [Text(), Text(f"8. The numbers ({source})", style="bold"), step_table(numbers), step_summary(numbers)]
    return Group(*parts)


def taylor_report(result: TaylorResult, source: str) -> Group:
    """`gradcheck taylor`: the remainder per step and its observed convergence order per parameter."""
    I, H, O, tau = result.config.sizes
    table = Table(
        title=f"Taylor test ({source}: I = {I}, H = {H}, O = {O}, τ = {tau}; L = {result.loss:.10g})",
        caption="r(ε) = |L(θ + εu) − L(θ) − ε uᵀ∇L| along a random unit direction u, ε halving from 0.1; "
        "a right gradient leaves an O(ε²) remainder (order 2), a wrong one O(ε) (order 1)",
        title_justify="left",
        caption_justify="left",
        header_style="bold",
    )
    for name in ("param", "r(0.1)", "r(ε_min)", "orders, step by step", "order", "verdict"):
        table.add_column(name, justify="left" if name in ("param", "orders, step by step") else "right")
    for row in result.rows:
        orders = " ".join(f"{v:.2f}" if np.isfinite(v) else "—" for v in row.orders)
        table.add_row(
            Text(row.name),
            Text(sci(float(row.remainders[0]))),
            Text(sci(float(row.remainders[-1]))),
            Text(orders),
            Text(f"{row.order:.2f}"),
            verdict_text(row.passed),
        )
    bad = [row.name for row in result.rows if not row.passed]
    line = verdict_text(result.passed)
    line.append("  every remainder shrinks as ε²" if not bad else f"  first-order remainder (a wrong gradient): {', '.join(bad)}")
    parts: list[RenderableType] = [bug_panel(result.bug)] if result.bug else []
    return Group(*parts, table, line)


class LazyProgress:
    """A progress bar on `console` that appears only once the work has run for `delay` seconds.

    Call it as check.Progress: (what, done, total). Short checks never show it; close() removes it.
    """

    def __init__(self, console: Console, delay: float = 1.0) -> None:
        self.start, self.delay = time.perf_counter(), delay
        self.bar = Progress(
            TextColumn("estimating {task.description}"),
            BarColumn(),
            TextColumn("{task.completed:,.0f} of {task.total:,.0f} forward passes"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self.task: TaskID | None = None

    def __call__(self, what: str, done: int, total: int) -> None:
        if self.task is None and time.perf_counter() - self.start >= self.delay:
            self.bar.start()
            self.task = self.bar.add_task(what, total=total)
        if self.task is not None:
            self.bar.update(self.task, description=what, completed=done, total=total)

    def close(self) -> None:
        if self.task is not None:
            self.bar.stop()


def plain_text(renderable: RenderableType, width: int = 160) -> str:
    """A renderable as plain text (no colour), e.g. for a report file."""
    console = Console(width=width, color_system=None, record=True, file=io.StringIO())
    console.print(renderable)
    return console.export_text()


def html(renderable: RenderableType, width: int = 160) -> str:
    """A renderable as an HTML fragment, for notebooks."""
    console = Console(width=width, record=True, file=io.StringIO())
    console.print(renderable)
    return console.export_html(inline_styles=True)


def gradient_report(result: GradientReport) -> Group:
    """The table and verdict of a check_gradients result."""
    rule = "the method's error bound" if result.tolerance == "auto" else "fixed rtol/atol"
    title = f"gradients ({METHOD_NAMES[result.method]}, pass line: {rule}; f = {result.loss:.10g})"
    return Group(build_table(result.params, title=title), verdict_line(result))


def sweep_report(result: SweepResult, source: str) -> Group:
    """`gradcheck sweep`: a table per method, rows ε, columns parameters, cells the norm-wise relative error.

    The smallest error of each column is marked ●, the step eps = "auto" takes (for |θ| ≤ 1) ◀ auto.
    """
    I, H, O, tau = result.config.sizes
    parts: list[RenderableType] = [
        Text(
            f"error against step size ({source}: I = {I}, H = {H}, O = {O}, τ = {tau}); "
            "cells: norm-wise relative error ‖a − n‖ / (‖a‖ + ‖n‖)",
            style="bold",
        )
    ]
    for method, curves in result.errors.items():
        auto = result.auto[method]
        nearest = int(np.argmin(np.abs(np.log(result.eps / auto)))) if auto else -1
        table = Table(title=METHOD_NAMES[Method(method)], title_justify="left", header_style="bold")
        table.add_column("ε", justify="right")
        for name in curves:
            table.add_column(name, justify="right")
        table.add_column("")
        best = {name: int(np.nanargmin(np.where(np.isfinite(c), c, np.inf))) for name, c in curves.items()}
        for k, eps in enumerate(result.eps):
            cells = [
                Text(sci(float(c[k])) + (" ●" if best[name] == k else "  "), style="bold" if best[name] == k else "")
                for name, c in curves.items()
            ]
            table.add_row(Text(f"{eps:.1e}"), *cells, Text("◀ auto" if k == nearest else ""))
        parts += [Text(), table]
    parts.append(
        Text(
            f'run time {result.elapsed:.1f} s; ● smallest error per column; ◀ auto: the step eps = "auto" '
            "takes for |θ| ≤ 1 (the complex step's auto step is 1e-20)"
        )
    )
    return Group(*parts)
