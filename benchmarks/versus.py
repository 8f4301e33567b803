"""This tree against an earlier commit, side by side in one run: `make bench-versus BASE=<commit>` (default HEAD~1).

The earlier commit is checked out into a temporary worktree; the same commands run on both, alternately (so the
machine's load falls on both alike), as whole processes: `gradcheck run` on configs/minchar.toml (the default
check) and on configs/lstm-classic.toml. Medians, and this tree's time over the earlier one's.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CASES = {"minchar default": "configs/minchar.toml", "lstm classic": "configs/lstm-classic.toml"}


def once(tree: Path, config: str) -> float:
    """Seconds of `python -m gradcheck run CONFIG` with the package of `tree` first on the path; it must pass."""
    env = os.environ | {"PYTHONPATH": str(tree)}
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "gradcheck", "run", config], cwd=tree, env=env, capture_output=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{tree}: gradcheck run {config} exited {done.returncode}: {done.stderr.decode()[-300:]}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="HEAD~1", help="the earlier commit")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--only", choices=list(CASES), help="one case")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "base"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(base), args.base], check=True)
        try:
            label = subprocess.run(
                ["git", "-C", str(base), "log", "-1", "--format=%h %s"], capture_output=True, text=True, check=True
            ).stdout.strip()
            print(f"this tree against {label[:90]}; medians of {args.repeats}, alternating\n")
            print(f"{'case':<18} {'before s':>9} {'after s':>9} {'after/before':>13}")
            for name, config in CASES.items():
                if args.only not in (None, name):
                    continue
                before, after = [], []
                for _ in range(args.repeats):
                    before.append(once(base, config))
                    after.append(once(ROOT, config))
                b, a = statistics.median(before), statistics.median(after)
                print(f"{name:<18} {b:>9.3f} {a:>9.3f} {a / b:>12.3f}×")
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base)], check=True)


if __name__ == "__main__":
    main()
