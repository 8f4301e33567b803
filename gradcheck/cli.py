"""The command line: parse → load → override → compute → render → exit code. No math here."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import IO, TYPE_CHECKING, Any, cast, get_args

import click

from gradcheck import files, process
from gradcheck import options as opts
from gradcheck.check import config
from gradcheck.engine.compare import Verdict
from gradcheck.engine.methods import Method
from gradcheck.errors import ExitCode, GradcheckError
from gradcheck.files import display, write_atomically, write_text
from gradcheck.render.console import STDOUT, fall_back_to_ascii, plain_text, progress_bar, stdout_console
from gradcheck.render.reports import ConfigFormat, Format, GradeFormat, PageFormat

if TYPE_CHECKING:
    from rich.console import RenderableType

    from gradcheck.book.network import Bug
    from gradcheck.check.results import CheckResult
    from gradcheck.check.run import Progress
    from gradcheck.user.grade import Grade

EXAMPLES = """
\b
Examples:
  gradcheck run                         the built-in default problem
  gradcheck run configs/hello.toml      a character-level problem
  gradcheck run cfg.yaml --method forward --eps 1e-6
  gradcheck run cfg.toml --params W,U --sample 50 --seed 3
  gradcheck run --method complex-step --equations
  gradcheck run --bug truncated-bptt    what a wrong derivation looks like
  gradcheck run cfg.toml --format junit -o gradcheck.xml
  gradcheck bugs --equations            every bug against every row
  gradcheck explain configs/hello.toml --t 3
  gradcheck export cfg.toml -o grads.npz

\b
Exit codes: 0 every gradient within its limit, 1 a confirmed mismatch (or NaN/inf),
2 bad input, 3 nothing failed but something could not be decided.
"""


# A verdict, or a grading's grade (ERROR: a submission could not be run), as the exit code (DESIGN.md §2), by name
EXIT = {"PASS": ExitCode.OK, "FAIL": ExitCode.MISMATCH, "UNDECIDED": ExitCode.UNDECIDED, "ERROR": ExitCode.USAGE}


def _exit_code(outcome: Verdict | Grade) -> ExitCode:
    return EXIT[outcome.name]


@click.group(cls=process.GradcheckGroup, context_settings={"help_option_names": ["-h", "--help"]}, epilog=EXAMPLES)
@click.version_option(package_name="gradcheck")
def cli() -> None:
    """Prove by finite differences that the BPTT gradients of a tanh RNN
    (Goodfellow et al., Deep Learning, eq. 10.8–10.28) are right, or show where they are wrong."""


@cli.command(epilog=EXAMPLES)
@click.argument("config_paths", metavar="[CONFIG]...", nargs=-1, type=click.Path(path_type=Path))
@opts.options()
@opts.BUG
@opts.format_option(Format)
@opts.output_option("write the report here (the table stays on the terminal)")
def run(config_paths: tuple[Path, ...], bug: str | None, fmt: str, output: Path | None, **overrides: Any) -> ExitCode:
    """Check every parameter's analytic gradient against finite differences; print the table.

    CONFIG is a .toml or .yaml file; without it the built-in default runs. Several CONFIGs run one
    after the other (as a pre-commit hook passes them); the exit code is the worst of them."""
    if len(config_paths) > 1 and (output is not None or Format(fmt) is not Format.TABLE):
        raise click.UsageError("--format and --output take one CONFIG at a time")
    files.refuse_overwriting(output, config_paths)
    loaded = [opts.load_config(path, overrides) for path in config_paths or (None,)]  # every config is validated before any runs
    for cfg, source in loaded:
        code = [Path(config.split_spec(spec)[0]) for spec in (cfg.user.backward, cfg.user.forward) if spec is not None]
        files.refuse_overwriting(output, code, "the code {} this run checks")
        if cfg.user.backward is None and cfg.user.layout is not None:
            key = "--layout (user.layout)" if overrides.get("layout") else f"{source}: user.layout"
            raise GradcheckError(f"{key}: says how to call user.backward (--backward), and none is given")
    bugs = [
        opts.bug_of(cfg.model.kind, bug, cfg.model.layers) for cfg, _ in loaded
    ]  # a name unknown to any config's network: said first
    max_memory = overrides.get("max_memory") or None
    verdicts = [
        _run_one(cfg, source, found, Format(fmt), output, max_memory) for (cfg, source), found in zip(loaded, bugs, strict=True)
    ]
    return _exit_code(Verdict.of(verdicts))  # a failure outweighs a doubt


def _run_one(
    cfg: config.Config, source: str, bug: Bug | None, fmt: Format, output: Path | None, max_memory: int | None = None
) -> Verdict:
    from gradcheck.render import reports

    if cfg.user.backward is not None and bug is not None:
        raise GradcheckError("--bug replaces the book's backward pass; it cannot be combined with --backward (user.backward)")
    with progress_bar() as progress:
        result = _check(cfg, bug, progress, max_memory)

    def text() -> str:
        if fmt is Format.HTML:
            from gradcheck.render.html import run_page

            return run_page(result, source)
        from gradcheck.render.formats import RENDERERS

        return RENDERERS[fmt](result, source)

    _emit(reports.run_report(result, source), None if fmt is Format.TABLE else text, output)
    return result.verdict


def _emit(report: RenderableType, text: Callable[[], str] | None, output: Path | None) -> None:
    """The terminal report, on the terminal unless another format goes there; and `text()` (another format; None:
    the report itself as plain text) to stdout, or to `output` when given."""
    if output is not None or text is None:
        stdout_console().print(report)
    if text is not None or output is not None:
        written = plain_text(report) if text is None else text()
        if output is None:
            STDOUT.write_utf8(written)
        else:
            write_text(output, written)


def _html(page: Callable[[], str], fmt: str) -> Callable[[], str] | None:
    """The page for --format html; None for the table."""
    return page if PageFormat(fmt) is PageFormat.HTML else None


def _pages() -> ModuleType:
    """gradcheck.render.html, imported when a page is asked for."""
    from gradcheck.render import html

    return html


PAGE_FORMAT = opts.format_option(PageFormat, "report format: html is one self-contained page")


def _check(cfg: config.Config, bug: Bug | None, progress: Progress | None, max_memory: int | None = None) -> CheckResult:
    """The book's backward pass checked (with `bug` injected, if any), or the user's (user.backward) in its sandbox,
    whose own sizes are guarded as a config's are (max_memory: --max-memory, else half this machine's)."""
    if cfg.user.backward is None:
        from gradcheck.check import run as check

        return check.run(cfg, bug, progress)
    from gradcheck.check import resources
    from gradcheck.user.run import UserCode, run_user

    code = UserCode.from_config(cfg)
    assert code is not None  # user.backward is set
    limit = max_memory or resources.default_max_memory()
    advice = "check it at a config's sizes (gradcheck run configs/minchar.toml --backward FILE)"
    return run_user(cfg, code, progress, guard=lambda sized, source: resources.guard(sized, limit, source, advice))


GRADE_EPILOG = """
\b
Examples:
  gradcheck grade submissions/*.py                 every file against the built-in default problem
  gradcheck grade *.py --config hw3.toml --forward  and each forward pass against the book's
  gradcheck grade *.py --layout cs231n --timeout 20 --format junit -o grades.xml

\b
Exit codes: 0 every submission passes; 1 at least one FAILs (a confirmed wrong gradient or forward pass);
2 none failed but at least one could not be run (a crash, a timeout, not implemented, a wrong return: an ERROR row),
or bad input (a missing file, a bad config or option: one line, before any submission runs);
3 the rest passed but something could not be decided.
"""


@cli.command(epilog=GRADE_EPILOG)
@click.argument("submissions", metavar="SUBMISSION...", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--config", "config_path", type=click.Path(path_type=Path), help="the problem (default: the built-in one)")
@opts.options("layout", "timeout", "import_timeout", "python")
@click.option("--function", metavar="NAME", help="the backward function each file defines (default: the layout's, e.g. backward)")
@click.option("--forward", "with_forward", is_flag=True, help="also compare each forward pass's loss with the book's")
@opts.JOBS
@opts.format_option(GradeFormat)
@opts.output_option()
def grade(
    submissions: tuple[Path, ...],
    config_path: Path | None,
    function: str | None,
    with_forward: bool,
    jobs: int,
    fmt: str,
    output: Path | None,
    **overrides: Any,
) -> ExitCode:
    """Check many users' backward passes (one .py file each) against one problem: one row per file.

    The book's forward pass is differenced once; each file runs in its own process with the time and memory limits
    of [user] (timeout, memory_mb), so one that crashes or hangs is an ERROR row and never stops the others."""
    from gradcheck.render import grade as grade_render
    from gradcheck.user.grade import grade as grade_files

    if function is not None and not function.isidentifier():
        raise click.BadParameter(f"{function!r} is not a Python function name", param_hint="--function")
    files.refuse_overwriting(output, (config_path,))
    files.refuse_overwriting(output, submissions, "the submission {}")
    cfg, source = opts.load_config(config_path, overrides)
    config.with_overrides(cfg, {"user.backward": str(submissions[0])}, {}, config_path)  # what a layout can take
    with progress_bar() as progress:
        grading = grade_files(cfg, submissions, function, with_forward, jobs, progress)

    def text() -> str:
        if fmt == GradeFormat.HTML:
            from gradcheck.render.html import grade_page

            return grade_page(grading, source)
        return grade_render.RENDERERS[GradeFormat(fmt)](grading, source)

    _emit(grade_render.grade_report(grading, source), None if fmt == GradeFormat.TABLE else text, output)
    return _exit_code(grading.grade)


@cli.command()
@opts.CONFIG
@opts.options(*opts.BOOK_ONLY)
@click.option("--list", "list_only", is_flag=True, help="list the bugs with their explanations and exit")
@PAGE_FORMAT
@opts.output_option()
def bugs(config_path: Path | None, list_only: bool, fmt: str, output: Path | None, **overrides: Any) -> ExitCode:
    """Run every injected bug and print one matrix: bugs × parameters (× equations with --equations).

    Exit 0 only if the clean gradients pass and every bug is caught: a gate for the checker itself."""
    from gradcheck.check import run as check
    from gradcheck.render import reports
    from gradcheck.render.bugs import bug_list

    files.refuse_overwriting(output, (config_path,))
    cfg, source = opts.load_config(config_path, overrides)
    _book_only(cfg, source, "bugs")
    catalogue = tuple(opts.bugs_of(cfg.model.kind, cfg.model.layers).values())
    if list_only:
        stdout_console().print(bug_list(catalogue))
        return ExitCode.OK
    with progress_bar() as progress:
        result = check.run_bugs(cfg, catalogue, progress)

    _emit(reports.bugs_report(result, source), _html(lambda: _pages().bugs_page(result, source), fmt), output)
    return _exit_code(result.verdict)


@cli.command()
@opts.CONFIG
@opts.options("seed", "params", "max_memory")
@opts.BUG
def taylor(config_path: Path | None, bug: str | None, **overrides: Any) -> ExitCode:
    """Step-free check: the Taylor remainder must shrink as ε² (order 2) when the gradient is right.

    Reports the observed convergence order per parameter; a wrong gradient shows order 1."""
    from gradcheck.check import convergence
    from gradcheck.render.convergence import taylor_report

    cfg, source = opts.load_config(config_path, overrides)
    _book_only(cfg, source, "taylor")
    result = convergence.taylor(cfg, opts.bug_of(cfg.model.kind, bug, cfg.model.layers))
    stdout_console().print(taylor_report(result, source))
    return _exit_code(result.verdict)


@cli.command()
@opts.CONFIG
@click.option("--t", "t", type=int, help="show the numbers at this time step (1..τ; default 1 with a CONFIG)")
@PAGE_FORMAT
@opts.output_option()
def explain(config_path: Path | None, t: int | None, fmt: str, output: Path | None) -> ExitCode:
    """Derive equation 10.18 step by step (and the chain to 10.28); with CONFIG or --t, show the numbers at step t.

    Also shows, with numbers, the two classic misreadings: softmax as o/Σo, and ŷ as a one-hot prediction.
    --t without CONFIG uses the built-in default problem."""
    from gradcheck.check.steps import step_numbers
    from gradcheck.render import teaching

    files.refuse_overwriting(output, (config_path,))
    numbers = None
    if config_path is not None or t is not None:
        cfg, source = opts.load_config(config_path, {})
        if not cfg.network.walkthrough:  # another network: its equations and its backward pass's derivation
            m = cfg.model
            if t is not None:
                raise GradcheckError(
                    f'--t: the numbers at step t are those of Fig. 10.3\'s 10.18; {source} has model.kind = "{m.kind}"'
                )
            report = teaching.network_report(cfg.network, m.variant, source)
            _emit(report, _html(lambda: _pages().network_page(cfg.network, m.variant, source), fmt), output)
            return ExitCode.OK
        numbers = step_numbers(cfg, 1 if t is None else t)
    shown = source if numbers else ""
    _emit(teaching.explain_report(numbers, shown), _html(lambda: _pages().explain_page(numbers, shown), fmt), output)
    return ExitCode.OK


@cli.command()
@opts.CONFIG
@opts.output_option("the .npz file", required=True)
def export(config_path: Path | None, output: Path) -> ExitCode:
    """Write the problem and its analytic gradients (loss, grad_*, h, y_hat, grad_o, grad_h) to an .npz file."""
    import numpy as np

    from gradcheck.check import run as check

    files.refuse_overwriting(output, (config_path,))
    cfg, _ = opts.load_config(config_path, {})
    arrays = check.export_arrays(cfg)

    def write(handle: IO[bytes]) -> None:
        np.savez(handle, allow_pickle=False, **cast(dict[str, Any], arrays))

    write_atomically(output, write)
    _say(f"wrote {len(arrays)} arrays to {display(output)}")
    return ExitCode.OK


@cli.command()
@opts.CONFIG
@click.option(
    "--methods",
    type=opts.CommaList(tuple(m.value for m in Method)),
    default=",".join(m.value for m in Method),
    show_default=True,
    help="comma-separated",
)
@opts.options("sample", "seed", "params", "max_memory")
@click.option("--plot", type=click.Path(path_type=Path, dir_okay=False), help="also draw it: FILE.png or FILE.svg")
@PAGE_FORMAT
@opts.output_option()
def sweep(
    config_path: Path | None, methods: tuple[str, ...], plot: Path | None, fmt: str, output: Path | None, **overrides: Any
) -> ExitCode:
    """Relative error against step size, ε from 1e-1 to 1e-13 (two per decade), per parameter and method.

    The V-shaped curve where truncation error meets round-off; the step eps = "auto" would take is marked."""
    from gradcheck.check import convergence
    from gradcheck.render.convergence import sweep_report

    chosen = tuple(Method(m) for m in methods)
    files.refuse_overwriting(plot, (config_path,))
    files.refuse_overwriting(output, (config_path,))
    files.refuse_one_name(output, plot)
    if plot is not None:
        from gradcheck.render.plot import plot_sweep, pyplot

        pyplot(plot)  # a bad name or no matplotlib: said before the sweep runs, not after
    cfg, source = opts.load_config(config_path, overrides)
    _book_only(cfg, source, "sweep")
    with progress_bar() as progress:
        result = convergence.sweep(cfg, chosen, progress)

    _emit(sweep_report(result, source), _html(lambda: _pages().sweep_page(result, source), fmt), output)
    if plot is not None:
        write_atomically(plot, plot_sweep(result, plot))
        _say(f"wrote {display(plot)}")
    return ExitCode.OK


@cli.command()
@click.argument("path", required=False, type=click.Path(path_type=Path, dir_okay=False))
@opts.format_option(ConfigFormat, "default: from PATH, else toml", default=None)
@click.option("--force", is_flag=True, help="overwrite an existing file")
@click.option("--student", is_flag=True, help="write a student's skeleton instead (PATH.py, default my_rnn.py)")
@click.option(
    "--layout",
    type=click.Choice(get_args(config.Layout)),
    default=None,
    help="with --student: the skeleton's layout (default book)",
)
def init(path: Path | None, fmt: str | None, force: bool, student: bool, layout: str | None) -> ExitCode:
    """Write a commented starter config (every key, its default and what it means) that runs as it is.

    With --student: a Python skeleton of the RNN in a layout, its forward pass given (10.8–10.14) and its backward
    pass to write (10.18–10.28); `gradcheck run --backward PATH` checks it."""
    from gradcheck.render.starter import starter

    if student:
        return _init_student(path or Path("my_rnn.py"), fmt, force, layout or "book")
    if layout is not None:
        raise click.UsageError("--layout goes with --student")
    fmt = fmt or ("yaml" if path is not None and path.suffix.lower() in (".yaml", ".yml") else "toml")
    path = path or Path(f"gradcheck.{fmt}")
    files.refuse_unreadable_config(path, fmt)
    files.refuse_existing(path, force)
    text = starter(fmt, display(path))
    write_text(path, text)
    _say(f"wrote {display(path)}; run it with: gradcheck run {display(path)}")
    return ExitCode.OK


def _init_student(path: Path, fmt: str | None, force: bool, layout: str) -> ExitCode:
    """`init --student`: the skeleton, under a .py name, never over an existing file without --force."""
    from gradcheck.render.student import run_command, skeleton

    if fmt is not None:
        raise click.UsageError("--format is for configs; --student writes Python")
    files.refuse_non_python(path)
    files.refuse_existing(path, force)
    write_text(path, skeleton(layout, display(path.name)))
    _say(f"wrote {display(path)} ({layout} layout); write its backward pass, then run: {run_command(layout, display(path))}")
    return ExitCode.OK


@cli.command()
@click.option("--report", "of_report", is_flag=True, help="the JSON report's schema instead of the config's")
def schema(of_report: bool) -> ExitCode:
    """Print the config's JSON Schema (for editor completion), or with --report the JSON report's."""
    from gradcheck.render import formats

    STDOUT.write_utf8(formats.dumps_schema(formats.report_schema() if of_report else config.json_schema()))
    return ExitCode.OK


def _say(line: str) -> None:
    """One line for a person on stdout (through the terminal's encoding, falling back to ASCII)."""
    STDOUT.write(line + "\n")
    STDOUT.flush()


def _book_only(cfg: config.Config, source: str, command: str) -> None:
    """Commands that check the book's backward pass refuse a config that names the user's code (it would be ignored)."""
    if cfg.user.backward is not None:
        raise GradcheckError(
            f"{source}: user.backward: `gradcheck {command}` checks the book's backward pass, not your code "
            f"(check yours with `gradcheck run`)"
        )


def main() -> None:
    """Console-script entry point: SIGTERM ends the run like Ctrl-C (exit 143); a terminal that cannot show τ or ∇
    gets ASCII."""
    process.end_on_sigterm()
    fall_back_to_ascii(sys.stdout, sys.stderr)
    cli(prog_name="gradcheck")
