"""Fuzz the library API (hypothesis): any call of check_gradients gives a GradientReport or one clear error.

    .venv/bin/python fuzz/fuzz_api.py [EXAMPLES]      # default 2000

Arguments are drawn by the strategies of tests/test_api_misuse.py (wrong types, extreme numbers, odd shapes and
keys, f and grad_f that return garbage, raise or write into their input). The only allowed outcomes are a report,
a one-line ValueError or TypeError naming an argument, or the user's own exception raised inside f or grad_f.
Anything else, or a call slower than the deadline, is a failure that hypothesis shrinks and prints.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from test_api_misuse import calls, outcome


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("examples", nargs="?", type=int, default=2000, help="how many calls to try (default 2000)")
    parser.add_argument("--seed", type=int, default=None, help="hypothesis seed, for a reproducible run")
    args = parser.parse_args()
    kinds: Counter[str] = Counter()
    warned: Counter[str] = Counter()

    @settings(
        max_examples=args.examples,
        deadline=timedelta(seconds=5),  # a hang is a failure; the arrays are tiny
        database=None,
        suppress_health_check=list(HealthCheck),
        derandomize=args.seed is not None,
    )
    @given(calls())
    def fuzz(call: dict[str, object]) -> None:
        kind, warnings = outcome(call)
        kinds[kind] += 1
        warned.update(set(warnings))

    start = time.perf_counter()
    try:
        fuzz()
    except Exception as error:  # a finding: hypothesis has printed the shrunk call
        print(f"FAILED after {sum(kinds.values())} calls: {type(error).__name__}: {str(error).splitlines()[0]}")
        return 1
    outcomes = ", ".join(f"{kind} {n}" for kind, n in kinds.most_common())
    warnings_seen = ", ".join(f"{kind} {n}" for kind, n in warned.most_common()) or "none"
    print(f"OK {sum(kinds.values())} calls in {time.perf_counter() - start:.0f} s: {outcomes}; warnings: {warnings_seen}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
