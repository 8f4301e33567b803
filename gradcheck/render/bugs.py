"""The bug catalogue on screen: what a bug does, whether it failed as predicted, and the bugs × rows matrix."""

from __future__ import annotations

from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from gradcheck.book.network import Bug
from gradcheck.check.results import BugsResult, CheckResult
from gradcheck.engine.compare import ParamResult, Verdict
from gradcheck.render.cells import sci, verdict_text


def bug_panel(bug: Bug) -> Panel:
    """What an injected bug does and what it should break."""
    body = Text(bug.explanation)
    body.append("\nshould fail: " + ", ".join(sorted(bug.params | bug.nodes)), style="bold")
    return Panel(body, title=f"injected bug: {bug.name} — {bug.summary}", title_align="left", border_style="yellow")


def prediction_line(result: CheckResult) -> Text:
    """Whether a bug run failed exactly the rows its explanation predicts."""
    assert result.bug is not None
    if result.as_predicted:
        return Text(f"as predicted: {result.bug.name} fails exactly {', '.join(sorted(result.expected)) or 'nothing'}")
    missed, extra = sorted(result.expected - result.failing), sorted(result.failing - result.expected)
    parts = [f"{result.bug.name} should fail {', '.join(missed)}, which did not fail here"] if missed else []
    parts += [f"it also failed {', '.join(extra)}"] if extra else []
    return Text("NOT as predicted: " + "; ".join(parts), style="yellow")


def _cell(row: ParamResult) -> Text:
    """A matrix cell: the max relative error, marked ✗ (and red) when the row fails, ? when it is undecided."""
    if row.verdict is Verdict.FAIL:
        return Text(f"{sci(row.max_rel_err)} ✗", style="bold red")
    if row.verdict is Verdict.UNDECIDED:
        return Text(f"{sci(row.max_rel_err)} ?", style="bold yellow")
    return Text(sci(row.max_rel_err), style="green")


def bug_matrix(result: BugsResult) -> Table:
    """Rows: no bug, then each bug; columns: parameters (and node equations); cells: max relative error."""
    clean = result.clean
    keys = tuple(clean.rows)
    table = Table(title="max relative error per row (✗ = fails, ? = undecided)", title_justify="left", header_style="bold")
    table.add_column("bug")
    for key in keys:
        table.add_column(key, justify="right")
    table.add_column("caught")
    table.add_column("as predicted")
    table.add_row(Text("none (clean)"), *(_cell(clean.rows[k]) for k in keys), verdict_text(clean.verdict), Text())
    for run in result.bugs:
        assert run.bug is not None
        caught = Text("yes", style="green") if run.failing else Text("NO", style="bold red")
        caught = Text("?", style="bold yellow") if run.verdict is Verdict.UNDECIDED else caught
        predicted = Text("yes") if run.as_predicted else Text("no", style="yellow")
        table.add_row(Text(run.bug.name), *(_cell(run.rows[k]) for k in keys), caught, predicted)
    return table


def bugs_verdict(result: BugsResult) -> Text:
    """PASS when the clean gradients pass and every bug is caught; with the margin between them."""
    line = verdict_text(result.verdict)
    caught = sum(bool(run.failing) for run in result.bugs)
    clean = {Verdict.PASS: "pass", Verdict.FAIL: "FAIL", Verdict.UNDECIDED: "are UNDECIDED"}[result.clean.verdict]
    line.append(f"  {caught} of {len(result.bugs)} bugs caught; clean gradients {clean}")
    if result.missed:
        line.append(f"; not caught: {', '.join(result.missed)}")
    for error, words, lead in (
        ("max_rel_err", "max rel err", ". Smallest failing"),
        ("norm_rel_err", "norm rel err", "; smallest failing"),
    ):
        smallest, largest = result.smallest_failing_by(error), result.largest_clean_by(error)
        if smallest is not None and largest > 0:
            line.append(f"{lead} {words} {sci(smallest)}, largest clean {sci(largest)}: {smallest / largest:.1e}×")
    return line


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
