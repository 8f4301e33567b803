"""Grade many users' files against one problem: the book's forward pass is differenced once, and each submission's
gradients are judged against those estimates in its own sandbox, a few at a time.

A submission that cannot be run (a crash, a timeout, sys.exit, NotImplementedError, a wrong return) is an ERROR row
with its one-line reason; it never stops the others.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from gradcheck.check.config import Config
from gradcheck.check.problem import build
from gradcheck.check.results import CheckResult
from gradcheck.check.run import Numerical, Progress, numerical
from gradcheck.check.sections import split_spec
from gradcheck.engine.batching import THREADS
from gradcheck.engine.compare import Verdict
from gradcheck.errors import UserCodeError
from gradcheck.user.reaping import kill_group
from gradcheck.user.run import UserCode, check_code, without
from gradcheck.user.sandbox import WAKE, Limits, Sandbox, SandboxError, check_path

JOBS = THREADS  # submissions checked at once, one per core: each thread owns one child process (BLAS on one thread)


class Grade(StrEnum):
    """A submission's outcome: the check's verdict, or ERROR when its code could not be run."""

    PASS = "PASS"
    FAIL = "FAIL"
    UNDECIDED = "UNDECIDED"
    ERROR = "ERROR"


WORST_FIRST = (Grade.FAIL, Grade.ERROR, Grade.UNDECIDED, Grade.PASS)  # the grading's overall grade: the worst one
OF_VERDICT = {Verdict.PASS: Grade.PASS, Verdict.FAIL: Grade.FAIL, Verdict.UNDECIDED: Grade.UNDECIDED}
UNKNOWN_FAILURE = "usage"  # a UserCodeError raised in the parent (a gradient missing from what the child returned)


@dataclass(frozen=True)
class Submission:
    """One graded file: its check (None when it could not be run), the named mistake, or the error that stopped it.

    failure: why it could not be run, as the sandbox names it (timeout, crash, not-implemented, exception, usage, …);
    seconds: wall time of its own check (child start to diagnosis), not of the shared estimates.
    """

    file: Path
    seconds: float
    result: CheckResult | None = None
    mistake: str | None = None
    error: str | None = None
    failure: str | None = None

    @property
    def grade(self) -> Grade:
        return Grade.ERROR if self.result is None else OF_VERDICT[self.result.verdict]

    @property
    def failing(self) -> tuple[str, ...]:
        """The rows confirmed wrong, in table order (parameters, then equations), and "forward" when the user's
        forward pass is not the book's."""
        if self.result is None:
            return ()
        rows = tuple(key for key in self.result.rows if key in self.result.failing)
        forward = self.result.forward
        return rows + (("forward",) if forward is not None and not forward.agrees else ())

    @property
    def diagnosis(self) -> str | None:
        return None if self.result is None else self.result.diagnosis


@dataclass(frozen=True)
class Grading:
    """Every submission against one problem; estimate_seconds: the shared finite differences, made once."""

    config: Config
    layout: str | None  # None: found from each file
    backward: str | None
    forward: str | None
    submissions: tuple[Submission, ...]
    estimate_seconds: float
    elapsed: float

    @property
    def grade(self) -> Grade:
        """FAIL if any submission failed, else ERROR if any could not be run, else UNDECIDED if any was, else PASS."""
        found = {s.grade for s in self.submissions}
        return next((grade for grade in WORST_FIRST if grade in found), Grade.PASS)

    def count(self, grade: Grade) -> int:
        return sum(s.grade is grade for s in self.submissions)


def functions(config: Config, function: str | None, with_forward: bool) -> tuple[str | None, str | None]:
    """The backward function every submission is called through (--function, else the config's user.backward
    function; None: each file's own, as its layout is found), and the forward function when forward passes are
    compared too ("": the layout's)."""
    backward = function or (split_spec(config.user.backward)[1] if config.user.backward else None)
    if not (with_forward or config.user.forward is not None):
        return backward, None
    configured = split_spec(config.user.forward)[1] if config.user.forward else None
    return backward, configured or ""


def refuse_unrunnable(files: tuple[Path, ...]) -> None:
    """A path that is not a readable .py file is bad input: said before any child starts (exit 2)."""
    for file in files:
        check_path(file)


class Stopper:
    """The children running now, so that Ctrl-C (or SIGTERM) ends them at once instead of waiting out a timeout."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.running: set[Sandbox] = set()
        self.stopped = False

    @contextlib.contextmanager
    def watch(self, sandbox: Sandbox) -> Iterator[None]:
        with self.lock:
            self.running.add(sandbox)
            if self.stopped:
                _kill(sandbox)
        try:
            yield
        finally:
            with self.lock:  # before the sandbox reaps its child: a pid killed here is still ours
                self.running.discard(sandbox)

    def stop(self) -> None:
        with self.lock:
            self.stopped = True
            for sandbox in self.running:
                _kill(sandbox)


def _kill(sandbox: Sandbox) -> None:
    """End the child's process group; its thread then sees the child gone and closes the sandbox."""
    if sandbox.pid is not None:
        kill_group(sandbox.pid)


class Shared:
    """The finite-difference estimates every submission is judged against, made once per point: the config's, and for
    class files without biases (WildML's RNNNumpy) the same point with those at zero, made when the first needs it."""

    def __init__(self, config: Config, progress: Progress | None) -> None:
        self.config = config
        self.made: dict[tuple[str, ...], Numerical] = {(): numerical(config, progress)}
        self.lock = threading.Lock()

    def __call__(self, config: Config, absent: tuple[str, ...]) -> Numerical:
        with self.lock:
            if absent not in self.made:
                self.made[absent] = numerical(config, problem=without(build(config), absent))
            return self.made[absent]


def _grade_one(shared: Shared, code: UserCode, stopper: Stopper) -> Submission:
    start = time.perf_counter()
    try:
        checked = check_code(shared, code, shared.config, stopper.watch)
    except SandboxError as error:
        return Submission(code.file, time.perf_counter() - start, error=str(error), failure=error.failure.value)
    except UserCodeError as error:
        return Submission(code.file, time.perf_counter() - start, error=str(error), failure=UNKNOWN_FAILURE)
    return Submission(code.file, time.perf_counter() - start, checked, checked.mistake)


def grade(
    config: Config,
    files: tuple[Path, ...],
    function: str | None = None,
    with_forward: bool = False,
    jobs: int = JOBS,
    progress: Progress | None = None,
) -> Grading:
    """Each file's gradients against one set of finite-difference estimates of the book's forward pass (config's
    point, layout, time and memory limits), `jobs` files at a time; the rows come back in the order of `files`."""
    start = time.perf_counter()
    refuse_unrunnable(files)
    backward, forward = functions(config, function, with_forward)
    user = config.user
    limits = Limits(user.timeout, user.memory_bytes, user.import_timeout)
    codes = [UserCode(file, backward, forward, user.layout, limits, python=user.python) for file in files]
    shared = Shared(config, progress)
    estimated = time.perf_counter() - start
    done = _Done(progress, len(codes))
    stopper = Stopper()
    pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="grade")
    futures: list[Future[Submission]] = []
    try:
        for code in codes:  # one by one: a signal while submitting still knows every future submitted
            futures.append(pool.submit(done.after(_grade_one), shared, code, stopper))
        pending = set(futures)
        while pending:  # in slices: SIGTERM may be delivered to a worker thread, and runs here only when this wakes
            pending = wait(pending, timeout=WAKE).not_done
        submissions = tuple(future.result() for future in futures)
    except BaseException:  # Ctrl-C or SIGTERM: start no other child, and end every running one (a child still
        for future in futures:  # starting has no pid yet: it is killed on the next round)
            future.cancel()
        while not all(future.done() for future in futures):
            stopper.stop()
            time.sleep(0.02)
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return Grading(config, user.layout, backward, forward, submissions, estimated, time.perf_counter() - start)


class _Done:
    """Counts finished submissions for the progress bar (from the worker threads)."""

    def __init__(self, progress: Progress | None, total: int) -> None:
        self.progress, self.total, self.done, self.lock = progress, total, 0, threading.Lock()

    def after(self, work: Callable[[Shared, UserCode, Stopper], Submission]) -> Callable[..., Submission]:
        def counted(shared: Shared, code: UserCode, stopper: Stopper) -> Submission:
            submission = work(shared, code, stopper)
            if self.progress is not None:
                with self.lock:
                    self.done += 1
                    self.progress("submissions", self.done, self.total)
            return submission

        return counted
