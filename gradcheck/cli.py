"""The command line: parse → load → override → compute → render → exit code. No math here."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, ClassVar, TypeVar, cast

import click
import numpy as np
from rich.console import Console

from gradcheck import check, config, convergence, formats, report, resources
from gradcheck.bugs import BUGS, Bug
from gradcheck.errors import ExitCode, GradcheckError
from gradcheck.explain import step_numbers
from gradcheck.files import write_atomically, write_text
from gradcheck.formats import Format
from gradcheck.numerics import Method

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
Exit codes: 0 every gradient within tolerance, 1 a mismatch (or NaN/inf), 2 bad input.
"""


class GradcheckGroup(click.Group):
    """A click group whose every error is one line on stderr with exit 2 (130 on Ctrl-C)."""

    def main(
        self,
        args: Any = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except GradcheckError as error:
            _fail(str(error), ExitCode.USAGE)
        except click.ClickException as error:
            ctx = getattr(error, "ctx", None)
            where = f"{ctx.command_path}: " if ctx is not None else ""
            _fail(f"{where}{error.format_message()}", ExitCode.USAGE)
        except click.Abort:
            _fail("interrupted", ExitCode.INTERRUPTED)
        sys.exit(int(code or 0))


def _fail(message: str, code: ExitCode) -> None:
    click.echo(f"error: {' '.join(message.split())}", err=True)  # one line, whatever a parser put in the message
    sys.exit(code)


class WordOrNumber(click.ParamType[str | float, str]):
    """A keyword or a number, e.g. --eps auto|1e-6 and --sample all|50 (ranges are the config's own rules)."""

    def __init__(self, word: str, number: type[int] | type[float], rule: str) -> None:
        self.word, self.number, self.rule = word, number, rule
        self.name = f"{word}|{'N' if number is int else 'NUMBER'}"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str | float:
        if value == self.word:
            return self.word
        try:
            return self.number(value)
        except ValueError:
            self.fail(f'must be "{self.word}" or {self.rule}, got {value!r}', param, ctx)


class MemorySize(click.ParamType[int, str]):
    """--max-memory: a size such as 500M, 4G or 2GiB (a bare number is MiB)."""

    name = "SIZE"
    UNITS: ClassVar[dict[str, int]] = {"": 2**20, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([KMGT]?)(?:i?B)?\s*", str(value), re.IGNORECASE)
        if not match or float(match[1]) <= 0:
            self.fail(f"must be a size such as 500M or 4G, got {value!r}", param, ctx)
        return int(float(match[1]) * self.UNITS[match[2].upper()])


class ParamList(click.ParamType[list[str], str]):
    """--params: comma-separated parameter names, e.g. W,U."""

    name = "NAMES"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> list[str]:
        names = [part.strip() for part in str(value).split(",") if part.strip()]
        unknown = [n for n in names if n not in config.PARAM_NAMES]
        if unknown or not names:
            self.fail(
                f"{unknown[0] if unknown else value!r} is not a parameter; choose from {', '.join(config.PARAM_NAMES)}",
                param,
                ctx,
            )
        return names


OVERRIDES = {
    "method": "check.method",
    "eps": "check.eps",
    "sample": "check.sample",
    "seed": "data.seed",
    "params": "check.params",
    "tolerance": "check.tolerance",
    "rtol": "check.rtol",
    "atol": "check.atol",
    "equations": "check.equations",
    "memory_mb": "check.memory_mb",
    "directions": "check.directions",
}


def _load(path: Path | None, overrides: dict[str, Any]) -> tuple[config.Config, str]:
    """The config at `path` (or the built-in default) with the command-line overrides applied and its size guarded."""
    overrides = dict(overrides)
    max_memory = overrides.pop("max_memory", None) or resources.default_max_memory()
    cfg = config.load(path) if path is not None else config.Config()
    given = {OVERRIDES[k]: v for k, v in overrides.items() if v is not None}
    labels = {OVERRIDES[k]: f"--{k.replace('_', '-')}" for k in OVERRIDES}
    cfg = config.with_overrides(cfg, given, labels) if given else cfg
    source = str(path) if path else "built-in default"
    resources.guard(cfg, max_memory, source)
    return cfg, source


@contextmanager
def _progress() -> Iterator[report.LazyProgress | None]:
    """A progress bar on stderr for checks longer than about a second; only when stderr is a terminal."""
    console = Console(stderr=True)
    if not console.is_terminal:
        yield None
        return
    bar = report.LazyProgress(console)
    try:
        yield bar
    finally:
        bar.close()


def _console() -> Console:
    """stdout console: colour on a terminal only (rich honours NO_COLOR); 160 columns when piped, unless COLUMNS says."""
    console = Console()
    return console if console.is_terminal or "COLUMNS" in os.environ else Console(width=160)


CONFIG_ARG = click.argument("config_path", metavar="[CONFIG]", required=False, type=click.Path(path_type=Path))


@click.group(cls=GradcheckGroup, context_settings={"help_option_names": ["-h", "--help"]}, epilog=EXAMPLES)
@click.version_option(package_name="gradcheck")
def cli() -> None:
    """Prove by finite differences that the BPTT gradients of a tanh RNN
    (Goodfellow et al., Deep Learning, eq. 10.8–10.28) are right, or show where they are wrong."""


Command = TypeVar("Command", bound=Callable[..., Any])

OPTIONS = {  # every option that overrides a config key (or guards the run), defined once
    "method": click.option("--method", type=click.Choice([m.value for m in Method]), help="finite-difference rule"),
    "eps": click.option("--eps", type=WordOrNumber("auto", float, "a number > 0"), help='step: "auto" (per entry) or a number'),
    "sample": click.option(
        "--sample", type=WordOrNumber("all", int, "an integer ≥ 1"), help='"all" or N random entries per parameter'
    ),
    "seed": click.option("--seed", type=int, help="seed of parameters, data, sampled entries and directions (data.seed)"),
    "params": click.option("--params", type=ParamList(), help="parameters to check, e.g. W,U"),
    "tolerance": click.option("--tolerance", type=click.Choice(["auto", "fixed"]), help="auto: the method's own error bound"),
    "rtol": click.option("--rtol", type=float, help="relative tolerance (implies --tolerance fixed)"),
    "atol": click.option("--atol", type=float, help="absolute tolerance (implies --tolerance fixed)"),
    "equations": click.option(
        "--equations/--no-equations", default=None, help="also check each equation 10.18–10.28 on its own node"
    ),
    "memory_mb": click.option("--memory-mb", type=int, help="working memory for the batched perturbed copies (MiB)"),
    "directions": click.option("--directions", type=int, help="check K random unit directions per parameter (large models)"),
    "max_memory": click.option(
        "--max-memory", type=MemorySize(), help="refuse checks estimated to need more (default: half of RAM)"
    ),
}
BUG_OPTION = click.option(
    "--bug",
    type=click.Choice(list(BUGS)),
    callback=lambda ctx, param, value: BUGS[value] if value else None,
    help="run with a named wrong backward pass (see gradcheck bugs --list)",
)


def options(*names: str) -> Callable[[Command], Command]:
    """Apply the named OPTIONS to a command, in order (all of them if none are named)."""

    def apply(command: Command) -> Command:
        for name in reversed(names or tuple(OPTIONS)):
            command = OPTIONS[name](command)
        return command

    return apply


@cli.command(epilog=EXAMPLES)
@click.argument("config_paths", metavar="[CONFIG]...", nargs=-1, type=click.Path(path_type=Path))
@options()
@BUG_OPTION
@click.option("--format", "fmt", type=click.Choice([f.value for f in Format]), default="table", help="report format")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="write the report here (the table stays on the terminal)",
)
def run(config_paths: tuple[Path, ...], bug: Bug | None, fmt: str, output: Path | None, **overrides: Any) -> ExitCode:
    """Check every parameter's analytic gradient against finite differences; print the table.

    CONFIG is a .toml or .yaml file; without it the built-in default runs. Several CONFIGs run one
    after the other (as a pre-commit hook passes them); the exit code is the worst of them."""
    if len(config_paths) > 1 and (output is not None or Format(fmt) is not Format.TABLE):
        raise click.UsageError("--format and --output take one CONFIG at a time")
    loaded = [_load(path, overrides) for path in config_paths or (None,)]  # every config is validated before any runs
    codes = [_run_one(cfg, source, bug, Format(fmt), output) for cfg, source in loaded]
    return max(codes)


def _run_one(cfg: config.Config, source: str, bug: Bug | None, fmt: Format, output: Path | None) -> ExitCode:
    with _progress() as progress:
        result = check.run(cfg, bug, progress)
    table = report.run_report(result, source)
    if output is not None or fmt is Format.TABLE:
        _console().print(table)
    if fmt is not Format.TABLE or output is not None:
        text = report.plain_text(table) if fmt is Format.TABLE else formats.RENDERERS[fmt](result, source)
        if output is None:
            click.echo(text, nl=False)
        else:
            write_text(output, text)
    return ExitCode.OK if result.passed else ExitCode.MISMATCH


@cli.command()
@CONFIG_ARG
@options()
@click.option("--list", "list_only", is_flag=True, help="list the bugs with their explanations and exit")
def bugs(config_path: Path | None, list_only: bool, **overrides: Any) -> ExitCode:
    """Run every injected bug and print one matrix: bugs × parameters (× equations with --equations).

    Exit 0 only if the clean gradients pass and every bug is caught: a gate for the checker itself."""
    if list_only:
        _console().print(report.bug_list(tuple(BUGS.values())))
        return ExitCode.OK
    cfg, source = _load(config_path, overrides)
    with _progress() as progress:
        clean, results = check.run_bugs(cfg, tuple(BUGS.values()), progress)
    _console().print(report.bugs_report(clean, results, source))
    return ExitCode.OK if clean.passed and all(r.failing for r in results) else ExitCode.MISMATCH


@cli.command()
@CONFIG_ARG
@options("seed", "params", "max_memory")
@BUG_OPTION
def taylor(config_path: Path | None, bug: Bug | None, **overrides: Any) -> ExitCode:
    """Step-free check: the Taylor remainder must shrink as ε² (order 2) when the gradient is right.

    Reports the observed convergence order per parameter; a wrong gradient shows order 1."""
    cfg, source = _load(config_path, overrides)
    result = convergence.taylor(cfg, bug)
    _console().print(report.taylor_report(result, source))
    return ExitCode.OK if result.passed else ExitCode.MISMATCH


@cli.command()
@CONFIG_ARG
@click.option("--t", "t", type=int, help="show the numbers at this time step (1..τ; default 1 with a CONFIG)")
def explain(config_path: Path | None, t: int | None) -> ExitCode:
    """Derive equation 10.18 step by step (and the chain to 10.28); with CONFIG or --t, show the numbers at step t.

    Also shows, with numbers, the two classic misreadings: softmax as o/Σo, and ŷ as a one-hot prediction.
    --t without CONFIG uses the built-in default problem."""
    numbers = None
    if config_path is not None or t is not None:
        cfg, source = _load(config_path, {})
        numbers = step_numbers(cfg, 1 if t is None else t)
    _console().print(report.explain_report(numbers, source if numbers else ""))
    return ExitCode.OK


@cli.command()
@CONFIG_ARG
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path, dir_okay=False), help="the .npz file")
def export(config_path: Path | None, output: Path) -> ExitCode:
    """Write the problem and its analytic gradients (loss, grad_*, h, y_hat, grad_o, grad_h) to an .npz file."""
    cfg, _ = _load(config_path, {})
    arrays = check.export_arrays(cfg)

    def write(handle: IO[bytes]) -> None:
        np.savez(handle, allow_pickle=False, **cast(dict[str, Any], arrays))

    write_atomically(output, write)
    click.echo(f"wrote {len(arrays)} arrays to {output}")
    return ExitCode.OK


@cli.command()
@CONFIG_ARG
@click.option("--methods", default="central,forward,richardson,complex-step", show_default=True, help="comma-separated")
@options("sample", "seed", "params", "max_memory")
@click.option("--plot", type=click.Path(path_type=Path, dir_okay=False), help="also draw it: FILE.png or FILE.svg")
def sweep(config_path: Path | None, methods: str, plot: Path | None, **overrides: Any) -> ExitCode:
    """Relative error against step size, ε from 1e-1 to 1e-13 (two per decade), per parameter and method.

    The V-shaped curve where truncation error meets round-off; the step eps = "auto" would take is marked."""
    try:
        chosen = tuple(Method(m.strip()) for m in methods.split(",") if m.strip())
    except ValueError:
        raise GradcheckError(f"--methods: {methods!r}: choose from {', '.join(m.value for m in Method)}") from None
    cfg, source = _load(config_path, overrides)
    with _progress() as progress:
        result = convergence.sweep(cfg, chosen, progress)
    _console().print(report.sweep_report(result, source))
    if plot is not None:
        from gradcheck.plot import plot_sweep

        plot_sweep(result, plot)
        click.echo(f"wrote {plot}")
    return ExitCode.OK


@cli.command()
@click.argument("path", required=False, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["toml", "yaml"]), default=None, help="default: from PATH, else toml")
@click.option("--force", is_flag=True, help="overwrite an existing file")
def init(path: Path | None, fmt: str | None, force: bool) -> ExitCode:
    """Write a commented starter config (every key, its default and what it means) that runs as it is."""
    fmt = fmt or ("yaml" if path is not None and path.suffix.lower() in (".yaml", ".yml") else "toml")
    path = path or Path(f"gradcheck.{fmt}")
    if path.exists() and not force:
        raise GradcheckError(f"{path}: exists; use --force to overwrite")
    text = config.starter(fmt, str(path))
    write_text(path, text)
    click.echo(f"wrote {path}; run it with: gradcheck run {path}")
    return ExitCode.OK


@cli.command()
@click.option("--report", "of_report", is_flag=True, help="the JSON report's schema instead of the config's")
def schema(of_report: bool) -> ExitCode:
    """Print the config's JSON Schema (for editor completion), or with --report the JSON report's."""
    click.echo(formats.dumps_schema(formats.report_schema() if of_report else config.json_schema()), nl=False)
    return ExitCode.OK


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="gradcheck")
