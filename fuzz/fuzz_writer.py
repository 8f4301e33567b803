"""Fuzz the output writer with many more random targets and failures than the test suite draws.

    .venv/bin/python fuzz/fuzz_writer.py [EXAMPLES]      (default 3000; `make fuzz` runs it)

The property and its strategies live in tests/test_writer_fuzz.py; a failure prints hypothesis's smallest case.
"""

import sys
from pathlib import Path

from hypothesis import given, settings

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from test_writer_fuzz import cases, check_one


def main(examples: int) -> None:
    @settings(max_examples=examples, deadline=None, database=None)
    @given(cases)
    def writer_keeps_its_promise(case: object) -> None:
        check_one(case)  # type: ignore[arg-type]

    writer_keeps_its_promise()
    print(f"fuzz_writer: {examples} random targets and failures, the writer's promise held for every one")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3000)
