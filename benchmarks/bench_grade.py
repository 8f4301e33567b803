"""`gradcheck grade` over classes of 40 submissions, whole process, median of 3: the book layout on the default problem
at several --jobs, and min-char-rnn programs with their endless training loops, at the default --jobs.

Half of each class is right and half carries a named mistake, so the diagnosis runs too; the files are written into a
temporary folder. book: copies of tests/usercode/grade's correct.py and untransposed.py under the students' names.
min-char: whole programs in the shape of Karpathy's min-char-rnn (Python 3), each training with Adagrad in a
`while True:` loop at module level on an input.txt beside it; the wrong half cycles through four mistakes. Prints one
table: the median seconds of each case, its ratio to the others and the target.

    .venv/bin/python benchmarks/bench_grade.py [--only book,minchar] [--count 40] [--repeats 3] [--jobs 1,2,4]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from string import Template

from gradcheck.user.grade import JOBS

ROOT = Path(__file__).resolve().parent.parent
SUBMISSIONS = ROOT / "tests" / "usercode" / "grade"
GRADCHECK = Path(sys.executable).parent / "gradcheck"  # the venv's entry point, as a user runs it
KINDS = ("correct.py", "untransposed.py")
SECTIONS = ("book", "minchar")
TARGET_SECONDS = 15.0

# A min-char-rnn homework as students hand it in: data, sizes, weights, lossFun, a sampler, then training for ever.
MINCHAR_PROGRAM = Template('''\
# RNN homework 3 -- student $number
"""A character-level vanilla RNN, trained with Adagrad on input.txt until interrupted (Ctrl-C)."""

import numpy as np

text = open("input.txt", encoding="utf-8").read()
alphabet = sorted(set(text))
vocab_size = len(alphabet)
index_of = {ch: i for i, ch in enumerate(alphabet)}
char_of = dict(enumerate(alphabet))
print(f"{len(text)} characters, {vocab_size} distinct")

hidden_size = 32
seq_length = 16
learning_rate = 0.1
np.random.seed($seed)

Wxh = 0.01 * np.random.randn(hidden_size, vocab_size)
Whh = 0.01 * np.random.randn(hidden_size, hidden_size)
Why = 0.01 * np.random.randn(vocab_size, hidden_size)
bh = np.zeros((hidden_size, 1))
by = np.zeros((vocab_size, 1))


def lossFun(inputs, targets, hprev):
    """Cross-entropy over one chunk, the gradient of every weight, and the last hidden state."""
    xs, hs, ps = {}, {-1: np.copy(hprev)}, {}
    loss = 0.0
    for t, ix in enumerate(inputs):
        xs[t] = np.zeros((vocab_size, 1))
        xs[t][ix] = 1
        hs[t] = np.tanh(Wxh @ xs[t] + Whh @ hs[t - 1] + bh)
        scores = Why @ hs[t] + by
        ps[t] = np.exp(scores) / np.sum(np.exp(scores))
        loss -= np.log(ps[t][targets[t], 0])
    dWxh, dWhh, dWhy = np.zeros_like(Wxh), np.zeros_like(Whh), np.zeros_like(Why)
    dbh, dby = np.zeros_like(bh), np.zeros_like(by)
    dhnext = np.zeros_like(hprev)
    for t in reversed(range(len(inputs))):
        dy = np.copy(ps[t])
        dy[targets[t]] -= 1
        dWhy += dy @ hs[t].T
        dby += dy
        dh = Why.T @ dy + dhnext
        dhraw = (1 - hs[t] ** 2) * dh
        dbh += dhraw
        dWxh += dhraw @ xs[t].T
        dWhh += dhraw @ hs[t - 1].T
        dhnext = Whh.T @ dhraw
    return loss, dWxh, dWhh, dWhy, dbh, dby, hs[len(inputs) - 1]


def sample(h, first, n):
    """n character indices drawn from the model, starting from the index first."""
    x = np.zeros((vocab_size, 1))
    x[first] = 1
    out = []
    for _ in range(n):
        h = np.tanh(Wxh @ x + Whh @ h + bh)
        p = np.exp(Why @ h + by)
        ix = np.random.choice(vocab_size, p=(p / np.sum(p)).ravel())
        x = np.zeros((vocab_size, 1))
        x[ix] = 1
        out.append(ix)
    return out


n, pos = 0, 0
weights = (Wxh, Whh, Why, bh, by)
memory = [np.zeros_like(w) for w in weights]
smooth_loss = -np.log(1.0 / vocab_size) * seq_length
while True:
    if n == 0 or pos + seq_length + 1 >= len(text):
        hprev = np.zeros((hidden_size, 1))
        pos = 0
    inputs = [index_of[ch] for ch in text[pos : pos + seq_length]]
    targets = [index_of[ch] for ch in text[pos + 1 : pos + seq_length + 1]]
    loss, dWxh, dWhh, dWhy, dbh, dby, hprev = lossFun(inputs, targets, hprev)
    smooth_loss = 0.999 * smooth_loss + 0.001 * loss
    if n % 100 == 0:
        print(f"iter {n}, loss {smooth_loss:.3f}:", "".join(char_of[i] for i in sample(hprev, inputs[0], 80)))
    for w, dw, m in zip(weights, (dWxh, dWhh, dWhy, dbh, dby), memory):
        np.clip(dw, -5, 5, out=dw)
        m += dw * dw
        w -= learning_rate * dw / np.sqrt(m + 1e-8)  # Adagrad
    pos += seq_length
    n += 1
''')
# Each named mistake: the right line of MINCHAR_PROGRAM and what the student wrote instead.
MINCHAR_MISTAKES = {
    "tanh derivative dropped": ("dhraw = (1 - hs[t] ** 2) * dh", "dhraw = dh"),
    "dhnext never carried": ("        dhnext = Whh.T @ dhraw\n", ""),
    "Whh instead of Whh.T in dhnext": ("dhnext = Whh.T @ dhraw", "dhnext = Whh @ dhraw"),
    "dy not reduced by 1 at the target": ("        dy[targets[t]] -= 1\n", ""),
}
MINCHAR_TEXT = """\
Rain came in from the west before noon, and the market emptied in minutes.
The fish seller packed his ice, the baker covered her loaves with a cloth,
and a dog sat under the awning watching the water run along the stones.
By two the sky was clear again, the puddles shone, and everyone came back
as if nothing had happened; only the dog stayed where it was, just in case.
"""


@dataclass(frozen=True)
class Row:
    """One line of the table: a class graded at one --jobs, the median of its runs."""

    what: str
    jobs: int
    median: float
    runs: int
    book: bool = False
    default_jobs: bool = False


def make_class(folder: Path, count: int) -> list[Path]:
    """`count` book-layout submissions, alternating right and wrong."""
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for k in range(count):
        file = folder / f"student_{k:03d}.py"
        shutil.copy(SUBMISSIONS / KINDS[k % len(KINDS)], file)
        files.append(file)
    return files


def make_minchar_class(folder: Path, count: int) -> dict[Path, str | None]:
    """`count` min-char-rnn programs beside one input.txt, by file: None for the right ones, else the mistake's name.

    Even students are right; odd ones carry the mistakes in turn."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "input.txt").write_text(MINCHAR_TEXT, encoding="utf-8")
    mistakes = list(MINCHAR_MISTAKES)
    files: dict[Path, str | None] = {}
    for k in range(count):
        source = MINCHAR_PROGRAM.substitute(number=f"{k + 1:03d}", seed=k + 1)
        mistake = None if k % 2 == 0 else mistakes[(k // 2) % len(mistakes)]
        if mistake is not None:
            right, wrong = MINCHAR_MISTAKES[mistake]
            assert source.count(right) == 1, f"{mistake!r}: {right!r} is not once in the program"
            source = source.replace(right, wrong)
        file = folder / f"minchar_{k + 1:03d}.py"
        file.write_text(source, encoding="utf-8")
        files[file] = mistake
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


def book_rows(folder: Path, count: int, repeats: int, jobs_list: list[int]) -> list[Row]:
    files = make_class(folder, count)
    rows = []
    for jobs in jobs_list:
        times = [grade_once(files, jobs) for _ in range(repeats)]
        what = f"{count} book-layout submissions (half untransposed-W)"
        rows.append(Row(what, jobs, statistics.median(times), repeats, book=True))
    return rows


def minchar_warnings(files: dict[Path, str | None], returncode: int, stdout: str, stderr: str) -> list[str]:
    """What in one grading of the min-char class is not as expected: exit 1, the wrong ones FAIL, the right ones PASS."""
    problems = [f"`gradcheck grade` exited {returncode}, expected 1"] if returncode != 1 else []
    try:
        submissions = json.loads(stdout)["submissions"]
    except (ValueError, KeyError, TypeError) as error:
        return [*problems, f"no JSON report ({error}): {(stdout.strip() + ' ' + stderr.strip()).strip()[-500:]}"]
    by_name = {Path(s["file"]).name: s for s in submissions}
    for file, mistake in files.items():
        expected = "PASS" if mistake is None else "FAIL"
        got = by_name.get(file.name)
        if got is None:
            problems.append(f"{file.name} ({mistake or 'right'}): not in the report")
            continue
        verdict = str(got["verdict"]).upper()
        if verdict != expected:
            detail = "; ".join(str(got[key]) for key in ("failure", "mistake", "diagnosis", "error") if got.get(key))
            problems.append(f"{file.name} ({mistake or 'right'}): {verdict}, expected {expected}: {detail or 'no error text'}")
    return problems


def minchar_row(folder: Path, count: int, repeats: int) -> tuple[Row, list[str]]:
    """The min-char class graded `repeats` times at the default config and --jobs, and what went unexpectedly."""
    files = make_minchar_class(folder, count)
    command = [str(GRADCHECK), "grade", *map(str, files), "--format", "json"]
    times, warnings = [], []
    for run in range(repeats):
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        times.append(time.perf_counter() - start)
        warnings += [
            f"run {run + 1}: {problem}" for problem in minchar_warnings(files, done.returncode, done.stdout, done.stderr)
        ]
    what = f"{count} min-char-rnn programs, `while True:` training at module level (half with one of 4 mistakes)"
    return Row(what, JOBS, statistics.median(times), repeats, default_jobs=True), warnings


def table(rows: list[Row]) -> str:
    """The rows as a Markdown table like bench.py's: the book class against itself at --jobs 1, the min-char class
    against the book class at the same --jobs (where that was timed), and the target."""
    book = {row.jobs: row.median for row in rows if row.book}
    lines = [
        "| class | --jobs | median (s) | runs | ratio | target | met |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        if row.book:
            ratio = f"{book[1] / row.median:.2f}× faster than --jobs 1" if 1 in book and row.jobs != 1 else ""
        else:
            ratio = f"{row.median / book[row.jobs]:.2f}× the book class" if row.jobs in book else ""
        jobs = f"{row.jobs} (default)" if row.default_jobs else str(row.jobs)
        met = "yes" if row.median < TARGET_SECONDS else "**no**"
        lines.append(f"| {row.what} | {jobs} | {row.median:.2f} | {row.runs} | {ratio} | under {TARGET_SECONDS:g} s | {met} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default=",".join(SECTIONS), help="comma-separated subset of " + ", ".join(SECTIONS))
    parser.add_argument("--count", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--jobs", default="1,2,4", help="comma-separated --jobs values to time the book class at")
    args = parser.parse_args()
    chosen = [name for name in args.only.split(",") if name]
    unknown = sorted(set(chosen) - set(SECTIONS))
    if unknown:
        parser.error(f"unknown sections {unknown}; choose from {', '.join(SECTIONS)}")
    rows: list[Row] = []
    warnings: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bench-grade-") as folder:
        if "book" in chosen:
            rows += book_rows(Path(folder) / "book", args.count, args.repeats, [int(j) for j in args.jobs.split(",")])
        if "minchar" in chosen:
            row, warnings = minchar_row(Path(folder) / "minchar", args.count, args.repeats)
            rows.append(row)
    print(table(rows))
    for warning in warnings:
        print(f"WARNING: min-char class not graded as expected, {warning}")


if __name__ == "__main__":
    main()
