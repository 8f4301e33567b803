"""A fast start: each command imports only what it uses, checked by the modules a fresh process holds afterwards.

`gradcheck run` on the built-in default (with plain options too) never imports pydantic, PyYAML, the user-code
sandbox, the renderers of other commands or the machine-readable formats; a config file or `gradcheck schema` does
import pydantic (and a .yaml file PyYAML), so the absent ones are absent because they are lazy, not because the probe
cannot see them. Options over the built-in default are taken without pydantic when they are plainly valid: the config
(or the error) is the one pydantic makes of the same keys.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from dataclasses import fields
from pathlib import Path

import pytest
from conftest import ROOT
from hypothesis import example, given
from hypothesis import strategies as st

from gradcheck.check import config
from gradcheck.errors import ConfigError

PROBE = """
import json, sys
from gradcheck.cli import cli
try:
    cli(sys.argv[1:], prog_name="gradcheck")
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)))
"""
DEFAULT_RUN_NEVER = (
    "pydantic",
    "pydantic_core",
    "annotated_types",
    "yaml",
    "xml",
    "importlib.metadata",
    "rich.progress",
    "gradcheck.user",
    "gradcheck.render.bugs",
    "gradcheck.render.convergence",
    "gradcheck.render.formats",
    "gradcheck.render.grade",
    "gradcheck.render.starter",
    "gradcheck.render.student",
    "gradcheck.render.teaching",
    "gradcheck.check.convergence",
    "gradcheck.check.steps",
    "gradcheck.book.output_recurrence",  # the other networks: their modules load when their kind is asked for
    "gradcheck.book.single_output",
    "gradcheck.book.bidirectional",
    "gradcheck.book.deep",
    "gradcheck.book.lstm",
    "gradcheck.book.gru",
    "numpy.ma",  # 35 ms: np.unique imports it
)


def modules_after(*args: str | Path) -> set[str]:
    """The modules a fresh `gradcheck ARGS` process has imported when the command returns (its stdout is discarded)."""
    out = subprocess.run(
        [sys.executable, "-c", PROBE, *map(str, args)], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    return set(json.loads(out.splitlines()[-1]))


def loaded(modules: set[str], *names: str) -> list[str]:
    """Which of `names` (a package counting with its submodules) are among `modules`."""
    return [name for name in names if any(m == name or m.startswith(name + ".") for m in modules)]


@pytest.mark.slow  # a fresh interpreter per case
@pytest.mark.parametrize("options", [(), ("--method", "complex-step", "--seed", "3", "--equations", "--sample", "4")])
def test_a_run_of_the_built_in_default_imports_no_config_schema_or_other_command(options):
    modules = modules_after("run", *options)
    assert loaded(modules, "gradcheck.check.run", "gradcheck.render.reports", "rich.table") == [
        "gradcheck.check.run",
        "gradcheck.render.reports",
        "rich.table",
    ]
    assert loaded(modules, *DEFAULT_RUN_NEVER) == []


@pytest.mark.slow  # a fresh interpreter per case
@pytest.mark.parametrize(
    ("args", "imported"),
    [
        (("run", ROOT / "configs" / "default.toml"), ("pydantic",)),
        (("run", ROOT / "configs" / "default.yaml"), ("pydantic", "yaml")),
        (("schema",), ("pydantic",)),
        (("run", "--format", "junit"), ("gradcheck.render.formats", "xml")),
        (("run", "--bug", "sign-flip"), ("gradcheck.render.bugs",)),
    ],
)
def test_what_a_command_needs_is_imported_when_it_runs(args, imported):
    assert loaded(modules_after(*args), *imported) == list(imported)


def test_import_gradcheck_reads_no_package_metadata_until_the_version_is_asked_for():
    code = "import gradcheck, sys; print('importlib.metadata' in sys.modules, gradcheck.__version__ != '')"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout == "False True\n"


SECTIONS = ("model", "data", "check", "user")
KEYS = [f"{section}.{key.name}" for section in SECTIONS for key in fields(getattr(config.Config(), section))]
WORDS = ["auto", "all", "fixed", "central", "complex-step", "zeros", "learned", "gaussian", "lstm", "common", "cs231n", "U", ""]
VALUES = st.one_of(
    st.sampled_from([None, True, False, 0, 1, -1, 2.0, 0.5, 1e-5, 2**53 + 1, 10**30, float("nan"), float("inf"), *WORDS]),
    st.integers(-3, 5000),
    st.floats(allow_nan=True, allow_infinity=True),
    st.lists(st.one_of(st.integers(-1, 9), st.sampled_from(["U", "W", "h0", True])), max_size=3),
)


def outcome(make: Callable[[], config.Config]) -> str:
    try:
        made = make()
    except ConfigError as error:
        return f"error: {error}"
    return f"{made!r} given {sorted(made.given)}"


@given(st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=4))
@example({"check.eps": 1, "user.timeout": 20, "data.seed": 3, "check.method": "complex-step"})
@example({"check.rtol": 0, "check.params": ["W", "U"], "check.sample": 4})
@example({"model.kind": "lstm", "model.h0": "learned"})
def test_options_over_the_default_make_the_config_pydantic_makes(overrides):
    raw: dict[str, dict[str, object]] = {}
    for key, value in overrides.items():
        section, name = key.split(".")
        raw.setdefault(section, {})[name] = value
    assert outcome(lambda: config.with_overrides(config.Config(), overrides, {})) == outcome(lambda: config.validate(raw))
