"""`gradcheck grade` over a class of 40 book-layout submissions on the default problem, whole process, median of 3.

Half the submissions are right, half carry a named mistake (untransposed-W), so the diagnosis runs too. Each is a
copy under its own name in a temporary folder. Prints the median seconds for each --jobs value, and the target.

    .venv/bin/python benchmarks/bench_grade.py [--count 40] [--repeats 3] [--jobs 1,2,4]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SUBMISSIONS = ROOT / "tests" / "usercode" / "grade"
KINDS = ("correct.py", "untransposed.py")
TARGET_SECONDS = 15.0


def make_class(folder: Path, count: int) -> list[Path]:
    """`count` submissions, alternating right and wrong."""
    files = []
    for k in range(count):
        file = folder / f"student_{k:03d}.py"
        shutil.copy(SUBMISSIONS / KINDS[k % len(KINDS)], file)
        files.append(file)
    return files


def grade_once(files: list[Path], jobs: int) -> float:
    """Wall seconds of one `gradcheck grade` process (exit 1: half of them fail)."""
    command = [sys.executable, "-m", "gradcheck", "grade", *map(str, files), "--jobs", str(jobs), "--format", "csv"]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    rows = done.stdout.strip().splitlines()[1:]
    if done.returncode != 1 or len(rows) != len(files) or sum(",PASS," in row for row in rows) != (len(files) + 1) // 2:
        raise SystemExit(f"unexpected grading (exit {done.returncode}):\n{done.stdout}{done.stderr}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--jobs", default="1,2,4", help="comma-separated --jobs values to time")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-grade-") as folder:
        files = make_class(Path(folder), args.count)
        for jobs in (int(j) for j in args.jobs.split(",")):
            times = [grade_once(files, jobs) for _ in range(args.repeats)]
            median = statistics.median(times)
            mark = "" if median < TARGET_SECONDS else f"  (over the {TARGET_SECONDS:g} s target)"
            print(f"{args.count} submissions, --jobs {jobs}: median {median:.2f} s of {args.repeats}{mark}")


if __name__ == "__main__":
    main()
