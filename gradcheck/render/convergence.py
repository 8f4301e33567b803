"""The convergence studies on screen: the Taylor test's orders and the step-size sweep's tables."""

from __future__ import annotations

import numpy as np
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from gradcheck.check.convergence import SweepResult, TaylorResult
from gradcheck.engine.compare import Verdict
from gradcheck.engine.methods import RULES, Method
from gradcheck.render.bugs import bug_panel
from gradcheck.render.cells import sci, verdict_text


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
            verdict_text(row.verdict),
        )
    bad = [row.name for row in result.rows if row.verdict is Verdict.FAIL]
    undecided = [row.reason for row in result.rows if row.verdict is Verdict.UNDECIDED]
    line = verdict_text(result.verdict)
    if result.verdict is Verdict.PASS:
        line.append("  every remainder shrinks as ε²")
    if bad:
        line.append(f"  first-order remainder (a wrong gradient): {', '.join(bad)}")
    if undecided:
        line.append(f"{';' if bad else ''}  cannot decide {'; '.join(undecided)}")
    parts: list[RenderableType] = [bug_panel(result.bug)] if result.bug else []
    return Group(*parts, table, line)


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
        table = Table(title=RULES[Method(method)].title, title_justify="left", header_style="bold")
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
