"""Rendering: golden tables on a fixed-width colourless console, and the verdict words."""

from __future__ import annotations

import io
import re

import numpy as np
from rich.console import Console

from gradcheck.check import config
from gradcheck.check.results import CheckResult
from gradcheck.check.run import run
from gradcheck.engine.compare import ParamResult
from gradcheck.render.cells import sci
from gradcheck.render.reports import run_report
from gradcheck.render.tables import build_table

ESCAPE = re.compile(r"\x1b\[[0-9;]*m")
COLOUR = re.compile(r"\x1b\[(?:[0-9;]*;)?(?:3[0-8]|9[0-7])(?:;[0-9;]*)?m")  # an SGR sequence that sets a foreground colour


def render(renderable: object, width: int = 160, colour: bool = False) -> str:
    console = Console(file=io.StringIO(), width=width, color_system="truecolor" if colour else None, force_terminal=colour)
    console.print(renderable)
    assert isinstance(console.file, io.StringIO)
    return console.file.getvalue()


def fixed_result(**bad: float) -> CheckResult:
    """A CheckResult with fixed numbers (round-off digits vary across BLAS builds; rendering must not)."""
    rows = []
    for k, (name, shape) in enumerate([("U", (16, 8)), ("W", (16, 16)), ("V", (8, 16)), ("b", (16,)), ("c", (8,))]):
        a = -5.552195e-4 * (k + 1)
        n = bad.get(name, a * (1 + 3e-8))
        size = int(np.prod(shape))
        failed = int(name in bad)
        rows.append(
            ParamResult(
                name=name,
                shape=shape,
                checked=size if name != "W" else 20,
                max_abs_err=abs(a - n),
                max_rel_err=abs(a - n) / max(abs(a), abs(n)),
                norm_rel_err=1.2e-10 if not failed else 0.4,
                worst_index=(3,) * len(shape),
                worst_analytic=a,
                worst_numeric=n,
                worst_limit=1.0e-8,
                failed=failed,
                nonfinite=int(not np.isfinite(n)),
            )
        )
    cfg = config.validate({"check": {"sample": 20, "params": ["U", "W", "V", "b", "c"]}})
    return CheckResult(cfg, 33.86657528, tuple(rows), (), steps=(6.055e-6, 8.82e-6), elapsed=0.0123)


def test_golden_passing_report(golden):
    golden("passing", render(run_report(fixed_result(), "configs/default.toml")))


def test_golden_failing_report(golden):
    golden("failing", render(run_report(fixed_result(W=1.5, c=float("nan")), "configs/default.toml")))


def test_a_real_report_has_header_rows_and_verdict():
    text = render(run_report(run(config.Config()), "built-in default"))
    for line in ("config     built-in default", "sizes      I = 8, H = 16, O = 8, τ = 10", "method     central differences"):
        assert line in text
    assert re.search(r"run time\s+[0-9.]+ ms", text)
    assert [line.split()[1] for line in text.splitlines() if line.startswith("│")] == ["U", "W", "V", "b", "c"]
    assert text.rstrip().splitlines()[-1] == "PASS  all 5 parameter gradients match the finite-difference estimates"


def test_the_verdict_is_a_word_and_colour_only_adds_to_it():
    rows = run(config.Config()).params
    plain, coloured = render(build_table(rows)), render(build_table(rows), colour=True)
    assert [line.split("│")[-2].strip() for line in plain.splitlines() if line.startswith("│")] == ["PASS"] * 5
    assert "\x1b[" not in plain and COLOUR.search(coloured)
    assert ESCAPE.sub("", coloured) == plain


def test_the_command_colours_only_a_terminal_and_never_under_no_color(cli, monkeypatch):
    """Piped: no escape codes. A terminal: colour. NO_COLOR: none. The words are the same in all three."""

    def words(text: str) -> list[str]:
        return [line.rstrip() for line in ESCAPE.sub("", text).splitlines() if not line.startswith("run time")]

    monkeypatch.delenv("NO_COLOR", raising=False)
    piped = cli("run", code=0).stdout
    assert "\x1b[" not in piped
    monkeypatch.setenv("FORCE_COLOR", "1")  # rich treats stdout as a terminal
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setenv("COLUMNS", "160")
    terminal = cli("run", code=0).stdout
    monkeypatch.setenv("NO_COLOR", "1")
    no_color = cli("run", code=0).stdout
    assert COLOUR.search(terminal) and not COLOUR.search(no_color)
    assert words(terminal) == words(no_color) == words(piped)


def test_numbers_use_one_fixed_format():
    assert [sci(v) for v in (1.0, 1.5e-12, float("nan"), float("inf"))] == ["1.00e+00", "1.50e-12", "nan", "inf"]
