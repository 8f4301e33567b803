"""How a number, an index, a shape and a verdict are written, and the error columns every report shares."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rich.text import Text

from gradcheck.engine.compare import ParamResult, Verdict


def sci(value: float) -> str:
    """A number in the fixed table format; NaN and inf spelt out."""
    return f"{value:.2e}" if value == value and abs(value) != float("inf") else str(value)


def index_text(index: tuple[int, ...]) -> str:
    """An entry's index as [i, j]."""
    return "[" + ", ".join(str(k) for k in index) + "]"


def shape_text(shape: tuple[int, ...]) -> str:
    return "×".join(str(n) for n in shape)


STYLES = {Verdict.PASS: "bold green", Verdict.FAIL: "bold red", Verdict.UNDECIDED: "bold yellow"}


def verdict_text(verdict: Verdict | bool) -> Text:
    """PASS, FAIL or UNDECIDED (a bool: PASS or FAIL): the word carries the meaning, the colour is extra."""
    if isinstance(verdict, bool):
        verdict = Verdict.PASS if verdict else Verdict.FAIL
    return Text(verdict.name, style=STYLES[verdict])


@dataclass(frozen=True)
class Column:
    """One error column: its JSON key (a ParamResult field), its header in tables and Markdown, and its cell text."""

    key: str
    header: str
    cell: Callable[[ParamResult], str]


ERROR_COLUMNS = (
    Column("max_abs_err", "max |a−n|", lambda row: sci(row.max_abs_err)),
    Column("max_rel_err", "max rel err", lambda row: sci(row.max_rel_err)),
    Column("norm_rel_err", "norm rel err", lambda row: sci(row.norm_rel_err)),
    Column("worst_index", "worst at", lambda row: index_text(row.worst_index)),
    Column("worst_analytic", "analytic", lambda row: f"{row.worst_analytic:.6e}"),
    Column("worst_numeric", "numeric", lambda row: f"{row.worst_numeric:.6e}"),
    Column("worst_limit", "limit", lambda row: sci(row.worst_limit)),
    Column("failed", "failed", lambda row: str(row.failed)),
)


def checked_text(row: ParamResult) -> str:
    """Entries compared: all, k/size when sampled, or K dirs."""
    if row.unit == "directions":
        return f"{row.checked} dirs"
    return str(row.checked) if row.checked == row.size else f"{row.checked}/{row.size}"
