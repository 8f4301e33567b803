"""Adversarial inputs: mutated, truncated and random configs either run or fail with exit 2 and one line.

Never a traceback, never a crash, nothing written to --output. Inputs the fuzzer (fuzz/fuzz_config.py)
found crashing are kept in tests/fuzz_regressions/ and replayed here.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import problems
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

REGRESSIONS = Path(__file__).parent / "fuzz_regressions"
FAST = ["--sample", "2", "--method", "complex-step", "--max-memory", "2G"]

# What each input the fuzzer found must now give: exit 2 and this message after "error: FILE: ".
FUZZ_FINDS = {
    "deep-toml-array": "nested too deeply to be a config",
    "deep-toml-inline-table": "nested too deeply to be a config",
    "deep-yaml-list": "nested too deeply to be a config",
    "yaml-alias-bomb": "data.tokens[0]: must be an integer, got [[[...], [...], [...], [...], ...], [[...], [...], [...],..."
    " (and 17 more problems)",
}


def to_toml(raw: dict[str, Any]) -> str:
    """A small TOML writer for the values configs hold (JSON spells them the same way, but for null)."""
    lines = []
    for section, keys in raw.items():
        if not isinstance(keys, dict):
            lines.append(f"{section} = {json.dumps(keys)}")
            continue
        lines.append(f"[{section}]")
        lines += [f"{key} = {json.dumps(value)}" for key, value in keys.items() if value is not None]
    return "\n".join(lines) + "\n"


@pytest.fixture
def run_text(cli, assert_one_line_error, tmp_path):
    """run_text(text, suffix, must_fail=False) -> (result, report path): run the text as a config and check the outcome.

    The outcome must be clean: exit 0/1 with a report, or exit 2 with one error line and no report file (a crash
    propagates as the test's failure). Each call gets a fresh folder: hypothesis reuses tmp_path across examples.
    """

    def run(text: str | bytes, suffix: str, must_fail: bool = False) -> tuple[Any, Path]:
        folder = Path(tempfile.mkdtemp(dir=tmp_path))
        path, out = folder / f"c{suffix}", folder / "report.json"
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
        result = cli("run", path, *FAST, "--format", "json", "-o", out)
        if must_fail or result.exit_code == 2:
            assert_one_line_error(result, 2)
            assert not out.exists()
        else:
            assert result.exit_code in (0, 1, 3) and out.exists(), result.exit_code  # pass, fail, undecided
        return result, out

    return run


TYPE_CHANGES = st.one_of(
    st.text(max_size=5),
    st.booleans(),
    st.lists(st.integers(-3, 3), max_size=3),
    st.just({"x": 1}),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(10**12), 10**12),
)
SETTINGS = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)


@SETTINGS
@given(raw=problems(max_size=4), data=st.data(), suffix=st.sampled_from([".toml", ".yaml"]))
def test_a_changed_value_runs_or_fails_cleanly(run_text, raw, data, suffix):
    section = data.draw(st.sampled_from(["model", "data"]))
    key = data.draw(st.sampled_from(sorted(raw[section])))
    raw[section][key] = data.draw(TYPE_CHANGES)
    text = to_toml(raw) if suffix == ".toml" else yaml.safe_dump(raw)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return  # a lone surrogate cannot be written as UTF-8: not a file anyone can have
    run_text(text, suffix)


@SETTINGS
@given(raw=problems(max_size=4), data=st.data(), suffix=st.sampled_from([".toml", ".yaml"]))
def test_a_misspelt_or_extra_key_is_exit_2_with_a_suggestion(run_text, raw, data, suffix):
    section = data.draw(st.sampled_from(["model", "data"]))
    key = data.draw(st.sampled_from(sorted(raw[section])))
    cut = data.draw(st.integers(0, len(key) - 1))
    typo = key[:cut] + key[cut + 1 :] if len(key) > 3 else key + "x"
    raw[section][typo] = raw[section].pop(key)
    text = to_toml(raw) if suffix == ".toml" else yaml.safe_dump(raw)
    result, _ = run_text(text, suffix, must_fail=True)
    assert f"{section}.{typo}: unknown key; did you mean '{key}'?" in result.stderr


@SETTINGS
@given(raw=problems(max_size=4), data=st.data())
def test_out_of_range_values_are_exit_2_naming_the_key(run_text, raw, data):
    key, value = data.draw(
        st.sampled_from(
            [
                ("model.hidden_size", 0),
                ("model.input_size", -1),
                ("model.init_std", 0.0),
                ("data.length", 0),
                ("data.seed", -5),
                ("check.eps", -1e-6),
                ("check.sample", 0),
                ("check.rtol", -1.0),
                ("check.memory_mb", 0),
            ]
        )
    )
    section, name = key.split(".")
    if section == "data" and name == "length":
        raw["data"].pop("tokens", None)
    raw.setdefault(section, {})[name] = value
    result, _ = run_text(to_toml(raw), ".toml", must_fail=True)
    assert key in result.stderr


@SETTINGS
@given(raw=problems(max_size=4), data=st.data(), suffix=st.sampled_from([".toml", ".yaml"]))
def test_a_truncated_file_runs_or_fails_cleanly(run_text, raw, data, suffix):
    text = to_toml(raw) if suffix == ".toml" else yaml.safe_dump(raw)
    cut = data.draw(st.integers(0, len(text)))
    run_text(text[:cut], suffix)


@SETTINGS
@given(blob=st.binary(max_size=300), suffix=st.sampled_from([".toml", ".yaml", ".yml"]))
def test_random_bytes_fail_cleanly(run_text, blob, suffix):
    run_text(blob, suffix)


@SETTINGS
@given(raw=problems(max_size=4), suffix=st.sampled_from([".toml", ".yaml"]))
def test_random_valid_configs_pass(run_text, raw, suffix):
    text = to_toml(raw) if suffix == ".toml" else yaml.safe_dump(raw)
    result, out = run_text(text, suffix)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert json.loads(out.read_text())["passed"] is True


@pytest.mark.parametrize("path", sorted(REGRESSIONS.glob("*")), ids=lambda p: p.name)
def test_fuzzer_finds_stay_fixed(cli, assert_one_line_error, tmp_path, path):
    """Each input fuzz/fuzz_config.py found crashing is now exactly one usage error; its first byte picks the format."""
    assert path.name in FUZZ_FINDS, f"{path.name}: a new fuzz regression; add the message it must give to FUZZ_FINDS"
    data = path.read_bytes()
    config = tmp_path / ("fuzz.toml" if data[0] % 2 == 0 else "fuzz.yaml")
    config.write_bytes(data[1:])
    assert_one_line_error(cli("run", config), 2, f"error: {config}: {FUZZ_FINDS[path.name]}\n")


def test_every_fuzz_find_is_replayed():
    assert sorted(path.name for path in REGRESSIONS.glob("*")) == sorted(FUZZ_FINDS)


@pytest.mark.slow  # a vocabulary of a million
@pytest.mark.parametrize(
    ("kind", "key"),
    [("fig-10.3", "input_size"), ("fig-10.3", "output_size"), ("fig-10.4", "output_size"), ("teacher-forcing", "output_size")],
)
def test_a_vocabulary_of_a_million_is_one_hot_rows_not_an_identity_matrix(tmp_path, kind, key):
    """One-hot x(t), e_y(t) are built row by row: a million classes under --max-memory 2G passes the guard and must
    not then allocate a million × million identity (8 TB). The child runs with 3 GiB of address space."""
    import resource
    import subprocess
    import sys

    path = tmp_path / "wide.toml"
    path.write_text(f'[model]\nkind = "{kind}"\n{key} = 1000000\n[data]\nlength = 3\n', encoding="utf-8")

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (3 * 2**30, 3 * 2**30))

    args = [sys.executable, "-m", "gradcheck", "run", str(path), "--sample", "2", "--max-memory", "2G", "--params", "c"]
    result = subprocess.run(args, capture_output=True, text=True, timeout=300, preexec_fn=limit)
    assert result.returncode in (0, 2), result.stderr[-2000:]
    assert "Traceback" not in result.stderr and "MemoryError" not in result.stderr
