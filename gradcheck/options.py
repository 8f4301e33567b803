"""Command-line options. Each option that sets a config key is defined once here, with the key's own rule and words;
so is each option several commands take (CONFIG, -o/--output, --format), and the config a command loads with them.

An override is parsed as plain text and validated exactly like the config key it sets, so `--eps tiny`
and `--eps -1` fail the same way (`--eps (check.eps): must be "auto" or a number > 0, got ...`).

Precedence: an option overrides the config key it sets. `--rtol` or `--atol` without `--tolerance` also sets
check.tolerance = "fixed", even over a config's `tolerance = "auto"`: a tolerance typed on the command line is
meant to be used. `--tolerance auto --rtol X` contradicts itself and is refused.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, ClassVar, Literal, TypeVar, get_args

import click

from gradcheck.book.kinds import network
from gradcheck.book.network import Bug
from gradcheck.check.config import Config, Layout, describe, with_overrides
from gradcheck.engine.methods import Method
from gradcheck.files import display

Command = TypeVar("Command", bound=Callable[..., Any])


def scalar(text: str) -> int | float | str:
    """A command-line word as the value a config file would hold: an integer, a number, or the text itself."""
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


class ConfigText(click.ParamType[Any, str]):
    """An option's text, turned into the scalar (or comma-separated list) a config key is validated from."""

    def __init__(self, metavar: str, is_list: bool = False) -> None:
        self.name, self.is_list = metavar, is_list

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if not isinstance(value, str):
            return value
        if self.is_list:
            return [part.strip() for part in value.split(",") if part.strip()] or [value]
        return scalar(value)


class CommaList(click.ParamType[tuple[str, ...], str]):
    """Comma-separated words from a fixed list, e.g. --methods central,complex-step."""

    name = "LIST"

    def __init__(self, choices: tuple[str, ...]) -> None:
        self.choices = choices

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> tuple[str, ...]:
        words = tuple(part.strip() for part in str(value).split(",") if part.strip())
        unknown = [word for word in words if word not in self.choices] or ([] if words else [str(value)])
        if unknown:
            self.fail(f"{unknown[0]!r} is not one of {', '.join(self.choices)}", param, ctx)
        return words


class MemorySize(click.ParamType[int, str]):
    """--max-memory: a size in bytes from 100B, 500K, 500M, 4G, 2GiB or 1T (K = KB = KiB = 1024 B); a bare number is MiB."""

    name = "SIZE"
    UNITS: ClassVar[dict[str, int]] = {"B": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}
    BARE = "M"  # a bare number: MiB, as --memory-mb

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*(?:([KMGT])(?:i?B)?|(B))?\s*", str(value), re.IGNORECASE)
        if not match:
            self.fail(f"must be a size such as 500M or 4G (units B, K, M, G, T), got {value!r}", param, ctx)
        size = int(float(match[1]) * self.UNITS[(match[2] or match[3] or self.BARE).upper()])
        if size < 1:
            self.fail(f"must be a size such as 500M or 4G of at least 1 byte, got {value!r}", param, ctx)
        return size


@dataclass(frozen=True)
class Override:
    """An option that sets one config key: `--memory-mb` sets check.memory_mb. kind: a value, a list, or an on/off switch."""

    key: str
    metavar: str = "VALUE"
    kind: Literal["value", "list", "switch"] = "value"


OVERRIDES: dict[str, Override] = {  # option name (without --, _ for -) → the config key it sets
    "method": Override("check.method", "|".join(m.value for m in Method)),
    "eps": Override("check.eps", "auto|NUMBER"),
    "sample": Override("check.sample", "all|N"),
    "seed": Override("data.seed", "N"),
    "params": Override("check.params", "U,W,...", kind="list"),
    "tolerance": Override("check.tolerance", "auto|fixed"),
    "rtol": Override("check.rtol", "NUMBER"),
    "atol": Override("check.atol", "NUMBER"),
    "equations": Override("check.equations", kind="switch"),
    "memory_mb": Override("check.memory_mb", "MIB"),
    "directions": Override("check.directions", "K"),
    "dense_directions": Override("check.dense_directions", kind="switch"),
    "backward": Override("user.backward", "FILE.py[:FUNCTION]"),
    "forward": Override("user.forward", "FILE.py[:FUNCTION]"),
    "layout": Override("user.layout", "|".join(get_args(Layout))),
    "timeout": Override("user.timeout", "SECONDS"),
    "import_timeout": Override("user.import_timeout", "SECONDS"),
    "python": Override("user.python", "PATH"),
}


USER_CODE = ("backward", "forward", "layout", "timeout", "import_timeout", "python")  # the options that plug a user's code in
BOOK_ONLY = (*(name for name in OVERRIDES if name not in USER_CODE), "max_memory")  # for commands that check the book's


def flag(name: str) -> str:
    """The option's spelling on the command line: memory_mb → --memory-mb."""
    return "--" + name.replace("_", "-")


def _override_option(name: str) -> Callable[[Command], Command]:
    override = OVERRIDES[name]
    words = f"{describe(override.key)} ({override.key})"
    if override.kind == "switch":
        return click.option(f"{flag(name)}/--no-{flag(name)[2:]}", name, default=None, help=words)
    return click.option(
        flag(name), name, type=ConfigText(override.metavar, override.kind == "list"), metavar=override.metavar, help=words
    )


MAX_MEMORY = click.option(
    "--max-memory",
    type=MemorySize(),
    help="refuse checks estimated to need more (default: half of RAM): 100B, 500K, 500M, 4G, 1T; K = KB = KiB = 1024 B; "
    "a bare number is MiB",
)
BUG = click.option(
    "--bug",
    metavar="NAME",
    help="run with a named wrong backward pass of the config's network (see gradcheck bugs --list)",
)


CONFIG = click.argument("config_path", metavar="[CONFIG]", required=False, type=click.Path(path_type=Path))


class _GradeJobs:
    """--jobs's default, gradcheck.user.grade.JOBS, read only when `grade` runs or shows its help (click calls it
    for the value and prints it as text), so that other commands never import the sandbox."""

    def __call__(self) -> int:
        from gradcheck.user.grade import JOBS

        return JOBS

    def __str__(self) -> str:
        return str(self())


JOBS = click.option(
    "--jobs", type=click.IntRange(1, 32), default=_GradeJobs(), show_default=True, help="submissions checked at once"
)


def output_option(words: str = "write the report here", required: bool = False) -> Callable[[Command], Command]:
    """-o/--output FILE, the file a command writes (never a directory): every command's, with its own help words."""
    return click.option("-o", "--output", required=required, type=click.Path(path_type=Path, dir_okay=False), help=words)


def format_option(
    formats: type[StrEnum], words: str = "report format", default: str | None = "table"
) -> Callable[[Command], Command]:
    """--format, one of the values of the command's enum of formats, passed to the command as `fmt`."""
    return click.option("--format", "fmt", type=click.Choice([f.value for f in formats]), default=default, help=words)


def bug_of(kind: str, name: str | None, layers: int = 1) -> Bug | None:
    """The named bug of model.kind's catalogue (a click usage error naming the valid ones if it has none such)."""
    if name is None:
        return None
    catalogue = bugs_of(kind, layers)
    if name not in catalogue:
        raise click.BadParameter(f"{name!r} is not one of {', '.join(catalogue)} ({kind})", param_hint="'--bug'")
    return catalogue[name]


def bugs_of(kind: str, layers: int = 1) -> dict[str, Bug]:
    """The bug catalogue of model.kind's network at model.layers."""
    return dict(network(kind, layers).bugs)


def options(*names: str) -> Callable[[Command], Command]:
    """Apply the named overrides (and max_memory) to a command, in order; all of them if none are named."""

    def apply(command: Command) -> Command:
        for name in reversed(names or (*OVERRIDES, "max_memory")):
            command = MAX_MEMORY(command) if name == "max_memory" else _override_option(name)(command)
        return command

    return apply


def config_overrides(given: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The options a user gave as {config key: value}, and {config key: option flag} to name them in errors."""
    values = {OVERRIDES[name].key: value for name, value in given.items() if value is not None}
    fixed_by = sorted({"check.rtol", "check.atol"} & values.keys())
    if fixed_by and values.get("check.tolerance") == "auto":
        names = " and ".join(f"{flag(key.split('.')[1])} ({key})" for key in fixed_by)
        raise click.UsageError(f"{names}: set the fixed pass line, which --tolerance auto (check.tolerance) does not use")
    if fixed_by:
        values["check.tolerance"] = "fixed"  # the command line wins over a config's tolerance = "auto" (module docstring)
    return values, {override.key: flag(name) for name, override in OVERRIDES.items()}


def load_config(path: Path | None, overrides: dict[str, Any]) -> tuple[Config, str]:
    """The config at `path` (or the built-in default) with the command-line overrides applied and its size guarded."""
    from gradcheck.check import resources

    overrides = dict(overrides)
    max_memory = overrides.pop("max_memory", None) or resources.default_max_memory()
    cfg = _read(path) if path is not None else Config()
    given, labels = config_overrides(overrides)
    cfg = with_overrides(cfg, given, labels, path) if given else cfg
    source = display(path) if path else "built-in default"
    resources.guard(cfg, max_memory, source)
    return cfg, source


def _read(path: Path) -> Config:
    """A config file, read and validated by pydantic (a YAML one parsed by PyYAML): the built-in default needs neither."""
    from gradcheck.check import loading

    return loading.load(path)
