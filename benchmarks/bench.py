"""gradcheck's speed as users get it, side by side in one run, medians: `make bench` (it installs torch 2.13.0, CPU).

Sections (all by default; `--only NAME,...` picks some):
- default: the default command on configs/minchar.toml as a whole process, against whole-process scripts running
  torch.autograd.gradcheck(fast_mode=False) on the same float64 network, with a step-by-step loss and with a
  vectorised one; and the start-up (`gradcheck run` on the built-in default).
- floor: the same check in-process against its floor, the bare batched forward passes of exactly the copies × steps
  it evaluates (floor.py).
- directional: K = 16 random directions per parameter at H = 1024, I = O = 256, τ = 25.
- scaling: time and floor against H (25…400) and τ (25…400), with the fitted exponents.
- load: cases quiet and beside a CPU-burning process, alternately.
- methods: every method at four sizes against a naive loop and torch in-process (methods.py).
- lstm: the classic-size LSTM against torch's full check (lstm.py).

Prints every table and writes benchmarks/RESULTS.md, the targets first.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import floor
import numpy as np
from common import matmul_rate, median_time, problem_config

from gradcheck import __version__
from gradcheck.check import config, loading
from gradcheck.check.config import Config
from gradcheck.check.run import run

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "RESULTS.md"
MINCHAR = ROOT / "configs" / "minchar.toml"
GRADCHECK = Path(sys.executable).parent / "gradcheck"
SECTIONS = ("default", "floor", "directional", "scaling", "load", "methods", "lstm")
BURN = "while True: pass"


@dataclass
class Section:
    """One table of RESULTS.md."""

    title: str
    intro: str
    columns: tuple[str, ...]
    rows: list[tuple[str, ...]] = field(default_factory=list)


@dataclass(frozen=True)
class Target:
    """A figure the issue asks for, what this run measured and whether it is met."""

    what: str
    goal: str
    measured: str
    met: bool


def whole_process(argv: list[str], repeats: int) -> float:
    """Median wall time of running `argv` as a fresh process (output discarded); it must exit 0."""

    def once() -> None:
        done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} exited {done.returncode}: {done.stderr.decode()[-300:]}")

    return median_time(once, repeats)[0]


def default_command(targets: list[Target], tmp: Path, torch_repeats: int) -> Section:
    section = Section(
        "The default command, whole process",
        "Each line is a fresh process timed from start to exit, as a user runs it (imports included). torch's "
        "scripts (benchmarks/torch_rnn.py) check the same exported network, all of U, W, V, b, c, with "
        "`torch.autograd.gradcheck(fast_mode=False)`.",
        ("command", "median (s)", "runs", "gradcheck is"),
    )
    start = whole_process([str(GRADCHECK), "run"], 7)
    ours = whole_process([str(GRADCHECK), "run", str(MINCHAR)], 5)
    problem = tmp / "minchar.npz"
    subprocess.run([str(GRADCHECK), "export", str(MINCHAR), "-o", str(problem)], check=True, stdout=subprocess.DEVNULL)
    script = [sys.executable, str(HERE / "torch_rnn.py"), str(problem), "--loss"]
    loop = whole_process([*script, "loop"], torch_repeats)
    vectorised = whole_process([*script, "vectorised"], torch_repeats)
    section.rows += [
        ("`gradcheck run` (built-in default: start-up and a tiny check)", f"{start:.3f}", "7", ""),
        ("`gradcheck run configs/minchar.toml` (central, error bound, confirmation)", f"{ours:.3f}", "5", ""),
        ("torch gradcheck slow, loss a step at a time", f"{loop:.2f}", str(torch_repeats), f"{loop / ours:.1f}× faster"),
        ("torch gradcheck slow, vectorised loss", f"{vectorised:.2f}", str(torch_repeats), f"{vectorised / ours:.1f}× faster"),
    ]
    targets += [
        Target("minchar default vs torch slow (whole process)", "≥ 40×", f"{loop / ours:.1f}×", loop / ours >= 40),
        Target("minchar default vs torch slow, vectorised loss", "≥ 15×", f"{vectorised / ours:.1f}×", vectorised / ours >= 15),
        Target("`gradcheck run` start-up (whole process)", "< 0.35 s", f"{start:.3f} s", start < 0.35),
    ]
    return section


def timed_with_floor(cfg: Config, repeats: int) -> tuple[float, float, bool]:
    """(median seconds of the check in-process, median seconds of its floor, PASS), the chunks recorded as it runs."""
    with floor.recording() as chunks:
        run(cfg)  # warm: the first run in a process pays for its buffers' first touch
        seconds, result = median_time(lambda: (chunks.clear(), run(cfg))[1], repeats)
        recorded = list(chunks)
    return seconds, floor.floor(cfg, recorded, repeats), result.passed


def against_floor(targets: list[Target]) -> Section:
    section = Section(
        "Against the floor, in-process",
        "The floor is the bare batched forward passes of exactly the copies × steps the check evaluates, at its batch "
        "sizes and on its threads (benchmarks/floor.py). Medians of 5.",
        ("check", "median (s)", "floor (s)", "× floor", "verdict"),
    )
    cfg = loading.load(MINCHAR)
    for tolerance in ("auto", "fixed"):
        what = "minchar, default (central, error bound)" if tolerance == "auto" else "minchar, tolerance = fixed"
        raw = config.dump(cfg)
        raw["check"]["tolerance"] = tolerance
        checked = config.validate(raw)
        seconds, bare, passed = timed_with_floor(checked, 5)
        section.rows.append((what, f"{seconds:.3f}", f"{bare:.3f}", f"{seconds / bare:.2f}", "PASS" if passed else "FAIL"))
        if tolerance == "auto":
            targets.append(
                Target("minchar default in-process vs its floor", "≤ 1.5×", f"{seconds / bare:.2f}×", seconds / bare <= 1.5)
            )
    return section


def directional_config(tolerance: str = "auto") -> Config:
    return problem_config(256, 1024, 256, 25, directions=16, tolerance=tolerance)


def directional(targets: list[Target]) -> Section:
    section = Section(
        "Directional check, H = 1024, I = O = 256, τ = 25 (1.38M entries), K = 16 rank-one directions, in-process",
        "Medians of 5 after one warm-up run.",
        ("tolerance", "median (s)", "verdict"),
    )
    for tolerance in ("auto", "fixed"):
        cfg = directional_config(tolerance)
        run(cfg)
        seconds, result = median_time(lambda cfg=cfg: run(cfg), 5)
        section.rows.append(
            (
                f"{tolerance}{' (default: error bound)' if tolerance == 'auto' else ''}",
                f"{seconds:.3f}",
                "PASS" if result.passed else "FAIL",
            )
        )
        if tolerance == "auto":
            targets.append(Target("directional check with the bound", "< 0.5 s", f"{seconds:.3f} s", seconds < 0.5))
    return section


def scaling() -> Section:
    section = Section(
        "Scaling of the default check (central, error bound), in-process",
        "One-hot data, init_std = 1/√H. Against H: I = O = 65, τ = 25; against τ: I = O = 65, H = 100. Medians of 3 "
        "(1 where a check takes over 5 s). The exponent is the slope of log time against log size, fitted by least "
        "squares over the series.",
        ("series", "size", "entries", "check (s)", "floor (s)", "× floor"),
    )
    for axis, sizes in (("H", (25, 50, 100, 200, 400)), ("τ", (25, 50, 100, 200, 400))):
        times, floors = [], []
        for size in sizes:
            H, tau = (size, 25) if axis == "H" else (100, size)
            cfg = problem_config(65, H, 65, tau)
            entries = H * 65 + H * H + 65 * H + H + 65
            quick = entries * tau * H < 2e8  # about the size of work that takes a few seconds here
            seconds, bare, _ = timed_with_floor(cfg, 3 if quick else 1)
            times.append(seconds)
            floors.append(bare)
            section.rows.append((axis, str(size), f"{entries:,}", f"{seconds:.3f}", f"{bare:.3f}", f"{seconds / bare:.2f}"))
        slope, floor_slope = (float(np.polyfit(np.log(sizes), np.log(values), 1)[0]) for values in (times, floors))
        section.rows.append((axis, "fitted exponent", "", f"{slope:.2f}", f"{floor_slope:.2f}", ""))
    return section


def under_load(targets: list[Target]) -> Section:
    section = Section(
        "Under load: beside one CPU-burning process",
        f"Each case runs quiet, then with `python -c '{BURN}'` beside it, three times alternately; medians. The machine "
        f"has {os.cpu_count()} cores; gradcheck uses one compute thread per core available to it.",
        ("case", "quiet (s)", "loaded (s)", "loaded / quiet"),
    )
    minchar = loading.load(MINCHAR)
    long = problem_config(8, 16, 8, 400)
    cases: dict[str, Callable[[], object]] = {
        "`gradcheck run configs/minchar.toml`, whole process": lambda: whole_process([str(GRADCHECK), "run", str(MINCHAR)], 1),
        "minchar default, in-process": lambda: run(minchar),
        "default sizes with τ = 400, in-process": lambda: run(long),
        "directional H = 1024, τ = 25, K = 16, in-process": lambda: run(directional_config()),
    }
    worst = 0.0
    for what, case in cases.items():
        case()
        quiet, loaded = [], []
        for _ in range(3):
            quiet.append(median_time(case, 1)[0])
            burner = subprocess.Popen([sys.executable, "-c", BURN])
            try:
                time.sleep(0.2)
                loaded.append(median_time(case, 1)[0])
            finally:
                burner.kill()
                burner.wait()
        q, ld = float(np.median(quiet)), float(np.median(loaded))
        worst = max(worst, ld / q)
        section.rows.append((what, f"{q:.3f}", f"{ld:.3f}", f"{ld / q:.2f}"))
    targets.append(Target("worst case beside a CPU burner", "≤ 2.5× quiet", f"{worst:.2f}×", worst <= 2.5))
    return section


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default=",".join(SECTIONS), help="comma-separated subset of " + ", ".join(SECTIONS))
    parser.add_argument("--torch-repeats", type=int, default=1, help="runs of each whole-process torch check (~1 min each)")
    args = parser.parse_args()
    chosen = [name for name in args.only.split(",") if name]
    unknown = sorted(set(chosen) - set(SECTIONS))
    if unknown:
        parser.error(f"unknown sections {unknown}; choose from {', '.join(SECTIONS)}")
    load_before = os.getloadavg()[0]
    targets: list[Target] = []
    sections: list[Section] = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in chosen:
            print(f"… {name}", file=sys.stderr, flush=True)
            sections.append(run_section(name, targets, Path(tmp), args.torch_repeats))
    report(sections, targets, load_before)


def run_section(name: str, targets: list[Target], tmp: Path, torch_repeats: int) -> Section:
    if name == "default":
        return default_command(targets, tmp, torch_repeats)
    if name == "floor":
        return against_floor(targets)
    if name == "directional":
        return directional(targets)
    if name == "scaling":
        return scaling()
    if name == "load":
        return under_load(targets)
    if name == "methods":
        from methods import SIZES, method_rows

        rate = matmul_rate()
        rows = [row for size in SIZES for row in method_rows(size, rate, 5, with_torch=True)]
        intro = f"In-process, medians of 5 (the slow baselines once at medium and minchar). GEMM rate {rate / 1e9:.1f} GFLOP/s."
        return Section(
            "Every method at four sizes",
            intro,
            ("size", "what", "median (s)", "ratios and accuracy"),
            [(a, b, f"{c:.4f}", d) for a, b, c, d in rows],
        )
    from lstm import lstm

    rows = lstm(3, os.environ.get("BENCH_FULL") == "1")
    return Section(
        "The classic-size LSTM",
        "configs/lstm-classic.toml, in-process.",
        ("size", "what", "median (s)", "notes"),
        [(a, b, f"{c:.2f}", d) for a, b, c, d in rows],
    )


def report(sections: list[Section], targets: list[Target], load_before: float) -> None:
    """Print every table and write RESULTS.md."""
    import torch

    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    lines = [
        f"# gradcheck benchmark ({date.today().isoformat()})",
        "",
        f"Machine: {cpu}, {os.cpu_count()} cores, load average {load_before:.2f} at the start; Python "
        f"{platform.python_version()}, numpy {np.__version__}, torch {torch.__version__}, gradcheck {__version__}. "
        "`make bench`, one run; everything in float64.",
        "",
        "## Targets",
        "",
        "| what | target | measured | met |",
        "|---|---|---|---|",
        *(f"| {t.what} | {t.goal} | {t.measured} | {'yes' if t.met else '**no**'} |" for t in targets),
    ]
    for section in sections:
        lines += ["", f"## {section.title}", "", section.intro, "", "| " + " | ".join(section.columns) + " |"]
        lines.append("|" + "|".join("---" if k == 0 else "---:" for k in range(len(section.columns))) + "|")
        lines += ["| " + " | ".join(row) + " |" for row in section.rows]
    text = "\n".join(lines) + "\n"
    print(text)
    RESULTS.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
