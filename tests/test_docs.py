"""Every command output shown in README.md and docs/*.md is what the command prints today.

A documented output is a fenced block whose first line is `$ gradcheck ...`: the rest of the block must
equal the command's stdout and stderr (trailing spaces and wall-clock times aside). Regenerate the blocks
with `pytest tests/test_docs.py --update-golden` and review the diff.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"^```\n(\$ gradcheck [^\n]*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
TIME = re.compile(r"run time( +)[0-9.]+ (ms|s)")


def documented() -> list[tuple[Path, str]]:
    return [(page, match[1]) for page in PAGES for match in BLOCK.finditer(page.read_text(encoding="utf-8"))]


def stripped(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.splitlines()).strip("\n") + "\n"


def normalise(text: str) -> str:
    return TIME.sub(r"run time\1…", stripped(text))


def test_the_pages_show_command_outputs():
    pages = {page.name for page, _ in documented()}
    assert {"README.md", "equations-and-bugs.md", "explain.md", "methods.md"} <= pages


@pytest.mark.parametrize(("page", "command"), documented(), ids=[f"{page.name}: {command[2:]}" for page, command in documented()])
def test_a_documented_output_is_the_real_output(page, command, request, monkeypatch, cli):
    monkeypatch.chdir(ROOT)  # the commands name configs/ relative to the repository
    result = cli(*shlex.split(command)[2:])
    real = stripped(result.stdout + result.stderr)
    text = page.read_text(encoding="utf-8")
    block = next(match for match in BLOCK.finditer(text) if match[1] == command)
    if request.config.getoption("--update-golden"):
        page.write_text(text[: block.start(2)] + real + text[block.end(2) :], encoding="utf-8")
        return
    assert normalise(block[2]) == normalise(real)


def test_the_readme_library_example_runs_as_written():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    code = readme.split("## Library API")[1].split("```python\n")[1].split("```")[0]
    namespace: dict[str, object] = {}
    exec(compile(code, "README.md", "exec"), namespace)
    assert namespace["result"].passed  # type: ignore[attr-defined]
    namespace["test_mlp_gradient"]()  # type: ignore[operator]


def test_the_ci_recipe_commands_run(tmp_path, monkeypatch, cli):
    """Every `gradcheck …` command of the GitHub Actions job in docs/reports.md runs and exits 0."""
    page = (ROOT / "docs" / "reports.md").read_text(encoding="utf-8")
    block = page.split("```yaml\n# .github/workflows/gradcheck.yml")[1].split("```")[0]
    commands = [line.split("run: ", 1)[1] for line in block.splitlines() if "run: gradcheck" in line]
    assert len(commands) == 2
    monkeypatch.chdir(ROOT)
    for line in commands:
        argv = shlex.split(line.split(">>")[0])
        argv = [arg if not arg.endswith(".xml") else str(tmp_path / arg) for arg in argv]
        cli(*argv[1:], code=0)


def test_the_bug_table_is_what_the_bugs_break():
    """docs/equations-and-bugs.md's ✗/· table, row by row, against `gradcheck bugs` on the default config."""
    from gradcheck.book.bugs import BUGS
    from gradcheck.check import config
    from gradcheck.check.run import run_bugs

    page = (ROOT / "docs" / "equations-and-bugs.md").read_text(encoding="utf-8")
    lines = page.splitlines()
    (header,) = [line for line in lines if line.startswith("| bug | the mistake |")]
    columns = [cell.strip() for cell in header.strip("|").split("|")][2:]
    documented = {}
    for row in (line for line in lines if line.startswith("| `")):
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        documented[cells[0].strip("`")] = "".join(cells[2:])
    result = run_bugs(config.validate({"check": {"equations": True}}), tuple(BUGS.values()))
    real = {r.bug.name: "".join("✗" if key in r.failing else "·" for key in columns) for r in result.bugs if r.bug}
    assert columns == ["U", "W", "V", "b", "c", "10.18", "10.19", "10.21"]
    assert documented == real


def test_the_layer_map_lists_every_module():
    """docs/development.md's map names every module under gradcheck/, under its own package (a new one is placed
    there the day it is added)."""
    text = (ROOT / "docs" / "development.md").read_text(encoding="utf-8")
    mapped = text[text.index("```\ngradcheck/") : text.index("## Recipes")]
    sections = dict(re.findall(r"(?m)^  (\w+)/(.*?)(?=^  \S|\Z)", mapped, flags=re.S))
    sections[""] = "\n".join(line for line in mapped.splitlines() if re.match(r"  \S", line) and "/ " not in line)
    missing = []
    for path in sorted((ROOT / "gradcheck").rglob("*.py")):
        parts = path.relative_to(ROOT / "gradcheck").parts
        where = sections.get(parts[0] if len(parts) > 1 else "", "")
        listed = re.search(rf"(?<![\w/]){re.escape(path.name)}", where)
        if (path.name != "__init__.py" or len(parts) == 1) and not listed:
            missing.append("/".join(parts))
    assert missing == []
