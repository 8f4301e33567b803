"""Coverage-guided fuzzing of the config loader (atheris): any exception but ConfigError is a crash.

    .venv/bin/pip install atheris
    mkdir -p fuzz/corpus && .venv/bin/python fuzz/fuzz_config.py -atheris_runs=100000 fuzz/corpus fuzz/seeds

The first byte picks the format (even: TOML, odd: YAML); the rest is the file. Crashes found are kept
as regression inputs in tests/fuzz_regressions/ and replayed by tests/test_adversarial.py.
"""

import contextlib
import sys
from pathlib import Path

import atheris

with atheris.instrument_imports():
    from gradcheck.check.loading import loads
    from gradcheck.errors import ConfigError

NAMES = (Path("fuzz.toml"), Path("fuzz.yaml"))


def one_input(data: bytes) -> None:
    if not data:
        return
    with contextlib.suppress(ConfigError):
        loads(data[1:], NAMES[data[0] % 2])


if __name__ == "__main__":
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
