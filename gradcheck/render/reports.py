"""Whole reports, one per command: the pieces of tables, bugs, convergence and teaching put together; the formats
each command writes them in."""

from __future__ import annotations

from enum import StrEnum

from rich.console import Group, RenderableType
from rich.text import Text

from gradcheck.check.results import BugsResult, CheckResult, ForwardResult, forward_text
from gradcheck.render.tables import build_table, equation_table, header, verdict_line


class Format(StrEnum):
    """What `gradcheck run --format` writes."""

    TABLE = "table"
    JSON = "json"
    JUNIT = "junit"
    MARKDOWN = "markdown"
    HTML = "html"


class GradeFormat(StrEnum):
    """What `gradcheck grade --format` writes."""

    TABLE = "table"
    JSON = "json"
    JUNIT = "junit"
    CSV = "csv"
    HTML = "html"


class PageFormat(StrEnum):
    """What `gradcheck bugs`, `explain` and `sweep --format` write: the terminal's report, or one HTML page."""

    TABLE = "table"
    HTML = "html"


class ConfigFormat(StrEnum):
    """What `gradcheck init --format` writes the starter config in."""

    TOML = "toml"
    YAML = "yaml"


def run_report(result: CheckResult, source: str) -> Group:
    """Header, parameter table (and equation table) and verdict of `gradcheck run`; with a bug, its panel first and
    whether it failed as predicted last."""
    parts: list[RenderableType] = [header(result, source), Text(), build_table(result.params)]
    if result.equations:
        parts += [Text(), equation_table(result.equations)]
    parts.append(verdict_line(result.params, result.verdict, result.equations, result.nonfinite_loss, result.loss))
    if result.forward is not None:
        parts.append(forward_line(result.forward))
    if result.diagnosis:
        parts.append(Text.assemble(("diagnosis  ", "bold"), result.diagnosis))
    if result.bug:
        from gradcheck.render.bugs import bug_panel, prediction_line

        parts = [bug_panel(result.bug), *parts, prediction_line(result)]
    return Group(*parts)


def forward_line(forward: ForwardResult) -> Text:
    """The user's forward pass against the book's: equal to round-off, or where they part and why."""
    if forward.agrees:
        return Text.assemble(("forward    ", "bold"), forward_text(forward))
    after = ". The gradients above are checked against the book's forward pass."
    return Text.assemble(("forward    ", "bold red"), forward_text(forward), after)


def bugs_report(result: BugsResult, source: str) -> Group:
    """`gradcheck bugs`: the header, the matrix and the verdict."""
    from gradcheck.render.bugs import bug_matrix, bugs_verdict

    return Group(header(result.clean, source), Text(), bug_matrix(result), bugs_verdict(result))
